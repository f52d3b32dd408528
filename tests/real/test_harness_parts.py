"""The harness's parts on their own: arrival waits, token bookkeeping, settings, devices,
the model cache, noise arithmetic and the overhead figure."""

from __future__ import annotations

import time

import pytest

from gst_bench.device.hardware import HardwareError, hardware_id_from_cuda_name, resolve_device
from gst_bench.device.noise import SUSPECT_RUN_QUEUE_SHARE, Snapshot, compare
from gst_bench.real.continuous import trace_from_output
from gst_bench.real.harness import (
    ModelCache,
    RealRunError,
    check_fits,
    harness_overhead,
    open_harness,
    stamp_overhead_ns,
)
from gst_bench.real.runner import BackendError, wait_until
from gst_bench.real.serial import TokenLog
from gst_bench.real.settings import BackendSettings
from gst_bench.wiring.real_fixtures import loaded_model
from gst_compare.artifacts import RequestRecord

from .conftest import ROOT, small_workload, tiny_config


@pytest.mark.parametrize("ahead_ns", [-1_000_000, 0, 200_000, 3_000_000])
def test_wait_until_never_returns_before_the_deadline(ahead_ns):
    deadline = time.perf_counter_ns() + ahead_ns
    late = wait_until(deadline)
    assert time.perf_counter_ns() >= deadline
    assert late >= 0


def test_a_spinning_wait_never_sleeps(monkeypatch):
    def no_sleep(seconds):
        raise AssertionError(f"slept {seconds} s")

    monkeypatch.setattr(time, "sleep", no_sleep)
    deadline = time.perf_counter_ns() + 20_000_000
    assert wait_until(deadline, spin=True) >= 0
    assert time.perf_counter_ns() >= deadline
    with pytest.raises(AssertionError, match="slept"):
        wait_until(time.perf_counter_ns() + 20_000_000)


def test_an_unknown_idle_wait_is_refused_with_the_choices():
    with pytest.raises(
        BackendError, match=r"idle_wait='nap' is not one of \('sleep', 'spin', 'warm'\)"
    ):
        BackendSettings.from_config({"name": "serial"}, {"idle_wait": "nap"})


def test_a_token_log_stops_at_the_limit_or_at_eos():
    log = TokenLog(limit=3, eos=frozenset({9}))
    assert [log.add(t) for t in (1, 2, 3)] == [False, False, True]
    early = TokenLog(limit=5, eos=frozenset({9}))
    assert [early.add(t) for t in (1, 9)] == [False, True]
    assert len(early.stamps) == len(early.tokens) == 2
    assert early.stamps == sorted(early.stamps)


@pytest.mark.parametrize("backend", ["serial", "continuous"])
def test_the_stamp_cost_is_measured_for_the_artifact(backend):
    # How small it is is measured, not asserted: scripts/real_repeat.py and the artifacts'
    # extra.harness_overhead record it (a wall-clock bound would fail on a busy machine).
    cost = stamp_overhead_ns(backend)
    assert isinstance(cost, (int, float)) and cost > 0


def test_an_unknown_backend_is_refused_with_the_choices():
    with pytest.raises(BackendError, match=r"backend.name='batch' is not one of \('serial'"):
        BackendSettings.from_config({"name": "batch"})


def test_a_request_larger_than_the_paged_cache_names_the_override():
    settings = BackendSettings(name="continuous", block_size=4, num_blocks=2)
    with pytest.raises(RealRunError, match=r"--gst-set backend.num_blocks=\d+"):
        check_fits(small_workload(), settings, vocab_size=1024)


def test_prompts_outside_the_vocabulary_are_refused():
    with pytest.raises(RealRunError, match="vocabulary has 10 ids"):
        check_fits(small_workload(), BackendSettings(name="serial"), vocab_size=10)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("NVIDIA A100-SXM4-80GB", "a100"),
        ("NVIDIA H100 80GB HBM3", "h100"),
        ("NVIDIA H200", "h200"),
        ("NVIDIA GH200 480GB", "h200"),
        ("NVIDIA L40S", "cuda"),
        ("Some Future GPU", "cuda"),
    ],
)
def test_cuda_names_map_to_hardware_ids(name, expected, composer):
    assert hardware_id_from_cuda_name(name, composer.options("hardware")) == expected


def test_a_gpu_config_on_this_cpu_says_what_was_found(composer):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    a100 = composer.options("hardware")["a100"]
    with pytest.raises(HardwareError, match=r"hardware=a100 needs a GPU named like 'A100'; this"):
        resolve_device(a100)


def test_the_model_is_built_once_per_model_device_and_dtype(composer, tiny_models):
    cfg = tiny_config(composer, "serial")
    first = tiny_models.get(cfg["model"], "cpu", "float32", ROOT)
    assert tiny_models.get(cfg["model"], "cpu", "float32", ROOT) is first
    assert tiny_models.get(cfg["model"], "cpu", "bfloat16", ROOT) is not first


def test_a_harness_fills_the_empty_cache_it_is_given(composer):
    models = ModelCache()
    cfg = tiny_config(composer, "serial")
    with open_harness(small_workload(requests=1), cfg, ROOT, models=models) as harness:
        assert models.get(cfg["model"], "cpu", "float32", ROOT) is harness.loaded


def test_the_fixture_helper_shares_the_session_cache(request, composer, real_models):
    cfg = tiny_config(composer, "serial")
    loaded = loaded_model(request.config, cfg)
    assert real_models.get(cfg["model"], "cpu", "float32", ROOT) is loaded
    assert not any(p.is_inference() for p in loaded.model.parameters())


def test_a_finished_output_becomes_a_trace_in_integer_ns():
    from transformers.generation.continuous_batching.requests import GenerationOutput

    output = GenerationOutput(
        request_id="r3", generated_tokens=[5, 6], lifespan=(1.5, 1.75), timestamps=[1.6, 1.7]
    )
    trace = trace_from_output(output)
    assert (trace.id, trace.scheduled_ns, trace.completed_ns) == (3, 1_500_000_000, 1_750_000_000)
    assert trace.token_ns == [1_600_000_000, 1_700_000_000]
    output.timestamps = [1.6]
    with pytest.raises(BackendError, match="2 tokens but 1 timestamps"):
        trace_from_output(output)


def snapshot(wall_ns: int, queued: dict[str, int], busy: int, total: int, cpu_s: float):
    return Snapshot(wall_ns, queued, (busy, total), cpu_s, 0)


def test_run_queue_delay_counts_threads_born_during_the_section():
    start = snapshot(0, {"1": 100}, 0, 0, 0.0)
    end = snapshot(1_000_000_000, {"1": 1_100, "2": 500}, 100, 200, 0.5)
    report = compare(start, end, None, None)
    assert report.run_queue_delay_ms == pytest.approx(0.0015)
    assert report.suspect is False


def test_a_section_that_waited_for_the_cpu_is_suspect():
    wait = int(2 * SUSPECT_RUN_QUEUE_SHARE * 1e9)
    report = compare(
        snapshot(0, {"1": 0}, 0, 0, 0.0),
        snapshot(1_000_000_000, {"1": wait}, 100, 100, 1.0),
        (1.0, 1.0, 1.0),
        (2.0, 1.0, 1.0),
    )
    assert report.suspect is True
    assert report.run_queue_share == pytest.approx(2 * SUSPECT_RUN_QUEUE_SHARE)
    assert report.to_dict()["load_average_end"] == [2.0, 1.0, 1.0]


def test_other_processes_busy_on_the_other_core_make_it_suspect_with_the_reason():
    # Both cores busy for the whole second while this process used one: another process
    # used the other core, with no wait in our run queue.
    report = compare(
        snapshot(0, {"1": 0}, 0, 0, 0.0),
        snapshot(1_000_000_000, {"1": 0}, 200, 200, 1.0),
        None,
        None,
    )
    assert report.suspect is True
    (flag,) = report.flags()
    assert flag.startswith(f"other processes used {report.foreign_cpu_cores:.2f} cores on average")


def test_the_overhead_is_a_share_of_the_median_decode_step():
    record = RequestRecord(
        0, 0, 0, 10_000_000, 30_000_000, 4, 3, 3, (10_000_000, 20_000_000, 30_000_000)
    )
    harness = harness_overhead((record,), stamp_ns=100.0, submitter_cpu_ns=300)
    assert harness["decode_step_ms_p50"] == pytest.approx(10.0)
    assert harness["overhead_ns_per_token"] == pytest.approx(200.0)
    assert harness["overhead_share_of_decode_step"] == pytest.approx(200.0 / 10_000_000)
