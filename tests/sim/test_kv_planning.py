"""KV capacity with and without the true head_dim, through Vidur's own memory planner, for the
Qwen3-0.6B dimensions (no profile needed)."""

from __future__ import annotations

import json

from gst_bench.profile.format import model_dims
from gst_bench.profile.grid import SchedulerLimits
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

    from gst_bench.sim.vidur_registry import register_device
    from tests.sim.conftest import compose

    dims = qwen3_dims()
    name = register_model("gst/qwen3-0.6b", dims)
    register_device(compose()["hardware"])
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


def test_kv_switches_change_a_kv_bound_simulation(tmp_path) -> None:
    """Six 64-token blocks for 24 requests arriving together (committed reference profile):
    with the real engine's budget, either the true head_dim or the exact block count keeps
    Vidur at the real capacity (preemptions, queueing); without both it finds ten times the
    blocks; stock plans from the device SKU's 16 GB."""
    from dataclasses import replace

    from gst_bench.profile.format import find_profile
    from gst_bench.sim.vidur_adapter import simulate
    from gst_compare.artifacts import Artifact, RunMeta
    from tests.sim.conftest import compose, small_workload

    profile = find_profile(
        ROOT / "reports" / "cpu-reference" / "store" / "profiles", "cpu", "qwen3-0.6b", "float32"
    )
    workload = small_workload(num=24, max_prompt=64, rate=20.0, seed=3)
    model = ("model=qwen3-0.6b", "backend=continuous")
    base = simulate(workload, profile, compose(*model), out_root=tmp_path)
    scheduler = {**LIMITS.to_dict(), "num_blocks": 6}
    real_meta = replace(base.meta, kind="real", variant="default", extra={"scheduler": scheduler})
    real = Artifact(meta=RunMeta(**vars(real_meta)), requests=base.requests)

    def run(variant: str, *off: str) -> dict:
        switches = [f"vidur.switches.{name}=false" for name in off]
        cfg = compose(*model, f"vidur={variant}", *switches)
        return simulate(workload, profile, cfg, real, out_root=tmp_path).meta.extra

    corrected = run("corrected")
    assert corrected["num_blocks"] == 6 and corrected["restarts"] > 0
    for off in ("true_head_dim", "exact_kv_blocks"):
        assert run("corrected", off)["restarts"] == corrected["restarts"]
    neither = run("corrected", "true_head_dim", "exact_kv_blocks")
    assert neither["num_blocks"] >= 10 * 6 and neither["restarts"] < corrected["restarts"]
    stock = run("stock")
    assert stock["device_memory_gb"] is None and stock["num_blocks"] > neither["num_blocks"]
