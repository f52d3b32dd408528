"""A damaged store is repaired from ``runs/`` or reported with the file and the fix; an
interrupted session's run is never paired; the printed rerun command reproduces a session."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from gst_compare.artifacts import ArtifactError
from gst_compare.store import COMPLETE_MARKER, ArtifactStore
from tests.plugin.factory import make_artifact
from tests.plugin.project import FACTORY, GstProject
from tests.suite_project import load_suite

KEY = ("0123456789abcdef0123456789abcdef", "qwen3-0.6b", "cpu", "serial")


def stored(tmp_path: Path, *run_ids: str, complete: bool = True) -> ArtifactStore:
    """A store with one real artifact per run, each run's manifest written as a session does."""
    store = ArtifactStore(tmp_path)
    for run_id in run_ids:
        store.write_manifest(run_id, {"run_id": run_id, "complete": False})
        store.save(make_artifact("real", run_id=run_id, test_id=f"t::real[{run_id}]"))
        if complete:
            store.mark_complete(run_id)
    return store


def index_file(store: ArtifactStore) -> Path:
    (file,) = (store.root / "index" / "real").glob("*.json")
    return file


def test_a_truncated_index_entry_is_rebuilt_from_runs(tmp_path):
    store = stored(tmp_path, "a", "b")
    file = index_file(store)
    good = file.read_bytes()
    file.write_bytes(good[: len(good) // 2])
    (found,) = store.latest("real", KEY)
    assert found.meta.run_id == "b"
    assert file.read_bytes() == good


def test_an_entry_whose_artifact_is_gone_falls_back_to_the_previous_run(tmp_path):
    store = stored(tmp_path, "a", "b")
    (store.run_dir("b") / "artifacts" / "real" / "t_real_b.json").unlink()
    (found,) = store.latest("real", KEY)
    assert found.meta.run_id == "a"
    assert json.loads(index_file(store).read_text())["run_id"] == "a"


def test_an_entry_nothing_can_repair_is_reported_with_the_file_and_the_fix(tmp_path):
    store = stored(tmp_path, "a")
    (store.run_dir("a") / "artifacts" / "real" / "t_real_a.json").unlink()
    file = index_file(store)
    file.write_text("{")
    with pytest.raises(ArtifactError, match=rf"{file} is truncated or corrupt.*rm {file}"):
        store.latest("real", KEY)


def test_an_interrupted_run_is_skipped_and_the_index_left_alone(tmp_path):
    store = stored(tmp_path, "a")
    stored(tmp_path, "b", complete=False)
    before = index_file(store).read_bytes()
    (found,) = store.latest("real", KEY)
    assert found.meta.run_id == "a"
    assert index_file(store).read_bytes() == before  # the interrupted run may still finish
    assert ArtifactStore(tmp_path, current_run="b").latest("real", KEY)[0].meta.run_id == "b"


INTERRUPTING = """
from gst_factory import make_artifact


def test_real(record_artifact, gst_session, request):
    record_artifact(make_artifact("real", run_id=gst_session.run_id, test_id=request.node.nodeid))
    if (request.config.rootpath / "interrupt").exists():  # Ctrl-C after the artifact is saved
        raise KeyboardInterrupt


def test_sim(record_artifact, gst_session, request):
    record_artifact(make_artifact("sim", run_id=gst_session.run_id, test_id=request.node.nodeid))
"""


def test_an_interrupted_session_is_marked_and_never_paired(gst_project: GstProject):
    gst_project.pytester.makepyfile(test_pairs=INTERRUPTING)
    assert gst_project.run("-k", "test_real").ret == pytest.ExitCode.OK
    (gst_project.pytester.path / "interrupt").touch()
    interrupted = gst_project.pytester.runpytest_inprocess(
        "-p",
        "no:xdist",
        "--gst-out",
        str(gst_project.out),
        "-k",
        "test_real",
        no_reraise_ctrlc=True,  # the Ctrl-C is the session under test's, not ours
    )
    assert interrupted.ret == pytest.ExitCode.INTERRUPTED
    runs = list((gst_project.out / "runs").iterdir())
    (complete,) = [run for run in runs if (run / COMPLETE_MARKER).exists()]
    (interrupted_run,) = [run for run in runs if run != complete]
    assert json.loads((interrupted_run / "manifest.json").read_text())["complete"] is False
    result = gst_project.run("-k", "test_sim")
    assert "Traceback" not in result.stdout.str()
    (pair,) = gst_project.comparison()["pairs"]
    assert pair["real"]["run_id"] == complete.name


WORKLOAD_TESTS = """
from gst_factory import make_artifact


def test_real(workload, record_artifact, gst_session, request):
    record_artifact(make_artifact("real", run_id=gst_session.run_id,
                                  test_id=request.node.nodeid, workload_name=workload.name))


def test_sim(workload, record_artifact, gst_session, request):
    record_artifact(make_artifact("sim", run_id=gst_session.run_id, scale=3.0, variant="x",
                                  test_id=request.node.nodeid, workload_name=workload.name))
"""


def test_the_printed_rerun_command_reproduces_the_session(pytester: pytest.Pytester):
    load_suite(pytester, "gst_report_plots = false")
    pytester.makepyfile(test_pairs=WORKLOAD_TESTS, gst_factory=FACTORY.read_text())
    args = ["--gst-workloads", "smoke", "--gst-set", "gate=strict", "--gst-out", "out"]
    first = pytester.runpytest("-p", "no:randomly", *args)
    assert first.ret == pytest.ExitCode.TESTS_FAILED
    (line,) = [text for text in first.outlines if text.startswith("rerun:  pytest ")]
    assert "--gst-workloads=smoke" in line and "--gst-set=gate=strict" in line
    again = pytester.runpytest("-p", "no:randomly", *shlex.split(line)[2:])
    assert again.ret == pytest.ExitCode.TESTS_FAILED
    again.assert_outcomes(passed=2)
    again.stdout.fnmatch_lines(["*test_pairs.py::test_real[[]smoke[]]*"])
    assert [t for t in again.outlines if t.startswith("rerun:  pytest ")] == [line]
