"""How far a simulated latency distribution is from the real one, with honest sample sizes.

Everything here works on plain lists of milliseconds (or on two artifacts through
:mod:`gst_compare.metrics`) and knows nothing of pytest. scipy provides the tests; what it lacks
(the distribution-free order-statistic interval of a percentile, request-paired errors) is
written out here.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from gst_compare import metrics
from gst_compare.artifacts import Artifact

PERCENTILES: tuple[int, ...] = metrics.SUMMARY_PERCENTILES
PAIRED_QUANTILES: tuple[int, ...] = (50, 90, 99)
DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True)
class PercentileError:
    """One percentile on both sides, its relative error and order-statistic intervals."""

    q: int
    min_samples: int
    enough: bool
    real: float | None = None
    sim: float | None = None
    rel_error: float | None = None
    real_interval: tuple[float, float] | None = None
    sim_interval: tuple[float, float] | None = None
    rel_error_interval: tuple[float, float] | None = None


@dataclass(frozen=True)
class PairedError:
    """Per-request relative error (sim − real) / real over the request ids both sides ran."""

    n: int
    mape: float
    bias: float
    abs_quantiles: dict[str, float]


@dataclass(frozen=True)
class AndersonResult:
    statistic: float | None
    pvalue: float | None
    note: str = ""


@dataclass(frozen=True)
class MetricDistance:
    """All distances of one metric between a real and a simulated artifact."""

    metric: str
    n_real: int
    n_sim: int
    available: bool
    note: str = ""
    ks_statistic: float | None = None
    ks_pvalue: float | None = None
    anderson: AndersonResult | None = None
    wasserstein_ms: float | None = None
    wasserstein_rel: float | None = None
    mean_real: float | None = None
    mean_sim: float | None = None
    mean_rel_error: float | None = None
    percentiles: tuple[PercentileError, ...] = ()
    paired: PairedError | None = None
    extra: dict[str, float] = field(default_factory=dict)

    def percentile(self, q: int) -> PercentileError | None:
        return next((p for p in self.percentiles if p.q == q), None)


def relative_error(sim: float, real: float) -> float:
    """(sim − real) / real; 0 when both are 0, ±inf when only real is 0."""
    if real == 0:
        return 0.0 if sim == 0 else math.copysign(math.inf, sim)
    return (sim - real) / abs(real)


def ks(real: Sequence[float], sim: Sequence[float]) -> tuple[float, float]:
    """Two-sample Kolmogorov–Smirnov statistic and p-value."""
    from scipy.stats import ks_2samp

    with warnings.catch_warnings():
        # With ties scipy may fall back from the exact to the asymptotic p-value; both are fine.
        warnings.filterwarnings("ignore", "ks_2samp: Exact calculation unsuccessful")
        result = ks_2samp(real, sim)
    return float(result.statistic), float(result.pvalue)


def anderson(real: Sequence[float], sim: Sequence[float]) -> AndersonResult:
    """k-sample Anderson–Darling; scipy caps its p-value to [0.001, 0.25] and says so."""
    from scipy.stats import anderson_ksamp

    if len(set(real) | set(sim)) < 2:
        return AndersonResult(None, None, "undefined: all values are equal")
    kwargs = (
        {"variant": "midrank"} if "variant" in inspect.signature(anderson_ksamp).parameters else {}
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = anderson_ksamp([list(real), list(sim)], **kwargs)
    capped = any("capped" in str(w.message) or "floored" in str(w.message) for w in caught)
    pvalue = float(result.pvalue)
    note = (
        (f"p-value capped: true value {'≥' if pvalue >= 0.25 else '≤'} {pvalue:g}")
        if capped
        else ""
    )
    return AndersonResult(float(result.statistic), pvalue, note)


def wasserstein(real: Sequence[float], sim: Sequence[float]) -> tuple[float, float]:
    """Wasserstein-1 distance in the samples' unit and relative to the real median."""
    from scipy.stats import wasserstein_distance

    distance = float(wasserstein_distance(real, sim))
    median = metrics.percentile(real, 50)
    return distance, (distance / abs(median) if median else math.inf if distance else 0.0)


def energy(real: Sequence[float], sim: Sequence[float]) -> float:
    """Energy distance (scipy), in the samples' unit."""
    from scipy.stats import energy_distance

    return float(energy_distance(real, sim))


def min_samples(q: float, confidence: float = DEFAULT_CONFIDENCE) -> int:
    """Fewest samples for which [min, max] already covers the q-th percentile at ``confidence``.

    An equal-tailed interval needs each tail ≤ α/2: q^n ≤ α/2 and (1−q)^n ≤ α/2
    (95 %: p50 → 6, p90 → 36, p95 → 72, p99 → 368).
    """
    fraction = q / 100.0
    worst = max(fraction, 1.0 - fraction)
    return math.ceil(math.log((1.0 - confidence) / 2.0) / math.log(worst) - 1e-12)


def order_statistic_ranks(
    n: int, q: float, confidence: float = DEFAULT_CONFIDENCE
) -> tuple[int, int] | None:
    """1-based ranks (l, u) with P(X(l) ≤ ξq ≤ X(u)) ≥ confidence; None if n is too small.

    The count B of samples below the true percentile ξq is Binomial(n, q). X(l) > ξq exactly
    when B ≤ l−1, and X(u) < ξq when B ≥ u; l is the largest and u the smallest rank that
    keeps each of these tails ≤ α/2.
    """
    import numpy as np
    from scipy.stats import binom

    tail = (1.0 - confidence) / 2.0
    counts = np.arange(n + 1)
    below = np.flatnonzero(binom.cdf(counts, n, q / 100.0) <= tail)
    above = np.flatnonzero(binom.sf(counts, n, q / 100.0) <= tail)
    if n == 0 or below.size == 0 or above.size == 0 or above[0] + 1 > n:
        return None
    return int(below[-1]) + 1, int(above[0]) + 1


def percentile_interval(
    samples: Sequence[float], q: float, confidence: float = DEFAULT_CONFIDENCE
) -> tuple[float, float] | None:
    """Distribution-free interval of the q-th percentile; None without enough samples."""
    data = sorted(samples)
    ranks = order_statistic_ranks(len(data), q, confidence)
    if ranks is None:
        return None
    return data[ranks[0] - 1], data[ranks[1] - 1]


def percentile_error(
    real: Sequence[float], sim: Sequence[float], q: int, confidence: float = DEFAULT_CONFIDENCE
) -> PercentileError:
    needed = min_samples(q, confidence)
    if not real or not sim:
        return PercentileError(q=q, min_samples=needed, enough=False)
    real_value, sim_value = metrics.percentile(real, q), metrics.percentile(sim, q)
    real_ci, sim_ci = (
        percentile_interval(real, q, confidence),
        percentile_interval(sim, q, confidence),
    )
    return PercentileError(
        q=q,
        min_samples=needed,
        enough=real_ci is not None and sim_ci is not None,
        real=real_value,
        sim=sim_value,
        rel_error=relative_error(sim_value, real_value),
        real_interval=real_ci,
        sim_interval=sim_ci,
        rel_error_interval=_ratio_interval(real_ci, sim_ci),
    )


def _ratio_interval(
    real_ci: tuple[float, float] | None, sim_ci: tuple[float, float] | None
) -> tuple[float, float] | None:
    """A conservative interval of the relative error from the two sides' intervals."""
    if real_ci is None or sim_ci is None or real_ci[0] <= 0:
        return None
    return sim_ci[0] / real_ci[1] - 1.0, sim_ci[1] / real_ci[0] - 1.0


def paired_error(real: dict[int, float], sim: dict[int, float]) -> PairedError | None:
    """Per-request relative errors over the ids both sides have (and real is not zero)."""
    errors = [relative_error(sim[i], real[i]) for i in sorted(real.keys() & sim.keys()) if real[i]]
    if not errors:
        return None
    magnitudes = [abs(e) for e in errors]
    return PairedError(
        n=len(errors),
        mape=sum(magnitudes) / len(magnitudes),
        bias=metrics.percentile(errors, 50),
        abs_quantiles={f"p{q}": metrics.percentile(magnitudes, q) for q in PAIRED_QUANTILES},
    )


def compare_samples(
    metric: str,
    real: Sequence[float],
    sim: Sequence[float],
    confidence: float = DEFAULT_CONFIDENCE,
) -> MetricDistance:
    """Every unpaired distance between two samples of one metric."""
    if not real or not sim:
        missing = "real" if not real else "simulated"
        return MetricDistance(
            metric,
            len(real),
            len(sim),
            available=False,
            note=f"not available: the {missing} side has no samples",
        )
    ks_stat, ks_p = ks(real, sim)
    w_ms, w_rel = wasserstein(real, sim)
    mean_real, mean_sim = sum(real) / len(real), sum(sim) / len(sim)
    return MetricDistance(
        metric=metric,
        n_real=len(real),
        n_sim=len(sim),
        available=True,
        ks_statistic=ks_stat,
        ks_pvalue=ks_p,
        anderson=anderson(real, sim),
        wasserstein_ms=w_ms,
        wasserstein_rel=w_rel,
        mean_real=mean_real,
        mean_sim=mean_sim,
        mean_rel_error=relative_error(mean_sim, mean_real),
        percentiles=tuple(percentile_error(real, sim, q, confidence) for q in PERCENTILES),
    )


def compare_metric(
    metric: str, real: Artifact, sim: Artifact, confidence: float = DEFAULT_CONFIDENCE
) -> MetricDistance:
    """Distances of ``metric`` between two artifacts, with request-paired errors where defined."""
    real_values = metrics.values(real, metric)
    distance = compare_samples(metric, real_values, metrics.values(sim, metric), confidence)
    if not distance.available and metric == "itl":
        side = "real" if not real_values else "simulated"
        note = f"not available: the {side} artifact has no per-token times"
        return replace(distance, note=note)
    if not distance.available or metric not in metrics.PER_REQUEST_METRICS:
        return distance
    paired = paired_error(metrics.per_request(real, metric), metrics.per_request(sim, metric))
    return replace(distance, paired=paired)
