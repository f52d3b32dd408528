"""How far a simulated latency distribution is from the real one, with intervals that say how
sure the figure is.

Everything here works on samples of milliseconds tagged with their request id (or on two
artifacts through :mod:`gst_compare.metrics`) and knows nothing of pytest. Each error (a
percentile's relative or absolute error, the Wasserstein distance relative to the real median,
the mean's error, the per-request MAPE) comes with a paired-bootstrap interval over requests
(:mod:`gst_compare.bootstrap`); scipy's KS and Anderson–Darling tests are kept as information.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from gst_compare import metrics
from gst_compare.artifacts import Artifact

PERCENTILES: tuple[int, ...] = metrics.SUMMARY_PERCENTILES
PAIRED_QUANTILES: tuple[int, ...] = (50, 90, 99)
DEFAULT_CONFIDENCE = 0.95
DEFAULT_RESAMPLES = 1000

Interval = tuple[float, float]


@dataclass(frozen=True)
class PercentileError:
    """One percentile on both sides: its error relative to real and in ms, with intervals."""

    q: int
    real: float
    sim: float
    rel_error: float
    abs_error_ms: float
    rel_interval: Interval | None = None
    abs_interval: Interval | None = None


@dataclass(frozen=True)
class PairedError:
    """Per-request relative error (sim − real) / real over the request ids both sides ran."""

    n: int
    mape: float
    bias: float
    abs_quantiles: dict[str, float]
    mape_interval: Interval | None = None


@dataclass(frozen=True)
class AndersonResult:
    statistic: float | None
    pvalue: float | None
    note: str = ""


@dataclass(frozen=True)
class MetricDistance:
    """All distances of one metric between a real and a simulated artifact. ``n_requests`` is
    the number of requests both sides have samples of: the bootstrap's sample size."""

    metric: str
    n_real: int
    n_sim: int
    available: bool
    note: str = ""
    n_requests: int = 0
    ks_statistic: float | None = None
    ks_pvalue: float | None = None
    anderson: AndersonResult | None = None
    wasserstein_ms: float | None = None
    wasserstein_ms_interval: Interval | None = None
    wasserstein_rel: float | None = None
    wasserstein_rel_interval: Interval | None = None
    mean_real: float | None = None
    mean_sim: float | None = None
    mean_rel_error: float | None = None
    mean_rel_interval: Interval | None = None
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
    """Energy distance (scipy) of both samples divided by the real median: unitless.

    scipy's energy distance is sqrt(2 ∫ (F - G)²) and so scales with the square root of the
    samples' unit; relative to the real median it reads the same in ms or s, like
    ``wasserstein_rel``."""
    from scipy.stats import energy_distance

    scale = abs(metrics.percentile(real, 50))
    if not scale:
        return 0.0 if list(real) == list(sim) else math.inf
    return float(energy_distance([v / scale for v in real], [v / scale for v in sim]))


class _Sides:
    """Each replica block's percentiles of both sides, computed once for the statistics that
    share them (a percentile's relative and absolute error, the Wasserstein distance's scale)."""

    def __init__(self) -> None:
        self._found: dict[tuple[int, int], tuple[Any, Any, Any]] = {}

    def of(self, weights: Any, values: Any, q: int) -> Any:
        from gst_compare import bootstrap as b

        key = (id(values), q)
        held = self._found.get(key)
        if held is None or held[0] is not weights:
            held = (weights, values, b.weighted_percentile(weights, values, q))
            self._found[key] = held
        return held[2]


def _percentile_statistics(q: int, sides: _Sides):
    from gst_compare import bootstrap as b

    def rel(real_w, real_v, sim_w, sim_v):
        real, sim = sides.of(real_w, real_v, q), sides.of(sim_w, sim_v, q)
        return b.relative(sim - real, real)

    def absolute(real_w, real_v, sim_w, sim_v):
        return sides.of(sim_w, sim_v, q) - sides.of(real_w, real_v, q)

    return {f"p{q}_rel": rel, f"p{q}_abs": absolute}


def _distribution_statistics(sides: _Sides):
    from gst_compare import bootstrap as b

    def wasserstein_rel(real_w, real_v, sim_w, sim_v):
        median = sides.of(real_w, real_v, 50)
        return b.relative(b.wasserstein(real_w, real_v, sim_w, sim_v), median)

    def wasserstein_ms(real_w, real_v, sim_w, sim_v):
        return b.wasserstein(real_w, real_v, sim_w, sim_v)

    def mean_rel(real_w, real_v, sim_w, sim_v):
        real, sim = b.weighted_mean(real_w, real_v), b.weighted_mean(sim_w, sim_v)
        return b.relative(sim - real, real)

    return {
        "wasserstein_rel": wasserstein_rel,
        "wasserstein_ms": wasserstein_ms,
        "mean_rel": mean_rel,
    }


def sample_intervals(
    real: tuple[Sequence[float], Sequence[int]],
    sim: tuple[Sequence[float], Sequence[int]],
    confidence: float = DEFAULT_CONFIDENCE,
    resamples: int = DEFAULT_RESAMPLES,
) -> tuple[int, dict[str, Interval | None]]:
    """Paired-bootstrap intervals of every error statistic of two samples given as
    ``(values, request ids)``; returns the number of paired requests and the intervals."""
    from gst_compare import bootstrap

    paired = bootstrap.Paired.of(bootstrap.Samples.of(*real), bootstrap.Samples.of(*sim))
    sides = _Sides()
    statistics = _distribution_statistics(sides)
    for q in PERCENTILES:
        statistics.update(_percentile_statistics(q, sides))
    spreads = bootstrap.intervals(paired, statistics, confidence, resamples)
    found = {name: s.interval() if s else None for name, s in spreads.items()}
    if paired.n >= 2:  # Wasserstein distances: bias-corrected around the point estimate
        w_ms, w_rel = wasserstein(real[0], sim[0])
        for name, estimate in (("wasserstein_ms", w_ms), ("wasserstein_rel", w_rel)):
            spread = spreads[name]
            found[name] = spread.interval(estimate, floor=0.0) if spread else None
    return paired.n, found


def percentile_error(
    real: Sequence[float], sim: Sequence[float], q: int, found: dict[str, Interval | None]
) -> PercentileError:
    real_value, sim_value = metrics.percentile(real, q), metrics.percentile(sim, q)
    return PercentileError(
        q=q,
        real=real_value,
        sim=sim_value,
        rel_error=relative_error(sim_value, real_value),
        abs_error_ms=sim_value - real_value,
        rel_interval=found.get(f"p{q}_rel"),
        abs_interval=found.get(f"p{q}_abs"),
    )


def paired_error(
    real: dict[int, float],
    sim: dict[int, float],
    confidence: float = DEFAULT_CONFIDENCE,
    resamples: int = DEFAULT_RESAMPLES,
) -> PairedError | None:
    """Per-request relative errors over the ids both sides have (and real is not zero), with
    the bootstrap interval of their mean magnitude (MAPE)."""
    from gst_compare import bootstrap

    ids = [i for i in sorted(real.keys() & sim.keys()) if real[i]]
    errors = [relative_error(sim[i], real[i]) for i in ids]
    if not errors:
        return None
    magnitudes = [abs(e) for e in errors]
    samples = bootstrap.Samples.of(magnitudes, ids)

    def mape(real_w, real_v, sim_w, sim_v):
        return bootstrap.weighted_mean(real_w, real_v)

    spread = bootstrap.intervals(
        bootstrap.Paired.of(samples, samples), {"mape": mape}, confidence, resamples
    )["mape"]
    return PairedError(
        n=len(errors),
        mape=sum(magnitudes) / len(magnitudes),
        # The median request's own error (a sample median: errors are not a latency
        # distribution, and a bimodal mix of right and wrong requests has no error between).
        bias=metrics.observed_percentile(errors, 50),
        abs_quantiles={
            f"p{q}": metrics.observed_percentile(magnitudes, q) for q in PAIRED_QUANTILES
        },
        mape_interval=spread.interval() if spread else None,
    )


def compare_samples(
    metric: str,
    real: Sequence[float],
    sim: Sequence[float],
    confidence: float = DEFAULT_CONFIDENCE,
    resamples: int = DEFAULT_RESAMPLES,
    real_ids: Sequence[int] | None = None,
    sim_ids: Sequence[int] | None = None,
) -> MetricDistance:
    """Every distance between two samples of one metric. ``real_ids``/``sim_ids`` name the
    request of each sample (the bootstrap resamples requests); without them the i-th samples
    of the two sides are taken to be the same request."""
    if not real or not sim:
        missing = "real" if not real else "simulated"
        return MetricDistance(
            metric,
            len(real),
            len(sim),
            available=False,
            note=f"not available: the {missing} side has no samples",
        )
    real_ids = list(range(len(real))) if real_ids is None else real_ids
    sim_ids = list(range(len(sim))) if sim_ids is None else sim_ids
    n_requests, found = sample_intervals((real, real_ids), (sim, sim_ids), confidence, resamples)
    ks_stat, ks_p = ks(real, sim)
    w_ms, w_rel = wasserstein(real, sim)
    mean_real, mean_sim = sum(real) / len(real), sum(sim) / len(sim)
    return MetricDistance(
        metric=metric,
        n_real=len(real),
        n_sim=len(sim),
        available=True,
        n_requests=n_requests,
        ks_statistic=ks_stat,
        ks_pvalue=ks_p,
        anderson=anderson(real, sim),
        wasserstein_ms=w_ms,
        wasserstein_ms_interval=found["wasserstein_ms"],
        wasserstein_rel=w_rel,
        wasserstein_rel_interval=found["wasserstein_rel"],
        mean_real=mean_real,
        mean_sim=mean_sim,
        mean_rel_error=relative_error(mean_sim, mean_real),
        mean_rel_interval=found["mean_rel"],
        percentiles=tuple(percentile_error(real, sim, q, found) for q in PERCENTILES),
    )


def compare_metric(
    metric: str,
    real: Artifact,
    sim: Artifact,
    confidence: float = DEFAULT_CONFIDENCE,
    resamples: int = DEFAULT_RESAMPLES,
) -> MetricDistance:
    """Distances of ``metric`` between two artifacts, with request-paired errors where defined."""
    real_values, real_ids = metrics.tagged_values(real, metric)
    sim_values, sim_ids = metrics.tagged_values(sim, metric)
    distance = compare_samples(
        metric, real_values, sim_values, confidence, resamples, real_ids, sim_ids
    )
    if not distance.available and metric == "itl":
        side = "real" if not real_values else "simulated"
        note = f"not available: the {side} artifact has no per-token times"
        return replace(distance, note=note)
    if not distance.available or metric not in metrics.PER_REQUEST_METRICS:
        return distance
    paired = paired_error(
        metrics.per_request(real, metric), metrics.per_request(sim, metric), confidence, resamples
    )
    return replace(distance, paired=paired)
