"""The measuring scripts that read the committed CPU reference: ``conditioning.py`` (how far a
workload's percentiles move per % of step cost, the real Vidur) and ``repeatability.py``'s
table (from the reference's real comparison)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from dataclasses import replace

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


def test_step_costs_prices_idle_prefills_of_each_stored_pair(tmp_path):
    """``step_costs.py stores``: a store with a real run and its corrected simulation (priced
    ~10 % slower) prints the pair's idle-engine prefill error as the report's engine-step table
    computes it, and the summary of the unflagged pairs; a folder without pairs exits 2."""
    from gst_bench.analysis.engine_steps import compare
    from gst_compare.store import ArtifactStore
    from tests.plugin.factory import make_artifact

    def spaced(artifact):
        """The factory's requests 1 s apart instead of 0.1 s: each arrives at an idle engine."""

        def moved(i, r):
            shift = i * 900_000_000
            return replace(
                r,
                arrived_at_ns=r.arrived_at_ns + shift,
                scheduled_at_ns=r.scheduled_at_ns + shift,
                first_token_at_ns=r.first_token_at_ns + shift,
                completed_at_ns=r.completed_at_ns + shift,
                token_times_ns=tuple(t + shift for t in r.token_times_ns),
            )

        return replace(artifact, requests=tuple(moved(*x) for x in enumerate(artifact.requests)))

    real = spaced(make_artifact("real", n=60, seed=1))
    sim = spaced(
        make_artifact("sim", n=60, seed=2, scale=1.1, variant="corrected", token_times=True)
    )
    store = ArtifactStore(tmp_path / "store")
    store.save(real)
    store.save(sim)
    (row,) = [r for r in compare(real, sim) if r.what.startswith("a prefill at an idle")]
    assert row.error > 0.05  # the simulation is dearer: the test can tell the sign
    script = [sys.executable, str(SCRIPTS / "step_costs.py"), "stores"]
    done = subprocess.run([*script, str(store.root)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{row.real_n:3d} idle prefills {row.error:+6.2%}" in done.stdout
    assert f"serial: 1 unflagged pairs, idle prefills priced median {row.error:+.2%}" in done.stdout

    empty = subprocess.run([*script, str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert empty.returncode == 2 and "--gst-out folders" in empty.stderr


def test_step_costs_reads_each_profile_s_line_and_level(tiny_profile, tmp_path):
    """``step_costs.py lines`` on a folder holding the tiny model's profile: one line per
    profile with the level the speed match uses; a folder without profiles exits 2."""
    from gst_bench.sim.speed import prefill_level

    rows = tiny_profile.whole_steps_ms()
    level = prefill_level(rows, 32, tiny_profile.grid.token_period)
    script = [sys.executable, str(SCRIPTS / "step_costs.py"), "lines"]
    done = subprocess.run(
        [*script, str(tiny_profile.path.parent)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert f"32-token row {rows[32]:.1f} ms, level {level:.1f} " in done.stdout
    assert "against the line: 8:" in done.stdout
    assert "\n1 profiles; the former level more than 2 % off the level in " in done.stdout

    empty = subprocess.run([*script, str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert empty.returncode == 2 and "no profile with a token period" in empty.stderr
