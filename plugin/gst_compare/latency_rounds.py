"""A run's measured latencies as pytest-benchmark's rounds: one round per request.

pytest-benchmark reads a timer before and after its target each round; a test's ``benchmark``
marker may name that timer (``@pytest.mark.benchmark(timer=...)``, a documented per-test
option), and ``benchmark.pedantic(target, setup=..., rounds=n)`` calls ``setup`` before each
round. With :data:`LATENCY_CLOCK` as the timer, ``setup`` restarting it and ``target`` moving
it on by one request's latency, round *i* lasts exactly that latency: the stats pytest-benchmark
shows, saves and compares (min, max, mean, median, stddev, iqr, in seconds) are those of the
run's requests, and ``--benchmark-compare-fail=median:5%`` fails a run whose median latency is
more than 5 % above the saved run's. pytest-benchmark's ``ops`` column is then 1 / mean latency.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gst_compare.artifacts import Artifact
from gst_compare.metrics import values


class LatencyClock:
    """A timer that stands still except when a round hands it a latency."""

    def __init__(self) -> None:
        self._now = 0.0

    def now(self) -> float:
        return self._now

    def restart(self) -> None:
        self._now = 0.0

    def advance(self, seconds: float) -> None:
        self._now += seconds


LATENCY_CLOCK = LatencyClock()
MARKER_FIX = "mark the test @pytest.mark.benchmark(timer=LATENCY_CLOCK.now)"


def record_latencies(benchmark: Any, seconds: Sequence[float]) -> None:
    """Store ``seconds`` as the rounds of ``benchmark`` (the pytest-benchmark fixture)."""
    if not seconds:
        raise ValueError("no latencies to record: the run completed no request")
    pending = iter(seconds)

    def next_round() -> tuple[tuple[float], dict[str, Any]]:
        LATENCY_CLOCK.restart()
        return (next(pending),), {}

    benchmark.pedantic(LATENCY_CLOCK.advance, setup=next_round, rounds=len(seconds))
    if benchmark.enabled and list(benchmark.stats.stats.data) != list(seconds):
        raise RuntimeError(f"pytest-benchmark timed the rounds with another timer; {MARKER_FIX}")


def record_e2e(benchmark: Any, artifact: Artifact) -> None:
    """The rounds are the artifact's per-request end-to-end latencies, in seconds."""
    record_latencies(benchmark, [ms / 1000 for ms in values(artifact, "e2e")])
