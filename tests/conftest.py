"""Fixtures every folder of the suite's own tests shares."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def suite_modules_loaded() -> None:
    """torch, transformers' Qwen3 and Vidur imported (our classes registered), for a test to
    request before ``pytester``: an in-process pytester session drops the modules it imported
    when it ends, and torch and numpy cannot be imported twice in one process."""
    import torch  # noqa: F401
    import transformers.generation.continuous_batching
    import transformers.models.qwen3.modeling_qwen3  # noqa: F401
    import vidur.simulator  # noqa: F401

    from gst_bench.sim.vidur_registry import vidur_classes

    vidur_classes()
