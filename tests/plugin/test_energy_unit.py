"""The energy distance is reported unitless: the same in ms and in s."""

from __future__ import annotations

import random

import pytest
from scipy.stats import energy_distance

from gst_compare.distance import energy


def test_the_energy_distance_does_not_depend_on_the_unit():
    rng = random.Random(3)
    real_ms = [rng.uniform(50, 150) for _ in range(40)]
    sim_ms = [v * 1.2 for v in real_ms]
    real_s, sim_s = [v / 1000 for v in real_ms], [v / 1000 for v in sim_ms]
    assert energy(real_ms, sim_ms) == pytest.approx(energy(real_s, sim_s))
    # scipy's raw value scales with the square root of the unit: why it is divided out
    raw_ratio = energy_distance(real_ms, sim_ms) / energy_distance(real_s, sim_s)
    assert raw_ratio == pytest.approx(1000**0.5)
    assert energy(real_ms, real_ms) == 0.0
