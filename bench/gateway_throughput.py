"""Tokens/s through the gateway vs the raw llama.cpp server, side by side in one run.

Both paths share one engine (the gateway's), get the same streamed request (greedy, end-of-text
banned so every stream generates exactly TOKENS tokens) and are measured in alternating rounds,
so drift on a shared machine hits both alike. Prints model load time, tokens/s and the ratios
(goal: gateway >= 0.97x raw). Run: `uv run python bench/gateway_throughput.py` (make bench).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground.local import GatewaySettings, start_gateway  # noqa: E402

PROMPT = [{"role": "user", "content": "Tell me a long story about the sea."}]


async def stream_once(client: httpx.AsyncClient, url: str, model: str, tokens: int, seed: int, extra: dict[str, object]) -> int:
    body = {
        "model": model,
        "messages": PROMPT,
        "max_completion_tokens": tokens,
        "temperature": 0,
        "seed": seed,
        "logit_bias": {"0": -100, "2": -100},
        "stream": True,
        "stream_options": {"include_usage": True},
        **extra,
    }
    generated = 0
    async with client.stream("POST", url, json=body) as r:
        r.raise_for_status()
        async for line in r.aiter_lines():
            if line.startswith("data: {") and '"usage"' in line:
                generated = int(httpx.Response(200, content=line[6:]).json()["usage"]["completion_tokens"])
    return generated


async def rate(
    client: httpx.AsyncClient, url: str, model: str, streams: int, tokens: int, extra: dict[str, object] | None = None
) -> float:
    """Total generated tokens / wall time of `streams` concurrent streams."""
    started = time.perf_counter()
    counts = await asyncio.gather(*(stream_once(client, url, model, tokens, s, extra or {}) for s in range(streams)))
    return sum(counts) / (time.perf_counter() - started)


# The gateway turns llama.cpp's prompt cache off (reproducible answers); "raw, same request" does the
# same, so gateway/raw is the gateway's own overhead, and raw/raw-cached the price of reproducibility.
PATHS = ("raw, cached prompt", "raw, same request", "gateway")
NO_CACHE = {"cache_prompt": False}


async def measure(raw_url: str, gw_url: str, model: str, rounds: int, tokens: int) -> dict[int, list[float]]:
    """Median tokens/s of each path in PATHS, at 1 and 4 streams, in rotating order."""
    out: dict[int, list[float]] = {}
    paths = [(raw_url, None), (raw_url, NO_CACHE), (gw_url, None)]
    # No keep-alive, for both paths alike: llama.cpp closes reused connections on its own (see server.py).
    async with httpx.AsyncClient(timeout=300, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        for url, extra in paths:  # warm every path (connections, first-request costs)
            await rate(client, url, model, 1, 8, extra)
        for streams in (1, 4):
            samples: list[list[float]] = [[] for _ in paths]
            for k in range(rounds):
                for j in range(len(paths)):
                    i = (j + k) % len(paths)
                    url, extra = paths[i]
                    samples[i].append(await rate(client, url, model, streams, tokens, extra))
            out[streams] = [statistics.median(s) for s in samples]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds per concurrency (median kept)")
    ap.add_argument("--tokens", type=int, default=48, help="tokens generated per stream")
    ap.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: the engine's)")
    args = ap.parse_args()
    started = time.perf_counter()
    gateway = start_gateway(GatewaySettings(n_parallel=4, threads=args.threads))
    ready = time.perf_counter() - started
    try:
        print(
            f"model load (llama.cpp, {gateway.engine.gguf.name}): {gateway.engine.load_seconds:.2f} s; "
            f"gateway ready: {ready:.2f} s"
        )
        results = asyncio.run(
            measure(
                f"{gateway.engine.base_url}/v1/chat/completions",
                f"{gateway.base_url}/chat/completions",
                gateway.model_id,
                args.rounds,
                args.tokens,
            )
        )
    finally:
        gateway.close()
    print("tokens/s: " + ", ".join(PATHS))
    print(f"{'streams':>7} {'cached':>8} {'raw':>8} {'gateway':>8} {'gateway/raw':>12} {'raw/cached':>11}")
    for streams, (cached, raw, gw) in results.items():
        print(f"{streams:>7} {cached:>8.1f} {raw:>8.1f} {gw:>8.1f} {gw / raw:>12.3f} {raw / cached:>11.3f}")
    worst = min(gw / raw for _, raw, gw in results.values())
    print(f"worst gateway/raw ratio {worst:.3f} (goal >= 0.97): {'met' if worst >= 0.97 else 'NOT met'}")


if __name__ == "__main__":
    main()
