"""benchmarks/test_real.py in real pytest sessions: artifacts on this CPU, skips elsewhere.

The sessions run in this process: an in-process pytester session unloads the modules it
imported when it ends, and torch (with what transformers registers in it) cannot be imported
twice in one process, so torch, transformers' Qwen3 and Vidur are imported before pytester
takes its snapshot of the loaded modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from gst_bench.device.hardware import cpu_name
from gst_compare.artifacts import load_artifact
from tests.suite_project import ROOT, load_suite

OVERRIDES = ("model=qwen3-tiny", "hardware.dtype=float32", "workload.arrival.rate=50")
TINY = [arg for value in OVERRIDES for arg in ("--gst-set", value)]


@pytest.fixture
def suite(
    suite_modules_loaded: None, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    # The suite's own xdist worker name must not leak into the sessions.
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    load_suite(pytester)
    pytester.makepyfile(test_real=(ROOT / "benchmarks" / "test_real.py").read_text())
    return pytester


def out_args(pytester: pytest.Pytester) -> list[str]:
    return ["--gst-out", str(pytester.path / "out"), "-p", "no:cacheprovider"]


def test_other_hardware_is_skipped_naming_the_device_found(suite):
    result = suite.runpytest("-m", "a100", "-rs", *out_args(suite))
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(
        [
            f"SKIPPED*needs a100; this machine has {cpu_name()} (hardware id 'cpu')*"
            "run: pytest benchmarks -m a100"
        ]
    )


def test_a_cpu_session_writes_one_readable_artifact_per_backend(suite):
    result = suite.runpytest("-m", "cpu", "-v", *TINY, *out_args(suite))
    result.assert_outcomes(passed=2)
    paths = sorted(Path(suite.path, "out", "runs").glob("*/artifacts/real/*.json"))
    artifacts = [load_artifact(p) for p in paths]
    assert sorted(a.meta.backend for a in artifacts) == ["continuous", "serial"]
    for artifact in artifacts:
        meta = artifact.meta
        assert meta.test_id.endswith(f"test_real[tiny-{meta.backend}-cpu]")
        assert (meta.kind, meta.model, meta.hardware) == ("real", "qwen3-tiny", "cpu")
        assert len(artifact.requests) == 6
