"""A real pytest session of benchmarks/test_sim.py: without a profile for a hardware this
machine is not, each test is skipped with the command that makes one."""

from __future__ import annotations

import subprocess
import sys

from tests.suite_project import ROOT


def test_missing_profile_skips_with_the_command(tmp_path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "benchmarks/test_sim.py",
            "-m",
            "sim and h200",
            "--gst-out",
            str(tmp_path),
            "-p",
            "no:cacheprovider",
            "-rs",
            "-q",
            "-k",
            "serial-stock",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout
    assert "pytest benchmarks/test_profile.py -m h200 --gst-set model=qwen3-0.6b" in done.stdout
    assert not (tmp_path / "profiles").exists()
