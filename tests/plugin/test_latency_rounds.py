"""pytest-benchmark stores, shows and gates a measured latency (one round per request),
through its public API: the benchmark marker's ``timer`` and ``pedantic``'s ``setup``."""

from __future__ import annotations

import json

import pytest

LATENCIES = [0.1, 0.2, 0.3, 0.4]


@pytest.fixture(autouse=True)
def outside_xdist(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest-benchmark turns itself off in any session that sees an xdist worker's name: the
    inner sessions are not workers even when this suite runs under -n 2."""
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)


INNER = """
import pytest
from gst_compare.latency_rounds import LATENCY_CLOCK, record_latencies

@pytest.mark.benchmark(group="real", timer={timer})
def test_real(benchmark):
    record_latencies(benchmark, [s * {scale} for s in {latencies}])
"""


def inner(pytester: pytest.Pytester, scale: float, timer: str = "LATENCY_CLOCK.now") -> None:
    text = INNER.format(scale=scale, latencies=LATENCIES, timer=timer)
    pytester.makepyfile(test_bench=text)


def saved(pytester: pytest.Pytester) -> dict:
    (path,) = (pytester.path / "store").rglob("*.json")
    (bench,) = json.loads(path.read_text())["benchmarks"]
    return bench


def save_first_run(pytester: pytest.Pytester) -> None:
    inner(pytester, 1.0)
    result = pytester.runpytest(
        "--benchmark-autosave", "--benchmark-storage=store", "-p", "no:xdist"
    )
    result.assert_outcomes(passed=1)


def test_the_saved_stats_are_the_latencies(pytester):
    save_first_run(pytester)
    bench = saved(pytester)
    stats = bench["stats"]
    assert stats["rounds"] == 4 and stats["iterations"] == 1
    assert (stats["min"], stats["median"], stats["max"]) == (0.1, 0.25, 0.4)
    assert stats["mean"] == pytest.approx(0.25)
    assert bench["options"]["timer"] == "now"


@pytest.mark.parametrize(("scale", "fails"), [(1.10, True), (1.03, False), (0.80, False)])
def test_compare_fail_gates_the_median_latency(pytester, scale, fails):
    """pytest-benchmark raises from its terminal summary: pytester reports the session as an
    internal error, with the traceback on stderr."""
    save_first_run(pytester)
    inner(pytester, scale)
    result = pytester.runpytest(
        "--benchmark-storage=store",
        "--benchmark-compare",
        "--benchmark-compare-fail=median:5%",
        "-p",
        "no:xdist",
    )
    output = result.stdout.str() + result.stderr.str()
    assert "test_bench.py ." in output  # the item passes; pytest-benchmark fails the session
    if fails:
        assert result.ret != pytest.ExitCode.OK  # a traceback: the summary line is lost
        assert "Field 'median' has failed PercentageRegressionCheck: 10.0" in output
    else:
        assert result.ret == pytest.ExitCode.OK


def test_a_test_without_the_clock_as_timer_fails_with_the_fix(pytester):
    inner(pytester, 1.0, timer="__import__('time').perf_counter")
    result = pytester.runpytest("-p", "no:xdist")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*mark the test @pytest.mark.benchmark(timer=LATENCY_CLOCK.now)*"])


def test_disabled_benchmarks_still_run_the_test(pytester):
    inner(pytester, 1.0)
    pytester.runpytest("--benchmark-disable", "-p", "no:xdist").assert_outcomes(passed=1)


def test_an_artifacts_e2e_latencies_become_the_rounds(pytester):
    pytester.makepyfile(
        test_e2e="""
import pytest
from gst_compare.latency_rounds import LATENCY_CLOCK, record_e2e
from gst_compare.metrics import values
from tests.plugin.factory import make_artifact

@pytest.mark.benchmark(timer=LATENCY_CLOCK.now)
def test_sim(benchmark):
    artifact = make_artifact("sim", n=7, seed=2)
    record_e2e(benchmark, artifact)
    assert benchmark.stats.stats.data == [ms / 1000 for ms in values(artifact, "e2e")]
"""
    )
    pytester.runpytest("-p", "no:xdist").assert_outcomes(passed=1)
