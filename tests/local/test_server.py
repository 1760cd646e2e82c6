"""Pure helpers of the gateway: derived seeds, logprob trimming, usage, tokenize items, deferred store,
and the error handling that needs no model (an app over a stopped upstream)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from playground.local.engine import RANDOM_SEED
from playground.local.server import (
    ApiError,
    DeferredStore,
    GatewaySettings,
    derived_seed,
    sum_usage,
    token_entry,
    trim_logprobs,
)


def test_choice_0_keeps_the_seed_and_derived_seeds_never_mean_random() -> None:
    assert derived_seed(42, 0) == 42
    assert [derived_seed(7, i) for i in range(4)] == [7, 8, 9, 10]
    assert all(derived_seed(RANDOM_SEED - 2, i) != RANDOM_SEED for i in range(16))


def test_trim_logprobs_keeps_the_requested_alternatives() -> None:
    lp = {"content": [{"token": "a", "logprob": -1.0, "top_logprobs": [{"token": "a"}, {"token": "b"}]}]}
    assert trim_logprobs(lp, 1)["content"][0]["top_logprobs"] == [{"token": "a"}]
    assert trim_logprobs(lp, 0)["content"][0]["top_logprobs"] == []
    assert trim_logprobs(None, 3) is None


def test_usage_counts_the_prompt_once_and_sums_completions() -> None:
    parts = [
        {"prompt_tokens": 10, "completion_tokens": 3, "prompt_tokens_details": {"cached_tokens": 4}},
        {"prompt_tokens": 10, "completion_tokens": 5},
    ]
    usage = sum_usage(parts)
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == (10, 8, 18)
    assert usage["prompt_tokens_details"]["cached_tokens"] == 4
    assert sum_usage([])["total_tokens"] == 0


def test_token_entry_handles_pieces_that_are_not_valid_utf8() -> None:
    assert token_entry(5, "hé") == {"token_id": 5, "string_token": "hé", "token_bytes": [104, 195, 169]}
    partial = token_entry(9, [32, 230])
    assert partial["token_bytes"] == [32, 230] and partial["string_token"].startswith(" ")


def test_deferred_store_is_fetch_once_and_bounded() -> None:
    async def scenario() -> None:
        store = DeferredStore(ttl_s=60, max_items=2)
        gate = asyncio.Event()

        async def work() -> dict[str, str]:
            await gate.wait()
            return {"id": "x"}

        store.submit("a", work)
        store.submit("b", work)
        with pytest.raises(ApiError) as full:
            store.submit("c", work)
        assert full.value.status == 429
        assert store.poll("a") == (202, None)
        gate.set()
        await asyncio.sleep(0.01)
        assert store.poll("a") == (200, {"id": "x"})
        with pytest.raises(ApiError) as gone:
            store.poll("a")
        assert gone.value.status == 404
        store.submit("c", work)  # room again after the fetch
        await store.aclose()

    asyncio.run(scenario())


def test_deferred_failures_are_reported_once_in_the_error_shape() -> None:
    async def scenario() -> None:
        store = DeferredStore(ttl_s=60, max_items=4)

        async def refused() -> dict[str, str]:
            raise ApiError(400, "nope", param="messages", code="bad")

        store.submit("r", refused)
        await asyncio.sleep(0.01)
        status, body = store.poll("r")
        assert status == 400 and body == {
            "error": {"message": "nope", "type": "invalid_request_error", "param": "messages", "code": "bad"}
        }

    asyncio.run(scenario())


def test_expired_results_are_forgotten() -> None:
    async def scenario() -> None:
        store = DeferredStore(ttl_s=0.01, max_items=4)

        async def quick() -> dict[str, str]:
            return {}

        store.submit("e", quick)
        await asyncio.sleep(0.05)
        with pytest.raises(ApiError):
            store.poll("e")

    asyncio.run(scenario())


def test_settings_refuse_unknown_keys_and_bad_bounds() -> None:
    with pytest.raises(ValueError):
        GatewaySettings(max_n=0)
    with pytest.raises(ValueError):
        GatewaySettings(nope=1)  # type: ignore[call-arg]


def test_upstream_down_is_a_502_not_a_crash(tmp_path: Path) -> None:
    """Fault injection: the engine is gone (a dead port); the gateway answers 502 in the error shape."""
    from playground.local.server import Gateway

    class DeadEngine:
        n_parallel = 1
        base_url = "http://127.0.0.1:9"  # discard port: nothing listens
        gguf = tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"

    async def scenario() -> None:
        gw = Gateway(GatewaySettings(), DeadEngine())  # type: ignore[arg-type]
        await gw.startup()
        try:
            with pytest.raises(ApiError) as err:
                await gw.complete({"messages": [{"role": "user", "content": "hi"}]}, 1, None)
            assert err.value.status == 502 and err.value.type == "server_error"
        finally:
            await gw.shutdown()

    asyncio.run(scenario())
