"""Shared set-up for the real harness's tests: the tiny Qwen3 (fp32, on the CPU) and small
workloads that take well under a second to serve."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gst_bench.real.harness import ModelCache
from gst_bench.workloads.workload import Workload, WorkloadSpec, generate
from gst_compare.config import ConfigComposer
from tests.suite_project import ROOT

# A larger init std than the preset's 0.02: greedy output then varies from token to token
# instead of repeating one id, so an EOS can be placed in the middle of a stream.
VARIED_INIT_STD = 0.5


def small_workload(
    *, seed: int = 11, requests: int = 4, rate: float | None = 50.0, output: int | None = None
) -> Workload:
    arrival = {"process": "poisson", "rate": rate} if rate else {"process": "all_at_once"}
    output_len = (
        {"dist": "fixed", "value": output} if output else {"dist": "uniform", "min": 3, "max": 8}
    )
    spec = WorkloadSpec.from_config(
        {
            "name": f"unit-{seed}",
            "seed": seed,
            "num_requests": requests,
            "arrival": arrival,
            "prompt_len": {"dist": "uniform", "min": 4, "max": 24},
            "output_len": output_len,
        },
        vocab_size=1000,
    )
    return generate(spec)


@pytest.fixture(scope="session")
def composer() -> ConfigComposer:
    return ConfigComposer(ROOT / "configs")


@pytest.fixture(scope="session")
def tiny_models() -> ModelCache:
    return ModelCache()


def tiny_config(composer: ConfigComposer, backend: str, *overrides: str) -> dict[str, Any]:
    return composer.compose(
        "model=qwen3-tiny",
        f"backend={backend}",
        "hardware=cpu",
        "hardware.dtype=float32",
        *overrides,
    )


@pytest.fixture(scope="session")
def varied_model_cfg(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The tiny architecture with a larger init std, as a model config group entry."""
    folder = tmp_path_factory.mktemp("qwen3-tiny-varied")
    arch = json.loads((ROOT / "models" / "qwen3-tiny" / "config.json").read_text())
    arch["initializer_range"] = VARIED_INIT_STD
    (folder / "config.json").write_text(json.dumps(arch))
    return {
        "name": "qwen3-tiny-varied",
        "key": "qwen3-tiny-varied",
        "architecture": str(folder / "config.json"),
        "weights": None,
        "init_seed": 0,
        "prompt_vocab_size": 1000,
    }
