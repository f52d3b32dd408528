"""The report of a session of twelve pairs (three cases, four variants): the headline sentence,
the verdict table with every variant beside the primary and the floor, the Markdown's length,
and the figures' units."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from gst_compare import report
from gst_compare.baseline import BaselineFolder
from gst_compare.comparison import Extensions, Settings, compare_session
from gst_compare.pairing import SESSION, Side
from gst_compare.report_markdown import to_markdown
from gst_compare.report_terminal import terminal_lines
from gst_compare.store import ArtifactStore
from tests.plugin.factory import make_artifact
from tests.plugin.test_gate import preset

CASES = (
    ("steady60", "a" * 32, "serial"),
    ("steady60", "a" * 32, "continuous"),
    ("paced100", "b" * 32, "serial"),
)
VARIANTS = {
    "corrected": {"scale": 1.04},
    "baseline": {"scale": 3.9},
    "stock": {"scale": 0.7},
    "calibrated": {"scale": 1.01},
}
HEADLINE = re.compile(
    r"^(PASS|FAIL|INCONCLUSIVE) — sim=corrected worst error: (TTFT|TPOT|E2E|ITL) p(50|90) "
    r"(?P<value>[+-]\d+\.\d) % \[[+-]\d+\.\d, [+-]\d+\.\d\] \((steady60|paced100), "
    r"(serial|continuous)\); (undecided: [^;]+; )?sim=baseline (?P<baseline>\+\d+\.\d) %; "
    r"floor (\d+\.\d %|not measured)\.$"
)


def sides_of(store: ArtifactStore, variants: dict, prefix: str) -> list[Side]:
    found = []
    for name, digest, backend in CASES:
        case = {"workload_name": prefix + name, "workload_hash": digest, "backend": backend}
        made = [("real", {"seed": 1}), *[("sim", {"variant": v, **o}) for v, o in variants.items()]]
        for kind, options in made:
            test_id = f"bench.py::test_{kind}[{name}-{backend}-{options.get('variant', '')}]"
            artifact = make_artifact(
                kind, n=40, run_id="run-1", test_id=test_id, **{"seed": 2, **case, **options}
            )
            found.append(Side(artifact, store.save(artifact), SESSION, test_id))
    return found


def session(tmp_path: Path, variants: dict = VARIANTS, prefix: str = ""):
    store = ArtifactStore(tmp_path / "out", current_run="run-1")
    older = make_artifact("real", n=40, seed=4, run_id="run-0", workload_hash="a" * 32)
    store.save(replace(older, meta=replace(older.meta, workload_name="steady60")))
    settings = Settings(
        run_id="run-1",
        store=store,
        baselines=BaselineFolder(tmp_path / "baselines"),
        reports_root=tmp_path / "reports",
        gate=replace(preset("default"), bootstrap_resamples=200),
        plots=False,
        rootdir=tmp_path,
    )
    return compare_session(sides_of(store, variants, prefix), settings, Extensions())


@pytest.fixture(scope="module")
def twelve(tmp_path_factory: pytest.TempPathFactory) -> report.ComparisonReport:
    return session(tmp_path_factory.mktemp("twelve"))


def test_the_headline_is_one_sentence_with_the_primary_the_baseline_and_the_floor(twelve):
    headline = report.headline_sentence(twelve)
    assert len(twelve.pairs) == 12 and len(headline) <= report.HEADLINE_MAX_CHARS
    found = HEADLINE.match(headline)
    assert found, headline
    pair, row, check = report.worst(twelve)
    assert pair.variant == "corrected" and found["value"] == f"{check.value * 100:+.1f}"
    by_variant = report.cases(twelve)[pair.case_label]
    base = report.same_check(by_variant["baseline"], row.metric, check.name)
    assert found["baseline"] == f"{base.value * 100:+.1f}"
    assert terminal_lines(twelve)[0][0] == headline
    assert to_markdown(twelve).splitlines()[0] == f"# {headline}"


def test_a_headline_never_runs_past_its_length(tmp_path):
    long_name = "a-workload-whose-preset-name-goes-on-and-on-" * 4
    found = session(tmp_path, {"corrected": {"scale": 1.04}}, prefix=long_name)
    headline = report.headline_sentence(found)
    assert len(headline) == report.HEADLINE_MAX_CHARS and headline.endswith("…")
    assert headline.startswith(f"{str(found.verdict).upper()} — sim=corrected worst error: ")


def test_the_verdict_table_sets_every_variant_and_the_floor_beside_the_primary(twelve):
    markdown = to_markdown(twelve)
    table = markdown.split("## Verdict\n\n")[1].split("\n\n")[0].splitlines()
    header = [cell.strip() for cell in table[0].strip("|").split("|")]
    assert header == [
        "pair",
        "metric",
        "corrected verdict",
        "corrected p50 [CI]",
        "corrected p90 [CI]",
        "floor p50 / p90",
        "baseline p50 / p90",
        "stock p50 / p90",
        f"{report.CALIBRATED_LABEL} p50 / p90",
        "why",
    ]
    assert len(table) == 2 + 3 * 5  # three cases, five metrics
    rows = {tuple(c.strip() for c in line.strip("|").split("|")[:2]): line for line in table[2:]}
    queueing = rows[("steady60 · qwen3-0.6b · cpu · continuous", "queueing")]
    assert " ms [" in queueing and "%" not in queueing.split("|")[4]
    assert "not measured" in queueing  # one real run of this case
    measured = rows[("steady60 · qwen3-0.6b · cpu · serial", "TTFT")]
    assert re.search(r"\| \d+\.\d % / \d+\.\d % \| \+2\d\d\.\d % / \+2\d\d\.\d % \|", measured)


def test_a_variant_the_session_did_not_run_has_no_column(tmp_path):
    found = session(tmp_path, {"corrected": {"scale": 1.04}, "baseline": {"scale": 3.9}})
    header = to_markdown(found).split("## Verdict\n\n")[1].splitlines()[0]
    assert "baseline p50 / p90" in header
    assert "stock" not in header and report.CALIBRATED_LABEL not in header


def test_a_session_of_twelve_pairs_fits_in_400_lines_and_links_its_details(twelve):
    markdown = (Path(twelve.report_dir) / "report.md").read_text()
    assert len(markdown.splitlines()) <= 400
    assert "[comparison.json](comparison.json)" in markdown
    assert '"versions"' not in markdown and "resolved_config" not in markdown
    assert markdown.count("## Runs") == 1
    data = json.loads((Path(twelve.report_dir) / "comparison.json").read_text())
    assert data["runs"] == [
        {"run_id": "run-1", "kind": "real", "artifacts": 3, "flags": []},
        {"run_id": "run-1", "kind": "sim", "artifacts": 12, "flags": []},
    ]
    floors = {p["label"]: p["floor"] for p in data["pairs"]}
    measured = floors["steady60 · qwen3-0.6b · cpu · serial · sim=stock"]
    assert (measured["real_run"], measured["sim_run"], measured["real_store"]) == (
        "run-0",
        "run-1",
        "out",
    )
    assert set(measured["values"]) == {"ttft", "tpot", "e2e", "queueing", "itl"}
    assert measured["values"]["ttft"]["p50"] > 0
    unmeasured = floors["paced100 · qwen3-0.6b · cpu · serial · sim=corrected"]
    assert unmeasured["source"] == "not measured"
    assert unmeasured["command"] == "pytest 'bench.py::test_real[paced100-serial-]'"


def test_the_error_against_prompt_length_is_drawn_in_the_unit_the_gate_judges():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gst_compare import plots

    real, sim = {1: 2.0, 2: 0.0}, {1: 5.0, 2: 1.5}
    prompts = {1: 16, 2: 32}
    fig, (absolute, relative) = plt.subplots(1, 2)
    try:
        plots._error_vs_prompt(absolute, real, sim, prompts, {"p50": (100.0, "ms")}, True)
        plots._error_vs_prompt(relative, real, sim, prompts, {"p50": (0.25, "rel")}, False)
        assert absolute.get_ylabel() == "sim − real (ms)"
        assert list(absolute.lines[-1].get_ydata()) == [3.0, 1.5]  # a real 0 ms is kept
        assert relative.get_ylabel() == "(sim − real) / real (%)"
        assert list(relative.lines[-1].get_ydata()) == [150.0]
    finally:
        plt.close(fig)
