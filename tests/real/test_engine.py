"""What the model actually runs, under whichever transformers 5.x is installed: the serial
decode's KV cache grows and its positions advance, the continuous engine is configured under
the names this transformers knows and never picks its own attention, the profiler's attention
mask is the model's, warm-up shapes and the noise record depend on the device type."""

from __future__ import annotations

import pytest

from gst_bench.device.noise import NoiseProbe
from gst_bench.device.timing import cache_keyword
from gst_bench.profile.operators import prefill_mask
from gst_bench.real.continuous import engine_attention
from gst_bench.real.harness import WARMUP_BURST, open_backend, warmup_groups
from gst_bench.real.serial import SerialRunner
from gst_bench.real.settings import BackendSettings

from .conftest import ROOT, small_workload, tiny_config

PROMPT = list(range(3, 35))
DECODE_TOKENS = 5
# Field names of ContinuousBatchingConfig: transformers 5.17 and 5.24.
FIELDS_517 = {"block_size", "num_blocks", "max_batch_tokens", "use_cuda_graph"}
FIELDS_524 = {"page_size", "block_size", "num_blocks", "auto_switch_to_flash", "use_cuda_graph"}


@pytest.fixture(scope="module")
def tiny_model(composer, tiny_models):
    cfg = tiny_config(composer, "serial")
    return tiny_models.get(cfg["model"], "cpu", "float32", ROOT).model


def watch_forwards(model):
    """Per forward call: tokens already in the cache it was handed, and the rotary positions
    the model used; returns the record and the hook handles."""
    import torch
    from transformers import Cache

    seen: dict[str, list] = {"cached": [], "positions": []}

    def before(_module, args, kwargs):
        caches = [v for v in kwargs.values() if isinstance(v, Cache)]
        seen["cached"].append(caches[0].get_seq_length() if caches else None)

    def rotary(_module, args):
        seen["positions"].append(torch.as_tensor(args[1]).flatten().tolist())

    handles = [
        model.register_forward_pre_hook(before, with_kwargs=True),
        model.model.rotary_emb.register_forward_pre_hook(rotary),
    ]
    return seen, handles


def test_serial_decode_grows_the_cache_and_advances_positions(tiny_model):
    seen, handles = watch_forwards(tiny_model)
    try:
        SerialRunner(tiny_model, frozenset()).warm_up([PROMPT], DECODE_TOKENS)
    finally:
        for handle in handles:
            handle.remove()
    steps = range(DECODE_TOKENS)
    # the prefill sees an empty cache, decode step k a cache of prompt + k - 1 tokens
    assert seen["cached"] == [0, *(len(PROMPT) + k for k in steps[:-1])]
    assert seen["positions"][0] == list(range(len(PROMPT)))
    assert seen["positions"][1:] == [[len(PROMPT) + k] for k in steps[:-1]]


def test_the_cache_goes_under_the_name_the_installed_forward_takes(tiny_model):
    import inspect

    def only_past_key_values(input_ids=None, past_key_values=None, **kwargs): ...

    assert cache_keyword(only_past_key_values) == "past_key_values"
    expected = "cache" if "cache" in inspect.signature(tiny_model.forward).parameters else None
    assert cache_keyword(tiny_model.forward) == (expected or "past_key_values")


@pytest.mark.parametrize(
    ("fields", "block_key"), [(FIELDS_517, "block_size"), (FIELDS_524, "page_size")]
)
def test_the_engine_is_configured_under_the_names_transformers_knows(fields, block_key):
    settings = BackendSettings.from_config(
        {"name": "continuous", "block_size": 16}, {"cuda_graphs": False, "async_batching": False}
    )
    kwargs = settings.batching_kwargs(fields)
    assert kwargs[block_key] == 16
    assert {"use_cuda_graph", "use_async_batching"} <= kwargs.keys()
    assert not kwargs["use_cuda_graph"] and not kwargs["use_async_batching"]
    assert kwargs.get("auto_switch_to_flash", False) is False
    assert ("auto_switch_to_flash" in kwargs) == ("auto_switch_to_flash" in fields)
    assert set(kwargs) - {"auto_switch_to_flash", "use_cuda_graph", "use_async_batching"} <= {
        block_key,
        "num_blocks",
        "max_batch_tokens",
        "max_requests_per_batch",
        "scheduler_type",
        "allow_block_sharing",
    }


def test_the_hardware_config_sets_the_engine(composer):
    cfg = tiny_config(composer, "continuous", "hardware.cuda_graphs=true")
    settings = BackendSettings.from_config(cfg["backend"], cfg["hardware"])
    record = settings.scheduler_record()
    assert (record["attn_implementation"], record["cuda_graphs"]) == ("sdpa", True)
    assert record["async_batching"] is False


@pytest.mark.parametrize(
    ("requested", "fields", "expected"),
    [
        ("sdpa", FIELDS_524, "sdpa"),
        # 5.17 would switch sdpa to flash where flash exists, unless the name says paged
        ("sdpa", FIELDS_517, "paged|sdpa"),
        ("paged|eager", FIELDS_517, "paged|eager"),
        ("flash_attention_2", FIELDS_517, "flash_attention_2"),
    ],
)
def test_the_engine_never_chooses_its_own_attention(requested, fields, expected):
    assert engine_attention(requested, fields) == expected


def test_an_empty_cache_prefill_is_timed_without_a_mask_as_the_model_runs_it(tiny_model):
    import torch

    masks = []
    attention = tiny_model.model.layers[0].self_attn
    handle = attention.register_forward_pre_hook(
        lambda _m, _a, kwargs: masks.append(kwargs.get("attention_mask")), with_kwargs=True
    )
    try:
        SerialRunner(tiny_model, frozenset()).warm_up([PROMPT], 2)
    finally:
        handle.remove()
    assert masks[0] is None is prefill_mask(torch, len(PROMPT), 0, "cpu")
    assert prefill_mask(torch, 1, 40, "cpu") is None
    mask = prefill_mask(torch, 3, 2, "cpu")
    assert mask.shape == (1, 1, 3, 5)
    assert mask[0, 0].sum(-1).tolist() == [3, 4, 5]


def test_a_cpu_warms_up_one_median_prompt_and_a_gpu_every_shape_and_a_burst():
    workload = small_workload(requests=9)
    lengths = sorted(r.num_prompt_tokens for r in workload.requests)
    (cpu,) = warmup_groups(workload, "cpu")
    assert [len(p) for p in cpu] == [lengths[4]]
    *shapes, burst = warmup_groups(workload, "cuda")
    assert [len(p) for (p,) in shapes] == list(dict.fromkeys([lengths[0], lengths[4], lengths[-1]]))
    assert [len(p) for p in burst] == [lengths[4]] * WARMUP_BURST
    assert len({tuple(p) for p in burst}) == WARMUP_BURST
    prompts = {tuple(r.prompt_token_ids) for r in workload.requests}
    assert not prompts & {tuple(p) for group in [cpu, *shapes, burst] for p in group}


def test_a_continuous_warm_up_burst_finishes_every_request_and_restores_the_model(tiny_model):
    before = tiny_model.config._attn_implementation
    settings = BackendSettings(name="continuous", block_size=16, num_blocks=32)
    with open_backend(tiny_model, settings, frozenset()) as runner:
        runner.warm_up([PROMPT[:5], PROMPT[:20], PROMPT, PROMPT[3:]], 3)
        assert runner.manager.get_result(timeout=0.05) is None
    assert tiny_model.config._attn_implementation == before


def test_the_cpu_noise_record_sees_the_whole_device():
    with NoiseProbe("cpu") as probe:
        pass
    report = probe.stop()
    assert (report.device, report.blind_to, report.gpu_before, report.gpu_after) == (
        "cpu",
        None,
        None,
        None,
    )
    assert "whole device" in report.sees
