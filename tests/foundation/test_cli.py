"""The ``gst`` command, called in-process: its help, ``repeatability``'s table of judged runs
(stores the comparison plugin judged and reported), ``conditioning`` (the real Vidur on the
committed CPU reference's profile) and ``step-costs`` (the tiny Qwen3 timed; stored artifacts'
engine steps)."""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import tomllib

from gst_bench.analysis.engine_steps import markdown
from gst_bench.cli import main, repeatability
from gst_bench.cli.repeatability import Entry
from gst_bench.cli.step_costs import token_counts
from gst_compare.baseline import BaselineFolder
from gst_compare.comparison import Extensions, Settings, compare_session
from gst_compare.config import ConfigComposer
from gst_compare.gate import GateConfig
from gst_compare.pairing import SESSION, Side
from gst_compare.report import ComparisonReport
from gst_compare.store import ArtifactStore
from tests.plugin.factory import make_artifact
from tests.suite_project import ROOT

SUBCOMMANDS = ("repeatability", "conditioning", "step-costs")
TINY_MODEL = ("--set", "model=qwen3-tiny", "--set", "hardware.dtype=float32")


def test_gst_is_installed_and_its_help_lists_every_subcommand(capsys):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"] == {"gst": "gst_bench.cli:main"}
    # The install (scripts/install.sh, pixi) puts the command beside the environment's python.
    assert Path(sys.executable).with_name("gst").is_file()
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    listed = capsys.readouterr().out
    for name in SUBCOMMANDS:
        with pytest.raises(SystemExit) as done:
            main([name, "--help"])
        assert done.value.code == 0
        first_line = capsys.readouterr().out.split("\n\n")[1].splitlines()[0]
        # `gst --help` shows each subcommand with the first line of its own --help.
        assert name in listed and " ".join(first_line.rstrip(".").split()[:6]) in listed


# --- repeatability ---------------------------------------------------------------------------


def gate() -> GateConfig:
    cfg = ConfigComposer(ROOT / "configs").compose("gate=default")["gate"]
    return replace(GateConfig.from_dict(cfg), bootstrap_resamples=200)


def judged_run(folder: Path, corrected_scale: float = 1.04) -> ComparisonReport:
    """A main job's store as the plugin leaves it: an older real run of the pair key (so the
    floor is measured), this session's real run, its corrected and stock simulations, the
    comparison written to ``reports/<run id>`` with ``latest`` pointing at it."""
    store = ArtifactStore(folder, current_run="run-1")
    store.save(make_artifact("real", n=40, seed=4, run_id="run-0"))
    made = [
        make_artifact("real", n=40, seed=1, run_id="run-1", test_id="t::real"),
        make_artifact("sim", n=40, seed=2, run_id="run-1", test_id="t::corrected",
                      scale=corrected_scale, variant="corrected"),
        make_artifact("sim", n=40, seed=2, run_id="run-1", test_id="t::stock", scale=0.7,
                      variant="stock"),
    ]  # fmt: skip
    sides = [Side(a, store.save(a), SESSION, a.meta.test_id) for a in made]
    settings = Settings(
        run_id="run-1",
        store=store,
        baselines=BaselineFolder(folder / "baselines"),
        reports_root=folder / "reports",
        gate=gate(),
        plots=False,
        rootdir=folder,
    )
    return compare_session(sides, settings, Extensions())


def table_lines(text: str) -> dict[tuple[str, str], list[str]]:
    """{(pair label, metric): the row's cells after them} of the printed table."""
    rows = [line.strip("| ").split(" | ") for line in text.splitlines() if line.startswith("| ")]
    return {(cells[0], cells[1]): cells[2:] for cells in rows[1:]}


def test_repeatability_tables_the_gates_own_values_and_each_runs_floor(tmp_path, capsys):
    report = judged_run(tmp_path / "run-1")
    judged_run(tmp_path / "run-2")

    status = main(["repeatability", "--only-read", "--out", str(tmp_path)])

    out = capsys.readouterr().out
    rows = table_lines(out)
    corrected = next(p for p in report.pairs if p.variant == "corrected")
    p50 = next(c for c in corrected.row("ttft").checks if c.name == "p50")
    assert p50.floor is not None and p50.floor > 0  # the older real run gave a floor
    cells = rows[(corrected.label, "ttft")]
    assert cells[:3] == [f"{p50.value * 100:+.1f} %"] * 2 + ["0.0 pp"]
    assert cells[5] == f"{p50.floor * 100:.1f}/{p50.floor * 100:.1f} %"
    queueing = rows[(corrected.label, "queueing")]
    assert queueing[0].endswith(" ms") and queueing[2] == "0.0 ms"
    stock = next(p for p in report.pairs if p.variant == "stock")
    assert rows[(stock.label, "ttft")][-1].endswith(" (advisory)")
    assert f"- {corrected.case_label}: run-1: {corrected.floor.source}; run-2: " in out
    assert "verdicts of the enforced pairs agree: yes" in out and status == 0


def test_repeatability_keeps_a_run_that_judged_nothing_in_its_column(tmp_path, capsys):
    """A run whose comparison judged no pair (a broken session) is a "–" in its own column,
    never a shift of the later runs' values under its name, and the verdicts disagree."""
    broken = ArtifactStore(tmp_path / "run-1", current_run="run-1")
    compare_session([], Settings("run-1", broken, BaselineFolder(tmp_path / "b"),
                                 tmp_path / "run-1" / "reports", gate()), Extensions())  # fmt: skip
    judged_run(tmp_path / "run-2")
    judged_run(tmp_path / "run-3")

    status = main(["repeatability", "--only-read", "--out", str(tmp_path)])

    out = capsys.readouterr().out
    for cells in table_lines(out).values():
        assert cells[0] == "–" and cells[1] == cells[2]
        assert cells[-1].startswith("not judged/")
    assert "not judged in run-1" in out and status == 1


def test_repeatability_says_when_the_p50_moved_more_than_allowed(tmp_path, capsys):
    judged_run(tmp_path / "run-1", corrected_scale=1.0)
    judged_run(tmp_path / "run-2", corrected_scale=1.05)
    args = ["repeatability", "--only-read", "--out", str(tmp_path)]

    assert main([*args, "--max-spread-pp", "3"]) == 1
    last = capsys.readouterr().out.splitlines()[-1]
    found = re.search(r"agree: yes; largest p50 spread .*: (\d+\.\d) pp \(limit 3 pp", last)
    assert found and float(found[1]) > 3, last
    assert main([*args, "--max-spread-pp", str(float(found[1]) + 0.1)]) == 0  # shown rounded


def test_advisory_variants_are_shown_but_never_decide_the_agreement(capsys):
    def entry(verdict: str, advisory: bool) -> Entry:
        return Entry("rel", 1.0, 2.0, 0.5, None, verdict, advisory)

    rows = {
        ("a · sim=corrected", "ttft"): [entry("pass", False), entry("pass", False)],
        ("a · sim=stock", "ttft"): [entry("pass", True), entry("fail", True)],
    }
    assert repeatability.verdict_line(rows, 3.0, ["run-1", "run-2"]) == 0
    rows[("a · sim=corrected", "ttft")][1] = entry("inconclusive", False)
    assert repeatability.verdict_line(rows, 3.0, ["run-1", "run-2"]) == 1
    assert "agree: no (1 rows differ)" in capsys.readouterr().out


def test_repeatability_refuses_a_report_of_another_schema(tmp_path, capsys):
    judged_run(tmp_path / "run-1")
    path = tmp_path / "run-1" / "reports" / "latest" / "comparison.json"
    old = {**json.loads(path.read_text()), "schema_version": 3}
    path.unlink()
    path.write_text(json.dumps(old))

    assert main(["repeatability", "--only-read", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "schema 3" in err and f"--gst-out {tmp_path / 'run-1'}" in err


def test_repeatability_with_nothing_to_read_says_what_to_run(tmp_path, capsys):
    assert main(["repeatability", "--only-read", "--out", str(tmp_path)]) == 2
    assert "run gst repeatability without --only-read" in capsys.readouterr().err


def test_each_repeat_runs_what_scripts_main_sh_runs():
    """The main job's two sessions are pixi's `main` task (which tests/foundation checks
    against scripts/main.sh); a --gst-workloads given replaces the main job's workload."""
    task = tomllib.loads((ROOT / "pixi.toml").read_text())["tasks"]["main"]
    expected = [shlex.split(command) for command in task.split(" && ")]
    assert [["pytest", *args] for args in repeatability.main_job_commands([])] == expected
    smoke = repeatability.main_job_commands(["--gst-out", "x", "--gst-workloads=tiny"])
    assert all(args[-3:] == ["--gst-out", "x", "--gst-workloads=tiny"] for args in smoke)
    assert not any("steady60" in args for args in smoke)


def test_a_repeat_never_runs_into_a_store_that_holds_a_run(tmp_path, capsys):
    (tmp_path / "run-1" / "runs").mkdir(parents=True)
    assert main(["repeatability", "--runs", "1", "--out", str(tmp_path)]) == 2
    assert f"rm -r {tmp_path / 'run-1'}" in capsys.readouterr().err


# --- conditioning ----------------------------------------------------------------------------


def test_conditioning_prices_a_preset_at_dearer_and_cheaper_steps(tmp_path, capsys):
    assert main(["conditioning", "tiny", "--out", str(tmp_path)]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| tiny |")]
    assert [row.split(" | ")[1] for row in rows] == ["serial", "continuous"]
    for row in rows:
        cells = row.strip(" |").split(" | ")
        moves = [float(cell) for cell in cells[4:]]
        # A percentile of a workload moves at least in proportion to every step's cost, up to
        # rounding of the 1 % step (TPOT of a request that decodes alone is exactly
        # proportional).
        assert len(moves) == 6 and all(move >= 0.9 for move in moves)


def test_conditioning_without_a_profile_says_how_to_give_one(tmp_path, monkeypatch, capsys):
    """In a checkout without the committed reference (found from the working folder)."""
    (tmp_path / "configs").symlink_to(ROOT / "configs", target_is_directory=True)
    (tmp_path / "benchmarks").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(["conditioning", "tiny"]) == 2
    err = capsys.readouterr().err
    assert f"under {tmp_path / 'reports'}" in err and "--profile" in err


def test_conditioning_names_an_unknown_preset(capsys):
    assert main(["conditioning", "no-such-preset"]) == 2
    assert "no-such-preset" in capsys.readouterr().err


# --- step-costs ------------------------------------------------------------------------------


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


def test_step_costs_sets_a_runs_engine_steps_beside_its_simulation(tmp_path, capsys):
    store = ArtifactStore(tmp_path)
    real = spaced(make_artifact("real", n=60, seed=1))
    sim = spaced(
        make_artifact("sim", n=60, seed=2, scale=1.1, variant="corrected", token_times=True)
    )
    paths = [str(store.save(real)), str(store.save(sim))]

    assert main(["step-costs", "steps", *paths]) == 0
    out = capsys.readouterr().out
    assert out == "\n".join(markdown([(real, sim)])) + "\n"
    assert "| a prefill at an idle engine (paired) | 60 / 60 |" in out

    assert main(["step-costs", "steps", *reversed(paths)]) == 2
    assert "give the real artifact first" in capsys.readouterr().err
    assert main(["step-costs", "steps", str(tmp_path / "gone.json"), paths[1]]) == 2
    assert "no such artifact" in capsys.readouterr().err


def test_step_costs_times_whole_prefills_per_token_count(capsys):
    threads, affinity = torch_threads(), os.sched_getaffinity(0)
    assert main(["step-costs", "tokens", "3-4,8", "--rounds", "3", *TINY_MODEL]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [int(line.split()[0]) for line in lines[1:]] == [3, 4, 8]
    for line in lines[1:]:
        found = re.fullmatch(r"\s*\d+\s+([\d.]+)\s+\(([\d.]+) \.\. ([\d.]+)\)", line)
        assert found, line
        median, low, high = map(float, found.groups())
        assert 0 < low <= median <= high
    # The measurement ran on one thread and one CPU, then gave both back.
    assert (torch_threads(), os.sched_getaffinity(0)) == (threads, affinity)


def test_step_costs_times_a_prefill_after_each_way_of_waiting(capsys):
    assert main(["step-costs", "idle", "--rounds", "1", *TINY_MODEL]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line[:18].strip() for line in lines[1:]]
    assert names[0] == "after decode" and {"warm 1 s", "sleep 2 s", "no wait"} <= set(names)
    # Each prefill is paired with the same round's prefill after a decode step: that one's
    # ratio to itself is exactly zero.
    assert lines[1].endswith("median +0.00%, mean +0.00% ± 0.00%")


def test_step_costs_reads_token_counts_and_ranges(capsys):
    with pytest.raises(SystemExit) as done:
        main(["step-costs", "tokens", "12-x"])
    assert done.value.code == 2 and "e.g. 12-34,40,48" in capsys.readouterr().err
    assert token_counts("12-14,40") == [12, 13, 14, 40]


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def test_errors_tables_each_variant_beside_the_floor(tmp_path, capsys) -> None:
    def pair(variant: str, value: float) -> dict:
        check = {"name": "p50", "value": value, "interval": [value - 0.01, value + 0.01]}
        return {
            "workload": "w",
            "key": {"backend": "serial"},
            "sim": {"variant": variant},
            "verdicts": [{"metric": "ttft", "checks": [{**check, "floor": 0.02, "unit": "rel"}]}],
        }

    path = tmp_path / "comparison.json"
    capacity = {"variant": "corrected", "error": -0.17, "interval": [-0.26, -0.06]}
    sweep = {"sweep": "loadsweep", "backend": "serial", "variants": [capacity]}
    pairs = [pair("corrected", 0.03), pair("baseline", 0.4)]
    path.write_text(json.dumps({"pairs": pairs, "sweeps": [sweep]}))
    assert main(["errors", str(path), "--metrics", "ttft"]) == 0
    out = capsys.readouterr().out
    assert "### loadsweep\n" not in out  # a sweep's capacity is its own table, not a workload
    assert "| loadsweep | serial | -17.0 % [-26.0, -6.0] |" in out
    assert (
        "| backend | metric | corrected p50 / p90 | baseline p50 / p90 | floor p50 / p90 |" in out
    )
    row = "| serial | TTFT | +3.0 % [+2.0, +4.0] / – | +40.0 % [+39.0, +41.0] / – |"
    assert f"{row} 2.0 % / not measured |" in out
    assert main(["errors", str(tmp_path / "missing.json")]) == 2
