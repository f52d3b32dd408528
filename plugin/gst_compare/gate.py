"""Gates on intervals: PASS when the whole confidence interval of an error lies inside its
tolerance, FAIL when it lies entirely outside, INCONCLUSIVE otherwise (with the number of
requests that would likely decide it). More data narrows the interval, so it can only make a
verdict sharper, never stricter by accident. Where the floor is measured (the real system's
own error against itself, :mod:`gst_compare.floor`) the interval is widened by it on both
sides first. Noise flags on a run decide nothing here: they are reported beside the verdict.

Thresholds come from ``configs/gate/<preset>.yaml`` (``--gst-set gate=strict``,
``--gst-set gate.percentile_rel_error.p50=0.2``) and per test from ``@pytest.mark.gst_gate``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from enum import Enum
from typing import Any

from gst_compare import metrics
from gst_compare.distance import Interval, MetricDistance


class Outcome(str, Enum):
    """A judgement (the value is what reports and JSON say)."""

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"

    def __str__(self) -> str:
        return self.value


PASS, FAIL, INCONCLUSIVE = Outcome.PASS, Outcome.FAIL, Outcome.INCONCLUSIVE
PERCENTILE_KEYS: tuple[str, ...] = tuple(f"p{q}" for q in metrics.SUMMARY_PERCENTILES)
ABS_PERCENTILE_KEYS: tuple[str, ...] = tuple(f"abs_{k}" for k in PERCENTILE_KEYS)
OPTIONAL_LIMITS: tuple[str, ...] = (
    "wasserstein_rel_max",
    "wasserstein_abs_max_ms",
    "mean_rel_error",
    "mape_max",
)
MARKER_KEYS: tuple[str, ...] = (
    *PERCENTILE_KEYS,
    *ABS_PERCENTILE_KEYS,
    *OPTIONAL_LIMITS,
    "min_requests",
    "drift_rel_tolerance",
    "metrics",
)
# The settings that name variants or folders, with an example of each for error messages.
LIST_KEYS: dict[str, str] = {
    "advisory_variants": "[stock, baseline]",
    "calibrated_variants": "[calibrated]",
    "floor_stores": "[reports/cpu-reference/store]",
}
ROLE_KEYS: dict[str, str] = {"primary_variant": "corrected", "baseline_variant": "baseline"}
# Metrics a capacity objective may name: defined for every request (TPOT is not, ITL pools).
CAPACITY_METRICS: tuple[str, ...] = ("ttft", "e2e", "queueing")


class GateConfigError(ValueError):
    """A gate setting that is not usable; the message quotes it and says what is accepted."""


@dataclass(frozen=True)
class GateConfig:
    """Resolved thresholds; every relative error is judged two-sided as |sim − real| / real."""

    name: str = "default"
    metrics: tuple[str, ...] = metrics.METRICS
    confidence: float = 0.95
    bootstrap_resamples: int = 1000
    # Fewer requests than this (both sides) and nothing is judged: a bootstrap interval from a
    # handful of requests is not an interval.
    min_requests: int = 30
    percentile_rel_error: dict[str, float] = field(default_factory=dict)
    # Metrics whose real value can be ~0 (queueing): judged on sim − real in ms instead.
    absolute_metrics: tuple[str, ...] = ("queueing",)
    percentile_abs_error_ms: dict[str, float] = field(default_factory=dict)
    # Effect size of the whole distribution: Wasserstein-1 distance / real median (one-sided);
    # for the absolute metrics, the distance itself in ms.
    wasserstein_rel_max: float | None = None
    wasserstein_abs_max_ms: float | None = None
    mean_rel_error: float | None = None
    mape_max: float | None = None
    drift_rel_tolerance: float = 0.0
    # Fail when a simulated artifact has no comparable baseline (the CI drift gate: a missing
    # or replaced baseline must not turn the gate into a no-op).
    drift_require_baseline: bool = False
    # Simulated variants judged and shown but never failing the session (e.g. stock Vidur,
    # whose known modelling gaps the report exists to show); drift is still enforced.
    advisory_variants: tuple[str, ...] = ()
    # The variant the headline and the verdict table lead with: with every other variant
    # advisory, its verdict is the session's ("" when none is named).
    primary_variant: str = ""
    # The naive predictor the report sets beside the primary's error ("" when none).
    baseline_variant: str = ""
    # Variants given something of the judged run itself (its measured speed): a labelled
    # secondary column, never the verdict (advisory whatever advisory_variants says).
    calibrated_variants: tuple[str, ...] = ()
    # Stores searched, after the session's, for a second real run of a pair key to measure
    # the floor (the real system's own run-to-run error); relative to the project folder.
    floor_stores: tuple[str, ...] = ()
    # A load sweep's capacity (gst_compare.sweep): the highest load at which every objective
    # ``<metric>_p<q>: limit in ms`` holds (none: capacity not judged), and the tolerance of
    # its relative error (sim − real) / real, two-sided.
    capacity_objective_ms: dict[str, float] = field(default_factory=dict)
    capacity_rel_error: float = 0.2

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise GateConfigError(f"unknown gate setting(s) {unknown}; accepted: {sorted(known)}")
        values = dict(data)
        values["metrics"] = _metrics(values.get("metrics", metrics.METRICS))
        values["absolute_metrics"] = _metrics(values.get("absolute_metrics", ("queueing",)))
        for key in ("percentile_rel_error", "percentile_abs_error_ms"):
            values[key] = _percentiles(key, values.get(key) or {})
        for key in LIST_KEYS:
            values[key] = _names(key, values.get(key) or ())
        for key in ROLE_KEYS:
            values[key] = _name(key, values.get(key) or "")
        values["capacity_objective_ms"] = _objective(values.get("capacity_objective_ms") or {})
        gate = cls(**values)
        gate.check()
        return gate

    def check(self) -> None:
        for name in ("drift_rel_tolerance", "capacity_rel_error", *OPTIONAL_LIMITS):
            _non_negative(name, getattr(self, name), optional=name in OPTIONAL_LIMITS)
        if not 0.5 < self.confidence < 1.0:
            raise GateConfigError(
                f"gate.confidence={self.confidence!r}; use a number in (0.5, 1), e.g. 0.95"
            )
        for name, least in (("min_requests", 2), ("bootstrap_resamples", 100)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise GateConfigError(f"gate.{name}={value!r}; use an integer ≥ {least}")
        self._check_roles()

    def _check_roles(self) -> None:
        primary, baseline = self.primary_variant, self.baseline_variant
        if primary and primary in self.calibrated_variants:
            raise GateConfigError(
                f"gate.primary_variant={primary!r} is also in gate.calibrated_variants="
                f"{list(self.calibrated_variants)}: a calibrated variant is never the verdict; "
                "name another primary_variant or remove it from calibrated_variants"
            )
        if primary and primary == baseline:
            raise GateConfigError(
                f"gate.baseline_variant={baseline!r} is the gate.primary_variant: the baseline "
                "is what the primary is compared against; name another (e.g. baseline)"
            )

    def with_overrides(self, overrides: dict[str, Any]) -> GateConfig:
        """Apply marker-style flat overrides (``p50=0.3``, ``ks_pvalue_min=None``)."""
        if not overrides:
            return self
        problems = marker_problems(overrides)
        if problems:
            raise GateConfigError("; ".join(problems))
        relative = dict(self.percentile_rel_error)
        relative.update({k: v for k, v in overrides.items() if k in PERCENTILE_KEYS})
        absolute = dict(self.percentile_abs_error_ms)
        absolute.update({k[4:]: v for k, v in overrides.items() if k in ABS_PERCENTILE_KEYS})
        percentile_keys = {*PERCENTILE_KEYS, *ABS_PERCENTILE_KEYS}
        scalars = {k: v for k, v in overrides.items() if k not in percentile_keys}
        if "metrics" in scalars:
            scalars["metrics"] = _metrics(scalars["metrics"])
        gate = replace(
            self,
            percentile_rel_error=_drop_none(relative),
            percentile_abs_error_ms=_drop_none(absolute),
            **scalars,
        )
        gate.check()
        return gate

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("metrics", "absolute_metrics", *LIST_KEYS):
            out[name] = list(getattr(self, name))
        return out

    def is_advisory(self, variant: str) -> bool:
        """Judged and shown but never failing the session (calibrated variants always)."""
        return variant in self.advisory_variants or variant in self.calibrated_variants

    def is_absolute(self, metric: str) -> bool:
        return metric in self.absolute_metrics

    def percentile_limits(self, metric: str) -> tuple[dict[str, float], str]:
        """The percentile tolerances that judge ``metric`` and their unit ("rel" or "ms")."""
        if self.is_absolute(metric):
            return self.percentile_abs_error_ms, "ms"
        return self.percentile_rel_error, "rel"


def _drop_none(limits: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in limits.items() if v is not None}


def marker_problems(kwargs: dict[str, Any]) -> list[str]:
    """What is wrong with ``@pytest.mark.gst_gate(**kwargs)``, as messages (empty: fine)."""
    problems = []
    for key, value in kwargs.items():
        if key not in MARKER_KEYS:
            problems.append(f"unknown gst_gate argument {key!r}; accepted: {list(MARKER_KEYS)}")
        elif key == "metrics":
            unknown = (
                [m for m in value if m not in metrics.METRICS]
                if isinstance(value, (list, tuple))
                else [value]
            )
            if unknown:
                problems.append(
                    f"gst_gate metrics={value!r}; choose a list from {list(metrics.METRICS)}"
                )
        elif value is not None and (not _is_number(value) or value < 0):
            problems.append(
                f"gst_gate {key}={value!r}; use a number ≥ 0 (or None to switch it off)"
            )
    return problems


def _names(key: str, value: Any) -> tuple[str, ...]:
    if (
        isinstance(value, str)
        or not isinstance(value, (list, tuple))
        or not all(isinstance(v, str) and v for v in value)
    ):
        example = LIST_KEYS[key]
        raise GateConfigError(f"gate.{key}={value!r}; use a list of names, e.g. {example}")
    return tuple(value)


def _name(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise GateConfigError(
            f"gate.{key}={value!r}; use one variant name, e.g. {ROLE_KEYS[key]} (or '' for none)"
        )
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _non_negative(name: str, value: Any, optional: bool) -> None:
    if value is None and optional:
        return
    if not _is_number(value) or value < 0:
        allowed = "a number ≥ 0" + (" or null to switch it off" if optional else "")
        raise GateConfigError(f"gate.{name}={value!r}; use {allowed}")


def _metrics(names: Any) -> tuple[str, ...]:
    unknown = [n for n in names if n not in metrics.METRICS]
    if isinstance(names, str) or unknown:
        raise GateConfigError(f"gate.metrics={names!r}; choose a list from {list(metrics.METRICS)}")
    return tuple(names)


def _percentiles(name: str, data: dict[str, Any]) -> dict[str, float]:
    for key, value in data.items():
        if key not in PERCENTILE_KEYS:
            raise GateConfigError(
                f"gate.{name}.{key}: unknown percentile; accepted: {list(PERCENTILE_KEYS)}"
            )
        _non_negative(f"{name}.{key}", value, optional=True)
    return _drop_none(data)


def objective_keys(objective: Mapping[str, float]) -> list[tuple[str, int]]:
    """``{"ttft_p90": 1500}`` → [("ttft", 90)]: each objective's metric and percentile."""
    return [(key.rsplit("_p", 1)[0], int(key.rsplit("_p", 1)[1])) for key in objective]


def _objective(data: Any) -> dict[str, float]:
    """``capacity_objective_ms``: ``<metric>_p<q>: limit`` (ms), metric one measured per
    request on every request (TTFT, E2E, queueing), 0 < q < 100, limit > 0."""
    example = "{ttft_p90: 1500, queueing_p90: 1000}"
    if not isinstance(data, Mapping):
        raise GateConfigError(f"gate.capacity_objective_ms={data!r}; use e.g. {example}")
    for key, value in data.items():
        metric, _, q = str(key).rpartition("_p")
        good_key = metric in CAPACITY_METRICS and q.isdigit() and 0 < int(q) < 100
        if not good_key or not _is_number(value) or value <= 0:
            raise GateConfigError(
                f"gate.capacity_objective_ms.{key}={value!r}; use <metric>_p<percentile>: "
                f"<limit in ms > 0>, metric one of {list(CAPACITY_METRICS)}, e.g. {example}"
            )
    return {str(k): float(v) for k, v in data.items()}


@dataclass(frozen=True)
class Check:
    """One criterion of one metric: the error, its interval, the tolerance and the outcome.
    ``unit`` is "rel" (a fraction of the real value) or "ms"; a one-sided check (an effect
    size, MAPE) has the tolerance band [0, limit]. The verdict is decided on ``interval`` widened
    by ``floor``; ``interval`` itself is the bootstrap's."""

    name: str
    verdict: Outcome
    value: float | None = None
    interval: Interval | None = None
    limit: float | None = None
    unit: str = "rel"
    two_sided: bool = True
    note: str = ""
    needed_requests: int | None = None
    # The real system's own error on this check (two real runs, same distance code), by
    # which the interval was widened before deciding; None when not measured.
    floor: float | None = None


@dataclass(frozen=True)
class MetricVerdict:
    """``counts`` is False for a metric that is not gated or not measured on both sides: it
    is shown, but takes no part in the pair's verdict."""

    metric: str
    verdict: Outcome
    checks: tuple[Check, ...] = ()
    note: str = ""
    counts: bool = True


def pair_verdict(verdicts: list[MetricVerdict]) -> Outcome:
    """The verdicts of the metrics that count, combined."""
    return combine([v.verdict for v in verdicts if v.counts])


def combine(verdicts: list[Outcome]) -> Outcome:
    """FAIL if anything failed; PASS only if everything passed; INCONCLUSIVE otherwise."""
    if FAIL in verdicts:
        return FAIL
    if verdicts and all(v == PASS for v in verdicts):
        return PASS
    return INCONCLUSIVE


def judge(
    distance: MetricDistance, gate: GateConfig, floors: Mapping[str, float] | None = None
) -> MetricVerdict:
    """The metric's checks. ``floors`` holds, per check name, the real system's own error on
    that check (two real runs compared by the same code): each check's interval is widened by
    it on both sides before it is decided. Noise flags play no part here: a run's flags are
    reported once beside it, and the intervals (and the floor) carry the uncertainty."""
    if distance.metric not in gate.metrics:
        note = "not gated (not in gate.metrics)"
        return MetricVerdict(distance.metric, INCONCLUSIVE, note=note, counts=False)
    if not distance.available:
        return MetricVerdict(distance.metric, INCONCLUSIVE, note=distance.note, counts=False)
    floors = floors or {}
    checks = [
        _with_floor(c, floors.get(c.name), distance.n_requests)
        for c in [*_percentile_checks(distance, gate), *_optional_checks(distance, gate)]
    ]
    if distance.n_requests < gate.min_requests:
        note = (
            f"n={distance.n_requests} requests < min_requests {gate.min_requests}: run a "
            f"workload of ≥ {gate.min_requests} requests (e.g. --gst-workloads steady60)"
        )
        checks = [replace(c, verdict=INCONCLUSIVE, note=note, needed_requests=None) for c in checks]
        return MetricVerdict(distance.metric, INCONCLUSIVE, tuple(checks), note)
    return MetricVerdict(distance.metric, combine([c.verdict for c in checks]), tuple(checks))


def _with_floor(check: Check, floor: float | None, n: int) -> Check:
    """``check`` decided on its interval widened by ``floor`` (None: no floor measured)."""
    if floor is None or not math.isfinite(floor) or check.limit is None:
        return check
    verdict, needed = decide(check.value, check.interval, check.limit, check.two_sided, n, floor)
    return replace(check, verdict=verdict, needed_requests=needed, floor=floor)


def decide(
    value: float | None,
    interval: Interval | None,
    limit: float,
    two_sided: bool,
    n: int,
    floor: float = 0.0,
) -> tuple[Outcome, int | None]:
    """The outcome of an error with its interval, widened by ``floor`` on both sides, against
    the band [−limit, limit] (two-sided) or [0, limit]; an edge on the limit is inside. Also
    the requests that would likely decide an inconclusive one (the interval narrows as 1/√n,
    the floor does not), None when more data cannot decide it."""
    if value is None or interval is None or not all(map(math.isfinite, interval)):
        return INCONCLUSIVE, None
    low_band = -limit if two_sided else -math.inf
    low, high = interval[0] - floor, interval[1] + floor
    if low_band <= low and high <= limit:
        return PASS, None
    if high < low_band or low > limit:
        return FAIL, None
    return INCONCLUSIVE, _needed(value, interval, low_band, limit, n, floor)


def _needed(
    value: float, interval: Interval, low_band: float, limit: float, n: int, floor: float
) -> int | None:
    low, high = interval
    if low_band <= value <= limit:  # inside: the side facing the nearer edge must shrink
        facing_high = limit - value <= value - low_band
        width, margin = (
            (high - value, limit - value) if facing_high else (value - low, value - low_band)
        )
    else:  # outside: the side facing the band must clear it
        above = value > limit
        width, margin = (value - low, value - limit) if above else (high - value, low_band - value)
    margin -= floor
    if margin <= 0 or width <= 0:
        return None
    return max(n + 1, math.ceil(n * (width / margin) ** 2))


def _percentile_checks(distance: MetricDistance, gate: GateConfig) -> list[Check]:
    limits, unit = gate.percentile_limits(distance.metric)
    absolute = unit == "ms"
    checks = []
    for key, limit in limits.items():
        error = distance.percentile(int(key[1:]))
        if error is None:
            continue
        value = error.abs_error_ms if absolute else error.rel_error
        interval = error.abs_interval if absolute else error.rel_interval
        checks.append(_check(key, value, interval, limit, distance.n_requests, unit))
    return checks


def _optional_checks(distance: MetricDistance, gate: GateConfig) -> list[Check]:
    found = []
    n = distance.n_requests
    if gate.is_absolute(distance.metric) and gate.wasserstein_abs_max_ms is not None:
        found.append(
            _check(
                "wasserstein",
                distance.wasserstein_ms,
                distance.wasserstein_ms_interval,
                gate.wasserstein_abs_max_ms,
                n,
                unit="ms",
                two_sided=False,
            )
        )
    elif not gate.is_absolute(distance.metric) and gate.wasserstein_rel_max is not None:
        found.append(
            _check(
                "wasserstein",
                distance.wasserstein_rel,
                distance.wasserstein_rel_interval,
                gate.wasserstein_rel_max,
                n,
                two_sided=False,
            )
        )
    if gate.is_absolute(distance.metric):  # relative means of values near 0 say nothing
        return found
    if gate.mean_rel_error is not None:
        found.append(
            _check(
                "mean", distance.mean_rel_error, distance.mean_rel_interval, gate.mean_rel_error, n
            )
        )
    if gate.mape_max is not None and distance.paired is not None:
        paired = distance.paired
        found.append(
            _check("mape", paired.mape, paired.mape_interval, gate.mape_max, n, two_sided=False)
        )
    return found


def _check(
    name: str,
    value: float | None,
    interval: Interval | None,
    limit: float,
    n: int,
    unit: str = "rel",
    two_sided: bool = True,
) -> Check:
    verdict, needed = decide(value, interval, limit, two_sided, n)
    return Check(name, verdict, value, interval, limit, unit, two_sided, needed_requests=needed)
