"""The report as Markdown (``report.md``), worst first: the headline sentence, the verdict
table (every variant's error beside the primary's, and the floor), the floors, the runs and
their noise, the figures, where the error comes from, then details. Provenance and every
figure not shown here are in ``comparison.json``, linked from the top."""

from __future__ import annotations

from gst_compare.distance import MetricDistance
from gst_compare.gate import FAIL, PASS, MetricVerdict
from gst_compare.report import (
    CALIBRATED_LABEL,
    ComparisonReport,
    Component,
    PairResult,
    cases,
    duration,
    headline_sentence,
    interval_text,
    lead_variant,
    limit_text,
    magnitude_text,
    metric_name,
    next_steps,
    ordered_pairs,
    pct,
    runs,
    same_check,
    summary_line,
    undecided_text,
    value_text,
    variant_order,
    variant_title,
    verdict_text,
    verdict_word,
)
from gst_compare.report_sweep import markdown_lines as sweep_markdown

JSON_NAME = "comparison.json"
# A p50 error this many points away from the per-request error gets a note in the medians table.
MEDIAN_GAP_NOTE = 0.02
PLOT_NAMES = {"cdf": "CDF", "qq": "QQ", "scatter": "per request", "error_vs_prompt": "error/prompt"}


def to_markdown(report: ComparisonReport) -> str:
    lines = [f"# {headline_sentence(report)}", "", f"{summary_line(report)}.", ""]
    lines += [
        f"Every distance, interval and floor, each gate and the provenance of every artifact: "
        f"[{JSON_NAME}]({JSON_NAME}).",
    ]
    lines += sweep_markdown(report)
    lines += _verdict_table(report) + _floors(report) + _runs(report) + _figures(report)
    lines += _decomposition(report) + _medians(report)
    for section in report.sections:
        lines += ["", f"## {section.title}", "", *section.lines]
    lines += _findings(report) + _drift_section(report) + _pairs(report) + _details(report)
    lines += ["", "## How to go on", ""] + [f"- {step}" for step in next_steps(report)]
    return "\n".join(lines) + "\n"


def _table(header: tuple[str, ...], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return out


# --- the verdict table -------------------------------------------------------------------------


def _verdict_table(report: ComparisonReport) -> list[str]:
    variants = variant_order(report)
    if not variants:
        return ["", "No pair was judged in this session."]
    lead, others = variants[0], variants[1:]
    rows = []
    for case, by_variant in cases(report).items():
        main = by_variant.get(lead)
        shown = main or next(iter(by_variant.values()))
        for metric in (v.metric for v in shown.verdicts):
            row = main.row(metric) if main else None
            rows.append(
                [
                    case,
                    metric_name(metric),
                    verdict_word(row) if row else "–",
                    _error_cell(main, metric, "p50"),
                    _error_cell(main, metric, "p90"),
                    _floor_cell(by_variant.values(), metric),
                    *[_variant_cell(by_variant.get(v), metric) for v in others],
                    _why(row),
                ]
            )
    advisory = any(p.advisory for p in report.pairs if p.variant == lead)
    header = (
        "pair",
        "metric",
        f"{lead} verdict" + (" (advisory)" if advisory else ""),
        f"{lead} p50 [CI]",
        f"{lead} p90 [CI]",
        "floor p50 / p90",
        *[f"{variant_title(report, v)} p50 / p90" for v in others],
        "why",
    )
    return ["", "## Verdict", "", *_table(header, rows), "", *_legend(report, others)]


def _legend(report: ComparisonReport, others: list[str]) -> list[str]:
    text = (
        "Errors are (sim − real) / real; queueing is judged on sim − real in ms. [CI]: the "
        "paired-bootstrap interval. The floor is a second real run's error against the first "
        "on the same check: the verdict widens the interval by it on both sides."
    )
    if any(v in report.roles.calibrated for v in others):
        text += (
            f" {CALIBRATED_LABEL}: re-priced at the speed the judged run measured; shown "
            "beside the verdict, never the verdict."
        )
    return [text]


def _error_cell(pair: PairResult | None, metric: str, name: str) -> str:
    check = same_check(pair, metric, name)
    if check is None:
        return "–"
    return f"{value_text(check.value, check.unit)} {interval_text(check.interval, check.unit)}"


def _variant_cell(pair: PairResult | None, metric: str) -> str:
    checks = [same_check(pair, metric, name) for name in ("p50", "p90")]
    if not any(checks):
        return "–"
    return " / ".join(value_text(c.value, c.unit) if c else "–" for c in checks)


def _floor_cell(pairs, metric: str) -> str:
    measured = [p for p in pairs if p.floor.measured]
    if not measured:
        return "not measured"
    checks = [same_check(measured[0], metric, name) for name in ("p50", "p90")]
    if not any(c is not None and c.floor is not None for c in checks):
        return "–"
    return " / ".join(magnitude_text(c.floor, c.unit) if c else "–" for c in checks)


def _why(row: MetricVerdict | None) -> str:
    if row is None:
        return "–"
    if row.note:
        return row.note
    reasons = [
        f"{c.name} outside {limit_text(c)}"
        if c.verdict == FAIL
        else f"{c.name}: {undecided_text(c)}"
        for c in row.checks
        if c.verdict != PASS
    ]
    return "; ".join(reasons) or "–"


# --- floors, runs, figures ---------------------------------------------------------------------


def _floors(report: ComparisonReport) -> list[str]:
    found = cases(report)
    if not found:
        return []
    lines = ["", "## Floor: the real system against itself", ""]
    for case, by_variant in found.items():
        floor = next((p.floor for p in by_variant.values() if p.floor.measured), None)
        if floor is not None:
            lines.append(f"- **{case}**: {floor.source}")
            continue
        floor = next(iter(by_variant.values())).floor
        why = f" ({floor.note})" if floor.note else ""
        command = f"; measure it: `{floor.command}`" if floor.command else ""
        lines.append(f"- **{case}**: not measured{why}{command}")
    return lines


def _runs(report: ComparisonReport) -> list[str]:
    rows = [
        [f"`{run.run_id}`", run.kind, str(run.artifacts), "; ".join(run.flags) or "none seen"]
        for run in runs(report)
    ]
    if not rows:
        return []
    return [
        "",
        "## Runs",
        "",
        "Noise flags are shown once per run; they do not veto a verdict.",
        "",
        *_table(("run", "kind", "artifacts", "noise flags"), rows),
    ]


def _lead_pairs(report: ComparisonReport) -> list[PairResult]:
    lead = lead_variant(report)
    return [p for p in ordered_pairs(report) if p.variant == lead]


def _figures(report: ComparisonReport) -> list[str]:
    shown = [(p, name) for p in _lead_pairs(report) for name in p.plots if ".cdf." in name]
    if not shown:
        return []
    lines = ["", "## Figures"]
    for pair, name in shown:
        lines += ["", f"**{pair.label}**", "", f"![{pair.label}]({name})"]
    return lines


# --- where the error comes from ------------------------------------------------------------------


def _part_text(part: Component, real_e2e_ms: float) -> str:
    share = pct(part.error_ms / real_e2e_ms) if real_e2e_ms else "–"
    return f"{duration(part.error_ms, signed=True)} ({share})"


def _decomposition(report: ComparisonReport) -> list[str]:
    rows = []
    for pair in ordered_pairs(report):
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


def _medians(report: ComparisonReport) -> list[str]:
    rows = []
    for pair in _lead_pairs(report):
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
                    metric_name(view.metric),
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


# --- findings, drift, pairs and details --------------------------------------------------------


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


def _pairs(report: ComparisonReport) -> list[str]:
    if not report.pairs:
        return []
    lines = ["", "## Pairs", ""]
    for pair in ordered_pairs(report):
        real, sim = pair.real, pair.sim
        figures = " ".join(
            f"[{PLOT_NAMES.get(name.split('.')[-2], name)}]({name})" for name in pair.plots
        )
        lines.append(
            f"- **{pair.label}**: {str(pair.verdict).upper()}"
            + (" (advisory)" if pair.advisory else "")
            + f"; gate `{pair.gate.get('name')}`; real `{real.test_id or '–'}` "
            f"(run `{real.run_id}`, {real.n_requests} requests, {real.device_name}, from the "
            f"{real.source}); sim `{sim.test_id or '–'}` (run `{sim.run_id}`, from the "
            f"{sim.source})" + (f"; figures: {figures}" if figures else "")
        )
    return lines


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


def _details(report: ComparisonReport) -> list[str]:
    lines = []
    for pair in _lead_pairs(report):
        verdicts = {v.metric: v for v in pair.verdicts}
        absolute = set(pair.gate.get("absolute_metrics") or ())
        rows = [_metric_row(d, verdicts[d.metric], d.metric in absolute) for d in pair.distances]
        lines += ["", f"### {pair.label}", "", *_table(DETAIL_COLUMNS, rows)]
    if not lines:
        return []
    intro = (
        "KS and Anderson–Darling p-values are information, not gates: with many requests they "
        f"flag differences too small to matter, with few they flag nothing. Other variants: "
        f"[{JSON_NAME}]({JSON_NAME})."
    )
    return ["", f"## Details of sim={lead_variant(report)}", "", intro, *lines]


def _metric_row(d: MetricDistance, verdict: MetricVerdict, absolute: bool) -> list[str]:
    """A metric's figures; an absolute metric's errors in ms, as the gate judges it (its
    relative errors, of values near 0, say nothing)."""
    head = [metric_name(d.metric), verdict_word(verdict)]
    if not d.available:
        return [*head, "0", *["–"] * (len(DETAIL_COLUMNS) - 4), d.note]
    p50, p90 = d.percentile(50), d.percentile(90)
    ad = d.anderson
    ad_text = "–" if ad is None or ad.statistic is None else f"{ad.statistic:.2f} ({ad.pvalue:.3f})"
    return [
        *head,
        str(d.n_requests),
        duration(p50.real if p50 else None),
        duration(p50.sim if p50 else None),
        duration(p90.real if p90 else None),
        duration(p90.sim if p90 else None),
        *_mean_and_mape(d, absolute),
        f"{d.ks_statistic:.2f} ({d.ks_pvalue:.3f})",
        ad_text,
        verdict_text(verdict),
    ]


def _mean_and_mape(d: MetricDistance, absolute: bool) -> list[str]:
    if absolute:
        gap = None if d.mean_sim is None or d.mean_real is None else d.mean_sim - d.mean_real
        return [duration(gap, signed=True), "–"]
    paired = d.paired
    mape = (
        f"{paired.mape * 100:.1f} % {interval_text(paired.mape_interval, 'rel')}" if paired else "–"
    )
    return [f"{pct(d.mean_rel_error)} {interval_text(d.mean_rel_interval, 'rel')}", mape]
