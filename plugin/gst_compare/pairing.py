"""Which real artifact is compared with which simulated one.

Artifacts are grouped by workload name, model, hardware and backend. Within a group a real
and a simulated artifact are a pair when their workload hashes and request ids agree; when they
do not, the pair is refused with the reason, never compared. A side this session did not run
(a rerun of one test id) is taken from the store's index: the latest artifact for the key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gst_compare.artifacts import Artifact, ArtifactError, RunMeta, load_artifact
from gst_compare.store import ArtifactStore, IndexEntry

SESSION, STORE = "session", "store"


@dataclass(frozen=True)
class Side:
    """One artifact taking part in a comparison, and where it came from."""

    artifact: Artifact
    path: Path
    source: str = SESSION
    test_id: str = ""
    gate_overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def meta(self) -> RunMeta:
        return self.artifact.meta


def group_key(meta: RunMeta) -> tuple[str, str, str, str]:
    return (meta.workload_name, meta.model, meta.hardware, meta.backend)


def describe(meta: RunMeta) -> str:
    return " · ".join(group_key(meta))


@dataclass(frozen=True)
class Pair:
    real: Side
    sim: Side

    @property
    def label(self) -> str:
        variant = f"sim={self.sim.meta.variant}"
        if self.real.meta.variant != "default":
            variant = f"real={self.real.meta.variant} {variant}"
        return f"{describe(self.real.meta)} · {variant}"

    @property
    def case_label(self) -> str:
        """The pair without its simulated variant: what the variants of one real run share."""
        real = self.real.meta
        variant = f" · real={real.variant}" if real.variant != "default" else ""
        return f"{describe(real)}{variant}"

    @property
    def test_ids(self) -> list[str]:
        return [s.test_id for s in (self.real, self.sim) if s.test_id]

    @property
    def gate_overrides(self) -> dict[str, Any]:
        """The real test's marker overrides, then the simulated test's (which win)."""
        return {**self.real.gate_overrides, **self.sim.gate_overrides}


@dataclass(frozen=True)
class Refusal(Pair):
    """A real and a simulated side that ran different requests: shown, never compared."""

    reason: str


@dataclass(frozen=True)
class Unpaired:
    side: Side
    hint: str

    @property
    def label(self) -> str:
        return f"{self.side.meta.kind} {describe(self.side.meta)} · {self.side.meta.variant}"


@dataclass
class Pairing:
    pairs: list[Pair] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    unpaired: list[Unpaired] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def refusal_reason(real: Artifact, sim: Artifact) -> str | None:
    """Why these two cannot be compared, or None when they ran the same requests."""
    if real.meta.workload_hash != sim.meta.workload_hash:
        return (
            f"workload hashes differ (real {real.meta.workload_hash[:12]}, "
            f"sim {sim.meta.workload_hash[:12]}): the workload changed between the runs"
        )
    real_ids, sim_ids = set(real.request_ids), set(sim.request_ids)
    if real_ids != sim_ids:
        only_real, only_sim = sorted(real_ids - sim_ids), sorted(sim_ids - real_ids)
        return (
            f"request ids differ: {len(only_real)} only in real {only_real[:5]}, "
            f"{len(only_sim)} only in sim {only_sim[:5]}"
        )
    return None


def latest_by_key(sides: Iterable[Side]) -> list[Side]:
    """One side per index key: the last one recorded (a repeated test replaces its result)."""
    chosen: dict[tuple[str, ...], Side] = {}
    for side in sides:
        chosen[side.meta.index_key] = side
    return list(chosen.values())


class Pairer:
    """Pairs this session's sides, completing a missing side from the store."""

    def __init__(self, store: ArtifactStore) -> None:
        self.store = store
        self.result = Pairing()

    def pair(self, sides: Iterable[Side]) -> Pairing:
        groups: dict[tuple[str, str, str, str], list[Side]] = {}
        for side in latest_by_key(sides):
            groups.setdefault(group_key(side.meta), []).append(side)
        for group in groups.values():
            self._pair_group(group)
        return self.result

    def _pair_group(self, group: list[Side]) -> None:
        reals = [s for s in group if s.meta.kind == "real"]
        sims = [s for s in group if s.meta.kind == "sim"]
        if not reals:
            reals = self._from_store("real", sims[0])
        elif not sims:
            sims = self._from_store("sim", reals[0])
        if not reals or not sims:
            for side in group:
                self.result.unpaired.append(Unpaired(side, self._hint(side)))
            return
        for real in reals:
            for sim in sims:
                self._add(real, sim)

    def _add(self, real: Side, sim: Side) -> None:
        reason = refusal_reason(real.artifact, sim.artifact)
        if reason is None:
            self.result.pairs.append(Pair(real, sim))
        else:
            self.result.refused.append(Refusal(real, sim, reason))

    def _from_store(self, kind: str, present: Side) -> list[Side]:
        """The latest stored artifacts of ``kind``: same pair key, else same workload name."""
        try:
            entries = self.store.entries(kind)
            found = self.store.latest(kind, present.meta.pair_key)
            found = found or self._same_workload_name(entries, present.meta)
        except (ArtifactError, OSError, ValueError, KeyError) as exc:
            self.result.notes.append(
                f"store {self.store.root}: cannot read the {kind} index ({exc}); delete "
                f"{self.store.root / 'index' / kind} and rerun the {kind} tests to rebuild it"
            )
            return []
        paths = {entry.key: entry.path for entry in entries}
        return [
            Side(a, paths.get(a.meta.index_key, self.store.root), STORE, a.meta.test_id)
            for a in found
        ]

    @staticmethod
    def _same_workload_name(entries: list[IndexEntry], meta: RunMeta) -> list[Artifact]:
        """Artifacts of another workload version, so the pair is refused rather than missed."""
        newest: dict[str, Artifact] = {}
        for entry in entries:
            if tuple(entry.key[2:5]) != (meta.model, meta.hardware, meta.backend):
                continue
            candidate = load_artifact(entry.path)
            if candidate.meta.workload_name != meta.workload_name:
                continue
            variant = candidate.meta.variant
            if variant not in newest or newest[variant].meta.started_at < candidate.meta.started_at:
                newest[variant] = candidate
        return list(newest.values())

    def _hint(self, side: Side) -> str:
        other = "sim" if side.meta.kind == "real" else "real"
        return (
            f"no {other} artifact for {describe(side.meta)} in this session or in the store "
            f"{self.store.root}; run the {other} test for workload {side.meta.workload_name!r} "
            f"(e.g. pytest -m {other} -k {side.meta.workload_name}) with the same --gst-out"
        )
