"""The workload fixture and the config options, in real pytest sessions."""

from __future__ import annotations

import shutil

import pytest

from tests.suite_project import ROOT, load_suite

TEST_FILE = """
def test_w(workload):
    assert workload.requests
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    load_suite(pytester)
    pytester.makepyfile(test_w=TEST_FILE)
    return pytester


def out_args(pytester: pytest.Pytester) -> list[str]:
    return ["--gst-out", str(pytester.path / "out")]


def test_the_default_preset_is_the_test_id(suite):
    result = suite.runpytest("--collect-only", "-q", *out_args(suite))
    result.stdout.fnmatch_lines(["test_w.py::test_w[[]tiny[]]", "1 test collected*"])


def test_an_option_picks_other_presets(suite):
    result = suite.runpytest("-q", "--gst-workloads", "tiny,smoke,bursty", *out_args(suite))
    result.assert_outcomes(passed=3)
    result = suite.runpytest("--collect-only", "-q", "--gst-workloads", "smoke", *out_args(suite))
    result.stdout.fnmatch_lines(["test_w.py::test_w[[]smoke[]]"])


def test_an_unknown_preset_is_a_usage_error_naming_the_choices(suite):
    result = suite.runpytest("--gst-workloads", "tiny,nope", *out_args(suite))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*unknown workload preset(s) [[]'nope'[]]; choose from [[]*'tiny'*"]
    )


def test_a_bad_preset_is_a_usage_error_naming_the_field(suite):
    configs = suite.path / "configs"
    shutil.copytree(ROOT / "configs", configs)
    (configs / "workload" / "broken.yaml").write_text(
        "name: broken\nseed: 0\nnum_requests: 4\narrival: {process: poisson, rate: -2}\n"
        "prompt_len: {dist: fixed, value: 4}\noutput_len: {dist: fixed, value: 2}\n"
    )
    suite.makeini(f"[pytest]\ngst_config_dir = {configs}\n")
    result = suite.runpytest("--gst-workloads", "broken", *out_args(suite))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*bad workload preset 'broken'*arrival.rate (requests/s) must be > 0, got -2*"]
    )


def test_a_bad_override_is_a_usage_error(suite):
    result = suite.runpytest("--gst-set", "workload=nope", *out_args(suite))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--gst-set*workload=nope*"])


def test_the_resolved_config_and_workload_are_saved_beside_the_run(suite):
    result = suite.runpytest(
        "-q", "--gst-set", "seed=5", "--gst-set", "workload.seed=9", *out_args(suite)
    )
    result.assert_outcomes(passed=1)
    (run,) = (suite.path / "out" / "runs").iterdir()
    config = (run / "config.yaml").read_text()
    assert "seed: 5" in config and "seed: 9" in config
    (csv,) = (run / "workloads").glob("tiny-*.csv")
    assert csv.with_suffix(".json").is_file()


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["no-xdist", "n2"])
def test_one_run_folder_per_session_with_or_without_xdist(suite, xdist):
    # In this process; with -n xdist's workers are processes.
    result = suite.runpytest("-q", "--gst-workloads", "tiny,smoke", *xdist, *out_args(suite))
    result.assert_outcomes(passed=2)
    runs = list((suite.path / "out" / "runs").iterdir())
    assert len(runs) == 1
    assert sorted(p.name.split("-")[0] for p in (runs[0] / "workloads").glob("*.csv")) == [
        "smoke",
        "tiny",
    ]
