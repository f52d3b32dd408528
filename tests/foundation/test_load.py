"""Load relative to capacity: ``arrival.load`` resolved to a rate by the serial engine's
capacity, priced from a profile's whole steps; ``rate`` workloads exactly as before."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy  # noqa: F401  (loaded once: pytester drops what a session imports)
import pandas  # noqa: F401
import pytest

from gst_bench.profile.format import ProfileError, ProfileInfo, profile_dir, write_profile
from gst_bench.sim.capacity import resolve_load, serial_capacity
from gst_bench.workloads.workload import (
    WorkloadSpec,
    WorkloadSpecError,
    generate,
    load_workload_csv,
    parse_spec,
    request_lengths,
    with_capacity,
)
from gst_compare.config import ConfigComposer
from tests.suite_project import ROOT, load_suite

VOCAB = 1000
REFERENCE_WORKLOADS = ROOT / "reports" / "cpu-reference" / "store" / "runs"
# steady60 at 0.45 req/s (its rate until 2026-12-08) as the generator made it before ``load``
# existed (prompt vocabulary of qwen3-0.6b).
STEADY60_HASH = "c3069077be6f4802a8cb1fa3ab079c0cac93e64e68bf23cfb8be4438a36df41b"
DECODE_MS = 10.0
# prefill(n) = n + 12 ms between the rows (and along the end slopes beyond them)
WHOLE_STEPS_MS = {1: DECODE_MS, 8: 20.0, 64: 76.0}
LOAD = {
    "name": "load",
    "seed": 4,
    "num_requests": 12,
    "arrival": {"process": "gamma", "load": 0.8, "cv": 0.3},
    "prompt_len": {"dist": "uniform", "min": 8, "max": 40},
    "output_len": {"dist": "uniform", "min": 2, "max": 8},
}


def synthetic_profile(
    parent: Path, whole_steps: dict[int, float] = WHOLE_STEPS_MS, hardware: str = "cpu"
) -> ProfileInfo:
    """A profile folder in the real format whose whole steps are the given numbers (no clock)."""
    dims = {
        "num_q_heads": 16,
        "num_kv_heads": 8,
        "embedding_dim": 1024,
        "mlp_hidden_dim": 3072,
        "vocab_size": 151936,
    }
    meta = {
        "hardware": hardware,
        "model_key": "qwen3-0.6b",
        "model": dims,
        "made": {"started_at": "1970-01-01T00:00:00+00:00"},
    }
    compute = [{"num_tokens": n, "full_forward": ms} for n, ms in whole_steps.items()]
    return write_profile(parent, meta, compute, [])


def load_spec(**arrival) -> WorkloadSpec:
    return WorkloadSpec.from_config({**LOAD, "arrival": {**LOAD["arrival"], **arrival}}, VOCAB)


def expected_capacity(workload) -> float:
    """1 / mean service time, priced by hand from the synthetic profile's rows."""
    costs = [
        r.num_prompt_tokens + 12 + (r.num_decode_tokens - 1) * DECODE_MS for r in workload.requests
    ]
    return 1000.0 / (sum(costs) / len(costs))


def reference_sidecars() -> list[Path]:
    found = sorted(REFERENCE_WORKLOADS.glob("*/workloads/*.json"))
    assert found, f"no committed workloads under {REFERENCE_WORKLOADS}"
    return found


@pytest.mark.parametrize("sidecar", reference_sidecars(), ids=lambda p: p.stem)
def test_a_rate_workload_is_byte_identical_to_the_committed_one(sidecar: Path):
    """The committed reference's workloads were made before ``load`` existed: regenerated from
    their recorded spec, the CSV, the hash and the sidecar file are the same bytes."""
    recorded = json.loads(sidecar.read_text(encoding="utf-8"))
    spec = parse_spec(recorded["spec"], recorded["spec"]["vocab_size"])
    workload = generate(spec)
    assert workload.hash == recorded["hash"]
    assert workload.csv_bytes == sidecar.with_suffix(".csv").read_bytes()
    assert json.dumps(workload.sidecar(), indent=1, sort_keys=True) + "\n" == sidecar.read_text()


def test_a_rate_workload_keeps_the_hash_it_had_before_load_existed():
    cfg = ConfigComposer(ROOT / "configs").compose(
        "workload=steady60", "workload.arrival.rate=0.45", "model=qwen3-0.6b"
    )
    vocab = int(cfg["model"]["prompt_vocab_size"])
    assert generate(WorkloadSpec.from_config(cfg["workload"], vocab)).hash == STEADY60_HASH


def test_a_load_spec_generates_nothing_until_resolved():
    spec = load_spec()
    assert spec.arrival.unresolved and spec.arrival.rate is None
    with pytest.raises(WorkloadSpecError, match=r"arrival.load = 0.8 is a fraction .*resolve_load"):
        generate(spec)


@pytest.mark.parametrize(
    ("arrival", "message"),
    [
        ({"rate": 1.0}, r"arrival.rate and arrival.load exclude each other.*~workload.arrival"),
        ({"load": 0}, r"arrival.load \(a fraction of the serial engine's capacity\) must be > 0"),
        ({"load": "high"}, r"arrival.load .* must be a number, got 'high'"),
        ({"process": "all_at_once"}, r"arrival.load applies to the processes"),
    ],
)
def test_a_bad_load_names_the_field(arrival, message):
    with pytest.raises(WorkloadSpecError, match=message):
        load_spec(**arrival)


def test_lengths_are_known_before_the_rate_and_equal_the_generated_ones(tmp_path):
    spec = load_spec()
    resolved = resolve_load(spec, synthetic_profile(tmp_path), "cpu", "qwen3-0.6b")
    workload = generate(resolved)
    drawn = [(r.num_prompt_tokens, r.num_decode_tokens) for r in workload.requests]
    assert request_lengths(spec) == drawn == request_lengths(resolved)


def test_the_capacity_is_the_serial_engines_service_rate_from_the_whole_steps(tmp_path):
    profile = synthetic_profile(tmp_path)
    resolved = resolve_load(load_spec(), profile, "cpu", "qwen3-0.6b")
    capacity = resolved.arrival.capacity
    assert capacity.requests_per_s == pytest.approx(expected_capacity(generate(resolved)))
    assert (capacity.profile_hash, capacity.hardware) == (profile.content_hash, "cpu")
    assert resolved.arrival.rate == 0.8 * capacity.requests_per_s
    assert serial_capacity(load_spec(load=0.3), profile) == capacity  # the load plays no part


def test_load_changes_only_the_rate_and_is_recorded_in_sidecar_and_hash(tmp_path):
    resolved = resolve_load(load_spec(), synthetic_profile(tmp_path), "cpu", "qwen3-0.6b")
    workload = generate(resolved)
    rate_twin = generate(WorkloadSpec.from_config({**LOAD, "arrival": _rate_of(resolved)}, VOCAB))
    assert workload.csv_bytes == rate_twin.csv_bytes
    assert workload.hash != rate_twin.hash
    arrival = workload.sidecar()["spec"]["arrival"]
    assert arrival["load"] == 0.8 and arrival["rate"] == resolved.arrival.rate
    assert arrival["capacity"]["profile_hash"] == resolved.arrival.capacity.profile_hash
    assert "load" not in rate_twin.sidecar()["spec"]["arrival"]


def _rate_of(spec: WorkloadSpec) -> dict:
    return {"process": "gamma", "rate": spec.arrival.rate, "cv": 0.3}


def test_another_profile_with_the_same_capacity_is_another_workload(tmp_path):
    resolved = resolve_load(load_spec(), synthetic_profile(tmp_path), "cpu", "qwen3-0.6b")
    other = replace(resolved.arrival.capacity, profile_hash="0" * 64)
    again = with_capacity(load_spec(), other)
    assert generate(again).csv_bytes == generate(resolved).csv_bytes
    assert generate(again).hash != generate(resolved).hash


def test_a_resolved_workload_reads_back_with_its_load_and_hash(tmp_path):
    resolved = resolve_load(load_spec(), synthetic_profile(tmp_path), "cpu", "qwen3-0.6b")
    workload = generate(resolved)
    again = load_workload_csv(workload.save(tmp_path / "saved"))
    assert again.spec == resolved and again.hash == workload.hash


def test_without_a_profile_the_error_is_one_line_naming_the_command():
    with pytest.raises(ProfileError) as info:
        resolve_load(load_spec(), None, "cpu", "qwen3-0.6b")
    message = str(info.value)
    assert "\n" not in message
    assert message.endswith(
        "make it: pytest benchmarks/test_profile.py -m cpu --gst-set model=qwen3-0.6b "
        "--gst-workloads load --gst-reprofile"
    )


def test_a_profile_without_prefill_rows_names_the_command(tmp_path):
    profile = synthetic_profile(tmp_path, {1: DECODE_MS, 8: 20.0})
    with pytest.raises(ProfileError, match=r"two prefill rows; profile again: pytest benchmarks"):
        resolve_load(load_spec(), profile, "cpu", "qwen3-0.6b")


def test_a_rate_spec_passes_through_resolution_unchanged():
    spec = load_spec(load=None, rate=2.0)
    assert resolve_load(spec, None, "cpu", "qwen3-0.6b") is spec


def test_the_loadsweep_preset_is_steady60s_shape_at_a_settable_load():
    composer = ConfigComposer(ROOT / "configs")
    sweep = composer.compose("workload=loadsweep", "workload.arrival.load=0.9")["workload"]
    steady = composer.compose("workload=steady60")["workload"]
    spec = WorkloadSpec.from_config(sweep, VOCAB)
    assert spec.arrival.load == 0.9 and spec.num_requests == 40
    assert (sweep["prompt_len"], sweep["output_len"]) == (
        steady["prompt_len"],
        steady["output_len"],
    )
    assert sweep["arrival"]["process"] == steady["arrival"]["process"]


WORKLOAD_TEST = """
def test_w(workload):
    assert workload.spec.arrival.capacity is not None
"""


@pytest.fixture(scope="module")
def machine() -> tuple[str, str]:
    """The hardware id a session here resolves loads on, and its preset's dtype (torch loaded
    here, before pytester's snapshot of the loaded modules: it cannot be loaded twice)."""
    from gst_bench.device.hardware import detect

    composer = ConfigComposer(ROOT / "configs")
    hardware = detect(composer.options("hardware")).hardware_id
    return hardware, str(composer.compose(f"hardware={hardware}")["hardware"]["dtype"])


@pytest.fixture
def in_process(suite_modules_loaded: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sessions run in this process, torch and Vidur loaded before pytester's snapshot; the
    suite's own xdist worker name must not leak into them."""
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)


@pytest.fixture
def sweep_project(in_process: None, pytester: pytest.Pytester) -> pytest.Pytester:
    load_suite(pytester)
    pytester.makepyfile(test_w=WORKLOAD_TEST)
    return pytester


def test_a_session_without_a_profile_fails_the_test_naming_the_command(sweep_project, machine):
    hardware, _ = machine
    result = sweep_project.runpytest("--gst-workloads", "loadsweep@0.5", "--gst-out", "out")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"*arrival.load = 0.5 is a fraction of the serial engine's capacity on {hardware}*"
            f"make it: pytest benchmarks/test_profile.py -m {hardware} --gst-set "
            "model=qwen3-0.6b --gst-workloads loadsweep --gst-reprofile"
        ]
    )


def test_a_session_resolves_the_load_against_the_stored_profile(sweep_project, machine):
    hardware, dtype = machine
    out = sweep_project.path / "out"
    folder = profile_dir(out / "profiles", hardware, "qwen3-0.6b", dtype)
    profile = synthetic_profile(folder, hardware=hardware)
    result = sweep_project.runpytest(
        "--gst-set",
        "workload=loadsweep",
        "--gst-set",
        "workload.arrival.load=0.7",
        "--gst-out",
        out,
    )
    result.assert_outcomes(passed=1)
    (sidecar,) = (out / "runs").glob("*/workloads/loadsweep-*.json")
    arrival = json.loads(sidecar.read_text())["spec"]["arrival"]
    assert arrival["load"] == 0.7
    assert arrival["capacity"]["profile_hash"] == profile.content_hash


def test_the_profile_a_load_preset_needs_is_sized_before_it_is_resolved(
    machine, in_process, pytester
):
    """Simulations alone with no profile stop with the profile command (its coverage is read
    from the lengths), not with the load's own error."""
    hardware, _ = machine
    load_suite(pytester)
    pytester.makepyfile(test_sim=(ROOT / "benchmarks" / "test_sim.py").read_text())
    result = pytester.runpytest(
        "-m", f"sim and {hardware}", "--gst-workloads", "loadsweep", "--gst-out", "out"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"*no profile of qwen3-0.6b on {hardware}*--gst-workloads loadsweep --gst-reprofile*"]
    )
    assert "arrival.load" not in result.stderr.str()
