"""Progress of long work is printed by default (also with -q), between pytest's own output, and
not with -qq."""

from __future__ import annotations

import pytest

from tests.suite_project import load_suite

LONG_WORK = """
from gst_bench.wiring import suite_fixtures


def test_long(request, monkeypatch):
    monkeypatch.setattr(suite_fixtures, "PROGRESS_EVERY_S", 0.0)  # as if each step took long
    progress = suite_fixtures.terminal_progress(request.config, "[real] long", "requests")
    if progress is not None:
        for done in (1, 2, 3):
            progress(done, 3)
"""


@pytest.mark.parametrize(("verbosity", "shown"), [([], True), (["-q"], True), (["-qq"], False)])
def test_progress_lines_follow_the_verbosity(pytester: pytest.Pytester, verbosity, shown):
    load_suite(pytester)
    pytester.makepyfile(test_long=LONG_WORK)
    result = pytester.runpytest("-p", "no:randomly", "--gst-out", "out", *verbosity)
    assert result.ret == pytest.ExitCode.OK
    lines = [line for line in result.outlines if line.startswith("[real] long: ")]
    assert len(lines) == (3 if shown else 0), result.outlines
    if shown:
        assert lines[-1].startswith("[real] long: 3/3 requests, ") and lines[-1].endswith(" s")
        result.stdout.fnmatch_lines(["*1 passed*"])
