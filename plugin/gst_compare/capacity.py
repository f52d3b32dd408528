"""Capacity from a latency curve: the highest load level a latency objective still holds at.

Given load levels (ascending rates) and one latency statistic per level (a TTFT p90 in ms, say),
the capacity under an objective ``statistic <= limit`` is read where the curve first crosses the
limit: linearly interpolated between the last level that meets it and the first that does not.
Nothing is extrapolated: a curve that meets the objective at every level says only that the
capacity lies above the highest level, one that meets it at none that it lies below the lowest.

The *first* crossing counts: on a curve that fails the objective at some level and meets it
again further up (noise, or an engine that batches better under more load), the levels past the
first failure are not looked at. A capacity claim is about the load at which serving first
stops meeting the objective.

Given bootstrap samples of the statistic per level (the same count at every level; sample ``b``
of each level makes resample ``b``), the same estimate on every resample gives a percentile
interval. Plain Python; knows nothing of pytest, artifacts or the domain.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from itertools import pairwise


class Side(Enum):
    """Where the capacity lies relative to the measured levels."""

    CROSSED = "between two levels"
    ABOVE_HIGHEST = "above the highest level"
    BELOW_LOWEST = "below the lowest level"


_ORDER = {Side.BELOW_LOWEST: 0, Side.CROSSED: 1, Side.ABOVE_HIGHEST: 2}


@dataclass(frozen=True)
class Crossing:
    """One capacity estimate: ``rate`` is the interpolated rate when ``side`` is ``CROSSED``,
    else the level the capacity lies beyond (a bound, not an estimate)."""

    side: Side
    rate: float

    @property
    def sort_key(self) -> tuple[int, float]:
        return _ORDER[self.side], self.rate

    def __str__(self) -> str:
        if self.side is Side.CROSSED:
            return f"{self.rate:.4g}"
        return f"{self.side.value} ({self.rate:.4g})"


@dataclass(frozen=True)
class CapacityEstimate:
    """The point estimate and, from bootstrap samples, its percentile interval."""

    point: Crossing
    interval: tuple[Crossing, Crossing] | None = None
    resamples: int = 0

    def __str__(self) -> str:
        if self.interval is None:
            return str(self.point)
        low, high = self.interval
        return f"{self.point} [{low}, {high}]"


def crossing(rates: Sequence[float], stats: Sequence[float], limit: float) -> Crossing:
    """Where the curve ``stats`` over ``rates`` first rises above ``limit``."""
    for i, stat in enumerate(stats):
        if stat <= limit:
            continue
        if i == 0:
            return Crossing(Side.BELOW_LOWEST, float(rates[0]))
        rate_lo, rate_hi, stat_lo = rates[i - 1], rates[i], stats[i - 1]
        share = (limit - stat_lo) / (stat - stat_lo)
        return Crossing(Side.CROSSED, float(rate_lo + share * (rate_hi - rate_lo)))
    return Crossing(Side.ABOVE_HIGHEST, float(rates[-1]))


def estimate_capacity(
    rates: Sequence[float],
    stats: Sequence[float],
    limit: float,
    samples: Sequence[Sequence[float]] | None = None,
    confidence: float = 0.95,
) -> CapacityEstimate:
    """The capacity under ``stat <= limit``; with ``samples`` (per level, its statistic's
    bootstrap samples), the ``confidence`` percentile interval of the resamples' estimates."""
    _check_curve(rates, stats, limit)
    point = crossing(rates, stats, limit)
    if samples is None:
        return CapacityEstimate(point)
    per_resample = _resamples(rates, samples)
    found = sorted((crossing(rates, s, limit) for s in per_resample), key=lambda c: c.sort_key)
    tail = (1.0 - confidence) / 2.0
    low = found[_rank(tail, len(found))]
    high = found[_rank(1.0 - tail, len(found))]
    return CapacityEstimate(point, (low, high), len(found))


def _rank(quantile: float, count: int) -> int:
    """The order statistic a percentile interval's end takes (nearest rank, inclusive)."""
    return min(count - 1, max(0, math.ceil(quantile * count) - 1))


def _resamples(rates: Sequence[float], samples: Sequence[Sequence[float]]) -> list[list[float]]:
    if len(samples) != len(rates):
        raise ValueError(f"{len(samples)} sample lists for {len(rates)} levels; give one per level")
    counts = {len(s) for s in samples}
    if len(counts) != 1 or 0 in counts:
        raise ValueError(f"every level needs the same number (> 0) of samples, got {counts}")
    if not all(math.isfinite(v) for level in samples for v in level):
        raise ValueError("a bootstrap sample is not a finite number")
    return [list(resample) for resample in zip(*samples, strict=True)]


def _check_curve(rates: Sequence[float], stats: Sequence[float], limit: float) -> None:
    if not rates or len(rates) != len(stats):
        raise ValueError(f"{len(rates)} levels and {len(stats)} statistics; give one per level")
    if not all(math.isfinite(v) for v in (*rates, *stats, limit)):
        raise ValueError("levels, statistics and the limit must be finite numbers")
    if any(b <= a for a, b in pairwise(rates)):
        raise ValueError(f"levels must be strictly ascending rates, got {list(rates)}")
