"""The main job's whole loop in real pytest sessions, with the tiny Qwen3 on this CPU:
profile → real → sim → comparison → report, the order it runs in whatever the file order or
the number of workers, and when a profile is made again or reused."""

from __future__ import annotations

import json

import pytest

from tests.suite_project import ROOT, load_suite

TINY = ("model=qwen3-tiny", "hardware.dtype=float32", "workload.arrival.rate=50")


@pytest.fixture
def loop(
    suite_modules_loaded: None, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    # The sessions run in this process: the suite's own xdist worker name must not leak in.
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
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
    return pytester.runpytest(*overrides, *out, *args)


def profile_made_at(pytester: pytest.Pytester) -> list[str]:
    """When each stored profile was made, oldest first (a new one never replaces another)."""
    metas = (pytester.path / "out" / "profiles").glob("cpu/qwen3-tiny/float32/*/*/profile.json")
    return sorted(json.loads(meta.read_text())["made"]["started_at"] for meta in metas)


def latest_comparison(pytester: pytest.Pytester) -> dict:
    latest = pytester.path / "out" / "reports" / "latest"
    return json.loads((latest / "comparison.json").read_text())


def test_the_main_job_then_sims_alone_then_real_runs_again(loop):
    """One session profiles, runs, simulates and compares in that order (the profile before the
    real runs: a prediction); a later session reuses the stored profile unless told to
    profile again."""
    result = run(loop, "-m", "cpu", "-rs")
    # 6 requests cannot decide a verdict: every fidelity test is skipped as INCONCLUSIVE.
    result.assert_outcomes(passed=11, skipped=8)
    result.stdout.fnmatch_lines(["SKIPPED * tiny · *: INCONCLUSIVE"])
    files = ["test_0profile.py", "test_0real.py", "test_0sim.py", "test_0fidelity.py"]
    order = [
        line.split("::")[0].split()[-1]
        for line in result.outlines
        if ("PASSED" in line or "SKIPPED" in line) and "::" in line
    ]
    assert order == sorted(order, key=files.index)
    comparison = latest_comparison(loop)
    assert len(comparison["pairs"]) == 8
    assert {p["real"]["source"] for p in comparison["pairs"]} == {"session"}
    variants = {
        (p["key"]["backend"], p["sim"]["variant"], p["advisory"]) for p in comparison["pairs"]
    }
    expected = {
        (backend, variant, variant != "corrected")
        for backend in ("serial", "continuous")
        for variant in ("corrected", "stock", "baseline", "calibrated")
    }
    assert variants == expected
    result.stdout.fnmatch_lines(["*= gpu-simulate-test: *", "report: *report.md"])

    first = profile_made_at(loop)
    assert len(first) == 1
    run(loop, "-m", "sim and cpu").assert_outcomes(passed=8)
    assert profile_made_at(loop) == first
    run(loop, "-m", "real or profile", "-k", "cpu").assert_outcomes(passed=3)
    assert profile_made_at(loop) == first
    run(loop, "-m", "profile", "-k", "cpu", "--gst-reprofile").assert_outcomes(passed=1)
    assert profile_made_at(loop)[0] == first[0] and len(profile_made_at(loop)) == 2
