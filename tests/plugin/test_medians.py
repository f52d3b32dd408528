"""The medians table: a p50 error read beside the per-request error of the same requests and
the values around both medians, so a median that fell on a jump is told from a simulator that
is off."""

from __future__ import annotations

from dataclasses import replace

from gst_compare.comparison import around_median, median_views
from gst_compare.distance import compare_metric
from gst_compare.gate import PASS, GateConfig, judge
from gst_compare.report import ComparisonReport, PairResult, SideInfo, to_markdown

from .factory import MS, make_artifact


def test_four_values_around_the_median_two_on_each_side():
    assert around_median([1.0, 2, 3, 4, 5, 6]) == [2, 3, 4, 5]
    assert around_median([1.0, 2, 3, 4, 5]) == [2, 3, 4, 5]
    assert around_median([1.0, 2, 3, 4]) == [1, 2, 3, 4]


def with_ttfts(artifact, ttfts_ms):
    """``artifact`` with each request's first token ``ttfts_ms[i]`` after its arrival."""
    requests = []
    for record, ttft in zip(artifact.requests, ttfts_ms, strict=True):
        first = record.arrived_at_ns + int(ttft * MS)
        shift = first - record.first_token_at_ns
        requests.append(
            replace(
                record,
                scheduled_at_ns=record.arrived_at_ns,
                first_token_at_ns=first,
                completed_at_ns=record.completed_at_ns + shift,
            )
        )
    return replace(artifact, requests=tuple(requests))


def side(kind: str) -> SideInfo:
    return SideInfo(kind, "session", f"test_{kind}", "run-0", "", "default", "cpu", 40, "")


def test_a_median_on_a_jump_is_told_apart_from_the_per_request_error():
    """Simulated TTFTs step from 500 to 540 ms right after the middle rank (21 short, 19 long
    prompts); the real ones scatter ±4 % around the same prices: every request is priced within
    a few %, yet the medians are 4 % apart."""
    sim_ms = [500.0] * 21 + [540.0] * 19
    real_ms = [price * (1.04 if i % 2 else 0.96) for i, price in enumerate(sim_ms)]
    real = with_ttfts(make_artifact("real", n=40), real_ms)
    sim = with_ttfts(make_artifact("sim", n=40, variant="corrected"), sim_ms)
    (view, *_) = median_views(real, sim)
    assert view.metric == "ttft" and view.sim_ms == (500.0, 500.0, 500.0, 540.0)
    distance = compare_metric("ttft", real, sim, resamples=200)
    p50, paired = distance.percentile(50), distance.paired
    assert abs(p50.rel_error - paired.bias) > 0.02
    pair = PairResult(
        label="tiny · ttft",
        key={},
        real=side("real"),
        sim=side("sim"),
        gate={},
        verdict=PASS,
        distances=[distance],
        verdicts=[judge(distance, GateConfig.from_dict({}), "")],
        medians=[view],
    )
    markdown = to_markdown(ComparisonReport(run_id="run-0", verdict=PASS, pairs=[pair]))
    section = markdown.split("## Medians and per-request errors")[1].split("\n## ")[0]
    (row,) = [line for line in section.splitlines() if line.startswith("| tiny · ttft | TTFT")]
    assert f"{abs(p50.rel_error - paired.bias) * 100:.1f} points apart" in row
    assert "500 ms, 500 ms, 500 ms, 540 ms" in row
