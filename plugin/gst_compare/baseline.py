"""Drift of the simulator: a simulated artifact against its committed baseline.

Baselines live in one folder (``reports/baselines/`` by default), one readable file per index key
(kind, workload hash, model, hardware, backend, variant). Only the request ids and timing fields
are compared, never the provenance (run id, start time, host change from run to run). The
simulator is deterministic, so the default tolerance is exact; drift either way is a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from gst_compare import metrics
from gst_compare.artifacts import Artifact, RequestRecord, dump_artifact, load_artifact
from gst_compare.pairing import describe
from gst_compare.store import safe_name


class DriftStatus(str, Enum):
    """A simulated artifact against its baseline (the value is what reports print)."""

    MATCH = "match"
    DRIFT = "drift"
    NO_BASELINE = "no baseline"
    ACCEPTED = "accepted"
    OTHER_INPUTS = "other inputs"

    def __str__(self) -> str:
        return self.value

    @property
    def is_judged(self) -> bool:
        """A baseline made from the same inputs was compared (or just written)."""
        return self in (DriftStatus.MATCH, DriftStatus.ACCEPTED)


# An artifact may declare, in ``meta.extra``, a digest of everything its result depends on
# besides the code under test (for a simulation: profile, lengths, scheduler, switches).
INPUTS_DIGEST = "inputs_digest"
TIMING_FIELDS: tuple[str, ...] = (
    "arrived_at_ns",
    "scheduled_at_ns",
    "first_token_at_ns",
    "completed_at_ns",
    "num_prompt_tokens",
    "num_decode_tokens_requested",
    "num_decode_tokens_actual",
)
SHOWN_DIFFERENCES = 5


@dataclass(frozen=True)
class DriftResult:
    label: str
    status: DriftStatus
    baseline: str
    test_id: str = ""
    differences: tuple[str, ...] = ()
    n_differences: int = 0
    required: bool = False
    # How far each metric moved (p50 and p90, in ms and %), when it drifted.
    shifts: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        """Drift fails; so does a missing or incomparable baseline where one is required."""
        return self.status == DriftStatus.DRIFT or (
            self.required and self.status in (DriftStatus.NO_BASELINE, DriftStatus.OTHER_INPUTS)
        )


@dataclass
class BaselineFolder:
    folder: Path
    written: list[Path] = field(default_factory=list)

    def path_for(self, artifact: Artifact) -> Path:
        meta = artifact.meta
        parts = (meta.workload_name, meta.model, meta.hardware, meta.backend, meta.variant)
        name = "__".join(safe_name(p) for p in parts)
        return self.folder / f"{name}__{meta.workload_hash[:10]}.json"

    def load(self, artifact: Artifact) -> Artifact | None:
        path = self.path_for(artifact)
        return load_artifact(path) if path.is_file() else None

    def accept(self, artifact: Artifact) -> Path:
        path = dump_artifact(artifact, self.path_for(artifact))
        self.written.append(path)
        return path


def request_differences(new: RequestRecord, base: RequestRecord, rel_tolerance: float) -> list[str]:
    found = []
    for name in TIMING_FIELDS:
        a, b = getattr(new, name), getattr(base, name)
        if not _close(a, b, rel_tolerance):
            found.append(f"request {new.id}: {name} {b} → {a} ({_delta(a, b)})")
    if (new.token_times_ns is None) != (base.token_times_ns is None):
        found.append(f"request {new.id}: token_times_ns present in only one of them")
    elif new.token_times_ns is not None and base.token_times_ns is not None:
        found.extend(_token_time_differences(new, base, rel_tolerance))
    return found


def _token_time_differences(
    new: RequestRecord, base: RequestRecord, rel_tolerance: float
) -> list[str]:
    new_times, base_times = new.token_times_ns or (), base.token_times_ns or ()
    if len(new_times) != len(base_times):
        return [f"request {new.id}: {len(base_times)} → {len(new_times)} token times"]
    pairs = zip(new_times, base_times, strict=True)
    if any(not _close(a, b, rel_tolerance) for a, b in pairs):
        return [f"request {new.id}: token_times_ns differ"]
    return []


def _close(a: int, b: int, rel_tolerance: float) -> bool:
    return a == b or abs(a - b) <= rel_tolerance * abs(b)


def _delta(a: int, b: int) -> str:
    return f"{(a - b) / abs(b):+.3%}" if b else f"{a - b:+d}"


def differences(new: Artifact, base: Artifact, rel_tolerance: float) -> list[str]:
    """Everything in ids and timings that moved beyond the tolerance, one line each."""
    new_ids, base_ids = set(new.request_ids), set(base.request_ids)
    if new_ids != base_ids:
        return [
            f"request ids differ: {len(new_ids - base_ids)} new {sorted(new_ids - base_ids)[:5]}, "
            f"{len(base_ids - new_ids)} gone {sorted(base_ids - new_ids)[:5]}"
        ]
    by_id = {r.id: r for r in base.requests}
    found = []
    for record in sorted(new.requests, key=lambda r: r.id):
        found.extend(request_differences(record, by_id[record.id], rel_tolerance))
    return found


def _inputs_differ(new: Artifact, base: Artifact) -> bool:
    new_digest, base_digest = new.meta.extra.get(INPUTS_DIGEST), base.meta.extra.get(INPUTS_DIGEST)
    return bool(new_digest and base_digest and new_digest != base_digest)


def check_drift(
    artifact: Artifact,
    folder: BaselineFolder,
    rel_tolerance: float,
    accept: bool,
    test_id: str = "",
    required: bool = False,
) -> DriftResult:
    label = f"{describe(artifact.meta)} · sim={artifact.meta.variant}"
    path = str(folder.path_for(artifact))
    if accept:
        folder.accept(artifact)
        return DriftResult(label, DriftStatus.ACCEPTED, path, test_id)
    baseline = folder.load(artifact)
    if baseline is None:
        return DriftResult(label, DriftStatus.NO_BASELINE, path, test_id, required=required)
    if _inputs_differ(artifact, baseline):
        note = "the baseline was made from other inputs (profile, lengths or settings): not drift"
        return DriftResult(
            label, DriftStatus.OTHER_INPUTS, path, test_id, (note,), required=required
        )
    found = differences(artifact, baseline, rel_tolerance)
    status = DriftStatus.DRIFT if found else DriftStatus.MATCH
    shown = tuple(found[:SHOWN_DIFFERENCES])
    shifts = metric_shifts(artifact, baseline) if found else ()
    return DriftResult(label, status, path, test_id, shown, len(found), required, shifts)


def metric_shifts(new: Artifact, base: Artifact) -> tuple[str, ...]:
    """Each metric percentile that moved: ``TPOT p50 95.20 → 98.10 ms (+2.90 ms, +3.0 %)``."""
    found = []
    for metric in metrics.METRICS:
        before, after = metrics.values(base, metric), metrics.values(new, metric)
        if not before or not after:
            continue
        for q in (50, 90):
            a, b = metrics.percentile(after, q), metrics.percentile(before, q)
            if a != b:
                rel = f", {(a - b) / b:+.1%}" if b else ""
                found.append(f"{metric} p{q} {b:.2f} → {a:.2f} ms ({a - b:+.2f} ms{rel})")
    return tuple(found)
