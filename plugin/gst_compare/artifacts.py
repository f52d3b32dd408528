"""The one metric-artifact schema shared by real and simulated runs.

An artifact is one run of one workload on one side (``real`` or ``sim``): a header of
provenance (:class:`RunMeta`) and one :class:`RequestRecord` per request, all times in
integer nanoseconds relative to the run's start. Nothing here knows about torch or Vidur.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from itertools import pairwise
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
ARTIFACT_FORMAT = "gpu-simulate-test/artifact"

KINDS: tuple[str, ...] = ("real", "sim")


class ArtifactError(ValueError):
    """An artifact file that cannot be read as this schema."""


@dataclass(frozen=True)
class RequestRecord:
    """One request's timeline. ``token_times_ns`` holds one stamp per output token, if known."""

    id: int
    arrived_at_ns: int
    scheduled_at_ns: int
    first_token_at_ns: int
    completed_at_ns: int
    num_prompt_tokens: int
    num_decode_tokens_requested: int
    num_decode_tokens_actual: int
    token_times_ns: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        stamps = (self.arrived_at_ns, self.scheduled_at_ns, self.first_token_at_ns)
        for name in ("arrived_at_ns", "scheduled_at_ns", "first_token_at_ns", "completed_at_ns"):
            if not isinstance(getattr(self, name), int):
                raise ArtifactError(f"request {self.id}: {name} must be an integer of nanoseconds")
        if not stamps[0] <= stamps[1] <= stamps[2] <= self.completed_at_ns:
            raise ArtifactError(
                f"request {self.id}: timestamps must satisfy arrived <= scheduled <= first token "
                f"<= completed, got {(*stamps, self.completed_at_ns)}"
            )
        if self.token_times_ns is not None:
            times = self.token_times_ns
            if any(b < a for a, b in pairwise(times)):
                raise ArtifactError(f"request {self.id}: token_times_ns must be non-decreasing")


@dataclass(frozen=True)
class RunMeta:
    """Provenance of one run; ``variant`` tells apart runs of one side with different settings."""

    kind: str
    backend: str
    hardware: str
    device_name: str
    model: str
    dtype: str
    weights: str
    workload_name: str
    workload_hash: str
    run_id: str
    started_at: str
    variant: str = "default"
    config: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    git_commit: str = "unknown"
    host: str = "unknown"
    test_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # Why this run's timings may be polluted (other load, a noisy profile), one line each;
    # empty when nothing was seen. Reported once per run beside the verdict, never a veto.
    noise_flags: list[str] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ArtifactError(f"kind must be one of {KINDS}, got {self.kind!r}")

    @property
    def pair_key(self) -> tuple[str, str, str, str]:
        """What a real run and a simulated run must share to be compared."""
        return (self.workload_hash, self.model, self.hardware, self.backend)

    @property
    def index_key(self) -> tuple[str, ...]:
        return (self.kind, *self.pair_key, self.variant)


@dataclass(frozen=True)
class Artifact:
    meta: RunMeta
    requests: tuple[RequestRecord, ...]

    @property
    def request_ids(self) -> tuple[int, ...]:
        return tuple(r.id for r in self.requests)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": ARTIFACT_FORMAT,
            "schema_version": SCHEMA_VERSION,
            "meta": asdict(self.meta),
            "requests": [_request_to_dict(r) for r in self.requests],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<memory>") -> Artifact:
        if data.get("format") != ARTIFACT_FORMAT:
            raise ArtifactError(f"{source}: not a gpu-simulate-test artifact")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ArtifactError(
                f"{source}: artifact schema version {version!r}, this suite reads "
                f"{SCHEMA_VERSION}; regenerate it by rerunning the test that wrote it "
                f"(its test id is in the file's meta.test_id)"
            )
        try:
            meta = RunMeta(**_known(RunMeta, data["meta"]))
            requests = tuple(_request_from_dict(r) for r in data["requests"])
        except (KeyError, TypeError) as exc:
            raise ArtifactError(f"{source}: malformed artifact ({exc})") from exc
        return cls(meta=meta, requests=requests)


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def _request_to_dict(record: RequestRecord) -> dict[str, Any]:
    out = asdict(record)
    if record.token_times_ns is not None:
        out["token_times_ns"] = list(record.token_times_ns)
    return out


def _request_from_dict(data: dict[str, Any]) -> RequestRecord:
    values = _known(RequestRecord, data)
    if values.get("token_times_ns") is not None:
        values["token_times_ns"] = tuple(int(t) for t in values["token_times_ns"])
    return RequestRecord(**values)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: never a half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp's 0600 would make shared results private
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def dump_artifact(artifact: Artifact, path: Path) -> Path:
    write_atomic(path, json.dumps(artifact.to_dict(), indent=1, sort_keys=True) + "\n")
    return path


def load_artifact(path: Path) -> Artifact:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(
            f"{path}: no such artifact; rerun the test that writes it (a stale entry in the "
            "store's index/ folder can point here: delete that entry)"
        ) from None
    except json.JSONDecodeError as exc:
        raise ArtifactError(
            f"{path}: truncated or corrupt artifact ({exc.msg} at line {exc.lineno}); "
            "delete it and rerun the test that wrote it"
        ) from None
    return Artifact.from_dict(data, source=str(path))
