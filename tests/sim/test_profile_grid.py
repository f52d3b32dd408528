"""Grid needs follow Vidur's rounding; the covering grid reaches every need."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gst_bench.sim.profile_grid import GridNeeds, ProfileGrid, SchedulerLimits, needs_for

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


@given(lengths, st.sampled_from([FIFO, SERIAL]))
def test_covering_grid_has_no_gaps(pairs, limits) -> None:
    needs = needs_for(pairs, limits)
    grid = ProfileGrid.covering(needs)
    assert grid.gaps(needs) == []
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
