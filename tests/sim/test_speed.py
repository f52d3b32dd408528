"""The speed check around a real run: flags, factors, and a simulation priced at that speed."""

from __future__ import annotations

import json
import statistics
from dataclasses import replace

import pytest

from gst_bench.sim import variants
from gst_bench.sim.speed import (
    SPEED_LIMIT,
    SpeedCheck,
    SpeedMatch,
    curve_through,
    prefill_level,
)
from gst_bench.sim.vidur_adapter import simulate
from gst_compare import metrics
from tests.sim.conftest import compose, small_workload

META = {"made": {"decode_probe_context": 32}}
ROWS = {1: 170.0, 32: 700.0}


def check(before: tuple[float, float], after: tuple[float, float]) -> dict:
    return {
        "before_ms": {"decode": before[0], "prefill": before[1]},
        "after_ms": {"decode": after[0], "prefill": after[1]},
        "decode_context": 32,
        "prefill_tokens": 32,
    }


def test_factors_go_from_decode_at_one_token_to_prefill_from_32() -> None:
    speed = SpeedMatch(decode=1.1, prefill=0.9)
    assert speed.at(1) == 1.1 and speed.at(32) == speed.at(256) == 0.9
    assert 0.9 < speed.at(8) < 1.1 and speed.at(4) > speed.at(8)
    assert SpeedMatch().identity and not speed.identity


def test_the_match_is_the_mean_of_both_checks_over_the_profile() -> None:
    found = SpeedCheck.of(check((184.0, 720.0), (190.0, 740.0)), META, ROWS)
    assert found is not None
    assert found.match() == SpeedMatch(decode=round(187 / 170, 6), prefill=round(730 / 700, 6))
    assert found.flags(matched=True) == []  # steady during the run: priced at its speed
    (flag,) = found.flags(matched=False)  # unmatched, 11.8 % off the profile is a flag
    assert flag.startswith("the machine ran 11.8% slower after the real run than while profiling")


def test_a_machine_that_changed_during_the_run_is_flagged() -> None:
    drift = 1 + 2 * SPEED_LIMIT
    found = SpeedCheck.of(check((170.0, 700.0), (170.0 * drift, 700.0)), META, ROWS)
    (flag,) = found.flags(matched=True)
    assert flag.startswith("the machine changed speed during the real run: decode step 170.0 ms")
    assert SpeedCheck.of(check((170.0, 700.0), (170.0, 700.0)), {"made": {}}, ROWS) is None
    assert SpeedCheck.of(None, META, ROWS) is None


def mirrored_real(sim, speed_check: dict, shift_ns: int = 0):
    """``sim`` relabelled as the real run it mirrors, its stamps moved by ``shift_ns`` after
    each arrival and its speed check replaced."""
    records = tuple(
        replace(
            r,
            scheduled_at_ns=r.scheduled_at_ns + shift_ns,
            first_token_at_ns=r.first_token_at_ns + shift_ns,
            completed_at_ns=r.completed_at_ns + shift_ns,
            token_times_ns=tuple(t + shift_ns for t in r.token_times_ns),
        )
        for r in sim.requests
    )
    extra = {"speed_check": speed_check, "scheduler": {"scheduler": "serial"}}
    return replace(
        sim, meta=replace(sim.meta, kind="real", variant="default", extra=extra), requests=records
    )


def test_a_calibrated_simulation_is_priced_at_the_speed_around_its_real_run(
    tiny_profile, tmp_path
) -> None:
    """Mirroring a real run whose checks saw the machine 10 % slower than the profile (and
    steady), the calibrated variant prices every step 10 % slower and says so; the a priori
    variant prices it as profiled."""
    workload = small_workload()
    cfg = compose("backend=serial", "vidur=corrected")
    base = simulate(workload, tiny_profile, cfg, out_root=tmp_path)
    rows = tiny_profile.whole_steps_ms()
    decode, prefill = rows[1], prefill_level(rows, 32, tiny_profile.grid.token_period)
    real = mirrored_real(base, check((decode * 1.1, prefill * 1.1), (decode * 1.1, prefill * 1.1)))
    calibrated_cfg = compose("backend=serial", "vidur=calibrated")
    matched = simulate(workload, tiny_profile, calibrated_cfg, real, out_root=tmp_path)
    speed = matched.meta.extra["speed_match"]
    assert speed["matched"] and speed["factors"] == pytest.approx({"decode": 1.1, "prefill": 1.1})
    assert matched.meta.noise_flags == base.meta.noise_flags
    fast, slow = (metrics.percentile(metrics.values(a, "tpot"), 50) for a in (base, matched))
    assert slow / fast == pytest.approx(1.1, rel=1e-3)
    apriori = simulate(workload, tiny_profile, cfg, real, out_root=tmp_path)
    assert apriori.requests == base.requests and not apriori.meta.extra["speed_match"]["matched"]


def residue_rows(base: float = 210.0, per_token: float = 12.0) -> dict[int, float]:
    """Whole steps of 8-11, 16-19, 32-35 and 64 tokens on an exact residue-class line."""
    extra = {0: 0.0, 1: 40.0, 2: 42.0, 3: 80.0}
    counts = [*range(8, 12), *range(16, 20), *range(32, 36), 64]
    return {n: base + per_token * (n - n % 4) + extra[n % 4] for n in counts}


def test_a_far_row_is_judged_against_the_others_and_does_not_move_the_level() -> None:
    """The 64-token row 13.7 % slow and the other rows within 1 %: the level at 32 tokens stays
    on the line the others draw, which the four rows without a remainder alone would lift."""
    rows = residue_rows()
    wobble = {n: 1 + 0.01 * ((n * 7) % 3 - 1) for n in rows}  # -1, 0 or +1 %
    noisy = {n: ms * wobble[n] for n, ms in rows.items()} | {64: rows[64] * 1.137}
    level = prefill_level(noisy, 32, period=4)
    assert level == pytest.approx(rows[32], rel=0.01)
    plain = [8, 16, 32, 64]
    slope, intercept = statistics.linear_regression(plain, [noisy[n] for n in plain])
    assert (intercept + 32 * slope) / level - 1 > 0.03
    # The far row is left out of the curve: the level is the one drawn without it.
    without = {n: ms for n, ms in noisy.items() if n != 64}
    assert level == pytest.approx(prefill_level(without, 32, period=4), rel=1e-9)


def test_the_level_follows_the_steps_bend() -> None:
    """Whole steps that bend upward (+0.01 ms per token squared, a 64-token step 4 % above the
    straight extension of the small ones): the straight line from 8 to 64 tokens lies 1 % above
    the 32-token step, and the prefill level is that step's time."""
    rows = {n: ms + 0.01 * (n - n % 4) ** 2 for n, ms in residue_rows().items()}
    chord = rows[8] + (rows[64] - rows[8]) * (32 - 8) / (64 - 8)
    assert chord / rows[32] - 1 > 0.01
    assert prefill_level(rows, 32, period=4) == pytest.approx(rows[32], rel=1e-9)


def test_no_curve_without_a_token_period_or_enough_rows() -> None:
    rows = residue_rows()
    assert curve_through(rows, period=1) is None
    assert curve_through({n: rows[n] for n in (8, 16, 17, 32, 64)}, period=4) is None
    assert curve_through({1: 150.0, 2: 250.0, 3: 300.0, 4: 260.0, 5: 300.0}, period=4) is None


# Fields that differ between any two simulations of the same inputs (wall clock, who ran it).
VOLATILE_META = ("started_at", "run_id", "test_id", "host", "versions", "git_commit")


def test_an_a_priori_simulation_reads_nothing_of_its_real_runs_timing(tiny_profile, tmp_path):
    """Change every timestamp of the judged real run and its speed probes: the corrected,
    stock and baseline artifacts come out the same, byte for byte but the wall-clock fields."""
    workload = small_workload()
    first = simulate(workload, tiny_profile, compose("backend=serial", "vidur=corrected"))
    steady = check((170.0, 700.0), (171.0, 702.0))
    slow = check((260.0, 990.0), (300.0, 1200.0))
    slow["during_ms"] = {"decode": [[1.0, 280.0]], "prefill": [[2.0, 1100.0]]}
    one, other = mirrored_real(first, steady), mirrored_real(first, slow, shift_ns=37_000_000)
    for variant in ("corrected", "stock", "baseline"):
        cfg = compose("backend=serial", f"vidur={variant}")
        a, b = (
            variants.simulate(workload, tiny_profile, cfg, real, out_root=tmp_path)
            for real in (one, other)
        )
        assert comparable(a) == comparable(b), variant


def comparable(artifact) -> str:
    data = artifact.to_dict()
    for key in VOLATILE_META:
        data["meta"].pop(key, None)
    data["meta"]["extra"].pop("timings_s", None)
    return json.dumps(data, sort_keys=True)


def probed(decode: list[float], prefill: list[float] = ()) -> SpeedCheck:
    """A steady check (170 / 700 ms both ends) with ``decode`` and ``prefill`` timed in the
    idle gaps, 2 s apart."""
    found = check((170.0, 700.0), (170.0, 700.0))
    found["during_ms"] = {
        "decode": [[2.0 * i, v] for i, v in enumerate(decode)],
        "prefill": [[2.0 * i + 1, v] for i, v in enumerate(prefill)],
    }
    result = SpeedCheck.of(found, META, ROWS)
    assert result is not None
    return result


def test_a_slow_stretch_between_steady_ends_is_flagged() -> None:
    """The checks at both ends agree; the machine slowed for a minute in between (what a
    serial run here showed: 165 -> 200-258 -> 165 ms)."""
    steady = [170.0, 172.0, 168.0, 171.0, 169.0] * 4
    assert probed(steady).flags(matched=True) == []
    slowed = [*steady[:6], 205.0, 210.0, 215.0, 208.0, 212.0, 207.0, *steady[:8]]
    (flag,) = probed(slowed).flags(matched=True)
    assert flag.startswith("the machine changed speed during the real run: the decode step")
    assert "from 12 s to 20 s (median of 5)" in flag and "limit 5%" in flag
    # One slow probe is not a stretch.
    assert probed([*steady[:10], 260.0, *steady[:9]]).flags(matched=True) == []
    # The prefill's probes are judged alike.
    (flag,) = probed(steady, [700.0] * 6 + [790.0] * 5 + [700.0] * 6).flags(matched=True)
    assert "the 32-token prefill timed in its idle gaps took 790.0 ms" in flag


def test_a_probed_step_is_priced_at_the_run_s_median_not_at_its_ends() -> None:
    """Steady through the run but 10 % slower than both ends: the probes price it; a step
    probed fewer than five times is priced at its checks."""
    slower = [187.0, 188.0, 186.0, 187.5, 186.5, 187.0]
    found = probed(slower, [710.0, 712.0])
    assert found.match() == SpeedMatch(decode=round(187.0 / 170, 6), prefill=1.0)
    assert found.flags(matched=True) == []
    # The ends of a probed step are not judged; those of a step without probes still are.
    moved = check((150.0, 700.0), (190.0, 760.0))
    moved["during_ms"] = {"decode": [[float(i), 170.0] for i in range(6)], "prefill": []}
    found = SpeedCheck.of(moved, META, ROWS)
    assert found is not None
    (flag,) = found.flags(matched=True)
    assert flag.startswith("the machine changed speed during the real run: 32-token prefill")


def test_too_few_probes_say_nothing() -> None:
    assert probed([250.0, 250.0, 250.0]).flags(matched=True) == []
    assert probed([250.0, 250.0, 250.0]).match() == SpeedMatch(1.0, 1.0)
    assert "during_ms" in probed([250.0]).to_dict()


def test_the_prefill_level_is_a_line_through_several_whole_steps() -> None:
    """One noisy row does not set the level: 32 tokens measured 6 % above the line its
    neighbours draw is priced on the line; remainder counts (33) stay out of it; a profile
    without enough rows around falls back to the row."""
    line = {n: 210.0 + 12.0 * n for n in (8, 16, 32, 64)}
    noisy = {1: 170.0, **line, 32: line[32] * 1.06, 33: 2000.0}
    level = prefill_level(noisy, 32, period=4)
    assert abs(level / line[32] - 1) < 0.03  # least squares spreads the 6 % over four rows
    assert level == pytest.approx(prefill_level({**noisy, 33: 1.0}, 32, period=4))
    assert prefill_level({n: line[n] for n in (8, 16, 32, 64)}, 32, 4) == pytest.approx(line[32])
    assert prefill_level({1: 170.0, 16: 402.0, 32: 700.0}, 32, 4) == 700.0
    meta = {"made": {"decode_probe_context": 32}, "grid": {"token_period": 4}}
    found = SpeedCheck.of(check((170.0, level), (170.0, level)), meta, noisy)
    assert found.match() == SpeedMatch(decode=1.0, prefill=1.0)
