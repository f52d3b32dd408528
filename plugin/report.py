"""The comparison report: a dataclass first, then formatters (terminal lines, Markdown, JSON).

Nothing here computes a distance or decides a gate; it only shows what was decided.
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
from gst_compare.distance import MetricDistance, PercentileError
from gst_compare.gate import FAIL, NOT_JUDGED, PASS, Check, MetricVerdict

REPORT_FORMAT = "gpu-simulate-test/comparison"
REPORT_SCHEMA_VERSION = 1
COLOURS = {PASS: "green", FAIL: "red", NOT_JUDGED: "yellow"}
CHECK_NAMES = {"ks_p": "KS p", "mean": "mean", "mape": "MAPE"}


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


@dataclass
class PairResult:
    label: str
    key: dict[str, str]
    real: SideInfo
    sim: SideInfo
    gate: dict[str, Any]
    verdict: str
    distances: list[MetricDistance] = field(default_factory=list)
    verdicts: list[MetricVerdict] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    advisory: bool = False


@dataclass(frozen=True)
class Finding:
    """A refused or unpaired comparison: what, why, and the tests involved."""

    label: str
    message: str
    test_ids: tuple[str, ...] = ()


@dataclass
class ComparisonReport:
    run_id: str
    verdict: str = NOT_JUDGED
    pairs: list[PairResult] = field(default_factory=list)
    refused: list[Finding] = field(default_factory=list)
    unpaired: list[Finding] = field(default_factory=list)
    drift: list[DriftResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    report_dir: str = ""
    rerun_command: str = ""
    accept_command: str = ""

    @property
    def failed(self) -> bool:
        return self.verdict == FAIL

    def counts(self) -> dict[str, int]:
        """Verdicts of the enforced pairs; advisory pairs are counted apart (headline)."""
        found = {PASS: 0, FAIL: 0, NOT_JUDGED: 0}
        for pair in self.pairs:
            if not pair.advisory:
                found[pair.verdict] += 1
        return found


def headline(report: ComparisonReport) -> str:
    counts = report.counts()
    parts = [
        f"{len(report.pairs)} pair(s): {counts[PASS]} pass, {counts[FAIL]} fail, "
        f"{counts[NOT_JUDGED]} not judged"
    ]
    if report.refused:
        parts.append(f"{len(report.refused)} refused")
    if report.unpaired:
        parts.append(f"{len(report.unpaired)} unpaired")
    advisory = [p.verdict for p in report.pairs if p.advisory]
    if advisory:
        parts.append(
            f"{len(advisory)} advisory ({advisory.count(PASS)} pass, {advisory.count(FAIL)} fail)"
        )
    if report.drift:
        statuses = [d.status for d in report.drift]
        parts.append(
            "drift: " + ", ".join(f"{statuses.count(s)} {s}" for s in dict.fromkeys(statuses))
        )
    if report.errors:
        parts.append(f"{len(report.errors)} error(s)")
    return "; ".join(parts)


# --- numbers as text -------------------------------------------------------------------------


def pct(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:+.1%}" if math.isfinite(value) else ("+∞" if value > 0 else "−∞")


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.3g} ms"


def check_text(check: Check) -> str:
    name = CHECK_NAMES.get(check.name, check.name)
    if check.verdict == NOT_JUDGED:
        return f"{name} not judged ({check.note})"
    if check.name == "ks_p":
        return f"{name}={check.value:.3g} (≥ {check.limit:g})"
    return f"{check.name} {pct(check.value)} (±{check.limit:.0%})"


def verdict_text(verdict: MetricVerdict) -> str:
    texts = [check_text(c) for c in verdict.checks]
    return "; ".join(texts) or verdict.note


def percentile_text(error: PercentileError | None) -> str:
    if error is None or error.rel_error is None:
        return "–"
    if not error.enough:
        return f"{pct(error.rel_error)} (n < {error.min_samples}, no CI)"
    interval = error.rel_error_interval
    ci = f" [{pct(interval[0])}, {pct(interval[1])}]" if interval else ""
    return f"{pct(error.rel_error)}{ci}"


# --- terminal ----------------------------------------------------------------------------------


def terminal_lines(report: ComparisonReport) -> list[tuple[str, str | None]]:
    """(text, colour) lines for the terminal writer; one row per pair and metric."""
    lines: list[tuple[str, str | None]] = [(headline(report), COLOURS.get(report.verdict))]
    for pair in report.pairs:
        advisory = " (advisory: shown, never fails the session)" if pair.advisory else ""
        lines.append((f"{pair.label}  [gate {pair.gate.get('name', '?')}]{advisory}", None))
        for verdict in pair.verdicts:
            row = f"  {verdict.metric:<9} {verdict.verdict.upper():<11} {verdict_text(verdict)}"
            lines.append((row, COLOURS[verdict.verdict]))
    lines += [(f"REFUSED {f.label}: {f.message}", "red") for f in report.refused]
    lines += [(f"unpaired {f.label}: {f.message}", "yellow") for f in report.unpaired]
    lines += [(drift_line(d), drift_colour(d)) for d in report.drift]
    lines += [(f"error: {e}", "red") for e in report.errors]
    lines += [(f"note: {n}", None) for n in report.notes]
    lines += [(line, None) for line in next_steps(report)]
    return lines


def drift_line(drift: DriftResult) -> str:
    text = f"drift {drift.label}: {drift.status.upper()} (baseline {drift.baseline})"
    if drift.failed:
        text += f", {drift.n_differences} difference(s): " + "; ".join(drift.differences)
    elif drift.differences:
        text += ": " + "; ".join(drift.differences)
    return text


def drift_colour(drift: DriftResult) -> str:
    if drift.failed:
        return "red"
    return "green" if drift.status.is_judged else "yellow"


def next_steps(report: ComparisonReport) -> list[str]:
    steps = []
    if report.report_dir:
        steps.append(f"report: {Path(report.report_dir) / 'report.md'}")
    if report.rerun_command:
        steps.append(f"rerun:  {report.rerun_command}")
    if report.accept_command:
        steps.append(f"accept: {report.accept_command}")
    return steps


# --- Markdown ----------------------------------------------------------------------------------

PAIR_COLUMNS = (
    "metric",
    "verdict",
    "n real",
    "n sim",
    "p50 real",
    "p50 sim",
    "p50 err [CI]",
    "p90 err [CI]",
    "p95 err",
    "p99 err",
    "KS D (p)",
    "AD (p)",
    "W1 (rel)",
    "mean err",
    "paired MAPE",
    "checks",
)


def to_markdown(report: ComparisonReport) -> str:
    lines = [
        f"# gpu-simulate-test comparison: {report.verdict.upper()}",
        "",
        f"Run `{report.run_id}`. {headline(report)}.",
        "",
    ]
    lines += [f"- {step}" for step in next_steps(report)]
    lines += _verdict_table(report) + _findings(report) + _drift_section(report)
    for pair in report.pairs:
        lines += _pair_section(pair)
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


def _verdict_table(report: ComparisonReport) -> list[str]:
    rows = [
        [
            p.label + (" (advisory)" if p.advisory else ""),
            v.metric,
            v.verdict.upper(),
            verdict_text(v),
        ]
        for p in report.pairs
        for v in p.verdicts
    ]
    if not rows:
        return ["", "No pair was judged in this session."]
    return ["", "## Verdict", "", *_table(("pair", "metric", "verdict", "checks"), rows)]


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
        [d.label, d.status.upper(), f"`{d.baseline}`", "; ".join(d.differences) or "–"]
        for d in report.drift
    ]
    return [
        "",
        "## Drift against baselines",
        "",
        *_table(("artifact", "status", "baseline", "differences"), rows),
    ]


def _pair_section(pair: PairResult) -> list[str]:
    verdicts = {v.metric: v for v in pair.verdicts}
    rows = [_metric_row(d, verdicts[d.metric]) for d in pair.distances]
    advisory = " (advisory: never fails the session)" if pair.advisory else ""
    lines = ["", f"## {pair.label}: {pair.verdict.upper()}{advisory}", ""]
    for side in (pair.real, pair.sim):
        lines.append(
            f"- {side.kind}: `{side.test_id or '–'}` from the {side.source} (run `{side.run_id}`, "
            f"{side.n_requests} requests, device {side.device_name}, variant {side.variant})"
        )
    lines += [
        f"- gate `{pair.gate.get('name')}`: `{json.dumps(_clean(pair.gate), sort_keys=True)}`",
        "",
    ]
    lines += _table(PAIR_COLUMNS, rows)
    lines += ["", *[f"![{Path(p).stem}]({Path(p).name})" for p in pair.plots]]
    return lines


def _metric_row(d: MetricDistance, verdict: MetricVerdict) -> list[str]:
    if not d.available:
        return [
            d.metric,
            verdict.verdict.upper(),
            str(d.n_real),
            str(d.n_sim),
            *["–"] * (len(PAIR_COLUMNS) - 5),
            d.note,
        ]
    p50 = d.percentile(50)
    ad = d.anderson
    ad_text = "–" if ad is None or ad.statistic is None else f"{ad.statistic:.3g} ({ad.pvalue:.3g})"
    return [
        d.metric,
        verdict.verdict.upper(),
        str(d.n_real),
        str(d.n_sim),
        ms(p50.real if p50 else None),
        ms(p50.sim if p50 else None),
        *[percentile_text(d.percentile(q)) for q in (50, 90, 95, 99)],
        f"{d.ks_statistic:.3f} ({d.ks_pvalue:.3g})",
        ad_text,
        f"{ms(d.wasserstein_ms)} ({pct(d.wasserstein_rel)})",
        pct(d.mean_rel_error),
        f"{d.paired.mape:.1%}" if d.paired else "–",
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
    return {"format": REPORT_FORMAT, "schema_version": REPORT_SCHEMA_VERSION, **_clean(data)}


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
