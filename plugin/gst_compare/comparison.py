"""End of a session: from the artifacts its tests recorded to a decided and written report.

:class:`Recorder` collects, per test id, the artifact paths that arrive on test reports (from
xdist workers too); :func:`compare_session` pairs, measures, judges, checks drift and writes.
Plain code: a script can call :func:`compare_session` with sides it loaded itself.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from statistics import fmean
from typing import Any

from gst_compare import metrics
from gst_compare.artifacts import Artifact, ArtifactError, load_artifact
from gst_compare.baseline import BaselineFolder, DriftResult, DriftStatus, check_drift
from gst_compare.distance import MetricDistance, compare_metric
from gst_compare.floor import Floor, Floors
from gst_compare.gate import FAIL, INCONCLUSIVE, PASS, GateConfig, Outcome, judge, pair_verdict
from gst_compare.metrics import NS_PER_MS
from gst_compare.pairing import SESSION, STORE, Pair, Pairer, Side, Unpaired, refusal_reason
from gst_compare.report import (
    ComparisonReport,
    Component,
    Finding,
    MedianView,
    PairResult,
    Roles,
    SideInfo,
    shown_path,
)
from gst_compare.report_folder import write
from gst_compare.store import ArtifactStore
from gst_compare.sweep import SweepResult, judge_sweeps, split_level

ARTIFACT_PROPERTY = "gst_artifact"
GATE_PROPERTY = "gst_gate"
JUDGED_PROPERTY = "gst_judged_pair"  # (real path, sim path) a fidelity test judged
PAIR_KEY_FIELDS = ("workload_hash", "model", "hardware", "backend")


@dataclass
class TestRecord:
    test_id: str
    paths: list[str] = field(default_factory=list)
    gate_overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class Recorder:
    """What this session's tests recorded, keyed by test id; filled on the controller.
    ``judged`` holds the stored pairs fidelity tests judged, so a session that only reruns
    fidelity tests still reports them."""

    tests: dict[str, TestRecord] = field(default_factory=dict)
    judged: dict[str, tuple[str, str]] = field(default_factory=dict)
    report: ComparisonReport | None = None

    def record(self, test_id: str, user_properties: Iterable[tuple[str, Any]]) -> None:
        properties = list(user_properties)
        for key, value in properties:
            if key == JUDGED_PROPERTY:
                self.judged[test_id] = (str(value[0]), str(value[1]))
        paths = [str(v) for k, v in properties if k == ARTIFACT_PROPERTY]
        if not paths:
            return
        record = self.tests.setdefault(test_id, TestRecord(test_id))
        record.paths.extend(p for p in paths if p not in record.paths)
        for key, value in properties:
            if key == GATE_PROPERTY:
                record.gate_overrides.update(value)

    def sides(self) -> tuple[list[Side], list[str]]:
        """Recorded artifacts in test-id order (stable under xdist); unreadable ones as errors.
        Pairs judged from the store come first, so this session's own sides replace them."""
        sides, errors = [], []
        for test_id, paths in sorted(self.judged.items()):
            for path in paths:
                try:
                    artifact = load_artifact(Path(path))
                except ArtifactError as exc:
                    errors.append(f"{test_id}: {exc}")
                    continue
                sides.append(Side(artifact, Path(path), STORE, artifact.meta.test_id))
        for record in sorted(self.tests.values(), key=lambda r: r.test_id):
            for path in record.paths:
                try:
                    artifact = load_artifact(Path(path))
                except ArtifactError as exc:
                    errors.append(f"{record.test_id}: {exc}")
                    continue
                sides.append(
                    Side(artifact, Path(path), SESSION, record.test_id, record.gate_overrides)
                )
        return sides, errors


@dataclass
class Settings:
    run_id: str
    store: ArtifactStore
    baselines: BaselineFolder
    reports_root: Path
    gate: GateConfig
    accept_baseline: bool = False
    plots: bool = True
    # Whose pairs get PNG figures: "roles" (the gate's primary and baseline variants) or "all".
    plots_for: str = "roles"
    command_args: list[str] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    # The project folder the gate's floor_stores are relative to (None: the current folder).
    rootdir: Path | None = None
    # What measures the floors (one made from ``store`` and ``rootdir`` when None).
    floors: Floors | None = None

    @property
    def report_dir(self) -> Path:
        return self.reports_root / self.run_id


def default_thresholds(gate: GateConfig, pair: Pair) -> dict[str, Any]:
    """The session's gate with the pair's ``gst_gate`` marker overrides applied."""
    return gate.with_overrides(pair.gate_overrides).to_dict()


def default_floor_command(pair: Pair, args: Iterable[str] = ()) -> str:
    """The command that runs a pair's real side again, so the store holds a second real run
    of its key: its test id with the options that see the same store ("" without one)."""
    return _pytest([pair.real.test_id, *args]) if pair.real.test_id else ""


@dataclass
class Extensions:
    """The plugin's extension hooks as plain callables (the pytest plugin wires its hooks in)."""

    thresholds: Callable[[Pair], dict[str, Any] | None] = lambda pair: None
    extra_distances: Callable[[Pair, str, list[float], list[float]], list[dict[str, float]]] = (
        lambda pair, metric, real, sim: []
    )
    adjust: Callable[[ComparisonReport], None] = lambda report: None
    floor_command: Callable[[Pair], str | None] = default_floor_command


def compare_session(
    sides: list[Side], settings: Settings, extensions: Extensions, errors: Iterable[str] = ()
) -> ComparisonReport:
    """Pair, measure, judge and check drift; write the report into ``settings.report_dir``."""
    report = ComparisonReport(
        run_id=settings.run_id, provenance=dict(settings.provenance), roles=Roles.of(settings.gate)
    )
    report.errors += list(errors)
    pairing = Pairer(settings.store).pair(sides)
    floors = settings.floors or Floors(settings.store, settings.rootdir)
    for pair in pairing.pairs:
        try:
            report.pairs.append(_judge_pair(pair, settings, extensions, floors))
        except Exception as exc:
            report.errors.append(f"{pair.label}: comparison failed: {type(exc).__name__}: {exc}")
    report.refused = [Finding(r.label, r.reason, tuple(r.test_ids)) for r in pairing.refused]
    try:
        report.sweeps = _sweeps(sides, settings)
    except Exception as exc:
        report.errors.append(f"load sweep: capacity failed: {type(exc).__name__}: {exc}")
    unpaired = _outside_sweeps(pairing.unpaired, report)
    report.unpaired = [Finding(u.label, u.hint, (u.side.test_id,)) for u in unpaired]
    report.notes += pairing.notes
    report.drift = _drift(sides, settings, report)
    report.provenance["artifacts"] = _artifact_provenance(pairing.pairs, sides, settings.report_dir)
    report.verdict = decide(report)
    report.rerun_command, report.accept_command = _commands(report, sides, settings.command_args)
    report.report_dir = str(settings.report_dir)
    extensions.adjust(report)
    try:
        write(report, settings.report_dir)
    except OSError as exc:
        report.errors.append(
            f"cannot write the report into {settings.report_dir}: {exc}; "
            "give a writable folder with --gst-report-dir"
        )
        report.verdict = decide(report)
    return report


def _sweeps(sides: list[Side], settings: Settings) -> list[SweepResult]:
    """The capacity of every load sweep among the sides (gst_compare.sweep), with figures."""
    sweeps = judge_sweeps((side.artifact for side in sides), settings.gate)
    if settings.plots:
        from gst_compare.sweep_plots import plot_sweep

        for sweep in sweeps:
            sweep.plots = [p.name for p in plot_sweep(sweep, settings.report_dir)]
    return sweeps


def _outside_sweeps(unpaired: list[Unpaired], report: ComparisonReport) -> list[Unpaired]:
    """Simulated-only levels of a judged sweep are expected to lack a real run: they draw
    the simulated curve, and are counted in a note instead of listed as unpaired."""
    judged = {(s.sweep, s.model, s.hardware, s.backend) for s in report.sweeps}
    kept = []
    for found in unpaired:
        meta, level = found.side.meta, split_level(found.side.meta.workload_name)
        key = (level[0], meta.model, meta.hardware, meta.backend) if level else None
        if meta.kind != "sim" or key not in judged:
            kept.append(found)
    if len(kept) < len(unpaired):
        report.notes.append(
            f"{len(unpaired) - len(kept)} simulation(s) of simulated-only sweep levels draw "
            "the simulated capacity curves (no real run to pair with)"
        )
    return kept


def decide(report: ComparisonReport) -> Outcome:
    """The session's verdict. FAIL: an error, a refused pair, drift, or an enforced pair that
    failed. INCONCLUSIVE: an enforced pair could not be decided, or nothing was judged. PASS:
    every enforced pair passed (or, with only advisory pairs, every drift check matched)."""
    if report.errors or report.refused or any(d.failed for d in report.drift):
        return FAIL
    enforced = [p.verdict for p in report.pairs if not p.advisory]
    enforced += [v.verdict for s in report.sweeps for v in s.variants if not v.advisory]
    if FAIL in enforced:
        return FAIL
    if INCONCLUSIVE in enforced:
        return INCONCLUSIVE
    advisory_passed = not enforced and any(p.verdict == PASS for p in report.pairs)
    judged = PASS in enforced or advisory_passed or any(d.status.is_judged for d in report.drift)
    return PASS if judged else INCONCLUSIVE


def judge_pair(
    pair: Pair,
    gate: GateConfig,
    extensions: Extensions,
    report_dir: Path | None = None,
    floors: Floors | None = None,
) -> PairResult:
    """Distances and verdicts of one pair under ``gate``, each check's interval widened by
    the floor of the pair's key that ``floors`` measures (no files written)."""
    distances = [_distance(pair, m, gate, extensions) for m in metrics.METRICS]
    floor = _floor(pair, gate, extensions, floors)
    verdicts = [judge(d, gate, floor.of(d.metric)) for d in distances]
    return PairResult(
        label=pair.label,
        key=dict(zip(PAIR_KEY_FIELDS, pair.real.meta.pair_key, strict=True)),
        real=_side_info(pair.real, report_dir),
        sim=_side_info(pair.sim, report_dir),
        gate=gate.to_dict(),
        verdict=pair_verdict(verdicts),
        distances=distances,
        verdicts=verdicts,
        advisory=gate.is_advisory(pair.sim.meta.variant),
        workload=pair.real.meta.workload_name,
        e2e_parts=e2e_parts(pair.real.artifact, pair.sim.artifact),
        medians=median_views(pair.real.artifact, pair.sim.artifact),
        floor=floor,
        case=pair.case_label,
    )


def _floor(pair: Pair, gate: GateConfig, extensions: Extensions, floors: Floors | None) -> Floor:
    if floors is None:
        return Floor(note="not looked for")
    floor = floors.measure(pair.real.artifact, gate)
    if floor.measured:
        return floor
    return replace(floor, command=extensions.floor_command(pair) or "")


def pair_gate(pair: Pair, gate: GateConfig, extensions: Extensions) -> GateConfig:
    """The gate a pair is judged with: a ``pytest_gst_gate_thresholds`` hook's, else the
    session's with the pair's ``gst_gate`` marker overrides."""
    return GateConfig.from_dict(extensions.thresholds(pair) or default_thresholds(gate, pair))


def stored_pair(store: ArtifactStore, pair_key: tuple[str, ...], variant: str) -> Pair | str:
    """The latest stored real run and ``variant`` simulation of a pair key, or why not."""
    found = {}
    for kind, wanted in (("real", "default"), ("sim", variant)):
        entry = store.entry(kind, pair_key, wanted)
        if entry is None:
            return f"no {kind} artifact for this pair in the store {store.root}"
        found[kind] = Side(load_artifact(entry.path), entry.path, STORE, entry.test_id)
    reason = refusal_reason(found["real"].artifact, found["sim"].artifact)
    return Pair(found["real"], found["sim"]) if reason is None else f"not comparable: {reason}"


def stored_pairs(store: ArtifactStore, variant: str) -> Iterator[Pair]:
    """Every stored real run with its latest comparable ``variant`` simulation
    (:func:`stored_pair`); real runs without one are left out."""
    for entry in store.entries("real"):
        pair = stored_pair(store, tuple(entry.key[1:5]), variant)
        if not isinstance(pair, str):
            yield pair


def stored_drift(
    store: ArtifactStore,
    baselines: BaselineFolder,
    pair_key: tuple[str, ...],
    variant: str,
    gate: GateConfig,
) -> DriftResult | str:
    """The latest stored ``variant`` simulation of a pair key against its baseline (baseline
    path as a user types it), or why there is nothing to compare."""
    entry = store.entry("sim", pair_key, variant)
    if entry is None:
        return "no simulated artifact for this pair in the store: run its test_sim first"
    result = check_drift(
        load_artifact(entry.path),
        baselines,
        gate.drift_rel_tolerance,
        accept=False,
        required=gate.drift_require_baseline,
    )
    return replace(result, baseline=shown_path(result.baseline))


def _judge_pair(
    pair: Pair, settings: Settings, extensions: Extensions, floors: Floors
) -> PairResult:
    gate = pair_gate(pair, settings.gate, extensions)
    result = judge_pair(pair, gate, extensions, settings.report_dir, floors)
    drawn = settings.plots_for == "all" or pair.sim.artifact.meta.variant in (
        gate.primary_variant,
        gate.baseline_variant,
    )
    if settings.plots and drawn:
        from gst_compare.plots import plot_pair

        paths = plot_pair(
            pair.real.artifact,
            pair.sim.artifact,
            settings.report_dir,
            pair.label,
            tolerances(gate),
            gate.absolute_metrics,
        )
        result.plots = [p.name for p in paths]
    return result


def _distance(pair: Pair, metric: str, gate: GateConfig, extensions: Extensions) -> MetricDistance:
    real, sim = pair.real.artifact, pair.sim.artifact
    distance = compare_metric(metric, real, sim, gate.confidence, gate.bootstrap_resamples)
    if not distance.available:
        return distance
    extra: dict[str, float] = {}
    for found in extensions.extra_distances(
        pair, metric, metrics.values(real, metric), metrics.values(sim, metric)
    ):
        extra.update(found or {})
    return replace(distance, extra=extra)


def tolerances(gate: GateConfig) -> dict[str, dict[str, tuple[float, str]]]:
    """Each gated metric's percentile tolerances as (limit, "rel" | "ms"), for the figures."""
    found = {}
    for metric in gate.metrics:
        limits, unit = gate.percentile_limits(metric)
        found[metric] = {k: (v, unit) for k, v in limits.items()}
    return found


def e2e_parts(real: Artifact, sim: Artifact) -> list[Component]:
    """Mean E2E of the requests both sides ran, and its additive parts: queueing, prefill
    (scheduled to first token) and decode (first token to completion)."""
    ids = sorted(set(real.request_ids) & set(sim.request_ids))
    if not ids:
        return []
    parts = {
        "e2e": lambda r: r.completed_at_ns - r.arrived_at_ns,
        "queueing": lambda r: r.scheduled_at_ns - r.arrived_at_ns,
        "prefill": lambda r: r.first_token_at_ns - r.scheduled_at_ns,
        "decode": lambda r: r.completed_at_ns - r.first_token_at_ns,
    }
    by_id = ({r.id: r for r in real.requests}, {r.id: r for r in sim.requests})
    return [
        Component(name, *(fmean(part(side[i]) for i in ids) / NS_PER_MS for side in by_id))
        for name, part in parts.items()
    ]


MEDIAN_VIEW_METRICS = ("ttft", "tpot", "e2e")


def median_views(real: Artifact, sim: Artifact) -> list[MedianView]:
    """The four sorted values around the median of TTFT, TPOT and E2E on both sides (ms)."""
    found = []
    for metric in MEDIAN_VIEW_METRICS:
        sides = [sorted(metrics.values(artifact, metric)) for artifact in (real, sim)]
        if min(len(values) for values in sides) < 4:
            continue
        real_ms, sim_ms = (tuple(around_median(values)) for values in sides)
        found.append(MedianView(metric, real_ms, sim_ms))
    return found


def around_median(ordered: list[float]) -> list[float]:
    """Four values of ``ordered`` (at least 4) around its median: two below and two above it
    (n even), or one below, the median and two above (n odd)."""
    k = (len(ordered) - 1) // 2
    start = min(max(k - 1, 0), len(ordered) - 4)
    return ordered[start : start + 4]


def noise_flags(pair: Pair) -> str:
    """Why either side's timings may be polluted, in one line ("" when nothing was seen);
    information for a reader, never a veto on a verdict."""
    flags = [f"{s.meta.kind}: {flag}" for s in (pair.real, pair.sim) for flag in s.meta.noise_flags]
    return "; ".join(flags)


def _side_info(side: Side, report_dir: Path | None) -> SideInfo:
    meta = side.meta
    return SideInfo(
        kind=meta.kind,
        source=side.source,
        test_id=side.test_id,
        run_id=meta.run_id,
        path=os.path.relpath(side.path, report_dir) if report_dir else str(side.path),
        variant=meta.variant,
        device_name=meta.device_name,
        n_requests=len(side.artifact.requests),
        git_commit=meta.git_commit,
        noise_flags=tuple(meta.noise_flags),
    )


def _drift(sides: list[Side], settings: Settings, report: ComparisonReport) -> list[DriftResult]:
    results = []
    for side in sides:
        if side.meta.kind != "sim" or side.source != SESSION:
            continue
        try:
            gate = settings.gate.with_overrides(side.gate_overrides)
            found = check_drift(
                side.artifact,
                settings.baselines,
                gate.drift_rel_tolerance,
                settings.accept_baseline,
                side.test_id,
                required=gate.drift_require_baseline,
            )
            results.append(replace(found, baseline=shown_path(found.baseline)))
        except Exception as exc:
            report.errors.append(f"{side.test_id}: drift check failed: {type(exc).__name__}: {exc}")
    return results


def _artifact_provenance(
    pairs: list[Pair], sides: list[Side], report_dir: Path
) -> list[dict[str, Any]]:
    used = {id(s.artifact): s for s in sides}
    used.update({id(s.artifact): s for p in pairs for s in (p.real, p.sim)})
    return [
        {
            "kind": s.meta.kind,
            "variant": s.meta.variant,
            "source": s.source,
            "test_id": s.test_id,
            "run_id": s.meta.run_id,
            "hardware": s.meta.hardware,
            "device_name": s.meta.device_name,
            "git_commit": s.meta.git_commit,
            "host": s.meta.host,
            "versions": s.meta.versions,
            "config": s.meta.config,
            "path": os.path.relpath(s.path, report_dir),
        }
        for s in used.values()
    ]


def _commands(report: ComparisonReport, sides: list[Side], args: list[str]) -> tuple[str, str]:
    failed = [
        t
        for p in report.pairs
        if p.verdict == FAIL and not p.advisory
        for t in (p.real.test_id, p.sim.test_id)
    ]
    failed += [t for f in report.refused for t in f.test_ids]
    failed += [d.test_id for d in report.drift if d.failed]
    rerun = _unique(failed) or _unique(s.test_id for s in sides)
    to_accept = _unique(
        d.test_id for d in report.drift if d.status in (DriftStatus.DRIFT, DriftStatus.NO_BASELINE)
    )
    accept = _pytest([*to_accept, *args, "--gst-accept-baseline"]) if to_accept else ""
    return _pytest([*rerun, *args]), accept


def _unique(ids: Iterable[str]) -> list[str]:
    return [i for i in dict.fromkeys(ids) if i]


def _pytest(args: list[str]) -> str:
    return " ".join(["pytest", *(shlex.quote(a) for a in args)])
