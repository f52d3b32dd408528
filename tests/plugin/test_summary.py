"""The flat per-run summary under vLLM's names: exact figures of hand-made timelines."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from gst_compare.artifacts import Artifact, RequestRecord
from gst_compare.summary import summary, write_summary
from tests.plugin.factory import MS, make_artifact


def request(
    rid: int, arrived: int, scheduled: int, tokens: tuple[int, ...], prompt: int
) -> RequestRecord:
    """A request whose token stamps (ms) are given; it completes with its last token."""
    stamps = tuple(t * MS for t in tokens)
    return RequestRecord(
        id=rid,
        arrived_at_ns=arrived * MS,
        scheduled_at_ns=scheduled * MS,
        first_token_at_ns=stamps[0],
        completed_at_ns=stamps[-1],
        num_prompt_tokens=prompt,
        num_decode_tokens_requested=len(tokens),
        num_decode_tokens_actual=len(tokens),
        token_times_ns=stamps,
    )


def hand_made(kind: str = "real") -> Artifact:
    """ttft 100/150/300, tpot 25/10/-, itl 20 30 | 10 | -, e2el 150/160/300; 0.4 s span."""
    requests = (
        request(0, 0, 0, (100, 120, 150), prompt=10),
        request(1, 50, 60, (200, 210), prompt=20),
        request(2, 100, 100, (400,), prompt=30),
    )
    return replace(make_artifact(kind, variant="corrected", run_id="run-7"), requests=requests)


def test_counts_and_throughputs_are_over_the_run_span():
    found = summary(hand_made())
    assert found["duration"] == pytest.approx(0.4)
    assert found["completed"] == 3
    assert (found["total_input_tokens"], found["total_output_tokens"]) == (60, 6)
    assert found["request_throughput"] == pytest.approx(3 / 0.4)
    assert found["output_throughput"] == pytest.approx(6 / 0.4)
    assert found["total_token_throughput"] == pytest.approx(66 / 0.4)


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        ("ttft", {"mean": 550 / 3, "median": 150, "p90": 270, "p99": 297}),
        ("tpot", {"mean": 17.5, "median": 17.5, "std": 7.5, "p90": 23.5, "p99": 24.85}),
        ("itl", {"mean": 20, "median": 20, "std": math.sqrt(200 / 3), "p90": 28, "p99": 29.8}),
        ("e2el", {"mean": 610 / 3, "median": 160, "p90": 272, "p99": 297.2}),
    ],
)
def test_each_latency_has_vllms_statistics_in_ms(metric, expected):
    found = summary(hand_made())
    for stat, value in expected.items():
        assert found[f"{stat}_{metric}_ms"] == pytest.approx(value), stat


def test_the_statistics_are_numpys_as_vllm_computes_them():
    artifact = make_artifact("real", n=37, seed=3)
    found = summary(artifact)
    e2els = [(r.completed_at_ns - r.arrived_at_ns) / MS for r in artifact.requests]
    assert found["std_e2el_ms"] == pytest.approx(np.std(e2els))
    assert found["median_e2el_ms"] == pytest.approx(np.median(e2els))
    assert found["p90_e2el_ms"] == pytest.approx(np.percentile(e2els, 90))
    assert found["p99_e2el_ms"] == pytest.approx(np.percentile(e2els, 99))


def test_tpot_and_itl_follow_vllms_definitions():
    """vLLM: tpot = (latency - ttft) / (output_len - 1) per request with output_len > 1;
    itls += every gap after the first token, pooled over requests."""
    artifact = hand_made()
    tpots, itls = [], []
    for r in artifact.requests:
        latency = r.completed_at_ns - r.arrived_at_ns
        ttft = r.first_token_at_ns - r.arrived_at_ns
        if r.num_decode_tokens_actual > 1:
            tpots.append((latency - ttft) / (r.num_decode_tokens_actual - 1) / MS)
        stamps = r.token_times_ns
        itls += [(stamps[i] - stamps[i - 1]) / MS for i in range(1, len(stamps))]
    found = summary(artifact)
    assert found["mean_tpot_ms"] == pytest.approx(np.mean(tpots))
    assert found["mean_itl_ms"] == pytest.approx(np.mean(itls))
    assert found["mean_tpot_ms"] != pytest.approx(found["mean_itl_ms"])  # per request vs per gap
    e2e_per_token = np.mean([150 / 3, 160 / 2, 300 / 1])
    assert found["mean_tpot_ms"] < e2e_per_token  # the first token's wait is left out


def test_identity_fields_name_the_run():
    found = summary(hand_made("sim"))
    assert {k: found[k] for k in ("kind", "variant", "workload", "backend", "hardware")} == {
        "kind": "sim",
        "variant": "corrected",
        "workload": "tiny",
        "backend": "serial",
        "hardware": "cpu",
    }
    assert found["run_id"] == "run-7"


def test_a_run_without_token_stamps_has_no_itl_and_the_rest(tmp_path):
    artifact = make_artifact("sim", n=5, token_times=False)
    path = write_summary(artifact, tmp_path / "summaries" / "sim" / "t.json")
    written = json.loads(path.read_text(encoding="utf-8"))
    assert written == pytest.approx(summary(artifact))
    assert written["mean_itl_ms"] is None and written["p99_itl_ms"] is None
    assert written["mean_tpot_ms"] > 0 and written["completed"] == 5


def test_the_keys_are_vllms():
    latency_keys = {
        f"{stat}_{metric}_ms"
        for metric in ("ttft", "tpot", "itl", "e2el")
        for stat in ("mean", "median", "std", "p90", "p99")
    }
    counts = {"duration", "completed", "total_input_tokens", "total_output_tokens"}
    rates = {"request_throughput", "output_throughput", "total_token_throughput"}
    names = {"kind", "variant", "workload", "backend", "hardware", "model", "run_id"}
    assert set(summary(hand_made())) == latency_keys | counts | rates | names
