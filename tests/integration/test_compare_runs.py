"""playground.compare against the real embedded model over real HTTP: seeds side by side, and a repeated
seed reproducing its answer token for token (the engine's q8_0 K cache keeps that true with the prompt cache on)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from playground.client import ChatClient, ClientConfig
from playground.compare import Comparison, analyse, reproducibility, run_comparison, tokens_of, variants

pytestmark = pytest.mark.integration


@pytest.fixture()
def client(gateway: Any) -> Iterator[ChatClient]:
    with ChatClient(ClientConfig(base_url=gateway.base_url, kind="embedded", timeout=180.0)) as c:
        yield c


@pytest.fixture()
def base(gateway: Any) -> dict[str, Any]:
    models = httpx.get(f"{gateway.base_url}/models", timeout=30).json()["data"]
    return {
        "model": models[0]["id"],
        "messages": [{"role": "user", "content": "Write one sentence about the sea."}],
        "temperature": 1.0,
        "max_completion_tokens": 24,
    }


def test_three_seeds_give_three_answers(client: ChatClient, base: dict[str, Any]) -> None:
    seen: list[str] = []
    comparison = run_comparison(variants(base, seeds="1, 2, 3"), lambda v: client, on_update=lambda r: seen.append(r.status))
    assert [r.label for r in comparison.results] == ["seed 1", "seed 2", "seed 3"]
    for r in comparison.results:
        assert r.status == "done" and r.error is None, r.error
        assert r.text.strip() and r.completion is not None and r.completion.text() == r.text
        assert r.usage is not None and 0 < r.usage.output_tokens <= 24
        assert r.ttft_s is not None and r.total_s is not None and r.ttft_s <= r.total_s
    assert seen.count("done") == 3
    analysis = analyse(comparison)
    assert analysis.compared == [0, 1, 2] and len(analysis.divergence) == 3
    distinct = {r.text for r in comparison.results}
    assert analysis.summary == (
        "all 3 identical" if len(distinct) == 1 else "all 3 different" if len(distinct) == 3 else "2 of 3 identical"
    )
    assert Comparison.model_validate_json(comparison.model_dump_json()) == comparison


def test_the_same_seed_twice_matches_token_for_token(client: ChatClient, base: dict[str, Any]) -> None:
    body = {**base, "logprobs": True}
    comparison = run_comparison(variants(body, seeds="5", repeat=2), lambda v: client)
    first, again = comparison.results
    assert first.status == again.status == "done"
    assert tokens_of(first) is not None  # compared by the model's own tokens, not by words
    [check] = reproducibility(comparison.results)
    assert check.labels == ("seed 5 · run 1", "seed 5 · run 2")
    assert check.matched, check.difference
    assert first.text == again.text and tokens_of(first) == tokens_of(again)
