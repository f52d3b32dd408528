"""The measurements behind the CPU's token period, its warm wait and the continuous backend's
per-step error, repeatable in a fresh process.

    .venv/bin/python scripts/step_costs.py tokens 12-34,40,48   # whole prefills per token count
    .venv/bin/python scripts/step_costs.py idle                 # prefills after each kind of wait
    .venv/bin/python scripts/step_costs.py steps REAL.json SIM.json   # engine steps, paired

``tokens`` and ``idle`` time the full Qwen3-0.6B architecture (random weights) in the CPU preset's
dtype, with one torch thread, pinned to the last CPU; run them on an otherwise idle machine.
``tokens``: interleaved rounds, the profiler's way (``gst_bench.sim.op_timing.Timer``, prefills
cold). ``idle``: rounds of one request (a 22-token prefill, 4 decode steps) after each way of
waiting (kept warm as the harness does, spinning, nothing, sleeping), in a seeded order per round.
``steps``: the report's engine-step table for one stored real artifact and one simulated
(:mod:`gst_bench.sim.engine_steps`).
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    args = parse_args()
    if args.what == "steps":
        steps(Path(args.real), Path(args.sim))
        return
    import torch

    from gst_bench.real.model import ModelSpec, build_model
    from gst_compare.config import ConfigComposer

    cfg = ConfigComposer(ROOT / "configs").compose("hardware=cpu", "model=qwen3-0.6b")
    os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
    torch.set_num_threads(1)
    spec = ModelSpec.from_config(dict(cfg["model"]), ROOT)
    model = build_model(spec, "cpu", str(cfg["hardware"]["dtype"]))
    with torch.inference_mode():
        if args.what == "tokens":
            tokens(model, parse_counts(args.counts), args.rounds)
        else:
            idle(model, args.rounds)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    counts = sub.add_parser("tokens", help="whole prefills per token count")
    counts.add_argument("counts", help="e.g. 12-34,40,48")
    counts.add_argument("--rounds", type=int, default=7)
    waits = sub.add_parser("idle", help="a prefill after sleeping vs spinning")
    waits.add_argument("--rounds", type=int, default=10)
    found = sub.add_parser("steps", help="engine steps of a real and a simulated artifact")
    found.add_argument("real")
    found.add_argument("sim")
    return parser.parse_args()


def parse_counts(text: str) -> list[int]:
    counts: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        counts += range(int(low), int(high or low) + 1)
    return counts


def tokens(model, counts: list[int], rounds: int) -> None:
    from gst_bench.sim.op_timing import Timer, prefill_step

    calls = {n: prefill_step(model, n) for n in counts}
    samples = Timer("cpu", warmup=1, repeats=rounds).rounds(calls, cold=set(counts))
    print("tokens  median ms  (2nd lowest .. 2nd highest)")
    for n in counts:
        ordered = sorted(samples[n])
        print(f"{n:6d}  {statistics.median(ordered):9.1f}  ({ordered[1]:.1f} .. {ordered[-2]:.1f})")


def idle(model, rounds: int) -> None:
    from gst_bench.real.backends import IdleProbe, SerialRunner, wait_until
    from gst_bench.sim.op_timing import decode_step

    runner = SerialRunner(model, frozenset())
    prompt = list(range(100, 122))

    def request() -> tuple[float, float]:
        """A 22-token prompt and 4 decode steps, as the serial harness serves them."""
        start = time.perf_counter_ns()
        stamps = [start, *runner._generate(prompt, 5).stamps]
        steps = [(b - a) / 1e6 for a, b in itertools.pairwise(stamps)]
        return steps[0], statistics.median(steps[1:])

    def later(seconds: float) -> int:
        return time.perf_counter_ns() + int(seconds * 1e9)

    def spin(seconds: float) -> None:
        wait_until(later(seconds), spin=True)

    def keep_warm(seconds: float) -> None:
        """The harness's ``idle_wait: warm`` over a gap of ``seconds``."""
        deadline = later(seconds)
        IdleProbe({"decode": warm}, warm=True).maybe(0, deadline)
        wait_until(deadline, spin=True)

    warm = decode_step(model, 32)
    waits = {
        "warm 1 s": lambda: keep_warm(1.0),
        "spin 1 s": lambda: spin(1.0),
        "no wait": lambda: None,
        "sleep 0.1 s": lambda: time.sleep(0.1),
        "sleep 0.5 s": lambda: time.sleep(0.5),
        "sleep 2 s": lambda: time.sleep(2.0),
    }
    found: dict[str, list[tuple[float, float]]] = {name: [] for name in waits}
    request()
    for index in range(rounds):
        order = list(waits)
        random.Random(index).shuffle(order)
        for name in order:
            waits[name]()
            found[name].append(request())
    print("wait          prefill ms  decode ms  (medians of", rounds, "rounds)")
    for name, results in found.items():
        prefill = statistics.median(r[0] for r in results)
        decode = statistics.median(r[1] for r in results)
        print(f"{name:12s}  {prefill:10.1f}  {decode:9.1f}")


def steps(real: Path, sim: Path) -> None:
    from gst_bench.sim.engine_steps import markdown
    from gst_compare.artifacts import load_artifact

    print("\n".join(markdown([(load_artifact(real), load_artifact(sim))])))


if __name__ == "__main__":
    main()
