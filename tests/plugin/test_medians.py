"""The medians table: a p50 error read beside the per-request error of the same requests and
the values around both medians, so a median that fell on a jump is told from a simulator that
is off."""

from __future__ import annotations

from dataclasses import replace

from gst_compare.comparison import around_median, median_views
from gst_compare.distance import compare_metric
from gst_compare.gate import PASS, GateConfig, judge
from gst_compare.metrics import observed_percentile
from gst_compare.report import ComparisonReport, PairResult, SideInfo
from gst_compare.report_markdown import to_markdown

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


def medians_row(real, sim, label="tiny · ttft"):
    """The TTFT distance of the two artifacts and its row of the report's medians table."""
    (view, *_) = median_views(real, sim)
    distance = compare_metric("ttft", real, sim, resamples=200)
    pair = PairResult(
        label=label,
        key={},
        real=side("real"),
        sim=side("sim"),
        gate={},
        verdict=PASS,
        distances=[distance],
        verdicts=[judge(distance, GateConfig.from_dict({}))],
        medians=[view],
    )
    markdown = to_markdown(ComparisonReport(run_id="run-0", verdict=PASS, pairs=[pair]))
    section = markdown.split("## Medians and per-request errors")[1].split("\n## ")[0]
    (row,) = [line for line in section.splitlines() if line.startswith(f"| {label} | TTFT")]
    return view, distance, row


def test_a_median_on_a_jump_reads_like_the_per_request_error():
    """Simulated TTFTs step from 500 to 540 ms right after the middle rank (21 short, 19 long
    prompts); the real ones scatter ±4 % around the same prices: every request is priced within
    a few %. The sample medians are 4 % apart; the Harrell–Davis p50s read the ranks around the
    middle too and agree with the per-request error, so no note."""
    sim_ms = [500.0] * 21 + [540.0] * 19
    real_ms = [price * (1.04 if i % 2 else 0.96) for i, price in enumerate(sim_ms)]
    real = with_ttfts(make_artifact("real", n=40), real_ms)
    sim = with_ttfts(make_artifact("sim", n=40, variant="corrected"), sim_ms)
    view, distance, row = medians_row(real, sim)
    assert view.metric == "ttft" and view.sim_ms == (500.0, 500.0, 500.0, 540.0)
    p50, paired = distance.percentile(50), distance.paired
    sample_error = observed_percentile(sim_ms, 50) / observed_percentile(real_ms, 50) - 1
    assert abs(sample_error - paired.bias) > 0.03
    assert abs(p50.rel_error - paired.bias) < 0.01
    assert "points apart" not in row and "500 ms, 500 ms, 500 ms, 540 ms" in row


def test_a_median_that_the_per_request_error_does_not_explain_is_noted():
    """Every request priced exactly but the 19 shortest, which are priced far too slow: the
    median request is right (per-request error 0) while the p50 moves up past the middle."""
    real_ms = [400.0 + 10 * i for i in range(40)]
    sim_ms = [v * 3 if i < 19 else v for i, v in enumerate(real_ms)]
    real = with_ttfts(make_artifact("real", n=40), real_ms)
    sim = with_ttfts(make_artifact("sim", n=40, variant="corrected"), sim_ms)
    _, distance, row = medians_row(real, sim)
    p50, paired = distance.percentile(50), distance.paired
    assert paired.bias == 0.0 and p50.rel_error > 0.2
    assert f"{abs(p50.rel_error - paired.bias) * 100:.1f} points apart" in row
    assert "590 ms, 600 ms" in row
