"""PNG figures of one pair, drawn with matplotlib's Agg backend (no display needed).

Four figures per pair, one panel per metric, each at least 1200 px wide at 100 dpi with
labelled axes in ms or s: the CDF overlay (the tolerance of p50 and p90 shaded around the real
percentiles), a QQ plot (one point per observed quantile, the p50 tolerance as a band around
y = x), the per-request scatter (simulated against real) and the per-request error against
prompt length (the p50 tolerance as a band around 0), in the unit the gate judges the metric in:
relative (%), or sim − real in ms for the absolute metrics (queueing).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from gst_compare import metrics
from gst_compare.artifacts import Artifact
from gst_compare.store import safe_name

DPI = 100
MIN_WIDTH_IN = 12.0
PANEL_WIDTH_IN = 3.4
HEIGHT_IN = 3.8
FONT = 10
REAL_COLOUR, SIM_COLOUR, BAND_COLOUR = "tab:blue", "tab:orange", "tab:green"

# {metric: {"p50": (limit, unit)}}, unit "rel" (a fraction) or "ms"
Tolerances = Mapping[str, Mapping[str, tuple[float, str]]]


def plot_pair(
    real: Artifact,
    sim: Artifact,
    folder: Path,
    label: str,
    tolerances: Tolerances | None = None,
    absolute_metrics: Collection[str] = ("queueing",),
) -> list[Path]:
    """Draw the four figures of a pair into ``folder``; returns the written paths. The errors
    of ``absolute_metrics`` are drawn as sim − real in ms, the others relative to real."""
    import matplotlib

    matplotlib.use("Agg")
    tolerances = tolerances or {}
    stem = safe_name(label)
    samples = {m: (metrics.values(real, m), metrics.values(sim, m)) for m in metrics.METRICS}
    shown = [m for m in metrics.METRICS if all(samples[m])]
    paired = {
        m: (metrics.per_request(real, m), metrics.per_request(sim, m))
        for m in metrics.PER_REQUEST_METRICS
        if m in shown
    }
    prompts = {r.id: r.num_prompt_tokens for r in real.requests}
    figures: list[tuple[str, list[str], Callable[[Any, str], None]]] = [
        ("cdf", shown, lambda ax, m: _cdf(ax, *samples[m], tolerances.get(m, {}))),
        ("qq", shown, lambda ax, m: _qq(ax, *samples[m], tolerances.get(m, {}))),
        ("scatter", list(paired), lambda ax, m: _scatter(ax, *paired[m], tolerances.get(m, {}))),
        (
            "error_vs_prompt",
            list(paired),
            lambda ax, m: _error_vs_prompt(
                ax, *paired[m], prompts, tolerances.get(m, {}), m in absolute_metrics
            ),
        ),
    ]
    return [
        _figure(folder / f"{stem}.{name}.png", f"{label}: {name.replace('_', ' ')}", names, draw)
        for name, names, draw in figures
        if names
    ]


def _figure(path: Path, title: str, names: list[str], draw: Callable[[Any, str], None]) -> Path:
    import matplotlib.pyplot as plt

    width = max(MIN_WIDTH_IN, PANEL_WIDTH_IN * len(names))
    fig, axes = plt.subplots(1, len(names), figsize=(width, HEIGHT_IN), squeeze=False)
    try:
        for ax, name in zip(axes[0], names, strict=True):
            draw(ax, name)
            ax.set_title(name.upper() if name != "queueing" else "queueing", fontsize=FONT + 1)
            ax.tick_params(labelsize=FONT - 1)
            ax.grid(alpha=0.3)
        fig.suptitle(title, fontsize=FONT + 1)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=DPI)
    finally:
        plt.close(fig)
    return path


def _scale(values: list[float]) -> tuple[float, str]:
    """Divide ms by this to plot in the unit that reads better."""
    return (1000.0, "s") if values and metrics.percentile(values, 50) >= 1000 else (1.0, "ms")


def _cdf(ax: Any, real: list[float], sim: list[float], tolerance: Mapping) -> None:
    div, unit = _scale(real + sim)
    for key, (limit, kind) in tolerance.items():
        centre = metrics.percentile(real, int(key[1:])) / div
        half = limit * centre if kind == "rel" else limit / div
        ax.axvspan(centre - half, centre + half, color=BAND_COLOUR, alpha=0.12, linewidth=0)
        ax.axvline(centre, color=BAND_COLOUR, linewidth=0.8, alpha=0.6)
    for samples, name, colour in ((real, "real", REAL_COLOUR), (sim, "sim", SIM_COLOUR)):
        data = sorted(v / div for v in samples)
        heights = [(i + 1) / len(data) for i in range(len(data))]
        ax.step(data, heights, where="post", label=name, color=colour)
    ax.set_xlabel(f"latency ({unit})", fontsize=FONT)
    ax.set_ylabel("fraction of samples", fontsize=FONT)
    ax.legend(fontsize=FONT - 1, title="band: p50/p90 tolerance", title_fontsize=FONT - 2)


def _qq(ax: Any, real: list[float], sim: list[float], tolerance: Mapping) -> None:
    """One point per observed quantile of the smaller side (no more points than samples)."""
    n = min(len(real), len(sim))
    quantiles = [100.0 * (i + 0.5) / n for i in range(n)]
    xs = [metrics.observed_percentile(real, q) for q in quantiles]
    ys = [metrics.observed_percentile(sim, q) for q in quantiles]
    _sim_against_real(ax, xs, ys, tolerance.get("p50"))


def _scatter(ax: Any, real: dict[int, float], sim: dict[int, float], tolerance: Mapping) -> None:
    ids = sorted(real.keys() & sim.keys())
    _sim_against_real(ax, [real[i] for i in ids], [sim[i] for i in ids], tolerance.get("p50"))


def _sim_against_real(
    ax: Any, xs: list[float], ys: list[float], band: tuple[float, str] | None
) -> None:
    """Points of sim against real over the y = x line a perfect simulator lies on."""
    div, unit = _scale(xs + ys)
    xs, ys = [x / div for x in xs], [y / div for y in ys]
    values = xs + ys
    if values:
        low, high = min(values), max(values)
        line = [low, high]
        if band is not None:
            limit, kind = band
            below = [v * (1 - limit) if kind == "rel" else v - limit / div for v in line]
            above = [v * (1 + limit) if kind == "rel" else v + limit / div for v in line]
            ax.fill_between(
                line, below, above, color=BAND_COLOUR, alpha=0.12, label="p50 tolerance"
            )
        ax.plot(line, line, color="grey", linewidth=0.8, label="y = x")
    ax.plot(xs, ys, "o", markersize=4, color=SIM_COLOUR, alpha=0.8)
    ax.set_xlabel(f"real ({unit})", fontsize=FONT)
    ax.set_ylabel(f"simulated ({unit})", fontsize=FONT)
    ax.legend(fontsize=FONT - 1)


def _error_vs_prompt(
    ax: Any,
    real: dict[int, float],
    sim: dict[int, float],
    prompts: dict[int, int],
    tolerance: Mapping,
    absolute: bool,
) -> None:
    """Each request's error against its prompt length: sim − real in ms (``absolute``) or
    (sim − real) / real in %, with the p50 tolerance as a band when it is in that unit."""
    unit = "ms" if absolute else "rel"
    ids = [i for i in sorted(real.keys() & sim.keys()) if absolute or real[i]]
    errors = [sim[i] - real[i] if absolute else 100.0 * (sim[i] - real[i]) / real[i] for i in ids]
    band = tolerance.get("p50")
    if band is not None and band[1] == unit:
        half = band[0] if absolute else 100 * band[0]
        ax.axhspan(-half, half, color=BAND_COLOUR, alpha=0.12, label="p50 tolerance")
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.plot([prompts[i] for i in ids], errors, "o", markersize=4, color=SIM_COLOUR, alpha=0.8)
    ax.set_xlabel("prompt length (tokens)", fontsize=FONT)
    ax.set_ylabel("sim − real (ms)" if absolute else "(sim − real) / real (%)", fontsize=FONT)
