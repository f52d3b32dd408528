"""EOS: ignored by default (exactly the requested lengths); honoured, an early stop is seen and
``num_decode_tokens_actual`` records it. The EOS id is a token the seeded model really emits
mid-stream, found by a first run that ignores EOS."""

from __future__ import annotations

import pytest

from gst_bench.real.harness import ModelCache, run_real
from gst_bench.real.settings import BACKENDS
from gst_compare import metrics

from .conftest import ROOT, small_workload, tiny_config


def first_new_token(streams: dict[int, tuple[int, ...]]) -> tuple[int, int]:
    """(request id, index >= 1) of the earliest token not seen before in its own stream."""
    for request_id, tokens in sorted(streams.items()):
        for index in range(1, len(tokens) - 1):
            if tokens[index] not in tokens[:index]:
                return request_id, index
    raise AssertionError(f"greedy output repeats one token in every stream: {streams}")


def expected_length(tokens: tuple[int, ...], eos: int) -> int:
    return tokens.index(eos) + 1 if eos in tokens else len(tokens)


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_honoured_eos_stops_a_request_early(backend, composer, varied_model_cfg):
    models = ModelCache()
    workload = small_workload(seed=5, requests=3, output=10)
    cfg = {**tiny_config(composer, backend), "model": varied_model_cfg}
    free = run_real(workload, cfg, ROOT, models=models)
    request_id, stop_at = first_new_token(free.tokens)
    eos = free.tokens[request_id][stop_at]
    models.get(varied_model_cfg, "cpu", "float32", ROOT).model.generation_config.eos_token_id = eos

    honoured = {**cfg, "backend": {**cfg["backend"], "ignore_eos": False}}
    stopped = run_real(workload, honoured, ROOT, models=models)

    record = stopped.artifact.requests[request_id]
    assert record.num_decode_tokens_actual == stop_at + 1 < record.num_decode_tokens_requested
    assert stopped.tokens[request_id] == free.tokens[request_id][: stop_at + 1]
    assert len(record.token_times_ns or ()) == stop_at + 1
    for other in stopped.artifact.requests:
        assert other.num_decode_tokens_actual == expected_length(free.tokens[other.id], eos)
    extra = stopped.artifact.meta.extra
    assert (extra["ignore_eos"], extra["eos_token_ids"]) == (False, [eos])
    if record.num_decode_tokens_actual > 1:
        assert metrics.tpot_ms(record) > 0
    else:  # stopped on its first token: no time per output token exists
        assert metrics.tpot_ms(record) is None


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_ignored_eos_still_gives_the_requested_length(backend, composer, varied_model_cfg):
    models = ModelCache()
    workload = small_workload(seed=5, requests=2, output=10)
    cfg = {**tiny_config(composer, backend), "model": varied_model_cfg}
    loaded = models.get(varied_model_cfg, "cpu", "float32", ROOT)
    first = run_real(workload, cfg, ROOT, models=models)
    request_id, stop_at = first_new_token(first.tokens)
    loaded.model.generation_config.eos_token_id = first.tokens[request_id][stop_at]

    again = run_real(workload, cfg, ROOT, models=models)

    assert again.tokens == first.tokens
    for record in again.artifact.requests:
        assert record.num_decode_tokens_actual == record.num_decode_tokens_requested == 10
    assert again.artifact.meta.extra["ignore_eos"] is True
