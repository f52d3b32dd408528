"""pytest hooks and fixtures of the comparison plugin; each delegates to plain modules."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from gst_compare import provenance
from gst_compare.artifacts import Artifact
from gst_compare.baseline import BaselineFolder
from gst_compare.comparison import (
    ARTIFACT_PROPERTY,
    GATE_PROPERTY,
    JUDGED_PROPERTY,
    Extensions,
    Settings,
    compare_session,
    default_floor_command,
    default_thresholds,
)
from gst_compare.config import ConfigComposer, ConfigError
from gst_compare.gate import FAIL, INCONCLUSIVE, PASS, GateConfigError, marker_problems
from gst_compare.pairing import Pair
from gst_compare.report import COLOURS, ComparisonReport, PairResult
from gst_compare.report_terminal import drift_line, failure_message, terminal_lines
from gst_compare.session import SuiteSession
from gst_compare.store import new_run_id, plain_test_id
from gst_compare.sweep import SEPARATOR as SWEEP_SEPARATOR

SESSION_KEY = pytest.StashKey[SuiteSession]()
REPEATED_VALUE_OPTIONS = {
    "--gst-workloads": "gst_workloads",
    "--gst-out": "gst_out",
    "--gst-report-dir": "gst_report_dir",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gst", "gpu-simulate-test: real vs simulated LLM-serving latency")
    group.addoption(
        "--gst-set",
        action="append",
        default=[],
        dest="gst_set",
        metavar="OVERRIDE",
        help="Hydra override applied to every config the suite composes "
        "(repeatable), e.g. --gst-set hardware.threads=2 --gst-set gate=strict",
    )
    group.addoption(
        "--gst-workloads",
        dest="gst_workloads",
        default=None,
        metavar="NAMES",
        help="comma-separated workload presets to parametrize over "
        "(default: suite.workloads in the config), e.g. --gst-workloads tiny,smoke",
    )
    group.addoption(
        "--gst-out",
        dest="gst_out",
        default=None,
        metavar="DIR",
        help="root for runs, artifacts, profiles and reports (default: output.root, tmp/)",
    )
    group.addoption(
        "--gst-accept-baseline",
        action="store_true",
        default=False,
        dest="gst_accept_baseline",
        help="accept this session's simulated artifacts as the drift baselines "
        "(written into the gst_baseline_dir ini folder) instead of comparing with them",
    )
    group.addoption(
        "--gst-report-dir",
        dest="gst_report_dir",
        default=None,
        metavar="DIR",
        help="folder of the comparison reports, one <run_id>/ each plus a 'latest' pointer "
        "(default: <gst-out>/reports)",
    )
    group.addoption(
        "--gst-inconclusive",
        dest="gst_inconclusive",
        choices=("skip", "fail"),
        default="skip",
        help="what an INCONCLUSIVE fidelity verdict does: skip the fidelity test (default) or "
        "fail it and the session (strict CI)",
    )
    parser.addini("gst_config_dir", "folder of the suite's Hydra config tree", default="configs")
    parser.addini(
        "gst_baseline_dir",
        "folder of the committed drift baselines of simulated artifacts",
        default="reports/baselines",
    )
    parser.addini(
        "gst_report_plots", "draw the report's PNG figures (slower)", type="bool", default=True
    )
    parser.addini(
        "gst_report_plots_for",
        "whose pairs get figures: roles (the gate's primary and baseline variants) or all",
        default="roles",
    )


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from gst_compare import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_configure(config: pytest.Config) -> None:
    for name, text in (
        ("real", "a real run of the model on this machine's device"),
        ("sim", "a simulated run (Vidur) from a profile"),
        ("profile", "profiles the model's operators on this machine's device"),
        ("fidelity", "judges one real/simulated pair from the stored artifacts"),
        ("drift", "compares one simulated artifact with its committed baseline"),
    ):
        config.addinivalue_line("markers", f"{name}: {text}")
    config.addinivalue_line(
        "markers",
        "gst_gate(**thresholds): override gate thresholds for the pairs this test's artifacts "
        "take part in, e.g. gst_gate(p50=0.3, ks_pvalue_min=None)",
    )
    session = _build_session(config)
    _check_gate(session)
    _check_report_dir(config.getoption("gst_report_dir"))
    _plots_for(config)
    config.stash[SESSION_KEY] = session
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistHooks(), "gst-xdist-hooks")
    if session.is_controller:
        config.pluginmanager.register(ComparisonHooks(config), "gst-comparison")


def _check_report_dir(value: str | None) -> None:
    if value and Path(value).exists() and not Path(value).is_dir():
        raise pytest.UsageError(
            f"--gst-report-dir {value!r} is a file; give a folder (it is created if missing)"
        )


def _check_gate(session: SuiteSession) -> None:
    try:
        session.gate  # noqa: B018  (parsed once here, so a bad gate fails at start-up)
    except (GateConfigError, TypeError) as exc:
        raise pytest.UsageError(f"gate config (configs/gate, --gst-set gate.*): {exc}") from None


def _build_session(config: pytest.Config) -> SuiteSession:
    rootdir = Path(config.rootpath)
    config_dir = rootdir / str(config.getini("gst_config_dir"))
    composer = ConfigComposer(config_dir, config.getoption("gst_set"))
    try:
        base = composer.compose()
    except ConfigError as exc:
        raise pytest.UsageError(f"--gst-set: {exc}") from None
    workloads = _workload_names(config, composer, base)
    out_root = _out_root(config, composer, base)
    workerinput = getattr(config, "workerinput", None)
    run_id = workerinput["gst_run_id"] if workerinput else new_run_id()
    return SuiteSession(
        run_id=run_id,
        rootdir=composer.config_dir.parent,
        out_root=out_root,
        composer=composer,
        workload_names=workloads,
        is_controller=workerinput is None,
    )


def _out_root(config: pytest.Config, composer: ConfigComposer, base: dict) -> Path:
    """``--gst-out`` relative to where pytest was started, like any path on a command line;
    the config's ``output.root`` relative to the project folder."""
    option = config.getoption("gst_out")
    if option:
        root = Path(config.invocation_params.dir, option).resolve()
    else:
        root = composer.config_dir.parent / base.get("output", {}).get("root", "tmp")
    _check_out_root(root, "--gst-out" if option else "output.root")
    return root


def _check_out_root(root: Path, source: str) -> None:
    """A folder we can create or write into, checked before anything is written."""
    existing = next(p for p in (root, *root.parents) if p.exists())
    if not existing.is_dir():
        raise pytest.UsageError(
            f"{source} {str(root)!r}: {existing} is a file, not a folder; "
            "give a folder (it is created if missing), e.g. --gst-out tmp"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise pytest.UsageError(
            f"{source} {str(root)!r}: {existing} is not writable by this user; "
            "give a folder you can write to, e.g. --gst-out tmp"
        )


def _workload_names(config: pytest.Config, composer: ConfigComposer, base: dict) -> list[str]:
    option = config.getoption("gst_workloads")
    names = [n.strip() for n in option.split(",") if n.strip()] if option else None
    chosen = _workload_override(config.getoption("gst_set"))
    if chosen and names and names != [chosen]:
        raise pytest.UsageError(
            f"--gst-set workload={chosen} and --gst-workloads {option} disagree; "
            f"give only --gst-workloads (e.g. --gst-workloads {','.join(names)})"
        )
    names = names or ([chosen] if chosen else list(base.get("suite", {}).get("workloads") or []))
    known = composer.choices("workload")
    # <preset>@<level>: one level of a sweep preset (the domain checks the level)
    unknown = [n for n in names if n.split(SWEEP_SEPARATOR, 1)[0] not in known]
    if unknown:
        raise pytest.UsageError(
            f"--gst-workloads: unknown workload preset(s) {unknown}; choose from {known} "
            f"(presets are the files in {composer.config_dir / 'workload'})"
        )
    return names


def _workload_override(overrides: list[str]) -> str | None:
    """``--gst-set workload=X`` selects X: every test composes its own ``workload=<param>``,
    so the override would otherwise be silently outvoted."""
    found = [o.split("=", 1)[1] for o in overrides if o.lstrip("+").startswith("workload=")]
    return found[-1] if found else None


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[SESSION_KEY].args = list(session.config.invocation_params.args)


@pytest.hookimpl(tryfirst=True)  # before ComparisonHooks closes the run
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    interrupted = (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR)
    get_session(session.config).interrupted = exitstatus in interrupted


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        overrides = _gate_marker(item)
        if overrides:
            item.user_properties.append((GATE_PROPERTY, overrides))


def _gate_marker(item: pytest.Item) -> dict[str, Any]:
    """The merged ``gst_gate`` overrides of an item (closest marker wins), checked."""
    overrides: dict[str, Any] = {}
    for mark in reversed(list(item.iter_markers("gst_gate"))):
        problems = marker_problems(mark.kwargs)
        if mark.args:
            problems.insert(0, f"positional arguments {mark.args!r}; use keywords, e.g. p50=0.3")
        if problems:
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.gst_gate: {'; '.join(problems)}")
        overrides.update(mark.kwargs)
    return overrides


@pytest.hookimpl(trylast=True)
def pytest_gst_gate_thresholds(pair: Pair, config: pytest.Config) -> dict[str, Any]:
    return default_thresholds(get_session(config).gate, pair)


@pytest.hookimpl(trylast=True)
def pytest_gst_add_distances(
    pair: Pair, metric: str, real: list[float], sim: list[float]
) -> dict[str, float]:
    from gst_compare.distance import energy

    return {"energy_rel": energy(real, sim)}


@pytest.hookimpl(trylast=True)
def pytest_gst_floor_command(pair: Pair, config: pytest.Config) -> str:
    return default_floor_command(pair, _repeated_options(config))


@pytest.hookimpl(trylast=True)
def pytest_gst_adjust_report(report: ComparisonReport, config: pytest.Config) -> None:
    report.provenance["pytest_args"] = list(config.invocation_params.args)


class ComparisonHooks:
    """Controller only: collects artifacts from test reports, decides and renders the verdict."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        get_session(self.config).recorder.record(
            plain_test_id(report.nodeid), report.user_properties
        )

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        suite = get_session(self.config)
        suite.close()
        if not (suite.recorder.tests or suite.recorder.judged):
            return
        report = _compare(self.config, suite)
        suite.recorder.report = report
        strict = self.config.getoption("gst_inconclusive") == "fail"
        failed = report.failed or (strict and report.verdict == INCONCLUSIVE)
        if failed and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl(trylast=True)  # after pytest-benchmark's table: the next step ends the page
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        report = get_session(self.config).recorder.report
        if report is None:
            return
        try:
            _render(terminalreporter, report)
        except Exception as exc:
            terminalreporter.write_line(f"gst: cannot render the comparison: {exc!r}", red=True)


def _compare(config: pytest.Config, suite: SuiteSession) -> ComparisonReport:
    """Never raises: a failure becomes an error in a failing report."""
    try:
        sides, errors = suite.recorder.sides()
        return compare_session(sides, _settings(config, suite), _extensions(config), errors)
    except Exception as exc:
        message = f"the comparison failed: {type(exc).__name__}: {exc}"
        return ComparisonReport(run_id=suite.run_id, verdict=FAIL, errors=[message])


def _plots_for(config: pytest.Config) -> str:
    value = str(config.getini("gst_report_plots_for")).strip()
    if value not in ("roles", "all"):
        raise pytest.UsageError(
            f"gst_report_plots_for = {value!r} is neither 'roles' nor 'all'; set it in "
            "pyproject.toml's [tool.pytest.ini_options] or pass -o gst_report_plots_for=all"
        )
    return value


def _settings(config: pytest.Config, suite: SuiteSession) -> Settings:
    report_dir = config.getoption("gst_report_dir")
    return Settings(
        run_id=suite.run_id,
        store=suite.store,
        baselines=BaselineFolder(_project_path(suite, str(config.getini("gst_baseline_dir")))),
        reports_root=_project_path(suite, report_dir) if report_dir else suite.out_root / "reports",
        gate=suite.gate,
        accept_baseline=config.getoption("gst_accept_baseline"),
        plots=config.getini("gst_report_plots"),
        plots_for=_plots_for(config),
        command_args=_repeated_options(config),
        floors=suite.floors,
        provenance={
            "resolved_config": suite.base_config(),
            "versions": provenance.versions(),
            "git_commit": provenance.git_commit(suite.rootdir),
            "host": provenance.host(),
            "run": suite.run_id,
        },
    )


def _project_path(suite: SuiteSession, text: str) -> Path:
    return Path(text) if Path(text).is_absolute() else suite.rootdir / text


def _repeated_options(config: pytest.Config) -> list[str]:
    """The options a rerun or accept command must repeat to see the same store and config."""
    args = [f"--gst-set={value}" for value in config.getoption("gst_set")]
    for option, dest in REPEATED_VALUE_OPTIONS.items():
        if config.getoption(dest):
            args.append(f"{option}={config.getoption(dest)}")
    overrides = config.getoption("override_ini") or []
    args += [f"--override-ini={value}" for value in overrides if value.startswith("gst_")]
    return args + _other_gst_flags(config)


def _other_gst_flags(config: pytest.Config) -> list[str]:
    """Flags of other ``--gst-`` options given (e.g. --gst-reprofile), except accepting."""
    skip = {*REPEATED_VALUE_OPTIONS, "--gst-set", "--gst-accept-baseline"}
    given = (str(arg) for arg in config.invocation_params.args)
    return [
        arg
        for arg in dict.fromkeys(given)
        if arg.startswith("--gst-") and arg.split("=", 1)[0] not in skip
    ]


def _extensions(config: pytest.Config) -> Extensions:
    hook = config.hook
    return Extensions(
        thresholds=lambda pair: hook.pytest_gst_gate_thresholds(pair=pair, config=config),
        extra_distances=lambda pair, metric, real, sim: hook.pytest_gst_add_distances(
            pair=pair, metric=metric, real=real, sim=sim
        ),
        adjust=lambda report: hook.pytest_gst_adjust_report(report=report, config=config),
        floor_command=lambda pair: hook.pytest_gst_floor_command(pair=pair, config=config),
    )


def _render(terminalreporter: pytest.TerminalReporter, report: ComparisonReport) -> None:
    colour = COLOURS.get(report.verdict, "yellow")
    title = f"gpu-simulate-test: {report.verdict.upper()}"
    terminalreporter.write_sep("=", title, **{colour: True, "bold": True})
    for text, line_colour in terminal_lines(report):
        terminalreporter.write_line(text, **({line_colour: True} if line_colour else {}))


class XdistHooks:
    """Sends the controller's run id to every worker, so all write under one run."""

    @pytest.hookimpl
    def pytest_configure_node(self, node) -> None:
        node.workerinput["gst_run_id"] = node.config.stash[SESSION_KEY].run_id


def get_session(config: pytest.Config) -> SuiteSession:
    return config.stash[SESSION_KEY]


@pytest.fixture(scope="session")
def gst_session(pytestconfig: pytest.Config) -> SuiteSession:
    """The suite's session state: run id, config composer, artifact store."""
    return get_session(pytestconfig)


@pytest.fixture
def gst_test_id(request: pytest.FixtureRequest) -> str:
    """This test's id as a user types it (without xdist's ``@group`` suffix)."""
    return plain_test_id(request.node.nodeid)


@pytest.fixture
def record_artifact(request: pytest.FixtureRequest, gst_session: SuiteSession):
    """Save an artifact through the store and attach its path to this test's report."""

    def record(artifact: Artifact) -> Path:
        path = gst_session.save_artifact(artifact)
        request.node.user_properties.append((ARTIFACT_PROPERTY, str(path)))
        return path

    return record


@pytest.fixture
def gst_fidelity(request: pytest.FixtureRequest, gst_session: SuiteSession) -> FidelityCheck:
    """``gst_fidelity(pair_key, variant)`` judges the latest stored real run and ``variant``
    simulation of a pair key and turns the verdict into this test's outcome: FAIL fails it
    (advisory variants: xfail), INCONCLUSIVE skips it (fails with --gst-inconclusive=fail)."""
    return FidelityCheck(request, gst_session)


class FidelityCheck:
    def __init__(self, request: pytest.FixtureRequest, suite: SuiteSession) -> None:
        self.request = request
        self.suite = suite

    def __call__(self, pair_key: tuple[str, ...], variant: str) -> PairResult:
        return self.conclude(self.judge(pair_key, variant))

    def conclude(self, result: PairResult) -> PairResult:
        """This test's outcome from a judged pair (fail, skip, xfail or pass)."""
        _fidelity_outcome(result, self.request.config.getoption("gst_inconclusive") == "fail")
        return result

    def judge(self, pair_key: tuple[str, ...], variant: str) -> PairResult:
        from gst_compare.comparison import judge_pair, pair_gate, stored_pair

        config = self.request.config
        found = stored_pair(self.suite.store, pair_key, variant)
        if isinstance(found, str):
            pytest.skip(f"{found}: run the real and simulated tests of this pair first")
        overrides = _gate_marker(self.request.node)
        pair = Pair(found.real, replace(found.sim, gate_overrides=overrides))
        self.request.node.user_properties.append(
            (JUDGED_PROPERTY, (str(pair.real.path), str(pair.sim.path)))
        )
        extensions = _extensions(config)
        gate = pair_gate(pair, self.suite.gate, extensions)
        return judge_pair(pair, gate, extensions, floors=self.suite.floors)


def _fidelity_outcome(result: PairResult, strict: bool) -> None:
    if result.verdict == PASS:
        return
    message = failure_message(result)
    if result.verdict == FAIL:
        if result.advisory:
            pytest.xfail(f"advisory variant (never fails the session): {message}")
        pytest.fail(message, pytrace=False)
    if strict and not result.advisory:
        pytest.fail(f"{message}\n(--gst-inconclusive=fail)", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def gst_drift(request: pytest.FixtureRequest, gst_session: SuiteSession):
    """``gst_drift(pair_key, variant)`` compares the latest stored simulation of a pair key
    with its baseline: DRIFT fails this test with how far each metric moved."""

    def check(pair_key: tuple[str, ...], variant: str) -> None:
        from gst_compare.baseline import DriftStatus
        from gst_compare.comparison import stored_drift

        config = request.config
        if config.getoption("gst_accept_baseline"):
            pytest.skip("--gst-accept-baseline: the baselines are written at session end")
        gate = gst_session.gate.with_overrides(_gate_marker(request.node))
        folder = BaselineFolder(_project_path(gst_session, str(config.getini("gst_baseline_dir"))))
        result = stored_drift(gst_session.store, folder, pair_key, variant, gate)
        if isinstance(result, str):
            pytest.skip(result)
        if result.failed:
            pytest.fail(drift_line(result), pytrace=False)
        if result.status != DriftStatus.MATCH:
            pytest.skip(drift_line(result))

    return check
