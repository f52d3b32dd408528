"""The report's per-operator composition: a serial run's median decode step and prefill,
priced by each variant through Vidur's own ``get_execution_time``."""

from __future__ import annotations

from dataclasses import replace

from gst_bench.analysis.composition import closure_markdown, compose, markdown, measured_steps
from gst_bench.sim.vidur_adapter import simulate
from gst_bench.workloads.workload import Workload, WorkloadSpec, generate
from gst_compare.artifacts import Artifact
from gst_compare.store import ArtifactStore, store_root_of
from tests.sim.conftest import compose as compose_config
from tests.sim.conftest import small_workload

# A simulated stamp is Vidur's time in seconds rounded to whole nanoseconds; a step measured
# between two stamps is off its price by less than one nanosecond.
NS_IN_MS = 1e-6


def one_kv_bucket_workload() -> Workload:
    """Serial requests whose every decode step sees a context of 33 to 64 tokens: one bucket of
    the corrected variant's attention lookup (granularity 32), so every decode step costs the
    same and the median gap is the price of the decode step at the median context."""
    spec = WorkloadSpec.from_config(
        {
            "name": "onebucket",
            "seed": 5,
            "num_requests": 6,
            "arrival": {"process": "poisson", "rate": 50.0},
            "prompt_len": {"dist": "uniform", "min": 36, "max": 44},
            "output_len": {"dist": "uniform", "min": 4, "max": 12},
        },
        vocab_size=1000,
    )
    return generate(spec)


def test_each_variant_prices_the_runs_median_steps_per_operator(tiny_profile, tmp_path):
    """The corrected simulation judged as if it were the real run decomposes to no error: its
    median decode gap and its median prefill are the very steps the corrected variant prices
    (within the nanosecond rounding of the stamps); stock, priced otherwise, is off."""
    workload, store = one_kv_bucket_workload(), ArtifactStore(tmp_path)
    sims = {}
    for variant in ("stock", "corrected"):
        cfg = compose_config("backend=serial", f"vidur={variant}")
        artifact = simulate(workload, tiny_profile, cfg, out_root=tmp_path, run_id="r1")
        path = store.save(replace(artifact, meta=replace(artifact.meta, test_id=variant)))
        sims[variant] = (artifact, store_root_of(path))
    corrected = sims["corrected"][0]
    stand_in_real = Artifact(replace(corrected.meta, kind="real"), corrected.requests)

    found = compose(stand_in_real, sims.values())

    assert [s.kind for s in found.steps] == [s.kind for s in measured_steps(stand_in_real)]
    assert [s.kind for s in found.steps] == ["decode", "prefill"]
    for priced in found.priced["corrected"]:
        assert abs(priced.priced_ms - priced.step.measured_ms) < NS_IN_MS, priced
        assert abs(priced.error) < 1e-3
    assert all(abs(priced.error) > 1e-3 for priced in found.priced["stock"])
    assert (
        found.priced["stock"][0].parts_ms["add_time"]
        < found.priced["corrected"][0].parts_ms["add_time"]
    )
    text = "\n".join(markdown(found))
    assert "| mlp_up_proj |" in text and "| **priced total (error)** |" in text


def test_the_report_shows_each_profiles_closure_once(tiny_profile, tmp_path):
    workload = small_workload()
    sims = [
        simulate(workload, tiny_profile, compose_config(f"backend={b}"), out_root=tmp_path)
        for b in ("serial", "continuous")
    ]
    lines = closure_markdown(sims)
    closure = sims[0].meta.extra["closure"]
    assert sum(line.startswith("**Profile ") for line in lines) == 1
    rows = [line for line in lines if line.startswith("| decode") or line.startswith("| prefill")]
    assert len(rows) == len(closure["points"])
    state = {"cannot tell": "cannot tell whether it closes"}.get(closure["state"], closure["state"])
    assert f"**Profile {tiny_profile.content_hash[:12]} {state}**" in lines[0]
    assert closure["state"] in ("closes", "does not close", "cannot tell")
    assert (closure["state"] == "closes") == closure["passed"]
    undecided = [line for line in lines if line.startswith("- cannot tell: ")]
    assert len(undecided) == len(closure["undecided"])
