"""The drift gate catches a simulator change: one Vidur default changed in-process (the
decode-attention batching overhead, applied only to batches of more than one request) makes
exactly the continuous-batching pairs of the Vidur variants DRIFT from the committed
baselines, while the serial pairs (batch size 1) and the naive baseline (no Vidur) still MATCH.

One subprocess session, the CI drift session of ``scripts/drift.sh`` on ``tiny`` only, over a
copy of the committed reference store.
"""

from __future__ import annotations

import re
import shutil

import pytest

from tests.suite_project import ROOT

CHANGED_DEFAULT = """
from vidur.config import BaseExecutionTimePredictorConfig

# Vidur's default is 0.1; the suite's predictor config class is made later from this base.
fields = BaseExecutionTimePredictorConfig.__dataclass_fields__
fields["attention_decode_batching_overhead_fraction"].default = 0.3
"""


def drift_markers() -> str:
    """The marker expression CI's drift session selects with."""
    script = (ROOT / "scripts" / "drift.sh").read_text(encoding="utf-8")
    found = re.search(r'-m "([^"]+)"', script)
    assert found, "scripts/drift.sh no longer selects with -m"
    return found.group(1)


def test_a_changed_vidur_default_drifts_exactly_the_batched_pairs(pytester: pytest.Pytester):
    shutil.copytree(ROOT / "reports" / "cpu-reference" / "store", pytester.path / "store")
    shutil.copytree(ROOT / "benchmarks", pytester.path / "benchmarks")
    pytester.makeconftest((ROOT / "conftest.py").read_text(encoding="utf-8") + CHANGED_DEFAULT)
    pytester.makeini(
        "[pytest]\n"
        f"gst_config_dir = {ROOT / 'configs'}\n"
        f"gst_baseline_dir = {ROOT / 'reports' / 'baselines'}\n"
        "gst_report_plots = false\n"
    )
    baselines = sorted((ROOT / "reports" / "baselines").glob("tiny__*"))
    before = [path.read_bytes() for path in baselines]
    result = pytester.runpytest_subprocess(
        "benchmarks",
        "-m",
        drift_markers(),
        "--gst-workloads",
        "tiny",
        "--gst-out",
        "store",
        "--gst-set",
        "gate=drift",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        timeout=300,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    drift = {
        (m.group(1), m.group(2)): m.group(3)
        for line in result.outlines
        if (
            m := re.match(
                r"drift tiny · qwen3-0\.6b · cpu · (\w+) · sim=(\w+): ([A-Z]+(?: [A-Z]+)?)", line
            )
        )
    }
    vidur = ("stock", "corrected", "calibrated")
    expected = {("continuous", v): "DRIFT" for v in vidur}
    expected |= {("serial", v): "MATCH" for v in vidur}
    expected |= {(backend, "baseline"): "MATCH" for backend in ("serial", "continuous")}
    assert drift == expected, "\n".join(result.outlines[-40:])
    assert [path.read_bytes() for path in baselines] == before
