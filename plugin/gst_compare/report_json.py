"""The report as JSON (``comparison.json``): everything the Markdown shows and what it only
links to: every distance and interval, every check with its floor, every pair's floor and where
it came from, each run once with its noise flags, and the provenance of the session and of
each artifact."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from typing import Any

from gst_compare.report import ComparisonReport, runs, shown_path

REPORT_FORMAT = "gpu-simulate-test/comparison"
# 3: percentiles are Harrell–Davis estimates; 4: floors (per pair and check), noise flags no
# longer veto, variant roles.
REPORT_SCHEMA_VERSION = 4
PERCENTILE_ESTIMATOR = "harrell-davis"  # gst_compare.metrics.percentile


def clean(value: Any) -> Any:
    """JSON-safe: infinities and NaN become strings, tuples lists."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def to_dict(report: ComparisonReport) -> dict[str, Any]:
    data = asdict(report)
    data["counts"] = report.counts()
    data["runs"] = [asdict(run) for run in runs(report)]
    data["report_dir"] = shown_path(report.report_dir) if report.report_dir else ""
    for pair, shown in zip(report.pairs, data["pairs"], strict=True):
        shown["floor"]["source"] = pair.floor.source
    if not report.sweeps:
        del data["sweeps"]  # a report without a load sweep reads as before sweeps existed
    return {
        "format": REPORT_FORMAT,
        "schema_version": REPORT_SCHEMA_VERSION,
        "percentile_estimator": PERCENTILE_ESTIMATOR,
        **clean(data),
    }


def to_json(report: ComparisonReport) -> str:
    return json.dumps(to_dict(report), indent=1, sort_keys=True, allow_nan=False) + "\n"
