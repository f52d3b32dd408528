"""The floor: two real runs of one pair key compared by the same code as a simulation, found in
the session's store first and then in ``gate.floor_stores``; it widens every check's interval."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from gst_compare.distance import compare_metric
from gst_compare.floor import Floors
from gst_compare.gate import GateConfig
from gst_compare.store import ArtifactStore
from tests.plugin.factory import make_artifact
from tests.plugin.project import GstProject
from tests.plugin.test_gate import preset

REAL = {"n": 40, "seed": 1}
CLOSE = {"n": 40, "seed": 2, "variant": "corrected"}


def gate_with(**changes) -> GateConfig:
    return replace(preset("default"), bootstrap_resamples=200, **changes)


def saved(root: Path, run_id: str, **options) -> ArtifactStore:
    store = ArtifactStore(root)
    store.save(make_artifact("real", run_id=run_id, test_id=f"t::real[{run_id}]", **options))
    return store


def test_the_floor_is_each_checks_error_of_the_newer_real_run_against_the_older(tmp_path):
    store = saved(tmp_path, "run-a", n=40, seed=1)
    saved(tmp_path, "run-b", n=40, seed=3, scale=1.1)
    newer = make_artifact("real", n=40, seed=3, scale=1.1, run_id="run-b")
    floor = Floors(store, tmp_path).measure(newer, gate_with())
    assert floor.measured and (floor.real_run, floor.sim_run) == ("run-a", "run-b")
    assert floor.source == "real run run-a against run-b (.)"
    older = make_artifact("real", n=40, seed=1, run_id="run-a")
    ttft = compare_metric("ttft", older, newer, resamples=200)
    assert floor.of("ttft")["p50"] == abs(ttft.percentile(50).rel_error) > 0.05
    queueing = compare_metric("queueing", older, newer, resamples=200)
    assert floor.of("queueing")["p90"] == abs(queueing.percentile(90).abs_error_ms)  # in ms
    assert set(floor.of("ttft")) == {"p50", "p90", "wasserstein"}


def test_the_sessions_store_comes_first_then_the_first_floor_store_holding_two(tmp_path):
    session = saved(tmp_path / "session", "run-s1", **REAL)
    saved(tmp_path / "one", "run-o1", **REAL)
    saved(tmp_path / "reference", "run-f1", **REAL)
    saved(tmp_path / "reference", "run-f2", n=40, seed=5)
    gate = gate_with(floor_stores=("one", "reference"))
    floor = Floors(session, tmp_path).measure(make_artifact("real", **REAL), gate)
    assert (floor.real_run, floor.sim_run) == ("run-f1", "run-f2")
    assert floor.real_store == floor.sim_store == "reference"
    saved(tmp_path / "session", "run-s2", **REAL)
    floor = Floors(session, tmp_path).measure(make_artifact("real", **REAL), gate)
    assert (floor.real_run, floor.sim_run, floor.real_store) == ("run-s1", "run-s2", "session")


def test_runs_of_two_stores_are_never_paired(tmp_path):
    """Another store's run may come from another machine: its distance is not this one's
    noise."""
    session = saved(tmp_path / "session", "run-s1", **REAL)
    saved(tmp_path / "reference", "run-f1", n=40, seed=5)
    gate = gate_with(floor_stores=("reference",))
    floor = Floors(session, tmp_path).measure(make_artifact("real", **REAL), gate)
    assert not floor.measured
    assert floor.note.startswith("one real run of this pair key in each of session, reference")


def test_one_run_in_two_stores_is_one_run_and_measures_nothing(tmp_path):
    session = saved(tmp_path / "session", "run-1", **REAL)
    saved(tmp_path / "copy", "run-1", **REAL)
    gate = gate_with(floor_stores=("copy", "missing"))
    floor = Floors(session, tmp_path).measure(make_artifact("real", **REAL), gate)
    assert not floor.measured and floor.values == {} and floor.source == "not measured"
    assert floor.note == (
        "one real run of this pair key in session, copy, missing: a second real run in the "
        "same store measures it (floor store(s) ['missing'] do not exist)"
    )


def test_real_runs_of_other_requests_are_not_a_floor(tmp_path):
    store = saved(tmp_path, "run-a", **REAL)
    saved(tmp_path, "run-b", n=40, ids=list(range(1, 41)))
    saved(tmp_path, "run-c", n=40, workload_hash="f" * 32)  # another key: never looked at
    floor = Floors(store, tmp_path).measure(make_artifact("real", **REAL), gate_with())
    assert not floor.measured
    assert floor.note.startswith("the two latest real runs are not comparable: request ids")


def test_a_second_real_run_in_the_store_measures_the_floor(gst_project: GstProject):
    gst_project.write_tests(REAL, CLOSE)
    gst_project.run().stdout.fnmatch_lines(["PASS — *; floor not measured."])
    first = gst_project.comparison()["run_id"]
    result = gst_project.run()
    assert result.ret == pytest.ExitCode.OK
    data = gst_project.comparison()
    (pair,) = data["pairs"]
    floor = pair["floor"]
    # Two sessions may start within one second: which run plays "real" is then a tie.
    assert floor["measured"] and {floor["real_run"], floor["sim_run"]} == {first, data["run_id"]}
    older, newer = floor["real_run"], floor["sim_run"]
    assert floor["values"]["ttft"]["p50"] == 0.0  # the factory's real runs are identical
    checks = {c["name"]: c for c in pair["verdicts"][0]["checks"]}
    assert checks["p50"]["floor"] == 0.0
    result.stdout.fnmatch_lines(
        [
            "PASS — sim=corrected worst error: *; floor 0.0 %.",
            f"*sim=corrected  [[]gate default; floor real run {older} against {newer}*",
        ]
    )
    markdown = (gst_project.out / "reports" / "latest" / "report.md").read_text()
    assert f"real run {older} against {newer}" in markdown


def test_a_floor_from_a_floor_store_turns_a_pass_into_inconclusive(gst_project: GstProject):
    """The reference store's real run is 50 % slower than this session's: the real system is
    that far from itself, so a simulation a few % from this run cannot be told to pass."""
    reference = gst_project.pytester.path / "reference"
    saved(reference, "reference-1", n=40, seed=1)
    saved(reference, "reference-2", n=40, seed=1, scale=1.5)
    gst_project.write_tests(REAL, CLOSE)
    assert gst_project.run().ret == pytest.ExitCode.OK
    assert gst_project.comparison()["verdict"] == "pass"
    fresh = gst_project.pytester.path / "fresh"
    result = gst_project.run(
        "--gst-out", str(fresh), "--gst-set", f"gate.floor_stores=['{reference}']"
    )
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "INCONCLUSIVE — sim=corrected worst error: * (tiny, serial); undecided: the floor "
            "reaches the tolerance; floor *.* %."
        ]
    )
    data = json.loads((fresh / "reports" / "latest" / "comparison.json").read_text())
    (pair,) = data["pairs"]
    assert pair["verdict"] == "inconclusive"
    floor = pair["floor"]
    assert (floor["real_run"], floor["sim_run"]) == ("reference-1", "reference-2")
    assert floor["real_store"] == floor["sim_store"] == str(reference)
    p50 = next(c for c in pair["verdicts"][0]["checks"] if c["name"] == "p50")
    assert p50["floor"] > 0.3 and p50["verdict"] == "inconclusive"
    low, high = p50["interval"]
    assert low >= -0.25 and high <= 0.25  # the bootstrap interval alone would pass
