"""Both backends serve the tiny Qwen3 for real: timelines, counts, arrivals, the record."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pytest

from gst_bench.device.hardware import choose_cpus
from gst_bench.real.harness import ModelCache, RealRun, run_real
from gst_bench.real.settings import BACKENDS
from gst_compare import metrics
from gst_compare.artifacts import load_artifact
from gst_compare.store import ArtifactStore

from .conftest import ROOT, small_workload, tiny_config

SCHEDULERS = {
    "serial": {"name": "serial", "max_batch_size": 1},
    "continuous": {
        "name": "fifo",
        "max_batch_tokens": 256,
        "block_size": 64,
        "num_blocks": 64,
        "max_batch_size": 32,
        "attn_implementation": "sdpa",
        "cuda_graphs": False,
        "async_batching": False,
    },
}


@pytest.fixture(scope="module", params=BACKENDS)
def served(request, composer, tiny_models: ModelCache) -> tuple[str, RealRun, list]:
    backend = request.param
    progress: list[tuple[int, int]] = []
    run = run_real(
        small_workload(),
        tiny_config(composer, backend),
        ROOT,
        models=tiny_models,
        progress=lambda done, total: progress.append((done, total)),
        test_id=f"unit::{backend}",
    )
    return backend, run, progress


def test_every_request_has_an_integral_ordered_timeline(served):
    _, run, _ = served
    workload = small_workload()
    assert run.artifact.request_ids == tuple(r.id for r in workload.requests)
    for record, request in zip(run.artifact.requests, workload.requests, strict=True):
        times = record.token_times_ns
        assert times is not None
        stamps = (record.arrived_at_ns, record.scheduled_at_ns, *times, record.completed_at_ns)
        assert all(type(t) is int for t in stamps)
        assert all(a <= b for a, b in pairwise(stamps))
        assert record.arrived_at_ns == request.arrived_at_ns
        assert times[0] == record.first_token_at_ns


def test_ignoring_eos_gives_exactly_the_requested_tokens(served):
    _, run, _ = served
    for record in run.artifact.requests:
        assert record.num_decode_tokens_actual == record.num_decode_tokens_requested
        assert len(record.token_times_ns or ()) == record.num_decode_tokens_actual
        assert len(run.tokens[record.id]) == record.num_decode_tokens_actual
        assert record.num_prompt_tokens == len(
            small_workload().requests[record.id].prompt_token_ids
        )


def test_the_run_is_described_for_the_simulator(served):
    backend, run, _ = served
    meta = run.artifact.meta
    assert (meta.kind, meta.backend, meta.hardware, meta.model) == (
        "real",
        backend,
        "cpu",
        "qwen3-tiny",
    )
    assert (meta.dtype, meta.weights, meta.variant) == ("float32", "random", "default")
    assert meta.workload_hash == small_workload().hash
    assert meta.test_id == f"unit::{backend}"
    assert meta.config["backend"]["name"] == backend
    assert meta.extra["scheduler"] == SCHEDULERS[backend]
    assert meta.extra["torch_threads"] == 1 == meta.extra["noise"]["torch_threads"]
    assert "random weights" in meta.extra["weights_note"]
    harness = meta.extra["harness"]
    assert harness["output_tokens"] == sum(
        r.num_decode_tokens_actual for r in run.artifact.requests
    )
    assert harness["overhead_ns_per_token"] > 0
    assert harness["overhead_share_of_decode_step"] > 0
    speed = meta.extra["speed_check"]
    assert (speed["decode_context"], speed["prefill_tokens"]) == (32, 32)
    for when in ("before_ms", "after_ms"):
        assert speed[when]["decode"] > 0 and speed[when]["prefill"] > 0
    assert meta.extra["cpu_affinity"] == choose_cpus(meta.config["hardware"]) is not None


def test_the_engine_transformers_resolved_is_the_configured_one(served):
    backend, run, _ = served
    details = run.artifact.meta.extra["backend_details"]
    if backend == "serial":
        assert details["cache_keyword"] in ("cache", "past_key_values")
        return
    resolved = details["resolved_config"]
    assert (resolved["page_size"], resolved["num_blocks"]) == (64, 64)
    assert not any(_flat(resolved["use_cuda_graph"])) and not resolved["use_async_batching"]
    assert details["attention_in_engine"] in ("sdpa", "paged|sdpa")


def _flat(value) -> list:
    return value if isinstance(value, list) else [value]


def test_noise_indicators_are_recorded(served):
    _, run, _ = served
    noise = run.artifact.meta.extra["noise"]
    assert noise["process_threads"] >= 1
    assert noise["run_queue_delay_ms"] >= 0
    assert 0 <= noise["foreign_cpu_share"] <= 1
    assert isinstance(noise["suspect"], bool)
    assert len(noise["load_average_end"]) == 3


def test_progress_counts_requests_done(served):
    _, _, progress = served
    total = len(small_workload().requests)
    assert progress == [(k, total) for k in range(1, total + 1)]


def test_the_artifact_reads_back_equal(served, tmp_path):
    _, run, _ = served
    path = ArtifactStore(tmp_path).save(run.artifact)
    again = load_artifact(path)
    assert again == run.artifact
    assert metrics.summary(again) == metrics.summary(run.artifact)


def test_serial_serves_one_request_at_a_time_in_arrival_order(composer, tiny_models):
    run = run_real(
        small_workload(rate=None), tiny_config(composer, "serial"), ROOT, models=tiny_models
    )
    records = run.artifact.requests
    for before, after in pairwise(records):
        assert after.scheduled_at_ns >= before.completed_at_ns


def test_continuous_batches_requests_that_arrive_together(composer, tiny_models):
    run = run_real(
        small_workload(rate=None, output=12),
        tiny_config(composer, "continuous"),
        ROOT,
        models=tiny_models,
    )
    first, *rest = run.artifact.requests
    assert any(r.first_token_at_ns < first.completed_at_ns for r in rest)


@pytest.mark.parametrize("idle_wait", ["sleep", "spin", "warm"])
def test_a_request_never_starts_before_it_arrives(composer, tiny_models, idle_wait):
    """Arrivals 100 ms apart: far longer than serving one, so each waits for its arrival,
    sleeping or spinning as the hardware says, and the run records which."""
    workload = small_workload(rate=10.0, requests=3)
    for backend in BACKENDS:
        cfg = tiny_config(composer, backend, f"hardware.idle_wait={idle_wait}")
        run = run_real(workload, cfg, ROOT, models=tiny_models)
        for record in run.artifact.requests:
            assert record.scheduled_at_ns >= record.arrived_at_ns
        assert run.artifact.meta.extra["backend_details"]["idle_wait"] == idle_wait


@pytest.mark.parametrize("idle_wait", ["sleep", "spin", "warm"])
def test_a_spinning_run_times_its_speed_in_the_idle_gaps(composer, tiny_models, idle_wait):
    """Two requests 1.5 s apart: the gap before the second fits a decode and a prefill probe;
    kept warm, the rest of it runs untimed decode steps."""
    workload = small_workload(requests=2, rate=None)
    later = replace(workload.requests[1], arrived_at_ns=1_500_000_000)
    workload = replace(workload, requests=(workload.requests[0], later))
    for backend in BACKENDS:
        cfg = tiny_config(composer, backend, f"hardware.idle_wait={idle_wait}")
        run = run_real(workload, cfg, ROOT, models=tiny_models)
        check = run.artifact.meta.extra["speed_check"]
        if idle_wait == "sleep":
            assert "during_ms" not in check
            continue
        probes = check["during_ms"]
        assert set(probes) == {"decode", "prefill"}
        assert (check.get("warm_steps", 0) > 0) == (idle_wait == "warm")
        for samples in probes.values():
            assert samples and all(0 < t < 1.5 and ms > 0 for t, ms in samples)
        assert run.artifact.requests[1].scheduled_at_ns >= later.arrived_at_ns
