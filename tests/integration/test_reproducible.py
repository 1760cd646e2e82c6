"""The README's claim: the same seed gives the same answer whatever ran before or beside it, with the prompt cache
on (the gateway's default) as with it off, to the last bit of the logprobs.

Unrelated requests run in between and at the same time, some sharing the question's first words (a partial
prefix in a slot). The long prompt matters: past 512 keys llama.cpp's f16 K cache takes other attention paths
for one query than for several (engine.py), which changed such answers; the engine's q8_0 K cache keeps to one.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from bench._prompts import LOGBOOK
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


def ask(gw: Gateway, text: str, seed: int, tokens: int, system: str | None = None) -> dict[str, Any]:
    messages = [{"role": "system", "content": system}] if system else []
    body = {
        "model": gw.model_id,
        "messages": [*messages, {"role": "user", "content": text}],
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


def cached(out: dict[str, Any]) -> int:
    return int(out["usage"]["prompt_tokens_details"]["cached_tokens"])


def test_the_same_seed_gives_the_same_answer_after_other_requests(served: Gateway) -> None:
    first = answer(ask(served, QUESTION, 7, 16))
    assert first[0].strip() and len(first[1]) > 0
    for k, text in enumerate(OTHERS[:2]):  # one after another: each lands in a slot and stays cached there
        ask(served, text, 100 + k, 6)
    with ThreadPoolExecutor(3) as pool:  # and three at once, over several slots
        list(pool.map(ask, [served] * 3, OTHERS[1:], [200] * 3, [6] * 3))
    again = ask(served, QUESTION, 7, 16)
    assert answer(again) == first  # the words, and the logprobs to the last bit
    assert (cached(again) > 0) == served.settings.prompt_cache  # the cache was used exactly when on


def beside_others(gw: Gateway, *question: Any) -> dict[str, Any]:
    """`ask(gw, *question)` while three other answers are being written on the same engine."""
    with ThreadPoolExecutor(4) as pool:
        others = [pool.submit(ask, gw, text, 300, 24) for text in OTHERS[:3]]
        out = pool.submit(ask, gw, *question).result()
        for o in others:
            o.result()
    return out


def test_a_long_prompt_gives_the_same_answer_beside_other_requests_and_on_top_of_a_cached_prefix(gateway: Gateway) -> None:
    """Both gateways share one engine. Without the cache the whole prompt is computed beside the other answers; with
    it only what follows the logbook a slot holds is, and also beside them. Each gives what the prompt alone gives."""
    whole = start_gateway(GatewaySettings(prompt_cache=False), engine=gateway.engine)
    reused = start_gateway(GatewaySettings(prompt_cache=True), engine=gateway.engine)
    question = ("What happened on day 12?", 9, 12, LOGBOOK)
    try:
        alone = ask(whole, *question)
        assert alone["usage"]["prompt_tokens"] > 512
        assert answer(beside_others(whole, *question)) == answer(alone)
        ask(reused, "What happened on day 3?", 1, 2, LOGBOOK)  # a slot now holds the logbook
        out = beside_others(reused, *question)
        assert cached(out) > 500
        assert answer(out) == answer(alone)
    finally:
        reused.close()
        whole.close()
