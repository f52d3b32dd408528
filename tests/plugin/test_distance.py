"""Distances against scipy and hand-computed cases, and their properties."""

from __future__ import annotations

import math
import random
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gst_compare import distance, metrics
from tests.plugin.factory import make_artifact

samples = st.lists(
    st.floats(min_value=0.01, max_value=1e4, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=60,
)


def test_ks_anderson_and_wasserstein_are_scipy_s():
    from scipy import stats

    rng = random.Random(7)
    real = [rng.lognormvariate(3, 0.4) for _ in range(50)]
    sim = [rng.lognormvariate(3.2, 0.4) for _ in range(80)]
    assert distance.ks(real, sim) == pytest.approx(tuple(stats.ks_2samp(real, sim))[:2])
    w_ms, w_rel = distance.wasserstein(real, sim)
    assert w_ms == pytest.approx(stats.wasserstein_distance(real, sim))
    assert w_rel == pytest.approx(w_ms / metrics.percentile(real, 50))
    anderson = distance.anderson(real, sim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy's note that it floored the p-value
        expected = stats.anderson_ksamp([real, sim], variant="midrank").statistic
    assert anderson.statistic == pytest.approx(expected)


def test_small_cases_by_hand():
    assert distance.ks([1, 2, 3], [2, 3, 4])[0] == pytest.approx(1 / 3)
    assert distance.ks([1, 2], [5, 6])[0] == 1.0
    # Shifting every sample by 1 moves the whole mass by 1; the real median is 1.5.
    assert distance.wasserstein([1, 2], [2, 3]) == pytest.approx((1.0, 1 / 1.5))
    assert distance.relative_error(11.0, 10.0) == pytest.approx(0.1)
    assert distance.relative_error(9.0, 10.0) == pytest.approx(-0.1)
    assert distance.relative_error(0.0, 0.0) == 0.0
    assert distance.relative_error(1.0, 0.0) == math.inf


def test_anderson_says_when_it_cannot_or_caps():
    assert distance.anderson([1.0, 1.0], [1.0]).note == "undefined: all values are equal"
    capped = distance.anderson([1, 2, 3, 4, 5.0], [1, 2, 3, 4, 5.1])
    assert capped.pvalue == 0.25 and capped.note == "p-value capped: true value ≥ 0.25"
    far = distance.anderson(list(range(30)), list(range(100, 130)))
    assert far.pvalue == 0.001 and far.note == "p-value capped: true value ≤ 0.001"


@pytest.mark.parametrize(("q", "needed"), [(50, 6), (90, 36), (95, 72), (99, 368)])
def test_minimum_samples_for_a_95_percent_percentile_interval(q, needed):
    assert distance.min_samples(q) == needed
    assert distance.order_statistic_ranks(needed - 1, q) is None
    assert distance.order_statistic_ranks(needed, q) is not None


@pytest.mark.parametrize(("n", "q"), [(6, 50), (20, 50), (36, 90), (100, 90), (400, 99)])
def test_the_order_statistic_interval_covers_at_its_confidence(n, q):
    from scipy.stats import binom

    lower, upper = distance.order_statistic_ranks(n, q)
    # P(X(l) <= xi <= X(u)) = P(l <= B <= u - 1) with B ~ Binomial(n, q) samples below xi.
    coverage = binom.cdf(upper - 1, n, q / 100) - binom.cdf(lower - 1, n, q / 100)
    assert coverage >= 0.95
    assert binom.cdf(lower - 1, n, q / 100) <= 0.025 and binom.sf(upper - 1, n, q / 100) <= 0.025


def test_the_median_interval_of_six_samples_is_their_range():
    assert distance.percentile_interval([5, 1, 4, 2, 6, 3], 50) == (1, 6)
    assert distance.percentile_interval([5, 1, 4, 2, 3], 50) is None


def test_a_percentile_without_enough_samples_is_shown_but_marked():
    error = distance.percentile_error([10.0] * 10, [12.0] * 10, 90)
    assert error.rel_error == pytest.approx(0.2)
    assert not error.enough and error.min_samples == 36 and error.real_interval is None


def test_request_paired_error_by_hand():
    paired = distance.paired_error({1: 10.0, 2: 20.0, 3: 0.0}, {1: 11.0, 2: 18.0, 3: 5.0, 4: 1.0})
    assert paired.n == 2  # request 3 has a real value of 0, request 4 is not on the real side
    assert paired.mape == pytest.approx(0.1)
    assert paired.bias == pytest.approx(0.0)
    assert paired.abs_quantiles["p50"] == pytest.approx(0.1)


def test_comparing_artifacts_pools_itl_and_says_when_a_side_lacks_it():
    real, sim = make_artifact("real", n=12), make_artifact("sim", n=12, seed=3)
    itl = distance.compare_metric("itl", real, sim)
    assert not itl.available
    assert itl.note == "not available: the simulated artifact has no per-token times"
    itl_real = distance.compare_metric("itl", real, real)
    assert itl_real.available and itl_real.n_real == 12 * 7
    ttft = distance.compare_metric("ttft", real, sim)
    assert ttft.paired is not None and ttft.paired.n == 12
    assert ttft.percentile(50).enough and not ttft.percentile(90).enough


@settings(max_examples=60, deadline=None)
@given(samples)
def test_a_sample_is_at_distance_zero_from_itself(values):
    same = distance.compare_samples("x", values, list(values))
    assert same.ks_statistic == 0.0 and same.ks_pvalue == pytest.approx(1.0)
    assert same.wasserstein_ms == 0.0 and same.mean_rel_error == 0.0
    assert all(p.rel_error == 0.0 for p in same.percentiles)
    paired = distance.paired_error(dict(enumerate(values)), dict(enumerate(values)))
    assert paired.mape == 0.0


@settings(max_examples=60, deadline=None)
@given(samples, samples)
def test_ks_and_wasserstein_are_symmetric(a, b):
    assert distance.ks(a, b) == pytest.approx(distance.ks(b, a))
    assert distance.wasserstein(a, b)[0] == pytest.approx(distance.wasserstein(b, a)[0])


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=6, max_size=500),
    st.sampled_from([50, 90, 95, 99]),
)
def test_the_percentile_interval_contains_the_sample_percentile(values, q):
    interval = distance.percentile_interval(values, q)
    if len(values) < distance.min_samples(q):
        assert interval is None
        return
    assert interval[0] <= metrics.percentile(values, q) <= interval[1]
