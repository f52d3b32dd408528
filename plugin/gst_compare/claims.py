"""What a committed reference claims, checked against a fresh judgement of it.

A reference (a store of real and simulated runs with its report) is committed with the claims
its README makes, in a YAML file; CI re-simulates and re-judges the reference and runs::

    python -m gst_compare.claims NEW/comparison.json --reference REF/comparison.json \\
        --claims REF/claims.yaml

Two kinds of claim, each failing with its id and the figure that broke it:

- reproducible: every check of every pair in ``--reference`` comes out with the same value,
  interval and floor in the new judgement (the simulator is deterministic, so a pricing change
  that moves a figure shows here and must be committed with the reference it changes);
- stated: a bound on a variant's errors (``max_abs``) or a comparison between two variants
  (``beats``: the variant's |error| below the other's), over the pairs, metrics and checks
  it names.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# Figures are equal when they agree to this (JSON round trips, float sums in another order).
SAME = 1e-9


@dataclass(frozen=True)
class Figure:
    """One check of one pair: ``(workload, backend, variant, metric, check)``."""

    workload: str
    backend: str
    variant: str
    metric: str
    check: str
    value: float | None
    interval: tuple[float, float] | None
    floor: float | None
    unit: str

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.workload, self.backend, self.variant, self.metric, self.check)

    def shown(self, value: float | None = None) -> str:
        value = self.value if value is None else value
        if value is None:
            return "n/a"
        return f"{value * 100:+.1f} %" if self.unit == "rel" else f"{value:+.1f} ms"

    @property
    def where(self) -> str:
        return f"{self.workload}/{self.backend}/{self.variant} {self.metric} {self.check}"


def figures(comparison: Mapping[str, Any]) -> dict[tuple[str, ...], Figure]:
    """Every check of every pair of a comparison.json, and every sweep's capacity error (metric
    ``capacity``, check ``error``), by key."""
    found = {}
    for pair in comparison.get("pairs", []):
        workload = (
            pair["workload"] if isinstance(pair["workload"], str) else pair["workload"]["name"]
        )
        for verdict in pair.get("verdicts", []):
            for check in verdict.get("checks", []):
                interval = check.get("interval")
                figure = Figure(
                    workload=str(workload),
                    backend=str(pair["key"]["backend"]),
                    variant=str(pair["sim"]["variant"]),
                    metric=str(verdict["metric"]),
                    check=str(check["name"]),
                    value=check.get("value"),
                    interval=tuple(interval) if interval else None,
                    floor=check.get("floor"),
                    unit=str(check.get("unit", "rel")),
                )
                found[figure.key] = figure
    for sweep in comparison.get("sweeps", []):
        for variant in sweep.get("variants", []):
            interval = variant.get("interval")
            figure = Figure(
                workload=str(sweep["sweep"]),
                backend=str(sweep["backend"]),
                variant=str(variant["variant"]),
                metric="capacity",
                check="error",
                value=variant.get("error"),
                interval=tuple(interval) if interval else None,
                floor=None,
                unit="rel",
            )
            found[figure.key] = figure
    return found


def _differs(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) != math.isnan(b)
    return abs(a - b) > SAME * max(1.0, abs(a), abs(b))


def reproduction_problems(new: Mapping, reference: Mapping) -> list[str]:
    """The reference's figures that the new judgement lacks or gives otherwise."""
    now, then = figures(new), figures(reference)
    problems = []
    for key, old in sorted(then.items()):
        got = now.get(key)
        if got is None:
            problems.append(f"{old.where}: in the reference, missing now")
            continue
        parts = [
            ("value", old.value, got.value),
            ("floor", old.floor, got.floor),
            *(
                (f"interval[{i}]", old.interval[i], got.interval[i])
                for i in range(2)
                if old.interval and got.interval
            ),
        ]
        for name, was, is_ in parts:
            if _differs(was, is_):
                problems.append(f"{old.where}: {name} was {old.shown(was)}, now {old.shown(is_)}")
                break
    return problems


@dataclass(frozen=True)
class Claim:
    """A stated claim over the figures it selects (empty selectors select everything)."""

    id: str
    text: str
    variant: str
    max_abs: float | None = None
    beats: str | None = None
    workloads: tuple[str, ...] = ()
    backends: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Claim:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown or "id" not in data or "variant" not in data:
            raise ValueError(
                f"claim {data.get('id', '?')!r}: needs id and variant, knows {sorted(known)}"
                + (f"; unknown {unknown}" if unknown else "")
            )
        if (data.get("max_abs") is None) == (data.get("beats") is None):
            raise ValueError(f"claim {data['id']!r}: give exactly one of max_abs and beats")
        lists = ("workloads", "backends", "metrics", "checks")
        values = {k: tuple(data[k]) if k in lists else data[k] for k in data}
        return cls(**{"text": "", **values})

    def selects(self, figure: Figure) -> bool:
        wanted = (
            (self.workloads, figure.workload),
            (self.backends, figure.backend),
            (self.metrics, figure.metric),
            (self.checks, figure.check),
        )
        return figure.variant == self.variant and all(not w or v in w for w, v in wanted)

    def problems(self, found: Mapping[tuple[str, ...], Figure]) -> list[str]:
        chosen = [f for f in found.values() if self.selects(f)]
        if not chosen:
            return [f"claim {self.id!r} ({self.text}): selects no figure of the judgement"]
        return [p for f in chosen if (p := self._broken(f, found))]

    def _broken(self, figure: Figure, found: Mapping[tuple[str, ...], Figure]) -> str:
        said = f"claim {self.id!r} ({self.text}) broken: {figure.where}"
        if figure.value is None or math.isnan(figure.value):
            return f"{said} has no value"
        if self.max_abs is not None and abs(figure.value) > self.max_abs:
            return f"{said} is {figure.shown()}, limit ±{figure.shown(self.max_abs)[1:]}"
        if self.beats is not None:
            other = found.get((*figure.key[:2], self.beats, *figure.key[3:]))
            if other is None or other.value is None:
                return f"{said}: no {self.beats} figure to compare with"
            if abs(figure.value) >= abs(other.value):
                return f"{said} is {figure.shown()}, {self.beats} {other.shown()}"
        return ""


@dataclass
class ClaimsFile:
    claims: list[Claim] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> ClaimsFile:
        data = yaml.safe_load(Path(path).read_text()) or {}
        return cls([Claim.from_dict(c) for c in data.get("claims", [])])


def check(new: Mapping, reference: Mapping | None, claims: Iterable[Claim]) -> list[str]:
    """Every broken claim, one line each (reproduction first)."""
    lines = []
    if reference is not None:
        broken = reproduction_problems(new, reference)
        if broken:
            lines.append(
                f"claim 'reproducible' (the committed reference's figures come out the same) "
                f"broken in {len(broken)} figure(s), first: {broken[0]}"
            )
            lines += [f"  {p}" for p in broken[1:10]]
    found = figures(new)
    for claim in claims:
        lines += claim.problems(found)
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gst_compare.claims", description=__doc__)
    parser.add_argument("comparison", type=Path, help="the new judgement's comparison.json")
    parser.add_argument("--reference", type=Path, help="the committed comparison.json")
    parser.add_argument("--claims", type=Path, help="the reference's claims.yaml")
    args = parser.parse_args(argv)
    if not args.comparison.is_file():
        print(
            f"no judgement to check: {args.comparison} is missing (the session before this "
            "check judged nothing; its output above says why)",
            file=sys.stderr,
        )
        return 1
    new = json.loads(args.comparison.read_text())
    reference = json.loads(args.reference.read_text()) if args.reference else None
    claims = ClaimsFile.load(args.claims).claims if args.claims else []
    problems = check(new, reference, claims)
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(
            "the reference no longer says what is claimed: if the change is intended, "
            "regenerate the reference and its claims in the same commit (reports/README.md)",
            file=sys.stderr,
        )
        return 1
    print(f"claims: {len(claims)} stated and the reference's figures reproduced: all hold")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
