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
    with pytest.raises(TraceError, match="is not one of azure, vidur, vidur_replay, burstgpt"):
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


BURSTGPT = "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n"


def test_the_burstgpt_sample_gives_times_in_seconds_and_both_token_counts():
    trace = read_trace(SAMPLES / "burstgpt_sample.csv", "burstgpt")
    assert trace == read_trace(SAMPLES / "burstgpt_sample.csv")
    assert len(trace) == 12
    assert trace.arrivals_s[:5] == (0.0, 4.0, 6.0, 9.0, 9.0)
    assert trace.prompt_lengths[:3] == (47, 112, 36)
    assert trace.output_lengths[:3] == (18, 23, 12)


def test_burstgpt_rows_are_kept_by_model_and_log_type():
    path = SAMPLES / "burstgpt_sample.csv"
    conversations = read_trace(path, log_type="Conversation log")
    gpt4_api = read_trace(path, model="GPT-4", log_type="API log")
    assert conversations.arrivals_s == (0.0, 4.0, 9.0, 14.0, 21.0, 25.0, 32.0, 35.0)
    assert conversations.prompt_lengths == (47, 112, 88, 25, 73, 52, 19, 128)
    assert gpt4_api.arrivals_s == (0.0, 17.0)
    assert gpt4_api.output_lengths == (9, 11)


def test_a_burstgpt_file_without_a_column_names_it_and_the_fix_on_one_line(tmp_path):
    path = write(tmp_path, "Timestamp,Model,Request tokens,Log Type\n5,GPT-4,10,API log\n")
    with pytest.raises(TraceError) as caught:
        read_trace(path, "burstgpt")
    message = str(caught.value)
    assert "\n" not in message
    assert "lacks column(s) ['Response tokens'] of format 'burstgpt'" in message
    assert "add them to the header, or set workload.trace.format" in message


def test_a_filter_on_a_column_the_trace_lacks_is_refused(tmp_path):
    path = write(tmp_path, "Timestamp,Request tokens,Response tokens\n5,10,3\n")
    with pytest.raises(TraceError, match=r"no column 'Log Type' to filter on; remove workload"):
        read_trace(path, log_type="Conversation log")


def test_a_filter_that_keeps_nothing_lists_the_values_found():
    with pytest.raises(TraceError, match=r"set workload\.trace\.model to one of \['ChatGPT', 'GPT"):
        read_trace(SAMPLES / "burstgpt_sample.csv", model="gpt-4")


def test_a_failed_burstgpt_request_points_at_the_release_without_fails(tmp_path):
    path = write(tmp_path, f"{BURSTGPT}5,GPT-4,10,3,13,API log\n9,GPT-4,0,0,0,API log\n")
    with pytest.raises(TraceError, match=r"row 2 \(line 3\).*BurstGPT_without_fails_\*\.csv"):
        read_trace(path)


def test_an_error_in_a_kept_row_names_its_line_in_the_file(tmp_path):
    rows = "5,ChatGPT,10,3,13,API log\n6,GPT-4,8,2,10,API log\n7,ChatGPT,x,3,13,API log\n"
    path = write(tmp_path, BURSTGPT + rows)
    with pytest.raises(TraceError, match=r"row 3 \(line 4\), column Request tokens: 'x'"):
        read_trace(path, model="ChatGPT")


def test_a_burstgpt_preset_replays_the_kept_rows_at_its_time_scale():
    trace = {"path": "burstgpt_sample.csv", "format": "burstgpt", "time_scale": 0.25}
    workload = generate(trace_spec(trace={**trace, "model": "GPT-4"}, num_requests=None))
    assert [r.arrived_at_ns for r in workload.requests] == [
        round(s * 0.25 * 1e9) for s in (0, 5, 17, 22, 31)
    ]
    assert [r.num_decode_tokens for r in workload.requests] == [23, 9, 21, 11, 19]


def test_a_trace_filter_must_be_text():
    with pytest.raises(WorkloadSpecError, match=r"trace\.model = 4 must be the text"):
        trace_spec(trace={"path": "burstgpt_sample.csv", "model": 4})
