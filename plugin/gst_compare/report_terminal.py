"""The report as terminal lines (text and the terminal writer's colour name), and the messages
of fidelity and drift items."""

from __future__ import annotations

from gst_compare.baseline import DriftResult
from gst_compare.gate import FAIL, INCONCLUSIVE
from gst_compare.report import (
    CALIBRATED_LABEL,
    COLOURS,
    ComparisonReport,
    PairResult,
    check_text,
    floor_commands,
    headline_sentence,
    metric_name,
    next_steps,
    runs,
    summary_line,
    verdict_text,
    verdict_word,
)
from gst_compare.report_sweep import terminal_lines as sweep_lines

Line = tuple[str, str | None]


def terminal_lines(report: ComparisonReport) -> list[Line]:
    """The headline first, then one row per pair and metric, the runs with noise, drift,
    errors, and the next steps."""
    lines: list[Line] = [
        (headline_sentence(report), COLOURS.get(report.verdict)),
        (summary_line(report), None),
    ]
    lines += sweep_lines(report)
    for pair in report.pairs:
        lines += _pair_lines(pair, report.roles.calibrated)
    lines += [
        (f"noise: {run.kind} run {run.run_id}: {'; '.join(run.flags)}", "yellow")
        for run in runs(report)
        if run.flags
    ]
    lines += [(f"floor not measured; measure it: {c}", None) for c in floor_commands(report)]
    lines += [(f"REFUSED {f.label}: {f.message}", "red") for f in report.refused]
    lines += [(f"unpaired {f.label}: {f.message}", "yellow") for f in report.unpaired]
    lines += [(drift_line(d), drift_colour(d)) for d in report.drift]
    lines += [(f"error: {e}", "red") for e in report.errors]
    lines += [(f"note: {n}", None) for n in report.notes]
    lines += [(line, None) for line in next_steps(report)]
    return lines


def _pair_lines(pair: PairResult, calibrated: tuple[str, ...]) -> list[Line]:
    role = ""
    if pair.variant in calibrated:
        role = f" ({CALIBRATED_LABEL}; never the verdict)"
    elif pair.advisory:
        role = " (advisory: shown, never fails the session)"
    floor = f"floor {pair.floor.source}" if pair.floor.measured else "floor not measured"
    lines: list[Line] = [
        (f"{pair.label}  [gate {pair.gate.get('name', '?')}; {floor}]{role}", None)
    ]
    for verdict in pair.verdicts:
        row = f"  {verdict.metric:<9} {verdict_word(verdict):<12} {verdict_text(verdict)}"
        lines.append((row, COLOURS[verdict.verdict] if verdict.counts else None))
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


def drift_colour(drift: DriftResult) -> str:
    if drift.failed:
        return "red"
    return "green" if drift.status.is_judged else "yellow"


def failure_message(result: PairResult) -> str:
    """What a fidelity item says when it fails or is undecided: the pair, each failed (or
    undecided) check on one line, then the floor and any noise seen, once."""
    wanted = FAIL if result.verdict == FAIL else INCONCLUSIVE
    lines = [f"{result.label}: {str(result.verdict).upper()}"]
    for verdict in result.verdicts:
        if verdict.verdict != wanted or not verdict.counts:
            continue
        shown = [c for c in verdict.checks if c.verdict == wanted and not c.note]
        texts = [verdict_text(verdict)] if not shown else [check_text(c) for c in shown]
        lines += [f"  {metric_name(verdict.metric)} {text}" for text in texts]
    floor = result.floor
    lines.append(
        f"  floor: {floor.source}"
        if floor.measured
        else f"  floor not measured: {floor.note}" + (f"; {floor.command}" if floor.command else "")
    )
    flags = [f"{s.kind}: {flag}" for s in (result.real, result.sim) for flag in s.noise_flags]
    if flags:
        lines.append(f"  noise seen (not a veto): {'; '.join(flags)}")
    return "\n".join(lines)
