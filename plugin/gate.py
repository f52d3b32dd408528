"""Two-sided gates on the distances: pass, fail, or not judged when the samples cannot tell.

Thresholds come from ``configs/gate/<preset>.yaml`` (``--gst-set gate=strict``,
``--gst-set gate.percentile_rel_error.p50=0.2``) and per test from ``@pytest.mark.gst_gate``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from gst_compare import metrics
from gst_compare.distance import MetricDistance, min_samples

PASS, FAIL, NOT_JUDGED = "pass", "fail", "not judged"
PERCENTILE_KEYS: tuple[str, ...] = tuple(f"p{q}" for q in metrics.SUMMARY_PERCENTILES)
OPTIONAL_LIMITS: tuple[str, ...] = ("ks_pvalue_min", "mean_rel_error", "mape_max")
MARKER_KEYS: tuple[str, ...] = (
    *PERCENTILE_KEYS,
    *OPTIONAL_LIMITS,
    "abs_tolerance_ms",
    "ks_min_samples",
    "drift_rel_tolerance",
    "metrics",
)


class GateConfigError(ValueError):
    """A gate setting that is not usable; the message quotes it and says what is accepted."""


@dataclass(frozen=True)
class GateConfig:
    """Resolved thresholds; every relative error is judged two-sided as |sim − real| / real."""

    name: str = "default"
    metrics: tuple[str, ...] = metrics.METRICS
    percentile_rel_error: dict[str, float] = field(default_factory=dict)
    abs_tolerance_ms: float = 0.0
    ks_pvalue_min: float | None = None
    ks_min_samples: int = 30
    mean_rel_error: float | None = None
    mape_max: float | None = None
    percentile_confidence: float = 0.95
    drift_rel_tolerance: float = 0.0
    # Fail when a simulated artifact has no comparable baseline (the CI drift gate: a missing
    # or replaced baseline must not turn the gate into a no-op).
    drift_require_baseline: bool = False
    # Simulated variants judged and shown but never failing the session (e.g. stock Vidur,
    # whose known modelling gaps the report exists to show); drift is still enforced.
    advisory_variants: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise GateConfigError(f"unknown gate setting(s) {unknown}; accepted: {sorted(known)}")
        values = dict(data)
        values["metrics"] = _metrics(values.get("metrics", metrics.METRICS))
        values["percentile_rel_error"] = _percentiles(values.get("percentile_rel_error") or {})
        values["advisory_variants"] = _names(values.get("advisory_variants") or ())
        gate = cls(**values)
        gate.check()
        return gate

    def check(self) -> None:
        for name in ("abs_tolerance_ms", "drift_rel_tolerance", *OPTIONAL_LIMITS):
            _non_negative(name, getattr(self, name), optional=name in OPTIONAL_LIMITS)
        if not 0.5 < self.percentile_confidence < 1.0:
            raise GateConfigError(
                f"gate.percentile_confidence={self.percentile_confidence!r}; "
                "use a number in (0.5, 1)"
            )
        if not isinstance(self.ks_min_samples, int) or self.ks_min_samples < 2:
            raise GateConfigError(
                f"gate.ks_min_samples={self.ks_min_samples!r}; use an integer ≥ 2"
            )

    def with_overrides(self, overrides: dict[str, Any]) -> GateConfig:
        """Apply marker-style flat overrides (``p50=0.3``, ``ks_pvalue_min=None``)."""
        if not overrides:
            return self
        problems = marker_problems(overrides)
        if problems:
            raise GateConfigError("; ".join(problems))
        percentiles = dict(self.percentile_rel_error)
        percentiles.update({k: v for k, v in overrides.items() if k in PERCENTILE_KEYS})
        scalars = {k: v for k, v in overrides.items() if k not in PERCENTILE_KEYS}
        if "metrics" in scalars:
            scalars["metrics"] = _metrics(scalars["metrics"])
        gate = replace(self, percentile_rel_error=percentiles, **scalars)
        gate.check()
        return gate

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["metrics"] = list(self.metrics)
        out["advisory_variants"] = list(self.advisory_variants)
        return out

    def is_advisory(self, variant: str) -> bool:
        return variant in self.advisory_variants


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


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise GateConfigError(
            f"gate.advisory_variants={value!r}; use a list of variant names, e.g. [stock]"
        )
    return tuple(value)


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


def _percentiles(data: dict[str, Any]) -> dict[str, float]:
    for key, value in data.items():
        if key not in PERCENTILE_KEYS:
            raise GateConfigError(
                f"gate.percentile_rel_error.{key}: unknown percentile; "
                f"accepted: {list(PERCENTILE_KEYS)}"
            )
        _non_negative(f"percentile_rel_error.{key}", value, optional=True)
    return {k: float(v) for k, v in data.items() if v is not None}


@dataclass(frozen=True)
class Check:
    """One judged (or unjudgeable) criterion of one metric."""

    name: str
    verdict: str
    value: float | None = None
    limit: float | None = None
    note: str = ""


@dataclass(frozen=True)
class MetricVerdict:
    metric: str
    verdict: str
    checks: tuple[Check, ...] = ()
    note: str = ""


def combine(verdicts: list[str]) -> str:
    """Fail if anything failed; pass if something passed; otherwise nothing could be judged."""
    if FAIL in verdicts:
        return FAIL
    return PASS if PASS in verdicts else NOT_JUDGED


def judge(distance: MetricDistance, gate: GateConfig) -> MetricVerdict:
    if distance.metric not in gate.metrics:
        return MetricVerdict(distance.metric, NOT_JUDGED, note="not gated (not in gate.metrics)")
    if not distance.available:
        return MetricVerdict(distance.metric, NOT_JUDGED, note=distance.note)
    checks = [*_percentile_checks(distance, gate), *_optional_checks(distance, gate)]
    verdict = combine([c.verdict for c in checks])
    note = "" if verdict != NOT_JUDGED else "too few samples to judge any gate"
    return MetricVerdict(distance.metric, verdict, tuple(checks), note)


def _percentile_checks(distance: MetricDistance, gate: GateConfig) -> list[Check]:
    checks = []
    for key, limit in gate.percentile_rel_error.items():
        error = distance.percentile(int(key[1:]))
        if error is None or not error.enough or error.rel_error is None:
            needed = min_samples(int(key[1:]), gate.percentile_confidence)
            note = f"n={min(distance.n_real, distance.n_sim)} < {needed}"
            checks.append(Check(key, NOT_JUDGED, limit=limit, note=note))
            continue
        within = (
            abs(error.sim - error.real) <= gate.abs_tolerance_ms or abs(error.rel_error) <= limit
        )
        checks.append(Check(key, PASS if within else FAIL, error.rel_error, limit))
    return checks


def _optional_checks(distance: MetricDistance, gate: GateConfig) -> list[Check]:
    checks = []
    smallest = min(distance.n_real, distance.n_sim)
    if gate.ks_pvalue_min is not None:
        checks.append(_ks_check(distance, gate, smallest))
    if gate.mean_rel_error is not None:
        checks.append(
            _error_check("mean", distance.mean_rel_error, gate.mean_rel_error, smallest, gate)
        )
    if gate.mape_max is not None:
        paired = distance.paired
        checks.append(
            _error_check(
                "mape", paired and paired.mape, gate.mape_max, paired.n if paired else 0, gate
            )
        )
    return checks


def _ks_check(distance: MetricDistance, gate: GateConfig, n: int) -> Check:
    limit, pvalue = gate.ks_pvalue_min, distance.ks_pvalue
    if n < gate.ks_min_samples:
        note = f"n={n} < ks_min_samples {gate.ks_min_samples}"
        return Check("ks_p", NOT_JUDGED, limit=limit, note=note)
    passed = pvalue is not None and limit is not None and pvalue >= limit
    return Check("ks_p", PASS if passed else FAIL, pvalue, limit)


def _error_check(name: str, value: float | None, limit: float, n: int, gate: GateConfig) -> Check:
    """Mean and MAPE need as many samples as the median does."""
    needed = min_samples(50, gate.percentile_confidence)
    if value is None or n < needed:
        return Check(name, NOT_JUDGED, limit=limit, note=f"n={n} < {needed}")
    return Check(name, PASS if abs(value) <= limit else FAIL, value, limit)
