"""A load sweep's capacities as terminal lines and Markdown: the real capacity, then each
variant's with its error, interval, tolerance and verdict; a bound ("above the highest level")
is shown as a bound. The figures (:mod:`gst_compare.sweep_plots`) lead the Markdown."""

from __future__ import annotations

import math

from gst_compare.report import COLOURS, ComparisonReport, Roles
from gst_compare.sweep import LEVEL_UNIT, SweepResult, VariantCapacity, objective_text

Line = tuple[str, str | None]


def error_text(found: VariantCapacity) -> str:
    """``+4.1 % [−2.0 %, +9.3 %]``; a bound's error as the interval it allows."""
    low, high = found.interval or (math.nan, math.nan)
    span = f"[{_signed(low)}, {_signed(high)}]"
    return span if found.error is None else f"{_signed(found.error)} {span}"


def _signed(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "+∞" if value > 0 else "−∞"
    return f"{value * 100:+.1f} %"


def role_text(found: VariantCapacity, roles: Roles) -> str:
    if found.variant in roles.calibrated:
        return " (calibrated: given this run's speed; never the verdict)"
    return " (advisory)" if found.advisory else ""


def variant_text(found: VariantCapacity, tolerance: float, roles: Roles) -> str:
    text = (
        f"sim={found.variant} {str(found.verdict).upper()}: capacity {found.capacity}, "
        f"error {error_text(found)} (±{tolerance * 100:.0f} %){role_text(found, roles)}"
    )
    extra = "; ".join(t for t in (found.note, found.attribution) if t)
    return f"{text}; {extra}" if extra else text


def heading(sweep: SweepResult) -> str:
    levels = ", ".join(f"{v:g}" for v in sweep.levels)
    return (
        f"capacity {sweep.label}: real {sweep.real} ({LEVEL_UNIT}, levels {levels}; "
        f"objective {objective_text(sweep.objective_ms)})"
    )


def terminal_lines(report: ComparisonReport) -> list[Line]:
    lines: list[Line] = []
    for sweep in report.sweeps:
        lines.append((heading(sweep), None))
        for found in _ordered(sweep, report.roles):
            colour = COLOURS.get(found.verdict) if not found.advisory else None
            text = variant_text(found, sweep.tolerance, report.roles)
            lines.append((f"  {text}", colour))
    return lines


def _ordered(sweep: SweepResult, roles: Roles) -> list[VariantCapacity]:
    return sorted(sweep.variants, key=lambda v: (v.variant != roles.primary, v.advisory))


def markdown_lines(report: ComparisonReport) -> list[str]:
    """The section that opens a sweep's report: figures first, then the capacity table."""
    if not report.sweeps:
        return []
    lines = ["", "## Load sweep: capacity", ""]
    for sweep in report.sweeps:
        lines += [f"### {sweep.label}", ""]
        lines += [*(f"![{name}]({name})" for name in sweep.plots), ""] if sweep.plots else []
        lines += [_markdown_intro(sweep), ""]
        lines += ["| variant | verdict | capacity | error [interval] | where it misses |"]
        lines += ["|---|---|---|---|---|"]
        lines += [f"| real | – | {sweep.real} | – | – |"]
        for found in _ordered(sweep, report.roles):
            verdict = str(found.verdict).upper()
            why = "; ".join(t for t in (found.note, found.attribution) if t) or "–"
            lines.append(
                f"| {found.variant}{role_text(found, report.roles)} | {verdict} | "
                f"{found.capacity} | {error_text(found)} | {why} |"
            )
        lines.append("")
    return lines


def _markdown_intro(sweep: SweepResult) -> str:
    return (
        f"Capacity: the highest {LEVEL_UNIT} at which {objective_text(sweep.objective_ms)}, "
        f"interpolated between levels, never extrapolated (95 % bootstrap interval over each "
        f"level's requests). Real levels: {', '.join(f'{v:g}' for v in sweep.levels)}. "
        f"The error (sim − real) / real passes inside ±{sweep.tolerance * 100:.0f} %."
    )
