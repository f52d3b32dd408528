"""The suite's per-pytest-session state, as a plain object that knows nothing of pytest."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plugin import provenance
from plugin.artifacts import Artifact, write_atomic
from plugin.comparison import Recorder
from plugin.config import ConfigComposer, to_yaml
from plugin.store import ArtifactStore


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

    @property
    def store(self) -> ArtifactStore:
        return ArtifactStore(self.out_root)

    @property
    def run_dir(self) -> Path:
        return self.store.run_dir(self.run_id)

    def base_config(self) -> dict[str, Any]:
        return self.composer.compose()

    def compose(self, *overrides: str) -> dict[str, Any]:
        return self.composer.compose(*overrides)

    def start(self, args: list[str]) -> None:
        """Write the run manifest and the resolved base config (controller only)."""
        self.store.write_manifest(
            self.run_id,
            {
                "run_id": self.run_id,
                "started_at": self.started_at,
                "args": args,
                "overrides": list(self.composer.base_overrides),
                "workloads": self.workload_names,
                "versions": provenance.versions(),
                "git_commit": provenance.git_commit(self.rootdir),
                "host": provenance.host(),
            },
        )
        write_atomic(self.run_dir / "config.yaml", to_yaml(self.base_config()))

    def save_artifact(self, artifact: Artifact) -> Path:
        return self.store.save(artifact)
