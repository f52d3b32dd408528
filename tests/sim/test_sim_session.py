"""Real pytest sessions of benchmarks/test_sim.py without a stored profile: a hardware this
machine is not is skipped with the command that makes a profile; this machine's own hardware
stops the session before any test runs (no silent profiling), with the same command."""

from __future__ import annotations

import subprocess
import sys
import time

from tests.suite_project import ROOT


def run_sims(tmp_path, marker: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "benchmarks/test_sim.py",
            "-m",
            marker,
            "--gst-out",
            str(tmp_path),
            "-p",
            "no:cacheprovider",
            "-rs",
            "-q",
            *extra,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_missing_profile_skips_with_the_command(tmp_path) -> None:
    done = run_sims(tmp_path, "sim and h200", "-k", "serial-stock")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout
    assert "pytest benchmarks/test_profile.py -m h200 --gst-set model=qwen3-0.6b" in done.stdout
    assert not (tmp_path / "profiles").exists()


def test_sims_alone_never_profile_this_machine(tmp_path) -> None:
    started = time.monotonic()
    done = run_sims(tmp_path, "sim and cpu", "--gst-workloads", "steady100")
    assert time.monotonic() - started < 30
    assert done.returncode == 4, done.stdout + done.stderr
    assert "no profile of qwen3-0.6b on cpu" in done.stderr
    command = "pytest benchmarks/test_profile.py -m cpu --gst-set model=qwen3-0.6b"
    assert f"{command} --gst-workloads steady100 --gst-reprofile" in done.stderr
    assert "passed" not in done.stdout and "failed" not in done.stdout
    assert not (tmp_path / "profiles").exists()
