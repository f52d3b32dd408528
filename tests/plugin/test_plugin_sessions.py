"""The comparison plugin in real pytest sessions, without xdist, with -n 0 and with -n 2."""

from __future__ import annotations

import json

import pytest

from tests.plugin.project import GstProject, make_project

CLOSE = {"n": 40, "seed": 2}
FAR = {"n": 40, "seed": 2, "scale": 1.6}
REAL = {"n": 40, "seed": 1}
SIM_ID = "test_pairs.py::test_sim"


def test_a_close_pair_passes_and_writes_the_report(gst_project: GstProject):
    gst_project.write_tests(REAL, {**CLOSE, "variant": "corrected"})
    result = gst_project.run()
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*= gpu-simulate-test: PASS =*",
            "PASS — sim=corrected worst error: * p* * [[]*, *[]] (tiny, serial); "
            "floor not measured.",
            "1 pair(s): 1 pass, 0 fail, 0 inconclusive; floor measured for 0 of 1 case(s)*",
            "tiny · qwen3-0.6b · cpu · serial · sim=corrected  "
            "[[]gate default; floor not measured[]]",
            "  ttft *PASS*p50 * [[]*, *[]] (±25 %); p90 * (±35 %); wasserstein * (≤ 25 %)",
            "  itl *n/a*not available: the simulated artifact has no per-token times",
            "floor not measured; measure it: pytest test_pairs.py::test_real --gst-out=*",
            "report: *reports*report.md",
        ]
    )
    data = gst_project.comparison()
    assert data["format"] == "gpu-simulate-test/comparison" and data["schema_version"] == 4
    assert data["percentile_estimator"] == "harrell-davis"
    assert data["verdict"] == "pass"
    (pair,) = data["pairs"]
    assert (pair["real"]["source"], pair["sim"]["source"]) == ("session", "session")
    assert [view["metric"] for view in pair["medians"]] == ["ttft", "tpot", "e2e"]
    assert all(len(view["real_ms"]) == len(view["sim_ms"]) == 4 for view in pair["medians"])
    assert pair["floor"]["measured"] is False and pair["floor"]["source"] == "not measured"
    assert pair["floor"]["command"].startswith("pytest test_pairs.py::test_real --gst-out=")
    report = (gst_project.out / "reports" / "latest" / "report.md").read_text()
    assert report.startswith("# PASS — sim=corrected worst error: ")
    assert "## Medians and per-request errors" in report
    assert "[comparison.json](comparison.json)" in report and '"versions"' not in report


def test_a_far_pair_fails_the_session_with_the_summary_printed(gst_project: GstProject):
    gst_project.write_tests(REAL, {**FAR, "variant": "corrected"})
    result = gst_project.run()
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*= gpu-simulate-test: FAIL =*",
            "FAIL — sim=corrected worst error: * p* +6* % [[]+*, +*[]] (tiny, serial); "
            "floor not measured.",
            "  ttft *FAIL*p50 +6* % [[]+*, +*[]] (±25 %)*",
            f"rerun:  pytest test_pairs.py::test_real {SIM_ID} --gst-out=*",
        ]
    )
    assert gst_project.comparison()["verdict"] == "fail"


def test_an_advisory_variant_is_shown_but_does_not_fail_until_enforced(gst_project: GstProject):
    gst_project.write_tests(REAL, {**FAR, "variant": "stock"})
    result = gst_project.run()
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*sim=stock  [[]gate default; floor not measured[]] "
            "(advisory: shown, never fails the session)",
            "  ttft *FAIL*",
        ]
    )
    assert gst_project.comparison()["pairs"][0]["advisory"] is True
    enforced = gst_project.run("--gst-set", "gate.advisory_variants=[]")
    assert enforced.ret == pytest.ExitCode.TESTS_FAILED


def test_too_few_requests_are_inconclusive_and_fail_only_when_asked(gst_project: GstProject):
    gst_project.write_tests({**REAL, "n": 5}, {**FAR, "n": 5})
    result = gst_project.run()
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*= gpu-simulate-test: INCONCLUSIVE =*",
            "  ttft *INCONCLUSIVE*n=5 requests < min_requests 30: run a workload of ≥ 30*",
        ]
    )
    percentile = gst_project.comparison()["pairs"][0]["distances"][0]["percentiles"][0]
    assert percentile["rel_error"] > 0.5 and percentile["rel_interval"] is not None
    strict = gst_project.run("--gst-inconclusive=fail")
    assert strict.ret == pytest.ExitCode.TESTS_FAILED


REFUSED_TESTS = """
import pytest
from gst_factory import make_artifact

CASES = {
    "real-serial": dict(kind="real", backend="serial"),
    "sim-serial-other-hash": dict(kind="sim", backend="serial", workload_hash="f" * 32),
    "real-continuous": dict(kind="real", backend="continuous"),
    "sim-continuous-other-ids": dict(kind="sim", backend="continuous", ids=list(range(1, 41))),
}


@pytest.mark.parametrize("case", list(CASES))
def test_side(record_artifact, gst_session, request, case):
    options = CASES[case]
    artifact = make_artifact(options.pop("kind"), n=40, run_id=gst_session.run_id,
                             test_id=request.node.nodeid, **options)
    record_artifact(artifact)
"""


def test_a_pair_that_ran_other_requests_is_refused(gst_project: GstProject):
    gst_project.pytester.makepyfile(test_refused=REFUSED_TESTS)
    result = gst_project.run()
    result.assert_outcomes(passed=4)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines_random(
        [
            "*= gpu-simulate-test: FAIL =*",
            "REFUSED tiny*serial*: workload hashes differ (real 0123*, sim ffff*",
            "REFUSED tiny*continuous*: request ids differ: "
            "1 only in real [[]0[]], 1 only in sim [[]40[]]",
            "rerun:  pytest *test_side[[]real-serial[]]*test_side[[]sim-serial-other-hash[]]*",
        ]
    )
    data = gst_project.comparison()
    assert data["pairs"] == [] and len(data["refused"]) == 2


DRIFT_TESTS = """
import pytest
from gst_factory import make_artifact

SCALES = {scales}


@pytest.mark.parametrize("variant", sorted(SCALES))
def test_sim(record_artifact, gst_session, request, variant):
    artifact = make_artifact("sim", n=40, seed=2, variant=variant, scale=SCALES[variant],
                             run_id=gst_session.run_id, test_id=request.node.nodeid)
    record_artifact(artifact)
"""


def test_drift_fails_in_either_direction_until_accepted(gst_project_x: GstProject):
    project = gst_project_x
    project.pytester.makepyfile(test_drift=DRIFT_TESTS.format(scales={"a": 1.0, "b": 1.0}))
    result = project.run()
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "unpaired sim tiny*: no real artifact*run the real test*",
            "drift *sim=a: NO BASELINE*",
            "accept: pytest 'test_drift.py::test_sim[[]a[]]' 'test_drift.py::test_sim[[]b[]]' "
            "--gst-out=* --gst-accept-baseline",
        ]
    )
    result = project.run("--gst-accept-baseline")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["drift *sim=a: ACCEPTED*"])
    names = sorted(p.name for p in project.baselines.iterdir())
    assert names == [f"tiny__qwen3-0.6b__cpu__serial__{v}__0123456789.json" for v in "ab"]
    project.run().stdout.fnmatch_lines(["drift *sim=a: MATCH*", "drift *sim=b: MATCH*"])
    project.pytester.makepyfile(test_drift=DRIFT_TESTS.format(scales={"a": 1.001, "b": 0.999}))
    result = project.run()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "drift *sim=a: DRIFT*request 0: scheduled_at_ns * (+0.0*%)*",
            "drift *sim=b: DRIFT*request 0: scheduled_at_ns * (-0.0*%)*",
            "accept: pytest 'test_drift.py::test_sim[[]a[]]' 'test_drift.py::test_sim[[]b[]]' *",
        ]
    )


def test_a_rerun_of_one_id_pairs_with_the_stored_side(gst_project_x: GstProject):
    project = gst_project_x
    project.write_tests(REAL, {**CLOSE, "variant": "stock"})
    assert project.run().ret == pytest.ExitCode.OK
    first_run = project.comparison()["run_id"]
    result = project.run(SIM_ID)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*= gpu-simulate-test: PASS =*", "tiny*sim=stock*"])
    (pair,) = project.comparison()["pairs"]
    assert pair["real"]["source"] == "store" and pair["real"]["run_id"] == first_run
    assert pair["sim"]["source"] == "session" and pair["sim"]["run_id"] != first_run


def test_one_real_pairs_with_each_sim_variant(gst_project: GstProject):
    project = gst_project
    project.write_tests(REAL, {**FAR, "variant": "corrected"})
    project.pytester.makepyfile(
        test_other="""
        from gst_factory import make_artifact

        def test_stock(record_artifact, gst_session, request):
            record_artifact(make_artifact("sim", n=40, seed=2, variant="stock",
                            run_id=gst_session.run_id, test_id=request.node.nodeid))
        """
    )
    result = project.run()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["2 pair(s): 0 pass, 1 fail, 0 inconclusive; 1 advisory (1 pass)*"])
    verdicts = {p["sim"]["variant"]: p["verdict"] for p in project.comparison()["pairs"]}
    assert verdicts == {"stock": "pass", "corrected": "fail"}


def test_a_marker_loosens_the_gate_of_its_test(gst_project: GstProject):
    marks = "@pytest.mark.gst_gate(p50=0.8, p90=0.8, wasserstein_rel_max=None, abs_p90=1000)"
    gst_project.write_tests(REAL, FAR, sim_marks=marks)
    result = gst_project.run()
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["  ttft *PASS*p50 +6* % [[]*[]] (±80 %)*"])
    assert gst_project.comparison()["pairs"][0]["gate"]["wasserstein_rel_max"] is None


def test_the_command_line_tightens_the_gate(gst_project: GstProject):
    gst_project.write_tests(REAL, {**CLOSE, "scale": 1.1})
    assert gst_project.run().ret == pytest.ExitCode.OK
    result = gst_project.run("--gst-set", "gate.percentile_rel_error.p50=0.02")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["  tpot *FAIL*p50 +1* % [[]*[]] floor 0.0 % (±2 %)*"])


def test_the_strict_preset_fails_what_the_default_passes(gst_project: GstProject):
    gst_project.write_tests(REAL, {**CLOSE, "scale": 1.15})
    assert gst_project.run().ret == pytest.ExitCode.OK
    result = gst_project.run("--gst-set", "gate=strict")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["tiny*[[]gate strict; floor *[]]", "  e2e *FAIL*p50 +1* % [[]*[]] floor 0.0 % (±10 %)*"]
    )


@pytest.mark.parametrize(
    ("marks", "message"),
    [
        ("@pytest.mark.gst_gate(p42=0.1)", "*unknown gst_gate argument 'p42'*accepted*'p50'*"),
        ("@pytest.mark.gst_gate(p50=-1)", "*gst_gate p50=-1; use a number ≥ 0*"),
        ("@pytest.mark.gst_gate(0.3)", "*positional arguments (0.3,); use keywords*"),
    ],
)
def test_a_bad_marker_is_a_usage_error_at_collection(gst_project: GstProject, marks, message):
    gst_project.write_tests(REAL, CLOSE, sim_marks=marks)
    result = gst_project.run("--collect-only")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*test_pairs.py::test_sim: @pytest.mark.gst_gate: {message}"])


def test_a_bad_gate_setting_is_a_usage_error(gst_project: GstProject):
    gst_project.write_tests(REAL, CLOSE)
    result = gst_project.run("--gst-set", "gate.wasserstein_rel_max=-1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*gate.wasserstein_rel_max=-1; use a number ≥ 0 or null*"])


def test_a_report_dir_that_is_a_file_is_a_usage_error(gst_project: GstProject):
    gst_project.write_tests(REAL, CLOSE)
    not_a_folder = gst_project.pytester.path / "reports.txt"
    not_a_folder.write_text("")
    result = gst_project.run("--gst-report-dir", str(not_a_folder))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--gst-report-dir '*reports.txt' is a file; give a folder*"])


def test_a_conftest_hook_provides_thresholds_and_adjusts_the_report(gst_project: GstProject):
    gst_project.pytester.makeconftest(
        """
        pytest_plugins = ["gst_compare.pytest_plugin"]

        def pytest_gst_gate_thresholds(pair, config):
            return {"name": "from-conftest", "percentile_rel_error": {"p50": 0.0001}}

        def pytest_gst_add_distances(pair, metric, real, sim):
            return {"max_gap_ms": abs(max(real) - max(sim))}

        def pytest_gst_adjust_report(report, config):
            report.notes.append("adjusted by conftest")
        """
    )
    gst_project.write_tests(REAL, {**CLOSE, "scale": 1.3})
    result = gst_project.run()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["tiny*[[]gate from-conftest; floor not measured[]]", "note: adjusted by conftest"]
    )
    extra = gst_project.comparison()["pairs"][0]["distances"][0]["extra"]
    assert set(extra) == {"energy_rel", "max_gap_ms"}


def test_a_session_without_artifacts_writes_no_report(gst_project: GstProject):
    gst_project.write_tests(None, None)
    result = gst_project.run()
    assert result.ret == pytest.ExitCode.OK
    assert "gpu-simulate-test:" not in result.stdout.str()
    assert not (gst_project.out / "reports").exists()


def test_the_report_folder_has_plots_and_a_latest_pointer(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    project = make_project(pytester, monkeypatch, "no-xdist", plots=True)
    project.write_tests(REAL, {**CLOSE, "variant": "corrected"})
    reports = pytester.path / "elsewhere"
    assert project.run("--gst-report-dir", str(reports)).ret == pytest.ExitCode.OK
    (run_dir,) = [p for p in reports.iterdir() if p.name != "latest"]
    assert (reports / "latest").resolve() == run_dir.resolve()
    pngs = sorted(p.name.split(".")[-2] for p in run_dir.glob("*.png"))
    assert pngs == ["cdf", "error_vs_prompt", "qq", "scatter"]
    data = json.loads((run_dir / "comparison.json").read_text())
    assert len(data["pairs"][0]["plots"]) == 4
    markdown = (run_dir / "report.md").read_text()
    order = [markdown.index(title) for title in ("## Verdict", "## Figures", "## Pairs")]
    assert order == sorted(order)
    assert "![" in markdown and "[error/prompt](" in markdown and '"versions"' not in markdown
    assert "versions" in data["provenance"]


def test_figures_are_drawn_for_the_gates_roles_unless_all_are_asked_for(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    project = make_project(pytester, monkeypatch, "no-xdist", plots=True)
    project.write_tests(REAL, {**CLOSE, "variant": "stock"})  # advisory, not a role
    assert project.run().ret == pytest.ExitCode.OK
    assert project.comparison()["pairs"][0]["plots"] == []
    assert project.run("-o", "gst_report_plots_for=all").ret == pytest.ExitCode.OK
    assert len(project.comparison()["pairs"][0]["plots"]) == 4
    result = project.run("-o", "gst_report_plots_for=some")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*gst_report_plots_for = 'some' is neither 'roles' nor 'all'*"])
