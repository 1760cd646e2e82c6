"""Load (issue 11) on a gateway of its own (a child process, 4 slots, so its RSS is measured alone): 12
concurrent streams + 4 deferred requests + 8 clients that disconnect mid-stream (six times the slots, all at
once), bounded in count and time on 127.0.0.1. Zero 5xx; every deferred result fetched exactly once (a second
fetch is 404); the slots are freed afterwards (four tiny requests at once all answer); the process tree's RSS
back within 10 % of its level before the load once idle. Prints p50/p95 time to first token at 8 concurrent
streams (not asserted)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections import Counter
from typing import Any

import httpx
import psutil
import pytest

from tests.integration.test_gateway_memory import MB, server, settled_rss  # noqa: F401  (the module's own-gateway fixture)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STREAMS = 12
DEFERRED = 4
DROPPERS = 8
TTFT_STREAMS = 8
TTFT_ROUNDS = 1
BUDGET_S = 420  # the whole load; a guard against hangs, not a speed requirement


def tree_rss_mb(proc: psutil.Process) -> float:
    """RSS of the gateway and every process under it (llama.cpp may run as a child)."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / MB


def _body(model: str, seed: int, tokens: int, **extra: Any) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [{"role": "user", "content": f"Tell me about the number {seed}."}],
        "max_completion_tokens": tokens,
        "seed": seed,
        **extra,
    }


async def stream_one(client: httpx.AsyncClient, model: str, seed: int, stats: Counter[str]) -> float:
    """A whole stream; returns its time to first token."""
    started = time.monotonic()
    ttft = 0.0
    async with client.stream("POST", "/chat/completions", json=_body(model, seed, 8, stream=True)) as r:
        stats[f"status_{r.status_code // 100}xx"] += 1
        lines = []
        async for line in r.aiter_lines():
            if not line:
                continue
            if not ttft and '"content"' in line:
                ttft = time.monotonic() - started
            lines.append(line)
    assert lines and lines[-1] == "data: [DONE]", lines[-3:]
    assert not any('"error"' in line for line in lines), [line for line in lines if '"error"' in line][:1]
    stats["streams"] += 1
    return ttft


async def drop_one(client: httpx.AsyncClient, model: str, seed: int, stats: Counter[str]) -> None:
    """Open a long stream, read the first token, then hang up."""
    async with client.stream("POST", "/chat/completions", json=_body(model, seed, 200, stream=True)) as r:
        stats[f"status_{r.status_code // 100}xx"] += 1
        async for line in r.aiter_lines():
            if '"content"' in line:
                break
    stats["dropped"] += 1


async def deferred_one(client: httpx.AsyncClient, model: str, seed: int, stats: Counter[str]) -> None:
    r = await client.post("/chat/completions", json=_body(model, seed, 8, deferred=True))
    stats[f"status_{r.status_code // 100}xx"] += 1
    request_id = r.json()["request_id"]
    while (p := await client.get(f"/chat/deferred-completion/{request_id}")).status_code == 202:
        await asyncio.sleep(0.25)
    stats[f"status_{p.status_code // 100}xx"] += 1
    assert p.status_code == 200 and p.json()["id"] == request_id, p.text[:200]
    again = await client.get(f"/chat/deferred-completion/{request_id}")
    assert again.status_code == 404, again.status_code  # handed out once
    stats["deferred_fetched_once"] += 1


async def ttft_at_eight(base: str, model: str) -> list[float]:
    async with httpx.AsyncClient(base_url=base, timeout=BUDGET_S) as client:
        times: list[float] = []
        for round_ in range(TTFT_ROUNDS):
            stats: Counter[str] = Counter()
            times += await asyncio.gather(*(stream_one(client, model, 100 * round_ + i, stats) for i in range(TTFT_STREAMS)))
        return times


async def load(base: str, model: str) -> tuple[Counter[str], float]:
    stats: Counter[str] = Counter()
    started = time.monotonic()
    limits = httpx.Limits(max_connections=STREAMS + DEFERRED + DROPPERS + 8)
    async with httpx.AsyncClient(base_url=base, timeout=BUDGET_S, limits=limits) as client:
        jobs = [stream_one(client, model, i, stats) for i in range(STREAMS)]
        jobs += [deferred_one(client, model, 1000 + i, stats) for i in range(DEFERRED)]
        jobs += [drop_one(client, model, 2000 + i, stats) for i in range(DROPPERS)]
        await asyncio.wait_for(asyncio.gather(*jobs), BUDGET_S)
    return stats, time.monotonic() - started


async def four_tiny(base: str, model: str) -> list[int]:
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        replies = await asyncio.gather(*(client.post("/chat/completions", json=_body(model, i, 1)) for i in range(4)))
    return [r.status_code for r in replies]


def test_streams_deferred_and_hang_ups_at_once(server: tuple[str, psutil.Process]) -> None:  # noqa: F811
    base, proc = server
    model = httpx.get(f"{base}/models", timeout=30).json()["data"][0]["id"]
    asyncio.run(ttft_at_eight(base, model))  # warm: buffers grow to their working size on the first requests
    before = settled_rss(proc, 30, measure=tree_rss_mb)

    ttfts = asyncio.run(ttft_at_eight(base, model))
    stats, elapsed = asyncio.run(load(base, model))
    tiny_started = time.monotonic()
    tiny = asyncio.run(four_tiny(base, model))
    tiny_s = time.monotonic() - tiny_started
    after = settled_rss(proc, 30, measure=tree_rss_mb)

    p50 = statistics.median(ttfts)
    p95 = statistics.quantiles(ttfts, n=20)[-1]
    print(
        f"\nload: {STREAMS} streams + {DEFERRED} deferred + {DROPPERS} hang-ups in {elapsed:.1f}s {json.dumps(dict(stats))}; "
        f"then 4 tiny requests at once in {tiny_s:.1f}s {tiny}; TTFT at {TTFT_STREAMS} concurrent streams "
        f"({len(ttfts)} streams): p50 {p50:.2f}s p95 {p95:.2f}s; tree RSS before {before:.0f} MB, idle after {after:.0f} MB"
    )
    assert stats["status_5xx"] == 0 and stats["status_4xx"] == 0, stats
    assert stats["streams"] == STREAMS and stats["dropped"] == DROPPERS
    assert stats["deferred_fetched_once"] == DEFERRED
    assert tiny == [200] * 4  # every slot free again
    assert after <= before * 1.10, f"tree RSS {before:.0f} MB before, {after:.0f} MB idle after"
