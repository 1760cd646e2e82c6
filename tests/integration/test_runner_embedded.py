"""playground.runner over the real embedded model: a streamed cell, a deferred cell polled to the end, a stopped
stream, and a whole tool round trip (call → demo result → answer). Few, short generations."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from playground import backends, demo_tools, store_schema, tool_calls
from playground.client import ChatClient, ClientConfig
from playground.examples import GET_WEATHER
from playground.local import Gateway
from playground.notebook import Cell, ChatMessage, Notebook
from playground.response import LOGPROBS_KEPT_ONCE
from playground.runner import (
    Clients,
    continuation,
    list_models,
    new_cell,
    poll,
    prepare,
    rerun_of,
    stream,
    submit_deferred,
)
from playground.store import NotebookStore

pytestmark = pytest.mark.integration

CAPS = backends.backend("embedded").capabilities
QUESTION = [ChatMessage(content="Name three colours.")]


@pytest.fixture
def client(gateway: Gateway) -> Iterator[ChatClient]:
    clients = Clients()
    try:
        yield clients.get(ClientConfig(base_url=gateway.base_url, kind="embedded", timeout=180))
    finally:
        clients.close()


def cell_for(
    gateway: Gateway,
    client: ChatClient,
    settings: dict[str, object],
    conversation: list[ChatMessage] = QUESTION,
    step_of: str | None = None,
) -> Cell:
    built = prepare(settings, conversation, model=gateway.model_id, caps=CAPS, client=client)
    return new_cell(
        built, backend="embedded", base_url=gateway.base_url, conversation=conversation, settings=settings, step_of=step_of
    )


def test_models_are_listed(client: ChatClient, gateway: Gateway) -> None:
    listed = list_models(client)
    assert listed.error is None and gateway.model_id in listed.models


def test_logit_bias_text_is_looked_up_with_the_models_tokenizer(client: ChatClient, gateway: Gateway) -> None:
    built = prepare(
        {}, QUESTION, model=gateway.model_id, caps=CAPS, client=client, logit_bias_rows=[{"token": "blue", "bias": -100}]
    )
    ids = [t.token_id for t in client.tokenize("blue", gateway.model_id)]
    assert built.request.to_body()["logit_bias"] == {str(i): -100 for i in ids}
    assert built.notes[0].startswith("Logit bias: 'blue' is token")


def test_a_seeded_stream_fills_the_cell_and_a_rerun_repeats_it(client: ChatClient, gateway: Gateway) -> None:
    cell = cell_for(gateway, client, {"seed": 11, "temperature": 0.8, "max_completion_tokens": 8})
    assert cell.body["seed"] == 11 and cell.status == "new"
    deltas = list(stream(client, cell))
    assert cell.status == "done" and cell.error is None
    assert cell.completion is not None
    text = "".join(d.text for d in deltas)
    assert text and text == cell.completion.text() == cell.text() == cell.partial[0]
    assert 1 <= cell.completion.usage.output_tokens <= 8
    t = cell.timings
    assert t.ttft_s is not None and t.total_s is not None and t.tokens_per_s is not None
    assert 0 < t.ttft_s <= t.total_s and t.tokens_per_s > 0

    again = rerun_of(cell)
    list(stream(client, again))
    assert again.status == "done" and again.text() == text  # the same seed, the same words


def test_a_deferred_cell_is_polled_until_its_result_arrives(client: ChatClient, gateway: Gateway) -> None:
    cell = cell_for(gateway, client, {"deferred": True, "seed": 3, "max_completion_tokens": 6})
    assert cell.body["deferred"] is True
    submit_deferred(client, cell)
    assert cell.status == "pending" and cell.request_id
    deadline = time.monotonic() + 120
    while not poll(client, cell):
        assert cell.status == "pending", cell.error
        assert time.monotonic() < deadline, "the deferred result did not arrive in 120 s"
        time.sleep(0.2)
    assert cell.status == "done" and cell.error is None
    assert cell.completion is not None and cell.completion.request_id == cell.request_id
    assert cell.completion.usage.output_tokens >= 1
    assert cell.timings.total_s is not None
    assert poll(client, cell) is False  # nothing more to ask


def test_stopping_a_real_stream_keeps_what_arrived(client: ChatClient, gateway: Gateway) -> None:
    cell = cell_for(gateway, client, {"seed": 5, "max_completion_tokens": 40})
    events = stream(client, cell)
    first = next(events)
    events.close()
    assert cell.status == "interrupted" and cell.completion is None
    assert cell.text() == first.text != ""


def test_a_tool_round_trip_with_a_demo_tool(client: ChatClient, gateway: Gateway) -> None:
    question = [ChatMessage(content="What is the weather in Paris?")]
    settings: dict[str, object] = {
        "tools": [GET_WEATHER],
        "tool_choice": "required",
        "temperature": 0,
        "max_completion_tokens": 40,
    }  # the call takes 27 tokens
    asked = cell_for(gateway, client, settings, question)
    list(stream(client, asked))
    assert asked.status == "done", asked.error
    assert asked.completion is not None and asked.completion.stop_reason == "tool_calls"
    [use] = asked.completion.tool_uses()
    assert use.name == "get_weather" and use.input is not None and "paris" in str(use.input.get("city", "")).lower()

    added = continuation(asked.completion)
    assert [m.role for m in added] == ["assistant", "tool"]
    assert added[1].tool_call_id == added[0].tool_calls[0].id and added[1].content == ""
    conversation = tool_calls.run_all([*question, *added], tool_calls.waiting([*question, *added], {}), {}, {})
    result = json.loads(conversation[-1].content)
    assert result["source"] == demo_tools.WEATHER_SOURCE and "paris" in result["city"].lower()

    # the next step must answer in words (the page sends "none" after a forced call, or it would loop)
    step = cell_for(
        gateway, client, {**settings, "tool_choice": "none", "max_completion_tokens": 8}, conversation, step_of=asked.id
    )
    assert step.body["messages"][-1] == {
        "role": "tool",
        "tool_call_id": added[1].tool_call_id,
        "content": conversation[-1].content,
        "name": "get_weather",
    }
    list(stream(client, step))
    assert step.status == "done", step.error
    assert step.completion is not None and step.completion.tool_uses() == []
    assert step.text().strip() and step.step_of == asked.id


def test_a_streamed_answer_with_probabilities_is_saved_with_each_tokens_logprobs_once(
    client: ChatClient, gateway: Gateway, tmp_path: Path
) -> None:
    """The store keeps each token's probabilities once (in the completion); the raw chunks keep the server's envelope."""
    cell = cell_for(gateway, client, {"seed": 5, "max_completion_tokens": 12, "logprobs": True, "top_logprobs": 4})
    list(stream(client, cell))
    assert cell.status == "done" and cell.completion is not None
    entries = cell.completion.choices[0].logprobs
    assert entries and all(len(e.top_logprobs) == 4 for e in entries)
    store = NotebookStore(tmp_path / "notebooks.db")
    saved = store.save(Notebook(cells=[cell]))
    with store.database.connect() as conn:
        data = conn.execute(select(store_schema.cells.c.data)).scalar_one()
    assert data.count('"top_logprobs":[') == len(entries)  # once a token, not again in the raw chunks
    loaded = store.load(saved.id)
    assert loaded is not None and loaded.cells[0].completion is not None
    completion = loaded.cells[0].completion
    assert completion.choices[0].logprobs == entries
    raw = completion.raw
    assert isinstance(raw, list) and raw and all(chunk["id"] == completion.id for chunk in raw)
    marked = [c["logprobs"] for chunk in raw for c in chunk["choices"] if c.get("logprobs") is not None]
    assert marked and set(marked) == {LOGPROBS_KEPT_ONCE}
    assert "".join(c["delta"].get("content") or "" for chunk in raw for c in chunk["choices"]) == completion.text()

    def script(data: str) -> None:
        from components import response_view
        from playground.response import Completion

        response_view.render(Completion.model_validate_json(data), key="c")

    at = AppTest.from_function(script, args=(completion.model_dump_json(),), default_timeout=30)
    at.run()
    assert not at.exception
    assert "Raw JSON from the server" in [c.value for c in at.caption]
    shown = json.loads(at.get("json")[1].proto.body)
    assert shown == raw
