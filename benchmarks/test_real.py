"""Real runs of the model on this machine's device: one artifact per workload, backend and
hardware (``test_real[tiny-serial-cpu]``). A test for other hardware is skipped with the
device found; ``pytest benchmarks -m cpu`` (or ``-m a100``) picks this machine's."""

from __future__ import annotations

import pytest

from gst_bench.real.harness import RealRunError, open_harness
from gst_bench.workloads.levels import workload_overrides
from gst_compare import metrics
from gst_compare.latency_rounds import LATENCY_CLOCK, record_e2e

pytestmark = [pytest.mark.real, pytest.mark.benchmark(group="real", timer=LATENCY_CLOCK.now)]


def test_real(
    workload,
    backend,
    hardware,
    on_device,
    benchmark,
    record_artifact,
    gst_session,
    gst_test_id,
    real_models,
    real_progress,
):
    """Warm-up, then one replay of the workload's arrivals; pytest-benchmark's rounds are its
    requests' end-to-end latencies (``--benchmark-compare-fail=median:5%`` gates their median)."""
    cfg = gst_session.compose(
        *workload_overrides(workload.name), f"backend={backend}", f"hardware={hardware}"
    )
    try:
        with open_harness(workload, cfg, gst_session.rootdir, models=real_models) as harness:
            run = harness.run(real_progress, run_id=gst_session.run_id, test_id=gst_test_id)
    except RealRunError as exc:
        pytest.fail(str(exc), pytrace=False)
    path = record_artifact(run.artifact)
    record_e2e(benchmark, run.artifact)
    extra = run.artifact.meta.extra
    benchmark.extra_info.update(
        summary_ms=metrics.summary(run.artifact),
        artifact=str(path),
        harness_overhead_share=extra["harness"]["overhead_share_of_decode_step"],
        noise_suspect=extra["noise"]["suspect"],
        run_queue_share=extra["noise"]["run_queue_share"],
        torch_threads=extra["torch_threads"],
    )
    assert len(run.artifact.requests) == len(workload.requests)
