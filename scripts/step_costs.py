"""The measurements behind the CPU's token period, its warm wait and the continuous backend's
per-step error, repeatable in a fresh process.

    .venv/bin/python scripts/step_costs.py tokens 12-34,40,48   # whole prefills per token count
    .venv/bin/python scripts/step_costs.py idle                 # prefills after each kind of wait
    .venv/bin/python scripts/step_costs.py steps REAL.json SIM.json   # engine steps, paired
    .venv/bin/python scripts/step_costs.py stores tmp/cpu-ref7 tmp/repeat-l3/run-1 ...
    .venv/bin/python scripts/step_costs.py lines tmp reports/cpu-reference/store

``tokens`` and ``idle`` time the full Qwen3-0.6B architecture (random weights) in the CPU preset's
dtype, with one torch thread, pinned to the last CPU; run them on an otherwise idle machine.
``tokens``: interleaved rounds, the profiler's way (``gst_bench.device.timing.Timer``, prefills
cold). ``idle``: rounds of one request (a 22-token prefill, 4 decode steps) after each way of
waiting (kept warm as the harness does, spinning, nothing, sleeping), in a seeded order per round;
each prefill also as a paired ratio to the same round's request right after a decode step (the
situation of the profile's and the probes' prefills), with its standard error.
``steps``: the report's engine-step table for one stored real artifact and one simulated
(:mod:`gst_bench.analysis.engine_steps`). ``stores``: the prefills at an idle engine, real against
corrected Vidur, over every stored pair of the store roots given (``--gst-out`` folders): per
pair the paired mean error, then per backend over the unflagged pairs: how steady the
simulator's prefill pricing is from run to run. ``lines``: every profile found under the folders
given, once per content hash: its whole steps against the straight line the off-line rows are
judged by (:func:`gst_bench.sim.whole_steps.line_through`) and against the bent one the speed
match reads its prefill level off (``curve_through``); that level beside the 32-token row, the
straight line's value and a least-squares line through the rows without a remainder (8, 16, 32,
64 tokens: the level until 2026-11-29); then how far each lies from the row over all profiles.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    args = parse_args()
    if args.what == "steps":
        steps(Path(args.real), Path(args.sim))
        return
    if args.what == "stores":
        sys.exit(stores([Path(root) for root in args.roots]))
    if args.what == "lines":
        sys.exit(lines([Path(root) for root in args.roots]))
    import torch

    from gst_bench.device.model import ModelSpec, build_model
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
    roots = sub.add_parser("stores", help="idle-engine prefills, real vs corrected, per pair")
    roots.add_argument("roots", nargs="+", help="store roots (--gst-out folders)")
    profiles = sub.add_parser("lines", help="profiles' whole steps against their line")
    profiles.add_argument("roots", nargs="+", help="folders searched for profiles")
    return parser.parse_args()


def parse_counts(text: str) -> list[int]:
    counts: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        counts += range(int(low), int(high or low) + 1)
    return counts


def tokens(model, counts: list[int], rounds: int) -> None:
    from gst_bench.device.timing import Timer, prefill_step

    calls = {n: prefill_step(model, n) for n in counts}
    samples = Timer("cpu", warmup=1, repeats=rounds).rounds(calls, cold=set(counts))
    print("tokens  median ms  (2nd lowest .. 2nd highest)")
    for n in counts:
        ordered = sorted(samples[n])
        print(f"{n:6d}  {statistics.median(ordered):9.1f}  ({ordered[1]:.1f} .. {ordered[-2]:.1f})")


def idle(model, rounds: int) -> None:
    from gst_bench.device.timing import decode_step
    from gst_bench.real.idle import IdleProbe
    from gst_bench.real.runner import wait_until
    from gst_bench.real.serial import SerialRunner

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

    def after_decode(seconds: float) -> None:
        """A decode step, then ``seconds`` of spinning: the harness's warm wait ends with
        0.08-0.25 s of spinning (``WARM_GAP_NS`` less a decode step)."""
        warm()
        spin(seconds)

    waits = {
        "after decode": lambda: after_decode(0.0),
        "decode+spin 0.17 s": lambda: after_decode(0.17),
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
    base = [r[0] for r in found["after decode"]]
    print(f"wait{'':16s}prefill ms  decode ms  prefill / after decode - 1 ({rounds} rounds)")
    for name, results in found.items():
        prefill = statistics.median(r[0] for r in results)
        decode = statistics.median(r[1] for r in results)
        ratios = [r[0] / b - 1 for r, b in zip(results, base, strict=True)]
        se = statistics.stdev(ratios) / len(ratios) ** 0.5 if len(ratios) > 1 else 0.0
        middle, average = statistics.median(ratios), statistics.fmean(ratios)
        paired = f"median {middle:+6.2%}, mean {average:+6.2%} ± {se:.2%}"
        print(f"{name:18s}  {prefill:10.1f}  {decode:9.1f}  {paired}")


def steps(real: Path, sim: Path) -> None:
    from gst_bench.analysis.engine_steps import markdown
    from gst_compare.artifacts import load_artifact

    print("\n".join(markdown([(load_artifact(real), load_artifact(sim))])))


def stores(roots: list[Path]) -> int:
    from gst_bench.analysis.engine_steps import compare
    from gst_compare.comparison import noise_flags, stored_pairs
    from gst_compare.store import ArtifactStore

    found: dict[str, list[float]] = {}
    for root in roots:
        for pair in stored_pairs(ArtifactStore(root), "corrected"):
            real, sim = pair.real.artifact, pair.sim.artifact
            rows = [r for r in compare(real, sim) if r.what.startswith("a prefill at an idle")]
            if not rows:
                continue
            flagged = bool(noise_flags(pair))
            (row,) = rows
            name = f"{real.meta.workload_name} {real.meta.backend}"
            mark = "flagged" if flagged else ""
            print(f"{root} {name:22s} {row.real_n:3d} idle prefills {row.error:+6.2%} {mark}")
            if not flagged:
                found.setdefault(real.meta.backend, []).append(row.error)
    if not found:
        print(
            "no unflagged corrected pair with idle-engine prefills in "
            f"{' '.join(map(str, roots))}: give --gst-out folders of sessions with real runs",
            file=sys.stderr,
        )
        return 2
    for backend, errors in sorted(found.items()):
        sd = statistics.stdev(errors) if len(errors) > 1 else 0.0
        print(
            f"{backend}: {len(errors)} unflagged pairs, idle prefills priced "
            f"median {statistics.median(errors):+.2%}, mean {statistics.fmean(errors):+.2%}, "
            f"sd {sd:.2%}, {min(errors):+.2%} .. {max(errors):+.2%}"
        )
    return 0


def lines(roots: list[Path]) -> int:
    from gst_bench.device.timing import ANCHOR_PREFILL
    from gst_bench.profile.format import META_FILE, ProfileInfo
    from gst_bench.sim.speed import prefill_level
    from gst_bench.sim.whole_steps import SPAN, curve_through, line_through

    seen, found = set(), []
    for meta in sorted(path for root in roots for path in root.rglob(META_FILE)):
        profile = ProfileInfo.load(meta.parent)
        period = profile.grid.token_period
        rows = profile.whole_steps_ms()
        line, curve = line_through(rows, period), curve_through(rows, period)
        if profile.content_hash in seen or line is None or ANCHOR_PREFILL not in rows:
            continue
        seen.add(profile.content_hash)
        level = prefill_level(rows, ANCHOR_PREFILL, period)
        plain = [n for n in rows if 2 * period <= n <= 2 * ANCHOR_PREFILL and n % period == 0]
        slope, intercept = statistics.linear_regression(plain, [rows[n] for n in plain])
        former = intercept + slope * ANCHOR_PREFILL
        row, straight = rows[ANCHOR_PREFILL], line(ANCHOR_PREFILL)
        found.append((former / level - 1, straight / row - 1, level / row - 1))
        spread = (profile.meta["made"].get("repeat_spread") or {}).get("steps_median")
        print(
            f"{profile.path}  rounds scattered {spread if spread is None else f'{spread:.1%}'}; "
            f"{ANCHOR_PREFILL}-token row {row:.1f} ms, level {level:.1f} ({level / row - 1:+.1%}), "
            f"straight line {straight:.1f} ({straight / row - 1:+.1%}), "
            f"through {', '.join(map(str, plain))} {former:.1f} ({former / level - 1:+.1%} above)"
        )
        span = [n for n in sorted(rows) if SPAN[0] * period <= n <= SPAN[1] * period]
        for name, drawn in (("line", line), ("curve", curve)):
            offs = " ".join(f"{n}:{rows[n] / drawn(n) - 1:+.1%}" for n in span)
            print(f"    against the {name}: {offs}")
    if not found:
        print(f"no profile with a token period under {' '.join(map(str, roots))}", file=sys.stderr)
        return 2
    lifts, straights, levels = zip(*found, strict=True)
    big = sum(abs(x) > 0.02 for x in lifts)
    sd = (lambda xs: statistics.stdev(xs)) if len(found) > 1 else (lambda xs: 0.0)
    print(
        f"{len(found)} profiles; the former level more than 2 % off the level in {big}; against "
        f"the {ANCHOR_PREFILL}-token row: the straight line median "
        f"{statistics.median(straights):+.2%} (sd {sd(straights):.2%}), the level median "
        f"{statistics.median(levels):+.2%} (sd {sd(levels):.2%})"
    )
    return 0


if __name__ == "__main__":
    main()
