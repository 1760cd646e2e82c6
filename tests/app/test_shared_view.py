"""A read-only link (`?view=<id>`) under AppTest: the notebook or comparison as it was shared, with no input, no Run,
no request to any server; "Make a copy to edit" opens an editable copy; a revoked or unknown link says so in plain
words. The links are made as the Notebooks and Compare pages make them (`playground.shares`)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from components import state as keys
from playground import images
from playground.compare import Comparison, RunResult
from playground.evaluate.results import Evaluation
from playground.notebook import AttachedImage, Cell, ChatMessage, Notebook
from playground.response import from_chat_completion
from playground.shares import Shares
from playground.store import NotebookStore
from tests.markdown import readable

pytestmark = pytest.mark.apptest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
INPUTS = ("text_input", "text_area", "chat_input", "number_input", "selectbox", "multiselect", "slider", "radio", "toggle")


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every HTTP request the page tries to make (none may be: a shared view contacts no server)."""
    tried: list[str] = []

    def refuse(self: Any, request: httpx.Request, **_: Any) -> httpx.Response:
        tried.append(str(request.url))
        raise httpx.ConnectError("a shared view must not send anything", request=request)

    monkeypatch.setattr(httpx.Client, "send", refuse)
    monkeypatch.setenv("PLAYGROUND_BASE_URL", "http://127.0.0.1:9/v1")
    yield tried


def a_notebook() -> Notebook:
    completion = from_chat_completion(json.loads((DATA / "logprobs_top5.json").read_text()))
    question = [ChatMessage(content="Name a planet.")]
    cell = Cell(
        backend="embedded", body={"model": "m", "messages": []}, conversation=question, status="done", completion=completion
    )
    comparison = Comparison(
        base_body={"model": "m", "messages": [{"role": "user", "content": "Name a planet."}]},
        results=[
            RunResult(index=0, label="seed 1", body={}, status="done", text="Mars is red."),
            RunResult(index=1, label="seed 2", body={}, status="done", text="Venus is hot."),
        ],
    )
    return Notebook(
        title="Planets", named=True, conversation=question, cells=[cell], comparisons=[comparison.model_dump(mode="json")]
    )


def _open(share_id: str) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.query_params[keys.VIEW_PARAM] = share_id
    app.run()
    assert not app.exception, app.exception
    return app


def _words(app: AppTest) -> str:
    return "\n".join(readable(e.value) for kind in ("markdown", "caption", "title") for e in getattr(app, kind))


@pytest.mark.parametrize("kind", ["notebook", "comparison"])
def test_a_link_shows_what_was_shared_with_nothing_to_type_or_run(kind: str, sent: list[str]) -> None:
    nb = NotebookStore().save(a_notebook())
    shares = Shares()
    share = shares.share_notebook(nb) if kind == "notebook" else shares.share_comparison(nb, nb.comparisons[0]["id"])
    shared_run = nb.cells[0].id
    nb.cells.clear()  # later edits never reach the link
    NotebookStore().save(nb)

    app = _open(share.id)
    words = _words(app)
    assert "Planets" in words and "Name a planet." in words
    assert "Mars" in words and "is red." in words and "Venus" in words and "is hot." in words  # the comparison's answers
    if kind == "notebook":
        answer = a_notebook().cells[0].completion
        assert answer is not None and answer.text(0).split()[0] in words  # the run's answer
        app.session_state[keys.cell_action(shared_run, "tab")] = "Probabilities"  # a click on the tab
        app.run()
        assert not app.exception, app.exception
        assert app.get("vega_lite_chart")  # its probability charts
    for widget in INPUTS:
        assert list(getattr(app, widget)) == [], widget
    assert [b.label for b in app.button] == ["Make a copy to edit"]
    assert not app.sidebar.children or not any(app.sidebar.children.values())
    assert sent == []


def test_make_a_copy_opens_an_editable_notebook_of_ones_own(sent: list[str]) -> None:
    nb = NotebookStore().save(a_notebook())
    app = _open(Shares().share_notebook(nb).id)
    app.button(key=keys.VW_COPY).click().run()
    assert not app.exception, app.exception
    copy_id = app.query_params[keys.NOTEBOOK_PARAM]
    copy_id = copy_id[0] if isinstance(copy_id, list) else copy_id
    assert copy_id != nb.id and keys.VIEW_PARAM not in app.query_params
    copy = NotebookStore().load(copy_id)
    assert copy is not None and copy.title == "Copy of Planets" and len(copy.cells) == 1
    assert app.text_input(key=keys.TITLE).value == "Copy of Planets"  # the Playground, editable
    assert app.chat_input(key=keys.CHAT_INPUT) is not None


def test_a_revoked_or_unknown_link_says_so_in_plain_words(sent: list[str]) -> None:
    share = Shares().share_notebook(NotebookStore().save(a_notebook()))
    Shares().revoke(share.id)
    revoked = _open(share.id)
    assert "This link was revoked" in revoked.warning[0].value and "Planets" not in _words(revoked)
    assert list(revoked.button) == []
    unknown = _open("A" * 22)
    assert "does not lead to anything shared here" in unknown.error[0].value
    assert sent == []


def png(colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(out, format="PNG")
    return out.getvalue()


def test_a_notebooks_evaluation_and_images_show_read_only(sent: list[str]) -> None:
    """A real evaluation (recorded from the embedded model: 3 cities × 2 seeds, two checks, two marks) and a message's
    images, in a notebook link: the results as the Evaluate page reads them, the thumbnail from the store, an address
    as text; nothing to run, mark or type."""
    ev = Evaluation.model_validate_json((DATA / "evaluation_weather.json").read_text(encoding="utf-8"))
    ev.plan.cases.columns.append("photo")  # an image column: a row's image as a data URL
    ev.plan.cases.rows[0]["photo"] = images.data_url(png("blue"))
    nb = a_notebook()
    nb.evaluation = {"runs": [ev.model_dump(mode="json")]}
    nb.conversation[0].images = [
        AttachedImage(url=images.data_url(png(), "red.png"), name="red.png"),
        AttachedImage(url="https://example.com/cat.png", name="https://example.com/cat.png"),
    ]
    share = Shares().share_notebook(NotebookStore().save(nb))

    app = _open(share.id)
    words = _words(app)
    assert "Evaluation" in [h.value for h in app.subheader]
    assert "Check 1: contains city" in words and "Check 2: calls get_weather" in words
    frames = [d.value.data if hasattr(d.value, "data") else d.value for d in app.dataframe]
    text = "\n".join(f.to_csv() for f in frames)
    assert "Paris" in text and "Tokyo" in text and "Lima" in text  # the test cases and the grid's rows
    assert "0% (0/6)" in text and "83% (5/6)" in text  # per check: contains the city, calls get_weather
    assert "✗ The model answered in text instead of calling get_weather." in text  # a result's reason
    assert "✓ The model called get_weather." in text
    assert "👍 good" in text and "👎 bad: Answered in words, no call" in text  # the marks, with the note
    assert "right tool" in text  # the tool-calling matrix
    assert "data:image/png;base64,…(" in text and images.data_url(png("blue")) not in text  # the row's image, cut
    assert len(app.main.image) == 1  # the thumbnail; the address is text, never loaded
    assert "https://example.com/cat.png" in words
    for widget in (*INPUTS, "segmented_control"):
        assert list(getattr(app, widget, [])) == [], widget
    assert [b.label for b in app.button] == ["Make a copy to edit"]
    assert sent == []
