"""playground.store: notebooks come back whole, saves never overwrite another tab's, secrets never reach a file,
the drafts of the first versions become notebooks, and a broken file is a StoreError.

Every test that takes `db` or `backend` runs twice: on a SQLite file and on a real PostgreSQL (tests/core/conftest.py);
the tests of files and their modes are SQLite's own (`file_db`)."""

from __future__ import annotations

import json
import sqlite3
import stat
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from playground.database import NewerSchemaError, default_path
from playground.errors import StoreError
from playground.migrations import MIGRATIONS
from playground.notebook import Cell, ChatMessage, Notebook, Timings, ToolCallRow
from playground.response import Completion, from_chat_completion
from playground.store import ConflictError, DeletedError, NotebookStore, Summary
from tests.pg import Backend
from tests.processes import free_port

SECRET = "xai-THIS-IS-A-SECRET-KEY-1234567890"
PASSWORD = "hunter2-url-password"
CREDENTIALED = f"https://alice:{PASSWORD}@llm.example.test/v1"
DRAFT_ID = "0123456789abcdef"


def completion_json() -> dict[str, Any]:
    return {
        "id": "abc",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "smollm2",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Red, green, blue."},
                "finish_reason": "stop",
                "logprobs": {
                    "content": [
                        {
                            "token": "Red",
                            "logprob": -0.1,
                            "top_logprobs": [{"token": "Red", "logprob": -0.1}, {"token": "Blue", "logprob": -2.5}],
                        }
                    ]
                },
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14},
    }


def a_completion() -> Completion:
    return from_chat_completion(completion_json())


def a_notebook(title: str = "Colours", text: str = "Colours?", **extra: Any) -> Notebook:
    conversation = [ChatMessage(role="system", content="Be brief."), ChatMessage(content=text)]
    cell = Cell(
        backend="embedded",
        base_url="http://127.0.0.1:8000/v1",
        model="smollm2",
        body={"model": "smollm2", "messages": [m.to_request() for m in conversation], "temperature": 0.3},
        notes=["a note"],
        conversation=conversation,
        settings={"temperature": 0.3},
        status="done",
        completion=a_completion(),
        partial={0: "Red, green, blue."},
        timings=Timings(ttft_s=0.1, total_s=0.4),
        continued=True,
    )
    values: dict[str, Any] = {
        "title": title,
        "conversation": [*conversation, ChatMessage(role="assistant", content="Red.")],
        "settings": {"temperature": 0.3, "max_completion_tokens": 16, "model.embedded": "smollm2"},
        "cells": [cell],
    }
    values.update(extra)
    return Notebook(**values)


def all_bytes(folder: Path) -> dict[str, bytes]:
    """Every file of the data folder (database, -wal, -shm), by name."""
    return {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@contextmanager
def held_open(store: NotebookStore) -> Iterator[None]:
    """A second connection held open, as another session's would be: the -wal and -shm files then stay on disk.
    The store makes the file first (a connection of our own would create it with the default mode)."""
    store.list()
    conn = sqlite3.connect(store.path)
    try:
        conn.execute("SELECT count(*) FROM notebooks").fetchone()
        yield
    finally:
        conn.close()


@pytest.fixture
def db(backend: Backend) -> NotebookStore:
    return backend.store()


@pytest.fixture
def file_db(tmp_path: Path) -> NotebookStore:
    return NotebookStore(tmp_path / "data" / "playground.sqlite3")


# ------------------------------------------------------------------------------------ round trip


def test_round_trip_keeps_the_conversation_settings_and_a_real_completion(db: NotebookStore, backend: Backend) -> None:
    nb = a_notebook()
    saved = db.save(nb)
    assert saved.version == 1 and saved.updated >= nb.updated
    assert nb.version == 0  # the caller's notebook is not changed

    loaded = backend.store().load(nb.id)
    assert loaded is not None
    assert loaded == saved
    assert loaded.conversation == nb.conversation and loaded.settings == nb.settings
    cell = loaded.cells[0]
    assert cell.completion == a_completion()
    assert cell.completion is not None and cell.completion.text() == "Red, green, blue."
    assert cell.completion.choices[0].logprobs is not None
    assert cell.completion.choices[0].logprobs[0].top_logprobs[1].token == "Blue"
    assert cell.partial == {0: "Red, green, blue."}  # int keys again after JSON
    assert (cell.timings, cell.continued, cell.notes) == (Timings(ttft_s=0.1, total_s=0.4), True, ["a note"])


def test_missing_notebooks_load_as_none(db: NotebookStore) -> None:
    assert db.load("ffffffffffffffff") is None
    assert db.delete("ffffffffffffffff") is None


def test_default_path_is_under_the_data_dir(data_dir: Path) -> None:
    assert default_path() == data_dir / "playground.sqlite3"
    store = NotebookStore()
    store.save(a_notebook())
    assert (data_dir / "playground.sqlite3").is_file()


# ------------------------------------------------------------------------------------ secrets and permissions


def test_no_key_or_credentialed_url_in_any_file(file_db: NotebookStore) -> None:
    db = file_db
    nb = a_notebook(settings={"api_key": SECRET, "base_url": CREDENTIALED, "temperature": 0.3})
    nb.cells[0].base_url = CREDENTIALED
    nb.cells[0].settings = {"api_key": SECRET, "temperature": 0.3}
    with held_open(db):
        saved = db.save(nb)
        saved.settings["api_key"] = SECRET  # a caller that puts it back is cleaned again
        saved.settings["base_url"] = CREDENTIALED
        db.save(saved)
        db.restore(saved.model_copy(update={"id": "1111111111111111"}))
        files = all_bytes(db.path.parent)
        assert {"playground.sqlite3", "playground.sqlite3-wal", "playground.sqlite3-shm"} <= set(files)
        for name, data in files.items():
            assert SECRET.encode() not in data, name
            assert PASSWORD.encode() not in data, name
    loaded = db.load(nb.id)
    assert loaded is not None
    assert "api_key" not in loaded.settings and loaded.settings["base_url"] == ""
    assert loaded.cells[0].base_url is None and loaded.cells[0].settings == {"temperature": 0.3}


def test_no_credentialed_url_from_a_cells_settings_in_any_file(file_db: NotebookStore) -> None:
    db = file_db
    nb = a_notebook(settings={"base_url": CREDENTIALED})
    nb.cells[0].settings = {"base_url": CREDENTIALED, "temperature": 0.3}
    with held_open(db):
        db.save(nb)
        for name, data in all_bytes(db.path.parent).items():
            assert PASSWORD.encode() not in data, name


def test_the_files_are_readable_by_their_owner_only(file_db: NotebookStore) -> None:
    db = file_db
    with held_open(db):
        db.save(a_notebook())
        files = [p for p in db.path.parent.iterdir() if p.is_file()]
        assert len(files) == 3  # database, -wal, -shm
        for p in files:
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name


def test_a_junk_file_is_a_store_error_not_a_crash(file_db: NotebookStore) -> None:
    db = file_db
    assert db.path is not None
    db.path.parent.mkdir(parents=True)
    db.path.write_bytes(b"this is not a database\n" * 200)
    for action in (lambda: db.load(DRAFT_ID), lambda: db.list(), lambda: db.save(a_notebook()), lambda: db.delete(DRAFT_ID)):
        with pytest.raises(StoreError, match="notebook store"):
            action()


def test_a_folder_that_cannot_be_made_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="Cannot open the notebook store"):
        NotebookStore(tmp_path / "file" / "playground.sqlite3").list()


def test_an_unreadable_saved_notebook_is_a_store_error(db: NotebookStore, backend: Backend) -> None:
    nb = a_notebook()
    db.save(nb)
    backend.raw("UPDATE notebooks SET data = ? WHERE id = ?", json.dumps({"cells": "many"}), nb.id)
    with pytest.raises(StoreError, match=f"The saved notebook {nb.id} could not be read"):
        db.load(nb.id)


# ------------------------------------------------------------------------------------ versions


def test_saves_count_versions(db: NotebookStore) -> None:
    first = db.save(a_notebook())
    second = db.save(first.model_copy(update={"title": "Renamed"}))
    assert (first.version, second.version) == (1, 2)
    loaded = db.load(first.id)
    assert loaded is not None and (loaded.version, loaded.title) == (2, "Renamed")


def test_a_stale_save_is_a_conflict_and_changes_nothing(db: NotebookStore) -> None:
    db.save(a_notebook(id=DRAFT_ID))
    tab_a, tab_b = db.load(DRAFT_ID), db.load(DRAFT_ID)
    assert tab_a is not None and tab_b is not None
    db.save(tab_a.model_copy(update={"title": "From tab A"}))
    with pytest.raises(ConflictError) as caught:
        db.save(tab_b.model_copy(update={"title": "From tab B"}))
    assert isinstance(caught.value, StoreError)
    assert (caught.value.notebook_id, caught.value.stored_version) == (DRAFT_ID, 2)
    loaded = db.load(DRAFT_ID)
    assert loaded is not None and (loaded.title, loaded.version) == ("From tab A", 2)


def test_a_new_notebook_under_a_taken_id_is_a_conflict(db: NotebookStore) -> None:
    db.save(a_notebook(id=DRAFT_ID, title="First"))
    with pytest.raises(ConflictError):
        db.save(Notebook(id=DRAFT_ID, title="Second"))


def test_saving_a_notebook_deleted_since_it_was_loaded_says_so_and_does_not_bring_it_back(db: NotebookStore) -> None:
    db.save(a_notebook(id=DRAFT_ID))
    tab = db.load(DRAFT_ID)
    assert tab is not None and tab.version == 1
    db.delete(DRAFT_ID)
    with pytest.raises(DeletedError) as caught:
        db.save(tab.model_copy(update={"title": "Edited after the delete"}))
    assert isinstance(caught.value, StoreError) and caught.value.notebook_id == DRAFT_ID
    assert db.load(DRAFT_ID) is None and db.list() == []


def test_concurrent_saves_of_one_version_let_exactly_one_win(db: NotebookStore) -> None:
    """Sessions run on threads: the version check and the write are one transaction, so no save is lost silently."""
    base = db.save(a_notebook(id=DRAFT_ID))
    barrier = threading.Barrier(6)

    def save(n: int) -> str:
        barrier.wait()
        try:
            db.save(base.model_copy(update={"title": f"Tab {n}"}))
        except ConflictError:
            return "conflict"
        return f"Tab {n}"

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(save, range(6)))
    winners = [r for r in results if r != "conflict"]
    assert len(winners) == 1
    loaded = db.load(DRAFT_ID)
    assert loaded is not None and (loaded.title, loaded.version) == (winners[0], 2)


def test_sessions_opening_a_fresh_store_at_once_all_work(db: NotebookStore, backend: Backend) -> None:
    barrier = threading.Barrier(6)

    def save(n: int) -> Notebook:
        barrier.wait()
        return backend.store().save(a_notebook(title=f"Notebook {n}"))

    with ThreadPoolExecutor(6) as pool:
        saved = list(pool.map(save, range(6)))
    assert sorted(s.title for s in db.list()) == sorted(n.title for n in saved)
    assert [n for n, _ in migrations_in(backend)] == [m.__name__ for m in MIGRATIONS]


# ------------------------------------------------------------------------------------ list and search


def test_list_is_newest_first_with_counts(db: NotebookStore) -> None:
    old = db.save(a_notebook(title="Old"))
    new = db.save(Notebook(title="New", conversation=[ChatMessage(content="Hi")]))
    listed = db.list()
    assert [s.id for s in listed] == [new.id, old.id]
    assert listed[1] == Summary(
        id=old.id, title="Old", created=old.created, updated=old.updated, cells=1, messages=3, preview=["Be brief.", "Colours?"]
    )
    assert (listed[0].cells, listed[0].messages) == (0, 1)
    assert [s.id for s in db.list(limit=1)] == [new.id]


def test_search_by_title_and_by_message_text_ignoring_case(db: NotebookStore) -> None:
    weather = db.save(a_notebook(title="Weather demo", text="What is the weather in Paris?"))
    colours = db.save(a_notebook(title="Colours", text="Name three colours."))
    assert [s.id for s in db.list("WEATHER")] == [weather.id]
    assert [s.id for s in db.list("paris")] == [weather.id]
    assert [s.id for s in db.list("  three colours ")] == [colours.id]
    assert [s.id for s in db.list("be brief")] == [colours.id, weather.id]  # the system message of both
    assert db.list("tokyo") == []
    assert db.list("green") == []  # the answer in a cell is not searched, only messages


def test_the_list_shows_the_first_lines_of_the_conversation_and_where_an_import_came_from(db: NotebookStore) -> None:
    long = "A first line that goes on and on, " * 5
    made = db.save(a_notebook(text=f"{long}\nsecond line", conversation=[ChatMessage(content=f"{long}\nsecond line")]))
    imported = db.save(a_notebook(imported_from="<b>team</b>.notebook.json"))
    empty = db.save(Notebook(title="Named", named=True))
    by_id = {s.id: s for s in db.list()}
    assert by_id[made.id].preview == [
        "A first line that goes on and on, A first line that goes on and on, A first line that goes…"
    ]
    assert by_id[made.id].imported_from is None
    assert by_id[imported.id].imported_from == "<b>team</b>.notebook.json"  # as written: the page escapes it
    assert by_id[empty.id].preview == [] and by_id[empty.id].found is None


def test_a_search_says_where_in_the_messages_it_matched(db: NotebookStore) -> None:
    text = "Tell me a story. Once upon a time a small robot named Pip found a Lantern in the woods, and it glowed all night long."
    nb = db.save(a_notebook(title="Stories", text=text))
    (hit,) = db.list("  lantern IN ")
    assert hit.id == nb.id
    assert hit.found == ("…a time a small robot named Pip found a ", "Lantern in", " the woods, and it glowed all night…")
    (title_only,) = db.list("stories")
    assert title_only.found is None  # the title itself is what matched
    assert db.list()[0].found is None


def test_search_treats_percent_underscore_and_backslash_literally(db: NotebookStore) -> None:
    percent = db.save(a_notebook(title="100% sure"))
    db.save(a_notebook(title="1000 sure"))
    snake = db.save(a_notebook(title="snake_case names"))
    db.save(a_notebook(title="snakeXcase names"))
    slash = db.save(a_notebook(title=r"C:\temp path"))
    assert [s.id for s in db.list("0%")] == [percent.id]
    assert [s.id for s in db.list("%")] == [percent.id]
    assert [s.id for s in db.list("e_c")] == [snake.id]
    assert [s.id for s in db.list("_")] == [snake.id]
    assert [s.id for s in db.list("\\")] == [slash.id]
    assert len(db.list("")) == 5


def test_search_matches_non_ascii_text_in_any_case(db: NotebookStore) -> None:
    nb = db.save(a_notebook(title="Météo À ZÜRICH"))
    assert [s.id for s in db.list("zürich")] == [nb.id]
    assert [s.id for s in db.list("MÉTÉO à")] == [nb.id]


# ------------------------------------------------------------------------------------ delete and restore


def test_delete_then_restore_brings_it_back_as_it_was(db: NotebookStore) -> None:
    kept = db.save(a_notebook(title="Kept"))
    gone = db.save(db.save(a_notebook(title="Gone")))  # version 2
    deleted = db.delete(gone.id)
    assert deleted == gone
    assert db.load(gone.id) is None and [s.id for s in db.list()] == [kept.id]
    assert db.list("gone") == []

    assert db.restore(deleted) is deleted
    back = db.load(gone.id)
    assert back == gone and back is not None and back.version == 2
    assert [s.id for s in db.list("gone")] == [gone.id]
    db.save(back.model_copy(update={"title": "Gone no more"}))  # the restored version saves on
    loaded = db.load(gone.id)
    assert loaded is not None and loaded.version == 3


def test_restore_cleans_secrets_too(file_db: NotebookStore) -> None:
    db = file_db
    nb = a_notebook(settings={"api_key": SECRET})
    with held_open(db):
        db.restore(nb)
        assert not any(SECRET.encode() in data for data in all_bytes(db.path.parent).values())  # type: ignore[union-attr]
    loaded = db.load(nb.id)
    assert loaded is not None and "api_key" not in loaded.settings


# ------------------------------------------------------------------------------------ migrations


def migrations_in(backend: Backend) -> list[tuple[str, float]]:
    return [(name, applied) for name, applied in backend.raw("SELECT name, applied FROM migrations ORDER BY applied, name")]


def test_migrations_have_unique_names_and_each_is_applied_once(db: NotebookStore, backend: Backend) -> None:
    names = [m.__name__ for m in MIGRATIONS]
    assert len(set(names)) == len(names)
    assert names == sorted(names)  # ordered by their number
    db.list()
    first = migrations_in(backend)
    assert [n for n, _ in first] == names
    db.save(a_notebook())
    backend.store().list()
    assert migrations_in(backend) == first  # not applied again


def old_database(backend: Backend, *drafts: tuple[str, str, float]) -> None:
    """A database as the previous version (the DraftStore) left it: one drafts table, no migrations table."""
    if backend.name == "sqlite":
        backend.raw("PRAGMA journal_mode=WAL")
    backend.raw(f"CREATE TABLE drafts (id TEXT PRIMARY KEY, data TEXT NOT NULL, updated {backend.real} NOT NULL)")
    for draft in drafts:
        backend.raw("INSERT INTO drafts (id, data, updated) VALUES (?, ?, ?)", *draft)


def a_draft(**extra: Any) -> dict[str, Any]:
    draft: dict[str, Any] = {
        "messages": [{"role": "user", "content": "Colours?", "name": "", "tool_call_id": ""}],
        "settings": {"temperature": 0.3},
        "runs": [
            {
                "id": "r1",
                "started": 1700000000.5,
                "backend": "embedded",
                "base_url": "http://127.0.0.1:8000/v1",
                "body": {"model": "m", "messages": [{"role": "user", "content": "Colours?"}]},
                "notes": [],
                "status": "done",
                "completion": a_completion().model_dump(mode="json"),
                "partial": {"0": "Red"},
                "error": None,
                "request_id": None,
                "latency_s": 0.4,
                "added": False,
            }
        ],
    }
    draft.update(extra)
    return draft


def drafts_left(backend: Backend) -> list[str]:
    return [r[0] for r in backend.raw("SELECT id FROM drafts ORDER BY id")]


def test_a_draft_of_the_previous_version_opens_as_a_notebook_with_the_same_id(db: NotebookStore, backend: Backend) -> None:
    old_database(backend, (DRAFT_ID, json.dumps(a_draft()), 1700000001.0))
    nb = db.load(DRAFT_ID)
    assert nb is not None
    assert nb.id == DRAFT_ID and nb.title == "Colours?" and nb.version == 0
    assert nb.conversation == [ChatMessage(content="Colours?")]
    assert nb.settings == {"temperature": 0.3}
    assert (nb.created, nb.updated) == (1700000001.0, 1700000001.0)
    [cell] = nb.cells
    assert (cell.id, cell.created, cell.backend, cell.base_url, cell.model) == (
        "r1",
        1700000000.5,
        "embedded",
        "http://127.0.0.1:8000/v1",
        "m",
    )
    assert cell.status == "done" and cell.completion == a_completion()
    assert cell.partial == {0: "Red"} and cell.timings.total_s == 0.4 and not cell.continued
    assert cell.conversation == nb.conversation and cell.at == 1
    assert cell.text() == "Red, green, blue."
    assert drafts_left(backend) == []
    assert [s.id for s in db.list("colours")] == [DRAFT_ID]
    # and it saves on from there
    saved = db.save(nb.model_copy(update={"title": "Renamed"}))
    assert saved.version == 1


def test_a_database_of_the_previous_version_becomes_owner_only(file_db: NotebookStore, tmp_path: Path) -> None:
    db = file_db
    assert db.path is not None
    old_database(Backend("sqlite", path=db.path), (DRAFT_ID, json.dumps(a_draft()), 1700000001.0))
    db.path.chmod(0o644)  # what sqlite3.connect made under the usual umask 022
    with held_open(db):
        db.save(a_notebook())
        for p in db.path.parent.iterdir():
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name


def test_drafts_with_tool_calls_several_runs_and_a_cut_stream(db: NotebookStore, backend: Backend) -> None:
    call = {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    messages = [
        {"role": "user", "content": "Weather in Paris?", "name": "", "tool_call_id": ""},
        {"role": "assistant", "content": "", "name": "", "tool_call_id": "", "tool_calls": [call]},
        {"role": "tool", "content": "", "name": "get_weather", "tool_call_id": "call_0"},
    ]
    first = a_draft()["runs"][0] | {"id": "r1", "added": True, "body": {"model": "m", "messages": messages[:1]}}
    second = a_draft()["runs"][0] | {
        "id": "r2",
        "status": "streaming",
        "completion": None,
        "partial": {"0": "Sun"},
        "body": {"model": "m", "messages": messages},
    }
    old_database(backend, (DRAFT_ID, json.dumps(a_draft(messages=messages, runs=[second, first])), 5.0))
    nb = db.load(DRAFT_ID)
    assert nb is not None
    assert nb.conversation[1].tool_calls == [ToolCallRow(id="call_0", name="get_weather", arguments='{"city": "Paris"}')]
    assert nb.conversation[2] == ChatMessage(role="tool", name="get_weather", tool_call_id="call_0")
    assert [c.id for c in nb.cells] == ["r1", "r2"]  # oldest first now
    assert [c.at for c in nb.cells] == [1, 3]
    assert nb.cells[0].continued
    assert nb.cells[1].status == "interrupted" and nb.cells[1].text() == "Sun"


def test_empty_drafts_are_dropped_and_unreadable_ones_left_alone(db: NotebookStore, backend: Backend) -> None:
    empty = {
        "messages": [{"role": "user", "content": "", "name": "", "tool_call_id": ""}],
        "settings": {"temperature": 1},
        "runs": [],
    }
    bad_role = a_draft(messages=[{"role": "wizard", "content": "x"}])
    old_database(
        backend,
        ("aaaaaaaaaaaaaaaa", json.dumps(empty), 1.0),
        ("bbbbbbbbbbbbbbbb", "{not json", 2.0),
        ("cccccccccccccccc", json.dumps(bad_role), 3.0),
        (DRAFT_ID, json.dumps(a_draft()), 4.0),
    )
    assert [s.id for s in db.list()] == [DRAFT_ID]
    assert db.load("aaaaaaaaaaaaaaaa") is None
    assert drafts_left(backend) == ["bbbbbbbbbbbbbbbb", "cccccccccccccccc"]
    assert backend.raw("SELECT data FROM drafts WHERE id = 'bbbbbbbbbbbbbbbb'") == [("{not json",)]


@pytest.mark.parametrize("data", ["null", "[1, 2]", json.dumps({"messages": ["hi"]})])
def test_a_draft_that_is_not_an_object_is_left_alone(db: NotebookStore, backend: Backend, data: str) -> None:
    old_database(backend, ("bbbbbbbbbbbbbbbb", data, 2.0), (DRAFT_ID, json.dumps(a_draft()), 4.0))
    assert [s.id for s in db.list()] == [DRAFT_ID]
    assert drafts_left(backend) == ["bbbbbbbbbbbbbbbb"]


# ------------------------------------------------------------------------------------ both databases


def test_no_key_or_credentialed_url_in_any_row(db: NotebookStore, backend: Backend) -> None:
    nb = a_notebook(settings={"api_key": SECRET, "base_url": CREDENTIALED, "temperature": 0.3})
    nb.cells[0].base_url = CREDENTIALED
    nb.cells[0].settings = {"api_key": SECRET, "base_url": CREDENTIALED}
    saved = db.save(nb)
    saved.settings["api_key"] = SECRET
    db.save(saved)
    db.restore(saved.model_copy(update={"id": "1111111111111111"}))
    dump = backend.dump()
    assert nb.id in dump and "1111111111111111" in dump  # the dump does hold the notebooks
    assert SECRET not in dump and PASSWORD not in dump


def test_a_newer_schema_is_refused_and_left_untouched(db: NotebookStore, backend: Backend) -> None:
    kept = db.save(a_notebook(title="Kept"))
    backend.raw("INSERT INTO migrations (name, applied) VALUES (?, ?)", "_m999_from_the_future", 1.0)
    before = backend.dump()
    actions = [
        lambda: backend.store().load(kept.id),
        lambda: backend.store().list(),
        lambda: backend.store().save(a_notebook(title="New")),
        lambda: backend.store().save(kept.model_copy(update={"title": "Changed"})),
        lambda: backend.store().delete(kept.id),
        lambda: backend.library().list(),
    ]
    for action in actions:
        with pytest.raises(NewerSchemaError) as caught:
            action()
        assert isinstance(caught.value, StoreError)
        message = str(caught.value)
        assert "newer playground" in message and "_m999_from_the_future" in message and "untouched" in message
        assert f"knows version {len(MIGRATIONS)}" in message
    assert backend.dump() == before


def test_a_newer_schema_without_our_tables_is_not_migrated(backend: Backend) -> None:
    """A database that a newer version started from scratch: none of our migrations run on it."""
    backend.raw(f"CREATE TABLE migrations (name TEXT PRIMARY KEY, applied {backend.real} NOT NULL)")
    backend.raw("INSERT INTO migrations (name, applied) VALUES (?, ?)", "_m000_another_layout", 1.0)
    with pytest.raises(NewerSchemaError, match="_m000_another_layout"):
        backend.store().list()
    assert backend.raw("SELECT name FROM migrations") == [("_m000_another_layout",)]
    assert "notebooks" not in backend.dump() and "drafts" not in backend.dump()


def test_the_database_url_setting_is_the_default_store(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    url = backend.url or f"sqlite:///{backend.path}"
    monkeypatch.setenv("PLAYGROUND_DATABASE_URL", url)
    saved = NotebookStore().save(a_notebook(title="Shared"))
    assert backend.store().load(saved.id) == saved
    assert NotebookStore().dialect == backend.name
    if backend.path is not None:
        assert NotebookStore().path == backend.path and stat.S_IMODE(backend.path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url at all", "not a database URL"),
        ("mysql://someone@localhost/db", "runs on sqlite or postgresql"),
    ],
)
def test_an_unusable_database_url_is_a_store_error(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        NotebookStore(url=url)


def test_an_unreachable_postgresql_is_a_store_error_that_hides_its_password(unused_tcp_port: int) -> None:
    store = NotebookStore(url=f"postgresql://alice:{PASSWORD}@127.0.0.1:{unused_tcp_port}/playground?connect_timeout=5")
    with pytest.raises(StoreError, match="Cannot open the notebook store at postgresql") as caught:
        store.list()
    assert PASSWORD not in str(caught.value) and "***" in str(caught.value)
    assert PASSWORD not in store.location
    store.dispose()


@pytest.fixture
def unused_tcp_port() -> int:
    return free_port()


# ------------------------------------------------------------------------------------ a deferred result, written once


def pending_notebook() -> Notebook:
    cell = Cell(backend="xai", model="grok", body={"model": "grok", "deferred": True}, status="pending", request_id="req-1")
    return Notebook(id=DRAFT_ID, title="Deferred", conversation=[ChatMessage(content="Colours?")], cells=[cell])


def test_a_deferred_result_is_written_once_when_two_processes_poll(db: NotebookStore, backend: Backend) -> None:
    db.save(pending_notebook())
    page_a, page_b = backend.store().load(DRAFT_ID), backend.store().load(DRAFT_ID)
    assert page_a is not None and page_b is not None
    cell_id = page_a.cells[0].id

    page_a.cells[0].status, page_a.cells[0].completion = "done", a_completion()  # A's poll got the answer
    first = backend.store().finish_cell(page_a, cell_id)
    assert first is not None and first.wrote and (first.base_version, first.version) == (1, 2)
    first.apply(page_a)
    assert page_a.version == 2  # only its own write came between: the page saves on without a conflict
    assert db.save(page_a.model_copy(update={"title": "Deferred, answered"})).version == 3

    page_b.cells[0].status = "error"  # B's poll of the same request: xAI had handed the answer out already
    second = backend.store().finish_cell(page_b, cell_id)
    assert second is not None and not second.wrote and second.version == 3
    second.apply(page_b)
    assert page_b.cells[0].status == "done" and page_b.cells[0].completion == a_completion()  # B shows A's answer
    assert page_b.version == 1  # B's own later save is still a conflict, as any stale save

    stored = db.load(DRAFT_ID)
    assert stored is not None and stored.cells[0].status == "done" and stored.cells[0].completion == a_completion()
    assert (stored.title, stored.version) == ("Deferred, answered", 3)


def test_an_answer_replaces_an_error_but_nothing_replaces_an_answer(db: NotebookStore, backend: Backend) -> None:
    db.save(pending_notebook())
    failed, answered, late = (backend.store().load(DRAFT_ID) for _ in range(3))
    assert failed is not None and answered is not None and late is not None
    cell_id = failed.cells[0].id
    failed.cells[0].status = "error"
    assert backend.store().finish_cell(failed, cell_id).wrote  # type: ignore[union-attr]
    answered.cells[0].status, answered.cells[0].completion = "done", a_completion()
    assert backend.store().finish_cell(answered, cell_id).wrote  # type: ignore[union-attr]
    other = from_chat_completion(completion_json() | {"id": "other"})
    late.cells[0].status, late.cells[0].completion = "done", other
    outcome = backend.store().finish_cell(late, cell_id)
    assert outcome is not None and not outcome.wrote and outcome.cell.completion == a_completion()
    stored = db.load(DRAFT_ID)
    assert stored is not None and stored.version == 3 and stored.cells[0].completion == a_completion()


def test_finishing_a_cell_that_is_not_stored_is_left_to_save(db: NotebookStore) -> None:
    nb = pending_notebook()
    assert db.finish_cell(nb, nb.cells[0].id) is None  # the notebook is not stored yet
    db.save(nb.model_copy(update={"cells": []}))
    assert db.finish_cell(nb, nb.cells[0].id) is None  # the cell is not
    assert db.finish_cell(nb, "no-such-cell") is None


def test_concurrent_finishes_store_one_result(db: NotebookStore, backend: Backend) -> None:
    db.save(pending_notebook())
    barrier = threading.Barrier(6)

    def finish(n: int) -> bool:
        page = backend.store().load(DRAFT_ID)
        assert page is not None
        page.cells[0].status = "done"
        page.cells[0].completion = from_chat_completion(completion_json() | {"id": f"answer-{n}"})
        barrier.wait()
        outcome = backend.store().finish_cell(page, page.cells[0].id)
        assert outcome is not None
        return outcome.wrote

    with ThreadPoolExecutor(6) as pool:
        wrote = list(pool.map(finish, range(6)))
    assert wrote.count(True) == 1
    stored = db.load(DRAFT_ID)
    assert stored is not None and stored.version == 2
    assert stored.cells[0].completion is not None and stored.cells[0].completion.id == f"answer-{wrote.index(True)}"
