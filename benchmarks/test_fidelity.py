"""Fidelity verdicts as test results: one test per pair (workload, backend, Vidur variant,
hardware) that runs after the pair's real and simulated runs and judges the latest stored
artifacts with the session's gate (``configs/gate``): it fails when the simulator is outside
the tolerance, is skipped (INCONCLUSIVE) when the intervals cannot tell, and is an xfail for
an advisory variant that fails. ``pytest benchmarks --lf`` judges the failed ones again from the
store; ``-k 'fidelity and steady60 and serial'`` picks pairs.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.fidelity, pytest.mark.benchmark(group="fidelity")]


def test_fidelity(workload, backend, vidur_variant, hardware, gst_session, gst_fidelity, benchmark):
    model = gst_session.compose(f"hardware={hardware}")["model"]["key"]
    pair_key = (workload.hash, str(model), hardware, backend)
    result = benchmark.pedantic(gst_fidelity.judge, args=(pair_key, vidur_variant), rounds=1)
    benchmark.extra_info.update(fidelity_summary(result))
    gst_fidelity.conclude(result)


def fidelity_summary(result) -> dict:
    """The verdict and headline errors for pytest-benchmark's JSON."""
    checks = {
        f"{v.metric}_{c.name}": {
            "error": c.value,
            "interval": c.interval,
            "verdict": str(c.verdict),
        }
        for v in result.verdicts
        for c in v.checks
    }
    return {"verdict": str(result.verdict), "advisory": result.advisory, "checks": checks}
