"""The profiler on the tiny Qwen3 writes files Vidur's own loader and trainer accept; the
synthetic profile the logic tests use is in the same format and closes."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from gst_bench.profile.format import ProfileError, ProfileInfo, find_profile
from gst_bench.profile.measure import ensure_profile
from gst_bench.profile.steps import CLOSURE_SOURCE, GRID_POINT_SOURCE
from gst_bench.sim.closure import check_closure
from gst_bench.sim.vidur_adapter import profile_closure
from tests.sim.conftest import REMAKE, compose, tiny_needs


def test_meta_describes_the_profile(measured_profile: ProfileInfo) -> None:
    meta = measured_profile.meta
    assert meta["hardware"] == "cpu" and meta["dtype"] == "float32" and meta["threads"] == 1
    assert meta["model"]["head_dim"] == 16 and meta["model"]["num_layers"] == 2
    assert "q_norm" in meta["operators"]["attn_pre_proj"]
    assert meta["corrections"]["folded_here"] == []


def test_csvs_have_vidur_layout(measured_profile: ProfileInfo) -> None:
    compute = pd.read_csv(measured_profile.compute_csv)
    attention = pd.read_csv(measured_profile.attention_csv)
    assert list(compute["num_tokens"]) == list(measured_profile.grid.num_tokens)
    for op in (
        "attn_pre_proj",
        "attn_post_proj",
        "mlp_up_proj",
        "mlp_down_proj",
        "mlp_act",
        "attn_rope",
        "input_layernorm",
        "post_attention_layernorm",
        "add",
    ):
        assert (compute[f"time_stats.{op}.median"] > 0).all(), op
    lm_head = compute["time_stats.lm_head.median"]
    rows = compute["num_tokens"] <= max(measured_profile.grid.decode_batches)
    assert (lm_head[rows] > 0).all() and lm_head[~rows].isna().all()
    prefill = attention[attention["prefill_chunk_size"] > 0]
    decode = attention[attention["prefill_chunk_size"] == 0]
    assert (prefill["time_stats.attn_prefill.median"] > 0).all()
    assert (decode["time_stats.attn_decode.median"] > 0).all()
    assert set(prefill["batch_size"]) == {1}


def test_vidurs_own_loader_and_trainer_accept_the_files(measured_profile, tmp_path) -> None:
    """Vidur's linear-regression predictor, pointed at our files instead of the hub, loads,
    filters and trains on them (one hyper-parameter set, to stay fast)."""
    from vidur.config import CacheConfig, LinearRegressionExecutionTimePredictorConfig
    from vidur.execution_time_predictor.linear_regression_execution_time_predictor import (
        LinearRegressionExecutionTimePredictor,
    )

    from gst_bench.sim.plan import Switches, plan
    from gst_bench.sim.vidur_config import build_config
    from tests.sim.conftest import small_workload

    class VidurLinearOnLocalFiles(LinearRegressionExecutionTimePredictor):
        def _load_predictions_from_hf(self):
            raise RuntimeError("offline")

        def _get_input_files(self):
            return (str(measured_profile.compute_csv), str(measured_profile.attention_csv), "", "")

        def _get_kv_parallel_communication_time(self, batch):
            return 0.0

    cfg = compose("backend=serial")
    built = build_config(
        plan(small_workload(), cfg), measured_profile, Switches(), cfg["hardware"], 0, tmp_path
    )
    config = LinearRegressionExecutionTimePredictorConfig(
        polynomial_degree=[1],
        polynomial_include_bias=[True],
        polynomial_interaction_only=[False],
        fit_intercept=[True],
        k_fold_cv_splits=2,
        num_training_job_threads=1,
        prediction_max_tokens_per_request=256,
        prediction_max_batch_size=4,
        prediction_max_prefill_chunk_size=64,
        cache_dir=str(tmp_path / "vidur-cache"),
    )
    predictor = VidurLinearOnLocalFiles(
        config, built.config.cluster_config.replica_config, CacheConfig(block_size=16)
    )
    assert predictor._predictions["attn_decode"][(1, 256)] > 0
    assert predictor._predictions["mlp_up_proj"][(64,)] > 0


def test_reused_when_it_covers_and_rejected_when_edited(measured_profile, tmp_path) -> None:
    cfg = compose()
    root = measured_profile.path.parents[4]
    found = find_profile(root, "cpu", "qwen3-tiny", "float32")
    assert found is not None and found.content_hash == measured_profile.content_hash
    again = ensure_profile(root, cfg["model"], cfg["hardware"], tiny_needs(), tmp_path)
    assert again.path == measured_profile.path

    copy = tmp_path / "edited"
    copy.mkdir()
    meta_file = measured_profile.path / "profile.json"
    for file in (measured_profile.compute_csv, measured_profile.attention_csv, meta_file):
        (copy / file.name).write_bytes(file.read_bytes())
    (copy / "mlp.csv").write_text((copy / "mlp.csv").read_text().replace("0.0", "0.1", 1))
    with pytest.raises(ProfileError, match="re-profile"):
        ProfileInfo.load(copy)
    assert json.loads((copy / "profile.json").read_text())["format"].endswith("vidur-profile")


def _copy_profile(source: ProfileInfo, folder, started_at: str) -> None:
    folder.mkdir(parents=True)
    for name in ("mlp.csv", "attention.csv"):
        (folder / name).write_bytes((source.path / name).read_bytes())
    meta = {**source.meta, "made": {**source.meta["made"], "started_at": started_at}}
    (folder / "profile.json").write_text(json.dumps(meta))


def test_profiles_are_content_addressed_and_the_newest_is_found(measured_profile, tmp_path) -> None:
    assert measured_profile.path.name == measured_profile.content_hash[:16]
    dtype_dir = tmp_path / "cpu" / "qwen3-tiny" / "float32"
    _copy_profile(measured_profile, dtype_dir / "torch-old_p1", "2020-01-01T00:00:00+00:00")
    older_layout = find_profile(tmp_path, "cpu", "qwen3-tiny", "float32")
    assert older_layout is not None and older_layout.path == dtype_dir / "torch-old_p1"
    _copy_profile(measured_profile, dtype_dir / "torch-old_p1" / "b", "2021-01-01T00:00:00+00:00")
    _copy_profile(measured_profile, dtype_dir / "torch-old_p1" / "a", "2020-06-01T00:00:00+00:00")
    newest = find_profile(tmp_path, "cpu", "qwen3-tiny", "float32")
    assert newest is not None and newest.path.name == "b"


def test_profile_carries_its_closure_steps_and_the_simulated_side_prices_them(measured_profile):
    """The profiler times the whole steps off the grid and stores them; it never calls the
    simulator, so the closure check is computed where a simulation reads the profile."""
    assert "closure" not in measured_profile.meta
    measured = measured_profile.meta["closure_steps"]
    assert {s["kind"] for s in measured} == {"decode", "prefill"}
    assert all(s["measured_ms"] > 0 and s["spread"] >= 0 for s in measured)
    closure = profile_closure(measured_profile)
    sources = {p["source"] for p in closure["points"]}
    assert {"mlp.csv full_forward", "closure step (decode, timed whole)"} <= sources
    assert len([p for p in closure["points"] if p["source"].startswith("closure")]) == len(measured)
    assert closure["passed"] == (not closure["problems"] and not closure["undecided"])


def test_the_synthetic_profile_is_what_its_script_writes_and_it_closes(tiny_profile, tmp_path):
    """The committed synthetic profile is what ``tests/data/make_synthetic_profile.py`` writes
    from its cost model, byte for byte; priced as the corrected variant prices it, every prefill
    it holds comes back exactly and every decode step within Vidur's own context rounding."""
    from tests.data.make_synthetic_profile import make

    make(tmp_path)
    for name in ("mlp.csv", "attention.csv", "profile.json"):
        assert (tmp_path / name).read_bytes() == (tiny_profile.path / name).read_bytes(), REMAKE
    closure = check_closure(tiny_profile)
    assert closure.state == "closes" and not closure.undecided()
    assert {p.step.source for p in closure.points} == {GRID_POINT_SOURCE, *CLOSURE_SOURCE.values()}
    prefills = [p for p in closure.points if p.step.kind == "prefill"]
    assert len(prefills) >= 5 and all(p.error == pytest.approx(0, abs=1e-9) for p in prefills)
