"""Deferred completions: request id at once, 202 while running, the direct call's shape once, then 404."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from playground.local import Gateway

pytestmark = pytest.mark.integration

BODY = {"messages": [{"role": "user", "content": "Name a colour."}], "max_completion_tokens": 6, "seed": 21}


def poll(api: httpx.Client, request_id: str, timeout_s: float = 120) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        r = api.get(f"/chat/deferred-completion/{request_id}")
        if r.status_code != 202:
            return r
        assert r.content == b""
        time.sleep(0.1)
    raise AssertionError(f"deferred {request_id} still pending after {timeout_s}s")


def shape(data: Any) -> Any:
    """The keys of a JSON value, recursively (values ignored)."""
    if isinstance(data, dict):
        return {k: shape(v) for k, v in data.items()}
    if isinstance(data, list):
        return [shape(v) for v in data[:1]]
    return type(data).__name__


def test_deferred_returns_the_same_completion_as_a_direct_call(api: httpx.Client, gateway: Gateway) -> None:
    body = {"model": gateway.model_id, **BODY, "logprobs": True, "top_logprobs": 2}
    submitted = api.post("/chat/completions", json={**body, "deferred": True})
    assert submitted.status_code == 200
    request_id = submitted.json()["request_id"]
    assert set(submitted.json()) == {"request_id"}
    result = poll(api, request_id)
    assert result.status_code == 200, result.text
    direct = api.post("/chat/completions", json=body).json()
    deferred = result.json()
    assert shape(deferred) == shape(direct)
    assert deferred["id"] == request_id
    assert deferred["choices"][0]["message"] == direct["choices"][0]["message"]
    # fetched once, like xAI: then it is gone
    assert api.get(f"/chat/deferred-completion/{request_id}").status_code == 404


def test_202_while_running(api: httpx.Client, gateway: Gateway) -> None:
    body = {
        "model": gateway.model_id,
        **BODY,
        "max_completion_tokens": 24,
        "n": 2,
        "logit_bias": {"2": -100, "0": -100},
        "deferred": True,
    }
    request_id = api.post("/chat/completions", json=body).json()["request_id"]
    first = api.get(f"/chat/deferred-completion/{request_id}")
    assert first.status_code == 202 and first.content == b""
    done = poll(api, request_id)
    assert done.status_code == 200 and [c["index"] for c in done.json()["choices"]] == [0, 1]


def test_unknown_id_is_a_404_in_the_error_shape(api: httpx.Client) -> None:
    r = api.get("/chat/deferred-completion/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_deferred_requests_are_validated_before_queueing(api: httpx.Client, gateway: Gateway) -> None:
    r = api.post("/chat/completions", json={"model": gateway.model_id, **BODY, "temperature": 5, "deferred": True})
    assert r.status_code == 400 and r.json()["error"]["param"] == "temperature"


def test_many_deferred_in_flight_lose_nothing(api: httpx.Client, gateway: Gateway) -> None:
    ids = [
        api.post(
            "/chat/completions", json={"model": gateway.model_id, **BODY, "seed": i, "max_completion_tokens": 2, "deferred": True}
        ).json()["request_id"]
        for i in range(12)
    ]
    assert len(set(ids)) == 12
    results = [poll(api, i) for i in ids]
    assert all(r.status_code == 200 and r.json()["choices"][0]["message"]["content"] for r in results)
