"""Small artifacts made by hand for the plugin's tests (no torch, no Vidur).

Copied into pytester sessions as ``gst_factory.py``, so it imports only the suite's plugin.
"""

from __future__ import annotations

import random

from gst_compare.artifacts import Artifact, RequestRecord, RunMeta

MS = 1_000_000
WORKLOAD_HASH = "0123456789abcdef0123456789abcdef"


def make_requests(
    n: int,
    scale: float = 1.0,
    seed: int = 0,
    token_times: bool = False,
    ids: list[int] | None = None,
) -> tuple[RequestRecord, ...]:
    """``n`` requests 100 ms apart; durations jittered by ``seed`` and multiplied by ``scale``."""
    rng = random.Random(seed)
    records = []
    for i, request_id in enumerate(ids if ids is not None else range(n)):
        arrived = i * 100 * MS
        scheduled = arrived + int(rng.uniform(1, 5) * MS * scale)
        first = scheduled + int(rng.uniform(40, 60) * MS * scale)
        tokens = 8
        gap = int(rng.uniform(8, 12) * MS * scale)
        stamps = tuple(first + k * gap for k in range(tokens))
        records.append(
            RequestRecord(
                id=request_id,
                arrived_at_ns=arrived,
                scheduled_at_ns=scheduled,
                first_token_at_ns=first,
                completed_at_ns=stamps[-1],
                num_prompt_tokens=16 + 4 * (i % 8),
                num_decode_tokens_requested=tokens,
                num_decode_tokens_actual=tokens,
                token_times_ns=stamps if token_times else None,
            )
        )
    return tuple(records)


def make_artifact(
    kind: str = "real",
    *,
    n: int = 40,
    scale: float = 1.0,
    seed: int = 0,
    variant: str = "default",
    run_id: str = "run-0",
    test_id: str = "",
    workload_name: str = "tiny",
    workload_hash: str = WORKLOAD_HASH,
    backend: str = "serial",
    ids: list[int] | None = None,
    token_times: bool | None = None,
    noise_flags: tuple[str, ...] = (),
) -> Artifact:
    meta = RunMeta(
        kind=kind,
        backend=backend,
        hardware="cpu",
        device_name="test cpu" if kind == "real" else "simulated cpu",
        model="qwen3-0.6b",
        dtype="float32",
        weights="random",
        workload_name=workload_name,
        workload_hash=workload_hash,
        run_id=run_id,
        started_at=f"2026-01-01T00:00:00.000+00:00 {run_id}",
        variant=variant,
        test_id=test_id,
        noise_flags=list(noise_flags),
    )
    stamped = kind == "real" if token_times is None else token_times
    requests = make_requests(n, scale, seed, token_times=stamped, ids=ids)
    return Artifact(meta=meta, requests=requests)
