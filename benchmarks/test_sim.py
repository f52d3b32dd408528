"""Simulated runs: Vidur replays each workload from the profile of each hardware, and the run
is saved as an artifact beside the real ones: ``pytest benchmarks/test_sim.py -m sim``.

Runs anywhere a profile for the hardware exists. Without one covering the workloads it profiles
only beside real runs on that hardware or with ``--gst-reprofile``; otherwise the session stops
before any test runs (this machine's hardware) or the test is skipped (another machine's), each
naming the command that makes the profile.
"""

from __future__ import annotations

import pytest

from gst_bench.sim.plan import plan
from gst_bench.sim.variants import simulate
from gst_bench.workloads.levels import workload_overrides
from gst_compare.latency_rounds import LATENCY_CLOCK, record_e2e


@pytest.mark.sim
@pytest.mark.benchmark(group="sim", timer=LATENCY_CLOCK.now)
def test_sim(
    workload,
    backend,
    vidur_variant,
    hardware,
    benchmark,
    record_artifact,
    sim_profile,
    real_artifact_for,
    gst_session,
    gst_test_id,
    vidur_ready,
    calibration_possible,
) -> None:
    cfg = gst_session.compose(
        *workload_overrides(workload.name),
        f"backend={backend}",
        f"vidur={vidur_variant}",
        f"hardware={hardware}",
    )
    real = real_artifact_for(workload, cfg, hardware, backend)
    profile = sim_profile(hardware, plan(workload, cfg, real).needs)
    artifact = simulate(
        workload,
        profile,
        cfg,
        real,
        out_root=gst_session.out_root,
        run_id=gst_session.run_id,
        test_id=gst_test_id,
    )
    record_artifact(artifact)
    record_e2e(benchmark, artifact)  # the rounds: each request's simulated end-to-end latency
    assert len(artifact.requests) == len(workload.requests)
