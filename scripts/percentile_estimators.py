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
from pathlib import Path

from gst_compare import metrics
from gst_compare.artifacts import load_artifact

METRICS = ("ttft", "tpot", "e2e")
ESTIMATORS = {"sample": metrics.observed_percentile, "hd": metrics.percentile}


def pairs(root: Path):
    """(workload, backend, flagged, real, sim) of every corrected pair stored under ``root``."""
    for real_path in sorted(root.glob("runs/*/artifacts/real/*.json")):
        name = real_path.stem.split("test_real_", 1)[1]
        workload, backend = name.split("-")[:2]
        sims = sorted(real_path.parents[1].glob(f"sim/*{workload}-{backend}-corrected*.json"))
        if sims:
            real, sim = load_artifact(real_path), load_artifact(sims[-1])
            flagged = bool(real.meta.noise_flags or sim.meta.noise_flags)
            yield workload, backend, flagged, real, sim


def errors(real, sim) -> dict[str, float]:
    """``{metric}_p{q}_{estimator}`` and ``{metric}_request`` errors in %."""
    found = {}
    for metric in METRICS:
        r, s = metrics.per_request(real, metric), metrics.per_request(sim, metric)
        ids = sorted(r.keys() & s.keys())
        rv, sv = [r[i] for i in ids], [s[i] for i in ids]
        for q in (50, 90):
            for name, estimate in ESTIMATORS.items():
                found[f"{metric}_p{q}_{name}"] = 100 * (estimate(sv, q) / estimate(rv, q) - 1)
        per_request = [(s[i] - r[i]) / r[i] for i in ids if r[i]]
        found[f"{metric}_request"] = 100 * metrics.observed_percentile(per_request, 50)
    return found


def _spread(rows: list[dict[str, float]], metric: str, q: int, estimator: str) -> float:
    key = f"{metric}_p{q}_{estimator}"
    return max(r[key] for r in rows) - min(r[key] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stores", nargs="+", help="store roots; a,b,c groups repeats")
    parser.add_argument("--min-requests", type=int, default=60)
    args = parser.parse_args()
    table: dict[tuple, dict[str, float]] = {}
    groups = []
    for group in args.stores:
        members = []
        for root in group.split(","):
            for workload, backend, flagged, real, sim in pairs(Path(root)):
                key = (root, workload, backend)
                table[key] = errors(real, sim) | {"n": len(real.requests), "flag": flagged}
                members.append(key)
                row = table[key]
                cells = [
                    f"{m} p50 {row[f'{m}_p50_sample']:+5.1f}/{row[f'{m}_p50_hd']:+5.1f}"
                    f" (req {row[f'{m}_request']:+4.1f}) p90 "
                    f"{row[f'{m}_p90_sample']:+5.1f}/{row[f'{m}_p90_hd']:+5.1f}"
                    for m in METRICS
                ]
                flag = "flagged" if flagged else "clean  "
                print(f"{root} {workload} {backend:10} {flag} " + " | ".join(cells))
        if "," in group:
            groups.append(members)
    big = [k for k, v in table.items() if v["n"] >= args.min_requests]
    print(f"\nover {len(big)} pairs of >= {args.min_requests} requests (sample / Harrell-Davis):")
    for metric in METRICS:
        for q in (50, 90):
            mean_abs = [
                statistics.fmean(abs(table[k][f"{metric}_p{q}_{e}"]) for k in big)
                for e in ESTIMATORS
            ]
            worst = [max(abs(table[k][f"{metric}_p{q}_{e}"]) for k in big) for e in ESTIMATORS]
            line = f"  {metric} p{q}: mean |error| {mean_abs[0]:.2f} / {mean_abs[1]:.2f} %, "
            line += f"largest {worst[0]:.1f} / {worst[1]:.1f} %"
            if q == 50:
                apart = [
                    statistics.fmean(
                        abs(table[k][f"{metric}_p50_{e}"] - table[k][f"{metric}_request"])
                        for k in big
                    )
                    for e in ESTIMATORS
                ]
                line += f", from the per-request error {apart[0]:.2f} / {apart[1]:.2f} points"
            print(line)
    for members in groups:
        by_pair: dict[tuple, list] = {}
        for key in members:
            by_pair.setdefault(key[1:], []).append(table[key])
        print(f"\np50 over {len(members) // max(len(by_pair), 1)} stores (Harrell-Davis; sample):")
        for pair, rows in by_pair.items():
            cells = []
            for m in METRICS:
                for e in ESTIMATORS:
                    values = " / ".join(f"{r[f'{m}_p50_{e}']:+.1f}" for r in rows)
                    cells.append((e, f"{m} {values} ({_spread(rows, m, 50, e):.1f})"))
            flags = "".join("F" if r["flag"] else "." for r in rows)
            hd = "; ".join(c for e, c in cells if e == "hd")
            sample = "; ".join(c.split(" ", 1)[1] for e, c in cells if e == "sample")
            print(f"  {' '.join(pair)} [{flags}]: {hd}  |  sample: {sample}")
            spreads = [
                f"{m} p{q} " + " / ".join(f"{_spread(rows, m, q, e):.1f}" for e in ESTIMATORS)
                for m in METRICS
                for q in (50, 90)
            ]
            print("    spread sample / hd: " + ", ".join(spreads))


if __name__ == "__main__":
    main()
