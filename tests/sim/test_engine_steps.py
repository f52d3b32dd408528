"""The report's engine steps: steps recovered from per-token timestamps, real beside simulated."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gst_bench.analysis.engine_steps import busy_steps, compare, idle_prefills, markdown
from gst_bench.sim.vidur_adapter import simulate
from gst_bench.workloads.workload import WorkloadSpec, generate
from gst_compare.artifacts import Artifact, RequestRecord
from tests.sim.conftest import compose, small_workload
from tests.suite_project import ROOT

MS = 1_000_000


def _request(rid: int, arrived: int, tokens: list[float], prompt: int = 8) -> RequestRecord:
    stamps = tuple(round(t * MS) for t in tokens)
    return RequestRecord(
        rid, arrived * MS, arrived * MS, stamps[0], stamps[-1], prompt, len(stamps) - 1,
        len(stamps) - 1, stamps,
    )  # fmt: skip


def test_steps_are_tokens_stamped_together_after_a_busy_engine(tiny_profile, tmp_path):
    # Request 0 arrives at an idle engine (its prefill, stamped at 100, is not a busy step) and
    # decodes alone until 250; request 1 arrives at 200, its prefill runs beside request 0's
    # decode until 400 (stamps 0.05 ms apart), then both decode together until 700.
    real = _artifact(
        tiny_profile,
        tmp_path,
        [_request(0, 0, [100, 250, 400, 700]), _request(1, 200, [400.00005, 700.00002])],
    )
    steps = busy_steps(real)
    assert [(s.ms, s.decodes, sorted(s.prefills)) for s in steps] == [
        (150.0, 1, []),
        (pytest.approx(150.0), 1, [1]),
        (pytest.approx(300.0, abs=1e-3), 2, []),
    ]
    assert idle_prefills(real) == {0: 100.0}


def test_a_simulator_slower_per_step_shows_on_every_step_row(tiny_profile, tmp_path):
    cfg = compose("backend=continuous", "vidur=corrected")
    # Arrivals 10 us apart (a tiny step takes ms): the schedule, and so which step classes recur
    # often enough to compare, does not hang on the profile's timings.
    sim = simulate(small_workload(num=8, rate=1e5), tiny_profile, cfg, out_root=tmp_path)
    # Stand-in for a real run: the same timeline, every stamp 10 % later (arrivals included, so
    # the same steps start from a busy engine); each of its steps is 10 % longer.
    stretched = Artifact(
        replace(sim.meta, kind="real"),
        tuple(_stretched(r, 1.1) for r in sim.requests),
    )

    rows = compare(stretched, sim)

    batched = [r for r in rows if r.what.startswith("decode") and r.what.endswith("sequences")]
    assert len(rows) >= 2 and batched
    assert all(r.error == pytest.approx(1 / 1.1 - 1, abs=1e-6) for r in rows)
    assert all(r.error == 0 for r in compare(sim, sim))
    text = "\n".join(markdown([(stretched, sim)]))
    assert f"| {batched[0].what} |" in text and "-9.1 %" in text


def _stretched(record: RequestRecord, factor: float) -> RequestRecord:
    def at(t: int) -> int:
        return round(t * factor)

    return replace(
        record,
        arrived_at_ns=at(record.arrived_at_ns),
        scheduled_at_ns=at(record.scheduled_at_ns),
        first_token_at_ns=at(record.first_token_at_ns),
        completed_at_ns=at(record.completed_at_ns),
        token_times_ns=tuple(at(t) for t in record.token_times_ns or ()),
    )


def _artifact(profile, tmp_path, requests: list[RequestRecord]) -> Artifact:
    sim = simulate(small_workload(num=2), profile, compose("backend=serial"), out_root=tmp_path)
    return Artifact(replace(sim.meta, kind="real"), tuple(requests))


def test_a_real_continuous_runs_tokens_all_fall_in_its_steps():
    """The tiny Qwen3 served for real by transformers' continuous batching: four 24-token
    prompts at once under a 32-token step budget, so each step after the first completes one
    prompt (the first-come-first-served scheduler: decodes first, then the next prompt's
    chunk). Every token but the first request's first one (its prefill met an idle engine) lies
    in a busy step, each later prefill in a step of its own, in arrival order."""
    from gst_bench.real.harness import run_real

    spec = WorkloadSpec.from_config(
        {
            "name": "one-prefill-a-step",
            "seed": 2,
            "num_requests": 4,
            "arrival": {"process": "all_at_once"},
            "prompt_len": {"dist": "fixed", "value": 24},
            "output_len": {"dist": "fixed", "value": 6},
        },
        vocab_size=1000,
    )
    cfg = compose("backend=continuous", "backend.max_batch_tokens=32")
    real = run_real(generate(spec), cfg, ROOT).artifact

    steps = busy_steps(real)
    tokens = sum(len(r.token_times_ns or ()) for r in real.requests)
    assert sum(len(s.prefills) + s.decodes for s in steps) == tokens - 1
    assert [sorted(s.prefills) for s in steps if s.prefills] == [[1], [2], [3]]
    assert all(s.decodes <= min(s.prefills, default=4) for s in steps)
    assert max(s.decodes for s in steps) == 4  # all four decoded in one batch
    first, last = real.requests[0].first_token_at_ns, max(r.completed_at_ns for r in real.requests)
    assert all(s.ms > 0 for s in steps) and sum(s.ms for s in steps) <= (last - first) / 1e6
