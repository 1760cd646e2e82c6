"""The README's claim: the same seed gives the same answer whatever ran before (the gateway's default: every
prompt recomputed, `prompt_cache` off).

Unrelated requests run in between, some sharing the question's first words (a partial prefix in a slot), some
at the same time as each other; the answer must match in text and in logprobs to the last bit. With the prompt
cache on, llama.cpp's CPU kernels are not batch-invariant: a prompt computed on top of a cached prefix gives
other logprobs than computed whole (bench/probe_reproducible.py --splits), so that case is not claimed; the
short-prompt case that happens to be exact with flash attention is checked here as well, to notice if it
stops being so.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from playground.local import Gateway, GatewaySettings, start_gateway

pytestmark = pytest.mark.integration

QUESTION = "Write three sentences about a lighthouse keeper who finds a bottle on the beach."
OTHERS = [
    "Write three sentences about a lighthouse in winter.",
    "What is 17 times 23?",
    "Write three sentences about a lighthouse keeper who loses his keys.",
    "Say hi",
]


@pytest.fixture(scope="module", params=[False, True], ids=["cache-off", "cache-on"])
def served(request: pytest.FixtureRequest, gateway: Gateway) -> Iterator[Gateway]:
    """A gateway with the prompt cache off or on, over the session's engine (no second model load)."""
    gw = start_gateway(GatewaySettings(prompt_cache=request.param), engine=gateway.engine)
    try:
        yield gw
    finally:
        gw.close()


def ask(gw: Gateway, text: str, seed: int, tokens: int) -> dict[str, Any]:
    body = {
        "model": gw.model_id,
        "messages": [{"role": "user", "content": text}],
        "max_completion_tokens": tokens,
        "seed": seed,
        "temperature": 1,
        "logprobs": True,
    }
    r = httpx.post(f"{gw.base_url}/chat/completions", json=body, timeout=300)
    r.raise_for_status()
    return r.json()


def answer(out: dict[str, Any]) -> tuple[str, list[float]]:
    choice = out["choices"][0]
    return choice["message"]["content"], [e["logprob"] for e in choice["logprobs"]["content"]]


def test_the_same_seed_gives_the_same_answer_after_other_requests(served: Gateway) -> None:
    first = answer(ask(served, QUESTION, 7, 16))
    assert first[0].strip() and len(first[1]) > 0
    for round_ in range(2):
        for k, text in enumerate(OTHERS[:2]):  # one after another: each lands in a slot and stays cached there
            ask(served, text, 100 + round_ * 10 + k, 6)
        with ThreadPoolExecutor(3) as pool:  # and three at once, over several slots
            list(pool.map(ask, [served] * 3, OTHERS[1:], [200 + round_] * 3, [6] * 3))
        again = ask(served, QUESTION, 7, 16)
        assert answer(again)[0] == first[0]
        assert answer(again)[1] == first[1]  # to the last bit, not just the same words
        cached = again["usage"]["prompt_tokens_details"]["cached_tokens"]
        if served.settings.prompt_cache:  # the cache really was used: the prefix came from a slot
            assert cached > 0
        else:
            assert cached == 0
