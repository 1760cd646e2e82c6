"""A reload starts a new Streamlit session: the draft named in the URL brings the work back.

A new AppTest is a new session; giving it the first one's `draft` query parameter is what a browser
reload does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import state as keys
from playground import store

pytestmark = pytest.mark.apptest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "xai-NEVER-STORE-ME-0123456789abcdef"


@pytest.fixture
def embedded(gateway, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
    monkeypatch.delenv("XAI_API_KEY", raising=False)


def _app(draft_id: str | None = None) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    if draft_id is not None:
        app.query_params[keys.DRAFT_PARAM] = draft_id
    app.run()
    assert not app.exception, app.exception
    return app


def _draft_id(app: AppTest) -> str:
    draft_id = app.query_params[keys.DRAFT_PARAM]
    draft_id = draft_id[0] if isinstance(draft_id, list) else draft_id
    assert store.valid_draft_id(draft_id) and draft_id == app.session_state[keys.DRAFT_ID]
    return draft_id


@pytest.mark.usefixtures("embedded")
def test_a_new_session_with_the_draft_id_gets_the_conversation_settings_and_run_back() -> None:
    first = _app()
    draft_id = _draft_id(first)
    first.text_area(key=keys.message_content(0)).set_value("Name one colour.")
    first.slider(key=keys.field("temperature")).set_value(0.4)
    first.number_input(key=keys.field("max_completion_tokens")).set_value(12)
    first.button(key=keys.RUN).click().run()
    assert not first.exception, first.exception
    (run,) = first.session_state[keys.RUNS]
    assert run["status"] == "done"
    answer = run["completion"].text(0)

    second = _app(draft_id)  # "reload"
    assert _draft_id(second) == draft_id
    assert second.text_area(key=keys.message_content(0)).value == "Name one colour."
    assert second.slider(key=keys.field("temperature")).value == 0.4
    assert second.number_input(key=keys.field("max_completion_tokens")).value == 12
    (back,) = second.session_state[keys.RUNS]
    assert back["id"] == run["id"] and back["completion"] == run["completion"]
    assert answer.strip()[:20] in "\n".join(m.value for m in second.main.markdown)
    assert not second.warning


@pytest.mark.usefixtures("embedded")
def test_an_unknown_or_malformed_draft_id_starts_afresh() -> None:
    for wanted in (store.new_draft_id(), "not-an-id"):
        app = _app(wanted)
        assert app.text_area(key=keys.message_content(0)).value == ""
        assert store.valid_draft_id(_draft_id(app))


@pytest.mark.usefixtures("embedded")
def test_the_api_key_never_reaches_the_store(data_dir: Path) -> None:
    app = _app()
    app.selectbox(key=keys.BACKEND).set_value("openai").run()
    app.text_input(key=keys.BASE_URL).set_value("http://127.0.0.1:9/v1").run()
    app.text_input(key=keys.API_KEY).set_value(SECRET)
    app.text_area(key=keys.message_content(0)).set_value("Hello")
    app.run()
    assert not app.exception
    saved = store.DraftStore().load(_draft_id(app))
    assert saved is not None and saved.messages[0]["content"] == "Hello"  # the draft was written...
    files = [p for p in data_dir.iterdir() if p.is_file()]
    assert files and all(SECRET.encode() not in p.read_bytes() for p in files)  # ...without the key


def test_a_store_that_cannot_be_written_warns_and_the_page_keeps_working(
        gateway, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(blocker))
    monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    app = _app()
    app.text_area(key=keys.message_content(0)).set_value("Still typing")
    app.run()
    assert not app.exception
    assert any("not being saved" in w.value for w in app.warning), [w.value for w in app.warning]
    assert app.text_area(key=keys.message_content(0)).value == "Still typing"


@pytest.mark.usefixtures("embedded")
def test_logit_bias_rows_come_back_after_a_reload() -> None:
    import pandas as pd

    first = _app()
    draft_id = _draft_id(first)
    first.session_state[keys.LOGIT_BIAS_ROWS] = pd.DataFrame(
        {"token": pd.Series(["Paris", "42"], dtype="string"), "bias": pd.Series([-100, 5], dtype="Int64")})
    first.run()
    assert not first.exception, first.exception

    second = _app(draft_id)  # "reload"
    rows = second.session_state[keys.LOGIT_BIAS_ROWS].to_dict("records")
    assert [(r["token"], r["bias"]) for r in rows] == [("Paris", -100), ("42", 5)]
