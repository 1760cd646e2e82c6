"""The Present page under AppTest: a stored notebook opened by its URL, one run per slide, Previous and Next, the
tool calls (with their results) beside the answer. The browser journey (1280×720, no sidebar) is in
tests/browser/test_tool_round_trip.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import present
from components import state as keys
from playground.notebook import Cell, ChatMessage, Notebook, ToolCallRow
from playground.response import Choice, Completion, ContentBlock, Usage
from playground.store import NotebookStore
from tests.markdown import readable

pytestmark = pytest.mark.apptest

ROOT = Path(__file__).resolve().parents[2]


def _completion(blocks: list[ContentBlock], reason: str) -> Completion:
    return Completion(
        id="c",
        model="smollm2",
        content=blocks,
        stop_reason=reason,
        usage=Usage(input_tokens=30, output_tokens=9),
        choices=[Choice(index=0, content=blocks, stop_reason=reason)],
    )


def round_trip() -> Notebook:
    """A weather question, the model's call, the demo tool's result and the answer in words: two runs."""
    ask = ChatMessage(role="user", content="What is the weather in Paris?")
    call = ToolCallRow(id="call_7", name="get_weather", arguments='{"city": "Paris"}')
    conv = [
        ask,
        ChatMessage(role="assistant", tool_calls=[call]),
        ChatMessage(role="tool", tool_call_id="call_7", content='{"temperature": 18, "condition": "sunny"}'),
    ]
    use = ContentBlock(type="tool_use", id="call_7", name="get_weather", input={"city": "Paris"})
    first = Cell(
        backend="embedded",
        model="smollm2",
        body={},
        conversation=[ask],
        status="done",
        completion=_completion([use], "tool_calls"),
    )
    first.continued = True
    words = ContentBlock(type="text", text="It is sunny and 18 degrees in Paris.")
    second = Cell(
        backend="embedded", model="smollm2", body={}, conversation=conv, status="done", completion=_completion([words], "stop")
    )
    second.step_of = first.id
    nb = Notebook(title="Weather demo", conversation=[*conv, ChatMessage(role="assistant", content=words.text or "")])
    nb.cells = [first, second]
    return nb


def texts(app: AppTest) -> str:
    """Everything readable on the page, one string."""
    kinds = ("markdown", "caption", "error", "info", "subheader", "code")
    return readable("\n".join(str(e.value) for kind in kinds for e in getattr(app, kind)))


def test_tool_calls_pair_each_call_with_its_result() -> None:
    nb = round_trip()
    (made,) = present.tool_calls(nb.cells[0], nb)
    assert (made.name, made.id, made.result) == ("get_weather", "call_7", '{"temperature": 18, "condition": "sunny"}')
    (given,) = present.tool_calls(nb.cells[1], nb)  # the second run was given that call's result
    assert given.arguments == '{"city": "Paris"}' and given.result is not None


def test_present_shows_one_run_at_a_time_with_its_tool_calls_beside_the_answer() -> None:
    nb = round_trip()
    NotebookStore().save(nb)
    version = NotebookStore().load(nb.id).version
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params[keys.NOTEBOOK_PARAM] = nb.id
    at.switch_page("views/present.py").run()
    assert not at.exception, at.exception
    shown = texts(at)
    assert "Run 1 of 2" in shown and "Weather demo" in shown and "What is the weather in Paris?" in shown
    assert "Run 2 of 2" not in shown
    codes = [c.value for c in at.code]
    assert 'get_weather({"city": "Paris"})' in codes and '{"temperature": 18, "condition": "sunny"}' in codes
    assert len(at.columns) >= 2  # the tool calls and the answer side by side
    assert at.button(key=keys.PRESENT_PREVIOUS).disabled and not at.button(key=keys.PRESENT_NEXT).disabled

    at.button(key=keys.PRESENT_NEXT).click().run()
    shown = texts(at)
    assert "Run 2 of 2" in shown and "It is sunny and 18 degrees in Paris." in shown
    assert at.button(key=keys.PRESENT_NEXT).disabled
    at.button(key=keys.PRESENT_PREVIOUS).click().run()
    assert "Run 1 of 2" in texts(at)
    assert NotebookStore().load(nb.id).version == version  # presenting changes nothing
