"""The comparison report as data, and the pure helpers its formatters share.

Nothing here computes a distance, decides a gate or writes a file; the formatters live apart
(:mod:`gst_compare.report_terminal`, :mod:`gst_compare.report_markdown`,
:mod:`gst_compare.report_json`). What every formatter shows first is here: the headline, one
sentence with the verdict, the primary variant's worst error, the baseline's error on the same
check and the floor of that check.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gst_compare.baseline import DriftResult
from gst_compare.distance import Interval, MetricDistance
from gst_compare.floor import Floor
from gst_compare.gate import (
    FAIL,
    INCONCLUSIVE,
    PASS,
    PERCENTILE_KEYS,
    Check,
    GateConfig,
    MetricVerdict,
    Outcome,
)
from gst_compare.sweep import SweepResult

COLOURS = {PASS: "green", FAIL: "red", INCONCLUSIVE: "yellow"}
METRIC_NAMES = {"ttft": "TTFT", "tpot": "TPOT", "e2e": "E2E", "queueing": "queueing", "itl": "ITL"}
HEADLINE_MAX_CHARS = 200
CALIBRATED_LABEL = "calibrated: given this run's speed"


@dataclass(frozen=True)
class SideInfo:
    kind: str
    source: str
    test_id: str
    run_id: str
    path: str
    variant: str
    device_name: str
    n_requests: int
    git_commit: str
    noise_flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Component:
    """One additive part of the mean E2E error: sim − real in ms and as a share of real E2E."""

    name: str
    real_ms: float
    sim_ms: float

    @property
    def error_ms(self) -> float:
        return self.sim_ms - self.real_ms


@dataclass(frozen=True)
class MedianView:
    """The sorted values around a metric's median on both sides (ms; two below and two above it
    when n is even, the median second when n is odd): read beside the per-request error of
    the same requests, they show when a p50 error comes from where the median rank fell (one
    side's values jump there) rather than from the simulator's per-request error."""

    metric: str
    real_ms: tuple[float, ...]
    sim_ms: tuple[float, ...]


@dataclass
class PairResult:
    """One judged pair. ``case`` is the pair without its simulated variant (workload, model,
    hardware, backend): the variants of one case share a real run and a floor."""

    label: str
    key: dict[str, str]
    real: SideInfo
    sim: SideInfo
    gate: dict[str, Any]
    verdict: Outcome
    distances: list[MetricDistance] = field(default_factory=list)
    verdicts: list[MetricVerdict] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    advisory: bool = False
    workload: str = ""
    e2e_parts: list[Component] = field(default_factory=list)
    medians: list[MedianView] = field(default_factory=list)
    floor: Floor = field(default_factory=Floor)
    case: str = ""

    @property
    def variant(self) -> str:
        return self.sim.variant

    @property
    def case_label(self) -> str:
        return self.case or self.label

    def row(self, metric: str) -> MetricVerdict | None:
        return next((v for v in self.verdicts if v.metric == metric), None)


@dataclass(frozen=True)
class Finding:
    """A refused or unpaired comparison: what, why, and the tests involved."""

    label: str
    message: str
    test_ids: tuple[str, ...] = ()


@dataclass
class Section:
    """A Markdown section an extension adds (``pytest_gst_adjust_report``)."""

    title: str
    lines: list[str]


@dataclass(frozen=True)
class Roles:
    """What each simulated variant is for (``configs/gate``): the primary leads the headline
    and the table, the baseline is set beside it, calibrated ones are a labelled column."""

    primary: str = ""
    baseline: str = ""
    calibrated: tuple[str, ...] = ()
    advisory: tuple[str, ...] = ()

    @classmethod
    def of(cls, gate: GateConfig) -> Roles:
        return cls(
            gate.primary_variant,
            gate.baseline_variant,
            gate.calibrated_variants,
            gate.advisory_variants,
        )


@dataclass
class ComparisonReport:
    run_id: str
    verdict: Outcome = INCONCLUSIVE
    pairs: list[PairResult] = field(default_factory=list)
    refused: list[Finding] = field(default_factory=list)
    unpaired: list[Finding] = field(default_factory=list)
    drift: list[DriftResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    report_dir: str = ""
    rerun_command: str = ""
    accept_command: str = ""
    roles: Roles = field(default_factory=Roles)
    sweeps: list[SweepResult] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.verdict == FAIL

    def counts(self) -> dict[str, int]:
        """Verdicts of the enforced pairs; advisory pairs are counted apart (headline)."""
        found = {str(o): 0 for o in Outcome}
        for pair in self.pairs:
            if not pair.advisory:
                found[str(pair.verdict)] += 1
        return found


# --- numbers as text -------------------------------------------------------------------------


def pct(value: float | None) -> str:
    if value is None:
        return "–"
    if not math.isfinite(value):
        return "n/a" if math.isnan(value) else ("+∞" if value > 0 else "−∞")
    return f"{value * 100:+.1f} %"


def duration(value_ms: float | None, signed: bool = False) -> str:
    """Milliseconds or seconds, whichever reads better; never scientific notation."""
    if value_ms is None or not math.isfinite(value_ms):
        return "–"
    sign = "+" if signed else ""
    if abs(value_ms) >= 1000:
        return f"{value_ms / 1000:{sign}.2f} s"
    if abs(value_ms) >= 10:
        return f"{value_ms:{sign}.0f} ms"
    return f"{value_ms:{sign}.2f} ms"


def value_text(value: float | None, unit: str) -> str:
    return duration(value, signed=True) if unit == "ms" else pct(value)


def magnitude_text(value: float | None, unit: str) -> str:
    """An unsigned size (a floor, a limit) in the check's unit."""
    if value is None or not math.isfinite(value):
        return "–"
    return duration(value) if unit == "ms" else f"{value * 100:.1f} %"


def interval_text(interval: Interval | None, unit: str) -> str:
    if interval is None:
        return "[no interval]"
    return f"[{value_text(interval[0], unit)}, {value_text(interval[1], unit)}]"


def compact_interval(interval: Interval | None, unit: str, value: float | None = None) -> str:
    """``[-6.0, -2.2]``: the bounds without their unit, in the unit ``value`` is shown in
    (percent; ms or s as :func:`duration` picks for ``value``)."""
    if interval is None or not all(map(math.isfinite, interval)):
        return "[no interval]"
    if unit != "ms":
        return "[" + ", ".join(f"{v * 100:+.1f}" for v in interval) + "]"
    size = abs(value) if value is not None and math.isfinite(value) else 10.0
    if size >= 1000:
        return "[" + ", ".join(f"{v / 1000:+.2f}" for v in interval) + "]"
    digits = 0 if size >= 10 else 2
    return "[" + ", ".join(f"{v:+.{digits}f}" for v in interval) + "]"


def limit_text(check: Check) -> str:
    limit = duration(check.limit) if check.unit == "ms" else f"{check.limit * 100:.0f} %"
    return f"±{limit}" if check.two_sided else f"≤ {limit}"


def check_text(check: Check) -> str:
    """``p50 +12.1 % [+9.0 %, +15.2 %] floor 2.0 % (±25 %)``, then what would decide an
    inconclusive one."""
    floor = f" floor {magnitude_text(check.floor, check.unit)}" if check.floor is not None else ""
    text = (
        f"{check.name} {value_text(check.value, check.unit)} "
        f"{interval_text(check.interval, check.unit)}{floor} ({limit_text(check)})"
    )
    if check.verdict != INCONCLUSIVE or check.note:
        return text
    return f"{text}, undecided: {undecided_text(check)}"


def undecided_text(check: Check) -> str:
    """Why an inconclusive check is undecided, in a few words."""
    if check.note:
        return check.note.split(":")[0]
    if check.needed_requests:
        return f"~{check.needed_requests} requests would decide it"
    if check.floor:
        return "the floor reaches the tolerance"
    return "the error sits on the tolerance"


def verdict_word(verdict: MetricVerdict) -> str:
    return str(verdict.verdict).upper() if verdict.counts else "n/a"


def verdict_text(verdict: MetricVerdict) -> str:
    if verdict.note:
        return verdict.note
    shown = [c for c in verdict.checks if c.verdict == FAIL] or list(verdict.checks)
    return "; ".join(check_text(c) for c in shown)


def metric_name(metric: str) -> str:
    return METRIC_NAMES.get(metric, metric)


# --- variants and cases ------------------------------------------------------------------------


def ordered_pairs(report: ComparisonReport) -> list[PairResult]:
    return sorted(report.pairs, key=lambda p: (p.advisory, p.label))


def lead_variant(report: ComparisonReport) -> str:
    """The primary variant when this session judged it, else the first enforced one."""
    variants = [p.variant for p in ordered_pairs(report)]
    if report.roles.primary in variants:
        return report.roles.primary
    return variants[0] if variants else ""


def variant_order(report: ComparisonReport) -> list[str]:
    """The variants this session judged, as the table's columns: the lead, the baseline, the
    other advisory ones, any others, then the calibrated ones (a missing one has no column)."""
    present = {p.variant for p in report.pairs}
    roles = report.roles
    wanted = [lead_variant(report), roles.baseline, *roles.advisory, *sorted(present)]
    ordered = [v for v in dict.fromkeys(wanted) if v in present and v not in roles.calibrated]
    return ordered + [v for v in roles.calibrated if v in present]


def variant_title(report: ComparisonReport, variant: str) -> str:
    return CALIBRATED_LABEL if variant in report.roles.calibrated else variant


def cases(report: ComparisonReport) -> dict[str, dict[str, PairResult]]:
    """Pairs by case (sorted), then by variant."""
    found: dict[str, dict[str, PairResult]] = {}
    for pair in sorted(report.pairs, key=lambda p: p.label):
        found.setdefault(pair.case_label, {})[pair.variant] = pair
    return found


def same_check(pair: PairResult | None, metric: str, name: str) -> Check | None:
    row = pair.row(metric) if pair else None
    return next((c for c in row.checks if c.name == name), None) if row else None


# --- the headline ------------------------------------------------------------------------------


def worst(report: ComparisonReport) -> tuple[PairResult, MetricVerdict, Check] | None:
    """The lead variant's percentile check furthest outside (or least inside) its tolerance,
    one whose outcome is the session's first; any pair's when the lead has none."""
    lead = lead_variant(report)
    candidates = [
        (pair, row, check)
        for pair in report.pairs
        for row in pair.verdicts
        if row.counts
        for check in row.checks
        if check.name in PERCENTILE_KEYS
        and check.value is not None
        and check.limit
        and math.isfinite(check.value)
    ]
    if not candidates:
        return None
    return max(
        candidates,
        key=lambda c: (
            c[0].variant == lead,
            not c[0].advisory,
            c[2].verdict == report.verdict,
            abs(c[2].value) / c[2].limit,
        ),
    )


def headline_sentence(report: ComparisonReport) -> str:
    """One sentence of at most :data:`HEADLINE_MAX_CHARS`: the verdict, the lead variant's
    worst error with its interval and pair, the baseline's error on the same check and pair,
    and the floor of that check (or what failed outside the pairs)."""
    verdict = str(report.verdict).upper()
    other = failure_outside_pairs(report)
    found = None if other else worst(report)
    if found is None:
        return fit(f"{verdict} — {other or summary_line(report)}.")
    pair, row, check = found
    interval = compact_interval(check.interval, check.unit, check.value)
    error = f"{value_text(check.value, check.unit)} {interval}"
    parts = [
        f"{verdict} — sim={pair.variant} worst error: {metric_name(row.metric)} {check.name} "
        f"{error} ({_where(pair)})"
    ]
    if check.verdict == INCONCLUSIVE:
        parts.append(f"undecided: {undecided_text(check)}")
    baseline = report.roles.baseline
    if baseline and baseline != pair.variant:
        base = same_check(cases(report)[pair.case_label].get(baseline), row.metric, check.name)
        if base is not None:
            parts.append(f"sim={baseline} {value_text(base.value, base.unit)}")
    parts.append(floor_words(check, pair.floor))
    return fit("; ".join(parts) + ".")


def floor_words(check: Check, floor: Floor) -> str:
    if check.floor is not None:
        return f"floor {magnitude_text(check.floor, check.unit)}"
    return "floor n/a" if floor.measured else "floor not measured"


def fit(text: str) -> str:
    """``text`` cut to the headline's length (an ellipsis says it was cut)."""
    if len(text) <= HEADLINE_MAX_CHARS:
        return text
    return text[: HEADLINE_MAX_CHARS - 1].rstrip() + "…"


def _where(pair: PairResult) -> str:
    return f"{pair.workload or '?'}, {pair.key.get('backend', '?')}"


def failure_outside_pairs(report: ComparisonReport) -> str:
    """What failed the session when no enforced pair did (drift, refusals, errors), or ""."""
    if report.verdict != FAIL or any(p.verdict == FAIL and not p.advisory for p in report.pairs):
        return ""
    drifted = [d for d in report.drift if d.failed]
    if drifted:
        first = drifted[0]
        moved = f": {first.shifts[0]}" if first.shifts else ""
        return (
            f"{len(drifted)} simulated artifact(s) left their baseline, e.g. {first.label}{moved}"
        )
    if report.refused:
        return f"{len(report.refused)} pair(s) refused, e.g. {report.refused[0].message}"
    missed = [(s, v) for s in report.sweeps for v in s.variants if v.verdict == FAIL]
    missed = [(s, v) for s, v in missed if not v.advisory]
    if missed:
        sweep, found = missed[0]
        return (
            f"sim={found.variant} capacity {found.capacity} against real {sweep.real} "
            f"({sweep.label}), outside ±{sweep.tolerance * 100:.0f} %"
        )
    return report.errors[0] if report.errors else ""


def summary_line(report: ComparisonReport) -> str:
    counts = report.counts()
    parts = [
        f"{len(report.pairs)} pair(s): {counts['pass']} pass, {counts['fail']} fail, "
        f"{counts['inconclusive']} inconclusive"
    ]
    advisory = [p.verdict for p in report.pairs if p.advisory]
    if advisory:
        tally = ", ".join(f"{advisory.count(o)} {o}" for o in Outcome if advisory.count(o))
        parts.append(f"{len(advisory)} advisory ({tally})")
    found = cases(report)
    if found:
        measured = sum(any(p.floor.measured for p in c.values()) for c in found.values())
        parts.append(f"floor measured for {measured} of {len(found)} case(s)")
    if report.sweeps:
        verdicts = [v.verdict for s in report.sweeps for v in s.variants if not v.advisory]
        tally = ", ".join(f"{verdicts.count(o)} {o}" for o in Outcome if verdicts.count(o))
        parts.append(f"{len(report.sweeps)} capacity sweep(s): {tally or 'advisory only'}")
    if report.refused:
        parts.append(f"{len(report.refused)} refused")
    if report.unpaired:
        parts.append(f"{len(report.unpaired)} unpaired")
    if report.drift:
        statuses = [d.status for d in report.drift]
        parts.append(
            "drift: " + ", ".join(f"{statuses.count(s)} {s}" for s in dict.fromkeys(statuses))
        )
    if report.errors:
        parts.append(f"{len(report.errors)} error(s)")
    return "; ".join(parts)


# --- runs, floors and next steps -----------------------------------------------------------


@dataclass(frozen=True)
class RunNoise:
    """One run of one kind, once, with the noise its artifacts were flagged with."""

    run_id: str
    kind: str
    artifacts: int
    flags: tuple[str, ...]


def runs(report: ComparisonReport) -> list[RunNoise]:
    """Every run the pairs came from, once per run id and kind; each distinct flag once, with
    the artifact it came from (or how many artifacts share it)."""
    sides: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {}
    for pair in ordered_pairs(report):
        for side, where in ((pair.real, pair.case_label), (pair.sim, pair.label)):
            found = sides.setdefault((side.run_id, side.kind), {})
            found[side.path or where] = tuple((where, flag) for flag in side.noise_flags)
    return [
        RunNoise(run_id, kind, len(found), _said_once(found.values()))
        for (run_id, kind), found in sides.items()
    ]


def _said_once(flagged: Iterable[tuple[tuple[str, str], ...]]) -> tuple[str, ...]:
    where_by_flag: dict[str, list[str]] = {}
    for flags in flagged:
        for where, flag in flags:
            where_by_flag.setdefault(flag, []).append(where)
    return tuple(
        f"{wheres[0]}: {flag}" if len(wheres) == 1 else f"{flag} ({len(wheres)} artifacts)"
        for flag, wheres in where_by_flag.items()
    )


def floor_commands(report: ComparisonReport) -> list[str]:
    """The commands that would measure the floors this session lacked, once each."""
    found = (p.floor.command for p in ordered_pairs(report) if not p.floor.measured)
    return [c for c in dict.fromkeys(found) if c]


def next_steps(report: ComparisonReport) -> list[str]:
    steps = []
    if report.report_dir:
        steps.append(f"report: {shown_path(Path(report.report_dir) / 'report.md')}")
    if report.rerun_command:
        steps.append(f"rerun:  {report.rerun_command}")
    if report.accept_command:
        steps.append(f"accept: {report.accept_command}")
    return steps


def shown_path(path: Path | str) -> str:
    """A path as a user types it from here: relative to the current folder when below it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
