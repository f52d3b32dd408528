"""Fidelity and drift verdicts as test results in real pytest sessions: a failing pair is a
failed test (JUnit, --lf, -k agree with the report), an undecided one is skipped, noise flags
decide nothing (they are said once), an advisory one that fails is an xfail."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.plugin.project import GstProject

ITEMS = """
import pytest
from gst_factory import WORKLOAD_HASH, make_artifact

KEY = (WORKLOAD_HASH, "qwen3-0.6b", "cpu", "serial")
VARIANTS = {{
    "close": dict(seed=2),
    "far": dict(seed=2, scale=1.6),
    "edge": dict(seed=2, scale={edge}),
    "noisy": dict(seed=2, noise_flags=("run queue 7 % of the run",)),
    "noisyfar": dict(
        seed=2, scale=1.6, noise_flags=("run queue 7 % of the run", "run queue 9 % of the run")
    ),
    "stock": dict(seed=2, scale=0.5),
}}


def save(record_artifact, gst_session, request, kind, **options):
    run, test = gst_session.run_id, request.node.nodeid
    record_artifact(make_artifact(kind, n=40, run_id=run, test_id=test, **options))


@pytest.mark.real
def test_real(record_artifact, gst_session, request):
    save(record_artifact, gst_session, request, "real", seed=1)


@pytest.mark.sim
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_sim(record_artifact, gst_session, request, variant):
    save(record_artifact, gst_session, request, "sim", variant=variant, **VARIANTS[variant])


@pytest.mark.fidelity
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_fidelity(gst_fidelity, variant):
    gst_fidelity(KEY, variant)


@pytest.mark.drift
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_drift(gst_drift, variant):
    gst_drift(KEY, variant)
"""


@pytest.fixture
def items(gst_project: GstProject) -> GstProject:
    gst_project.pytester.makepyfile(test_items=ITEMS.format(edge=1.25))
    return gst_project


def outcomes(xml_path) -> dict[str, str]:
    found = {}
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "skipped", "error")]
        found[case.get("name")] = kinds[0] if kinds else "passed"
    return found


def test_each_outcome_is_a_test_result_and_junit_agrees(items: GstProject):
    junit = items.pytester.path / "j.xml"
    result = items.run("-rsxf", "-k", "not drift", f"--junitxml={junit}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines_random(
        [
            "FAILED test_items.py::test_fidelity[[]far[]] - Failed: tiny · *",
            "FAILED test_items.py::test_fidelity[[]noisyfar[]] - Failed: tiny · *",
            "SKIPPED * tiny · * · sim=edge: INCONCLUSIVE",
            "XFAIL test_items.py::test_fidelity[[]stock[]] - advisory variant *",
        ]
    )
    found = outcomes(junit)
    assert {k: v for k, v in found.items() if k.startswith("test_fidelity")} == {
        "test_fidelity[close]": "passed",
        "test_fidelity[far]": "failure",
        "test_fidelity[edge]": "skipped",
        "test_fidelity[noisy]": "passed",
        "test_fidelity[noisyfar]": "failure",
        "test_fidelity[stock]": "skipped",  # xfail: JUnit's skipped with the xfail message
    }
    assert ET.parse(junit).getroot().find("testsuite").get("failures") == "2"
    data = items.comparison()
    (real_run, sim_run) = data["runs"]
    assert (real_run["kind"], real_run["flags"]) == ("real", [])
    assert sim_run["flags"] == [  # each flag once per run, naming its artifact or their count
        "run queue 7 % of the run (2 artifacts)",
        "tiny · qwen3-0.6b · cpu · serial · sim=noisyfar: run queue 9 % of the run",
    ]
    verdicts = {p["sim"]["variant"]: p["verdict"] for p in data["pairs"]}
    assert verdicts == {
        "close": "pass",
        "far": "fail",
        "edge": "inconclusive",
        "noisy": "pass",
        "noisyfar": "fail",
        "stock": "fail",
    }


def test_a_failed_message_names_the_check_its_interval_the_floor_and_the_noise_once(items):
    result = items.run("-k", "not drift and (real or far)", "-rs")
    result.stdout.fnmatch_lines(
        [
            "tiny · * · sim=far: FAIL",
            "  TTFT p50 +6* % [[]+*, +*[]] (±25 %)",
            "  floor not measured: one real run of this pair key in *: a second real run in "
            "the same store measures it; pytest test_items.py::test_real --gst-out=*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "tiny · * · sim=noisyfar: FAIL",
            "  TTFT p50 +6* % [[]+*, +*[]] (±25 %)",
            "  noise seen (not a veto): sim: run queue 7 % of the run; sim: run queue 9 % of the "
            "run",
        ]
    )
    assert result.stdout.str().count("noise seen (not a veto)") == 1


def test_last_failed_rejudges_only_the_failed_pair_from_the_store(items: GstProject):
    items.run("-p", "cacheprovider", "-k", "not drift")
    again = items.run("-p", "cacheprovider", "--lf", "-rA")
    again.assert_outcomes(failed=2)
    again.stdout.fnmatch_lines_random(
        [
            "FAILED test_items.py::test_fidelity[[]far[]]*",
            "FAILED test_items.py::test_fidelity[[]noisyfar[]]*",
        ]
    )
    pairs = items.comparison()["pairs"]
    assert sorted(p["sim"]["variant"] for p in pairs) == ["far", "noisyfar"]
    assert {p["sim"]["source"] for p in pairs} == {"store"}


def test_strict_ci_fails_what_cannot_be_decided(items: GstProject):
    result = items.run("-k", "not drift and (real or edge)", "--gst-inconclusive=fail")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*(--gst-inconclusive=fail)*"])


def test_drift_is_a_failed_test_saying_how_far_each_metric_moved(items: GstProject):
    accepted = items.run("-k", "real or close", "--gst-accept-baseline", "-rs")
    accepted.stdout.fnmatch_lines(["SKIPPED * --gst-accept-baseline: the baselines are written*"])
    assert items.run("-k", "real or close").ret == pytest.ExitCode.OK
    items.pytester.makepyfile(
        test_items=ITEMS.format(edge=1.25).replace(
            '"close": dict(seed=2)', '"close": dict(seed=2, scale=1.02)'
        )
    )
    moved = items.run("-k", "real or (sim and close) or (drift and close)")
    moved.assert_outcomes(passed=2, failed=1)
    shift = "ttft p50 * → * ms (+* ms, +2.*%)*"
    moved.stdout.fnmatch_lines(
        [f"drift tiny · * · sim=close: DRIFT (baseline baselines/*): {shift}"]
    )
