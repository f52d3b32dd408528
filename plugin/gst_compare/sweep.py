"""A load sweep's capacity, real against simulated, judged like any other check.

A workload named ``<sweep>@<level>`` is one level of a sweep (``loadsweep@0.9``: the domain
writes the level as a load, a fraction of a capacity it defines). The levels of one sweep,
model, hardware and backend make a latency curve per side: the real runs' and, per simulated
variant, the simulations' (which may hold more levels than the real side: a simulated-only level
draws the simulated curve). The capacity under the gate's objective (``capacity_objective_ms``,
e.g. TTFT p90 ≤ 1500 ms and queueing p90 ≤ 1000 ms) is read off each curve by
:func:`gst_compare.capacity.estimate_capacity` on the score ``max(statistic / limit)`` (≤ 1:
every objective holds), with a bootstrap over each level's requests. Its error
(sim − real) / real is judged against ``capacity_rel_error``: PASS when the whole interval lies
inside, FAIL when entirely outside, INCONCLUSIVE otherwise. A capacity beyond the levels is a
bound, never extrapolated: the error interval then runs to infinity on that side.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from statistics import fmean

from gst_compare import metrics
from gst_compare.artifacts import Artifact
from gst_compare.capacity import Crossing, Side, crossing, estimate_capacity
from gst_compare.gate import FAIL, INCONCLUSIVE, PASS, GateConfig, Outcome, objective_keys
from gst_compare.metrics import NS_PER_MS

SEPARATOR = "@"
CURVE_STATS: tuple[str, ...] = ("ttft_p50", "ttft_p90", "queueing_p90")
LEVEL_UNIT = "load"
PER_REQUEST = {"ttft": metrics.ttft_ms, "e2e": metrics.e2e_ms, "queueing": metrics.queueing_ms}
_BOUND_WORDS = {Side.CROSSED: "crossed", Side.ABOVE_HIGHEST: "above", Side.BELOW_LOWEST: "below"}


def split_level(workload_name: str) -> tuple[str, float] | None:
    """``loadsweep@0.9`` → (``loadsweep``, 0.9); None for a workload that is no level."""
    sweep, sep, text = workload_name.rpartition(SEPARATOR)
    if not sep or not sweep:
        return None
    try:
        level = float(text)
    except ValueError:
        return None
    return (sweep, level) if math.isfinite(level) and level > 0 else None


@dataclass(frozen=True)
class Bound:
    """A capacity as data: ``crossed`` at ``level`` (interpolated), or ``above``/``below``
    the level named (a bound the sweep could not pass)."""

    side: str
    level: float

    @classmethod
    def of(cls, found: Crossing) -> Bound:
        return cls(_BOUND_WORDS[found.side], found.rate)

    @property
    def span(self) -> tuple[float, float]:
        """The capacities this bound allows."""
        if self.side == "above":
            return self.level, math.inf
        if self.side == "below":
            return 0.0, self.level
        return self.level, self.level

    def __str__(self) -> str:
        if self.side == "crossed":
            return f"{self.level:.3g}"
        extreme = "highest" if self.side == "above" else "lowest"
        return f"{self.side} the {extreme} level ({self.level:g})"


@dataclass(frozen=True)
class CapacityValue:
    """A capacity and its bootstrap percentile interval (in the sweep's level unit)."""

    point: Bound
    low: Bound | None = None
    high: Bound | None = None

    def __str__(self) -> str:
        if self.low is None or self.high is None or self.low == self.high == self.point:
            return str(self.point)
        return f"{self.point} [{self.low}, {self.high}]"


@dataclass(frozen=True)
class LevelPoint:
    """One level of one side: its statistics (ms) and whether the objective held."""

    level: float
    n_requests: int
    stats_ms: dict[str, float]
    score: float  # max over objectives of statistic / limit: ≤ 1 meets them all

    @property
    def meets(self) -> bool:
        return self.score <= 1.0


@dataclass
class VariantCapacity:
    """One simulated variant's capacity beside the real one, and its verdict."""

    variant: str
    capacity: CapacityValue
    curve: list[LevelPoint]
    verdict: Outcome = INCONCLUSIVE
    error: float | None = None
    interval: tuple[float, float] | None = None
    advisory: bool = False
    note: str = ""
    attribution: str = ""


@dataclass
class SweepResult:
    """The capacity of one sweep, model, hardware and backend: real, and per variant."""

    sweep: str
    model: str
    hardware: str
    backend: str
    objective_ms: dict[str, float]
    tolerance: float
    real: CapacityValue
    real_curve: list[LevelPoint]
    variants: list[VariantCapacity] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.sweep} · {self.model} · {self.hardware} · {self.backend}"

    @property
    def levels(self) -> list[float]:
        return [p.level for p in self.real_curve]


def objective_text(objective: dict[str, float]) -> str:
    parts = []
    for (metric, q), limit in zip(objective_keys(objective), objective.values(), strict=True):
        parts.append(f"{metric.upper() if metric != 'queueing' else metric} p{q} ≤ {limit:g} ms")
    return " and ".join(parts)


# --- from artifacts to results ---------------------------------------------------------------


Curves = dict[str, dict[float, Artifact]]  # "real" or a variant → level → artifact


def sweep_groups(artifacts: Iterable[Artifact]) -> dict[tuple[str, str, str, str], Curves]:
    """The artifacts of sweep levels by (sweep, model, hardware, backend), then by side
    ("real" or the simulated variant) and level; a later artifact replaces an earlier one."""
    groups: dict[tuple[str, str, str, str], Curves] = {}
    for artifact in artifacts:
        meta = artifact.meta
        found = split_level(meta.workload_name)
        if found is None or (meta.kind == "real" and meta.variant != "default"):
            continue
        key = (found[0], meta.model, meta.hardware, meta.backend)
        side = "real" if meta.kind == "real" else meta.variant
        groups.setdefault(key, {}).setdefault(side, {})[found[1]] = artifact
    return groups


def judge_sweeps(artifacts: Iterable[Artifact], gate: GateConfig) -> list[SweepResult]:
    """Every sweep with at least two real levels, judged under ``gate``'s objective (none
    when the gate names no objective)."""
    if not gate.capacity_objective_ms:
        return []
    results = []
    for key, curves in sorted(sweep_groups(artifacts).items()):
        if len(curves.get("real", {})) >= 2 and len(curves) > 1:
            results.append(judge_sweep(key, curves, gate))
    return results


def judge_sweep(key: tuple[str, str, str, str], curves: Curves, gate: GateConfig) -> SweepResult:
    real = _Curve.of(curves["real"], gate, f"{key}:real")
    result = SweepResult(
        *key,
        objective_ms=dict(gate.capacity_objective_ms),
        tolerance=gate.capacity_rel_error,
        real=real.capacity(gate.confidence),
        real_curve=real.points,
    )
    for variant in sorted(v for v in curves if v != "real"):
        sim = _Curve.of(curves[variant], gate, f"{key}:{variant}")
        found = _judge_variant(real, sim, gate)
        found.variant, found.advisory = variant, gate.is_advisory(variant)
        if found.verdict != PASS and result.real.point.side == "crossed":
            found.attribution = attribution(curves["real"], curves[variant], real, gate)
        result.variants.append(found)
    return result


@dataclass
class _Curve:
    """One side's levels, scores and bootstrap scores (resample b of every level: column b)."""

    points: list[LevelPoint]
    samples: list[list[float]]

    @classmethod
    def of(cls, by_level: dict[float, Artifact], gate: GateConfig, seed_text: str) -> _Curve:
        points, samples = [], []
        for level in sorted(by_level):
            point, resampled = level_scores(by_level[level], level, gate, f"{seed_text}:{level}")
            points.append(point)
            samples.append(resampled)
        return cls(points, samples)

    @property
    def levels(self) -> list[float]:
        return [p.level for p in self.points]

    def capacity(self, confidence: float) -> CapacityValue:
        found = estimate_capacity(
            self.levels, [p.score for p in self.points], 1.0, self.samples, confidence
        )
        low, high = found.interval or (None, None)
        return CapacityValue(
            Bound.of(found.point), Bound.of(low) if low else None, Bound.of(high) if high else None
        )

    def resampled(self) -> list[Bound]:
        return [
            Bound.of(crossing(self.levels, list(column), 1.0))
            for column in zip(*self.samples, strict=True)
        ]


def level_scores(
    artifact: Artifact, level: float, gate: GateConfig, seed_text: str
) -> tuple[LevelPoint, list[float]]:
    """One level: its curve statistics, its score and the score of each bootstrap resample
    of its requests (deterministic: the seed is the level's key)."""
    import numpy as np

    from gst_compare.bootstrap import weighted_percentile

    objective = gate.capacity_objective_ms
    wanted = {**{k: None for k in CURVE_STATS}, **objective}
    stats = {}
    for key in wanted:
        metric, q = objective_keys({key: 0.0})[0]
        stats[key] = metrics.percentile(_values(artifact, metric), q)
    score = max(stats[k] / limit for k, limit in objective.items())
    n = len(artifact.requests)
    rng = np.random.default_rng(zlib.crc32(seed_text.encode()))
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=gate.bootstrap_resamples)
    resampled = np.zeros(gate.bootstrap_resamples)
    for (metric, q), limit in zip(objective_keys(objective), objective.values(), strict=True):
        values = np.asarray(_values(artifact, metric))
        resampled = np.maximum(resampled, weighted_percentile(weights, values, q) / limit)
    point = LevelPoint(level, n, stats, score)
    return point, [float(v) for v in resampled]


def _values(artifact: Artifact, metric: str) -> list[float]:
    """Per request, in the artifact's request order (the bootstrap draws requests)."""
    return [PER_REQUEST[metric](r) for r in artifact.requests]


def _judge_variant(real: _Curve, sim: _Curve, gate: GateConfig) -> VariantCapacity:
    capacity = sim.capacity(gate.confidence)
    found = VariantCapacity("", capacity, sim.points)
    point = error_span(real.capacity(gate.confidence).point, capacity.point)
    found.error = point[0] if point[0] == point[1] else None
    spans = [error_span(r, s) for r, s in zip(real.resampled(), sim.resampled(), strict=True)]
    tail = (1.0 - gate.confidence) / 2.0
    lows, highs = sorted(s[0] for s in spans), sorted(s[1] for s in spans)
    found.interval = (lows[_rank(tail, len(lows))], highs[_rank(1.0 - tail, len(highs))])
    few = min(p.n_requests for p in (*real.points, *sim.points))
    if few < gate.min_requests:
        found.note = f"{few} requests at a level (< min_requests {gate.min_requests})"
        return found
    found.verdict = interval_verdict(found.interval, gate.capacity_rel_error)
    found.note = _bound_note(real.points, sim.points, found)
    return found


def error_span(real: Bound, sim: Bound) -> tuple[float, float]:
    """The relative errors (sim − real) / real the two bounds allow (±inf where unbounded)."""
    real_low, real_high = real.span
    sim_low, sim_high = sim.span
    low = sim_low / real_high - 1.0 if math.isfinite(real_high) else -1.0
    high = sim_high / real_low - 1.0 if real_low > 0 else math.inf
    return low, high


def interval_verdict(interval: tuple[float, float], tolerance: float) -> Outcome:
    low, high = interval
    if -tolerance <= low and high <= tolerance:
        return PASS
    if high < -tolerance or low > tolerance:
        return FAIL
    return INCONCLUSIVE


def _rank(quantile: float, count: int) -> int:
    return min(count - 1, max(0, math.ceil(quantile * count) - 1))


def _bound_note(real: list[LevelPoint], sim: list[LevelPoint], found: VariantCapacity) -> str:
    """Why an undecided capacity is undecided, and the levels that would decide it."""
    if found.verdict != INCONCLUSIVE:
        return ""
    if all(p.meets for p in real) or all(p.meets for p in sim):
        side = "real" if all(p.meets for p in real) else "simulated"
        top = max(p.level for p in (real if side == "real" else sim))
        return f"the {side} capacity lies above the highest level ({top:g}): add higher levels"
    if not real[0].meets:
        return f"the real capacity lies below the lowest level ({real[0].level:g})"
    return "the interval reaches the tolerance: more requests per level would narrow it"


def attribution(
    real: dict[float, Artifact], sim: dict[float, Artifact], curve: _Curve, gate: GateConfig
) -> str:
    """Where a missed capacity comes from, at the first real level that fails the objective
    (else the highest): the mean queueing and the mean service time (prefill + decode: the
    step cost) of the same requests, sim against real."""
    failing = [p.level for p in curve.points if not p.meets]
    level = failing[0] if failing else max(real)
    if level not in sim:
        return ""
    ids = sorted(set(real[level].request_ids) & set(sim[level].request_ids))
    if not ids:
        return ""
    queue, service = (
        [_mean(side, ids, part) for side in (real[level], sim[level])]
        for part in (_queueing_ns, _service_ns)
    )
    service_error = service[1] / service[0] - 1.0 if service[0] else math.nan
    driver = (
        "step cost"
        if abs(service_error) >= gate.capacity_rel_error / 2
        else "queueing (the step cost is close)"
    )
    return (
        f"at {LEVEL_UNIT} {level:g}: mean queueing {_ms(queue[1] - queue[0])}, mean service "
        f"(prefill + decode) {service_error * 100:+.1f} %; {driver} drives it"
    )


def _queueing_ns(record) -> int:
    return record.scheduled_at_ns - record.arrived_at_ns


def _service_ns(record) -> int:
    return record.completed_at_ns - record.scheduled_at_ns


def _mean(artifact: Artifact, ids: Sequence[int], part) -> float:
    by_id = {r.id: r for r in artifact.requests}
    return fmean(part(by_id[i]) for i in ids) / NS_PER_MS


def _ms(value: float) -> str:
    value = value + 0.0  # no "-0 ms"
    return f"{value / 1000:+.2f} s" if abs(value) >= 1000 else f"{round(value) + 0:+d} ms"
