"""The one definition of each latency metric, used by the real side, the simulated side
and the comparison alike.

- TTFT = first token − arrival
- TPOT = (completed − first token) / (n_actual − 1); undefined for n_actual = 1 (vLLM's definition)
- ITL = the gaps between consecutive tokens (needs per-token stamps)
- E2E = completed − arrival
- queueing delay = scheduled − arrival

Values are returned in milliseconds (floats) for readability; inputs are integer ns.

Percentiles (:func:`percentile`) are Harrell–Davis estimates: a weighted mean of all sorted
samples, the weights a Beta distribution's mass around the rank. The plain sample median of 100
requests is ranks 50 and 51 alone; where a discrete mix of request sizes puts a jump in the
middle (a latency that steps with prompt length), one request's noise moves it by the whole
jump, on one side and not the other. Harrell–Davis reads the ranks around it too, so a p50
error says how wrong the typical request is, and repeats.
:func:`observed_percentile` is numpy's default (linear interpolation between two samples).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise
from statistics import fmean

from gst_compare.artifacts import Artifact, RequestRecord

NS_PER_MS = 1_000_000
METRICS: tuple[str, ...] = ("ttft", "tpot", "e2e", "queueing", "itl")
PER_REQUEST_METRICS: tuple[str, ...] = ("ttft", "tpot", "e2e", "queueing")
SUMMARY_PERCENTILES: tuple[int, ...] = (50, 90, 95, 99)


def ttft_ms(r: RequestRecord) -> float:
    return (r.first_token_at_ns - r.arrived_at_ns) / NS_PER_MS


def tpot_ms(r: RequestRecord) -> float | None:
    if r.num_decode_tokens_actual <= 1:
        return None
    return (r.completed_at_ns - r.first_token_at_ns) / (r.num_decode_tokens_actual - 1) / NS_PER_MS


def e2e_ms(r: RequestRecord) -> float:
    return (r.completed_at_ns - r.arrived_at_ns) / NS_PER_MS


def queueing_ms(r: RequestRecord) -> float:
    return (r.scheduled_at_ns - r.arrived_at_ns) / NS_PER_MS


def itl_ms(r: RequestRecord) -> list[float]:
    times = r.token_times_ns or ()
    return [(b - a) / NS_PER_MS for a, b in pairwise(times)]


_PER_REQUEST = {"ttft": ttft_ms, "tpot": tpot_ms, "e2e": e2e_ms, "queueing": queueing_ms}


def per_request(artifact: Artifact, metric: str) -> dict[int, float]:
    """``{request id: value}``; requests where the metric is undefined are left out."""
    if metric not in _PER_REQUEST:
        raise KeyError(f"{metric!r} is not a per-request metric; choose from {PER_REQUEST_METRICS}")
    values = {}
    for r in artifact.requests:
        value = _PER_REQUEST[metric](r)
        if value is not None:
            values[r.id] = value
    return values


def tagged_values(artifact: Artifact, metric: str) -> tuple[list[float], list[int]]:
    """All samples of ``metric`` and the request id of each (ITL: one per gap)."""
    if metric == "itl":
        gaps = [(gap, r.id) for r in artifact.requests for gap in itl_ms(r)]
        return [g for g, _ in gaps], [i for _, i in gaps]
    found = per_request(artifact, metric)
    return list(found.values()), list(found.keys())


def values(artifact: Artifact, metric: str) -> list[float]:
    """All samples of ``metric`` in the artifact; ITL is pooled over requests."""
    if metric == "itl":
        return [gap for r in artifact.requests for gap in itl_ms(r)]
    return list(per_request(artifact, metric).values())


def percentile(samples: Iterable[float], q: float) -> float:
    """The Harrell–Davis estimate of the q-th percentile (scipy's ``mstats.hdquantiles``): the
    sorted samples weighted by the mass a Beta((n + 1)q, (n + 1)(1 − q)) distribution puts on
    each one's 1/n of [0, 1] (:func:`gst_compare.bootstrap.weighted_percentile`, every sample
    drawn once)."""
    import numpy as np

    from gst_compare.bootstrap import weighted_percentile

    data = np.asarray(list(samples), dtype=float)
    if not data.size:
        raise ValueError("percentile of no samples")
    if q <= 0.0 or q >= 100.0:
        return float(data.min() if q <= 0.0 else data.max())
    return float(weighted_percentile(np.ones((1, data.size)), data, q)[0])


def observed_percentile(samples: Iterable[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default), without needing numpy: a value
    between two observed samples (the QQ plot's points)."""
    data = sorted(samples)
    if not data:
        raise ValueError("percentile of no samples")
    pos = (len(data) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (pos - low)


def summary(artifact: Artifact) -> dict[str, dict[str, float]]:
    """Count, mean and p50/p90/p95/p99 in ms of every metric with samples."""
    out: dict[str, dict[str, float]] = {}
    for metric in METRICS:
        samples = values(artifact, metric)
        if not samples:
            continue
        row = {"n": float(len(samples)), "mean": fmean(samples)}
        row.update({f"p{q}": percentile(samples, q) for q in SUMMARY_PERCENTILES})
        out[metric] = row
    return out
