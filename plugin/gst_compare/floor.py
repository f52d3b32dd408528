"""The floor: how far the real system is from itself.

Two real runs of one pair key (workload hash, model, hardware, backend) are compared by the
same code that compares a simulation with a real run: the older run takes the place of the
real side, the newer the place of the simulated side. The magnitude of each check's point
error is the floor of that check; a simulation's interval is widened by it before the gate
decides (:func:`gst_compare.gate.judge`), so no simulator is asked to be closer to a real run
than a second real run is.

The two runs are the latest two with different run ids in one store: the session's store when
it holds two, else the first of the stores named by ``gate.floor_stores`` that does. Runs of
two stores are never paired: another session may have run on another machine or another day,
and the distance between them would be that, not the noise of this one.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from gst_compare.artifacts import Artifact, ArtifactError, load_artifact
from gst_compare.distance import MetricDistance, compare_metric
from gst_compare.gate import GateConfig, judge
from gst_compare.pairing import refusal_reason
from gst_compare.store import ArtifactStore, IndexEntry, read_artifact_entry


@dataclass(frozen=True)
class Floor:
    """The floor of one pair key: per metric, per check, the |error| of the newer real run
    against the older. ``measured`` is False when no second real run was found (``note`` says
    why; ``command`` is what would measure it)."""

    measured: bool = False
    real_run: str = ""
    real_store: str = ""
    sim_run: str = ""
    sim_store: str = ""
    values: dict[str, dict[str, float]] = field(default_factory=dict)
    note: str = ""
    command: str = ""

    @property
    def source(self) -> str:
        """Where the floor came from, in a few words."""
        if not self.measured:
            return "not measured"
        stores = dict.fromkeys((self.real_store, self.sim_store))
        return f"real run {self.real_run} against {self.sim_run} ({', '.join(stores)})"

    def of(self, metric: str) -> dict[str, float]:
        """The floors of ``metric``'s checks, by check name (empty when not measured)."""
        return self.values.get(metric, {})


@dataclass(frozen=True)
class _Found:
    entry: IndexEntry
    store: ArtifactStore


class Floors:
    """Finds and measures floors. Each artifact file is read once (again when it changed) and
    each pair of runs measured once, so one object can serve a whole session."""

    def __init__(self, store: ArtifactStore, rootdir: Path | None = None) -> None:
        self.store = store
        self.rootdir = Path(rootdir) if rootdir is not None else Path.cwd()
        self._entries: dict[tuple[Path, int], IndexEntry | None] = {}
        self._distances: dict[tuple, list[MetricDistance] | str] = {}

    def measure(self, real: Artifact, gate: GateConfig) -> Floor:
        """The floor of ``real``'s pair key (and variant) under ``gate``."""
        stores = self._stores(gate)
        two, seen = self._latest_two(real.meta.index_key, stores)
        if not two:
            return Floor(note=self._why_not(seen, stores))
        older, newer = sorted(two, key=lambda f: (f.entry.started_at, f.entry.run_id))
        distances = self._measured(older, newer, gate)
        if isinstance(distances, str):
            return Floor(note=distances)
        return Floor(
            measured=True,
            real_run=older.entry.run_id,
            real_store=self._shown(older.store.root),
            sim_run=newer.entry.run_id,
            sim_store=self._shown(newer.store.root),
            values={d.metric: _check_floors(d, gate) for d in distances},
        )

    def _stores(self, gate: GateConfig) -> list[ArtifactStore]:
        """The session's store, then the gate's ``floor_stores`` (relative to ``rootdir``)."""
        folders = [Path(folder) for folder in gate.floor_stores]
        return [self.store, *(ArtifactStore(self.rootdir / folder) for folder in folders)]

    def _latest_two(
        self, index_key: tuple[str, ...], stores: list[ArtifactStore]
    ) -> tuple[list[_Found], list[_Found]]:
        """The latest two runs of ``index_key`` in the first store that holds two (empty when
        none does), and the runs seen (at most one per store, one run id counted once). Runs of
        two stores are never paired: another session may have run on another machine, and its
        distance is not this one's noise."""
        seen: dict[str, _Found] = {}
        for store in stores:
            chosen: dict[str, _Found] = {}
            for entry in self._history(store):
                if entry.key == index_key and entry.run_id not in chosen:
                    chosen[entry.run_id] = _Found(entry, store)
                if len(chosen) == 2:
                    return list(chosen.values()), []
            seen.update({k: v for k, v in chosen.items() if k not in seen})
        return [], list(seen.values())

    def _history(self, store: ArtifactStore) -> list[IndexEntry]:
        return store.history("real", read=self._entry)

    def _entry(self, path: Path) -> IndexEntry | None:
        key = (path.resolve(), _stamp(path))
        if key not in self._entries:
            self._entries[key] = read_artifact_entry(path)
        return self._entries[key]

    def _measured(
        self, older: _Found, newer: _Found, gate: GateConfig
    ) -> list[MetricDistance] | str:
        paths = (older.entry.path, newer.entry.path)
        key = (*paths, *map(_stamp, paths), gate.metrics, gate.confidence)
        key += (gate.bootstrap_resamples,)
        if key not in self._distances:
            self._distances[key] = _distances(older.entry.path, newer.entry.path, gate)
        return self._distances[key]

    def _why_not(self, found: list[_Found], stores: list[ArtifactStore]) -> str:
        searched = dict.fromkeys(self._shown(store.root) for store in stores)
        missing = [self._shown(s.root) for s in stores[1:] if not s.root.is_dir()]
        text = (
            f"{'one real run' if found else 'no real run'} of this pair key in "
            f"{', '.join(searched)}: a second real run in the same store measures it"
        )
        if len(found) > 1:
            text = (
                f"one real run of this pair key in each of {', '.join(searched)}: runs of two "
                "stores are never paired (another session may be another machine); a second "
                "real run in the same store measures it"
            )
        if missing:
            text += f" (floor store(s) {missing} do not exist)"
        return text

    def _shown(self, root: Path) -> str:
        relative = os.path.relpath(root.resolve(), self.rootdir.resolve())
        return str(root) if relative.startswith("..") else relative


def _stamp(path: Path) -> int:
    """When ``path`` last changed (0 when it is gone): a file rewritten is read again."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def _distances(older: Path, newer: Path, gate: GateConfig) -> list[MetricDistance] | str:
    try:
        real, sim = load_artifact(older), load_artifact(newer)
    except ArtifactError as exc:
        return f"a real run of this pair key cannot be read: {exc}"
    reason = refusal_reason(real, sim)
    if reason is not None:
        return f"the two latest real runs are not comparable: {reason}"
    return [
        compare_metric(metric, real, sim, gate.confidence, gate.bootstrap_resamples)
        for metric in gate.metrics
    ]


def _check_floors(distance: MetricDistance, gate: GateConfig) -> dict[str, float]:
    """|point error| of each check of ``distance`` (same checks the gate judges)."""
    verdict = judge(distance, gate)
    return {
        check.name: abs(check.value)
        for check in verdict.checks
        if check.value is not None and math.isfinite(check.value)
    }
