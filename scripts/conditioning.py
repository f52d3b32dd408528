"""How far a workload's percentiles move when every step costs a little more or less.

    .venv/bin/python scripts/conditioning.py steady60 steady100
    .venv/bin/python scripts/conditioning.py steady60 --set workload.arrival.process=poisson

A real run on a shared machine runs a few % faster or slower than the next one. How much of that
reaches a percentile depends on the workload: where about half of the requests wait for
another, TTFT's median falls between those that wait and those that do not, and a few % of step
cost moves it by a whole rank's gap. Corrected Vidur simulates each preset from a profile (the
committed CPU reference's by default) with every step 1, 2 and 3 % dearer and cheaper; per
backend and metric the script prints the largest move of p50 and p90 per % of step cost
(1.0: proportional; 3.0: a 3 % wander moves the percentile 9 %), the share of requests that
waited and when the last one arrived. Deterministic: Vidur is, and so is every preset.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_PROFILES = ROOT / "reports" / "cpu-reference" / "store" / "profiles"
FACTORS = (0.97, 0.98, 0.99, 1.01, 1.02, 1.03)
METRICS = ("ttft", "tpot", "e2e")
WAITED_NS = 5_000_000  # scheduled more than 5 ms after arriving


def main() -> int:
    args = parse_args()
    from gst_bench.profile.format import ProfileInfo

    found = sorted(REFERENCE_PROFILES.glob("*/*/*/*/*/profile.json"))
    path = Path(args.profile) if args.profile else (found[-1].parent if found else None)
    if path is None:
        print(f"no profile under {REFERENCE_PROFILES}; pass --profile DIR", file=sys.stderr)
        return 2
    profile = ProfileInfo.load(path)
    print("| workload | backend | waited | last arrival | " + " | ".join(
        f"{m} p50 | {m} p90" for m in METRICS
    ) + " |")  # fmt: skip
    print("|" + "---|" * (4 + 2 * len(METRICS)))
    for preset in args.workloads:
        for backend in ("serial", "continuous"):
            print(row(preset, backend, profile, args.set, Path(args.out)))
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workloads", nargs="+", help="workload presets (configs/workload)")
    parser.add_argument("--set", action="append", default=[], help="a config override")
    parser.add_argument("--profile", help="a profile folder (default: the CPU reference's)")
    parser.add_argument("--out", default="tmp/conditioning", help="Vidur's output folder")
    return parser.parse_args()


def row(preset: str, backend: str, profile, overrides: list[str], out: Path) -> str:
    from gst_bench.sim.speed import SpeedMatch

    workload, cfg = load(preset, backend, overrides)
    base = simulated(workload, profile, cfg, SpeedMatch(1.0, 1.0), out)
    moves = {key: 0.0 for key in base["percentiles"]}
    for factor in FACTORS:
        found = simulated(workload, profile, cfg, SpeedMatch(factor, factor), out)["percentiles"]
        for key, value in found.items():
            move = abs(value / base["percentiles"][key] - 1) / abs(factor - 1)
            moves[key] = max(moves[key], move)
    cells = [f"{moves[(m, q)]:.1f}" for m in METRICS for q in (50, 90)]
    waited, last = f"{base['waited']:.0%}", f"{base['last_arrival_s']:.0f} s"
    return f"| {preset} | {backend} | {waited} | {last} | " + " | ".join(cells) + " |"


def load(preset: str, backend: str, overrides: list[str]):
    from gst_bench.workloads.workload import WorkloadSpec, generate
    from gst_compare.config import ConfigComposer

    cfg = ConfigComposer(ROOT / "configs").compose(
        "hardware=cpu", "model=qwen3-0.6b", f"backend={backend}", "vidur=corrected",
        f"workload={preset}", *overrides,
    )  # fmt: skip
    vocab = int(cfg["model"]["prompt_vocab_size"])
    spec = WorkloadSpec.from_config(cfg["workload"], vocab, base_dir=ROOT)
    return generate(spec), cfg


def simulated(workload, profile, cfg, speed, out: Path) -> dict:
    from gst_bench.sim.vidur_adapter import simulate
    from gst_compare import metrics

    artifact = simulate(workload, profile, cfg, out_root=out, speed=speed)
    summary = metrics.summary(artifact)
    percentiles = {(m, q): summary[m][f"p{q}"] for m in METRICS for q in (50, 90)}
    waits = [r.scheduled_at_ns - r.arrived_at_ns > WAITED_NS for r in artifact.requests]
    last = max(r.arrived_at_ns for r in artifact.requests) / 1e9
    return {"percentiles": percentiles, "waited": sum(waits) / len(waits), "last_arrival_s": last}


if __name__ == "__main__":
    sys.exit(main())
