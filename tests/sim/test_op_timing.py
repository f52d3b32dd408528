"""Interleaved rounds (whole or in pieces), the spread flag, the signed step overhead, pinning."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from gst_bench.device.hardware import choose_cpus, pinned
from gst_bench.device.timing import RoundQueue, Timer, spread
from gst_bench.profile.format import ProfileInfo
from gst_bench.profile.measure import REPEAT_SPREAD_LIMIT, RepeatSpread


def test_rounds_call_everything_once_per_round_in_a_seeded_order() -> None:
    seen: list[str] = []
    calls = {name: (lambda name=name: seen.append(name)) for name in "abcdef"}
    samples = Timer("cpu", warmup=1, repeats=4, warm_each=0).rounds(calls)
    assert all(len(found) == 4 for found in samples.values())
    rounds = [seen[i : i + 6] for i in range(0, len(seen), 6)]
    assert len(rounds) == 5 and all(sorted(r) == list("abcdef") for r in rounds)
    assert len({tuple(r) for r in rounds[1:]}) > 1  # the order changes between rounds
    again: list[str] = []
    Timer("cpu", warmup=1, repeats=4, warm_each=0).rounds(
        {name: (lambda name=name: again.append(name)) for name in "abcdef"}
    )
    assert again == seen  # and is the same from one profile to the next
    warmed: list[str] = []
    Timer("cpu", warmup=0, repeats=1, warm_each=1).rounds({"a": lambda: warmed.append("a")})
    assert warmed == ["a", "a"]


def test_a_round_queue_times_every_call_once_per_round_and_reports_each_round() -> None:
    """Warm-up first, then finish times each call once per round in the rounds' seeded order;
    progress is told once per finished round."""
    seen: list[str] = []
    calls = {name: (lambda name=name: seen.append(name)) for name in "abcd"}
    done: list[tuple[int, int]] = []
    queue = RoundQueue(Timer("cpu", warmup=1, repeats=3, warm_each=0), calls, (), done.append)
    queue.progress = lambda *a: done.append(a)
    queue.warm_up()
    assert seen == list("abcd")
    samples = queue.finish()
    assert all(len(found) == 3 for found in samples.values())
    assert done == [(1, 3), (2, 3), (3, 3)] and not queue.pending
    rounds = [seen[i : i + 4] for i in range(4, len(seen), 4)]
    assert len(rounds) == 3 and all(sorted(r) == list("abcd") for r in rounds)


def test_spread_ignores_one_outlier_and_flags_scattered_steps() -> None:
    assert spread([10.0, 10.0, 10.0, 10.0, 50.0]) == 0
    assert spread([9.0, 10.0, 10.0, 11.0, 12.0]) == pytest.approx(0.05)
    steps = {("full_forward", 1), ("full_forward", 2)}
    spreads = {("full_forward", 1): 0.02, ("full_forward", 2): 0.01, ("add", 1): 0.5}
    quiet = RepeatSpread.of(spreads, steps)
    assert quiet.flags() == [] and quiet.worst[0][0] == "full_forward 1"
    loud = RepeatSpread.of(dict.fromkeys(steps, REPEAT_SPREAD_LIMIT * 2), steps)
    assert "scattered 10.0%" in loud.flags()[0]


def test_a_priced_row_adds_up_to_its_whole_step(measured_profile: ProfileInfo) -> None:
    """step_overhead is signed: per-layer operators, the step's attention, the LM head and the
    overhead give back the measured whole step at every measured token count."""
    from gst_bench.profile.format import LAYER_OPS

    compute = pd.read_csv(measured_profile.compute_csv).set_index("num_tokens")
    attention = pd.read_csv(measured_profile.attention_csv)
    layers = measured_profile.meta["model"]["num_layers"]
    probe = measured_profile.meta["made"]["decode_probe_context"]
    assert probe == min(measured_profile.grid.decode_contexts)
    one = compute.loc[1]
    decode = attention.query("batch_size == 1 and prefill_chunk_size == 0")
    attn = decode.set_index("kv_cache_size").loc[probe, "time_stats.attn_decode.median"]
    ops = sum(one[f"time_stats.{op}.median"] for op in LAYER_OPS)
    total = layers * (ops + attn) + one["time_stats.lm_head.median"]
    total += one["time_stats.step_overhead.median"]
    assert total == pytest.approx(one["time_stats.full_forward.median"], abs=2e-6 * (layers + 2))


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity here")
def test_pinning_takes_the_workers_own_cpu_and_gives_it_back(monkeypatch) -> None:
    before = os.sched_getaffinity(0)
    with pinned({"device": "cpu", "threads": 1}) as cpus:
        assert cpus is None and os.sched_getaffinity(0) == before
    if len(before) < 2:
        pytest.skip("one CPU: nothing to choose")
    config = {"device": "cpu", "threads": 1, "pin_cpus": True}
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    with pinned(config) as cpus:
        assert cpus == [sorted(before)[1]] and os.sched_getaffinity(0) == {cpus[0]}
    assert os.sched_getaffinity(0) == before
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert choose_cpus(config) == [max(before)]
