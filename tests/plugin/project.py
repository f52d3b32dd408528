"""A pytester project that loads the comparison plugin, run without xdist, with -n 0 or -n 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.suite_project import COMPARISON_PLUGIN_ONLY, ROOT

FACTORY = Path(__file__).with_name("factory.py")
XDIST_MODES = {"no-xdist": ["-p", "no:xdist"], "n0": ["-n", "0"], "n2": ["-n", "2"]}
# Installed plugins these sessions do not use; each costs ~0.5 s in every -n 2 process.
UNUSED_PLUGINS = ["-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:anyio"]

TESTS_TEMPLATE = """
import pytest
from gst_factory import make_artifact

REAL = {real}
SIM = {sim}


@pytest.fixture
def made(record_artifact, gst_session, request):
    def make(kind, **kwargs):
        test_id = request.node.nodeid
        artifact = make_artifact(kind, run_id=gst_session.run_id, test_id=test_id, **kwargs)
        return record_artifact(artifact)

    return make


{real_marks}
def test_real(made):
    if REAL is not None:
        made("real", **REAL)


{sim_marks}
def test_sim(made):
    if SIM is not None:
        made("sim", **SIM)
"""


class GstProject:
    """A pytester folder with the plugin, the artifact factory and the suite's configs."""

    def __init__(self, pytester: pytest.Pytester, mode: str) -> None:
        self.pytester = pytester
        self.mode = mode
        self.out = pytester.path / "out"
        self.baselines = pytester.path / "baselines"

    def write_tests(
        self,
        real: dict[str, Any] | None,
        sim: dict[str, Any] | None,
        real_marks: str = "",
        sim_marks: str = "",
    ) -> None:
        text = TESTS_TEMPLATE.format(real=real, sim=sim, real_marks=real_marks, sim_marks=sim_marks)
        self.pytester.makepyfile(test_pairs=text)

    def run(self, *args: str) -> pytest.RunResult:
        """The session in this project's xdist mode; with -n 2 its workers are processes."""
        full = [*XDIST_MODES[self.mode], *UNUSED_PLUGINS, "--gst-out", str(self.out), *args]
        return self.pytester.runpytest(*full)

    def comparison(self) -> dict[str, Any]:
        return json.loads((self.out / "reports" / "latest" / "comparison.json").read_text())


def load_extension_modules_once(folder: Path) -> None:
    """Run one comparison and one plot in this process before any pytester exists.

    pytester drops the modules a test imported when it ends; a C extension (numpy, scipy,
    matplotlib) dropped that way cannot be imported again in the same process.
    """
    from gst_compare.distance import compare_metric
    from gst_compare.metrics import METRICS
    from gst_compare.plots import plot_pair
    from tests.plugin.factory import make_artifact

    real, sim = make_artifact("real", n=8), make_artifact("sim", n=8, seed=1)
    for metric in METRICS:
        compare_metric(metric, real, sim)
    plot_pair(real, sim, folder, "warm-up")


def make_project(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mode: str, plots: bool = False
) -> GstProject:
    pytester.makeconftest(COMPARISON_PLUGIN_ONLY)
    pytester.makeini(
        "[pytest]\n"
        f"gst_config_dir = {ROOT / 'configs'}\n"
        f"gst_baseline_dir = {pytester.path / 'baselines'}\n"
        f"gst_report_plots = {'true' if plots else 'false'}\n"
    )
    pytester.makepyfile(gst_factory=FACTORY.read_text(encoding="utf-8"))
    return GstProject(pytester, mode)
