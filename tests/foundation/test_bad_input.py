"""Every bad input ends with one line that names the fix: the exit code, the message, no
traceback, and every file that was there before is byte-identical afterwards.

Each case is one in-process pytest session of a suite project whose output folder already
holds a stored run (a copy of the committed CPU reference store): nothing of it may change.
Cases that work today stay in the table, so they keep working.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.suite_project import ROOT, load_suite

USAGE = pytest.ExitCode.USAGE_ERROR
TEST_FILE = """
def test_w(workload):
    assert workload.requests
"""
HEADER = "TIMESTAMP,ContextTokens,GeneratedTokens\n"
ROWS = [
    "2023-11-16 18:15:46,44,12",
    "2023-11-16 18:15:47,135,10",
    "2023-11-16 18:15:49,20,5",
    "2023-11-16 18:15:50,30,6",
]
TRACE_ARGS = [
    "--gst-set=workload=azure_sample",
    "--gst-set=workload.trace.path={trace}",
    "--gst-set=workload.num_requests=4",
]


def trace(*changes: tuple[int, str]) -> str:
    """The four-row trace with row ``i`` (1-based) replaced."""
    rows = list(ROWS)
    for row, text in changes:
        rows[row - 1] = text
    return HEADER + "\n".join(rows) + "\n"


@dataclass(frozen=True)
class Case:
    args: list[str]
    message: str  # an fnmatch pattern of the one line that says what to do
    ret: int = USAGE
    trace: str | None = None  # written to trace.csv when given
    files: dict[str, str] = field(default_factory=dict)


CASES = {
    # options and configs
    "override-without-key": Case(["--gst-set", "=3"], "ERROR: *'=3' has no key; write KEY=VALUE*"),
    "group-removed": Case(
        ["--gst-set", "~workload"],
        "ERROR: *'~workload' removes the config group 'workload'*choose one of its options*",
    ),
    "unknown-group-option": Case(["--gst-set", "workload=nope"], "ERROR: --gst-set*workload=nope*"),
    "unknown-config-key": Case(["--gst-set", "gate.nope=1"], "ERROR: --gst-set*gate.nope*"),
    "out-is-a-file": Case(
        ["--gst-out", "a_file"], "ERROR: --gst-out *a_file is a file, not a folder*--gst-out tmp*"
    ),
    "out-below-a-file": Case(["--gst-out", "a_file/sub"], "ERROR: --gst-out *is a file, not a*"),
    "out-unwritable": Case(
        ["--gst-out", "/proc/self/gst"],
        "ERROR: --gst-out '/proc/*/gst': /proc/* is not writable by this user; give a folder*",
    ),
    "report-dir-is-a-file": Case(["--gst-report-dir", "a_file"], "ERROR: --gst-report-dir*file*"),
    "unknown-backend": Case(
        ["--gst-set", "suite.backends=[foo]"],
        "ERROR: --gst-set suite.backends: unknown backend name(s) ['foo']; choose from*",
    ),
    "unknown-variant": Case(
        ["--gst-set", "suite.vidur_variants=[nope]"],
        "ERROR: --gst-set suite.vidur_variants: unknown vidur name(s) ['nope']*",
    ),
    "unknown-workload": Case(["--gst-workloads", "tiny,nope"], "ERROR: *preset(s) ['nope']*"),
    "workload-set-and-listed": Case(
        ["--gst-set", "workload=smoke", "--gst-workloads", "tiny"],
        "ERROR: --gst-set workload=smoke and --gst-workloads tiny disagree; give only*",
    ),
    "level-not-a-load": Case(
        ["--gst-workloads", "loadsweep@fast"],
        "ERROR: workload 'loadsweep@fast': the level after '@' must be a load "
        "> 0, got 'fast'; write e.g. --gst-workloads loadsweep@0.9",
    ),
    "level-of-a-preset-without-levels": Case(
        ["--gst-workloads", "steady60@0.9"],
        "ERROR: bad workload preset 'steady60@0.9': *preset 'steady60' lists no levels; pick a "
        "sweep preset*--gst-workloads loadsweep@0.9)",
    ),
    "levels-not-loads": Case(
        ["--gst-set", "workload=loadsweep", "--gst-set", "workload.levels=[0.5,0.5]"],
        "ERROR: workload 'loadsweep': levels = [0.5, 0.5]; give distinct loads "
        "> 0, e.g. [0.3, 0.6, 0.9, 1.2]",
    ),
    "workload-set-selects-it": Case(
        ["--gst-set", "workload=smoke", "--collect-only", "-q"], "test_w.py::test_w[smoke]", 0
    ),
    # traces, checked row by row
    "trace-empty": Case(
        TRACE_ARGS, "ERROR: *trace.csv is empty; a trace needs a header*", trace=""
    ),
    "trace-header-only": Case(TRACE_ARGS, "ERROR: *trace.csv has no rows*", trace=HEADER),
    "trace-not-a-number": Case(
        TRACE_ARGS,
        "ERROR: *trace.csv, row 2 (line 3), column ContextTokens: '13x' is not a whole number*",
        trace=trace((2, "2023-11-16 18:15:47,13x,10")),
    ),
    "trace-bad-date": Case(
        TRACE_ARGS,
        "ERROR: *trace.csv, row 3 (line 4), column TIMESTAMP: 'yesterday' *not a date-time*",
        trace=trace((3, "yesterday,20,5")),
    ),
    "trace-zero-tokens": Case(
        TRACE_ARGS,
        "ERROR: *row 1 (line 2), column GeneratedTokens: '0' must be >= 1*",
        trace=trace((1, "2023-11-16 18:15:46,44,0")),
    ),
    "trace-negative-tokens": Case(
        TRACE_ARGS,
        "ERROR: *row 4 (line 5), column ContextTokens: '-5' must be >= 1*",
        trace=trace((4, "2023-11-16 18:15:50,-5,6")),
    ),
    "trace-backwards": Case(
        TRACE_ARGS,
        "ERROR: *row 3 (line 4): arrives 2 s before row 2; sort the file by time, or set "
        "workload.trace.sort_by_time=true*",
        trace=trace((3, "2023-11-16 18:15:45,20,5")),
    ),
    "trace-backwards-sorted-on-request": Case(
        [*TRACE_ARGS, "--gst-set=workload.trace.sort_by_time=true", "--collect-only", "-q"],
        "test_w.py::test_w[azure_sample]",
        0,
        trace=trace((3, "2023-11-16 18:15:45,20,5")),
    ),
}


@pytest.fixture(scope="module", autouse=True)
def _pandas_loaded_once() -> None:
    """pytester drops the modules a session imported; numpy cannot be imported twice."""
    from gst_bench.workloads.traces import read_trace

    read_trace(ROOT / "datasets" / "samples" / "azure_sample.csv")


def fnmatch_escaped(pattern: str) -> str:
    return pattern.replace("[", "[[]")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", list(CASES))
def test_a_bad_input_ends_with_one_line_naming_the_fix(pytester: pytest.Pytester, name: str):
    case = CASES[name]
    load_suite(pytester)
    pytester.makepyfile(test_w=TEST_FILE)
    shutil.copytree(ROOT / "reports" / "cpu-reference" / "store", pytester.path / "out")
    (pytester.path / "a_file").write_text("an earlier file\n")
    if case.trace is not None:
        (pytester.path / "trace.csv").write_text(case.trace)
    before = snapshot(pytester.path)
    args = [a.format(trace=pytester.path / "trace.csv") for a in case.args]
    if not any(a.startswith("--gst-out") for a in args):
        args += ["--gst-out", "out"]
    result = pytester.runpytest(*args)
    output = result.outlines + result.errlines
    assert result.ret == case.ret, "\n".join(output)
    after = snapshot(pytester.path)
    assert {k: v for k, v in after.items() if k in before} == before
    text = "\n".join(output)
    assert "Traceback" not in text and "INTERNALERROR" not in text
    if case.ret == USAGE:
        result.stderr.fnmatch_lines([fnmatch_escaped(case.message)])
    else:
        result.stdout.fnmatch_lines([fnmatch_escaped(case.message)])


def test_an_unsupported_vidur_ends_the_session_naming_the_supported_one(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    """Another Vidur found first on the path (as a local checkout would be): one line, before
    any simulated test runs."""
    fake = pytester.path / "other_vidur"
    (fake / "vidur").mkdir(parents=True)
    (fake / "vidur" / "__init__.py").write_text("")
    (fake / "vidur-0.1.0.dist-info").mkdir()
    (fake / "vidur-0.1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: vidur\nVersion: 0.1.0\n"
    )
    load_suite(pytester)
    pytester.makepyfile(test_s="import pytest\n\n@pytest.mark.sim\ndef test_s():\n    pass\n")
    monkeypatch.setenv("PYTHONPATH", str(fake))
    result = pytester.runpytest_subprocess("--gst-out", "out", "-p", "no:randomly")
    assert result.ret == USAGE
    result.stderr.fnmatch_lines(
        [
            f"ERROR: Vidur 0.1.0 at {fake}/vidur/__init__.py is not the supported Vidur 0.0.26: "
            "pip install vidur==0.0.26 (or see extern/README.md*"
        ]
    )
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert not (pytester.path / "out").exists()
