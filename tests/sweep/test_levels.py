"""Sweep presets: one workload id per level, each its own load spec; and the capacity error's
interval logic, bounds included (pure logic, no session)."""

from __future__ import annotations

import math

import pytest

from gst_bench.workloads.levels import (
    LevelError,
    level_config,
    preset_levels,
    split_name,
    workload_overrides,
)
from gst_bench.workloads.workload import WorkloadSpec
from gst_compare.capacity import Crossing, Side
from gst_compare.config import ConfigComposer
from gst_compare.gate import FAIL, INCONCLUSIVE, PASS
from gst_compare.sweep import Bound, error_span, interval_verdict, split_level
from tests.suite_project import ROOT

VOCAB = 1000


@pytest.fixture(scope="module")
def loadsweep() -> dict:
    return ConfigComposer(ROOT / "configs").compose("workload=loadsweep")["workload"]


def test_the_loadsweep_preset_spans_both_engines_capacities(loadsweep):
    levels = preset_levels("loadsweep", loadsweep)
    assert len(levels.real) >= 5 and levels.real[0] <= 0.3 and levels.real[-1] >= 1.1
    assert set(levels.sim_only).isdisjoint(levels.real) and len(levels.sim_only) >= 4
    assert levels.names()[0] == "loadsweep@0.3"
    assert set(levels.sim_only_names()) < set(levels.names())


def test_a_level_is_the_preset_at_that_load_under_its_own_name(loadsweep):
    spec = WorkloadSpec.from_config(level_config("loadsweep@1.2", loadsweep), VOCAB)
    plain = WorkloadSpec.from_config(level_config("loadsweep", loadsweep), VOCAB)
    assert (spec.name, spec.arrival.load) == ("loadsweep@1.2", 1.2)
    assert (plain.name, plain.arrival.load) == ("loadsweep", 0.5)
    assert spec.prompt_len == plain.prompt_len and spec.seed == plain.seed


def test_the_same_level_gives_the_same_spec_and_another_level_another(loadsweep):
    def spec(name):
        return WorkloadSpec.from_config(level_config(name, loadsweep), VOCAB).to_dict()

    assert spec("loadsweep@0.9") == spec("loadsweep@0.9")
    assert spec("loadsweep@0.9") != spec("loadsweep@1.2")


def test_names_round_trip_through_both_packages():
    assert split_name("loadsweep@0.9") == ("loadsweep", 0.9)
    assert split_name("steady60") == ("steady60", None)
    assert split_level("loadsweep@0.9") == ("loadsweep", 0.9)
    assert split_level("steady60") is None
    assert workload_overrides("loadsweep@3") == ["workload=loadsweep", "workload.arrival.load=3.0"]


@pytest.mark.parametrize(
    ("name", "cfg", "message"),
    [
        ("loadsweep@fast", None, "the level after '@' must be a load > 0, got 'fast'"),
        ("loadsweep@-1", None, "must be a load > 0"),
        ("steady60@0.9", {"arrival": {"rate": 1}}, "preset 'steady60' lists no levels"),
    ],
)
def test_a_bad_level_says_what_to_write(name, cfg, message):
    with pytest.raises(LevelError, match=message.replace("(", r"\(")):
        level_config(name, cfg or {})


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        ({"levels": [0.5, 0.5], "arrival": {"load": 1}}, "give distinct loads > 0"),
        ({"levels": [0.5, "x"], "arrival": {"load": 1}}, "give distinct loads > 0"),
        ({"levels": [0.5], "arrival": {"rate": 1}}, "levels are loads"),
        ({"sim_levels": [0.5], "arrival": {"load": 1}}, "sim_levels without levels"),
    ],
)
def test_a_bad_level_list_is_refused(cfg, message):
    with pytest.raises(LevelError, match=message):
        preset_levels("p", cfg)


def bound(side: Side, rate: float) -> Bound:
    return Bound.of(Crossing(side, rate))


def test_a_capacity_error_between_two_crossings_is_a_number():
    assert error_span(bound(Side.CROSSED, 1.0), bound(Side.CROSSED, 1.1)) == pytest.approx(
        (0.1, 0.1)
    )


def test_a_bound_is_never_extrapolated_into_an_error():
    real, above = bound(Side.CROSSED, 1.0), bound(Side.ABOVE_HIGHEST, 1.5)
    low, high = error_span(real, above)
    assert low == pytest.approx(0.5) and math.isinf(high)
    assert error_span(bound(Side.ABOVE_HIGHEST, 1.5), above) == (-1.0, math.inf)
    low, high = error_span(bound(Side.BELOW_LOWEST, 0.3), bound(Side.CROSSED, 0.6))
    assert low == pytest.approx(1.0) and math.isinf(high)


@pytest.mark.parametrize(
    ("interval", "verdict"),
    [
        ((-0.1, 0.1), PASS),
        ((0.25, math.inf), FAIL),
        ((-1.0, -0.3), FAIL),
        ((0.1, math.inf), INCONCLUSIVE),
        ((-1.0, math.inf), INCONCLUSIVE),
    ],
)
def test_the_capacity_verdict_reads_the_interval_against_the_tolerance(interval, verdict):
    assert interval_verdict(interval, 0.2) == verdict
