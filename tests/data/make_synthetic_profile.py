"""Writes ``tests/data/synthetic-qwen3-tiny/``: a profile of the tiny Qwen3 in the real format
whose every timing comes from :class:`CostModel` instead of a clock, so the logic tests that
simulate with it (whole steps, speed, adapter, composition, engine steps, KV planning) see the
same numbers on every machine and in every xdist worker.

The grid is the one the measured tiny profile has (``tiny_grid`` in ``tests/sim/conftest.py``);
the rows and closure steps are assembled by the profiler's own code
(:mod:`gst_bench.profile.measure`) from the model's times, as it assembles them from timed
medians. Run it again, from the repository root, when the grid or the format
changes::

    .venv/bin/python -m tests.data.make_synthetic_profile
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from gst_bench.profile.format import (
    ATTENTION_FILE,
    COMPUTE_FILE,
    LAYER_OPS,
    META_FILE,
    PROFILER_VERSION,
    model_dims,
    write_profile,
)
from gst_bench.profile.grid import ProfileGrid
from gst_bench.profile.measure import REPEAT_SPREAD_LIMIT, _attention_rows, _compute_rows
from gst_bench.profile.operators import OPERATOR_CONTENTS
from gst_bench.profile.steps import closure_points, closure_steps
from tests.sim.conftest import compose, tiny_grid
from tests.suite_project import ROOT

FOLDER = Path(__file__).resolve().parent / "synthetic-qwen3-tiny"
SCRIPT = "tests/data/make_synthetic_profile.py"
# Per-layer operator times (ms): fixed part, per token, and the extra a count pays when it is
# not a multiple of the token period (a blocked matmul's remainder rows; 0 below the period).
OPERATORS: dict[str, tuple[float, float, float]] = {
    "input_layernorm": (0.019, 0.000025, 0.0),
    "attn_pre_proj": (0.068, 0.00028, 0.004),
    "attn_rope": (0.028, 0.00018, 0.0),
    "attn_post_proj": (0.007, 0.00009, 0.001),
    "post_attention_layernorm": (0.019, 0.000028, 0.0),
    "mlp_up_proj": (0.014, 0.00035, 0.003),
    "mlp_act": (0.005, 0.00007, 0.0),
    "mlp_down_proj": (0.008, 0.00017, 0.002),
    "add": (0.0024, 0.000011, 0.0),
}


@dataclass(frozen=True)
class CostModel:
    """Every call the profiler times, as an exact function of its shape (ms): operators and
    the LM head linear in tokens (plus a remainder extra), attention bilinear in tokens and
    context, a per-step overhead linear in tokens, and whole steps the sum of their parts."""

    layers: int
    period: int

    def operator(self, op: str, tokens: int) -> float:
        fixed, per_token, remainder = OPERATORS[op]
        return fixed + per_token * tokens + (remainder if self._off_period(tokens) else 0.0)

    def lm_head(self, rows: int) -> float:
        return 0.04 + 0.004 * rows + (0.002 if self._off_period(rows) else 0.0)

    def prefill_attention(self, chunk: int, context: int) -> float:
        return 0.008 + 0.00066 * chunk + 0.00001 * chunk * context

    def decode_attention(self, batch: int, context: int) -> float:
        return 0.010 + 0.003 * batch + 0.00004 * batch * context

    def kv_cache_save(self, tokens: int) -> float:
        return 0.0028 + 0.000008 * tokens

    def overhead(self, tokens: int) -> float:
        return 0.75 + 0.0006 * tokens

    def prefill(self, tokens: int) -> float:
        """A whole prefill of ``tokens`` from an empty cache."""
        return self._step(tokens, self.prefill_attention(tokens, 0))

    def decode(self, context: int) -> float:
        """A whole decode step of one sequence over ``context`` cached tokens."""
        return self._step(1, self.decode_attention(1, context))

    def _step(self, tokens: int, attention: float) -> float:
        layer = sum(self.operator(op, tokens) for op in LAYER_OPS) + attention
        return self.layers * layer + self.lm_head(1) + self.overhead(tokens)

    def _off_period(self, tokens: int) -> bool:
        return tokens >= self.period and tokens % self.period != 0


def timings(cost: CostModel, grid: ProfileGrid, probe: int) -> dict[tuple, float]:
    """What the profiler's calls would have measured, keyed as it keys them (the LM head up to
    the largest decode batch only: more rows are never looked up)."""
    rows = [n for n in grid.num_tokens if n <= max(grid.decode_batches)]
    found: dict[tuple, float] = {("lm_head", n): cost.lm_head(n) for n in rows}
    for n in grid.num_tokens:
        found |= {(op, n): cost.operator(op, n) for op in LAYER_OPS}
        found[("step_attention", n)] = cost.prefill_attention(n, 0)
        found[("full_forward", n)] = cost.decode(probe) if n == 1 else cost.prefill(n)
    for c in grid.prefill_chunks:
        found[("attn_kv_cache_save", c)] = cost.kv_cache_save(c)
        found |= {
            ("attn_prefill", c, k): cost.prefill_attention(c, k) for k in grid.prefill_contexts
        }
    for b in grid.decode_batches:
        found[("attn_kv_cache_save", b)] = cost.kv_cache_save(b)
        found |= {("attn_decode", b, k): cost.decode_attention(b, k) for k in grid.decode_contexts}
    return found


def closure_timings(cost: CostModel, grid: ProfileGrid) -> dict[tuple, float]:
    """The whole steps off the grid the profiler times, keyed ``("closure", kind, tokens,
    context)``."""
    contexts, lengths = closure_points(grid)
    found = {("closure", "decode", 1, k): cost.decode(k) for k in contexts}
    return found | {("closure", "prefill", n, 0): cost.prefill(n) for n in lengths}


def meta(cfg: dict[str, Any], dims: dict[str, int], grid: ProfileGrid, steps) -> dict[str, Any]:
    """``profile.json`` as the profiler writes it, saying how the times were made."""
    hardware = cfg["hardware"]
    return {
        "profiler_version": PROFILER_VERSION,
        "hardware": hardware["id"],
        "device_name": f"synthetic ({SCRIPT})",
        "dtype": hardware["dtype"],
        "threads": hardware.get("threads"),
        "model_key": cfg["model"]["key"],
        "model_name": cfg["model"]["name"],
        "weights": "random",
        "model": dims,
        "grid": grid.to_dict(),
        "made": {
            "method": f"synthetic: every time from the cost model of {SCRIPT}, no clock",
            "noise": {},
            "noise_flags": [],
            "repeat_spread": {"steps_median": 0.0, "limit": REPEAT_SPREAD_LIMIT, "worst_steps": []},
            "decode_probe_context": min(grid.decode_contexts),
            "started_at": "1970-01-01T00:00:00+00:00",
            "profiler_version": PROFILER_VERSION,
        },
        "closure_steps": [vars(step) for step in steps],
        "operators": OPERATOR_CONTENTS,
        "corrections": {"folded_here": []},
    }


def make(folder: Path) -> None:
    """Write the profile's three files into ``folder``."""
    cfg = compose("backend=continuous")
    grid = tiny_grid()
    architecture = json.loads((ROOT / cfg["model"]["architecture"]).read_text(encoding="utf-8"))
    dims = model_dims(SimpleNamespace(**architecture))
    cost = CostModel(layers=dims["num_layers"], period=grid.token_period)
    probe = min(grid.decode_contexts)
    value = timings(cost, grid, probe)
    closure = closure_timings(cost, grid)
    steps = closure_steps(closure, closure, dict.fromkeys(closure, 0.0))
    compute = _compute_rows(value, grid, probe, cost.layers)
    with tempfile.TemporaryDirectory() as staging:
        written = write_profile(
            Path(staging), meta(cfg, dims, grid, steps), compute, _attention_rows(value, grid)
        )
        folder.mkdir(parents=True, exist_ok=True)
        for name in (COMPUTE_FILE, ATTENTION_FILE, META_FILE):
            shutil.copyfile(written.path / name, folder / name)


if __name__ == "__main__":
    make(FOLDER)
    print(f"wrote {FOLDER}")
