"""Where artifacts live on disk, and the index that finds the latest one for a key.

Layout under the store root (``tmp/`` by default)::

    runs/<run_id>/manifest.json              written once, never overwritten
    runs/<run_id>/config.yaml                the session's resolved base config
    runs/<run_id>/artifacts/<kind>/<name>.json
    index/<kind>/<key digest>.json           latest artifact for (kind, pair key, variant)

Each index entry is its own file replaced atomically, so concurrent xdist workers never
corrupt it; the last writer wins, which is the latest run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import tempfile
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


@dataclass(frozen=True)
class IndexEntry:
    key: tuple[str, ...]
    path: Path
    run_id: str
    test_id: str


class ArtifactStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

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

    def save(self, artifact: Artifact) -> Path:
        """Write the artifact under its run and point the index at it."""
        meta = artifact.meta
        name = safe_name(meta.test_id or "-".join(meta.index_key[1:]))
        path = self.run_dir(meta.run_id) / "artifacts" / meta.kind / f"{name}.json"
        dump_artifact(artifact, path)
        self._update_index(artifact, path)
        return path

    def _update_index(self, artifact: Artifact, path: Path) -> None:
        meta = artifact.meta
        entry = {
            "key": list(meta.index_key),
            "path": os.path.relpath(path, self.root),
            "run_id": meta.run_id,
            "test_id": meta.test_id,
            "started_at": meta.started_at,
        }
        index_path = self.root / "index" / meta.kind / f"{key_digest(meta.index_key)}.json"
        write_atomic(index_path, json.dumps(entry, indent=1, sort_keys=True) + "\n")

    def entries(self, kind: str) -> list[IndexEntry]:
        folder = self.root / "index" / kind
        found = []
        for file in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            data = json.loads(file.read_text(encoding="utf-8"))
            found.append(
                IndexEntry(
                    key=tuple(data["key"]),
                    path=self.root / data["path"],
                    run_id=data["run_id"],
                    test_id=data.get("test_id", ""),
                )
            )
        return found

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
