"""Run the main job N times in fresh processes and print how far its fidelity numbers move.

    .venv/bin/python scripts/repeatability.py --runs 3                 # main job x3 (~20 min)
    .venv/bin/python scripts/repeatability.py --runs 3 -- --gst-workloads tiny   # smoke size
    .venv/bin/python scripts/repeatability.py --only-read --out tmp/repeat3   # earlier runs

Each run writes its own store under ``<out>/run-<i>`` (``--gst-out``), so runs never share a
profile or a real artifact. The table has one row per pair and metric: the p50 and p90 errors of
every run, their spread (max − min, in percentage points) beside the half-width of the runs' own
95 % intervals of the p50 error (a spread within it is what the suite already says it cannot
tell apart), and each run's verdict; the last line says whether every verdict agreed and the
largest p50 spread. Exit status 0 when the verdicts
agree and every p50 spread is within ``--max-spread-pp`` (default 3), else 1.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
MAIN_JOB = ["-m", "pytest", "benchmarks", "-m", "cpu", "--gst-workloads", "steady60", "-q"]


def main() -> int:
    args = parse_args()
    out = Path(args.out)
    if not args.only_read:
        for index in range(1, args.runs + 1):
            run(out / f"run-{index}", args.pytest_args)
    runs = sorted(p for p in out.glob("run-*") if (p / "reports" / "latest").exists())
    if not runs:
        print(f"no finished runs under {out}: run without --only-read first", file=sys.stderr)
        return 2
    rows = table([load(p) for p in runs])
    print_table(rows, [p.name for p in runs])
    return verdict_line(rows, args.max_spread_pp, [p.name for p in runs])


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="how many times (default 3)")
    parser.add_argument("--out", default="tmp/repeat", help="folder of the runs' stores")
    parser.add_argument("--only-read", action="store_true", help="only tabulate earlier runs")
    parser.add_argument("--max-spread-pp", type=float, default=3.0, help="allowed p50 spread")
    parser.add_argument("pytest_args", nargs="*", help="after --: more pytest arguments")
    return parser.parse_args()


def run(out: Path, extra: list[str]) -> None:
    started = time.monotonic()
    command = [sys.executable, *MAIN_JOB, "--gst-out", str(out), *extra]
    print(f"[{out.name}] {' '.join(command[1:])}", flush=True)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    print(f"[{out.name}] exit {done.returncode} after {time.monotonic() - started:.0f} s")
    print("\n".join(done.stdout.splitlines()[-3:]), flush=True)


def load(run_dir: Path) -> dict:
    return json.loads((run_dir / "reports" / "latest" / "comparison.json").read_text())


def table(reports: list[dict]) -> dict[tuple[str, str], list[dict | None]]:
    """{(pair label, metric): one entry per run (None where that run judged no such pair) with
    the p50 and p90 errors as the gate judged them (``unit``: % for relative errors, ms where
    the metric is judged in ms), the half-width of the p50's interval and the verdict}."""
    rows: dict[tuple[str, str], list[dict | None]] = {}
    for index, report in enumerate(reports):
        for pair in report["pairs"]:
            for verdict in pair["verdicts"]:
                checks = {c["name"]: c for c in verdict.get("checks") or []}
                found = rows.setdefault((pair["label"], verdict["metric"]), [None] * len(reports))
                found[index] = {
                    "unit": (checks.get("p50") or {}).get("unit", "rel"),
                    "p50": _value(checks.get("p50")),
                    "p90": _value(checks.get("p90")),
                    "p50_ci": _half_width(checks.get("p50")),
                    "verdict": verdict["verdict"] if verdict.get("counts", True) else "n/a",
                }
    return rows


def _scale(check: dict) -> float:
    return 100.0 if check.get("unit", "rel") == "rel" else 1.0


def _value(check: dict | None) -> float | None:
    if not check or not isinstance(check.get("value"), (int, float)):
        return None
    return float(check["value"]) * _scale(check)


def _half_width(check: dict | None) -> float | None:
    """Half the width of the run's own 95 % interval of the p50 error."""
    interval = (check or {}).get("interval")
    if not interval or None in interval:
        return None
    return (float(interval[1]) - float(interval[0])) / 2 * _scale(check)


def spread(values: list[float | None]) -> float | None:
    found = [v for v in values if v is not None]
    return max(found) - min(found) if len(found) > 1 else None


def print_table(rows: dict[tuple[str, str], list[dict | None]], names: list[str]) -> None:
    head = [
        "pair",
        "metric",
        *[f"p50 {n}" for n in names],
        "p50 spread",
        "p50 interval ± (median)",
        "p90 spread",
        "verdicts",
    ]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for (label, metric), runs in rows.items():
        judged = [r for r in runs if r]
        p50 = [r["p50"] if r else None for r in runs]
        unit, wide_unit = ("%", "pp") if judged[0]["unit"] == "rel" else ("ms", "ms")
        cells = [f"{v:+.1f} {unit}" if v is not None else "–" for v in p50]
        widths = [r["p50_ci"] for r in judged if r["p50_ci"] is not None]
        p90 = [r["p90"] for r in judged]
        wide = [spread(p50), median(widths) if widths else None, spread(p90)]
        wide_text = [f"{s:.1f} {wide_unit}" if s is not None else "–" for s in wide]
        verdicts = "/".join(r["verdict"] if r else "not judged" for r in runs)
        print("| " + " | ".join([label, metric, *cells, *wide_text, verdicts]) + " |")


def verdict_line(
    rows: dict[tuple[str, str], list[dict | None]], limit: float, names: list[str]
) -> int:
    missing = sorted({names[i] for runs in rows.values() for i, r in enumerate(runs) if not r})
    disagree = [
        key for key, runs in rows.items() if len({r["verdict"] if r else None for r in runs}) > 1
    ]
    spreads = [
        s
        for runs in rows.values()
        if (judged := [r for r in runs if r])
        and judged[0]["unit"] == "rel"
        and (s := spread([r["p50"] for r in judged])) is not None
    ]
    widest = max(spreads, default=0.0)
    if missing:
        print(
            f"\nnot judged in {', '.join(missing)} (see its reports/latest/report.md); judge it "
            'again from its store: pytest benchmarks -m "(sim or fidelity) and cpu" '
            "--gst-workloads <workload> --gst-out <its folder>, then --only-read"
        )
    print(
        f"\nverdicts agree: {'yes' if not disagree else f'no ({len(disagree)} rows differ)'}; "
        f"largest p50 spread of a relative error: {widest:.1f} pp (limit {limit:g} pp; errors "
        "judged in ms are shown in ms)"
    )
    return 0 if not disagree and widest <= limit else 1


if __name__ == "__main__":
    sys.exit(main())
