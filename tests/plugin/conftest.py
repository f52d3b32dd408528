"""Fixtures of the plugin tests: a pytester project in each xdist mode."""

from __future__ import annotations

import pytest

from tests.plugin.project import (
    GstProject,
    load_extension_modules_once,
    make_project,
)


@pytest.fixture(scope="session", autouse=True)
def _extension_modules_loaded(tmp_path_factory: pytest.TempPathFactory) -> None:
    load_extension_modules_once(tmp_path_factory.mktemp("warm-up"))


@pytest.fixture
def gst_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> GstProject:
    return make_project(pytester, monkeypatch, "no-xdist")


@pytest.fixture(params=["no-xdist", "n2"])
def gst_project_x(
    request: pytest.FixtureRequest, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> GstProject:
    """The same project, run without xdist and with -n 2: for what crosses processes (the
    controller writes baselines and reports, a rerun reads what another process stored)."""
    return make_project(pytester, monkeypatch, request.param)
