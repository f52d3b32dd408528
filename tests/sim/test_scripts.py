"""The measuring scripts that read the committed CPU reference: ``conditioning.py`` (how far a
workload's percentiles move per % of step cost, the real Vidur) and ``repeatability.py``'s
table (from the reference's real comparison)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

from tests.suite_project import ROOT

SCRIPTS = ROOT / "scripts"


def test_conditioning_prices_a_preset_at_dearer_and_cheaper_steps(tmp_path):
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / "conditioning.py"), "tiny", "--out", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| tiny |")]
    assert [row.split(" | ")[1] for row in rows] == ["serial", "continuous"]
    for row in rows:
        cells = row.strip(" |").split(" | ")
        moves = [float(cell) for cell in cells[4:]]
        # A percentile of a workload moves at least in proportion to every step's cost, up to
        # rounding of the 1 % step (TPOT of a request that decodes alone is exactly
        # proportional).
        assert len(moves) == 6 and all(move >= 0.9 for move in moves)


def test_repeatability_reads_the_gates_own_values(tmp_path):
    spec = importlib.util.spec_from_file_location("repeatability", SCRIPTS / "repeatability.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    report = json.loads((ROOT / "reports/cpu-reference/report/comparison.json").read_text())

    rows = module.table([report, report])

    units = {metric: runs[0]["unit"] for (_, metric), runs in rows.items()}
    assert units["queueing"] == "ms" and units["ttft"] == "rel"
    assert all(module.spread([r["p50"] for r in runs]) == 0 for runs in rows.values())
    assert all(r["p50_ci"] is not None and r["p50_ci"] > 0 for runs in rows.values() for r in runs)
    assert module.verdict_line(rows, 3.0, ["run-1", "run-2"]) == 0


def test_repeatability_keeps_a_run_that_judged_nothing_in_its_column(tmp_path, capsys):
    """A run whose comparison judged no pair (a broken session) is a "–" in its own column,
    never a shift of the later runs' values under its name, and the verdicts disagree."""
    spec = importlib.util.spec_from_file_location("repeatability", SCRIPTS / "repeatability.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    report = json.loads((ROOT / "reports/cpu-reference/report/comparison.json").read_text())
    broken = {**report, "pairs": []}

    rows = module.table([broken, report, report])
    module.print_table(rows, ["run-1", "run-2", "run-3"])
    assert all(runs[0] is None and runs[1] == runs[2] for runs in rows.values())
    assert module.verdict_line(rows, 3.0, ["run-1", "run-2", "run-3"]) == 1
    out = capsys.readouterr().out
    assert "| – | " in out and "not judged/" in out and "not judged in run-1" in out


def test_percentile_estimators_reads_each_pair_from_a_store_index(tmp_path):
    """A store with a real run and its corrected simulation (60 requests, simulated ~10 %
    slower): the script prints the pair's p50 errors under both estimators as the plugin
    computes them; a folder without pairs exits 2 and says what to give it."""
    from gst_compare import metrics
    from gst_compare.store import ArtifactStore
    from tests.plugin.factory import make_artifact

    real = make_artifact("real", n=60, seed=1)
    sim = make_artifact("sim", n=60, seed=2, scale=1.1, variant="corrected")
    store = ArtifactStore(tmp_path / "store")
    store.save(real)
    store.save(sim)
    script = [sys.executable, str(SCRIPTS / "percentile_estimators.py")]
    done = subprocess.run([*script, str(store.root)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (line,) = [x for x in done.stdout.splitlines() if x.startswith(f"{store.root} tiny serial")]
    r, s = (metrics.values(a, "ttft") for a in (real, sim))
    sample = 100 * (metrics.observed_percentile(s, 50) / metrics.observed_percentile(r, 50) - 1)
    hd = 100 * (metrics.percentile(s, 50) / metrics.percentile(r, 50) - 1)
    assert f"ttft p50 {sample:+5.1f}/{hd:+5.1f}" in line
    assert "over 1 pairs of >= 60 requests" in done.stdout

    empty = subprocess.run([*script, str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert empty.returncode == 2 and "--gst-out folders" in empty.stderr
