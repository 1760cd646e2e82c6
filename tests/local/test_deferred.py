"""The deferred store: fetch-once results, bounded in number and bytes, expiring."""

from __future__ import annotations

import asyncio
import json

import pytest

from playground.local.deferred import DeferredStore
from playground.local.shapes import ApiError


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
        assert store.poll("a") == (200, b'{"id":"x"}')
        with pytest.raises(ApiError) as gone:
            store.poll("a")
        assert gone.value.status == 404
        store.submit("c", work)  # room again after the fetch
        await store.aclose()

    asyncio.run(scenario())


def test_deferred_results_are_held_up_to_a_number_of_bytes() -> None:
    """Unfetched results are JSON bytes, and their total is bounded: a 16-choice answer with top-8 logprobs
    is megabytes, and 1,024 of them were held for 24 h before."""

    async def scenario() -> None:
        store = DeferredStore(ttl_s=60, max_items=100, max_bytes=1000)

        async def big() -> dict[str, str]:
            return {"text": "x" * 1200}

        store.submit("a", big)
        await asyncio.sleep(0.01)
        assert store.held_bytes > 1000
        with pytest.raises(ApiError) as full:
            store.submit("b", big)
        assert full.value.status == 429 and "1000 bytes" in full.value.message
        status, body = store.poll("a")
        assert status == 200 and body is not None and json.loads(body)["text"] == "x" * 1200
        store.submit("b", big)  # room again once fetched
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
        assert (
            status == 400
            and body is not None
            and json.loads(body)
            == {"error": {"message": "nope", "type": "invalid_request_error", "param": "messages", "code": "bad"}}
        )

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
