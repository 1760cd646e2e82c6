"""The generated inputs of tests/core/test_generated_inputs.py, sent to the running gateway (issue 11): 2,000
bodies when fuzzing deliberately (PLAYGROUND_FUZZ_DEEP=1), a fifth of them in `make test` (tests/fuzz.py), most
invalid (a valid one asks for one token), plus 200 broken ones, 8 at a time over real HTTP, each with a deadline.
Zero 5xx, zero hangs; prints the status counts."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.local import Gateway
from tests.core.test_generated_inputs import DEEP, JUNK, MESSAGES, SETTINGS
from tests.fuzz import examples

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning"),
]

BODIES = examples(2_000)
EXTRA = 200  # raw non-JSON / broken bytes / tokenize-text bodies on top
CONCURRENCY = 8
PER_REQUEST_S = 120.0


def _bodies(model: str) -> list[bytes]:
    """The same generators as the core tests, serialised as a sloppy client would (NaN, lone surrogates)."""
    out: list[bytes] = []

    @settings(
        max_examples=BODIES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    @given(
        body=st.one_of(
            st.tuples(SETTINGS, MESSAGES).map(lambda sm: {"model": model, "messages": sm[1], **sm[0]}),
            JUNK,
            DEEP,
        )
    )
    def collect(body: Any) -> None:
        if isinstance(body, dict):
            body.pop("deferred", None)  # a deferred job nobody fetches would only hold a slot
            body.setdefault("max_completion_tokens", 1)
            for key, quick in (("max_completion_tokens", 1), ("max_tokens", 1), ("n", 2)):
                value = body.get(key)
                if isinstance(value, int) and not isinstance(value, bool) and 4 < value <= 100_000:
                    body[key] = quick  # valid but slow: made quick; invalid values are sent as they are
        out.append(json.dumps(body, allow_nan=True).encode())

    collect()
    return out


def _extra(model: str) -> list[tuple[str, bytes]]:
    """Bodies no generator above makes: broken bytes, truncated JSON, tokenize-text with junk."""
    rows: list[tuple[str, bytes]] = []
    for i in range(EXTRA // 4):
        good = json.dumps({"model": model, "messages": [{"role": "user", "content": f"hi {i}"}], "max_completion_tokens": 1})
        rows.append(("/chat/completions", good.encode()[: i % len(good)]))  # cut short
        rows.append(("/chat/completions", bytes(range(i % 256, 256)) + b"\xff\xfe"))  # not UTF-8
        rows.append(("/tokenize-text", json.dumps({"model": model, "text": ["x", i, "\ud800" * (i % 2)][i % 3]}).encode()))
        rows.append(("/tokenize-text", b'{"model": "' + model.encode() + b'", "text": NaN}'))
    return rows


async def _send(
    client: httpx.AsyncClient, path: str, body: bytes, gate: asyncio.Semaphore, counts: Counter[str], fives: list[str]
) -> None:
    async with gate:
        try:
            async with asyncio.timeout(PER_REQUEST_S):
                async with client.stream("POST", path, content=body, headers={"content-type": "application/json"}) as r:
                    text = (await r.aread()).decode("utf-8", "replace")
        except TimeoutError:
            counts["hang"] += 1
            fives.append(f"hang: {body[:300]!r}")
            return
        counts[f"{r.status_code}"] += 1
        if r.status_code >= 500 or '"code": 500' in text or '"code":500' in text:
            counts["5xx"] += 1
            fives.append(f"{r.status_code} {text[:300]} <- {body[:300]!r}")
        elif r.status_code >= 400:
            error = json.loads(text).get("error", {})  # OpenAI's shape, always
            assert isinstance(error, dict) and error.get("message"), text[:300]


async def _fuzz(base_url: str, requests: list[tuple[str, bytes]]) -> tuple[Counter[str], list[str]]:
    counts: Counter[str] = Counter()
    fives: list[str] = []
    gate = asyncio.Semaphore(CONCURRENCY)
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, timeout=PER_REQUEST_S, limits=limits) as client:
        await asyncio.gather(*(_send(client, path, body, gate, counts, fives) for path, body in requests))
    return counts, fives


def test_generated_bodies_never_get_a_5xx_or_hang(gateway: Gateway) -> None:
    requests = [("/chat/completions", b) for b in _bodies(gateway.model_id)] + _extra(gateway.model_id)
    started = time.monotonic()
    counts, fives = asyncio.run(_fuzz(gateway.base_url, requests))
    elapsed = time.monotonic() - started
    print(
        f"\nfuzz: {len(requests)} requests in {elapsed:.0f}s, {CONCURRENCY} at a time: {json.dumps(dict(sorted(counts.items())))}"
    )
    assert len(requests) >= BODIES + EXTRA
    assert sum(v for k, v in counts.items() if k.isdigit()) + counts["hang"] == len(requests)
    assert counts["hang"] == 0 and counts["5xx"] == 0, fives[:5]
    assert counts["200"] > 0 and counts["400"] > 0  # both kinds were sent, so the test could fail either way
    with httpx.Client(base_url=gateway.base_url, timeout=60) as api:  # and it still answers
        tiny = {"model": gateway.model_id, "messages": [{"role": "user", "content": "Hi"}], "max_completion_tokens": 1}
        assert api.post("/chat/completions", json=tiny).status_code == 200
