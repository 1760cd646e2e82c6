"""Who may use the gateway mounted beside the page: this machine always; other machines only with the gateway key."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from playground.local.guard import KeyGuard, is_loopback

KEY = "s3cret-gateway-key"


async def _models(request: object) -> JSONResponse:
    return JSONResponse({"data": []})


def get(key: str | None, client: str, headers: dict[str, str] | None = None) -> httpx.Response:
    app = KeyGuard(Starlette(routes=[Route("/models", _models)]), key)
    transport = httpx.ASGITransport(app=app, client=(client, 40000))

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://page") as c:
            return await c.get("/models", headers=headers)

    return asyncio.run(call())


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.1", "::1", "::ffff:127.0.0.1"])
def test_this_machine_needs_no_key(host: str) -> None:
    assert is_loopback(host)
    assert get(None, host).status_code == 200
    assert get(KEY, host).status_code == 200


@pytest.mark.parametrize("host", ["203.0.113.7", "10.0.0.2", "::ffff:203.0.113.7", "2001:db8::1", "", "not-an-ip"])
def test_without_a_gateway_key_other_machines_are_refused(host: str) -> None:
    r = get(None, host, {"Authorization": "Bearer anything"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "local_only"
    assert "PLAYGROUND_GATEWAY_KEY" in r.json()["error"]["message"]


def test_with_a_gateway_key_other_machines_must_send_exactly_it() -> None:
    elsewhere = "203.0.113.7"
    assert get(KEY, elsewhere).status_code == 401
    for wrong in (f"Bearer {KEY}x", f"Bearer {KEY[:-1]}", f"Basic {KEY}", KEY, "Bearer "):
        r = get(KEY, elsewhere, {"Authorization": wrong})
        assert r.status_code == 401, wrong
        assert KEY not in r.text
    assert get(KEY, elsewhere, {"Authorization": f"Bearer {KEY}"}).status_code == 200
    assert get(KEY, elsewhere, {"Authorization": f"bearer  {KEY} "}).status_code == 200


def test_a_blank_key_counts_as_none() -> None:
    assert get("  ", "203.0.113.7", {"Authorization": "Bearer "}).status_code == 403
