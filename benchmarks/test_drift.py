"""Drift of the simulator as test results: one test per simulated pair that compares the latest
stored simulation with its committed baseline (``reports/baselines``) and fails with how far
each metric moved. A baseline made from other inputs (another profile) skips: that is not
drift. ``bash scripts/drift.sh`` runs these in CI; accept an intended change with
``bash scripts/drift.sh --gst-accept-baseline``.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.drift


def test_drift(workload, backend, vidur_variant, hardware, gst_session, gst_drift):
    model = gst_session.compose(f"hardware={hardware}")["model"]["key"]
    gst_drift((workload.hash, str(model), hardware, backend), vidur_variant)
