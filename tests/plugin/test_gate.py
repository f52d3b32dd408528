"""Gates, pairing, drift and the report's formatters, without a pytest session."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gst_compare import baseline, comparison, gate, report, report_folder, report_json
from gst_compare.config import ConfigComposer
from gst_compare.distance import compare_metric
from gst_compare.pairing import STORE, Pairer, Side
from gst_compare.store import ArtifactStore
from tests.plugin.factory import make_artifact
from tests.suite_project import ROOT


def preset(name: str) -> gate.GateConfig:
    """A gate preset as the suite composes it (presets inherit ``default`` through Hydra)."""
    return gate.GateConfig.from_dict(
        ConfigComposer(ROOT / "configs").compose(f"gate={name}")["gate"]
    )


def verdict(scale: float, n: int = 40, gate_config: gate.GateConfig | None = None, metric="ttft"):
    real, sim = make_artifact("real", n=n, seed=1), make_artifact("sim", n=n, seed=1, scale=scale)
    return gate.judge(compare_metric(metric, real, sim), gate_config or preset("default"))


def test_the_variant_roles_of_the_presets():
    default, drift, strict = preset("default"), preset("drift"), preset("strict")
    assert (default.primary_variant, default.baseline_variant) == ("corrected", "baseline")
    assert default.calibrated_variants == ("calibrated",)
    assert default.advisory_variants == ("stock", "baseline", "calibrated")
    reference = ("reports/cpu-reference/store",)
    assert default.floor_stores == reference and drift.floor_stores == reference
    variants = ("corrected", "stock", "baseline", "calibrated")
    assert all(drift.is_advisory(v) for v in variants)
    assert not default.is_advisory("corrected") and not strict.is_advisory("stock")
    assert strict.is_advisory("calibrated")  # a calibrated variant is never the verdict


def test_both_presets_load_and_strict_is_tighter():
    default, strict = preset("default"), preset("strict")
    for key, limit in default.percentile_rel_error.items():
        assert strict.percentile_rel_error[key] < limit
    for key, limit in default.percentile_abs_error_ms.items():
        assert strict.percentile_abs_error_ms[key] < limit
    assert strict.wasserstein_rel_max < default.wasserstein_rel_max


@pytest.mark.parametrize(("scale", "expected"), [(1.0, "pass"), (1.5, "fail"), (0.6, "fail")])
def test_the_gate_is_two_sided(scale, expected):
    assert verdict(scale).verdict == expected


def test_too_few_requests_is_inconclusive_and_says_how_many_are_needed():
    result = verdict(3.0, n=20)
    assert result.verdict == "inconclusive"
    assert result.note.startswith("n=20 requests < min_requests 30: run a workload of ≥ 30")
    assert all(c.verdict == "inconclusive" for c in result.checks)


@pytest.mark.parametrize(("n", "expected"), [(29, "inconclusive"), (30, "pass")])
def test_min_requests_is_the_first_count_that_is_judged(n, expected):
    """min_requests is 30: 29 paired requests are not judged, 30 are."""
    real, sim = make_artifact("real", n=n, seed=1), make_artifact("sim", n=n, seed=1)
    result = gate.judge(compare_metric("ttft", real, sim, resamples=200), preset("default"))
    assert preset("default").min_requests == 30
    assert result.verdict == expected
    assert result.note.startswith(f"n={n} requests < min_requests 30") == (n == 29)


@pytest.mark.parametrize(
    ("value", "interval", "two_sided", "expected", "needed"),
    [
        (0.10, (0.05, 0.15), True, "pass", None),
        (0.50, (0.40, 0.60), True, "fail", None),
        (-0.50, (-0.60, -0.40), True, "fail", None),
        (0.20, (0.10, 0.30), True, "inconclusive", 160),  # 40 · ((0.30 − 0.20) / 0.05)²
        (0.30, (0.20, 0.40), True, "inconclusive", 160),
        (0.25, (0.20, 0.30), True, "inconclusive", None),  # on the edge: data cannot decide
        (0.10, (0.05, 0.20), False, "pass", None),
        (-0.10, (-0.20, 0.05), False, "pass", None),  # one-sided: only the upper edge counts
        (0.30, (0.26, 0.40), False, "fail", None),
        (0.125, (0.0, 0.25), True, "pass", None),  # an edge exactly on the limit is inside
        (-0.125, (-0.25, 0.0), True, "pass", None),
        (0.375, (0.25, 0.5), True, "inconclusive", 41),  # touching the limit is not outside
        (0.125, (0.0, 0.25), False, "pass", None),
    ],
)
def test_an_interval_inside_passes_outside_fails_across_is_inconclusive(
    value, interval, two_sided, expected, needed
):
    assert gate.decide(value, interval, 0.25, two_sided, 40) == (expected, needed)


@pytest.mark.parametrize(
    "interval",
    [(math.nan, 0.1), (-math.inf, 0.1), (0.0, math.inf), (math.nan, math.nan)],
)
def test_a_non_finite_interval_is_inconclusive_and_more_data_is_not_promised(interval):
    assert gate.decide(0.05, interval, 0.25, True, 40) == ("inconclusive", None)
    assert gate.decide(0.05, interval, 0.25, True, 40, floor=0.01) == ("inconclusive", None)
    assert gate.decide(None, (0.0, 0.1), 0.25, True, 40) == ("inconclusive", None)


@pytest.mark.parametrize(
    ("interval", "floor", "expected", "needed"),
    [
        ((0.0, 0.125), 0.125, "pass", None),  # widened exactly onto the limit: inside
        ((0.0, 0.125), 0.25, "inconclusive", None),  # the floor alone reaches the limit
        ((0.0, 0.125), 0.0625, "pass", None),
        ((0.375, 0.5), 0.0625, "fail", None),  # widened, still wholly outside
        ((0.375, 0.5), 0.125, "inconclusive", 41),  # widened onto the limit: not outside
        # Only the bootstrap's half width (0.1) narrows with n; the floor takes its share of
        # the margin: 40 · (0.1 / (0.25 − 0.1 − 0.0625))² = 52.2…
        ((0.0, 0.2), 0.0625, "inconclusive", 53),
    ],
)
def test_the_floor_widens_the_interval_on_both_sides(interval, floor, expected, needed):
    value = (interval[0] + interval[1]) / 2
    assert gate.decide(value, interval, 0.25, True, 40, floor=floor) == (expected, needed)


def test_a_floor_turns_a_pass_into_inconclusive_and_is_recorded_per_check():
    real, sim = make_artifact("real", n=40, seed=1), make_artifact("sim", n=40, seed=2)
    distance = compare_metric("ttft", real, sim, resamples=200)
    plain = gate.judge(distance, preset("default"))
    assert plain.verdict == "pass" and all(c.floor is None for c in plain.checks)
    floored = gate.judge(distance, preset("default"), {"p50": 0.3, "p90": 0.01})
    checks = {c.name: c for c in floored.checks}
    assert floored.verdict == "inconclusive"
    assert (checks["p50"].verdict, checks["p50"].floor) == ("inconclusive", 0.3)
    assert checks["p50"].needed_requests is None  # more requests cannot narrow a floor
    assert (checks["p90"].verdict, checks["p90"].floor) == ("pass", 0.01)
    assert checks["p50"].interval == {c.name: c for c in plain.checks}["p50"].interval
    assert checks["wasserstein"].floor is None


@settings(max_examples=200, deadline=None)
@given(
    st.floats(-2, 2),
    st.floats(0.001, 1),
    st.floats(0.01, 1),
    st.floats(0.0, 1.0),
    st.booleans(),
)
def test_a_narrower_interval_never_changes_a_decided_verdict(value, width, limit, shrink, two):
    wide = (value - width, value + width)
    narrow = (value - width * shrink, value + width * shrink)
    decided, _ = gate.decide(value, wide, limit, two, 40)
    if decided != "inconclusive":
        assert gate.decide(value, narrow, limit, two, 80)[0] == decided


def test_queueing_is_judged_in_ms_and_the_rest_relative():
    checks = {c.name: c for c in verdict(1.0, metric="queueing").checks}
    assert checks["p50"].unit == "ms" and checks["wasserstein"].unit == "ms"
    assert {c.unit for c in verdict(1.0).checks} == {"rel"}


@pytest.mark.parametrize(("scale", "expected"), [(1.0, "pass"), (3.0, "fail")])
def test_noise_flags_do_not_veto_a_verdict(tmp_path, scale, expected):
    flags = ("load 3.1 during the run",)
    real = make_artifact("real", n=40, seed=1, noise_flags=flags)
    sim = make_artifact("sim", n=40, seed=1, scale=scale, noise_flags=("a noisy profile",))
    pair = comparison.Pair(side(real), side(sim))
    result = comparison.judge_pair(pair, preset("default"), comparison.Extensions())
    assert result.verdict == expected
    assert all(not v.note for v in result.verdicts if v.counts)
    assert result.real.noise_flags == flags


def test_optional_gates_judge_the_mean_and_the_paired_mape():
    strict = preset("strict")
    names = {c.name for c in verdict(1.0, gate_config=strict).checks}
    assert {"mean", "mape", "wasserstein"} <= names
    no_percentiles = replace(
        strict, percentile_rel_error={}, wasserstein_rel_max=None, mape_max=None
    )
    assert verdict(1.3, gate_config=no_percentiles).verdict == "fail"


def test_a_metric_missing_on_one_side_is_inconclusive():
    result = verdict(1.0, metric="itl")
    assert result.verdict == "inconclusive" and "no per-token times" in result.note


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"percentile_rel_error": {"p50": -0.1}},
            "gate.percentile_rel_error.p50=-0.1; use a number ≥ 0",
        ),
        (
            {"percentile_abs_error_ms": {"p42": 0.1}},
            "gate.percentile_abs_error_ms.p42: unknown percentile",
        ),
        ({"wasserstein_rel_max": "x"}, "gate.wasserstein_rel_max='x'"),
        ({"confidence": 1.5}, "gate.confidence=1.5; use a number in (0.5, 1)"),
        ({"min_requests": 1}, "gate.min_requests=1; use an integer ≥ 2"),
        ({"metrics": ["ttft", "nope"]}, "gate.metrics=['ttft', 'nope']; choose a list from"),
        ({"ks_pvalue_min": 0.01}, "unknown gate setting(s) ['ks_pvalue_min']"),
        ({"primary_variant": ["corrected"]}, "gate.primary_variant=['corrected']; use one"),
        ({"baseline_variant": 3}, "gate.baseline_variant=3; use one variant name"),
        ({"calibrated_variants": "calibrated"}, "gate.calibrated_variants='calibrated'; use a"),
        ({"advisory_variants": [1]}, "gate.advisory_variants=[1]; use a list of names"),
        ({"floor_stores": "reports/x"}, "gate.floor_stores='reports/x'; use a list of names"),
        (
            {"primary_variant": "calibrated", "calibrated_variants": ["calibrated"]},
            "gate.primary_variant='calibrated' is also in gate.calibrated_variants",
        ),
        (
            {"primary_variant": "corrected", "baseline_variant": "corrected"},
            "gate.baseline_variant='corrected' is the gate.primary_variant",
        ),
    ],
)
def test_bad_gate_settings_are_refused_with_the_value(data, message):
    with pytest.raises(gate.GateConfigError, match=re.escape(message)):
        gate.GateConfig.from_dict(data)


def test_marker_overrides_apply_and_are_checked():
    overridden = preset("default").with_overrides(
        {"p50": 0.9, "abs_p90": 5, "wasserstein_rel_max": None}
    )
    assert overridden.percentile_rel_error["p50"] == 0.9
    assert overridden.percentile_abs_error_ms["p90"] == 5 and overridden.wasserstein_rel_max is None
    assert gate.marker_problems({"p50": 0.1, "metrics": ["ttft"]}) == []
    assert gate.marker_problems({"p51": 0.1})[0].startswith("unknown gst_gate argument 'p51'")


def store_with(tmp_path: Path, *artifacts) -> ArtifactStore:
    store = ArtifactStore(tmp_path / "out")
    for artifact in artifacts:
        store.save(artifact)
    return store


def side(artifact) -> Side:
    return Side(artifact, Path("/dev/null"), test_id=artifact.meta.test_id)


def test_pairing_completes_a_missing_side_from_the_store(tmp_path):
    stored_real = make_artifact("real", run_id="old", test_id="t::real")
    pairing = Pairer(store_with(tmp_path, stored_real)).pair(
        [side(make_artifact("sim", variant="stock"))]
    )
    (pair,) = pairing.pairs
    assert pair.real.source == STORE and pair.real.meta.run_id == "old"
    assert pair.real.test_id == "t::real"


def test_pairing_refuses_a_stored_side_of_another_workload_version(tmp_path):
    stored_real = make_artifact("real", run_id="old", workload_hash="e" * 32)
    pairing = Pairer(store_with(tmp_path, stored_real)).pair([side(make_artifact("sim"))])
    assert not pairing.pairs
    (refusal,) = pairing.refused
    assert refusal.reason.startswith("workload hashes differ (real eeeeeeeeeeee, sim 0123456789ab)")


def test_a_lone_side_is_unpaired_with_a_hint(tmp_path):
    pairing = Pairer(ArtifactStore(tmp_path / "empty")).pair([side(make_artifact("real"))])
    (unpaired,) = pairing.unpaired
    assert "run the sim test for workload 'tiny'" in unpaired.hint


def test_one_real_pairs_with_every_sim_variant(tmp_path):
    sides = [side(make_artifact("real"))] + [side(make_artifact("sim", variant=v)) for v in "ab"]
    pairing = Pairer(ArtifactStore(tmp_path)).pair(sides)
    assert [p.label for p in pairing.pairs] == [
        "tiny · qwen3-0.6b · cpu · serial · sim=a",
        "tiny · qwen3-0.6b · cpu · serial · sim=b",
    ]


def test_drift_is_exact_by_default_and_ignores_provenance(tmp_path):
    folder = baseline.BaselineFolder(tmp_path)
    base = make_artifact("sim", variant="stock", run_id="first")
    assert baseline.check_drift(base, folder, 0.0, accept=False).status == "no baseline"
    assert baseline.check_drift(base, folder, 0.0, accept=True).status == "accepted"
    assert folder.path_for(base).name == "tiny__qwen3-0.6b__cpu__serial__stock__0123456789.json"
    again = make_artifact("sim", variant="stock", run_id="second")
    assert baseline.check_drift(again, folder, 0.0, accept=False).status == "match"
    moved = make_artifact("sim", variant="stock", scale=1.0001)
    drifted = baseline.check_drift(moved, folder, 0.0, accept=False)
    assert drifted.failed and drifted.n_differences > 0
    assert len(drifted.differences) <= baseline.SHOWN_DIFFERENCES
    assert baseline.check_drift(moved, folder, 0.01, accept=False).status == "match"


def test_a_baseline_made_from_other_inputs_is_not_drift(tmp_path):
    folder = baseline.BaselineFolder(tmp_path)
    made = make_artifact("sim", variant="stock")
    folder.accept(replace(made, meta=replace(made.meta, extra={"inputs_digest": "profile-a"})))
    moved = make_artifact("sim", variant="stock", scale=1.2)
    other = replace(moved, meta=replace(moved.meta, extra={"inputs_digest": "profile-b"}))
    result = baseline.check_drift(other, folder, 0.0, accept=False)
    assert (result.status, result.failed) == ("other inputs", False)
    same = replace(moved, meta=replace(moved.meta, extra={"inputs_digest": "profile-a"}))
    assert baseline.check_drift(same, folder, 0.0, accept=False).failed
    assert baseline.check_drift(other, folder, 0.0, accept=False, required=True).failed


def test_a_required_baseline_that_is_missing_fails(tmp_path):
    folder = baseline.BaselineFolder(tmp_path)
    artifact = make_artifact("sim", variant="stock")
    assert not baseline.check_drift(artifact, folder, 0.0, accept=False).failed
    assert baseline.check_drift(artifact, folder, 0.0, accept=False, required=True).failed


def test_drift_reports_changed_request_ids(tmp_path):
    folder = baseline.BaselineFolder(tmp_path)
    folder.accept(make_artifact("sim", n=4))
    fewer = make_artifact("sim", n=4, ids=[0, 1, 2, 9])
    (line,) = baseline.differences(fewer, folder.load(fewer), 0.0)
    assert line == "request ids differ: 1 new [9], 1 gone [3]"


def test_the_report_is_json_safe_and_verdict_first(tmp_path):
    data = report.ComparisonReport(run_id="r1", errors=["boom"])
    data.verdict = comparison.decide(data)
    data.notes.append("inf stays readable")
    data.provenance["ratio"] = float("inf")
    path = report_folder.write(data, tmp_path / "r1")
    loaded = json.loads((tmp_path / "r1" / "comparison.json").read_text())
    assert loaded["schema_version"] == report_json.REPORT_SCHEMA_VERSION == 4
    assert loaded["verdict"] == "fail" and loaded["provenance"]["ratio"] == "inf"
    assert path.read_text().startswith("# FAIL — boom.\n")
    assert (tmp_path / "latest").resolve() == (tmp_path / "r1").resolve()


def test_a_session_with_nothing_judged_is_not_a_pass():
    assert comparison.decide(report.ComparisonReport(run_id="r")) == "inconclusive"
