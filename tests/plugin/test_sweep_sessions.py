"""A load sweep's capacity verdict, end to end in real pytest sessions: artifacts named
``<sweep>@<level>`` (one per level and side) are judged at session end against the gate's
capacity objective (TTFT p90 ≤ 1500 ms, queueing p90 ≤ 1000 ms by default).

The factory's requests have a TTFT p90 of about 60 ms × ``scale``, so a level's scale sets
where its curve stands against the 1500 ms limit (scale 25 ≈ the limit)."""

from __future__ import annotations

import pytest

from tests.plugin.project import GstProject, make_project

SWEEP_TESTS = """
import pytest
from gst_factory import make_artifact

REAL = {real}
SIM = {sim}


def _hash(level):
    return f"{{int(level * 1000):032x}}"


def _artifact(kind, level, scale, seed, **kwargs):
    name = f"sweep@{{level:g}}"
    return make_artifact(
        kind, n=40, seed=seed, scale=scale, workload_name=name, workload_hash=_hash(level),
        **kwargs
    )


@pytest.mark.parametrize("level", sorted(REAL))
def test_real(level, record_artifact, gst_session, request):
    record_artifact(_artifact(
        "real", level, REAL[level], 1, run_id=gst_session.run_id, test_id=request.node.nodeid
    ))


@pytest.mark.parametrize(
    "variant,level", [(v, lv) for v, curve in sorted(SIM.items()) for lv in sorted(curve)]
)
def test_sim(variant, level, record_artifact, gst_session, request):
    record_artifact(_artifact(
        "sim", level, SIM[variant][level], 2, variant=variant, run_id=gst_session.run_id,
        test_id=request.node.nodeid,
    ))
"""

CROSSING = {0.3: 5.0, 0.6: 10.0, 0.9: 20.0, 1.2: 40.0}  # crosses the limit near 1.0
BELOW_LIMIT = {0.3: 2.0, 0.6: 3.0, 0.9: 4.0}  # meets the objective at every level
SLOWER = {level: 2 * scale for level, scale in CROSSING.items()}  # crosses near 0.68


def write_sweep(project: GstProject, real: dict, sim: dict) -> None:
    project.pytester.makepyfile(test_sweep=SWEEP_TESTS.format(real=real, sim=sim))


def capacities(project: GstProject) -> dict[str, dict]:
    (sweep,) = project.comparison()["sweeps"]
    return {"real": sweep["real"], **{v["variant"]: v for v in sweep["variants"]}}


def test_a_simulated_curve_that_crosses_where_the_real_one_does_passes(gst_project: GstProject):
    finer = {**CROSSING, 1.05: 28.0}  # a simulated-only level: no real run, no unpaired line
    write_sweep(gst_project, CROSSING, {"corrected": finer})
    result = gst_project.run()
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*1 capacity sweep(s): 1 pass*",
            "capacity sweep · qwen3-0.6b · cpu · serial: real 0.9* [[]*[]] (load, levels "
            "0.3, 0.6, 0.9, 1.2; objective TTFT p90 ≤ 1500 ms and queueing p90 ≤ 1000 ms)",
            "  sim=corrected PASS: capacity 0.9* [[]*[]], error *% [[]*%, *%[]] (±20 %)",
            "note: 1 simulation(s) of simulated-only sweep levels draw the simulated capacity*",
        ]
    )
    assert "unpaired" not in result.stdout.str()
    found = capacities(gst_project)
    assert found["real"]["point"]["side"] == "crossed"
    assert 0.9 < found["real"]["point"]["level"] < 1.2
    assert [p["level"] for p in found["corrected"]["curve"]] == [0.3, 0.6, 0.9, 1.05, 1.2]
    assert found["corrected"]["verdict"] == "pass"
    assert abs(found["corrected"]["error"]) < 0.2


def test_a_capacity_above_the_highest_level_is_a_bound_and_undecided(gst_project: GstProject):
    write_sweep(gst_project, BELOW_LIMIT, {"corrected": BELOW_LIMIT})
    result = gst_project.run()
    result.stdout.fnmatch_lines(
        [
            "capacity sweep · * real above the highest level (0.9) (load, levels 0.3, 0.6, 0.9;*",
            "  sim=corrected INCONCLUSIVE: capacity above the highest level (0.9), "
            "error [[]-100.0 %, +∞[]] (±20 %); the real capacity lies above the highest level "
            "(0.9): add higher levels",
        ]
    )
    found = capacities(gst_project)
    assert found["real"]["point"] == {"side": "above", "level": 0.9}
    assert found["corrected"]["error"] is None
    assert found["corrected"]["interval"][1] == "inf"
    assert gst_project.comparison()["verdict"] != "fail"


def test_a_simulation_that_saturates_too_early_fails_the_session(gst_project: GstProject):
    write_sweep(gst_project, CROSSING, {"corrected": SLOWER, "stock": CROSSING})
    result = gst_project.run()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "  sim=corrected FAIL: capacity 0.6* error -3* % *(±20 %); at load *: mean "
            "queueing *, mean service (prefill + decode) +*%; step cost drives it",
            "  sim=stock PASS: * (advisory)",
        ]
    )
    found = capacities(gst_project)
    assert found["corrected"]["verdict"] == "fail" and found["corrected"]["error"] < -0.2
    assert found["corrected"]["interval"][1] < -0.2


def test_an_advisory_variants_missed_capacity_never_fails_the_session(gst_project: GstProject):
    write_sweep(gst_project, CROSSING, {"corrected": CROSSING, "stock": SLOWER})
    result = gst_project.run()
    assert capacities(gst_project)["stock"]["verdict"] == "fail"
    assert capacities(gst_project)["corrected"]["verdict"] == "pass"
    result.stdout.fnmatch_lines(["  sim=stock FAIL: * (advisory)*"])
    assert "gpu-simulate-test: FAIL" not in result.stdout.str()


def test_the_objective_and_tolerance_come_from_the_gate(gst_project: GstProject):
    """A looser tolerance turns the early saturation into a pass; no objective: no sweep."""
    write_sweep(gst_project, CROSSING, {"corrected": SLOWER})
    loose = gst_project.run("--gst-set", "gate.capacity_rel_error=0.9")
    assert capacities(gst_project)["corrected"]["verdict"] == "pass"
    loose.stdout.fnmatch_lines(["  sim=corrected PASS: * (±90 %)*"])
    off = gst_project.run("--gst-set", "gate.capacity_objective_ms=null")
    assert "sweeps" not in gst_project.comparison()
    assert "capacity sweep" not in off.stdout.str()


def test_a_bad_objective_is_refused_before_any_test_runs(gst_project: GstProject):
    write_sweep(gst_project, CROSSING, {"corrected": CROSSING})
    result = gst_project.run("--gst-set", "+gate.capacity_objective_ms.tpot_p90=100")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*gate.capacity_objective_ms.tpot_p90=100; use <metric>_p<percentile>*metric one of*"]
    )


def test_the_report_opens_with_the_sweep_figures_and_table(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    project = make_project(pytester, monkeypatch, "no-xdist", plots=True)
    write_sweep(project, CROSSING, {"corrected": SLOWER})
    project.run()
    folder = project.out / "reports" / "latest"
    report = (folder / "report.md").read_text()
    stem = "sweep_qwen3-0.6b_cpu_serial"
    assert report.index("## Load sweep: capacity") < report.index("## Verdict")
    assert f"![{stem}.sweep.png]({stem}.sweep.png)" in report
    assert "| corrected | FAIL |" in report
    for name in (f"{stem}.sweep.png", f"{stem}.sweep_error.png"):
        assert (folder / name).stat().st_size > 10_000


def test_a_sweep_is_judged_the_same_under_xdist(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    project = make_project(pytester, monkeypatch, "n2")
    write_sweep(project, CROSSING, {"corrected": SLOWER})
    result = project.run()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert capacities(project)["corrected"]["verdict"] == "fail"
