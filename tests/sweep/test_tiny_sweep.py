"""A load sweep with the tiny Qwen3 on this CPU, in one real pytest session: real runs at two
levels, simulations at those and at a simulated-only level between them, and the
capacity of each backend and variant judged at session end."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.suite_project import ROOT, load_suite

SYNTHETIC = ROOT / "tests" / "data" / "synthetic-qwen3-tiny"
PROFILE_FOLDER = "profiles/cpu/qwen3-tiny/float32/synthetic"

TINY_SWEEP = (
    "model=qwen3-tiny",
    "hardware.dtype=float32",
    "workload=loadsweep",
    "workload.num_requests=8",
    "workload.levels=[0.5,2.0]",
    "workload.sim_levels=[1.0]",
    "gate.min_requests=2",
    "suite.vidur_variants=[corrected,baseline]",
)


@pytest.fixture
def sweep(
    suite_modules_loaded: None, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    """The suite with its real and simulated tests, and the committed synthetic profile of the
    tiny Qwen3 in the store (what the levels' rates are fractions of; profiling would triple
    the test's time and is tested in tests/sim). The session runs in this process: the suite's
    own xdist worker name must not leak in."""
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    load_suite(
        pytester, f"gst_baseline_dir = {pytester.path / 'baselines'}\ngst_report_plots = false\n"
    )
    for name in ("test_real", "test_sim"):
        pytester.makepyfile(**{name: (ROOT / "benchmarks" / f"{name}.py").read_text()})
    shutil.copytree(SYNTHETIC, pytester.path / "out" / PROFILE_FOLDER)
    return pytester


def test_a_tiny_sweep_runs_every_level_and_judges_each_backends_capacity(sweep):
    overrides = [arg for value in TINY_SWEEP for arg in ("--gst-set", value)]
    out = sweep.path / "out"
    result = sweep.runpytest(
        *overrides, "--gst-out", str(out), "-m", "cpu", "-p", "no:cacheprovider", "-rs"
    )
    # real: 2 levels × 2 backends; sim: 3 levels × 2 backends × 2 variants
    result.assert_outcomes(passed=4 + 12)
    result.stdout.fnmatch_lines(
        [
            "capacity loadsweep · qwen3-tiny · cpu · continuous: real * (load, levels 0.5, 2;*",
            "  sim=corrected *: capacity *",
            "capacity loadsweep · qwen3-tiny · cpu · serial: real * (load, levels 0.5, 2;*",
        ]
    )
    report = json.loads((out / "reports" / "latest" / "comparison.json").read_text())
    assert [(s["backend"], len(s["variants"])) for s in report["sweeps"]] == [
        ("continuous", 2),
        ("serial", 2),
    ]
    for found in report["sweeps"]:
        assert [p["level"] for p in found["real_curve"]] == [0.5, 2.0]
        for variant in found["variants"]:
            assert [p["level"] for p in variant["curve"]] == [0.5, 1.0, 2.0]
    assert report["unpaired"] == []
    # No figures were drawn, so the report folder did not exist when the domain's step tables
    # read the artifacts through it.
    assert not [note for note in report["notes"] if "could not be made" in note]
    markdown = (out / "reports" / "latest" / "report.md").read_text()
    assert "## Engine steps, real beside simulated" in markdown
    sidecars = sorted(p.name.split("-")[0] for p in out.glob("runs/*/workloads/*.json"))
    assert sidecars == ["loadsweep@0.5", "loadsweep@1", "loadsweep@2"]
