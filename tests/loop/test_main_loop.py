"""The main job's whole loop in real pytest sessions, with the tiny Qwen3 on this CPU:
real → profile → sim → comparison → report, the order it runs in whatever the file order or
the number of workers, and when a profile is made again or reused."""

from __future__ import annotations

import json

import pytest

from tests.suite_project import ROOT, load_suite

TINY = ("model=qwen3-tiny", "hardware.dtype=float32", "workload.arrival.rate=50")


@pytest.fixture
def loop(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    load_suite(
        pytester,
        f"gst_baseline_dir = {pytester.path / 'baselines'}\ngst_report_plots = false\n",
    )
    # Reverse file order on purpose: the suite, not the files, decides what runs first.
    for name in ("test_fidelity", "test_sim", "test_real", "test_profile"):
        text = (ROOT / "benchmarks" / f"{name}.py").read_text()
        pytester.makepyfile(**{f"{name.replace('test_', 'test_0')}": text})
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    overrides = [arg for value in TINY for arg in ("--gst-set", value)]
    out = ["--gst-out", str(pytester.path / "out"), "-p", "no:cacheprovider", "-v"]
    return pytester.runpytest_subprocess(*overrides, *out, *args, timeout=300)


def profile_made_at(pytester: pytest.Pytester) -> list[str]:
    """When each stored profile was made, oldest first (a new one never replaces another)."""
    metas = (pytester.path / "out" / "profiles").glob("cpu/qwen3-tiny/float32/*/*/profile.json")
    return sorted(json.loads(meta.read_text())["made"]["started_at"] for meta in metas)


def latest_comparison(pytester: pytest.Pytester) -> dict:
    latest = pytester.path / "out" / "reports" / "latest"
    return json.loads((latest / "comparison.json").read_text())


def test_the_main_job_then_sims_alone_then_real_runs_again(loop):
    """One session runs, profiles, simulates and compares in that order; a session of sims
    alone reuses its CPU profile; a session with real runs profiles again beside them."""
    result = run(loop, "-m", "cpu", "-rs")
    # 6 requests cannot decide a verdict: every fidelity test is skipped as INCONCLUSIVE.
    result.assert_outcomes(passed=7, skipped=4)
    result.stdout.fnmatch_lines(["SKIPPED * tiny · *: INCONCLUSIVE"])
    files = ["test_0real.py", "test_0profile.py", "test_0sim.py", "test_0fidelity.py"]
    order = [
        line.split("::")[0].split()[-1]
        for line in result.outlines
        if ("PASSED" in line or "SKIPPED" in line) and "::" in line
    ]
    assert order == sorted(order, key=files.index)
    comparison = latest_comparison(loop)
    assert len(comparison["pairs"]) == 4
    assert {p["real"]["source"] for p in comparison["pairs"]} == {"session"}
    variants = sorted((p["key"]["backend"], p["advisory"]) for p in comparison["pairs"])
    expected = [("continuous", False), ("continuous", True), ("serial", False), ("serial", True)]
    assert variants == expected
    result.stdout.fnmatch_lines(["*= gpu-simulate-test: *", "report: *report.md"])

    first = profile_made_at(loop)
    assert len(first) == 1
    run(loop, "-m", "sim and cpu").assert_outcomes(passed=4)
    assert profile_made_at(loop) == first
    run(loop, "-m", "real or profile", "-k", "cpu").assert_outcomes(passed=3)
    assert profile_made_at(loop)[0] == first[0] and len(profile_made_at(loop)) == 2


def test_the_profile_takes_its_timed_calls_in_the_real_runs_idle_gaps(loop):
    """Requests 0.5 s apart leave the tiny model idle most of the time: the profile's timed
    calls run there (the rest right after), and each real artifact says how many it hosted.
    The profile test runs after the real runs and names them."""
    result = run(loop, "-m", "real or profile", "-k", "cpu", "--gst-set", "workload.arrival.rate=2")
    result.assert_outcomes(passed=3)
    metas = (loop.path / "out" / "profiles").glob("cpu/qwen3-tiny/float32/*/*/profile.json")
    (meta,) = [json.loads(path.read_text()) for path in metas]
    in_gaps = meta["made"]["in_gaps"]
    assert sorted(in_gaps["runs"]) == [
        "test_0real.py::test_real[tiny-continuous-cpu]",
        "test_0real.py::test_real[tiny-serial-cpu]",
    ]
    artifacts = (loop.path / "out" / "runs").glob("*/artifacts/real/*.json")
    hosted = [
        json.loads(path.read_text())["meta"]["extra"]["speed_check"]["gap_work"]["calls"]
        for path in artifacts
    ]
    # The first run's gaps may hold every call of the tiny model's profile, leaving none.
    assert len(hosted) == 2 and 0 < sum(hosted) == in_gaps["timed_calls"] <= in_gaps["of"]
    assert in_gaps["seconds"] > 0 and set(meta["made"]["added_s"]) == {"warm_up", "after_runs"}
