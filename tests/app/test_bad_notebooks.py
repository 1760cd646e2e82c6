"""A notebook in the store with values the sidebar cannot show (written by another version, or by hand) opens on
Playground and Compare without an exception: each such value is back at its default, and a note says which.

The values are tests/core/test_untrusted.py's BAD_SETTINGS, a few notebooks holding one bad value per field each.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from components import state as keys
from playground import untrusted
from playground.notebook import Cell, ChatMessage, Notebook
from playground.store import NotebookStore
from playground.workspace import CHANGED_TO_OPEN
from tests.core.test_untrusted import BAD_SETTINGS, KEPT_OUT_OF_RANGE
from tests.markdown import readable

pytestmark = pytest.mark.apptest

ROOT = Path(__file__).resolve().parents[2]


def _groups() -> list[dict[str, Any]]:
    """BAD_SETTINGS as settings dicts, each key at most once per dict."""
    groups: list[dict[str, Any]] = []
    for key, value in BAD_SETTINGS:
        group = next((g for g in groups if key not in g), None)
        if group is None:
            groups.append(group := {})
        group[key] = value
    return groups


GROUPS = _groups()


@pytest.fixture
def embedded(gateway, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
    monkeypatch.delenv("XAI_API_KEY", raising=False)


@pytest.mark.usefixtures("embedded")
@pytest.mark.parametrize("page", ["views/playground.py", "views/compare.py"])
@pytest.mark.parametrize("settings", GROUPS, ids=[f"group{i}" for i in range(len(GROUPS))])
def test_a_stored_notebook_with_bad_settings_opens_with_a_note(page: str, settings: dict[str, Any]) -> None:
    run = Cell(id="same", backend="embedded", body={"model": "m", "messages": []}, conversation=[ChatMessage(content="Hi")])
    stored = NotebookStore().save(
        Notebook(title="Bad values", conversation=[ChatMessage(content="Hi")], settings=settings, cells=[run])
    )
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.query_params[keys.NOTEBOOK_PARAM] = stored.id
    app.switch_page(page)
    app.run()
    assert not app.exception, app.exception
    (note,) = [readable(w.value) for w in app.warning if readable(w.value).startswith(CHANGED_TO_OPEN)]
    for key in settings:
        assert untrusted.label(key) in note
    if "temperature" in settings:
        assert app.slider(key=keys.field("temperature")).value == 1.0
    notebook = app.session_state[keys.NOTEBOOK]
    assert notebook.id == stored.id and all(json.dumps(notebook.settings.get(k)) != json.dumps(v) for k, v in settings.items())


@pytest.mark.usefixtures("embedded")
def test_whole_numbers_out_of_range_open_in_their_boxes_named_with_run_off() -> None:
    stored = NotebookStore().save(Notebook(conversation=[ChatMessage(content="Hi")], settings=KEPT_OUT_OF_RANGE))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.query_params[keys.NOTEBOOK_PARAM] = stored.id
    app.run()
    assert not app.exception, app.exception
    for key, value in KEPT_OUT_OF_RANGE.items():
        assert app.number_input(key=keys.field(key)).value == value
    assert app.button(key=keys.RUN).disabled
    assert not [w for w in app.warning if w.value.startswith(CHANGED_TO_OPEN)]
