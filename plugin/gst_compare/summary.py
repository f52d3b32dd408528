"""One run's figures under the names ``vllm bench serve`` gives them, in one flat dict.

A summary can sit beside a ``vllm bench serve --save-result`` file and be read by the same
scripts: ``mean_ttft_ms``, ``median_tpot_ms``, ``p99_itl_ms``, ``mean_e2el_ms``, ...,
``completed``, ``total_input_tokens``, ``request_throughput``. The per-request values are
:mod:`gst_compare.metrics`' (the same definitions as vLLM's: TPOT leaves out the first token,
ITL pools every gap between consecutive tokens, E2EL is arrival to the last token), and the
statistics are vLLM's numpy ones: mean, median, population standard deviation and linearly
interpolated percentiles. A metric without samples (ITL of a run with no per-token stamps)
is ``None`` where vLLM would write 0.
"""

from __future__ import annotations

import json
from pathlib import Path
from statistics import fmean, median, pstdev
from typing import Any

from gst_compare.artifacts import Artifact, write_atomic
from gst_compare.metrics import NS_PER_MS, observed_percentile, values

# vLLM's name of each latency -> ours in gst_compare.metrics
LATENCIES: dict[str, str] = {"ttft": "ttft", "tpot": "tpot", "itl": "itl", "e2el": "e2e"}
PERCENTILES: tuple[int, ...] = (90, 99)
NS_PER_S = 1000 * NS_PER_MS


def summary(artifact: Artifact) -> dict[str, Any]:
    """The run's identity, counts, throughputs and latency statistics (ms), flat."""
    return {**identity(artifact), **totals(artifact), **latencies(artifact)}


def identity(artifact: Artifact) -> dict[str, Any]:
    meta = artifact.meta
    return {
        "kind": meta.kind,
        "variant": meta.variant,
        "workload": meta.workload_name,
        "backend": meta.backend,
        "hardware": meta.hardware,
        "model": meta.model,
        "run_id": meta.run_id,
    }


def totals(artifact: Artifact) -> dict[str, Any]:
    """Counts, and throughputs over the span from the first arrival to the last completion."""
    requests = artifact.requests
    inputs = sum(r.num_prompt_tokens for r in requests)
    outputs = sum(r.num_decode_tokens_actual for r in requests)
    duration = span_s(artifact)
    return {
        "duration": duration,
        "completed": len(requests),
        "total_input_tokens": inputs,
        "total_output_tokens": outputs,
        "request_throughput": _per_second(len(requests), duration),
        "output_throughput": _per_second(outputs, duration),
        "total_token_throughput": _per_second(inputs + outputs, duration),
    }


def span_s(artifact: Artifact) -> float:
    requests = artifact.requests
    if not requests:
        return 0.0
    first = min(r.arrived_at_ns for r in requests)
    last = max(r.completed_at_ns for r in requests)
    return (last - first) / NS_PER_S


def _per_second(count: int, seconds: float) -> float | None:
    return count / seconds if seconds > 0 else None


def latencies(artifact: Artifact) -> dict[str, float | None]:
    """``mean_/median_/std_/p90_/p99_<metric>_ms`` of ttft, tpot, itl and e2el."""
    out: dict[str, float | None] = {}
    for name, ours in LATENCIES.items():
        out.update(_statistics(name, values(artifact, ours)))
    return out


def _statistics(name: str, samples: list[float]) -> dict[str, float | None]:
    if not samples:
        keys = ["mean", "median", "std", *(f"p{q}" for q in PERCENTILES)]
        return {f"{key}_{name}_ms": None for key in keys}
    found = {
        f"mean_{name}_ms": fmean(samples),
        f"median_{name}_ms": median(samples),
        f"std_{name}_ms": pstdev(samples),
    }
    found.update({f"p{q}_{name}_ms": observed_percentile(samples, q) for q in PERCENTILES})
    return found


def write_summary(artifact: Artifact, path: Path) -> Path:
    """Write ``summary(artifact)`` as JSON to ``path`` (atomically); returns ``path``."""
    write_atomic(Path(path), json.dumps(summary(artifact), indent=1) + "\n")
    return Path(path)
