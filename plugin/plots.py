"""PNG figures of one pair, drawn with matplotlib's Agg backend (no display needed).

Four small figures per pair, one panel per metric: CDF overlay, QQ plot, per-request scatter
(simulated against real, with the y = x line) and per-request relative error against prompt length.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from gst_compare import metrics
from gst_compare.artifacts import Artifact
from gst_compare.store import safe_name

PANEL_SIZE = (2.6, 2.4)
DPI = 72
QQ_POINTS = 99


def plot_pair(real: Artifact, sim: Artifact, folder: Path, label: str) -> list[Path]:
    """Draw the four figures of a pair into ``folder``; returns the written paths."""
    import matplotlib

    matplotlib.use("Agg")
    stem = safe_name(label)
    samples = {m: (metrics.values(real, m), metrics.values(sim, m)) for m in metrics.METRICS}
    sample_metrics = [m for m in metrics.METRICS if all(samples[m])]
    paired = {
        m: (metrics.per_request(real, m), metrics.per_request(sim, m))
        for m in metrics.PER_REQUEST_METRICS
        if m in sample_metrics
    }
    prompts = {r.id: r.num_prompt_tokens for r in real.requests}
    figures: list[tuple[str, list[str], Callable[[Any, str], None]]] = [
        ("cdf", sample_metrics, lambda ax, m: _cdf(ax, *samples[m])),
        ("qq", sample_metrics, lambda ax, m: _qq(ax, *samples[m])),
        ("scatter", list(paired), lambda ax, m: _scatter(ax, *paired[m])),
        ("error_vs_prompt", list(paired), lambda ax, m: _error_vs_prompt(ax, *paired[m], prompts)),
    ]
    return [
        _figure(folder / f"{stem}.{name}.png", f"{label}: {name}", names, draw)
        for name, names, draw in figures
        if names
    ]


def _figure(path: Path, title: str, names: list[str], draw: Callable[[Any, str], None]) -> Path:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1, len(names), figsize=(PANEL_SIZE[0] * len(names), PANEL_SIZE[1]), squeeze=False
    )
    try:
        for ax, name in zip(axes[0], names, strict=True):
            draw(ax, name)
            ax.set_title(name, fontsize=9)
            ax.tick_params(labelsize=7)
        fig.suptitle(title, fontsize=8)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=DPI)
    finally:
        plt.close(fig)
    return path


def _cdf(ax: Any, real: list[float], sim: list[float]) -> None:
    for samples, name in ((real, "real"), (sim, "sim")):
        data = sorted(samples)
        ax.step(data, [(i + 1) / len(data) for i in range(len(data))], where="post", label=name)
    ax.set_xlabel("ms", fontsize=7)
    ax.legend(fontsize=7)


def _qq(ax: Any, real: list[float], sim: list[float]) -> None:
    quantiles = [100 * (i + 0.5) / QQ_POINTS for i in range(QQ_POINTS)]
    xs = [metrics.percentile(real, q) for q in quantiles]
    ys = [metrics.percentile(sim, q) for q in quantiles]
    _sim_against_real(ax, xs, ys, markersize=3)


def _scatter(ax: Any, real: dict[int, float], sim: dict[int, float]) -> None:
    ids = sorted(real.keys() & sim.keys())
    _sim_against_real(ax, [real[i] for i in ids], [sim[i] for i in ids], markersize=4)


def _sim_against_real(ax: Any, xs: list[float], ys: list[float], markersize: int) -> None:
    """Points of sim against real ms, over the y = x line that a perfect simulator lies on."""
    values = xs + ys
    if values:
        low, high = min(values), max(values)
        ax.plot([low, high], [low, high], color="grey", linewidth=0.8, label="y = x")
    ax.plot(xs, ys, ".", markersize=markersize)
    ax.set_xlabel("real ms", fontsize=7)
    ax.set_ylabel("sim ms", fontsize=7)


def _error_vs_prompt(
    ax: Any, real: dict[int, float], sim: dict[int, float], prompts: dict[int, int]
) -> None:
    ids = [i for i in sorted(real.keys() & sim.keys()) if real[i]]
    errors = [(sim[i] - real[i]) / real[i] for i in ids]
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.plot([prompts[i] for i in ids], errors, ".", markersize=4)
    ax.set_xlabel("prompt tokens", fontsize=7)
    ax.set_ylabel("(sim − real) / real", fontsize=7)
