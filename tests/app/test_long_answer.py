"""A run with a long answer and its probabilities, under AppTest: its Details draw only the open tab, and the
Response Datas JSON shows the first tokens' probabilities with a download of the whole (a 10,000-token answer's
JSON and charts cost seconds each; bench/probability_page.py measures the page in a browser)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bench.analysis import synthetic_completion
from bench.page import finished_cell
from components import state as keys
from playground import analysis
from playground.notebook import ChatMessage, Notebook
from playground.response import SHOWN_LOGPROBS, from_chat_completion
from playground.store import NotebookStore

pytestmark = pytest.mark.apptest

ROOT = Path(__file__).resolve().parents[2]
TOKENS = 2_000


@pytest.fixture
def app(gateway, monkeypatch: pytest.MonkeyPatch) -> AppTest:  # type: ignore[no-untyped-def]
    """The page opened on a stored notebook whose one run answered with TOKENS tokens, each with 8 alternatives."""
    monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    conversation = [ChatMessage(role="user", content="Write a long story.")]
    cell = finished_cell(conversation, 0, "")
    cell.completion = from_chat_completion(synthetic_completion(TOKENS, 8))
    cell.continued = False
    nb = NotebookStore().save(Notebook(title="long", conversation=conversation, cells=[cell]))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params[keys.NOTEBOOK_PARAM] = nb.id
    at.run()
    assert not at.exception, at.exception
    at.toggle(key=keys.cell_action(cell.id, "details")).set_value(True).run()
    assert not at.exception, at.exception
    return at


def _cell_id(at: AppTest) -> str:
    return at.session_state[keys.NOTEBOOK].cells[0].id


def test_details_draw_only_the_open_tab(app: AppTest) -> None:
    tab = keys.cell_action(_cell_id(app), "tab")
    assert [e.proto.body for e in app.json]  # the Response Datas tab, open first
    assert len(app.get("vega_lite_chart")) == 0  # the probability charts of the closed tab are not drawn

    app.session_state[tab] = "Probabilities"  # what a click on the tab does: st.tabs is keyed and reruns
    app.run()
    assert not app.exception, app.exception
    assert len(app.get("vega_lite_chart")) == 2  # the strip and along the answer (the alternatives are text)
    assert len(app.json) == 0  # the Response Datas of the closed tab are not drawn

    app.session_state[tab] = "Request body"
    app.run()
    assert len(app.get("vega_lite_chart")) == 0 and len(app.json) == 1  # the body alone


def test_opening_details_prepares_the_probabilities_tab(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening Details computes the answer's token frame and summary once the other tabs are drawn (while the browser
    draws them): the Probabilities tab then draws without computing them."""

    def computed_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("the token frame was computed when the Probabilities tab opened")

    monkeypatch.setattr(analysis, "token_frame", computed_again)
    app.session_state[keys.cell_action(_cell_id(app), "tab")] = "Probabilities"  # a click on the tab, as above
    app.run()
    assert not app.exception, app.exception
    assert len(app.get("vega_lite_chart")) == 2


def test_the_response_datas_show_the_first_tokens_and_offer_the_whole_json(app: AppTest) -> None:
    cell_id = _cell_id(app)
    normalised = json.loads(app.json[0].proto.body)
    entries = normalised["choices"][0]["logprobs"]
    assert len(entries) == SHOWN_LOGPROBS + 1
    assert entries[-1] == f"… and {TOKENS - SHOWN_LOGPROBS:,} more tokens, in the whole JSON"
    whole = app.session_state[keys.NOTEBOOK].cells[0].completion
    assert entries[:-1] == json.loads(whole.whole_json())["choices"][0]["logprobs"][:SHOWN_LOGPROBS]
    assert app.download_button(key=keys.cell_action(cell_id, "json")).label == "Whole JSON"
