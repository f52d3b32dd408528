"""Percentile errors of stored corrected pairs under two estimators: the sample percentile
(numpy's default) and Harrell–Davis (the suite's, ``gst_compare.metrics.percentile``).

    .venv/bin/python scripts/percentile_estimators.py tmp/repeat-j3/run-1 tmp/cpu-ref7 ...

Each argument is a store root (``--gst-out``); every real artifact with a corrected simulation
of its pair is read. Prints, per pair, the p50 and p90 errors of TTFT, TPOT and E2E under both
estimators beside the median per-request error, then a summary over the pairs of at least
``--min-requests`` requests: mean |error| and mean distance of the p50 error from the
per-request error, per estimator, and the spread (max − min) across each group of stores given
as ``a,b,c`` (one group per argument with commas).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from gst_compare import metrics
from gst_compare.comparison import noise_flags, stored_pairs
from gst_compare.distance import paired_error
from gst_compare.store import ArtifactStore

METRICS = ("ttft", "tpot", "e2e")
ESTIMATORS = {"sample": metrics.observed_percentile, "hd": metrics.percentile}
Row = dict[str, float]


def pairs(root: Path):
    """(workload, backend, flagged, real, sim) of every corrected pair in the store ``root``:
    each real run with the latest corrected simulation the index holds for its pair."""
    for pair in stored_pairs(ArtifactStore(root), "corrected"):
        real, sim = pair.real.artifact, pair.sim.artifact
        yield real.meta.workload_name, real.meta.backend, bool(noise_flags(pair)), real, sim


def errors(real, sim) -> Row:
    """``{metric}_p{q}_{estimator}`` and ``{metric}_request`` errors in %."""
    found = {}
    for metric in METRICS:
        r, s = metrics.per_request(real, metric), metrics.per_request(sim, metric)
        ids = sorted(r.keys() & s.keys())
        rv, sv = [r[i] for i in ids], [s[i] for i in ids]
        for q in (50, 90):
            for name, estimate in ESTIMATORS.items():
                found[f"{metric}_p{q}_{name}"] = 100 * (estimate(sv, q) / estimate(rv, q) - 1)
        found[f"{metric}_request"] = 100 * paired_error(r, s).bias
    return found


def _spread(rows: list[Row], metric: str, q: int, estimator: str) -> float:
    key = f"{metric}_p{q}_{estimator}"
    return max(r[key] for r in rows) - min(r[key] for r in rows)


def read(groups: list[str]) -> tuple[dict[tuple, Row], list[list[tuple]]]:
    """Every pair's errors, printed as read, keyed (store, workload, backend); the keys of each
    group of stores given with commas."""
    table: dict[tuple, Row] = {}
    repeats = []
    for group in groups:
        members = []
        for root in group.split(","):
            for workload, backend, flagged, real, sim in pairs(Path(root)):
                key = (root, workload, backend)
                table[key] = errors(real, sim) | {"n": len(real.requests), "flag": flagged}
                members.append(key)
                print(f"{root} {workload} {backend:10} {_pair_line(table[key])}")
        if "," in group:
            repeats.append(members)
    return table, repeats


def _pair_line(row: Row) -> str:
    cells = [
        f"{m} p50 {row[f'{m}_p50_sample']:+5.1f}/{row[f'{m}_p50_hd']:+5.1f}"
        f" (req {row[f'{m}_request']:+4.1f}) p90 "
        f"{row[f'{m}_p90_sample']:+5.1f}/{row[f'{m}_p90_hd']:+5.1f}"
        for m in METRICS
    ]
    return ("flagged " if row["flag"] else "clean   ") + " | ".join(cells)


def print_summary(table: dict[tuple, Row], min_requests: int) -> None:
    big = [row for row in table.values() if row["n"] >= min_requests]
    print(f"\nover {len(big)} pairs of >= {min_requests} requests (sample / Harrell-Davis):")
    for metric in METRICS:
        for q in (50, 90):
            errs = {e: [abs(row[f"{metric}_p{q}_{e}"]) for row in big] for e in ESTIMATORS}
            line = f"  {metric} p{q}: mean |error| {statistics.fmean(errs['sample']):.2f} / "
            line += f"{statistics.fmean(errs['hd']):.2f} %, largest {max(errs['sample']):.1f} / "
            line += f"{max(errs['hd']):.1f} %"
            if q == 50:
                apart = [
                    statistics.fmean(
                        abs(row[f"{metric}_p50_{e}"] - row[f"{metric}_request"]) for row in big
                    )
                    for e in ESTIMATORS
                ]
                line += f", from the per-request error {apart[0]:.2f} / {apart[1]:.2f} points"
            print(line)


def print_repeats(table: dict[tuple, Row], members: list[tuple]) -> None:
    by_pair: dict[tuple, list[Row]] = {}
    for key in members:
        by_pair.setdefault(key[1:], []).append(table[key])
    print(f"\np50 over {len(members) // max(len(by_pair), 1)} stores (Harrell-Davis; sample):")
    for pair, rows in by_pair.items():
        cells = {
            e: "; ".join(
                f"{m} " * (e == "hd")
                + " / ".join(f"{r[f'{m}_p50_{e}']:+.1f}" for r in rows)
                + f" ({_spread(rows, m, 50, e):.1f})"
                for m in METRICS
            )
            for e in ESTIMATORS
        }
        flags = "".join("F" if r["flag"] else "." for r in rows)
        print(f"  {' '.join(pair)} [{flags}]: {cells['hd']}  |  sample: {cells['sample']}")
        spreads = [
            f"{m} p{q} " + " / ".join(f"{_spread(rows, m, q, e):.1f}" for e in ESTIMATORS)
            for m in METRICS
            for q in (50, 90)
        ]
        print("    spread sample / hd: " + ", ".join(spreads))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stores", nargs="+", help="store roots; a,b,c groups repeats")
    parser.add_argument("--min-requests", type=int, default=60)
    args = parser.parse_args()
    table, repeats = read(args.stores)
    if not any(row["n"] >= args.min_requests for row in table.values()):
        print(
            f"no corrected pair of >= {args.min_requests} requests in {' '.join(args.stores)}: "
            "give the --gst-out folders of sessions that ran real and simulated tests (e.g. "
            "tmp/repeat/run-1 after scripts/repeatability.py), or lower --min-requests",
            file=sys.stderr,
        )
        return 2
    print_summary(table, args.min_requests)
    for members in repeats:
        print_repeats(table, members)
    return 0


if __name__ == "__main__":
    sys.exit(main())
