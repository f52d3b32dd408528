"""Fidelity verdicts as test results: one test per pair (workload, backend, Vidur variant,
hardware) that runs after the pair's real and simulated runs and judges the latest stored
artifacts with the session's gate (``configs/gate``): it fails when the simulator is outside
the tolerance, is skipped (INCONCLUSIVE) when the intervals cannot tell, and is an xfail for
an advisory variant that fails. ``pytest benchmarks --lf`` judges the failed ones again from the
store; ``-k 'fidelity and steady60 and serial'`` picks pairs.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.fidelity


def test_fidelity(
    workload, backend, vidur_variant, hardware, gst_session, gst_fidelity, record_property
):
    """Not a pytest-benchmark test: judging times nothing worth comparing between runs."""
    model = gst_session.compose(f"hardware={hardware}")["model"]["key"]
    pair_key = (workload.hash, str(model), hardware, backend)
    result = gst_fidelity.judge(pair_key, vidur_variant)
    record_property("gst_fidelity", fidelity_summary(result))
    gst_fidelity.conclude(result)


def fidelity_summary(result) -> dict:
    """The verdict and each check's error, interval and floor (JUnit XML property)."""
    checks = {
        f"{v.metric}_{c.name}": {
            "error": c.value,
            "interval": c.interval,
            "floor": c.floor,
            "verdict": str(c.verdict),
        }
        for v in result.verdicts
        for c in v.checks
    }
    return {"verdict": str(result.verdict), "advisory": result.advisory, "checks": checks}
