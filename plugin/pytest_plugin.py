"""pytest hooks and fixtures of the comparison plugin; each delegates to plain modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugin.artifacts import Artifact
from plugin.config import ConfigComposer, ConfigError
from plugin.session import SuiteSession
from plugin.store import new_run_id

SESSION_KEY = pytest.StashKey[SuiteSession]()
ARTIFACT_PROPERTY = "gst_artifact"


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
    parser.addini("gst_config_dir", "folder of the suite's Hydra config tree", default="configs")


def pytest_configure(config: pytest.Config) -> None:
    for name, text in (
        ("real", "a real run of the model on this machine's device"),
        ("sim", "a simulated run (Vidur) from a profile"),
        ("profile", "profiles the model's operators on this machine's device"),
    ):
        config.addinivalue_line("markers", f"{name}: {text}")
    session = _build_session(config)
    config.stash[SESSION_KEY] = session
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistHooks(), "gst-xdist-hooks")


def _build_session(config: pytest.Config) -> SuiteSession:
    rootdir = Path(config.rootpath)
    config_dir = rootdir / str(config.getini("gst_config_dir"))
    composer = ConfigComposer(config_dir, config.getoption("gst_set"))
    try:
        base = composer.compose()
    except ConfigError as exc:
        raise pytest.UsageError(f"--gst-set: {exc}") from None
    workloads = _workload_names(config, composer, base)
    out = config.getoption("gst_out") or base.get("output", {}).get("root", "tmp")
    out_root = Path(out) if Path(out).is_absolute() else composer.config_dir.parent / out
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


def _workload_names(config: pytest.Config, composer: ConfigComposer, base: dict) -> list[str]:
    option = config.getoption("gst_workloads")
    names = [n.strip() for n in option.split(",") if n.strip()] if option else None
    names = names or list(base.get("suite", {}).get("workloads") or [])
    known = composer.choices("workload")
    unknown = [n for n in names if n not in known]
    if unknown:
        raise pytest.UsageError(
            f"--gst-workloads: unknown workload preset(s) {unknown}; choose from {known} "
            f"(presets are the files in {composer.config_dir / 'workload'})"
        )
    return names


def pytest_sessionstart(session: pytest.Session) -> None:
    suite = session.config.stash[SESSION_KEY]
    if suite.is_controller and not session.config.option.collectonly:
        suite.start(list(session.config.invocation_params.args))


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
def record_artifact(request: pytest.FixtureRequest, gst_session: SuiteSession):
    """Save an artifact through the store and attach its path to this test's report."""

    def record(artifact: Artifact) -> Path:
        path = gst_session.save_artifact(artifact)
        request.node.user_properties.append((ARTIFACT_PROPERTY, str(path)))
        return path

    return record
