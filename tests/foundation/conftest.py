"""pytester sessions of the suite run as a user's would: the modules they share stay loaded, and
the suite's own xdist worker name does not leak into them."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def numpy_loaded() -> None:
    """numpy imported before any pytester fixture takes its snapshot of the loaded modules."""
    import numpy  # noqa: F401


@pytest.fixture
def pytester(
    numpy_loaded: None, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    """pytester's own fixture, numpy loaded first (an in-process session drops every module it
    imported when it ends, and numpy refuses to be imported twice in one process) and without
    ``PYTEST_XDIST_WORKER`` (a session that reads it would act as an xdist worker)."""
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    return pytester
