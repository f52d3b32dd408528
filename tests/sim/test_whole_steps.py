"""Whole steps off their neighbours' line: found, and priced on it only when the switch says."""

from __future__ import annotations

import json
import shutil
import statistics

import pandas as pd
import pytest

from gst_bench.analysis.composition import closure_markdown
from gst_bench.profile.format import ProfileInfo, content_hash
from gst_bench.sim.speed import prefill_level
from gst_bench.sim.vidur_adapter import simulate
from gst_bench.sim.whole_steps import ROW_LIMIT, line_through, off_line
from gst_bench.workloads.workload import WorkloadSpec, generate
from tests.sim.conftest import compose

FF = "time_stats.full_forward.median"


def residue_rows(base: float = 210.0, per_token: float = 12.0) -> dict[int, float]:
    """Whole steps of 8-11, 16-19, 32-35 and 64 tokens on an exact residue-class line."""
    extra = {0: 0.0, 1: 40.0, 2: 42.0, 3: 80.0}
    counts = [*range(8, 12), *range(16, 20), *range(32, 36), 64]
    return {n: base + per_token * (n - n % 4) + extra[n % 4] for n in counts}


def test_one_row_off_the_line_is_found_and_the_others_are_not() -> None:
    rows = residue_rows()
    assert off_line(rows, period=4) == []
    noisy = {**rows, 17: rows[17] * 1.108, 34: rows[34] * (1 + ROW_LIMIT / 2)}
    (found,) = off_line(noisy, period=4)
    assert found.tokens == 17 and found.line_ms == pytest.approx(rows[17], rel=0.01)
    assert found.off == pytest.approx(0.108, abs=1e-3)
    assert found.describe().startswith(
        f"17 tokens measured {noisy[17]:.1f} ms, {found.off:+.1%} off"
    )


def test_a_far_row_is_judged_against_the_others_and_does_not_move_the_level() -> None:
    """The 64-token row 13.7 % slow (as in a noisy profile of 2026-11-29) and the other rows
    within 1 %: that row alone is off the line, and the speed match's prefill level at 32 tokens
    stays on the line. A line through all rows would have met it a third of the way and put
    good rows off it; the four rows without a remainder alone would lift the level ~4 %."""
    rows = residue_rows()
    wobble = {n: 1 + 0.01 * ((n * 7) % 3 - 1) for n in rows}  # -1, 0 or +1 %
    noisy = {n: ms * wobble[n] for n, ms in rows.items()} | {64: rows[64] * 1.137}
    (found,) = off_line(noisy, period=4)
    assert found.tokens == 64 and found.off == pytest.approx(0.137, abs=0.015)
    level = prefill_level(noisy, 32, period=4)
    assert level == pytest.approx(rows[32], rel=0.01)
    plain = [8, 16, 32, 64]
    slope, intercept = statistics.linear_regression(plain, [noisy[n] for n in plain])
    assert (intercept + 32 * slope) / level - 1 > 0.03


def test_the_level_follows_the_steps_bend() -> None:
    """Whole steps that bend upward (+0.01 ms per token squared, a 64-token step 4 % above the
    straight extension of the small ones): no row is off the line, a straight line lies 0.8 %
    above the 32-token step, and the prefill level is that step's time."""
    rows = {n: ms + 0.01 * (n - n % 4) ** 2 for n, ms in residue_rows().items()}
    assert off_line(rows, period=4) == []
    assert line_through(rows, period=4)(32) / rows[32] - 1 > 0.007
    assert prefill_level(rows, 32, period=4) == pytest.approx(rows[32], rel=1e-9)


def test_a_remainder_class_keeps_the_rows_that_place_it() -> None:
    """The 10-token step 30 % and the 18-token one 8 % dear, the class's third row (34 tokens)
    on the line: 10 is taken out and found off; 18 is not, since 34 alone could not place the
    class. Taking 18 out too would leave the class no row of its own, price 34 at a remainder
    of 0 and call it 7 % off."""
    rows = residue_rows()
    moved = {**rows, 10: rows[10] * 1.30, 18: rows[18] * 1.08}
    assert [row.tokens for row in off_line(moved, period=4)] == [10]


def test_nothing_is_judged_without_a_token_period_or_enough_rows() -> None:
    noisy = {**residue_rows(), 17: 999.0}
    assert off_line(noisy, period=1) == []
    assert off_line({n: noisy[n] for n in (8, 16, 17, 32, 64)}, period=4) == []


def test_the_switch_prices_an_off_line_row_on_the_line(tiny_profile, tmp_path) -> None:
    """The tiny model's real profile, its whole steps from 8 to 64 tokens first set on a
    straight line (its own rows scatter by several % on a loaded machine: its steps take a few ms),
    then its 17-token step made 30 % dearer: with ``whole_steps_on_line`` corrected Vidur prices
    exactly as a profile whose off-line rows were measured on the line; without it, 17-token
    prompts cost the extra 30 %."""
    steps = tiny_profile.whole_steps_ms()
    period = tiny_profile.grid.token_period
    slope = (steps[64] - steps[8]) / 56

    def line(n: int) -> float:
        return steps[8] + slope * (n - n % period - 8)

    span = [n for n in steps if 8 <= n <= 64]
    quiet = edited(tiny_profile, tmp_path / "quiet", {n: line(n) - steps[n] for n in span})
    noisy = edited(quiet, tmp_path / "noisy", {17: 0.3 * line(17)})
    found = off_line(noisy.whole_steps_ms(), noisy.grid.token_period)
    assert [row.tokens for row in found] == [17]
    on_the_line = edited(
        noisy, tmp_path / "line", {r.tokens: r.line_ms - r.measured_ms for r in found}
    )

    workload = seventeen_tokens()
    cfg = compose("backend=serial", "vidur=corrected")
    off = compose("backend=serial", "vidur=corrected", "vidur.switches.whole_steps_on_line=false")
    smoothed = simulate(workload, noisy, cfg, out_root=tmp_path / "a")
    expected = simulate(workload, on_the_line, off, out_root=tmp_path / "b")
    as_measured = simulate(workload, noisy, off, out_root=tmp_path / "c")
    assert smoothed.requests == expected.requests
    assert _ttft(as_measured) > _ttft(smoothed) * 1.1
    (line,) = [x for x in closure_markdown([as_measured]) if "17 tokens" in x]
    assert line.startswith("- off the line: 17 tokens measured") and "priced as measured" in line
    (line,) = [x for x in closure_markdown([smoothed, as_measured]) if "17 tokens" in x]
    assert line.endswith("priced on the line by sim=corrected (`whole_steps_on_line`)")


def edited(profile: ProfileInfo, folder, added_ms: dict[int, float]) -> ProfileInfo:
    """A copy of ``profile`` whose whole steps (and so their per-step overhead) at the given
    token counts cost ``added_ms`` more."""
    shutil.copytree(profile.path, folder)
    compute = pd.read_csv(folder / "mlp.csv")
    for tokens, added in added_ms.items():
        at = compute["num_tokens"] == tokens
        for column in (FF, "time_stats.step_overhead.median"):
            compute.loc[at, column] += added
    compute.to_csv(folder / "mlp.csv", index=False)
    meta = json.loads((folder / "profile.json").read_text())
    (folder / "profile.json").write_text(json.dumps({**meta, "content_hash": content_hash(folder)}))
    return ProfileInfo.load(folder)


def seventeen_tokens():
    spec = WorkloadSpec.from_config(
        {
            "name": "seventeen",
            "seed": 3,
            "num_requests": 4,
            "arrival": {"process": "poisson", "rate": 0.5},
            "prompt_len": {"dist": "uniform", "min": 17, "max": 17},
            "output_len": {"dist": "uniform", "min": 2, "max": 4},
        },
        vocab_size=1000,
    )
    return generate(spec)


def _ttft(artifact) -> float:
    return sum(r.first_token_at_ns - r.arrived_at_ns for r in artifact.requests) / len(
        artifact.requests
    )


def test_a_grid_with_no_rows_in_the_span_has_nothing_off_the_line() -> None:
    """A profile for short prompts only (no whole step from 8 tokens on) is not judged."""
    assert off_line({1: 150.0, 2: 250.0, 3: 300.0, 4: 260.0, 5: 300.0}, period=4) == []
