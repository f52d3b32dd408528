"""Confidence intervals of real-vs-simulated errors, by a paired bootstrap over requests.

Both sides ran the same requests, so the sampling unit is the request: each bootstrap replica
draws request ids with replacement and weighs every sample of a drawn request (one TTFT, or all
its inter-token gaps) by how often it was drawn, on both sides at once. The spread of the error
over the replicas is its interval. The generator is seeded: the same samples give the same
interval on every machine.

Plain numpy; knows nothing of pytest or of artifacts (see :mod:`gst_compare.distance`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

SEED = 20261129
BLOCK = 200  # replicas computed at once: bounds memory for pooled per-token samples


@dataclass(frozen=True)
class Samples:
    """Values with the request each belongs to (several per request for pooled metrics)."""

    values: np.ndarray
    requests: np.ndarray

    @classmethod
    def of(cls, values: Sequence[float], requests: Sequence[int]) -> Samples:
        return cls(np.asarray(values, dtype=float), np.asarray(requests, dtype=np.int64))


@dataclass(frozen=True)
class Paired:
    """The two sides restricted to the requests both have, as positions into ``ids``."""

    ids: np.ndarray
    real: Samples
    sim: Samples

    @classmethod
    def of(cls, real: Samples, sim: Samples) -> Paired:
        ids = np.intersect1d(real.requests, sim.requests)
        return cls(ids, _restrict(real, ids), _restrict(sim, ids))

    @property
    def n(self) -> int:
        return int(self.ids.size)


def _restrict(side: Samples, ids: np.ndarray) -> Samples:
    keep = np.isin(side.requests, ids)
    return Samples(side.values[keep], np.searchsorted(ids, side.requests[keep]))


Statistic = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Spread:
    """The replicas of one statistic: its percentile interval and its mean."""

    low: float
    high: float
    mean: float

    def interval(self, estimate: float | None = None, floor: float | None = None):
        """The percentile interval; given the point ``estimate``, shifted by the bootstrap's
        bias (mean of replicas − estimate), for statistics that resampling inflates (a
        distance between two samples grows with the ties a resample adds)."""
        if estimate is None:
            return self.low, self.high
        shift = self.mean - estimate
        low, high = self.low - shift, self.high - shift
        return (low if floor is None else max(floor, low)), high


def intervals(
    paired: Paired, statistics: dict[str, Statistic], confidence: float, resamples: int
) -> dict[str, Spread | None]:
    """Percentile-bootstrap interval of each ``statistic(real_w, real_v, sim_w, sim_v)``
    (weights: one row per replica), all from the same replicas; None for a statistic when
    fewer than two requests are paired or no replica is finite."""
    if paired.n < 2 or not statistics:
        return dict.fromkeys(statistics)
    rng = np.random.default_rng(SEED)
    replicas: dict[str, list[np.ndarray]] = {name: [] for name in statistics}
    for start in range(0, resamples, BLOCK):
        size = min(BLOCK, resamples - start)
        counts = rng.multinomial(paired.n, np.full(paired.n, 1.0 / paired.n), size=size)
        real_w = counts[:, paired.real.requests].astype(float)
        sim_w = counts[:, paired.sim.requests].astype(float)
        for name, statistic in statistics.items():
            replicas[name].append(statistic(real_w, paired.real.values, sim_w, paired.sim.values))
    tail = (1.0 - confidence) / 2.0 * 100.0
    return {name: _bounds(np.concatenate(found), tail) for name, found in replicas.items()}


def _bounds(found: np.ndarray, tail: float) -> Spread | None:
    found = found[np.isfinite(found)]
    if found.size == 0:
        return None
    low, high = np.percentile(found, [tail, 100.0 - tail])
    return Spread(float(low), float(high), float(found.mean()))


def weighted_percentile(weights: np.ndarray, values: np.ndarray, q: float) -> np.ndarray:
    """The Harrell–Davis q-th percentile (:func:`gst_compare.metrics.percentile`) of ``values``
    under each row of ``weights``: a sample drawn k times holds k of the row's N positions, and
    weighs the Beta((N + 1)q, (N + 1)(1 − q)) mass over them. Integer weights give exactly the
    estimate of the sample written out with its repeats."""
    order = np.argsort(values, kind="stable")
    drawn = weights[:, order]
    edges = np.zeros((drawn.shape[0], drawn.shape[1] + 1))
    np.cumsum(drawn, axis=1, out=edges[:, 1:])
    return np.diff(_beta_cdf(edges, q / 100.0), axis=1) @ values[order]


def _beta_cdf(edges: np.ndarray, p: float) -> np.ndarray:
    """Beta((N + 1)p, (N + 1)(1 − p)) CDF at ``edges`` / N, N each row's last edge. Rows of
    one integer total (a bootstrap of one value per request) read one table of N + 1 values."""
    from scipy.special import betainc

    totals = edges[:, -1:]
    found = np.unique(totals)
    if found.size == 1 and found[0] >= 1 and np.all(edges == np.round(edges)):
        n = int(found[0])
        table = betainc((n + 1) * p, (n + 1) * (1 - p), np.arange(n + 1) / n)
        return table[edges.astype(np.int64)]
    with np.errstate(invalid="ignore", divide="ignore"):
        return betainc((totals + 1) * p, (totals + 1) * (1 - p), np.clip(edges / totals, 0, 1))


def weighted_mean(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    total = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return weights @ values / total


def wasserstein(
    real_w: np.ndarray, real_v: np.ndarray, sim_w: np.ndarray, sim_v: np.ndarray
) -> np.ndarray:
    """Wasserstein-1 distance between the weighted samples of each row: ∫ |F_real − F_sim|."""
    merged = np.concatenate([real_v, sim_v])
    order = np.argsort(merged, kind="stable")
    gaps = np.diff(merged[order])
    with np.errstate(invalid="ignore", divide="ignore"):
        real_mass = real_w / real_w.sum(axis=1, keepdims=True)
        sim_mass = sim_w / sim_w.sum(axis=1, keepdims=True)
    signed = np.concatenate([real_mass, -sim_mass], axis=1)[:, order]
    return np.abs(np.cumsum(signed, axis=1)[:, :-1]) @ gaps


def relative(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / |denominator| with NaN where the denominator is 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator != 0, numerator / np.abs(denominator), np.nan)
