"""A real profile of the tiny Qwen3 (fp32, one thread, small grid) shared by the sim tests,
and configs composed from the suite's own config tree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gst_bench.profile.format import ProfileInfo
from gst_bench.profile.grid import GridNeeds, ProfileGrid, SchedulerLimits, TokenPeriod, needs_for
from gst_bench.profile.measure import profile_model
from gst_bench.workloads.workload import Workload, WorkloadSpec, generate
from gst_compare.config import ConfigComposer
from tests.suite_project import ROOT

TINY = ("model=qwen3-tiny", "hardware=cpu", "hardware.dtype=float32", "hardware.threads=1")


def compose(*overrides: str) -> dict[str, Any]:
    return ConfigComposer(ROOT / "configs").compose(*TINY, *overrides)


def small_workload(
    num: int = 6, max_prompt: int = 64, rate: float = 50.0, seed: int = 1
) -> Workload:
    spec = WorkloadSpec.from_config(
        {
            "name": "simtest",
            "seed": seed,
            "num_requests": num,
            "arrival": {"process": "poisson", "rate": rate},
            "prompt_len": {"dist": "uniform", "min": 16, "max": max_prompt},
            "output_len": {"dist": "uniform", "min": 4, "max": 12},
        },
        vocab_size=1000,
    )
    return generate(spec)


def tiny_needs() -> GridNeeds:
    """The lookups of eight 64-token prompts with 12 outputs under both schedulers."""
    lengths = [(64, 12)] * 8
    continuous = SchedulerLimits.from_config(compose("backend=continuous")["backend"])
    return needs_for(lengths, continuous).merge(
        needs_for(lengths, SchedulerLimits.from_config({"name": "serial"}))
    )


@pytest.fixture(scope="session")
def tiny_profile(tmp_path_factory: pytest.TempPathFactory) -> ProfileInfo:
    cfg = compose("backend=continuous")
    needs = tiny_needs()
    out = tmp_path_factory.mktemp("profiles") / "cpu" / "qwen3-tiny" / "float32" / "v"
    # The grid the CPU hardware asks for (its token period too), as a profiling session makes it.
    grid = ProfileGrid.covering(needs, TokenPeriod.from_config(cfg["hardware"]))
    return profile_model(cfg["model"], cfg["hardware"], grid, out, ROOT, warmup=1, repeats=3)


@pytest.fixture
def out_root(tmp_path: Path) -> Path:
    return tmp_path / "out"
