"""The profiler on the tiny Qwen3 writes files Vidur's own loader and trainer accept."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from gst_bench.profile.format import ProfileError, ProfileInfo, find_profile
from gst_bench.profile.measure import ensure_profile
from gst_bench.sim.vidur_adapter import profile_closure
from tests.sim.conftest import compose, tiny_needs


def test_meta_describes_the_profile(tiny_profile: ProfileInfo) -> None:
    meta = tiny_profile.meta
    assert meta["hardware"] == "cpu" and meta["dtype"] == "float32" and meta["threads"] == 1
    assert meta["model"]["head_dim"] == 16 and meta["model"]["num_layers"] == 2
    assert "q_norm" in meta["operators"]["attn_pre_proj"]
    assert meta["corrections"]["folded_here"] == []


def test_csvs_have_vidur_layout(tiny_profile: ProfileInfo) -> None:
    compute = pd.read_csv(tiny_profile.compute_csv)
    attention = pd.read_csv(tiny_profile.attention_csv)
    assert list(compute["num_tokens"]) == list(tiny_profile.grid.num_tokens)
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
    rows = compute["num_tokens"] <= max(tiny_profile.grid.decode_batches)
    assert (lm_head[rows] > 0).all() and lm_head[~rows].isna().all()
    prefill = attention[attention["prefill_chunk_size"] > 0]
    decode = attention[attention["prefill_chunk_size"] == 0]
    assert (prefill["time_stats.attn_prefill.median"] > 0).all()
    assert (decode["time_stats.attn_decode.median"] > 0).all()
    assert set(prefill["batch_size"]) == {1}


def test_vidurs_own_loader_and_trainer_accept_the_files(tiny_profile, tmp_path) -> None:
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
            return (str(tiny_profile.compute_csv), str(tiny_profile.attention_csv), "", "")

        def _get_kv_parallel_communication_time(self, batch):
            return 0.0

    cfg = compose("backend=serial")
    built = build_config(
        plan(small_workload(), cfg), tiny_profile, Switches(), cfg["hardware"], 0, tmp_path
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


def test_reused_when_it_covers_and_rejected_when_edited(tiny_profile, tmp_path) -> None:
    cfg = compose()
    root = tiny_profile.path.parents[4]
    found = find_profile(root, "cpu", "qwen3-tiny", "float32")
    assert found is not None and found.content_hash == tiny_profile.content_hash
    again = ensure_profile(root, cfg["model"], cfg["hardware"], tiny_needs(), tmp_path)
    assert again.path == tiny_profile.path

    copy = tmp_path / "edited"
    copy.mkdir()
    meta_file = tiny_profile.path / "profile.json"
    for file in (tiny_profile.compute_csv, tiny_profile.attention_csv, meta_file):
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


def test_profiles_are_content_addressed_and_the_newest_is_found(tiny_profile, tmp_path) -> None:
    assert tiny_profile.path.name == tiny_profile.content_hash[:16]
    dtype_dir = tmp_path / "cpu" / "qwen3-tiny" / "float32"
    _copy_profile(tiny_profile, dtype_dir / "torch-old_p1", "2020-01-01T00:00:00+00:00")
    older_layout = find_profile(tmp_path, "cpu", "qwen3-tiny", "float32")
    assert older_layout is not None and older_layout.path == dtype_dir / "torch-old_p1"
    _copy_profile(tiny_profile, dtype_dir / "torch-old_p1" / "b", "2021-01-01T00:00:00+00:00")
    _copy_profile(tiny_profile, dtype_dir / "torch-old_p1" / "a", "2020-06-01T00:00:00+00:00")
    newest = find_profile(tmp_path, "cpu", "qwen3-tiny", "float32")
    assert newest is not None and newest.path.name == "b"


def test_profile_carries_its_closure_steps_and_the_simulated_side_prices_them(tiny_profile):
    """The profiler times the whole steps off the grid and stores them; it never calls the
    simulator, so the closure check is computed where a simulation reads the profile."""
    assert "closure" not in tiny_profile.meta
    measured = tiny_profile.meta["closure_steps"]
    assert {s["kind"] for s in measured} == {"decode", "prefill"}
    assert all(s["measured_ms"] > 0 and s["spread"] >= 0 for s in measured)
    closure = profile_closure(tiny_profile)
    sources = {p["source"] for p in closure["points"]}
    assert {"mlp.csv full_forward", "closure step (decode, timed whole)"} <= sources
    assert len([p for p in closure["points"] if p["source"].startswith("closure")]) == len(measured)
    assert closure["passed"] == (not closure["problems"] and not closure["undecided"])
