"""What ``pytest`` selects at the repository root: bare, the suite's own tests (tests/); with
``-m <hardware>``, that device's benchmarks (benchmarks/), each skipped with its reason where
the device is absent, or failed under ``--gst-require-device``.

The pytester projects use the testpaths of the checkout's own pyproject.toml.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import tomllib

from tests.suite_project import ROOT, load_suite

OWN_TEST = "def test_own():\n    pass\n"
BENCHMARK = "def test_bench(hardware, on_device):\n    pass\n"
HARDWARE = ("a100", "h100", "h200", "cpu")


@pytest.fixture(scope="module")
def here() -> str:
    """This machine's hardware id."""
    import yaml

    from gst_bench.device.hardware import detect

    presets = {p.stem: yaml.safe_load(p.read_text()) for p in (ROOT / "configs/hardware").iterdir()}
    return detect(presets).hardware_id


@pytest.fixture(scope="module")
def absent(here: str) -> str:
    """A hardware id this machine is not."""
    return next(hardware for hardware in HARDWARE if hardware != here)


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    testpaths = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    load_suite(pytester, f"testpaths = {' '.join(testpaths['ini_options']['testpaths'])}")
    for folder, name, text in (
        ("tests", "test_own", OWN_TEST),
        ("benchmarks", "test_b", BENCHMARK),
    ):
        pytester.mkdir(folder)
        (pytester.path / folder / f"{name}.py").write_text(text)
    return pytester


def collected(result: pytest.RunResult) -> list[str]:
    return [line for line in result.outlines if "::" in line]


def test_bare_pytest_collects_only_the_suites_own_tests(project):
    result = project.runpytest("--collect-only", "-q", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK
    assert collected(result) == ["tests/test_own.py::test_own"]


def test_a_path_collects_the_benchmarks_without_a_marker(project):
    result = project.runpytest("benchmarks", "--collect-only", "-q", "-p", "no:cacheprovider")
    assert len(collected(result)) == len(HARDWARE)


def test_a_hardware_marker_runs_that_devices_benchmarks_and_skips_them_here(project, absent):
    result = project.runpytest("-m", absent, "-rs", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(skipped=1, deselected=len(HARDWARE))
    result.stdout.fnmatch_lines([f"SKIPPED*needs {absent}; this machine has *hardware id*"])


def test_require_device_fails_a_test_whose_device_is_absent(project, absent, here):
    result = project.runpytest("-m", absent, "--gst-require-device", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(errors=1, deselected=len(HARDWARE))
    result.stdout.fnmatch_lines(
        [f"*--gst-require-device: needs {absent}; this machine has *hardware id '{here}'*"]
    )


def test_require_device_runs_this_machines_tests(project, here):
    result = project.runpytest("-m", here, "--gst-require-device", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, deselected=len(HARDWARE))


def test_a_hardware_marker_at_the_repository_root_selects_benchmarks(tmp_path, absent):
    """The checkout itself: ``pytest -m <absent hardware>`` collects its benchmarks only."""
    args = ["-m", absent, "--collect-only", "-q", "-p", "no:cacheprovider", f"--gst-out={tmp_path}"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == pytest.ExitCode.OK, done.stdout + done.stderr
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    assert ids
    assert all(line.startswith("benchmarks/") for line in ids)
    assert any(line.startswith("benchmarks/test_real.py::") for line in ids)
