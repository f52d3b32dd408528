"""Distances against scipy and hand-computed cases, and their properties."""

from __future__ import annotations

import itertools
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


def test_percentiles_are_scipy_s_harrell_davis_and_weights_write_out_repeats():
    import numpy as np
    from scipy.stats.mstats import hdquantiles

    from gst_compare import bootstrap

    rng = np.random.default_rng(3)
    for n in (2, 3, 6, 40, 100):
        real = rng.lognormal(3, 0.4, n)
        ones = np.ones((1, n))
        for q in (50, 90, 99):
            expected = float(hdquantiles(real, [q / 100])[0])
            assert metrics.percentile(real, q) == pytest.approx(expected, rel=1e-12)
            found = bootstrap.weighted_percentile(ones, real, q)[0]
            assert found == pytest.approx(expected, rel=1e-12)
    # A bootstrap replica's counts: the estimate of the sample written out with its repeats.
    values = rng.lognormal(3, 0.4, 25)
    counts = rng.integers(0, 4, size=(6, 25))
    found = bootstrap.weighted_percentile(counts.astype(float), values, 90)
    for row, value in zip(counts, found, strict=True):
        assert value == pytest.approx(float(hdquantiles(np.repeat(values, row), [0.9])[0]))
    one = bootstrap.weighted_percentile(np.ones((1, 1)), np.array([5.0]), 50)[0]
    assert metrics.percentile([5.0], 50) == 5.0 == one
    # The linear percentile (QQ points) stays numpy's default.
    assert metrics.observed_percentile(values, 90) == pytest.approx(np.percentile(values, 90))


def test_a_median_on_a_jump_moves_less_than_the_jump():
    """100 requests in two clusters, 500 and 540 ms, split 50/50 by one request's noise: the
    sample median reads the jump's middle or either side; Harrell–Davis moves by a fraction."""
    low, high = [500.0 + i * 0.01 for i in range(50)], [540.0 + i * 0.01 for i in range(50)]
    one_more_low = [*low, 500.5, *high[1:]]
    plain = [metrics.observed_percentile(x, 50) for x in (low + high, one_more_low)]
    smooth = [metrics.percentile(x, 50) for x in (low + high, one_more_low)]
    assert plain[0] - plain[1] > 15.0  # half the jump
    assert 0.0 < smooth[0] - smooth[1] < 7.0


def test_wasserstein_with_unit_weights_is_scipy_s():
    import numpy as np
    from scipy import stats

    from gst_compare import bootstrap

    rng = np.random.default_rng(3)
    real, sim = rng.lognormal(3, 0.4, 40), rng.lognormal(3.2, 0.5, 40)
    ones = np.ones((1, 40))
    w1 = bootstrap.wasserstein(ones, real, ones, sim)[0]
    assert w1 == pytest.approx(stats.wasserstein_distance(real, sim))


def test_a_constant_per_request_error_has_a_point_interval():
    real = [10.0 * (i + 1) for i in range(40)]
    n, found = distance.sample_intervals((real, range(40)), ([1.1 * v for v in real], range(40)))
    assert n == 40
    for name in ("p50_rel", "p90_rel", "mean_rel"):
        assert found[name] == pytest.approx((0.1, 0.1))


def test_the_interval_holds_the_estimate_narrows_with_more_requests_and_repeats():
    rng = random.Random(11)

    def interval(n: int) -> tuple[float, float]:
        real = [rng.lognormvariate(3, 0.5) for _ in range(n)]
        sim = [v * rng.lognormvariate(0.1, 0.2) for v in real]
        error = distance.percentile_error(real, sim, 50, {})
        found = distance.sample_intervals((real, range(n)), (sim, range(n)))[1]["p50_rel"]
        assert found[0] <= error.rel_error <= found[1]
        again = distance.sample_intervals((real, range(n)), (sim, range(n)))[1]["p50_rel"]
        assert again == found  # seeded: the same samples give the same interval
        return found

    small, large = interval(40), interval(640)
    assert large[1] - large[0] < (small[1] - small[0]) / 2


def test_only_requests_both_sides_ran_are_resampled():
    n, found = distance.sample_intervals(([1.0, 2.0, 3.0], [1, 2, 3]), ([1.0, 2.0], [2, 3]))
    assert n == 2
    n, found = distance.sample_intervals(([1.0], [1]), ([1.0], [2]))
    assert n == 0 and found["p50_rel"] is None


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
    assert ttft.paired is not None and ttft.paired.n == 12 and ttft.n_requests == 12
    assert ttft.percentile(50).rel_interval is not None and ttft.paired.mape_interval is not None


@settings(max_examples=60, deadline=None)
@given(samples)
def test_a_sample_is_at_distance_zero_from_itself(values):
    same = distance.compare_samples("x", values, list(values))
    assert same.ks_statistic == 0.0 and same.ks_pvalue == pytest.approx(1.0)
    assert same.wasserstein_ms == 0.0 and same.mean_rel_error == 0.0
    assert all(p.rel_error == 0.0 for p in same.percentiles)
    intervals = [p.rel_interval for p in same.percentiles if p.rel_interval is not None]
    assert all(i == (0.0, 0.0) for i in intervals)
    paired = distance.paired_error(dict(enumerate(values)), dict(enumerate(values)))
    assert paired.mape == 0.0


@settings(max_examples=60, deadline=None)
@given(samples, samples)
def test_ks_and_wasserstein_are_symmetric(a, b):
    assert distance.ks(a, b) == pytest.approx(distance.ks(b, a))
    assert distance.wasserstein(a, b)[0] == pytest.approx(distance.wasserstein(b, a)[0])


@given(samples, st.floats(min_value=0.1, max_value=10.0), st.floats(min_value=-100, max_value=100))
@settings(max_examples=60, deadline=None)
def test_harrell_davis_lies_within_the_samples_grows_with_q_and_moves_with_them(values, a, b):
    """Inside [min, max], non-decreasing in q, and equivariant: hd(a·x + b) = a·hd(x) + b."""
    found = [metrics.percentile(values, q) for q in (1, 10, 50, 90, 99)]
    tolerance = 1e-9 * max(1.0, max(abs(v) for v in values))
    assert min(values) - tolerance <= found[0] and found[-1] <= max(values) + tolerance
    assert all(x <= y + tolerance for x, y in itertools.pairwise(found))
    moved = metrics.percentile([a * v + b for v in values], 50)
    assert moved == pytest.approx(a * found[2] + b, rel=1e-9, abs=1e-6)
