"""Claims of a committed reference: reproduced figures and stated bounds, each failing by name."""

from __future__ import annotations

import json

import pytest

from gst_compare.claims import Claim, check, main


def comparison(**values: float) -> dict:
    """Pairs of one workload and backend: ``variant_metric_check=value`` (relative)."""
    pairs: dict[str, dict] = {}
    for name, value in values.items():
        variant, metric, check_name = name.split("_")
        pair = pairs.setdefault(
            variant,
            {"workload": "w", "key": {"backend": "serial"}, "sim": {"variant": variant}},
        )
        verdicts = pair.setdefault("verdicts", [])
        verdict = next((v for v in verdicts if v["metric"] == metric), None)
        if verdict is None:
            verdict = {"metric": metric, "checks": []}
            verdicts.append(verdict)
        verdict["checks"].append(
            {
                "name": check_name,
                "value": value,
                "interval": [value - 0.01, value + 0.01],
                "floor": 0.02,
                "unit": "rel",
            }
        )
    return {"pairs": list(pairs.values())}


BOUND = Claim(id="p50", text="within 5 %", variant="corrected", checks=("p50",), max_abs=0.05)
BEATS = Claim(id="beats", text="beats the baseline", variant="corrected", beats="baseline")


def test_a_reference_judged_again_the_same_holds() -> None:
    judged = comparison(corrected_ttft_p50=0.03, baseline_ttft_p50=0.30)
    assert check(judged, judged, [BOUND, BEATS]) == []


def test_a_moved_figure_breaks_reproduction_naming_it() -> None:
    before = comparison(corrected_ttft_p50=0.03)
    after = comparison(corrected_ttft_p50=0.031)
    (line,) = check(after, before, [])
    assert "claim 'reproducible'" in line
    assert "w/serial/corrected ttft p50: value was +3.0 %, now +3.1 %" in line


def with_capacity(judged: dict, error: float, high: float = float("inf")) -> dict:
    """``judged`` with one sweep whose corrected capacity is ``error`` off (interval up to
    ``high``: a capacity above the highest level leaves it open)."""
    variant = {"variant": "corrected", "error": error, "interval": [error - 0.05, high]}
    return {
        **judged,
        "sweeps": [{"sweep": "loadsweep", "backend": "serial", "variants": [variant]}],
    }


def test_a_sweeps_capacity_error_is_a_figure_reproduced_and_bounded() -> None:
    judged = json.loads(json.dumps(with_capacity(comparison(corrected_ttft_p50=0.03), 0.04)))
    assert check(judged, judged, []) == []
    moved = with_capacity(comparison(corrected_ttft_p50=0.03), 0.08)
    (line,) = check(moved, judged, [])
    assert "loadsweep/serial/corrected capacity error: value was +4.0 %, now +8.0 %" in line
    bound = Claim(id="cap", text="capacity within 5 %", variant="corrected", max_abs=0.05)
    assert check(moved, None, [bound]) == [
        "claim 'cap' (capacity within 5 %) broken: loadsweep/serial/corrected capacity error is "
        "+8.0 %, limit ±5.0 %"
    ]


def test_a_stated_bound_and_a_comparison_fail_by_their_id() -> None:
    judged = comparison(corrected_ttft_p50=0.06, baseline_ttft_p50=0.04)
    problems = check(judged, None, [BOUND, BEATS])
    assert problems == [
        "claim 'p50' (within 5 %) broken: w/serial/corrected ttft p50 is +6.0 %, limit ±5.0 %",
        "claim 'beats' (beats the baseline) broken: w/serial/corrected ttft p50 is +6.0 %, "
        "baseline +4.0 %",
    ]


def test_a_claim_that_selects_nothing_is_a_problem_not_a_pass() -> None:
    judged = comparison(corrected_ttft_p50=0.01)
    nothing = Claim(id="x", text="t", variant="corrected", workloads=("other",), max_abs=1.0)
    assert check(judged, None, [nothing]) == ["claim 'x' (t): selects no figure of the judgement"]


@pytest.mark.parametrize(
    "data",
    [
        {"id": "a", "variant": "v"},
        {"id": "a", "variant": "v", "max_abs": 1, "beats": "b"},
        {"id": "a", "variant": "v", "max_abs": 1, "colour": "red"},
    ],
)
def test_a_malformed_claim_is_refused(data) -> None:
    with pytest.raises(ValueError, match="claim 'a'"):
        Claim.from_dict(data)


def test_the_command_exits_1_with_the_fix(tmp_path, capsys) -> None:
    new, ref = tmp_path / "new.json", tmp_path / "ref.json"
    new.write_text(json.dumps(comparison(corrected_ttft_p50=0.2)))
    ref.write_text(json.dumps(comparison(corrected_ttft_p50=0.1)))
    claims = tmp_path / "claims.yaml"
    claims.write_text("claims:\n  - {id: p50, variant: corrected, max_abs: 0.05}\n")
    assert main([str(new), "--reference", str(ref), "--claims", str(claims)]) == 1
    err = capsys.readouterr().err
    assert "claim 'reproducible'" in err and "claim 'p50'" in err and "regenerate" in err
    assert main([str(ref), "--reference", str(ref)]) == 0


def test_a_missing_judgement_is_one_line_not_a_traceback(tmp_path, capsys) -> None:
    assert main([str(tmp_path / "comparison.json")]) == 1
    assert "no judgement to check" in capsys.readouterr().err
