"""The artifact schema and store: round trips, version checks, atomicity, the index."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gst_compare.artifacts import (
    SCHEMA_VERSION,
    Artifact,
    ArtifactError,
    RequestRecord,
    RunMeta,
    dump_artifact,
    load_artifact,
)
from gst_compare.store import ArtifactStore


@st.composite
def records(draw, rid: int) -> RequestRecord:
    arrived = draw(st.integers(0, 10**12))
    scheduled = arrived + draw(st.integers(0, 10**9))
    n = draw(st.integers(1, 6))
    gaps = draw(st.lists(st.integers(0, 10**8), min_size=n, max_size=n))
    times, t = [], scheduled
    for gap in gaps:
        t += gap
        times.append(t)
    return RequestRecord(
        id=rid,
        arrived_at_ns=arrived,
        scheduled_at_ns=scheduled,
        first_token_at_ns=times[0],
        completed_at_ns=times[-1],
        num_prompt_tokens=draw(st.integers(1, 4096)),
        num_decode_tokens_requested=n,
        num_decode_tokens_actual=n,
        token_times_ns=tuple(times) if draw(st.booleans()) else None,
    )


def meta(**overrides) -> RunMeta:
    values = dict(
        kind="real",
        backend="serial",
        hardware="cpu",
        device_name="test cpu",
        model="qwen3-tiny",
        dtype="float32",
        weights="random",
        workload_name="w",
        workload_hash="abc",
        run_id="r1",
        started_at="2026-01-01T00:00:00+00:00",
    )
    values.update(overrides)
    return RunMeta(**values)


@st.composite
def artifacts(draw) -> Artifact:
    n = draw(st.integers(1, 5))
    reqs = tuple(draw(records(i)) for i in range(n))
    return Artifact(
        meta=meta(
            kind=draw(st.sampled_from(["real", "sim"])), extra={"note": draw(st.text(max_size=20))}
        ),
        requests=reqs,
    )


@settings(max_examples=50, deadline=None)
@given(artifacts())
def test_write_then_read_round_trips(tmp_path_factory, artifact):
    path = tmp_path_factory.mktemp("a") / "artifact.json"
    dump_artifact(artifact, path)
    assert load_artifact(path) == artifact


def example() -> Artifact:
    record = RequestRecord(0, 0, 5, 10, 30, 4, 3, 3, (10, 20, 30))
    return Artifact(meta=meta(), requests=(record,))


def test_a_schema_version_mismatch_says_how_to_regenerate(tmp_path):
    path = dump_artifact(example(), tmp_path / "a.json")
    data = json.loads(path.read_text())
    data["schema_version"] = SCHEMA_VERSION + 1
    path.write_text(json.dumps(data))
    with pytest.raises(ArtifactError, match=r"schema version .* regenerate it by rerunning"):
        load_artifact(path)


def test_a_truncated_artifact_is_reported_not_half_read(tmp_path):
    path = dump_artifact(example(), tmp_path / "a.json")
    path.write_text(path.read_text()[:-40])
    with pytest.raises(ArtifactError, match="truncated or corrupt"):
        load_artifact(path)


def test_timestamps_out_of_order_are_rejected():
    with pytest.raises(ArtifactError, match=r"arrived <= scheduled <= first token"):
        RequestRecord(0, 10, 5, 20, 30, 4, 3, 3)


def test_non_integer_nanoseconds_are_rejected():
    with pytest.raises(ArtifactError, match="must be an integer of nanoseconds"):
        RequestRecord(0, 0, 0.5, 20, 30, 4, 3, 3)


def test_a_failed_write_keeps_the_earlier_artifact(tmp_path, monkeypatch):
    path = dump_artifact(example(), tmp_path / "a.json")
    before = path.read_bytes()
    monkeypatch.setattr(json, "dumps", lambda *a, **k: (_ for _ in ()).throw(ValueError("boom")))
    with pytest.raises(ValueError, match="boom"):
        dump_artifact(example(), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_a_run_manifest_is_never_overwritten(tmp_path):
    store = ArtifactStore(tmp_path)
    store.write_manifest("run", {"a": 1})
    with pytest.raises(ArtifactError, match="never overwritten"):
        store.write_manifest("run", {"a": 2})
    assert json.loads((tmp_path / "runs" / "run" / "manifest.json").read_text()) == {"a": 1}


def test_the_index_finds_the_latest_artifact_per_key(tmp_path):
    store = ArtifactStore(tmp_path)
    first = example()
    store.save(first)
    newer = Artifact(meta=meta(run_id="r2", test_id="t[tiny]"), requests=first.requests)
    store.save(newer)
    other = Artifact(
        meta=meta(run_id="r3", variant="corrected", kind="sim"), requests=first.requests
    )
    store.save(other)
    assert store.latest("real", first.meta.pair_key) == [newer]
    assert store.latest("sim", first.meta.pair_key, variant="corrected") == [other]
    assert store.latest("sim", ("other", "qwen3-tiny", "cpu", "serial")) == []
