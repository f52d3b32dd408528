"""Back-to-back real runs in one process: how far apart are their p50s, and what does the
harness cost per token?

    .venv/bin/python scripts/real_repeat.py                       # tiny, both backends, 2 runs
    .venv/bin/python scripts/real_repeat.py --runs 3 --set hardware.threads=2
    .venv/bin/python scripts/real_repeat.py --set model=qwen3-tiny --set hardware.dtype=float32

Each backend is opened and warmed up once, then timed ``--runs`` times; artifacts are saved
under ``--out`` (default tmp/real_repeat/) for a closer look.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gst_bench.device.noise import wait_for_quiet
from gst_bench.real.harness import ModelCache, RealRun, open_harness
from gst_bench.workloads.workload import WorkloadSpec, generate
from gst_compare import metrics
from gst_compare.config import ConfigComposer
from gst_compare.store import ArtifactStore, new_run_id

ROOT = Path(__file__).resolve().parents[1]
SHOWN = ("ttft", "tpot", "e2e", "itl", "queueing")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", default="tiny")
    parser.add_argument("--backend", action="append", dest="backends")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--set", action="append", dest="overrides", default=[], metavar="K=V")
    parser.add_argument("--out", type=Path, default=ROOT / "tmp" / "real_repeat")
    parser.add_argument(
        "--quiet-below",
        type=float,
        default=None,
        metavar="CORES",
        help="before each run, wait (up to --quiet-timeout s) until other work on the "
        "machine keeps fewer than CORES cores busy",
    )
    parser.add_argument("--quiet-timeout", type=float, default=300.0)
    return parser.parse_args()


def wait_quiet(args: argparse.Namespace, label: str) -> None:
    if args.quiet_below is not None:
        busy = wait_for_quiet(args.quiet_below, args.quiet_timeout)
        shown = "unknown (no /proc/stat)" if busy is None else f"{busy:.2f}"
        print(f"{label}: machine busy cores before it: {shown}", flush=True)


def p50s(run: RealRun) -> dict[str, float]:
    table = metrics.summary(run.artifact)
    return {m: table[m]["p50"] for m in SHOWN if m in table}


def describe(run: RealRun) -> str:
    extra = run.artifact.meta.extra
    harness, noise = extra["harness"], extra["noise"]
    return (
        f"  harness {harness['overhead_ns_per_token']:.0f} ns/token = "
        f"{100 * (harness['overhead_share_of_decode_step'] or 0):.4f} % of a "
        f"{harness['decode_step_ms_p50']:.1f} ms decode step; run queue "
        f"{noise['run_queue_delay_ms']:.1f} ms ({100 * noise['run_queue_share']:.2f} %), "
        f"foreign CPU {noise['foreign_cpu_cores']:.2f} cores, threads {noise['torch_threads']}, "
        f"suspect {noise['suspect']}"
    )


def main() -> None:
    args = parse_args()
    composer = ConfigComposer(ROOT / "configs", args.overrides)
    store = ArtifactStore(args.out)
    models = ModelCache()
    run_id = new_run_id()
    for backend in args.backends or ["serial", "continuous"]:
        cfg = composer.compose(f"workload={args.workload}", f"backend={backend}")
        spec = WorkloadSpec.from_config(
            cfg["workload"], int(cfg["model"]["prompt_vocab_size"]), base_dir=ROOT
        )
        workload = generate(spec)
        with open_harness(workload, cfg, ROOT, models=models) as harness:
            runs = []
            for i in range(args.runs):
                wait_quiet(args, f"{backend} run {i}")
                test_id = f"real_repeat[{args.workload}-{backend}-{i}]"
                runs.append(harness.run(run_id=run_id, test_id=test_id))
        report(backend, runs, store)


def report(backend: str, runs: list[RealRun], store: ArtifactStore) -> None:
    meta = runs[0].artifact.meta
    print(f"\n{backend}: {meta.model} {meta.dtype} on {meta.device_name}, {meta.workload_name}")
    for i, run in enumerate(runs):
        row = "  ".join(f"{m} {v:8.1f}" for m, v in p50s(run).items())
        print(f"  run {i}: p50 ms  {row}")
        print(describe(run))
        store.save(run.artifact)
    first, last = p50s(runs[0]), p50s(runs[-1])
    diffs = "  ".join(
        f"{m} {100 * (last[m] - first[m]) / first[m]:+6.2f} %" for m in first if first[m]
    )
    print(f"  p50 difference, run {len(runs) - 1} vs run 0: {diffs}")


if __name__ == "__main__":
    main()
