"""Real pytest sessions of benchmarks/test_sim.py without a stored profile: a hardware this
machine is not is skipped with the command that makes a profile; this machine's own hardware
stops the session before any test runs (no silent profiling), with the same command.

The sessions run in this process: torch and Vidur are loaded before pytester takes its
snapshot of the loaded modules, so each session finds them loaded."""

from __future__ import annotations

import pytest

from tests.suite_project import ROOT, load_suite


@pytest.fixture
def suite(
    suite_modules_loaded: None, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    # When the suite itself runs under xdist, its worker's name must not leak into the session.
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    load_suite(pytester)
    pytester.makepyfile(test_sim=(ROOT / "benchmarks" / "test_sim.py").read_text())
    return pytester


def run_sims(suite: pytest.Pytester, marker: str, *extra: str) -> pytest.RunResult:
    out = ["--gst-out", str(suite.path / "out"), "-p", "no:cacheprovider"]
    return suite.runpytest("-m", marker, *out, "-rs", "-q", *extra)


def test_missing_profile_skips_with_the_command(suite) -> None:
    done = run_sims(suite, "sim and h200", "-k", "serial-stock")
    assert done.ret == pytest.ExitCode.OK, done.stdout.str() + done.stderr.str()
    done.assert_outcomes(skipped=1)
    assert (
        "pytest benchmarks/test_profile.py -m h200 --gst-set model=qwen3-0.6b" in done.stdout.str()
    )
    assert not (suite.path / "out" / "profiles").exists()


def test_sims_alone_never_profile_this_machine(suite) -> None:
    done = run_sims(suite, "sim and cpu", "--gst-workloads", "steady100")
    assert done.ret == pytest.ExitCode.USAGE_ERROR, done.stdout.str() + done.stderr.str()
    assert "no profile of qwen3-0.6b on cpu" in done.stderr.str()
    command = "pytest benchmarks/test_profile.py -m cpu --gst-set model=qwen3-0.6b"
    assert f"{command} --gst-workloads steady100 --gst-reprofile" in done.stderr.str()
    assert "passed" not in done.stdout.str() and "failed" not in done.stdout.str()
    assert not (suite.path / "out" / "profiles").exists()
