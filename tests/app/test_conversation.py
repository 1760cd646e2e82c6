"""The conversation and its cells under AppTest, against the real embedded model: nothing typed is lost,
a stopped answer joins the conversation only when asked, and a finished cell says how it ended.

Widgets are reached by the keys of components/state.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import conversation
from components import state as keys
from playground.notebook import ChatMessage, Notebook
from playground.store import NotebookStore
from tests.markdown import readable

pytestmark = pytest.mark.apptest

ROOT = Path(__file__).resolve().parents[2]


def notebook(app: AppTest) -> Notebook:
    return app.session_state[keys.NOTEBOOK]


def ok(app: AppTest) -> AppTest:
    assert not app.exception, app.exception
    return app


def two_messages(app: AppTest) -> None:
    """A user message and a tool message, written in the form view, then back to the chat bubbles."""
    app.button_group(key=keys.VIEW).set_value("Form").run()
    app.button(key=keys.ADD_MESSAGE).click().run()
    app.text_area(key=keys.message_content(0)).set_value("Where is my order?").run()
    app.button(key=keys.ADD_MESSAGE).click().run()
    app.selectbox(key=keys.message_role(1)).set_value("tool").run()
    app.button_group(key=keys.VIEW).set_value("Chat").run()
    ok(app)


def test_text_typed_then_done_editing_in_one_click_is_kept(at: AppTest) -> None:
    """The text area hands its value over in the same rerun as the ✓ click (no Tab in between)."""
    two_messages(at)
    at.button(key=keys.message_action(1, "edit")).click().run()
    at.text_area(key=keys.message_content(1)).set_value("Order A1234: shipped")
    ok(at.button(key=keys.message_action(1, "edit")).click().run())
    assert notebook(at).conversation[1].content == "Order A1234: shipped"
    assert any("Order A1234: shipped" in c.value for c in at.code)
    assert not any("fill in the tool's result" in c.value for c in at.code)


def test_text_typed_then_moved_in_one_click_is_kept(at: AppTest) -> None:
    two_messages(at)
    at.button(key=keys.message_action(0, "edit")).click().run()
    at.text_area(key=keys.message_content(0)).set_value("Where is order A1234?")
    ok(at.button(key=keys.message_action(0, "down")).click().run())
    assert [m.content for m in notebook(at).conversation] == ["", "Where is order A1234?"]


def test_a_finished_cell_says_how_it_ended_and_its_tokens_in_its_header(at: AppTest) -> None:
    at.number_input(key=keys.field("max_completion_tokens")).set_value(3)
    at.chat_input(key=keys.CHAT_INPUT).set_value("Write a long story about a dragon.").run()
    (cell,) = notebook(ok(at)).cells
    assert cell.completion is not None and cell.completion.stop_reason == "length"
    usage = cell.completion.usage
    header = next(c.value for c in at.caption if c.value.startswith("Run · done"))
    assert "hit the token limit" in header and f"{usage.input_tokens} tokens in, {usage.output_tokens} out" in header


def test_run_after_an_answer_says_it_continues_and_offers_a_user_message_instead(at: AppTest) -> None:
    at.number_input(key=keys.field("max_completion_tokens")).set_value(3)
    at.chat_input(key=keys.CHAT_INPUT).set_value("Name a fruit.").run()
    assert [m.role for m in notebook(ok(at)).conversation] == ["user", "assistant"]
    assert "continue" in at.button(key=keys.RUN).label
    assert any("Run asks the model to continue" in c.value for c in at.caption)
    ok(at.button(key=keys.ADD_USER).click().run())
    assert [m.role for m in notebook(at).conversation] == ["user", "assistant", "user"]
    at.text_area(key=keys.message_content(2)).set_value("And a colour?")
    ok(at.button(key=keys.message_action(2, "edit")).click().run())
    assert notebook(at).conversation[2].content == "And a colour?"
    assert at.button(key=keys.RUN).label == "Run"


def opened(stored: Notebook) -> AppTest:
    """The Playground page opened on a stored notebook by its URL, as a link or a reload opens it."""
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.query_params[keys.NOTEBOOK_PARAM] = stored.id
    return ok(app.run())


def shown_text(app: AppTest) -> str:
    return readable("\n".join(m.value for m in app.markdown))


@pytest.mark.usefixtures("embedded")
def test_a_long_conversation_opens_at_its_latest_messages_and_shows_earlier_ones_on_request() -> None:
    count = conversation.LATEST + 12
    talk = [ChatMessage(role="user" if k % 2 == 0 else "assistant", content=f"Message number {k}.") for k in range(count)]
    app = opened(NotebookStore().save(Notebook(title="Long", conversation=talk)))
    assert f"Message number {count - 1}." in shown_text(app)
    assert "Message number 3." not in shown_text(app)
    earlier = app.button(key=keys.SHOW_EARLIER)
    assert earlier.label == "Show earlier messages (12)"
    ok(earlier.click().run())
    assert "Message number 3." in shown_text(app) and "Message number 0." in shown_text(app)
    assert not any(b.key == keys.SHOW_EARLIER for b in app.button)


@pytest.mark.usefixtures("embedded")
def test_a_very_long_message_is_cut_on_screen_shown_whole_on_request_and_sent_whole() -> None:
    # 64 "=" are one token to SmolLM2, so the whole message is short work for the embedded model
    long = "The beginning.\n" + "=" * (conversation.LONG_CHARS + 640) + "\nThe very end."
    app = opened(NotebookStore().save(Notebook(title="Long message", conversation=[ChatMessage(content=long)])))
    assert "The beginning." in shown_text(app) and "The very end." not in shown_text(app)
    assert any(f"of {len(long):,} characters" in c.value for c in app.caption)
    ok(app.button(key=keys.message_action(0, "show_all")).click().run())
    assert "The very end." in shown_text(app)
    app.number_input(key=keys.field("max_completion_tokens")).set_value(1)
    ok(app.button(key=keys.RUN).click().run())
    (cell,) = notebook(app).cells
    assert cell.error is None, cell.error
    assert cell.body["messages"][0]["content"] == long
