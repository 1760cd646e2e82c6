"""Tokens/s and time to first token: the gateway vs the raw llama.cpp server, side by side in one run.

The paths are served by `bench/_serve.py` from a process of their own (one engine, one model load, plus
llama.cpp with its defaults), so this client shares no interpreter with the gateway. Every path gets the same
streamed request (greedy, end-of-text banned so every stream generates exactly TOKENS tokens); they are
measured in rotating rounds, and each ratio is the median of the ratios within a round, so drift on a shared
machine hits both sides of it alike. The paths:

- `raw` and `raw A/A`: llama.cpp's HTTP server on the gateway's engine, sent what the gateway sends it by
  default (prompt cache on, top_k/min_p off), measured twice: their ratio is the noise of this run (A/A);
- `gateway`: the gateway as shipped (llama.cpp called in-process, prompt cache on);
- `raw recompute` / `gateway recompute`: both with the prompt cache off (`--no-prompt-cache`);
- `llama.cpp defaults`: a second engine as a person running llama.cpp's server gets it (its f16 K cache,
  flash attention "auto" and host-RAM prompt cache; no cache_prompt/top_k/min_p sent, so prompt cache on,
  top_k 40, min_p 0.05).

Then gateway, raw and llama.cpp defaults again, each request continuing a conversation: a ~600-token logbook
every slot already holds, so the time goes to generating over long keys, where the K cache's type matters.

Prints model load time, tokens/s, the ratios (goal: gateway >= 1.00x raw with the same setting, and >= 1.00x
llama.cpp defaults) and time to first token p50/p95 at 1, 4 and 8 streams. Run: `make bench`, or
`uv run python bench/gateway_throughput.py [--rounds N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._prompts import LOGBOOK  # noqa: E402

PROMPT = [{"role": "user", "content": "Tell me a long story about the sea."}]
# A conversation continued: a 600-token logbook the slots already hold, so mostly generation over long keys
CHAT = {"messages": [{"role": "system", "content": LOGBOOK}, {"role": "user", "content": "Tell me a long story about day 9."}]}
# What the gateway sends llama.cpp for these greedy requests, by default and with --no-prompt-cache
CACHED: dict[str, Any] = {"cache_prompt": True, "top_k": 1, "min_p": 0.0}
NO_CACHE: dict[str, Any] = {"cache_prompt": False, "top_k": 1, "min_p": 0.0}
TTFT_PATHS = ("raw", "gateway", "raw recompute", "gateway recompute", "llama.cpp defaults")
CHAT_PATHS: dict[str, dict[str, Any]] = {"raw": CACHED, "gateway": {}, "llama.cpp defaults": {}}


@dataclass(frozen=True)
class Route:
    """One way to reach the model: a URL and what the body adds."""

    name: str
    url: str
    extra: dict[str, Any]


@dataclass
class Samples:
    rates: list[float] = field(default_factory=list)
    ttfts: list[float] = field(default_factory=list)


async def stream_once(client: httpx.AsyncClient, path: Route, model: str, tokens: int, seed: int) -> tuple[int, float]:
    """(tokens generated, seconds to the first token) of one streamed request."""
    body = {
        "model": model,
        "messages": PROMPT,
        "max_completion_tokens": tokens,
        "temperature": 0,
        "seed": seed,
        "logit_bias": {"0": -100, "2": -100},
        "stream": True,
        "stream_options": {"include_usage": True},
        **path.extra,
    }
    generated, first = 0, 0.0
    started = time.perf_counter()
    async with client.stream("POST", path.url, json=body) as r:
        r.raise_for_status()
        async for line in r.aiter_lines():
            if not first:
                compact = line.replace(": ", ":")
                if '"content":"' in compact and '"content":""' not in compact:
                    first = time.perf_counter() - started
            if line.startswith("data: {") and '"usage"' in line:
                generated = int(json.loads(line[6:])["usage"]["completion_tokens"])
    return generated, first


async def run(client: httpx.AsyncClient, path: Route, model: str, streams: int, tokens: int, into: Samples) -> None:
    """`streams` concurrent streams: total tokens / wall time into `into.rates`, each stream's TTFT into `into.ttfts`."""
    started = time.perf_counter()
    results = await asyncio.gather(*(stream_once(client, path, model, tokens, s) for s in range(streams)))
    into.rates.append(sum(n for n, _ in results) / (time.perf_counter() - started))
    into.ttfts.extend(t for _, t in results)


def paired(by: dict[str, Samples], a: str, b: str) -> float:
    """The median over rounds of a's tokens/s over b's in the same round."""
    return statistics.median(x / y for x, y in zip(by[a].rates, by[b].rates, strict=True))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(
    paths: list[Route], ttft_paths: list[Route], model: str, rounds: int, tokens: int
) -> tuple[dict[int, dict[str, Samples]], dict[int, dict[str, Samples]]]:
    """Rotating rounds: tokens/s of every path at 1 and 4 streams; then TTFT of `ttft_paths` at 8 streams."""
    # No keep-alive, for every path alike: llama.cpp closes reused connections on its own (see server.py).
    async with httpx.AsyncClient(timeout=600, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        for p in paths:  # warm every path (connections, first-request costs, every slot's cache)
            await run(client, p, model, 4, 8, Samples())
        speed: dict[int, dict[str, Samples]] = {}
        for streams in (1, 4):
            speed[streams] = {p.name: Samples() for p in paths}
            for k in range(rounds):
                for j in range(len(paths)):
                    p = paths[(j + k) % len(paths)]
                    await run(client, p, model, streams, tokens, speed[streams][p.name])
        wide: dict[int, dict[str, Samples]] = {8: {p.name: Samples() for p in ttft_paths}}
        for k in range(max(1, rounds - 1) if ttft_paths else 0):
            for j in range(len(ttft_paths)):
                p = ttft_paths[(j + k) % len(ttft_paths)]
                await run(client, p, model, 8, tokens, wide[8][p.name])
    return speed, wide


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7, help="rotating rounds per concurrency (median kept)")
    ap.add_argument("--tokens", type=int, default=48, help="tokens generated per stream")
    ap.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: the engine's)")
    args, _ = ap.parse_known_args()
    started = time.perf_counter()
    threads = ["--threads", str(args.threads)] if args.threads else []
    serve = subprocess.Popen(
        [sys.executable, "-m", "bench._serve", *threads], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert serve.stdout is not None
        urls = json.loads(serve.stdout.readline())
        ready = time.perf_counter() - started
        paths = [
            Route("raw", urls["raw"], CACHED),
            Route("raw A/A", urls["raw"], CACHED),
            Route("gateway", urls["gateway"], {}),
            Route("raw recompute", urls["raw"], NO_CACHE),
            Route("gateway recompute", urls["gateway recompute"], {}),
            Route("llama.cpp defaults", urls["llama.cpp defaults"], {}),
        ]
        ttft_paths = [p for p in paths if p.name in TTFT_PATHS]
        print(
            f"model load (llama.cpp, {urls['gguf']}): {urls['load_seconds']:.2f} s; "
            f"gateway, its engine and llama.cpp with its defaults ready: {ready:.2f} s; "
            f"load average before: {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        speed, wide = asyncio.run(measure(paths, ttft_paths, urls["model"], args.rounds, args.tokens))
        chat = [Route(name, urls[name], {**extra, **CHAT}) for name, extra in CHAT_PATHS.items()]
        chat_speed, _ = asyncio.run(measure(chat, [], urls["model"], args.rounds, args.tokens))
    finally:
        if serve.stdin is not None:
            serve.stdin.close()
        serve.wait(timeout=60)
    med = {s: {name: statistics.median(v.rates) for name, v in by.items()} for s, by in speed.items()}
    load = os.getloadavg()[0]
    print(f"tokens/s, median of {args.rounds} rotating rounds, {args.tokens} tokens a stream; load average after: {load:.2f}")
    names = [p.name for p in paths]
    print(f"{'streams':>7} " + " ".join(f"{n:>16}" for n in names))
    for s, row in med.items():
        print(f"{s:>7} " + " ".join(f"{row[n]:>16.1f}" for n in names))
    ratios = [
        ("A/A control: raw A/A / raw", "raw A/A", "raw"),
        ("gateway / raw (prompt cache on both)", "gateway", "raw"),
        ("gateway / raw (prompt cache off both)", "gateway recompute", "raw recompute"),
        ("gateway default / llama.cpp defaults", "gateway", "llama.cpp defaults"),
        ("gateway recompute / gateway (cache's gain)", "gateway recompute", "gateway"),
    ]
    print(f"{'ratio':<42} {'1 stream':>9} {'4 streams':>10}")
    for label, a, b in ratios:
        print(f"{label:<42} {paired(speed[1], a, b):>9.3f} {paired(speed[4], a, b):>10.3f}")
    print("time to first token (s), p50 / p95")
    print(f"{'streams':>7} " + " ".join(f"{n:>16}" for n in TTFT_PATHS))
    for s, by in [*speed.items(), *wide.items()]:
        cells = [f"{pct(by[n].ttfts, 0.5):.3f} / {pct(by[n].ttfts, 0.95):.3f}" for n in TTFT_PATHS]
        print(f"{s:>7} " + " ".join(f"{c:>16}" for c in cells))
    print(f"the same after a {LOGBOOK.count(chr(10)) + 1}-line logbook (~600 tokens) the slots hold: tokens/s and ratios")
    print(f"{'streams':>7} " + " ".join(f"{n:>18}" for n in CHAT_PATHS) + f" {'gateway / raw':>14} {'gateway / llama.cpp':>20}")
    for s, by in chat_speed.items():
        rates = " ".join(f"{statistics.median(by[n].rates):>18.1f}" for n in CHAT_PATHS)
        print(f"{s:>7} {rates} {paired(by, 'gateway', 'raw'):>14.3f} {paired(by, 'gateway', 'llama.cpp defaults'):>20.3f}")
    for label, base in (("raw, same setting", "raw"), ("llama.cpp defaults", "llama.cpp defaults")):
        worst = min(paired(by, "gateway", base) for by in speed.values())
        print(f"worst gateway / {label}: {worst:.3f} (goal >= 1.00): {'met' if worst >= 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
