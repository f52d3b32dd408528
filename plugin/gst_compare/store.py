"""Where artifacts live on disk, and the index that finds the latest one for a key.

Layout under the store root (``tmp/`` by default)::

    runs/<run_id>/manifest.json              written once, never overwritten
    runs/<run_id>/COMPLETE                   written when the session ended normally
    runs/<run_id>/config.yaml                the session's resolved base config
    runs/<run_id>/artifacts/<kind>/<name>.json
    runs/<run_id>/summaries/<kind>/<name>.json  the run's flat summary (vLLM's metric names)
    index/<kind>/<key digest>.json           latest artifact for (kind, pair key, variant)

Each index entry is its own file replaced atomically, so concurrent xdist workers never
corrupt it; the last writer wins, which is the latest run.

A run whose manifest says ``complete: false`` and that has no ``COMPLETE`` marker was
interrupted (Ctrl-C, a crash): its artifacts are never served from the index, whose entries
then fall back to the latest complete run. An index entry that cannot be read, or whose
artifact is gone, is rebuilt from ``runs/`` (the entry's file name is its key's digest).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gst_compare.artifacts import (
    Artifact,
    ArtifactError,
    dump_artifact,
    load_artifact,
    write_atomic,
)
from gst_compare.summary import write_summary


def new_run_id(now: datetime | None = None) -> str:
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def safe_name(text: str) -> str:
    """A file-name-safe rendering of a test id or key."""
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text).strip("_") or "unnamed"


def plain_test_id(nodeid: str) -> str:
    """The test id without the ``@group`` suffix xdist's ``--dist loadgroup`` adds, so reruns
    and stored artifacts name the test as a user types it."""
    return re.sub(r"@[^@\[\]/:]+$", "", nodeid)


def key_digest(key: tuple[str, ...]) -> str:
    return hashlib.sha256("\x1f".join(key).encode()).hexdigest()[:20]


COMPLETE_MARKER = "COMPLETE"


@dataclass(frozen=True)
class IndexEntry:
    key: tuple[str, ...]
    path: Path
    run_id: str
    test_id: str
    started_at: str = ""


def store_root_of(artifact_path: Path) -> Path:
    """The store root an artifact saved by :meth:`ArtifactStore.save` lives under
    (``<root>/runs/<run_id>/artifacts/<kind>/<name>.json``)."""
    return Path(artifact_path).resolve().parents[4]


class ArtifactStore:
    """``current_run``: the run this process writes, usable before it is marked complete."""

    def __init__(self, root: Path, current_run: str | None = None) -> None:
        self.root = Path(root)
        self.current_run = current_run

    def run_dir(self, run_id: str) -> Path:
        return self.root / "runs" / run_id

    def write_manifest(self, run_id: str, manifest: dict[str, Any]) -> Path:
        """Create the run's manifest; an existing manifest is never replaced."""
        path = self.run_dir(run_id) / "manifest.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".manifest.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=1, sort_keys=True, default=str)
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise ArtifactError(
                f"{path} exists: run manifests are never overwritten; start a new run "
                "(each pytest session gets a fresh run id)"
            ) from None
        finally:
            os.unlink(tmp)
        return path

    def mark_complete(self, run_id: str) -> None:
        write_atomic(self.run_dir(run_id) / COMPLETE_MARKER, "the session ended normally\n")

    def is_complete(self, run_id: str) -> bool:
        """False only for a run marked ``complete: false`` that never finished; runs written
        by plain scripts (no manifest) and before the marker existed count as complete."""
        run = self.run_dir(run_id)
        if run_id == self.current_run or (run / COMPLETE_MARKER).exists():
            return True
        try:
            manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return True
        return not (isinstance(manifest, dict) and manifest.get("complete") is False)

    def save(self, artifact: Artifact) -> Path:
        """Write the artifact under its run and point the index at it."""
        meta = artifact.meta
        name = safe_name(meta.test_id or "-".join(meta.index_key[1:]))
        path = self.run_dir(meta.run_id) / "artifacts" / meta.kind / f"{name}.json"
        dump_artifact(artifact, path)
        summary = self.run_dir(meta.run_id) / "summaries" / meta.kind / f"{name}.json"
        write_summary(artifact, summary)
        self._update_index(artifact, path)
        return path

    def _update_index(self, artifact: Artifact, path: Path) -> None:
        meta = artifact.meta
        entry = IndexEntry(meta.index_key, path, meta.run_id, meta.test_id, meta.started_at)
        index_path = self.root / "index" / meta.kind / f"{key_digest(meta.index_key)}.json"
        write_atomic(index_path, _entry_json(entry, self.root))

    def entries(self, kind: str) -> list[IndexEntry]:
        """One usable entry per key: damaged entries repaired from ``runs/``, entries of an
        interrupted run replaced by the latest complete run's (or dropped)."""
        folder = self.root / "index" / kind
        files = sorted(folder.glob("*.json")) if folder.is_dir() else []
        found = {file.stem: _read_entry(self.root, file) for file in files}
        unusable = [stem for stem, e in found.items() if e is None or not self._usable(e)]
        if unusable:
            rebuilt = self.rebuild(kind)
            for stem in unusable:
                found[stem] = self._replace(folder / f"{stem}.json", found[stem], rebuilt)
        return [entry for entry in found.values() if entry is not None]

    def entry(self, kind: str, pair_key: tuple[str, ...], variant: str) -> IndexEntry | None:
        """The usable index entry of one pair key and variant, if any."""
        wanted = (*pair_key, variant)
        return next((e for e in self.entries(kind) if tuple(e.key[1:]) == wanted), None)

    def _usable(self, entry: IndexEntry) -> bool:
        return entry.path.is_file() and self.is_complete(entry.run_id)

    def _replace(
        self, file: Path, entry: IndexEntry | None, rebuilt: dict[str, IndexEntry]
    ) -> IndexEntry | None:
        replacement = rebuilt.get(file.stem)
        if entry is not None and entry.path.is_file():
            return replacement  # an interrupted run's entry: skipped, left for it to rewrite
        if replacement is None:
            what = "is truncated or corrupt" if entry is None else f"points at missing {entry.path}"
            raise ArtifactError(
                f"store index entry {file} {what} and no complete run under "
                f"{self.root / 'runs'} holds an artifact for its key; delete it (rm {file}) "
                "and rerun the test that writes it"
            )
        write_atomic(file, _entry_json(replacement, self.root))
        return replacement

    def rebuild(self, kind: str) -> dict[str, IndexEntry]:
        """The latest complete artifact of ``kind`` per key, by key digest, read from ``runs/``."""
        latest: dict[str, IndexEntry] = {}
        for entry in self.history(kind):
            latest.setdefault(key_digest(entry.key), entry)
        return latest

    def history(
        self, kind: str, read: Callable[[Path], IndexEntry | None] | None = None
    ) -> list[IndexEntry]:
        """Every readable artifact of ``kind`` in complete runs, newest first (by start time,
        then run id). ``read`` reads one file's entry (default :func:`read_artifact_entry`;
        a caller that asks again may pass one that remembers)."""
        read = read or read_artifact_entry
        found = [read(path) for path in sorted(self.root.glob(f"runs/*/artifacts/{kind}/*.json"))]
        usable = [e for e in found if e is not None and self.is_complete(e.run_id)]
        return sorted(usable, key=lambda e: (e.started_at, e.run_id), reverse=True)

    def latest(
        self, kind: str, pair_key: tuple[str, ...], variant: str | None = None
    ) -> list[Artifact]:
        """Latest artifacts of ``kind`` for a pair key, one per variant (or just ``variant``)."""
        chosen = []
        for entry in self.entries(kind):
            if tuple(entry.key[1:5]) != tuple(pair_key):
                continue
            if variant is not None and entry.key[5] != variant:
                continue
            chosen.append(load_artifact(entry.path))
        return chosen


def read_artifact_entry(path: Path) -> IndexEntry | None:
    """The index entry of the artifact at ``path``, or None when it cannot be read."""
    try:
        meta = load_artifact(path).meta
    except ArtifactError:
        return None
    return IndexEntry(meta.index_key, path, meta.run_id, meta.test_id, meta.started_at)


def _entry_json(entry: IndexEntry, root: Path) -> str:
    data = {
        "key": list(entry.key),
        "path": os.path.relpath(entry.path, root),
        "run_id": entry.run_id,
        "test_id": entry.test_id,
        "started_at": entry.started_at,
    }
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def _read_entry(root: Path, file: Path) -> IndexEntry | None:
    """The entry in ``file``, or None when it is truncated, corrupt or lacks a field."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        return IndexEntry(
            key=tuple(data["key"]),
            path=root / data["path"],
            run_id=data["run_id"],
            test_id=data.get("test_id", ""),
            started_at=data.get("started_at", ""),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
