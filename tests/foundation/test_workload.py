"""Workload generation: determinism, invariants and spec validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gst_bench.workloads.workload import (
    ARRIVAL_PROCESSES,
    WorkloadSpec,
    WorkloadSpecError,
    generate,
    load_workload_csv,
)

VOCAB = 1000


def lengths() -> st.SearchStrategy[dict]:
    bounds = st.tuples(st.integers(1, 64), st.integers(0, 64)).map(lambda t: (t[0], t[0] + t[1]))
    fixed = st.integers(1, 64).map(lambda v: {"dist": "fixed", "value": v})
    uniform = bounds.map(lambda b: {"dist": "uniform", "min": b[0], "max": b[1]})
    lognormal = st.tuples(bounds, st.floats(1, 100), st.floats(0.05, 2)).map(
        lambda t: {
            "dist": "lognormal",
            "min": t[0][0],
            "max": t[0][1],
            "median": t[1],
            "sigma": t[2],
        }
    )
    normal = st.tuples(bounds, st.floats(-10, 100), st.floats(0.1, 50)).map(
        lambda t: {"dist": "normal", "min": t[0][0], "max": t[0][1], "mean": t[1], "std": t[2]}
    )
    return st.one_of(fixed, uniform, lognormal, normal)


def arrivals() -> st.SearchStrategy[dict]:
    rate = st.floats(0.01, 1000)
    return st.one_of(
        st.just({"process": "all_at_once"}),
        rate.map(lambda r: {"process": "fixed", "rate": r}),
        rate.map(lambda r: {"process": "poisson", "rate": r}),
        st.tuples(rate, st.floats(0.1, 5)).map(
            lambda t: {"process": "gamma", "rate": t[0], "cv": t[1]}
        ),
    )


specs = st.builds(
    lambda seed, n, arrival, prompt, output: WorkloadSpec.from_config(
        {
            "name": "prop",
            "seed": seed,
            "num_requests": n,
            "arrival": arrival,
            "prompt_len": prompt,
            "output_len": output,
        },
        vocab_size=VOCAB,
    ),
    st.integers(0, 2**32 - 1),
    st.integers(1, 40),
    arrivals(),
    lengths(),
    lengths(),
)


@settings(max_examples=60, deadline=None)
@given(specs)
def test_same_spec_and_seed_give_identical_bytes_and_hash(spec):
    first, second = generate(spec), generate(spec)
    assert first.csv_bytes == second.csv_bytes
    assert first.hash == second.hash


@settings(max_examples=60, deadline=None)
@given(specs)
def test_arrivals_are_non_decreasing_integers_from_zero(spec):
    stamps = [r.arrived_at_ns for r in generate(spec).requests]
    assert all(isinstance(t, int) for t in stamps)
    assert stamps[0] == 0
    assert stamps == sorted(stamps)


@settings(max_examples=60, deadline=None)
@given(specs)
def test_lengths_and_tokens_stay_within_bounds(spec):
    workload = generate(spec)
    assert len(workload.requests) == spec.num_requests
    for request, length in (("prompt", spec.prompt_len), ("output", spec.output_len)):
        low = length.value if length.dist == "fixed" else length.min
        high = length.value if length.dist == "fixed" else length.max
        for r in workload.requests:
            n = r.num_prompt_tokens if request == "prompt" else r.num_decode_tokens
            assert low <= n <= high
    assert all(0 <= t < VOCAB for r in workload.requests for t in r.prompt_token_ids)


def test_a_different_seed_gives_different_bytes():
    base = {
        "name": "s",
        "num_requests": 5,
        "arrival": {"process": "poisson", "rate": 1.0},
        "prompt_len": {"dist": "uniform", "min": 4, "max": 32},
        "output_len": {"dist": "fixed", "value": 4},
    }
    one = generate(WorkloadSpec.from_config({**base, "seed": 1}, VOCAB))
    two = generate(WorkloadSpec.from_config({**base, "seed": 2}, VOCAB))
    assert one.hash != two.hash


def test_saved_workload_reads_back_identically(tmp_path):
    spec = WorkloadSpec.from_config(
        {
            "name": "rt",
            "seed": 3,
            "num_requests": 7,
            "arrival": {"process": "gamma", "rate": 2, "cv": 2},
            "prompt_len": {"dist": "lognormal", "median": 20, "sigma": 0.5, "min": 2, "max": 90},
            "output_len": {"dist": "uniform", "min": 1, "max": 9},
        },
        VOCAB,
    )
    workload = generate(spec)
    again = load_workload_csv(workload.save(tmp_path))
    assert again.requests == workload.requests
    assert again.hash == workload.hash


def test_an_edited_workload_file_is_detected(tmp_path):
    spec = WorkloadSpec.from_config(
        {
            "name": "edit",
            "seed": 0,
            "num_requests": 3,
            "arrival": {"process": "all_at_once"},
            "prompt_len": {"dist": "fixed", "value": 4},
            "output_len": {"dist": "fixed", "value": 2},
        },
        VOCAB,
    )
    path = generate(spec).save(tmp_path)
    path.write_text(path.read_text().replace("\n0,0,", "\n0,5,", 1))
    with pytest.raises(WorkloadSpecError, match="differs from its sidecar"):
        load_workload_csv(path)


GOOD = {
    "name": "bad",
    "seed": 0,
    "num_requests": 3,
    "arrival": {"process": "poisson", "rate": 1.0},
    "prompt_len": {"dist": "uniform", "min": 4, "max": 8},
    "output_len": {"dist": "fixed", "value": 2},
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"arrival": {"process": "poisson", "rate": -1.0}},
            r"arrival.rate \(requests/s\) must be > 0",
        ),
        ({"arrival": {"process": "burst"}}, r"arrival.process = 'burst' is not one of .*poisson"),
        ({"arrival": {"process": "gamma", "rate": 1.0}}, r"arrival.cv .* must be a number"),
        ({"num_requests": 0}, r"num_requests must be an integer >= 1, got 0"),
        (
            {"prompt_len": {"dist": "uniform", "min": 9, "max": 8}},
            r"prompt_len.min \(9\) must be <= prompt_len.max \(8\)",
        ),
        ({"output_len": {"dist": "zipf"}}, r"output_len.dist = 'zipf' is not one of .*lognormal"),
        ({"prompt_len": {"dist": "trace"}}, r"trace is required"),
        ({"seed": -1}, r"seed must be an integer >= 0"),
    ],
)
def test_a_bad_spec_names_the_field_and_the_accepted_values(change, message):
    with pytest.raises(WorkloadSpecError, match=message):
        WorkloadSpec.from_config({**GOOD, **change}, VOCAB)


def test_every_arrival_process_is_documented_in_the_error():
    with pytest.raises(WorkloadSpecError) as info:
        WorkloadSpec.from_config({**GOOD, "arrival": {"process": "nope"}}, VOCAB)
    assert all(p in str(info.value) for p in ARRIVAL_PROCESSES)


def test_the_tiny_preset_has_the_same_bytes_on_every_machine():
    """Stored artifacts pair by workload hash across sessions and machines: a change here
    breaks every stored pairing and baseline, so it must be deliberate (bump
    GENERATOR_VERSION and regenerate reports/ as its README says)."""
    from gst_compare.config import ConfigComposer

    cfg = ConfigComposer(Path(__file__).resolve().parents[2] / "configs").compose(
        "workload=tiny", "model=qwen3-0.6b"
    )
    spec = WorkloadSpec.from_config(cfg["workload"], cfg["model"]["prompt_vocab_size"])
    assert generate(spec).hash == "c0183860000183e96396cd55056de5a3b237ab4074c7bcb27179467a0e296ebc"
