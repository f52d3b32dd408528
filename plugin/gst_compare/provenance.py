"""Where a run came from: tool versions, git commit, host. Nothing here imports torch."""

from __future__ import annotations

import platform
import socket
import subprocess
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata
from pathlib import Path

TRACKED_DISTRIBUTIONS = (
    "gpu-simulate-test",
    "torch",
    "transformers",
    "vidur",
    "pytest",
    "pytest-benchmark",
    "hydra-core",
    "numpy",
    "scipy",
)


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in TRACKED_DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


@lru_cache(maxsize=4)
def git_commit(root: Path = Path(".")) -> str:
    """The checkout's commit, with ``+dirty`` when the work tree has changes."""
    try:
        commit = _git(root, "rev-parse", "HEAD")
        dirty = _git(root, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True, timeout=10
    )
    return done.stdout.strip()


def host() -> str:
    return socket.gethostname()


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")
