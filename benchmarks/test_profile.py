"""Profiles the configured model's operators on this machine's device into Vidur's CSV layout,
beside real runs (it runs after them: they took its timed calls in their idle gaps, it times
the rest and writes the profile) or with ``--gst-reprofile`` (else it checks that a stored
profile covers the workloads): ``pytest benchmarks/test_profile.py -m cpu --gst-reprofile``."""

from __future__ import annotations

import pytest


@pytest.mark.profile
def test_profile(hardware, on_device, sim_profile, record_property) -> None:
    profile = sim_profile(hardware)
    record_property("gst_profile", str(profile.path))
    assert profile.meta["hardware"] == hardware
    assert profile.compute_csv.is_file() and profile.attention_csv.is_file()
