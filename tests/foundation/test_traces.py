"""Trace readers: each accepted format, with and without arrival times, and bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from gst_bench.workloads.traces import TraceError, read_trace
from gst_bench.workloads.workload import WorkloadSpec, WorkloadSpecError, generate

SAMPLES = Path(__file__).resolve().parents[2] / "datasets" / "samples"


@pytest.mark.parametrize(
    ("name", "fmt", "has_times"),
    [
        ("azure_sample.csv", "azure", True),
        ("vidur_trace.csv", "vidur", True),
        ("vidur_lengths.csv", "vidur", False),
        ("vidur_replay.csv", "vidur_replay", True),
    ],
)
def test_each_format_reads_the_same_lengths(name, fmt, has_times):
    trace = read_trace(SAMPLES / name, fmt)
    auto = read_trace(SAMPLES / name, "auto")
    reference = read_trace(SAMPLES / "vidur_lengths.csv")
    assert trace == auto
    assert trace.prompt_lengths == reference.prompt_lengths
    assert trace.output_lengths == reference.output_lengths
    assert (trace.arrivals_s is not None) is has_times


def test_arrival_times_agree_across_formats():
    azure = read_trace(SAMPLES / "azure_sample.csv")
    vidur = read_trace(SAMPLES / "vidur_trace.csv")
    assert azure.arrivals_s == pytest.approx(vidur.arrivals_s, abs=1e-6)


def test_a_missing_trace_says_where_to_put_it(tmp_path):
    with pytest.raises(TraceError, match=r"does not exist; put the trace there"):
        read_trace(tmp_path / "nope.csv")


def test_a_trace_without_its_columns_names_them(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("TIMESTAMP,ContextTokens\n2023-01-01 00:00:00,5\n")
    with pytest.raises(TraceError, match=r"lacks column\(s\) \['GeneratedTokens'\]"):
        read_trace(path, "azure")


def test_an_unknown_layout_lists_the_accepted_formats(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(TraceError, match="is not one of azure, vidur, vidur_replay"):
        read_trace(path)


def trace_spec(**overrides) -> WorkloadSpec:
    cfg = {
        "name": "replay",
        "seed": 0,
        "num_requests": 8,
        "arrival": {"process": "trace"},
        "prompt_len": {"dist": "trace"},
        "output_len": {"dist": "trace"},
        "trace": {"path": "azure_sample.csv", "format": "azure", "start": 2},
    }
    cfg.update(overrides)
    return WorkloadSpec.from_config(cfg, vocab_size=500, base_dir=SAMPLES)


def test_a_replayed_trace_keeps_its_arrivals_and_lengths():
    workload = generate(trace_spec())
    trace = read_trace(SAMPLES / "azure_sample.csv")
    expected = [round((t - trace.arrivals_s[2]) * 1e9) for t in trace.arrivals_s[2:10]]
    assert [r.arrived_at_ns for r in workload.requests] == expected
    assert [r.num_prompt_tokens for r in workload.requests] == list(trace.prompt_lengths[2:10])


def test_trace_lengths_with_synthetic_arrivals():
    workload = generate(trace_spec(arrival={"process": "fixed", "rate": 2.0}))
    assert [r.arrived_at_ns for r in workload.requests] == [i * 500_000_000 for i in range(8)]


def test_trace_arrivals_need_a_format_with_times():
    spec = trace_spec(trace={"path": "vidur_lengths.csv", "format": "vidur"})
    with pytest.raises(WorkloadSpecError, match="the trace has no times"):
        generate(spec)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.csv"
    path.write_text(text)
    return path


def test_rows_out_of_time_order_are_refused_unless_sorting_is_asked_for(tmp_path):
    path = write(tmp_path, "arrived_at,num_prefill_tokens,num_decode_tokens\n0,5,2\n3,6,3\n1,7,4\n")
    with pytest.raises(TraceError, match=r"row 3 \(line 4\): arrives 2 s before row 2"):
        read_trace(path)
    trace = read_trace(path, sort_by_time=True)
    assert trace.arrivals_s == (0.0, 1.0, 3.0)
    assert trace.prompt_lengths == (5, 7, 6) and trace.output_lengths == (2, 4, 3)


def test_a_bad_cell_is_named_by_file_row_and_column(tmp_path):
    path = write(tmp_path, "arrived_at,num_prefill_tokens,num_decode_tokens\n0,5,2\nsoon,6,3\n")
    with pytest.raises(TraceError, match=rf"{path}, row 2 \(line 3\), column arrived_at: 'soon'"):
        read_trace(path)


def test_the_sort_option_is_a_boolean_of_the_preset():
    with pytest.raises(WorkloadSpecError, match=r"trace\.sort_by_time = 'yes' must be"):
        trace_spec(trace={"path": "azure_sample.csv", "sort_by_time": "yes"})
