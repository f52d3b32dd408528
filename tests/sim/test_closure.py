"""The closure check on the committed CPU reference profile (full Qwen3-0.6B, bf16): the
corrected variant's priced steps meet the measured full forwards, a removed operator column
and Vidur's own rounding are caught and named."""

from __future__ import annotations

import json
from dataclasses import fields, replace

import pandas as pd
import pytest

from gst_bench.sim.closure import PRICED_AS, TOLERANCE, check_closure
from gst_bench.sim.plan import Switches
from gst_bench.sim.profiler import ProfileInfo, content_hash, find_profile
from tests.sim.conftest import compose
from tests.suite_project import ROOT

REFERENCE = ROOT / "reports" / "cpu-reference" / "store" / "profiles"


@pytest.fixture(scope="module")
def reference() -> ProfileInfo:
    found = find_profile(REFERENCE, "cpu", "qwen3-0.6b", "bfloat16")
    assert found is not None, f"no committed reference profile under {REFERENCE}"
    return found


def test_the_reference_profile_closes(reference) -> None:
    closure = check_closure(reference)
    assert closure.passed, closure.problems()
    kinds = {(p.step.kind, p.step.tokens) for p in closure.points}
    assert ("decode", 1) in kinds and any(kind == "prefill" for kind, _ in kinds)
    assert all(abs(p.error) <= TOLERANCE for p in closure.points)


def test_vidurs_own_keys_do_not_close(reference) -> None:
    """A decode of one token priced as 8 (Vidur's ceil8), a fresh 64-token prompt priced as if
    cached: each gap is named with the step and its largest parts."""
    rounded = check_closure(reference, switches=replace(PRICED_AS, exact_token_counts=False))
    assert not rounded.passed
    assert any(p.startswith("decode of 1 token(s)") for p in rounded.problems())
    cached = check_closure(reference, switches=replace(PRICED_AS, fresh_prefill_attention=False))
    assert any(p.startswith("prefill of 64 token(s)") for p in cached.problems())


def test_a_removed_operator_column_is_named(reference, tmp_path) -> None:
    for name in ("attention.csv", "profile.json"):
        (tmp_path / name).write_bytes((reference.path / name).read_bytes())
    compute = pd.read_csv(reference.compute_csv).drop(columns="time_stats.mlp_up_proj.median")
    compute.to_csv(tmp_path / "mlp.csv", index=False)
    meta = {**reference.meta, "content_hash": content_hash(tmp_path)}
    (tmp_path / "profile.json").write_text(json.dumps(meta))
    closure = check_closure(ProfileInfo.load(tmp_path))
    assert not closure.passed
    assert closure.problems() == [
        "missing column mlp.csv:mlp_up_proj: the priced step leaves it out"
    ]


def test_closure_prices_as_the_corrected_variant() -> None:
    corrected = Switches.from_config(compose("vidur=corrected")["vidur"]["switches"])
    pricing = {f.name for f in fields(Switches) if getattr(PRICED_AS, f.name)}
    assert all(getattr(corrected, name) for name in pricing)
    memory_only = {"real_kv_budget", "true_head_dim", "exact_kv_blocks"}
    assert pricing | memory_only == {f.name for f in fields(Switches)}


def test_a_profile_that_does_not_close_flags_what_is_simulated_from_it(reference) -> None:
    from gst_bench.sim.vidur_adapter import profile_noise_flags

    closed = {"closure": check_closure(reference).to_dict()}
    assert profile_noise_flags(reference, closed) == []
    open_ = check_closure(reference, switches=replace(PRICED_AS, exact_token_counts=False))
    (flag,) = profile_noise_flags(reference, {"closure": open_.to_dict()})
    assert flag.startswith("the profile does not close (worst step ")
    assert flag.endswith("tolerance 3%): profile again on a quiet machine")
