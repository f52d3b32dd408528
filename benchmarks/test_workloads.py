"""The workloads every benchmark runs: generated once, saved beside the run's artifacts."""

from __future__ import annotations


def test_workload_is_reproducible(workload, benchmark):
    """Regenerating the preset gives the same bytes; pytest-benchmark times the generation."""
    from gst_bench.workloads.workload import generate

    again = benchmark.pedantic(generate, args=(workload.spec,), rounds=1, iterations=1)
    assert again.hash == workload.hash
    benchmark.extra_info.update(
        workload=workload.name, requests=len(workload.requests), hash=workload.hash
    )
