"""Profiles of the tiny Qwen3 for the sim tests, and configs composed from the suite's own
config tree.

``tiny_profile`` is the committed synthetic profile (``tests/data/synthetic-qwen3-tiny``: exact
times from a cost model, in the real format and on the measured profile's grid): the logic
tests simulate with it and see the same numbers on every machine. ``measured_profile``
times the tiny Qwen3 on this machine (fp32, one thread, the same grid), for the tests whose
point is the measuring."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from gst_bench.profile.format import (
    ATTENTION_FILE,
    COMPUTE_FILE,
    META_FILE,
    PROFILER_VERSION,
    ProfileInfo,
)
from gst_bench.profile.grid import GridNeeds, ProfileGrid, SchedulerLimits, TokenPeriod, needs_for
from gst_bench.profile.measure import profile_model
from gst_bench.workloads.workload import Workload, WorkloadSpec, generate
from gst_compare.config import ConfigComposer
from tests.suite_project import ROOT

SYNTHETIC = ROOT / "tests" / "data" / "synthetic-qwen3-tiny"
REMAKE = ".venv/bin/python -m tests.data.make_synthetic_profile"
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


def tiny_grid() -> ProfileGrid:
    """The grid a profiling session makes for :func:`tiny_needs` on the CPU hardware (its
    token period too)."""
    return ProfileGrid.covering(tiny_needs(), TokenPeriod.from_config(compose()["hardware"]))


@pytest.fixture
def tiny_profile(tmp_path_factory: pytest.TempPathFactory) -> ProfileInfo:
    """A fresh copy of the committed synthetic profile, outside the test's ``tmp_path``."""
    folder = tmp_path_factory.mktemp("synthetic-profile")
    for name in (COMPUTE_FILE, ATTENTION_FILE, META_FILE):
        shutil.copyfile(SYNTHETIC / name, folder / name)
    profile = ProfileInfo.load(folder)
    stale = profile.meta["profiler_version"] != PROFILER_VERSION
    if stale or profile.grid != tiny_grid():
        pytest.fail(f"{SYNTHETIC} is not the profiler's format or the tiny grid; remake: {REMAKE}")
    return profile


@pytest.fixture(scope="session")
def measured_profile(tmp_path_factory: pytest.TempPathFactory) -> ProfileInfo:
    """The tiny Qwen3 profiled on this machine, once per worker, on :func:`tiny_grid`."""
    cfg = compose("backend=continuous")
    out = tmp_path_factory.mktemp("profiles") / "cpu" / "qwen3-tiny" / "float32" / "v"
    return profile_model(cfg["model"], cfg["hardware"], tiny_grid(), out, ROOT, warmup=1, repeats=3)


@pytest.fixture
def out_root(tmp_path: Path) -> Path:
    return tmp_path / "out"
