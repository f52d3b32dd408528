"""Grid needs follow Vidur's rounding; the covering grid reaches every need."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gst_bench.profile.grid import GridNeeds, ProfileGrid, SchedulerLimits, TokenPeriod, needs_for
from gst_bench.sim.prediction_tables import residue_interp

FIFO = SchedulerLimits.from_config(
    {
        "scheduler": "fifo",
        "max_batch_tokens": 256,
        "block_size": 64,
        "num_blocks": 64,
        "max_batch_size": 32,
    }
)
SERIAL = SchedulerLimits.from_config({"name": "serial", "max_batch_size": 1})

lengths = st.lists(st.tuples(st.integers(1, 3000), st.integers(1, 600)), min_size=1, max_size=40)


def test_needs_round_like_vidur() -> None:
    serial = needs_for([(50, 10), (20, 3)], SERIAL)
    assert serial == GridNeeds(
        batch_tokens=56, prefill_chunk=64, prefill_context=256, decode_batch=1, decode_context=256
    )
    fifo = needs_for([(50, 10), (300, 3)], FIFO)
    assert (fifo.batch_tokens, fifo.prefill_chunk, fifo.decode_batch) == (256, 256, 2)
    assert fifo.max_tokens_per_request == 512


def test_fifo_needs_cover_the_prefill_of_a_preempted_request() -> None:
    # Restarted after preemption, a 40-token prompt with 70 tokens generated prefills 110.
    fifo = needs_for([(40, 70)], FIFO)
    assert (fifo.prefill_chunk, fifo.prefill_context) == (128, 256)
    assert needs_for([(40, 70)], SERIAL).prefill_chunk == 64


@given(lengths, st.sampled_from([FIFO, SERIAL]), st.sampled_from([1, 3, 4]))
def test_covering_grid_has_no_gaps(pairs, limits, period) -> None:
    needs = needs_for(pairs, limits)
    wanted = TokenPeriod(period, 32 if period > 1 else 0)
    grid = ProfileGrid.covering(needs, wanted)
    assert grid.gaps(needs) == [] and grid.period_gaps(wanted) == []
    assert ProfileGrid.from_dict(grid.to_dict()) == grid


@given(lengths, lengths)
def test_union_covers_both(first, second) -> None:
    a, b = needs_for(first, FIFO), needs_for(second, SERIAL)
    grid = ProfileGrid.covering(a).union(ProfileGrid.covering(b))
    assert grid.gaps(a) == [] and grid.gaps(b) == [] and grid.gaps(a.merge(b)) == []


def test_gaps_name_what_is_missing() -> None:
    grid = ProfileGrid.covering(needs_for([(40, 8)], SERIAL))
    gaps = grid.gaps(needs_for([(2000, 8)], SERIAL))
    assert any("prefill chunk up to 2016" in gap for gap in gaps)


def test_a_token_period_measures_the_remainders_beside_each_power_of_two() -> None:
    needs = needs_for([(40, 8)], SERIAL)
    grid = ProfileGrid.covering(
        needs, TokenPeriod.from_config({"token_period": {"period": 4, "up_to": 32}})
    )
    assert grid.num_tokens == (
        *(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 32, 33, 34, 35, 40),
    )
    assert grid.token_period == 4
    # A profile made without them is named as such, so the next profiling run adds them.
    plain = ProfileGrid.covering(needs)
    assert plain.period_gaps(TokenPeriod(4, 32)) == [
        "token period 4 (profile made with 1; counts [3, 5, 6, 7, 9, 10, 11, 17, 18, 19, 33, 34, "
        "35] missing)"
    ]
    # Profiles written before the period existed read as period 1.
    old = {k: v for k, v in plain.to_dict().items() if k != "token_period"}
    assert ProfileGrid.from_dict(old) == plain


@pytest.mark.parametrize("cfg", [{"period": 0}, {"period": 4, "up_to": 4}, {"period": 4}])
def test_a_bad_token_period_says_where_to_fix_it(cfg) -> None:
    with pytest.raises(ValueError, match="configs/hardware"):
        TokenPeriod.from_config({"token_period": cfg})


def blocked(n: float) -> float:
    """A cost blocked in 4s: a line, plus a remainder's fixed price (5 ms per leftover row)."""
    return 100 + 10 * n + 5 * (n % 4)


def test_counts_are_priced_within_their_remainder_class() -> None:
    xs = [1, 2, 4, 8, 9, 10, 11, 16, 17, 18, 19, 32, 33, 34, 35, 64]
    ys = [blocked(x) for x in xs]
    points = list(range(4, 65))
    assert np.allclose(residue_interp(xs, ys, points, 4), [blocked(n) for n in points])
    # Exact at every measured point, and period 1 is plain interpolation.
    assert np.allclose(residue_interp(xs, ys, xs, 4), ys)
    assert np.allclose(residue_interp(xs, ys, points, 1), np.interp(points, xs, ys))
    # Plain interpolation misprices the remainders: that is what the period is for.
    assert not np.allclose(residue_interp(xs, ys, points, 1), [blocked(n) for n in points])
