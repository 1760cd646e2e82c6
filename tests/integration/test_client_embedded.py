"""ChatClient against the real embedded gateway (SmolLM2 over real HTTP): no mocks.

Uses the session fixture `gateway` from tests/conftest.py (`gateway.base_url` ends with "/v1").
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from playground.client import ChatClient, ClientConfig
from playground.errors import BadRequestError, NetworkError
from playground.response import Completion, Done, TextDelta

pytestmark = pytest.mark.integration

PROMPT = [{"role": "user", "content": "Count from 1 to 10, separated by commas."}]


@pytest.fixture()
def client(gateway: Any) -> Iterator[ChatClient]:
    with ChatClient(ClientConfig(base_url=gateway.base_url, kind="embedded", timeout=120.0)) as c:
        yield c


@pytest.fixture()
def model(client: ChatClient) -> str:
    models = [m.id for m in client.models()]
    assert models, "the gateway lists no model"
    return models[0]


def body(model: str, **fields: Any) -> dict[str, Any]:
    return {"model": model, "messages": PROMPT, "temperature": 0, "seed": 7, "max_completion_tokens": 12, **fields}


def test_complete_gives_text_usage_and_reason(client: ChatClient, model: str) -> None:
    c = client.complete(body(model))
    assert isinstance(c, Completion)
    assert c.id and c.model and c.text().strip()
    assert c.stop_reason in {"stop", "length"}
    assert c.usage.input_tokens > 0 and 0 < c.usage.output_tokens <= 12
    assert c.request_id is None
    assert isinstance(c.raw, dict) and c.raw["choices"]


def test_length_limit_is_reported(client: ChatClient, model: str) -> None:
    c = client.complete(body(model, max_completion_tokens=3))
    assert c.stop_reason == "length" and c.usage.output_tokens == 3


def test_stream_matches_complete_for_the_same_seed(client: ChatClient, model: str) -> None:
    whole = client.complete(body(model))
    events = list(client.stream(body(model)))
    assert isinstance(events[-1], Done)
    deltas = [e for e in events[:-1] if isinstance(e, TextDelta)]
    assert len(deltas) > 1  # really streamed, not one piece
    streamed = events[-1].completion
    assert "".join(d.text for d in deltas) == streamed.text() == whole.text()
    assert streamed.stop_reason == whole.stop_reason
    assert streamed.usage.output_tokens == whole.usage.output_tokens  # include_usage was sent
    assert isinstance(streamed.raw, list)


def test_stream_can_be_abandoned(client: ChatClient, model: str) -> None:
    stream = client.stream(body(model, max_completion_tokens=30))
    first = next(stream)
    assert isinstance(first, TextDelta)
    stream.close()
    assert client.complete(body(model, max_completion_tokens=2)).usage.output_tokens == 2  # client still usable


def test_several_choices(client: ChatClient, model: str) -> None:
    c = client.complete(body(model, n=2, temperature=1.0, max_completion_tokens=8))
    assert [ch.index for ch in c.choices] == [0, 1]
    assert all(c.text(i).strip() for i in (0, 1))
    assert c.content == c.choices[0].content


def test_logprobs(client: ChatClient, model: str) -> None:
    c = client.complete(body(model, logprobs=True, top_logprobs=3, max_completion_tokens=6))
    tokens = c.choices[0].logprobs
    assert tokens is not None and len(tokens) == c.usage.output_tokens
    assert all(t.logprob <= 0 and 1 <= len(t.top_logprobs) <= 3 for t in tokens)
    assert "".join(t.token for t in tokens) == c.text()


def test_stop_string_ends_the_answer(client: ChatClient, model: str) -> None:
    free = client.complete(body(model, max_completion_tokens=20)).text()
    assert "5" in free  # the counting prompt does reach 5
    c = client.complete(body(model, max_completion_tokens=20, stop=["5"]))
    assert c.stop_reason == "stop"
    assert "5" not in c.text() and free.startswith(c.text())
    assert c.stop_sequence == "5"  # the gateway says which stop string matched


def test_bad_field_is_a_bad_request_with_the_server_message(client: ChatClient, model: str) -> None:
    with pytest.raises(BadRequestError) as info:
        client.complete(body(model, top_logprobs=20, logprobs=True))
    assert info.value.status in (400, 422)
    assert info.value.param == "top_logprobs"  # so the UI can put it next to that widget
    assert info.value.server_message


def test_unknown_model_is_a_bad_request(client: ChatClient) -> None:
    with pytest.raises(BadRequestError) as info:
        client.complete(body("no-such-model"))
    assert info.value.status == 404


def test_deferred_round_trip_is_fetched_once(client: ChatClient, model: str) -> None:
    request_id = client.submit_deferred(body(model, max_completion_tokens=8))
    assert request_id
    result = None
    deadline = time.monotonic() + 120
    while result is None and time.monotonic() < deadline:
        result = client.poll_deferred(request_id)
        if result is None:
            time.sleep(0.2)
    assert result is not None and result.request_id == request_id
    assert result.text().strip() and result.usage.output_tokens > 0
    with pytest.raises(BadRequestError) as info:  # like xAI: the result is handed out exactly once
        client.poll_deferred(request_id)
    assert info.value.status == 404


def test_tokenize_round_trips_the_bytes(client: ChatClient, model: str) -> None:
    text = "Hello world, café!"
    tokens = client.tokenize(text, model)
    assert len(tokens) > 1
    assert all(isinstance(t.token_id, int) for t in tokens)
    assert b"".join(bytes(t.token_bytes) for t in tokens) == text.encode()


def test_tool_call_comes_back_as_tool_use(client: ChatClient, model: str) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
    c = client.complete(
        {
            "model": model,
            "temperature": 0,
            "max_completion_tokens": 60,
            "messages": [{"role": "user", "content": "What is the weather in Seoul?"}],
            "tools": [tool],
            "tool_choice": "required",
        }
    )
    assert c.stop_reason == "tool_calls"
    uses = c.tool_uses()
    assert uses and uses[0].name == "get_weather" and uses[0].id
    assert isinstance(uses[0].input, dict) and "city" in uses[0].input


def test_nothing_listening_is_a_network_error() -> None:
    with ChatClient(ClientConfig(base_url="http://127.0.0.1:9/v1", max_retries=0, timeout=5)) as c:
        with pytest.raises(NetworkError):
            c.models()
