"""Same seed, same text after unrelated requests: counted over many trials, prompt cache on vs off.

Each trial sends three unrelated requests (some share the question's first words, so a slot's cache holds a
partial prefix of it), waits for them, then asks the question with seed 7 at temperature 1 and logprobs; the
answer is compared with the first one (asked before anything else ran, cache off): same text, and the same
logprobs to the last bit. `--beside` sends the question *while* the unrelated requests run instead.
Both gateways share one engine and alternate trials. Run by hand (not in `make bench`, ~4 min for 100 trials
on an idle machine): `uv run python bench/probe_reproducible.py --trials 100 [--no-flash-attn] [--beside]`.

`--splits` shows the mechanism instead, on one slot: a prompt of P tokens computed whole (cache off) vs with
its first k tokens taken from the cache and the other P-k computed as one batch, for several k; prints
whether the logprobs of the answer are bit-identical.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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


async def ask(client: httpx.AsyncClient, gw: Gateway, text: str, seed: int, tokens: int) -> tuple[str, list[float]]:
    body = {
        "model": gw.model_id,
        "messages": [{"role": "user", "content": text}],
        "max_completion_tokens": tokens,
        "seed": seed,
        "logprobs": True,
    }
    r = await client.post(f"{gw.base_url}/chat/completions", json=body)
    r.raise_for_status()
    choice: dict[str, Any] = r.json()["choices"][0]
    return choice["message"]["content"], [e["logprob"] for e in choice["logprobs"]["content"]]


async def trials(gateways: dict[str, Gateway], n: int, beside: bool, tokens: int) -> dict[str, tuple[int, int]]:
    """Per gateway: (trials with the same text, trials with bit-identical logprobs)."""
    async with httpx.AsyncClient(timeout=600) as client:
        ref_text, ref_lps = await ask(client, gateways["cache off"], QUESTION, 7, tokens)
        counts = {name: [0, 0] for name in gateways}
        for i in range(n):
            for name, gw in gateways.items():
                others = [OTHERS[(3 * i + k) % len(OTHERS)] for k in range(3)]
                load = [ask(client, gw, text, 1000 + 7 * i + k, 8) for k, text in enumerate(others)]
                if beside:
                    *_, (text, lps) = await asyncio.gather(*load, ask(client, gw, QUESTION, 7, tokens))
                else:
                    await asyncio.gather(*load)
                    text, lps = await ask(client, gw, QUESTION, 7, tokens)
                counts[name][0] += text == ref_text
                counts[name][1] += lps == ref_lps
    return {k: (v[0], v[1]) for k, v in counts.items()}


SPLIT_PROMPT = (
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
    "<|im_start|>user\nWrite three sentences about a lighthouse keeper who finds a bottle on the beach, "
    "and what the letter inside says.<|im_end|>\n<|im_start|>assistant\n"
)


def splits(flash_attn: bool) -> None:
    """Logprobs of one prompt with k of its tokens reused from the slot's cache vs none (one slot, greedy)."""
    engine = Engine(n_parallel=1, n_ctx=2048, flash_attn=flash_attn)
    srv = engine.server
    assert srv is not None
    tokens = httpx.post(f"{engine.base_url}/tokenize", json={"content": SPLIT_PROMPT}).json()["tokens"]

    def logprobs(prompt: list[int], cache: bool, n: int = 16) -> tuple[list[float], int]:
        body = {"prompt": prompt, "n_predict": n, "temperature": 0, "n_probs": 1, "cache_prompt": cache, "top_k": 0}
        out = srv.handle_completions(body)
        return [e["logprob"] for e in out["choices"][0]["logprobs"]["content"]], int(out["timings"]["cache_n"])

    whole, _ = logprobs(tokens, False)
    cells = []
    for k in (1, 8, 16, 24, 32, 40, len(tokens) - 12, len(tokens) - 8, len(tokens) - 2, len(tokens) - 1):
        logprobs(tokens[:k], True, 1)  # the slot now holds the first k tokens
        got, reused = logprobs(tokens, True)
        diff = max(abs(a - b) for a, b in zip(got, whole, strict=True))
        cells.append(f"{len(tokens) - reused} new: {'same' if got == whole else f'DIFF {diff:.1e}'}")
    engine.close()
    print(f"flash attention {'on' if flash_attn else 'off'}, prompt of {len(tokens)} tokens: " + "; ".join(cells))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--tokens", type=int, default=24)
    ap.add_argument("--beside", action="store_true", help="ask while the unrelated requests run, not after")
    ap.add_argument("--no-flash-attn", action="store_true", help="llama.cpp without flash attention")
    ap.add_argument("--splits", action="store_true", help="cached vs whole prefill, flash attention on and off")
    args = ap.parse_args()
    if args.splits:
        splits(True)
        splits(False)
        return
    started = time.perf_counter()
    engine = Engine(n_parallel=4, flash_attn=not args.no_flash_attn)
    gateways = {
        "cache off": start_gateway(GatewaySettings(prompt_cache=False), engine=engine),
        "cache on": start_gateway(GatewaySettings(prompt_cache=True), engine=engine),
    }
    try:
        result = asyncio.run(trials(gateways, args.trials, args.beside, args.tokens))
    finally:
        for gw in gateways.values():
            gw.close()
        engine.close()
    when = "while" if args.beside else "after"
    fa = "off" if args.no_flash_attn else "on"
    print(f"same seed, {args.trials} trials, question asked {when} 3 unrelated requests; flash attention {fa}")
    for name, (same_text, same_bits) in result.items():
        print(f"  {name:>9}: same text {same_text}/{args.trials}, bit-identical logprobs {same_bits}/{args.trials}")
    print(f"({time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
