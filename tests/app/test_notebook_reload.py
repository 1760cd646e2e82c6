"""A reload starts a new Streamlit session: the notebook named in the URL brings the work back.

A new AppTest is a new session; giving it the first one's `notebook` query parameter is what a browser
reload does.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import state as keys
from playground import untrusted
from playground.database import default_path
from playground.notebook import ChatMessage, Notebook, new_id, valid_id
from playground.store import NotebookStore
from tests.markdown import readable

pytestmark = pytest.mark.apptest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "xai-NEVER-STORE-ME-0123456789abcdef"


def _app(notebook_id: str | None = None, *, param: str = keys.NOTEBOOK_PARAM) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if notebook_id is not None:
        app.query_params[param] = notebook_id
    app.run()
    assert not app.exception, app.exception
    return app


def _notebook_id(app: AppTest) -> str:
    value = app.query_params[keys.NOTEBOOK_PARAM]
    value = value[0] if isinstance(value, list) else value
    assert valid_id(value) and value == app.session_state[keys.NOTEBOOK].id
    return value


@pytest.mark.usefixtures("embedded")
def test_a_new_session_with_the_notebook_id_gets_conversation_settings_and_cells_back() -> None:
    first = _app()
    first.slider(key=keys.field("temperature")).set_value(0.4)
    first.number_input(key=keys.field("max_completion_tokens")).set_value(12)
    first.text_input(key=keys.TITLE).set_value("Colours").run()
    first.chat_input(key=keys.CHAT_INPUT).set_value("Name one colour.").run()
    assert not first.exception, first.exception
    (cell,) = first.session_state[keys.NOTEBOOK].cells
    assert cell.status == "done"
    answer = cell.completion.text(0)
    notebook_id = _notebook_id(first)

    second = _app(notebook_id)  # "reload"
    assert _notebook_id(second) == notebook_id
    nb = second.session_state[keys.NOTEBOOK]
    assert nb.title == "Colours" and second.text_input(key=keys.TITLE).value == "Colours"
    assert [m.content for m in nb.conversation] == ["Name one colour.", answer]
    assert second.slider(key=keys.field("temperature")).value == 0.4
    assert second.number_input(key=keys.field("max_completion_tokens")).value == 12
    (back,) = nb.cells
    assert back.id == cell.id and back.completion == cell.completion
    assert answer.strip()[:20] in "\n".join(readable(m.value) for m in second.main.markdown)
    assert not second.warning


@pytest.mark.usefixtures("embedded")
def test_an_unknown_or_malformed_notebook_id_starts_afresh() -> None:
    gone = _app(new_id())
    assert gone.session_state[keys.NOTEBOOK].conversation == []
    assert any("not here" in w.value for w in gone.warning)
    junk = _app("not-an-id")
    assert junk.session_state[keys.NOTEBOOK].conversation == [] and not junk.warning
    assert keys.NOTEBOOK_PARAM not in junk.query_params  # named in the URL once it is saved


@pytest.mark.usefixtures("embedded")
def test_a_fresh_notebook_reloads_as_a_fresh_one_without_a_warning() -> None:
    first = _app()
    again = _app(first.query_params.get(keys.NOTEBOOK_PARAM))  # "reload" with the URL the page showed
    assert again.session_state[keys.NOTEBOOK].is_empty() and not again.warning


def test_a_setting_changed_alone_in_a_fresh_notebook_comes_back_after_a_reload() -> None:
    first = _app()
    first.slider(key=keys.field("temperature")).set_value(0.3).run()
    assert not first.exception, first.exception
    second = _app(_notebook_id(first))  # "reload"
    assert second.slider(key=keys.field("temperature")).value == 0.3


@pytest.mark.usefixtures("embedded")
def test_a_link_of_the_first_versions_opens_the_migrated_draft() -> None:
    path = default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE drafts (id TEXT PRIMARY KEY, data TEXT NOT NULL, updated REAL NOT NULL)")
        draft = {
            "messages": [{"role": "user", "content": "From the old page", "name": "", "tool_call_id": ""}],
            "settings": {"temperature": 0.3},
            "runs": [],
        }
        conn.execute("INSERT INTO drafts VALUES (?, ?, ?)", ("0123456789abcdef", json.dumps(draft), 1.7e9))
    app = _app("0123456789abcdef", param=keys.DRAFT_PARAM)
    assert [m.content for m in app.session_state[keys.NOTEBOOK].conversation] == ["From the old page"]
    assert app.slider(key=keys.field("temperature")).value == 0.3
    assert _notebook_id(app) == "0123456789abcdef"


@pytest.mark.usefixtures("embedded", "instant_retries")
def test_the_api_key_never_reaches_the_store(data_dir: Path) -> None:
    app = _app()
    app.session_state[keys.SETTINGS]["model.openai"] = "m"  # as if typed into the model box earlier
    app.selectbox(key=keys.BACKEND).set_value("openai").run()
    app.text_input(key=keys.BASE_URL).set_value("http://127.0.0.1:9/v1").run()
    app.text_input(key=keys.API_KEY).set_value(SECRET).run()
    app.chat_input(key=keys.CHAT_INPUT).set_value("Hello").run()
    assert not app.exception
    saved = NotebookStore().load(_notebook_id(app))
    assert saved is not None and saved.conversation[0].content == "Hello" and saved.cells  # the notebook was written...
    files = [p for p in data_dir.iterdir() if p.is_file()]
    assert files and all(SECRET.encode() not in p.read_bytes() for p in files)  # ...without the key


def test_a_store_that_cannot_be_written_warns_and_the_page_keeps_working(
    gateway, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(blocker))
    monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    app = _app()
    app.text_input(key=keys.TITLE).set_value("Still typing").run()
    assert not app.exception
    assert any("not being saved" in w.value for w in app.warning), [w.value for w in app.warning]
    assert app.text_input(key=keys.TITLE).value == "Still typing"


@pytest.mark.usefixtures("embedded")
def test_two_tabs_on_one_notebook_keep_both() -> None:
    first = _app()
    first.text_input(key=keys.TITLE).set_value("Shared").run()
    notebook_id = _notebook_id(first)
    second = _app(notebook_id)
    second.text_input(key=keys.TITLE).set_value("Changed in tab two").run()
    first.text_input(key=keys.TITLE).set_value("Changed in tab one").run()  # its copy is now stale
    assert not first.exception
    assert any("another tab" in w.value for w in first.warning), [w.value for w in first.warning]
    assert _notebook_id(first) != notebook_id
    titles = {s.title for s in NotebookStore().list()}
    assert "Changed in tab two" in titles and any(t.startswith("Changed in tab one") for t in titles)


@pytest.mark.usefixtures("embedded")
def test_logit_bias_rows_come_back_after_a_reload() -> None:
    import pandas as pd

    first = _app()
    first.text_input(key=keys.TITLE).set_value("Biased").run()
    first.session_state[keys.LOGIT_BIAS_ROWS] = pd.DataFrame(
        {"token": pd.Series(["Paris", "42"], dtype="string"), "bias": pd.Series([-100, 5], dtype="Int64")}
    )
    first.run()
    assert not first.exception, first.exception
    second = _app(_notebook_id(first))  # "reload"
    rows = second.session_state[keys.LOGIT_BIAS_ROWS].to_dict("records")
    assert [(r["token"], r["bias"]) for r in rows] == [("Paris", -100), ("42", 5)]


def test_notebook_model_starts_empty() -> None:
    assert Notebook().is_empty()


@pytest.mark.usefixtures("embedded")
def test_a_notebook_deleted_in_another_tab_is_not_brought_back_and_a_copy_can_be_kept() -> None:
    first = _app()
    first.text_input(key=keys.TITLE).set_value("Soon deleted").run()
    notebook_id = _notebook_id(first)
    NotebookStore().delete(notebook_id)  # the Notebooks page, in another tab
    first.text_input(key=keys.TITLE).set_value("Renamed after the delete").run()
    assert not first.exception, first.exception
    assert any("was deleted" in w.value for w in first.warning), [w.value for w in first.warning]
    assert NotebookStore().load(notebook_id) is None and NotebookStore().list() == []

    first.button(key=keys.KEEP_COPY).click().run()
    assert not first.exception, first.exception
    kept = NotebookStore().load(_notebook_id(first))
    assert kept is not None and kept.id != notebook_id and kept.title == "Renamed after the delete"
    assert any("Kept as a new notebook" in w.value for w in first.warning)
    assert not any("was deleted" in w.value for w in first.warning)


@pytest.mark.usefixtures("embedded")
def test_the_title_follows_the_first_message_until_the_person_names_it() -> None:
    app = _app()
    app.number_input(key=keys.field("max_completion_tokens")).set_value(2)
    app.chat_input(key=keys.CHAT_INPUT).set_value("Why is the sky blue?\nAnswer briefly.").run()
    assert not app.exception, app.exception
    assert app.text_input(key=keys.TITLE).value == "Why is the sky blue?"
    assert [s.title for s in NotebookStore().list()] == ["Why is the sky blue?"]
    app.text_input(key=keys.TITLE).set_value("Sky").run()
    app.chat_input(key=keys.CHAT_INPUT).set_value("And the sea?").run()
    assert app.text_input(key=keys.TITLE).value == "Sky"
    assert [s.title for s in NotebookStore().list()] == ["Sky"]


def test_the_notebooks_page_shows_first_lines_imports_and_search_hits_as_text() -> None:
    story = "Once upon a time a robot named Pip found a **Lantern** <img src=x> in the woods."
    NotebookStore().save(
        Notebook(
            conversation=[ChatMessage(content="Tell me a story.\nA short one."), ChatMessage(role="assistant", content=story)]
        )
    )
    NotebookStore().save(Notebook(title="From a colleague", named=True, imported_from="<b>team</b>.notebook.json"))
    app = _app()
    app.switch_page("views/notebooks.py").run()
    captions = [c.value for c in app.caption]
    assert any(readable(c).endswith("imported from <b>team</b>.notebook.json") for c in captions), captions
    assert any(readable(c).endswith(" · 2 messages · 0 runs") for c in captions), captions  # words, not "message(s)"
    assert (
        "Tell me a story\\.  \nOnce upon a time a robot named Pip found a \\*\\*Lantern\\*\\* \\<img src\\=x\\> in the woods\\."
        in captions
    )
    app.text_input(key=keys.NB_SEARCH).set_value("LANTERN").run()
    (hit,) = [c for c in app.caption if ":material/search:" in c.value]
    assert (
        hit.value
        == ":material/search: …a time a robot named Pip found a \\*\\***Lantern**\\*\\* \\<img src\\=x\\> in the woods\\."
    )


@pytest.mark.usefixtures("embedded")
@pytest.mark.parametrize("action", ["share", "duplicate", "rename"])
def test_a_store_failing_under_a_button_of_the_notebooks_page_is_said_and_the_page_goes_on(data_dir: Path, action: str) -> None:
    kept = Notebook(title="Kept", named=True, conversation=[ChatMessage(content="Hello")])
    NotebookStore().save(kept)
    app = _app()
    app.switch_page("views/notebooks.py").run()
    with open(data_dir / "playground.sqlite3", "r+b") as db:  # the store breaks under the page
        db.write(b"not a database at all" * 200)
    if action == "rename":
        app.text_input(key=keys.nb_action(kept.id, action)).set_value("New name").run()
    else:
        app.button(key=keys.nb_action(kept.id, action)).click().run()
    assert not app.exception, app.exception
    said = [readable(e.value) for e in app.error]
    assert any(m.startswith("That did not happen: ") and "notebook store" in m for m in said), said


def test_each_json_import_says_the_size_it_takes() -> None:
    """A notebook or conversation file is read up to `untrusted.LIMITS.bytes`: the uploaders say that size, not
    Streamlit's 200 MB, so a person is not invited to wait for an upload that is then refused."""
    cap = untrusted.LIMITS.megabytes
    app = _app()
    sizes = {u.proto.label: u.proto.max_upload_size_mb for u in app.get("file_uploader")}
    assert sizes["Import a conversation (JSON)"] == cap, sizes
    app.switch_page("views/notebooks.py").run()
    sizes = {u.proto.label: u.proto.max_upload_size_mb for u in app.get("file_uploader")}
    assert sizes["Import a notebook file (.json)"] == cap, sizes


@pytest.mark.usefixtures("embedded")
def test_opening_each_page_and_leaving_keeps_no_notebook() -> None:
    app = _app()
    for page in ("views/compare.py", "views/evaluate.py", "views/tools.py", "views/notebooks.py", "views/playground.py"):
        app.switch_page(page).run()
        assert not app.exception, app.exception
        assert NotebookStore().list() == [], page  # nothing the person made: nothing to list
    assert keys.NOTEBOOK_PARAM not in app.query_params


@pytest.mark.usefixtures("embedded")
def test_a_notebook_with_only_a_system_prompt_is_kept_and_listed_apart_as_a_draft() -> None:
    asked = Notebook(conversation=[ChatMessage(content="Colours?")])
    asked.retitle()  # as a page saves it
    NotebookStore().save(asked)
    first = _app()
    first.button(key=keys.ADD_SYSTEM).click().run()
    first.text_area(key=keys.SYSTEM).set_value("Answer in one word.").run()
    again = _app(_notebook_id(first))  # a reload keeps what was typed
    assert again.session_state[keys.NOTEBOOK].conversation[0].content == "Answer in one word."
    again.switch_page("views/notebooks.py").run()
    (drafts,) = [e for e in again.expander if e.label.startswith("Drafts")]
    assert drafts.label == "Drafts: 1 untitled notebook with no run yet"
    inside = [c.value for c in drafts.caption]
    assert any("Answer in one word" in c for c in inside), inside
    assert not any("Colours" in c for c in inside)  # a notebook with a question is in the list itself
    assert any("Colours" in c.value for c in again.caption)
