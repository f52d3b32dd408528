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
    assert module.verdict_line(rows, 3.0) == 0
