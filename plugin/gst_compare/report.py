"""The comparison report: a dataclass first, then formatters (terminal lines, Markdown, JSON).

Nothing here computes a distance or decides a gate; it shows what was decided, worst first:
a headline sentence, the figures, the verdict table, where the error comes from, then details.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gst_compare.artifacts import write_atomic
from gst_compare.baseline import DriftResult
from gst_compare.distance import Interval, MetricDistance
from gst_compare.gate import FAIL, INCONCLUSIVE, PASS, Check, MetricVerdict, Outcome

REPORT_FORMAT = "gpu-simulate-test/comparison"
REPORT_SCHEMA_VERSION = 3  # 3: percentiles are Harrell–Davis estimates
PERCENTILE_ESTIMATOR = "harrell-davis"  # gst_compare.metrics.percentile
COLOURS = {PASS: "green", FAIL: "red", INCONCLUSIVE: "yellow"}
METRIC_NAMES = {"ttft": "TTFT", "tpot": "TPOT", "e2e": "E2E", "queueing": "queueing", "itl": "ITL"}


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

    @property
    def variant(self) -> str:
        return self.sim.variant


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


def interval_text(interval: Interval | None, unit: str) -> str:
    if interval is None:
        return "[no interval]"
    return f"[{value_text(interval[0], unit)}, {value_text(interval[1], unit)}]"


def limit_text(check: Check) -> str:
    limit = duration(check.limit) if check.unit == "ms" else f"{check.limit * 100:.0f} %"
    return f"±{limit}" if check.two_sided else f"≤ {limit}"


def check_text(check: Check) -> str:
    """``p50 +12.1 % [+9.0 %, +15.2 %] (±25 %)``, then what would decide an inconclusive one."""
    text = (
        f"{check.name} {value_text(check.value, check.unit)} "
        f"{interval_text(check.interval, check.unit)} ({limit_text(check)})"
    )
    if check.verdict != INCONCLUSIVE or check.note:
        return text
    if check.needed_requests:
        return f"{text}, undecided: ~{check.needed_requests} requests would decide it"
    return f"{text}, undecided: the error sits on the tolerance"


def verdict_word(verdict: MetricVerdict) -> str:
    return str(verdict.verdict).upper() if verdict.counts else "n/a"


def verdict_text(verdict: MetricVerdict) -> str:
    if verdict.note:
        return verdict.note
    shown = [c for c in verdict.checks if c.verdict == FAIL] or list(verdict.checks)
    return "; ".join(check_text(c) for c in shown)


def direction(value: float | None) -> str:
    if value is None or not math.isfinite(value) or value == 0:
        return ""
    return "too slow" if value > 0 else "too fast"


# --- the headline -----------------------------------------------------------------------------


def worst(report: ComparisonReport) -> tuple[PairResult, MetricVerdict, Check] | None:
    """The check furthest outside (or least inside) its tolerance, enforced pairs first."""
    candidates = [
        (pair, verdict, check)
        for pair in report.pairs
        for verdict in pair.verdicts
        for check in verdict.checks
        if check.value is not None and check.limit and math.isfinite(check.value)
    ]
    if not candidates:
        return None
    return max(
        candidates,
        key=lambda c: (
            not c[0].advisory,
            c[2].verdict == report.verdict,
            c[2].two_sided,  # a signed error says which way the simulator is wrong
            abs(c[2].value) / c[2].limit,
        ),
    )


def headline_sentence(report: ComparisonReport) -> str:
    """The verdict and one sentence: the worst error, its sign and its variant when a pair
    failed or all passed; why not when undecided; what failed when no pair did."""
    verdict = str(report.verdict).upper()
    other = _failure_outside_pairs(report)
    if other:
        return f"{verdict}: {other}"
    if report.verdict == INCONCLUSIVE:
        return f"{verdict}: {_undecided(report) or summary_line(report)}"
    found = worst(report)
    if found is None or found[0].advisory:
        return f"{verdict}: {summary_line(report)}"
    pair, verdict_row, check = found
    error = f"{value_text(check.value, check.unit)} {interval_text(check.interval, check.unit)}"
    signed = check.two_sided and direction(check.value)
    slow = f" ({direction(check.value)})" if signed else ""
    what = f"{METRIC_NAMES.get(verdict_row.metric, verdict_row.metric)} {check.name} {error}{slow}"
    where = _where(pair)
    if report.verdict == PASS:
        return (
            f"{verdict}: sim={pair.variant} is within tolerance on every judged metric; "
            f"largest error {what} {where} ({limit_text(check)})"
        )
    return f"{verdict}: sim={pair.variant}: {what} {where}, outside {limit_text(check)}"


def _where(pair: PairResult) -> str:
    return f"on {pair.key.get('backend', '?')}, {pair.workload or 'workload ?'}"


def _undecided(report: ComparisonReport) -> str:
    for pair in _ordered_pairs(report):
        if pair.advisory or pair.verdict != INCONCLUSIVE:
            continue
        for row in pair.verdicts:
            if row.counts and row.verdict == INCONCLUSIVE:
                reason = row.note or next(
                    (check_text(c) for c in row.checks if c.verdict == INCONCLUSIVE), ""
                )
                metric = METRIC_NAMES.get(row.metric, row.metric)
                return f"sim={pair.variant} {_where(pair)} is undecided: {metric} {reason}"
    return ""


def _failure_outside_pairs(report: ComparisonReport) -> str:
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


# --- terminal ----------------------------------------------------------------------------------


def terminal_lines(report: ComparisonReport) -> list[tuple[str, str | None]]:
    """(text, colour) lines for the terminal writer: headline, then one row per pair and
    metric, drift, errors, and the next steps."""
    colour = COLOURS.get(report.verdict)
    lines: list[tuple[str, str | None]] = [
        (headline_sentence(report), colour),
        (summary_line(report), None),
    ]
    for pair in report.pairs:
        advisory = " (advisory: shown, never fails the session)" if pair.advisory else ""
        lines.append((f"{pair.label}  [gate {pair.gate.get('name', '?')}]{advisory}", None))
        for verdict in pair.verdicts:
            row = f"  {verdict.metric:<9} {verdict_word(verdict):<12} {verdict_text(verdict)}"
            lines.append((row, COLOURS[verdict.verdict] if verdict.counts else None))
    lines += [(f"REFUSED {f.label}: {f.message}", "red") for f in report.refused]
    lines += [(f"unpaired {f.label}: {f.message}", "yellow") for f in report.unpaired]
    lines += [(drift_line(d), drift_colour(d)) for d in report.drift]
    lines += [(f"error: {e}", "red") for e in report.errors]
    lines += [(f"note: {n}", None) for n in report.notes]
    lines += [(line, None) for line in next_steps(report)]
    return lines


def drift_line(drift: DriftResult) -> str:
    text = f"drift {drift.label}: {str(drift.status).upper()} (baseline {drift.baseline})"
    if drift.shifts:
        text += ": " + "; ".join(drift.shifts)
    if drift.failed:
        text += f"; {drift.n_differences} request difference(s): " + "; ".join(drift.differences)
    elif drift.differences:
        text += ": " + "; ".join(drift.differences)
    return text


def failure_message(result: PairResult) -> str:
    """What a fidelity item says when it fails or is undecided: the pair, then each failed (or
    undecided) check on one line."""
    wanted = FAIL if result.verdict == FAIL else INCONCLUSIVE
    lines = [f"{result.label}: {str(result.verdict).upper()}"]
    for verdict in result.verdicts:
        if verdict.verdict != wanted or not verdict.counts:
            continue
        name = METRIC_NAMES.get(verdict.metric, verdict.metric)
        shown = [c for c in verdict.checks if c.verdict == wanted and not c.note]
        texts = [check_text(c) for c in shown] or [verdict.note]
        lines += [f"  {name} {text}" for text in texts]
    return "\n".join(lines)


def drift_colour(drift: DriftResult) -> str:
    if drift.failed:
        return "red"
    return "green" if drift.status.is_judged else "yellow"


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


# --- Markdown ----------------------------------------------------------------------------------


def to_markdown(report: ComparisonReport) -> str:
    lines = [f"# {headline_sentence(report)}", "", f"{summary_line(report)}.", ""]
    lines += _figures(report) + _verdict_table(report) + _decomposition(report)
    lines += _medians(report)
    for section in report.sections:
        lines += ["", f"## {section.title}", "", *section.lines]
    lines += _findings(report) + _drift_section(report) + _noise_section(report)
    for pair in report.pairs:
        lines += _pair_section(pair)
    lines += ["", "## How to go on", ""] + [f"- {step}" for step in next_steps(report)]
    lines += [
        "",
        "## Provenance",
        "",
        "```json",
        json.dumps(_clean(report.provenance), indent=1, sort_keys=True),
        "```",
        "",
    ]
    return "\n".join(lines)


def _table(header: tuple[str, ...], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return out


def _ordered_pairs(report: ComparisonReport) -> list[PairResult]:
    return sorted(report.pairs, key=lambda p: (p.advisory, p.label))


def _figures(report: ComparisonReport) -> list[str]:
    enforced = [p for p in _ordered_pairs(report) if not p.advisory] or _ordered_pairs(report)
    shown = [(p, name) for p in enforced for name in p.plots if ".cdf." in name]
    if not shown:
        return []
    lines = ["## Figures", ""]
    for pair, name in shown:
        lines += [
            f"**{pair.label}**{' (advisory)' if pair.advisory else ''}",
            "",
            f"![{pair.label}]({name})",
            "",
        ]
    return lines


def _check_cell(verdict: MetricVerdict, name: str) -> str:
    check = next((c for c in verdict.checks if c.name == name), None)
    if check is None:
        return "–"
    return f"{value_text(check.value, check.unit)} {interval_text(check.interval, check.unit)}"


def _verdict_table(report: ComparisonReport) -> list[str]:
    rows = [
        [
            p.label + (" (advisory)" if p.advisory else ""),
            METRIC_NAMES.get(v.metric, v.metric),
            verdict_word(v),
            _check_cell(v, "p50"),
            _check_cell(v, "p90"),
            _check_cell(v, "wasserstein"),
            v.note or ("; ".join(check_text(c) for c in v.checks if c.verdict != PASS) or "–"),
        ]
        for p in _ordered_pairs(report)
        for v in p.verdicts
    ]
    if not rows:
        return ["", "No pair was judged in this session."]
    header = (
        "pair",
        "metric",
        "verdict",
        "p50 error [CI]",
        "p90 error [CI]",
        "W1 [CI] (rel. to real p50; ms for queueing)",
        "why",
    )
    return ["## Verdict", "", *_table(header, rows)]


def _part_text(part: Component, real_e2e_ms: float) -> str:
    share = pct(part.error_ms / real_e2e_ms) if real_e2e_ms else "–"
    return f"{duration(part.error_ms, signed=True)} ({share})"


def _decomposition(report: ComparisonReport) -> list[str]:
    rows = []
    for pair in _ordered_pairs(report):
        parts = {c.name: c for c in pair.e2e_parts}
        if "e2e" not in parts:
            continue
        real_e2e = parts["e2e"].real_ms
        names = ("e2e", "queueing", "prefill", "decode")
        rows.append([pair.label, *[_part_text(parts[n], real_e2e) for n in names if n in parts]])
    if not rows:
        return []
    return [
        "",
        "## Where the error comes from",
        "",
        "Mean E2E error split into its additive parts (sim − real, and as a share of the real "
        "mean E2E): waiting to be scheduled, the prefill up to the first token, and decoding "
        "the rest.",
        "",
        *_table(("pair", "E2E", "queueing", "prefill", "decode"), rows),
    ]


# A p50 error this many points away from the per-request error gets a note in the medians table.
MEDIAN_GAP_NOTE = 0.02


def _medians(report: ComparisonReport) -> list[str]:
    rows = []
    for pair in _ordered_pairs(report):
        distances = {d.metric: d for d in pair.distances}
        for view in pair.medians:
            found = distances.get(view.metric)
            p50 = found.percentile(50) if found else None
            paired = found.paired if found else None
            if p50 is None or paired is None:
                continue
            apart = p50.rel_error - paired.bias
            note = f"{abs(apart) * 100:.1f} points apart" if abs(apart) > MEDIAN_GAP_NOTE else ""
            rows.append(
                [
                    pair.label,
                    METRIC_NAMES.get(view.metric, view.metric),
                    pct(p50.rel_error),
                    pct(paired.bias),
                    ", ".join(duration(v) for v in view.real_ms),
                    ", ".join(duration(v) for v in view.sim_ms),
                    note,
                ]
            )
    if not rows:
        return []
    header = (
        "pair",
        "metric",
        "p50 error",
        "per request (median)",
        "real around the median",
        "sim around the median",
        "note",
    )
    return [
        "",
        "## Medians and per-request errors",
        "",
        "The p50 error compares the two medians (Harrell–Davis: the ranks around the middle "
        "weighed together); the per-request error is the median over the requests both sides "
        "ran of (sim − real) / real, the same request paired. Where they lie "
        f"more than {MEDIAN_GAP_NOTE * 100:.0f} points apart, the two sides' values are shaped "
        "differently around the middle (a queue that some requests waited in on one side, "
        "prompt lengths whose costs step more on one side): the per-request error is the "
        "simulator's error for the median request, the p50 error adds how the distribution's "
        "middle moved. The four sorted values around each median are shown.",
        "",
        *_table(header, rows),
    ]


def _findings(report: ComparisonReport) -> list[str]:
    lines: list[str] = []
    for title, findings in (
        ("Refused pairs", report.refused),
        ("Unpaired artifacts", report.unpaired),
    ):
        if findings:
            lines += ["", f"## {title}", ""]
            lines += [
                f"- **{f.label}**: {f.message} (tests: {', '.join(f.test_ids) or '–'})"
                for f in findings
            ]
    if report.errors or report.notes:
        lines += ["", "## Errors and notes", ""] + [f"- error: {e}" for e in report.errors]
        lines += [f"- note: {n}" for n in report.notes]
    return lines


def _drift_section(report: ComparisonReport) -> list[str]:
    if not report.drift:
        return []
    rows = [
        [d.label, str(d.status).upper(), f"`{d.baseline}`", "; ".join(d.differences) or "–"]
        for d in report.drift
    ]
    return [
        "",
        "## Drift against baselines",
        "",
        *_table(("artifact", "status", "baseline", "differences"), rows),
    ]


def _noise_section(report: ComparisonReport) -> list[str]:
    sides = {}
    for pair in report.pairs:
        for side in (pair.real, pair.sim):
            sides[(side.kind, side.test_id, side.run_id)] = side
    rows = [
        [s.kind, f"`{s.test_id or '–'}`", s.run_id, "; ".join(s.noise_flags) or "none seen"]
        for s in sides.values()
    ]
    if not rows:
        return []
    return [
        "",
        "## Noise seen during the runs",
        "",
        *_table(("side", "test", "run", "flags"), rows),
    ]


DETAIL_COLUMNS = (
    "metric",
    "verdict",
    "n requests",
    "p50 real",
    "p50 sim",
    "p90 real",
    "p90 sim",
    "mean error [CI]",
    "paired MAPE [CI]",
    "KS D (p)",
    "AD (p)",
    "checks",
)


def _pair_section(pair: PairResult) -> list[str]:
    verdicts = {v.metric: v for v in pair.verdicts}
    rows = [_metric_row(d, verdicts[d.metric]) for d in pair.distances]
    advisory = " (advisory: never fails the session)" if pair.advisory else ""
    lines = ["", f"## {pair.label}: {str(pair.verdict).upper()}{advisory}", ""]
    for side in (pair.real, pair.sim):
        lines.append(
            f"- {side.kind}: `{side.test_id or '–'}` from the {side.source} (run `{side.run_id}`, "
            f"{side.n_requests} requests, device {side.device_name}, variant {side.variant})"
        )
    lines += [
        f"- gate `{pair.gate.get('name')}`: `{json.dumps(_clean(pair.gate), sort_keys=True)}`",
        "- KS and Anderson–Darling p-values are information, not gates: with many requests "
        "they flag differences too small to matter, with few they flag nothing.",
        "",
    ]
    lines += _table(DETAIL_COLUMNS, rows)
    lines += ["", *[f"![{Path(p).stem}]({Path(p).name})" for p in pair.plots]]
    return lines


def _metric_row(d: MetricDistance, verdict: MetricVerdict) -> list[str]:
    head = [METRIC_NAMES.get(d.metric, d.metric), verdict_word(verdict)]
    if not d.available:
        return [*head, "0", *["–"] * (len(DETAIL_COLUMNS) - 4), d.note]
    p50, p90 = d.percentile(50), d.percentile(90)
    ad = d.anderson
    ad_text = "–" if ad is None or ad.statistic is None else f"{ad.statistic:.2f} ({ad.pvalue:.3f})"
    paired = d.paired
    return [
        *head,
        str(d.n_requests),
        duration(p50.real if p50 else None),
        duration(p50.sim if p50 else None),
        duration(p90.real if p90 else None),
        duration(p90.sim if p90 else None),
        f"{pct(d.mean_rel_error)} {interval_text(d.mean_rel_interval, 'rel')}",
        f"{paired.mape * 100:.1f} % {interval_text(paired.mape_interval, 'rel')}"
        if paired
        else "–",
        f"{d.ks_statistic:.2f} ({d.ks_pvalue:.3f})",
        ad_text,
        verdict_text(verdict),
    ]


# --- JSON and files ----------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    """JSON-safe: infinities and NaN become strings, tuples lists."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def to_dict(report: ComparisonReport) -> dict[str, Any]:
    data = asdict(report)
    data["counts"] = report.counts()
    data["report_dir"] = shown_path(report.report_dir) if report.report_dir else ""
    return {
        "format": REPORT_FORMAT,
        "schema_version": REPORT_SCHEMA_VERSION,
        "percentile_estimator": PERCENTILE_ESTIMATOR,
        **_clean(data),
    }


def to_json(report: ComparisonReport) -> str:
    return json.dumps(to_dict(report), indent=1, sort_keys=True, allow_nan=False) + "\n"


def write(report: ComparisonReport, folder: Path) -> Path:
    """Write report.md and comparison.json into ``folder`` and point ``latest`` at it."""
    write_atomic(folder / "comparison.json", to_json(report))
    path = folder / "report.md"
    write_atomic(path, to_markdown(report))
    point_latest(folder)
    return path


def point_latest(folder: Path) -> None:
    """``latest`` beside the run folders is a relative symlink to it, else a LATEST file."""
    link = folder.parent / "latest"
    staging = folder.parent / f".latest.{os.getpid()}"
    try:
        staging.unlink(missing_ok=True)
        staging.symlink_to(folder.name, target_is_directory=True)
        os.replace(staging, link)
    except OSError:
        staging.unlink(missing_ok=True)
        write_atomic(folder.parent / "LATEST", folder.name + "\n")
