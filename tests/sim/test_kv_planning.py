"""KV capacity with and without the true head_dim, through Vidur's own memory planner, for the
Qwen3-0.6B dimensions (no profile needed)."""

from __future__ import annotations

import json

from gst_bench.sim.profile_grid import SchedulerLimits
from gst_bench.sim.profiler import model_dims
from gst_bench.sim.vidur_config import kv_budget_gb
from gst_bench.sim.vidur_registry import register_model, vidur_classes
from tests.sim.conftest import ROOT

LIMITS = SchedulerLimits(
    "fifo", max_batch_size=32, max_batch_tokens=256, block_size=64, num_blocks=64
)


def qwen3_dims() -> dict[str, int]:
    from types import SimpleNamespace

    raw = json.loads((ROOT / "models" / "qwen3-0.6b" / "config.json").read_text())
    return model_dims(SimpleNamespace(**raw))


def planned_tokens(head_dim: int | None) -> int:
    from vidur.config import CacheConfig
    from vidur.utils.memory_planner import MemoryPlanner

    dims = qwen3_dims()
    name = register_model("gst/qwen3-0.6b", dims)
    replica = vidur_classes()["replica_config"](
        model_name=name,
        num_pipeline_stages=1,
        tensor_parallel_size=1,
        device="gst_cpu",
        network_device="gst_cpu",
        attention_head_dim_override=head_dim,
        device_memory_gb=kv_budget_gb(LIMITS, dims),
    )
    return int(MemoryPlanner(replica, CacheConfig(block_size=64)).get_max_kv_cache_size_in_tokens())


def test_true_head_dim_recovers_the_real_capacity() -> None:
    assert qwen3_dims()["head_dim"] == 128
    assert planned_tokens(128) == 64 * 64


def test_stock_head_dim_more_than_doubles_it() -> None:
    assert planned_tokens(None) > 2 * 64 * 64
