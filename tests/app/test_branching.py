"""Continue from here, on the Playground page: pick an alternative at a token (or type a word), run the branch beside
the original; a server that does not continue an unfinished answer is asked once and the offer says why not."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import chart_views
from components import state as keys
from playground.branch import PROBE_WORDS
from tests.app.test_playground_page import cells, say, texts
from tests.fake_server import fake_server

pytestmark = pytest.mark.apptest

DATA = Path(__file__).resolve().parents[1] / "data"


def open_probabilities(at: AppTest, cell_id: str, position: int) -> None:
    at.toggle(key=keys.cell_action(cell_id, "details")).set_value(True).run()
    at.session_state[keys.cell_action(cell_id, "tab")] = "Probabilities"  # a click on the tab (only the open one is drawn)
    at.run()
    at.selectbox(key=chart_views.keys_for(keys.cell_charts(cell_id)).token(0)).set_value(position).run()
    assert not at.exception, at.exception


def test_continue_from_an_alternative_makes_a_branch_beside_the_run(at: AppTest) -> None:
    at.checkbox(key=keys.field("logprobs")).check()
    at.number_input(key=keys.field("top_logprobs")).set_value(5)
    at.number_input(key=keys.field("max_completion_tokens")).set_value(24)
    at.slider(key=keys.field("temperature")).set_value(0.0)
    at.toggle(key=keys.AUTO_APPEND).set_value(False).run()
    say(at, "Tell me a short story about a cat.")
    (first,) = cells(at)
    assert first.completion is not None
    tokens = [e.token for e in first.completion.choices[0].logprobs or []]
    open_probabilities(at, first.id, 3)
    box = at.selectbox(key=keys.branch_with(first.id, 0, 3))
    alternative = box.options[0]  # the most likely token the model did not choose
    box.set_value(box.value).run()
    go = at.button(key=keys.branch_go(first.id))
    assert go.label.startswith("Continue from here with ") and not go.disabled
    go.click().run()
    assert not at.exception, at.exception
    first, second = cells(at)
    assert second.status == "done" and second.branch is not None and second.branch.of == first.id
    assert second.body["messages"][-1]["role"] == "assistant" and second.body.get("seed") == first.body.get("seed")
    prefix = "".join(tokens[:3])
    assert second.text().startswith(prefix) and second.text() != first.text()
    assert second.branch.new_token in alternative
    shown = texts(at)
    assert "Branch 2 of 2" in shown and "Branched from Run 1 of 2 at position 3" in shown
    # the branch is a run like any other: its own probabilities start with the tokens it kept
    chosen = second.completion.choices[0].logprobs  # type: ignore[union-attr]
    assert [e.token for e in chosen or []][:3] == tokens[:3]
    # the two, side by side in Compare
    at.button(key=keys.branch_compare(second.id)).click().run()
    assert not at.exception, at.exception
    (kept,) = at.session_state[keys.NOTEBOOK].comparisons
    assert [r["label"] for r in kept["results"]][0] == "Run 1" and kept["results"][1]["text"] == second.text()
    assert "Compare" in [t.value for t in at.title]
    assert "Run 1 vs Branch 2: " in at.selectbox(key=keys.CMP_SHOWN).options[0]


def test_a_typed_word_that_is_only_spaces_is_refused_next_to_the_field(at: AppTest) -> None:
    at.checkbox(key=keys.field("logprobs")).check()
    at.number_input(key=keys.field("top_logprobs")).set_value(2)
    at.number_input(key=keys.field("max_completion_tokens")).set_value(6).run()
    say(at, "Name a colour.")
    (first,) = cells(at)
    open_probabilities(at, first.id, 1)
    at.selectbox(key=keys.branch_with(first.id, 0, 1)).set_value(-1).run()
    at.text_input(key=keys.branch_word(first.id, 0, 1)).set_value("   ").run()
    assert "Type the word to put in place of this token." in texts(at)
    assert at.button(key=keys.branch_go(first.id)).disabled
    at.text_input(key=keys.branch_word(first.id, 0, 1)).set_value("Lyon").run()
    assert at.button(key=keys.branch_go(first.id)).label.startswith("Continue from here with ")
    assert "Lyon" in at.button(key=keys.branch_go(first.id)).label


def test_a_server_that_starts_a_new_answer_is_asked_once_and_the_offer_says_why(at: AppTest) -> None:
    """The stand-in answers with logprobs (a recorded answer of the embedded model) and, asked to go on from an
    unfinished answer, starts over instead, as a server that never continues one does."""
    paris = (DATA / "logprobs_top5.json").read_bytes()

    def reply(handler: BaseHTTPRequestHandler) -> None:
        if handler.command == "GET":
            body = json.dumps({"object": "list", "data": [{"id": "m", "object": "model"}]}).encode()
        else:
            asked = json.loads(handler.rfile.read(int(handler.headers.get("Content-Length") or 0)))
            last = asked["messages"][-1]
            body = paris
            if last["role"] == "assistant":  # the probe: a new answer, not the rest of the unfinished one
                again = {"role": "assistant", "content": PROBE_WORDS}
                body = json.dumps({"id": "p", "model": "m", "choices": [{"index": 0, "message": again}]}).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    with fake_server() as server:
        server.reply = reply
        at.session_state[keys.SETTINGS]["model.openai"] = "m"
        at.selectbox(key=keys.BACKEND).set_value("openai").run()
        at.text_input(key=keys.BASE_URL).set_value(server.base_url).run()
        at.checkbox(key=keys.field("logprobs")).check().run()
        say(at, "What is the capital of France?")
        (first,) = cells(at)
        open_probabilities(at, first.id, 5)
        at.button(key=keys.branch_go(first.id)).click().run()
        assert not at.exception, at.exception
        assert len(cells(at)) == 1
        said = [c.value for c in at.main.caption]
        assert any("Continue from here is not available" in c and "starts a new answer" in c for c in said), said
        with pytest.raises(KeyError):
            at.button(key=keys.branch_go(first.id))  # not offered any more
        posts = [s for s in server.seen if s.method == "POST"]
        assert len(posts) == 2  # the run, then the probe: the server was asked once
