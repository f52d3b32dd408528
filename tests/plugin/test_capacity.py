"""Capacity from a latency curve: where a synthetic curve crosses its objective, and the
bootstrap interval around it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gst_compare.capacity import Crossing, Side, crossing, estimate_capacity

RATES = [1.0, 2.0, 3.0, 4.0]


def test_a_curve_crossing_between_two_levels_is_interpolated_exactly():
    found = estimate_capacity(RATES, [10.0, 20.0, 40.0, 80.0], limit=30.0)
    assert found.point == Crossing(Side.CROSSED, 2.5)
    assert found.interval is None


def test_a_level_exactly_at_the_limit_meets_the_objective():
    assert crossing(RATES, [10.0, 20.0, 40.0, 80.0], limit=40.0) == Crossing(Side.CROSSED, 3.0)


def test_a_curve_that_never_crosses_is_above_the_highest_level_not_extrapolated():
    found = estimate_capacity(RATES, [10.0, 11.0, 12.0, 13.0], limit=30.0)
    assert found.point == Crossing(Side.ABOVE_HIGHEST, 4.0)
    assert str(found) == "above the highest level (4)"


def test_a_curve_over_the_limit_everywhere_is_below_the_lowest_level():
    found = estimate_capacity(RATES, [50.0, 60.0, 70.0, 80.0], limit=30.0)
    assert found.point == Crossing(Side.BELOW_LOWEST, 1.0)
    assert "below the lowest level" in str(found)


def test_on_a_non_monotonic_curve_the_first_crossing_counts():
    """It fails at 2, meets again at 3, fails at 4: the capacity is read before the 2."""
    found = estimate_capacity(RATES, [10.0, 50.0, 20.0, 80.0], limit=30.0)
    assert found.point == Crossing(Side.CROSSED, 1.5)


def test_a_curve_failing_at_the_lowest_level_is_below_it_even_if_it_meets_later():
    assert crossing(RATES, [50.0, 10.0, 10.0, 10.0], limit=30.0).side is Side.BELOW_LOWEST


def queueing_curve(rates: list[float], capacity: float) -> list[float]:
    """A latency that grows like a queue's as the rate nears ``capacity`` (ms)."""
    return [100.0 / (capacity - r) for r in rates]


def noisy_samples(stats: list[float], count: int, spread: float) -> list[list[float]]:
    rng = np.random.default_rng(7)
    return [list(s * (1.0 + spread * rng.standard_normal(count))) for s in stats]


def test_the_bootstrap_interval_contains_the_point_estimate():
    rates = [0.5, 1.0, 1.5, 2.0, 2.5]
    stats = queueing_curve(rates, capacity=3.0)
    found = estimate_capacity(rates, stats, limit=80.0, samples=noisy_samples(stats, 400, 0.1))
    low, high = found.interval
    assert found.point.side is Side.CROSSED and 1.5 < found.point.rate < 2.0
    assert low.sort_key <= found.point.sort_key <= high.sort_key
    assert low.rate < high.rate and found.resamples == 400


def test_samples_equal_to_the_curve_give_an_interval_of_the_point_alone():
    stats = [10.0, 20.0, 40.0, 80.0]
    found = estimate_capacity(RATES, stats, limit=30.0, samples=[[s] * 5 for s in stats])
    assert found.interval == (found.point, found.point)


def test_resamples_beyond_the_levels_bound_the_interval_without_extrapolating():
    stats = [10.0, 12.0, 14.0, 28.0]
    found = estimate_capacity(RATES, stats, limit=30.0, samples=noisy_samples(stats, 400, 0.2))
    low, high = found.interval
    assert low.side is Side.CROSSED
    assert high == Crossing(Side.ABOVE_HIGHEST, 4.0)
    assert found.point == high
    assert str(found).endswith(", above the highest level (4)]")


@pytest.mark.parametrize(
    ("rates", "stats", "samples", "message"),
    [
        ([1.0, 1.0], [1.0, 2.0], None, "strictly ascending"),
        ([2.0, 1.0], [1.0, 2.0], None, "strictly ascending"),
        ([1.0, 2.0], [1.0], None, "one per level"),
        ([], [], None, "one per level"),
        ([1.0, 2.0], [1.0, float("nan")], None, "finite"),
        ([1.0, 2.0], [1.0, 2.0], [[1.0]], "one per level"),
        ([1.0, 2.0], [1.0, 2.0], [[1.0], [1.0, 2.0]], "same number"),
        ([1.0, 2.0], [1.0, 2.0], [[], []], "same number"),
    ],
)
def test_a_malformed_curve_is_refused_naming_what_is_wrong(rates, stats, samples, message):
    with pytest.raises(ValueError, match=message):
        estimate_capacity(rates, stats, limit=1.5, samples=samples)


curves = st.lists(st.floats(0.0, 1000.0), min_size=2, max_size=8).map(
    lambda steps: list(np.cumsum(steps) + 1.0)
)


@settings(max_examples=80, deadline=None)
@given(curves, st.floats(0.5, 5000.0))
def test_on_a_rising_curve_the_estimate_is_where_the_interpolated_curve_meets_the_limit(
    stats, limit
):
    rates = [float(i + 1) for i in range(len(stats))]
    found = crossing(rates, stats, limit)
    if found.side is Side.CROSSED:
        assert np.interp(found.rate, rates, stats) == pytest.approx(limit, rel=1e-9, abs=1e-9)
    elif found.side is Side.ABOVE_HIGHEST:
        assert max(stats) <= limit
    else:
        assert stats[0] > limit
