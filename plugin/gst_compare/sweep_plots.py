"""PNG figures of one load sweep (matplotlib's Agg backend, no display needed).

Two figures per sweep and backend: the latency percentiles against load (TTFT p50, TTFT p90,
queueing p90; real beside each variant, the objective's limit as a horizontal line, the real
capacity and each variant's as vertical lines, solid where crossed, dotted where only a bound)
and the relative error of each percentile against load at the levels both sides ran.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gst_compare.store import safe_name
from gst_compare.sweep import CURVE_STATS, LEVEL_UNIT, Bound, LevelPoint, SweepResult

DPI = 100
WIDTH_IN, HEIGHT_IN = 13.0, 4.2
REAL_COLOUR = "black"
COLOURS = ("tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink")
# Queueing can be ~0 at light load: its error is drawn in seconds, as the gate judges it.
ABSOLUTE_PREFIX = "queueing"
TITLES = {"ttft_p50": "TTFT p50", "ttft_p90": "TTFT p90", "queueing_p90": "queueing p90"}


def plot_sweep(sweep: SweepResult, folder: Path) -> list[Path]:
    """Draw the sweep's two figures into ``folder``; returns the written paths."""
    import matplotlib

    matplotlib.use("Agg")
    folder.mkdir(parents=True, exist_ok=True)
    stem = safe_name(f"{sweep.sweep}_{sweep.model}_{sweep.hardware}_{sweep.backend}")
    return [
        _save(_latency_figure(sweep), folder / f"{stem}.sweep.png"),
        _save(_error_figure(sweep), folder / f"{stem}.sweep_error.png"),
    ]


def _save(figure: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    figure.tight_layout()
    figure.savefig(path, dpi=DPI)
    plt.close(figure)
    return path


def _curves(sweep: SweepResult) -> list[tuple[str, list[LevelPoint], Bound, str]]:
    found = [("real", sweep.real_curve, sweep.real.point, REAL_COLOUR)]
    for variant, colour in zip(sweep.variants, COLOURS, strict=False):
        found.append((f"sim={variant.variant}", variant.curve, variant.capacity.point, colour))
    return found


def _latency_figure(sweep: SweepResult) -> Any:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(CURVE_STATS), figsize=(WIDTH_IN, HEIGHT_IN))
    for ax, stat in zip(axes, CURVE_STATS, strict=True):
        for label, points, capacity, colour in _curves(sweep):
            xs = [p.level for p in points]
            ys = [p.stats_ms[stat] / 1000 for p in points]
            style = "o-" if label == "real" else ".--"
            ax.plot(xs, ys, style, color=colour, label=label, linewidth=1.2)
            ax.axvline(capacity.level, color=colour, alpha=0.6, linestyle=_bound_style(capacity))
        if stat in sweep.objective_ms:
            ax.axhline(sweep.objective_ms[stat] / 1000, color="grey", linestyle="-.", label="limit")
        ax.set_title(f"{TITLES[stat]} ({sweep.backend})")
        ax.set_xlabel(f"{LEVEL_UNIT} (vertical: capacity; dotted: a bound)")
        ax.set_ylabel("s")
        if not stat.startswith(ABSOLUTE_PREFIX):  # queueing is ~0 at light load: linear
            _log_seconds(ax)
    axes[0].legend(fontsize=8)
    return figure


def _log_seconds(ax: Any) -> None:
    """A log axis labelled in plain seconds (0.5, 2), not powers of ten."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_minor_formatter(NullFormatter())


def _bound_style(bound: Bound) -> str:
    return "-" if bound.side == "crossed" else ":"


def _error_figure(sweep: SweepResult) -> Any:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(CURVE_STATS), figsize=(WIDTH_IN, HEIGHT_IN))
    real = {p.level: p.stats_ms for p in sweep.real_curve}
    for ax, stat in zip(axes, CURVE_STATS, strict=True):
        absolute = stat.startswith(ABSOLUTE_PREFIX)
        for variant, colour in zip(sweep.variants, COLOURS, strict=False):
            shared = [
                p
                for p in variant.curve
                if p.level in real and (absolute or real[p.level][stat] > 0)
            ]
            errors = [_error(p.stats_ms[stat], real[p.level][stat], absolute) for p in shared]
            ax.plot([p.level for p in shared], errors, "o-", color=colour, label=variant.variant)
        ax.axhline(0.0, color="grey", linewidth=0.8)
        ax.set_title(f"{TITLES[stat]} error ({sweep.backend})")
        ax.set_xlabel(LEVEL_UNIT)
        ax.set_ylabel("sim − real, s" if absolute else "(sim − real) / real, %")
    axes[0].legend(fontsize=8)
    return figure


def _error(sim_ms: float, real_ms: float, absolute: bool) -> float:
    return (sim_ms - real_ms) / 1000 if absolute else (sim_ms / real_ms - 1) * 100
