"""The Vidur adapter on a real tiny profile: simulates, deterministically, offline, several
times per process, and refuses what the profile cannot price before simulating."""

from __future__ import annotations

import socket
from dataclasses import replace
from itertools import pairwise

import pytest

from gst_bench.profile.format import ProfileError
from gst_bench.sim.plan import SimInputError
from gst_bench.sim.vidur_adapter import simulate
from gst_compare.artifacts import Artifact, RunMeta, dump_artifact, load_artifact
from gst_compare.metrics import summary
from tests.sim.conftest import compose, small_workload


@pytest.mark.parametrize("backend", ["serial", "continuous"])
def test_simulates_a_workload(tiny_profile, out_root, backend) -> None:
    workload = small_workload()
    cfg = compose(f"backend={backend}", "vidur=stock")
    artifact = simulate(workload, tiny_profile, cfg, out_root=out_root, run_id="r1", test_id="t")
    meta = artifact.meta
    assert (meta.kind, meta.backend, meta.hardware) == ("sim", backend, "cpu")
    assert meta.variant == "stock"
    assert meta.workload_hash == workload.hash and meta.model == "qwen3-tiny"
    assert meta.extra["profile"]["content_hash"] == tiny_profile.content_hash
    assert [r.id for r in artifact.requests] == [r.id for r in workload.requests]
    assert all(r.first_token_at_ns > r.arrived_at_ns for r in artifact.requests)
    for r in artifact.requests:
        times = r.token_times_ns
        assert len(times) == r.num_decode_tokens_actual
        assert (times[0], times[-1]) == (r.first_token_at_ns, r.completed_at_ns)
    assert summary(artifact)["tpot"]["p50"] > 0
    assert summary(artifact)["itl"]["p50"] > 0
    path = dump_artifact(artifact, out_root / "a.json")
    assert load_artifact(path) == artifact


def test_serial_runs_one_request_at_a_time(tiny_profile, out_root) -> None:
    workload = small_workload(rate=1e6)  # all arrive together: each waits for the previous
    artifact = simulate(workload, tiny_profile, compose("backend=serial"), out_root=out_root)
    ordered = sorted(artifact.requests, key=lambda r: r.scheduled_at_ns)
    assert all(a.completed_at_ns <= b.scheduled_at_ns for a, b in pairwise(ordered))
    assert artifact.meta.extra["vidur_scheduler"]["batch_size_cap"] == 1


def test_same_inputs_give_identical_requests(tiny_profile, out_root) -> None:
    workload = small_workload(num=8)
    cfg = compose("backend=continuous", "vidur=corrected")
    first = simulate(workload, tiny_profile, cfg, out_root=out_root)
    simulate(workload, tiny_profile, compose("backend=serial"), out_root=out_root)
    second = simulate(workload, tiny_profile, cfg, out_root=out_root)
    assert first.requests == second.requests
    assert first.to_dict()["requests"] == second.to_dict()["requests"]


def test_corrections_add_time_and_are_recorded(tiny_profile, out_root) -> None:
    workload = small_workload()
    stock = simulate(workload, tiny_profile, compose("vidur=stock"), out_root=out_root)
    fixed = simulate(workload, tiny_profile, compose("vidur=corrected"), out_root=out_root)
    assert summary(fixed)["tpot"]["p50"] > summary(stock)["tpot"]["p50"]
    assert all(fixed.meta.extra["switches"].values())
    assert not any(stock.meta.extra["switches"].values())
    assert fixed.meta.extra["predictor"]["fold_lm_head"] is True
    assert fixed.meta.extra["predictor"]["exact_token_counts"] is True
    assert stock.meta.extra["predictor"]["fold_step_overhead"] is False
    assert stock.meta.extra["device_memory_gb"] is None  # the device SKU's memory
    assert fixed.meta.extra["closure"]["passed"] in (True, False)


def test_real_artifact_sets_scheduler_and_lengths(tiny_profile, out_root) -> None:
    workload = small_workload()
    cfg = compose("backend=continuous")
    base = simulate(workload, tiny_profile, cfg, out_root=out_root)
    shortened = tuple(replace(r, num_decode_tokens_actual=2) for r in base.requests)
    scheduler = {
        "name": "fifo",
        "max_batch_tokens": 32,
        "block_size": 16,
        "num_blocks": 20,
        "max_batch_size": 2,
    }
    real_meta = replace(
        base.meta, kind="real", variant="default", run_id="real-run", extra={"scheduler": scheduler}
    )
    real = Artifact(meta=RunMeta(**vars(real_meta)), requests=shortened)
    mirrored = simulate(workload, tiny_profile, cfg, real, out_root=out_root)
    assert all(r.num_decode_tokens_actual == 2 for r in mirrored.requests)
    assert [r.num_decode_tokens_requested for r in mirrored.requests] == [
        r.num_decode_tokens for r in workload.requests
    ]
    assert mirrored.meta.extra["vidur_scheduler"] == {
        "name": "sarathi",
        "batch_size_cap": 2,
        "chunk_size": 32,
    }
    assert "real-run" in mirrored.meta.extra["decode_lengths_from"]


REAL_TEST = "benchmarks/test_real.py::test_real[simtest-continuous-cpu]"


def real_of(sim: Artifact, extra: dict, requests=None, test_id: str = REAL_TEST) -> Artifact:
    """``sim`` relabelled as a real run with ``extra`` (and ``requests``)."""
    meta = replace(
        sim.meta, kind="real", variant="default", run_id="real-run", test_id=test_id, extra=extra
    )
    return Artifact(meta=meta, requests=sim.requests if requests is None else requests)


def test_a_real_run_without_scheduler_settings_is_refused(tiny_profile, tmp_path) -> None:
    """A real artifact that recorded no scheduler settings: one error naming what is missing and
    the real test to run again, before anything is simulated or written."""
    workload, cfg = small_workload(), compose("backend=continuous")
    base = simulate(workload, tiny_profile, cfg, out_root=tmp_path / "base")
    out_root = tmp_path / "out"
    for extra in ({}, {"scheduler": {}}):
        with pytest.raises(SimInputError) as refused:
            simulate(workload, tiny_profile, cfg, real_of(base, extra), out_root=out_root)
        message = str(refused.value)
        assert "records no scheduler settings (meta.extra['scheduler'])" in message
        assert message.endswith(f"run the real test again: pytest '{REAL_TEST}' -m cpu")
    assert not out_root.exists()


def test_a_real_run_of_other_requests_is_refused(tiny_profile, tmp_path) -> None:
    """Real request ids that are not the workload's (one missing, one foreign): refused, not
    priced at the workload's requested lengths; without a test id the command selects the pair's
    real test by workload and backend."""
    workload, cfg = small_workload(), compose("backend=continuous")
    base = simulate(workload, tiny_profile, cfg, out_root=tmp_path / "base")
    scheduler = base.meta.extra["scheduler"]
    first, *others = base.requests
    out_root = tmp_path / "out"
    with pytest.raises(SimInputError) as refused:
        real = real_of(base, {"scheduler": scheduler}, tuple(others))
        simulate(workload, tiny_profile, cfg, real, out_root=out_root)
    assert f"missing ids {first.id}, ids not in the workload none;" in str(refused.value)
    foreign = (*others, replace(first, id=999))
    with pytest.raises(SimInputError) as refused:
        real = real_of(base, {"scheduler": scheduler}, foreign, test_id="")
        simulate(workload, tiny_profile, cfg, real, out_root=out_root)
    message = str(refused.value)
    assert f"does not hold the requests of workload 'simtest': missing ids {first.id}" in message
    assert "ids not in the workload 999; run the real test again: pytest " in message
    assert message.endswith("benchmarks/test_real.py -m cpu -k 'simtest and continuous'")
    assert not out_root.exists()


def test_out_of_range_workload_fails_before_simulating(tiny_profile, out_root, monkeypatch) -> None:
    import vidur.simulator

    def never(*args, **kwargs):
        raise AssertionError("Vidur was started")

    monkeypatch.setattr(vidur.simulator.Simulator, "__init__", never)
    too_long = small_workload(max_prompt=900)
    with pytest.raises(ProfileError, match=r"does not cover.*pytest benchmarks/test_profile.py"):
        simulate(too_long, tiny_profile, compose("backend=serial"), out_root=out_root)


def test_profile_of_another_model_is_refused(tiny_profile, out_root) -> None:
    cfg = compose("model=qwen3-0.6b")
    with pytest.raises(ProfileError, match=r"not 'qwen3-0\.6b'"):
        simulate(small_workload(), tiny_profile, cfg, out_root=out_root)


def test_no_network_is_touched(tiny_profile, out_root, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    artifact = simulate(
        small_workload(seed=9), tiny_profile, compose("vidur=corrected"), out_root=out_root
    )  # a fresh out_root: cold prediction cache
    assert len(artifact.requests) == 6
    assert (out_root / "vidur" / "cache").is_dir()


def test_preemption_under_a_small_kv_cache_completes(tiny_profile, out_root) -> None:
    workload = small_workload(num=8, rate=1e6)
    cfg = compose("backend=continuous", "vidur=corrected")
    base = simulate(workload, tiny_profile, cfg, out_root=out_root)
    scheduler = {
        "name": "fifo",
        "max_batch_tokens": 64,
        "block_size": 16,
        "num_blocks": 8,
        "max_batch_size": 4,
    }
    real_meta = replace(base.meta, kind="real", variant="default", extra={"scheduler": scheduler})
    real = Artifact(meta=RunMeta(**vars(real_meta)), requests=base.requests)
    squeezed = simulate(workload, tiny_profile, cfg, real, out_root=out_root)
    assert squeezed.meta.extra["restarts"] > 0
    assert len(squeezed.requests) == len(workload.requests)
    for r in squeezed.requests:  # a restarted request still has one stamp per output token
        assert len(r.token_times_ns) == r.num_decode_tokens_actual
        assert r.token_times_ns[-1] == r.completed_at_ns
