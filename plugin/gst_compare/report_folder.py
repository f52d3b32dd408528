"""The report's folder: ``report.md`` and ``comparison.json`` side by side (the Markdown links
to the JSON for details and provenance), and the ``latest`` pointer beside the run folders."""

from __future__ import annotations

import os
from pathlib import Path

from gst_compare.artifacts import write_atomic
from gst_compare.report import ComparisonReport
from gst_compare.report_json import to_json
from gst_compare.report_markdown import to_markdown


def write(report: ComparisonReport, folder: Path) -> Path:
    """Write report.md and comparison.json into ``folder`` and point ``latest`` at it."""
    write_atomic(folder / "comparison.json", to_json(report))
    path = folder / "report.md"
    write_atomic(path, to_markdown(report))
    point_latest(folder)
    return path


def point_latest(folder: Path) -> None:
    """``latest`` beside the run folders is a relative symlink to it, else a LATEST file."""
    link = folder.parent / "latest"
    staging = folder.parent / f".latest.{os.getpid()}"
    try:
        staging.unlink(missing_ok=True)
        staging.symlink_to(folder.name, target_is_directory=True)
        os.replace(staging, link)
    except OSError:
        staging.unlink(missing_ok=True)
        write_atomic(folder.parent / "LATEST", folder.name + "\n")
