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
llama.cpp defaults) and time to first token p50/p95 at 1, 4 and 8 streams.

Then sampled answers (issue 23): temperature 0.8, a seed per stream, no top_p, SAMPLED_TOKENS tokens, in rotating
rounds over `same semantics` (the gateway's engine told top_k 0, min_p 0, top_p 1: what the gateway sends it),
the same again (the control), the gateway, `llama.cpp defaults` (top_k 40, top_p 0.95, min_p 0.05) and that same
server told the gateway's semantics. Besides tokens/s it prints the CPU time the serving process spent per token
on each path (less inflated than wall time by other programs on a shared machine). Last, a 4-seed comparison the
way the Compare page runs one (`playground.compare.run_comparison` through `ChatClient`, four seeds at once)
against the same four requests sent straight to llama.cpp with the same semantics.
Run: `make bench`, or `uv run python bench/gateway_throughput.py [--rounds N] [--only sampled]`.
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
# Sampled answers as the issue measures them: temperature 0.8, a seed per stream, no top_p in the request
SAMPLED: dict[str, Any] = {"temperature": 0.8}
# The API's semantics spelled out for llama.cpp (what the gateway sends it): no hidden top_k or min_p, top_p 1
SAME_SEMANTICS: dict[str, Any] = {**SAMPLED, "cache_prompt": True, "top_k": 0, "min_p": 0.0, "top_p": 1.0}
COMPARE_SEEDS = (1, 2, 3, 4)


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
    cpu_per_token: list[float] = field(default_factory=list)  # the serving process's CPU seconds per token


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of process `pid` (all its threads) so far; 0 where /proc cannot tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except (OSError, TypeError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


async def run(
    client: httpx.AsyncClient, path: Route, model: str, streams: int, tokens: int, into: Samples, pid: int | None = None
) -> None:
    """`streams` concurrent streams: total tokens / wall time into `into.rates`, each stream's TTFT into `into.ttfts`,
    and the CPU time process `pid` (the one serving every path) spent per token into `into.cpu_per_token`."""
    cpu, started = cpu_seconds(pid), time.perf_counter()
    results = await asyncio.gather(*(stream_once(client, path, model, tokens, s) for s in range(streams)))
    generated = sum(n for n, _ in results)
    into.rates.append(generated / (time.perf_counter() - started))
    into.ttfts.extend(t for _, t in results)
    into.cpu_per_token.append((cpu_seconds(pid) - cpu) / max(1, generated))


def paired(by: dict[str, Samples], a: str, b: str) -> float:
    """The median over rounds of a's tokens/s over b's in the same round."""
    return statistics.median(x / y for x, y in zip(by[a].rates, by[b].rates, strict=True))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(
    paths: list[Route], ttft_paths: list[Route], model: str, rounds: int, tokens: int, pid: int | None = None
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
                    await run(client, p, model, streams, tokens, speed[streams][p.name], pid)
        wide: dict[int, dict[str, Samples]] = {8: {p.name: Samples() for p in ttft_paths}}
        for k in range(max(1, rounds - 1) if ttft_paths else 0):
            for j in range(len(ttft_paths)):
                p = ttft_paths[(j + k) % len(ttft_paths)]
                await run(client, p, model, 8, tokens, wide[8][p.name])
    return speed, wide


SAMPLED_ROWS = (
    ("control: llama.cpp A / llama.cpp B", "same semantics A/A", "same semantics", None),
    ("gateway / llama.cpp with its defaults", "gateway", "llama.cpp defaults", (0.95, (4,))),
    ("gateway / llama.cpp told the same semantics", "gateway", "same semantics", (1.00, (1, 4))),
    ("llama.cpp defaults / same semantics (one server)", "llama.cpp defaults", "defaults told same", None),
)


def sampled_paths(urls: dict[str, Any]) -> list[Route]:
    """The sampled paths: llama.cpp told the gateway's semantics (twice: the control), the gateway, llama.cpp with
    its defaults, and that same server told the gateway's semantics."""
    return [
        Route("same semantics", urls["raw"], SAME_SEMANTICS),
        Route("same semantics A/A", urls["raw"], SAME_SEMANTICS),
        Route("gateway", urls["gateway"], SAMPLED),
        Route("llama.cpp defaults", urls["llama.cpp defaults"], SAMPLED),
        Route("defaults told same", urls["llama.cpp defaults"], SAME_SEMANTICS),
    ]


def print_sampled(speed: dict[int, dict[str, Samples]], rounds: int, tokens: int) -> None:
    """Tokens/s, CPU per token and the issue's ratios, each next to its goal."""
    load = os.getloadavg()[0]
    print(
        f"sampled (temperature 0.8, a seed per stream, no top_p): tokens/s and serving-process CPU ms per token, median of "
        f"{rounds} rotating rounds, {tokens} tokens a stream; load average after: {load:.2f}"
    )
    names = list(next(iter(speed.values())))
    print(f"{'streams':>7} " + " ".join(f"{n:>22}" for n in names))
    for streams, by in speed.items():
        cells = [
            f"{statistics.median(by[n].rates):.1f} t/s {1000 * statistics.median(by[n].cpu_per_token):.1f} ms" for n in names
        ]
        print(f"{streams:>7} " + " ".join(f"{c:>22}" for c in cells))
    print(f"{'tokens/s ratio':<50} {'1 stream':>9} {'4 streams':>10}  goal")
    for label, a, b, goal in SAMPLED_ROWS:
        got = {streams: paired(by, a, b) for streams, by in speed.items()}
        verdict = "(noise of this run)" if label.startswith("control") else "(what truncating buys)"
        if goal is not None:
            floor, at = goal
            met = all(got[s] >= floor for s in at)
            where = " and ".join(f"{s} stream{'s' if s > 1 else ''}" for s in at)
            verdict = f">= {floor:.2f}x at {where}: {'met' if met else 'NOT met'}"
        print(f"{label:<50} {got[1]:>8.3f}x {got[4]:>9.3f}x  {verdict}")


def seed_comparison(urls: dict[str, Any], rounds: int, tokens: int) -> None:
    """Wall time of a 4-seed comparison run as the Compare page runs it (through the gateway) against the same four
    requests sent straight to llama.cpp with the same semantics, in alternating rounds. Both reach one engine, so
    both give the same four answers."""
    from playground.client import ChatClient, ClientConfig
    from playground.compare import run_comparison, variants

    body = {
        "model": urls["model"],
        "messages": PROMPT,
        "temperature": SAMPLED["temperature"],
        "max_completion_tokens": tokens,
        "logit_bias": {"0": -100, "2": -100},
    }
    raw = Route("same semantics", urls["raw"], SAME_SEMANTICS)

    def page(client: ChatClient) -> tuple[float, list[str]]:
        started = time.perf_counter()
        comparison = run_comparison(variants(body, seeds=list(COMPARE_SEEDS)), lambda v: client, concurrency=4)
        wall = time.perf_counter() - started
        if failed := [r.error for r in comparison.results if r.status != "done"]:
            raise SystemExit(f"a comparison run failed: {failed[0]}")
        return wall, [r.text for r in comparison.results]

    async def straight() -> float:
        async with httpx.AsyncClient(timeout=600, limits=httpx.Limits(max_keepalive_connections=0)) as client:
            started = time.perf_counter()
            counts = await asyncio.gather(*(stream_once(client, raw, urls["model"], tokens, seed) for seed in COMPARE_SEEDS))
            if any(n != tokens for n, _ in counts):
                raise SystemExit(f"llama.cpp generated {[n for n, _ in counts]} tokens, not {tokens} each")
            return time.perf_counter() - started

    base_url = urls["gateway"].removesuffix("/chat/completions")
    walls: dict[str, list[float]] = {"page": [], "straight": []}
    with ChatClient(ClientConfig(base_url=base_url, kind="embedded", timeout=600.0)) as client:
        page(client)  # warm the client's connections and the slots
        asyncio.run(straight())
        for k in range(rounds):
            for way in ("page", "straight") if k % 2 == 0 else ("straight", "page"):
                walls[way].append(page(client)[0] if way == "page" else asyncio.run(straight()))
    ratios = [p / s for p, s in zip(walls["page"], walls["straight"], strict=True)]
    ratio = statistics.median(ratios)
    print(
        f"4-seed comparison (seeds {COMPARE_SEEDS[0]}-{COMPARE_SEEDS[-1]}, temperature 0.8, {tokens} tokens each), "
        f"{rounds} alternating rounds: page's Compare path {statistics.median(walls['page']):.2f} s, "
        f"straight to llama.cpp {statistics.median(walls['straight']):.2f} s (median wall)"
    )
    print(
        f"{'4-seed comparison: page / straight to llama.cpp':<50} {ratio:>8.3f}x (rounds: "
        f"{', '.join(f'{r:.2f}' for r in ratios)})  <= 1.05x: {'met' if ratio <= 1.05 else 'NOT met'}"
    )


def greedy(urls: dict[str, Any], args: argparse.Namespace) -> None:
    """The greedy paths: tokens/s, ratios and time to first token, then the continued conversation."""
    paths = [
        Route("raw", urls["raw"], CACHED),
        Route("raw A/A", urls["raw"], CACHED),
        Route("gateway", urls["gateway"], {}),
        Route("raw recompute", urls["raw"], NO_CACHE),
        Route("gateway recompute", urls["gateway recompute"], {}),
        Route("llama.cpp defaults", urls["llama.cpp defaults"], {}),
    ]
    ttft_paths = [p for p in paths if p.name in TTFT_PATHS]
    speed, wide = asyncio.run(measure(paths, ttft_paths, urls["model"], args.rounds, args.tokens))
    chat = [Route(name, urls[name], {**extra, **CHAT}) for name, extra in CHAT_PATHS.items()]
    chat_speed, _ = asyncio.run(measure(chat, [], urls["model"], args.rounds, args.tokens))
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7, help="rotating rounds per concurrency (median kept)")
    ap.add_argument("--tokens", type=int, default=48, help="tokens generated per stream")
    ap.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: the engine's)")
    ap.add_argument("--sampled-rounds", type=int, default=5, help="rotating rounds of the sampled paths")
    ap.add_argument("--sampled-tokens", type=int, default=128, help="tokens per stream when sampling")
    ap.add_argument("--only", choices=("all", "greedy", "sampled"), default="all", help="which part to run")
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
        print(
            f"model load (llama.cpp, {urls['gguf']}): {urls['load_seconds']:.2f} s; "
            f"gateway, its engine and llama.cpp with its defaults ready: {ready:.2f} s; "
            f"load average before: {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        if args.only in ("all", "greedy"):
            greedy(urls, args)
        if args.only in ("all", "sampled"):
            sampled, _ = asyncio.run(
                measure(sampled_paths(urls), [], urls["model"], args.sampled_rounds, args.sampled_tokens, serve.pid)
            )
            print_sampled(sampled, args.sampled_rounds, args.sampled_tokens)
            seed_comparison(urls, args.sampled_rounds, args.sampled_tokens)
    finally:
        if serve.stdin is not None:
            serve.stdin.close()
        serve.wait(timeout=60)


if __name__ == "__main__":
    main()
