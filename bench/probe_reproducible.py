"""Same seed, same text whatever ran before or beside: counted over many trials, prompt cache on vs off.

Each trial sends three unrelated requests (some share the question's first words, so a slot's cache holds a
partial prefix of it), waits for them, then asks the question with seed 7 at temperature 1 and logprobs; the
answer is compared with the first one (asked before anything else ran, cache off): same text, and the same
logprobs to the last bit. `--beside` sends the question *while* the unrelated requests run instead; `--long`
puts a 600-token logbook before the question (past 512 keys, where llama.cpp's f16 K takes other paths);
`--f16-k` runs llama.cpp's own f16 K cache instead of the engine's q8_0. Both gateways share one engine and
alternate trials. Run by hand (not in `make bench`; minutes for 100 trials):
`uv run python bench/probe_reproducible.py --trials 100 [--beside] [--long] [--f16-k]`.

`--splits` shows the mechanism instead, on one slot, for both K caches: a prompt of P tokens computed whole
(cache off) vs with its first k tokens taken from the cache and the other P-k computed as one batch, for
several P and k; prints whether the logprobs of the answer are bit-identical, and the speeds llama.cpp reports.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._prompts import LOG, LOGBOOK  # noqa: E402
from playground.local import Engine, Gateway, GatewaySettings, start_gateway  # noqa: E402

QUESTION = "Write three sentences about a lighthouse keeper who finds a bottle on the beach."
OTHERS = [
    "What is 17 times 23?",
    "Write three sentences about a lighthouse in winter.",
    "Name three rivers in Europe.",
    "Write three sentences about a cat.",
    "Say hi",
    "Write three sentences about a lighthouse keeper who loses his keys.",
    "Tell me a joke about the sea.",
]


async def ask(
    client: httpx.AsyncClient, gw: Gateway, text: str, seed: int, tokens: int, system: str | None = None
) -> tuple[str, list[float]]:
    body = {
        "model": gw.model_id,
        "messages": [*([{"role": "system", "content": system}] if system else []), {"role": "user", "content": text}],
        "max_completion_tokens": tokens,
        "seed": seed,
        "logprobs": True,
    }
    r = await client.post(f"{gw.base_url}/chat/completions", json=body)
    r.raise_for_status()
    choice: dict[str, Any] = r.json()["choices"][0]
    return choice["message"]["content"], [e["logprob"] for e in choice["logprobs"]["content"]]


async def trials(
    gateways: dict[str, Gateway], n: int, beside: bool, tokens: int, system: str | None
) -> dict[str, tuple[int, int]]:
    """Per gateway: (trials with the same text, trials with bit-identical logprobs)."""
    async with httpx.AsyncClient(timeout=600) as client:
        ref_text, ref_lps = await ask(client, gateways["cache off"], QUESTION, 7, tokens, system)
        counts = {name: [0, 0] for name in gateways}
        for i in range(n):
            for name, gw in gateways.items():
                others = [OTHERS[(3 * i + k) % len(OTHERS)] for k in range(3)]
                load = [ask(client, gw, text, 1000 + 7 * i + k, 8) for k, text in enumerate(others)]
                if beside:
                    *_, (text, lps) = await asyncio.gather(*load, ask(client, gw, QUESTION, 7, tokens, system))
                else:
                    await asyncio.gather(*load)
                    text, lps = await ask(client, gw, QUESTION, 7, tokens, system)
                counts[name][0] += text == ref_text
                counts[name][1] += lps == ref_lps
    return {k: (v[0], v[1]) for k, v in counts.items()}


def splits(batch_invariant: bool, lengths: tuple[int, ...] = (32, 64, 100, 256, 257, 403, 600)) -> None:
    """Logprobs of a prompt with k of its tokens reused from the slot's cache vs none (one slot, greedy), for
    prompts of several lengths; and what llama.cpp reports of prompt and generation speed, cache off."""
    engine = Engine(n_parallel=1, n_ctx=2048, batch_invariant=batch_invariant)
    srv = engine.server
    assert srv is not None
    text = "\n".join(LOG.format(k=k) for k in range(1, 60))
    tokens = httpx.post(f"{engine.base_url}/tokenize", json={"content": text}).json()["tokens"]
    speed: list[tuple[float, float]] = []

    def logprobs(prompt: list[int], cache: bool, n: int = 12) -> tuple[list[float], int]:
        body = {"prompt": prompt, "n_predict": n, "temperature": 0, "n_probs": 1, "cache_prompt": cache, "top_k": 0}
        out = srv.handle_completions(body)
        if not cache and n > 1:
            speed.append((out["timings"]["prompt_per_second"], out["timings"]["predicted_per_second"]))
        return [e["logprob"] for e in out["choices"][0]["logprobs"]["content"]], int(out["timings"]["cache_n"])

    k_type = "q8_0 (ours)" if batch_invariant else "f16 (llama.cpp's)"
    print(f"K cache {k_type}: prompt of P tokens, k reused from the cache, P-k computed; same = bit-identical")
    for length in lengths:
        prompt = tokens[:length]
        whole, _ = logprobs(prompt, False)
        cells = []
        for k in sorted({1, length // 4, length // 2, length - 8, length - 2, length - 1}):
            logprobs(prompt[:k], True, 1)  # the slot now holds the first k tokens (and what it computed of them)
            got, reused = logprobs(prompt, True)
            cells.append("same" if got == whole else f"DIFF {max(abs(a - b) for a, b in zip(got, whole, strict=True)):.0e}")
        print(f"  P={length:>3}: " + ", ".join(cells), flush=True)
    prompt_rate, gen_rate = (statistics.median(x) for x in zip(*speed, strict=True))
    print(f"  cache off, median over those prompts: prompt {prompt_rate:.0f} tokens/s, generation {gen_rate:.1f} tokens/s")
    engine.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--tokens", type=int, default=24)
    ap.add_argument("--beside", action="store_true", help="ask while the unrelated requests run, not after")
    ap.add_argument("--f16-k", action="store_true", help="llama.cpp's own f16 K cache instead of the engine's q8_0")
    ap.add_argument("--long", action="store_true", help="a question after a 600-token logbook (past 512 keys)")
    ap.add_argument("--splits", action="store_true", help="cached vs whole prefill, for both K caches")
    args = ap.parse_args()
    if args.splits:
        splits(False)
        splits(True)
        return
    started = time.perf_counter()
    engine = Engine(n_parallel=4, batch_invariant=not args.f16_k)
    gateways = {
        "cache off": start_gateway(GatewaySettings(prompt_cache=False), engine=engine),
        "cache on": start_gateway(GatewaySettings(prompt_cache=True), engine=engine),
    }
    try:
        result = asyncio.run(trials(gateways, args.trials, args.beside, args.tokens, LOGBOOK if args.long else None))
    finally:
        for gw in gateways.values():
            gw.close()
        engine.close()
    when = "while" if args.beside else "after"
    k_type = "f16" if args.f16_k else "q8_0"
    prompt = "a 600-token logbook and a question" if args.long else "a short question"
    print(f"same seed, {args.trials} trials, {prompt} asked {when} 3 unrelated requests; K cache {k_type}")
    for name, (same_text, same_bits) in result.items():
        print(f"  {name:>9}: same text {same_text}/{args.trials}, bit-identical logprobs {same_bits}/{args.trials}")
    print(f"({time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
