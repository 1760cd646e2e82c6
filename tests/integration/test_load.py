"""16 concurrent clients on 127.0.0.1 mixing streamed, n>1, deferred (and tool) requests, bounded in
count and time: zero 5xx, zero lost deferred results. Prints the figures."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from typing import Any

import httpx
import pytest

from playground.local import Gateway

pytestmark = pytest.mark.integration

CLIENTS = 16
ROUNDS = 1  # requests per client: 16 at once, four of each kind
BUDGET_S = 240
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Fetches the current weather for a specific city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]


async def one(client: httpx.AsyncClient, model: str, kind: str, seed: int, stats: Counter[str]) -> None:
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": "Say something short."}],
        "max_completion_tokens": 4,
        "seed": seed,
    }
    if kind == "stream":
        async with client.stream("POST", "/chat/completions", json={**body, "stream": True}) as r:
            stats[f"status_{r.status_code // 100}xx"] += 1
            lines = [line async for line in r.aiter_lines() if line]
        assert lines[-1] == "data: [DONE]", lines[-3:]
        assert not any('"error"' in line for line in lines)
    elif kind == "n":
        r = await client.post("/chat/completions", json={**body, "n": 3})
        stats[f"status_{r.status_code // 100}xx"] += 1
        assert len(r.json()["choices"]) == 3
    elif kind == "tools":
        weather = {
            **body,
            "messages": [{"role": "user", "content": "Weather in Paris?"}],
            "tools": TOOLS,
            "tool_choice": "required",
            "temperature": 0,
            "max_completion_tokens": 60,
        }
        r = await client.post("/chat/completions", json=weather)
        stats[f"status_{r.status_code // 100}xx"] += 1
        choice = r.json()["choices"][0]
        assert choice["finish_reason"] == "tool_calls" and choice["message"]["tool_calls"], choice
    else:
        r = await client.post("/chat/completions", json={**body, "deferred": True})
        stats[f"status_{r.status_code // 100}xx"] += 1
        request_id = r.json()["request_id"]
        stats["deferred_submitted"] += 1
        while True:
            p = await client.get(f"/chat/deferred-completion/{request_id}")
            if p.status_code != 202:
                break
            await asyncio.sleep(0.2)
        stats[f"status_{p.status_code // 100}xx"] += 1
        assert p.status_code == 200 and p.json()["id"] == request_id
        stats["deferred_fetched"] += 1
    stats[kind] += 1


async def load(base_url: str, model: str) -> tuple[Counter[str], float]:
    kinds = ["stream", "n", "deferred", "tools"]
    stats: Counter[str] = Counter()
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=base_url, timeout=BUDGET_S, limits=httpx.Limits(max_connections=CLIENTS * 2)) as client:

        async def worker(w: int) -> None:
            for k in range(ROUNDS):
                await one(client, model, kinds[(w + k) % len(kinds)], w * 10 + k, stats)

        await asyncio.wait_for(asyncio.gather(*(worker(w) for w in range(CLIENTS))), BUDGET_S)
    return stats, time.monotonic() - started


def test_sixteen_concurrent_clients(gateway: Gateway) -> None:
    stats, elapsed = asyncio.run(load(gateway.base_url, gateway.model_id))
    requests = CLIENTS * ROUNDS
    print(f"\nload: {CLIENTS} clients x {ROUNDS} requests in {elapsed:.1f}s; " + json.dumps(dict(stats)))
    assert sum(stats[k] for k in ("stream", "n", "deferred", "tools")) == requests
    assert stats["status_5xx"] == 0 and stats["status_4xx"] == 0
    assert stats["deferred_fetched"] == stats["deferred_submitted"] > 0
