"""The official `openai` SDK, pointed at the gateway, parses every kind of response without error."""

from __future__ import annotations

import json

import openai
import pytest

from playground.local import Gateway

pytestmark = pytest.mark.integration

MESSAGES = [{"role": "user", "content": "Say hi."}]


@pytest.fixture
def sdk(gateway: Gateway) -> openai.OpenAI:
    with openai.OpenAI(base_url=gateway.base_url, api_key="not-needed", max_retries=0, timeout=120) as client:
        yield client


def test_completes(sdk: openai.OpenAI, gateway: Gateway) -> None:
    out = sdk.chat.completions.create(
        model=gateway.model_id, messages=MESSAGES, max_completion_tokens=5, seed=4, logprobs=True, top_logprobs=3
    )
    assert out.model == gateway.model_id and out.system_fingerprint
    assert out.choices[0].message.content
    assert out.choices[0].finish_reason in ("stop", "length")
    assert len(out.choices[0].logprobs.content[0].top_logprobs) == 3
    assert out.usage.completion_tokens <= 5


def test_streams_with_usage(sdk: openai.OpenAI, gateway: Gateway) -> None:
    stream = sdk.chat.completions.create(
        model=gateway.model_id, messages=MESSAGES, max_completion_tokens=5, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens <= 5


def test_n_choices_plain_and_streamed(sdk: openai.OpenAI, gateway: Gateway) -> None:
    out = sdk.chat.completions.create(model=gateway.model_id, messages=MESSAGES, max_completion_tokens=3, n=3)
    assert [c.index for c in out.choices] == [0, 1, 2]
    stream = sdk.chat.completions.create(model=gateway.model_id, messages=MESSAGES, max_completion_tokens=3, n=2, stream=True)
    assert {c.index for chunk in stream for c in chunk.choices} == {0, 1}


def test_lists_models(sdk: openai.OpenAI, gateway: Gateway) -> None:
    assert [m.id for m in sdk.models.list()] == [gateway.model_id]


def test_errors_surface_as_sdk_exceptions(sdk: openai.OpenAI, gateway: Gateway) -> None:
    with pytest.raises(openai.BadRequestError) as bad:
        sdk.chat.completions.create(model=gateway.model_id, messages=MESSAGES, temperature=3)
    assert bad.value.body["param"] == "temperature"
    with pytest.raises(openai.NotFoundError):
        sdk.chat.completions.create(model="no-such-model", messages=MESSAGES)


def test_tool_calls_parse(sdk: openai.OpenAI, gateway: Gateway) -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Fetches the current weather for a specific city.",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
            },
        }
    ]
    ask = [{"role": "user", "content": "Tell me the weather in Seoul."}]
    out = sdk.chat.completions.create(
        model=gateway.model_id, messages=ask, tools=tools, tool_choice="required", temperature=0, max_completion_tokens=60
    )
    call = out.choices[0].message.tool_calls[0]
    assert out.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather" and "city" in json.loads(call.function.arguments)
    stream = sdk.chat.completions.create(
        model=gateway.model_id,
        messages=ask,
        tools=tools,
        tool_choice="required",
        temperature=0,
        max_completion_tokens=60,
        stream=True,
    )
    calls = [tc for chunk in stream for c in chunk.choices for tc in (c.delta.tool_calls or [])]
    assert calls and calls[0].function.name == "get_weather"
