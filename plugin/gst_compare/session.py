"""The suite's per-pytest-session state, as a plain object that knows nothing of pytest."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from gst_compare import provenance
from gst_compare.artifacts import Artifact, write_atomic
from gst_compare.comparison import Recorder
from gst_compare.config import ConfigComposer, to_yaml
from gst_compare.floor import Floors
from gst_compare.gate import GateConfig
from gst_compare.store import ArtifactStore


@dataclass
class SuiteSession:
    """``rootdir`` is the project folder that relative paths in the configs refer to."""

    run_id: str
    rootdir: Path
    out_root: Path
    composer: ConfigComposer
    workload_names: list[str]
    is_controller: bool = True
    started_at: str = field(default_factory=provenance.utc_now)
    recorder: Recorder = field(default_factory=Recorder)
    args: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def store(self) -> ArtifactStore:
        return ArtifactStore(self.out_root, current_run=self.run_id)

    @property
    def run_dir(self) -> Path:
        return self.store.run_dir(self.run_id)

    @cached_property
    def gate(self) -> GateConfig:
        """The session's gate, parsed once (``GateConfigError`` when invalid)."""
        return GateConfig.from_dict(self.base_config().get("gate") or {})

    @cached_property
    def floors(self) -> Floors:
        """What measures the floors of pair keys (this session's store, then the gate's
        ``floor_stores`` relative to ``rootdir``); kept, so each file is read once."""
        return Floors(self.store, self.rootdir)

    def base_config(self) -> dict[str, Any]:
        return self.composer.compose()

    def compose(self, *overrides: str) -> dict[str, Any]:
        return self.composer.compose(*overrides)

    def open_run_dir(self) -> Path:
        """The run's folder, for something about to be written into it. The controller writes
        the manifest (``complete: false``) and the resolved config first, so a session that
        records nothing writes nothing and every run folder has its manifest."""
        if self.is_controller and not (self.run_dir / "manifest.json").exists():
            self._write_manifest()
        return self.run_dir

    def close(self) -> None:
        """Controller, at session end: a run folder that only workers wrote into gets its
        manifest too; the run is marked complete unless the session was interrupted, so an
        interrupted run's artifacts are never paired or served from the index."""
        if self.is_controller and self.run_dir.is_dir():
            self.open_run_dir()
            if not self.interrupted:
                self.store.mark_complete(self.run_id)

    def _write_manifest(self) -> None:
        self.store.write_manifest(
            self.run_id,
            {
                "run_id": self.run_id,
                "started_at": self.started_at,
                "complete": False,
                "args": self.args,
                "overrides": list(self.composer.base_overrides),
                "workloads": self.workload_names,
                "versions": provenance.versions(),
                "git_commit": provenance.git_commit(self.rootdir),
                "host": provenance.host(),
            },
        )
        write_atomic(self.run_dir / "config.yaml", to_yaml(self.base_config()))

    def save_artifact(self, artifact: Artifact) -> Path:
        self.open_run_dir()
        return self.store.save(artifact)
