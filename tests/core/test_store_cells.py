"""playground.store, cell by cell: a save writes the notebook's header and only the cells that changed, so its cost
does not grow with the notebook; what is stored is always what was saved, whoever wrote before; notebooks stored
whole by the previous schema move into rows.

What a save writes is read from the statements the store sends (tests/writes.py), on SQLite and on PostgreSQL
(tests/core/conftest.py)."""

from __future__ import annotations

import gc
import json

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from playground.errors import StoreError
from playground.migrations import MIGRATIONS
from playground.notebook import Cell, ChatMessage, Notebook
from playground.response import from_chat_completion
from playground.store import NotebookStore
from tests.core.test_store import DRAFT_ID, SECRET, a_completion, a_notebook, completion_json
from tests.pg import Backend
from tests.writes import written

PREVIOUS = ["_m001_drafts", "_m002_notebooks", "_m003_drafts_to_notebooks", "_m004_library"]


@pytest.fixture
def db(backend: Backend) -> NotebookStore:
    return backend.store()


def many_cells(count: int) -> Notebook:
    """A notebook of `count` answered cells, each with its own completion (probabilities included)."""
    nb = a_notebook()
    template = nb.cells[0]
    nb.cells = [
        template.model_copy(
            update={"id": f"cell-{i:03d}", "completion": from_chat_completion(completion_json() | {"id": f"a{i}"})}
        )
        for i in range(count)
    ]
    return nb


def cell_bytes(cell: Cell) -> int:
    return len(cell.model_dump_json().encode())


def test_a_save_that_changes_no_cell_writes_no_cell(db: NotebookStore, backend: Backend) -> None:
    page = db.save(many_cells(30))
    page.title = "Renamed"
    with written() as seen:
        page = db.save(page)
    assert seen.to("notebooks") > 0
    assert sum(seen.bytes.values()) < cell_bytes(page.cells[0])  # the header only: no cell is written again
    loaded = backend.store().load(page.id)
    assert loaded == page and loaded is not None and loaded.title == "Renamed" and len(loaded.cells) == 30


def test_a_save_after_one_cell_changed_writes_that_cell_only(db: NotebookStore, backend: Backend) -> None:
    page = db.save(many_cells(30))
    page.cells[7] = page.cells[7].model_copy(update={"notes": ["edited"]})
    page.cells[12] = page.cells[12].model_copy(update={"completion": from_chat_completion(completion_json() | {"id": "new"})})
    with written() as seen:
        page = db.save(page)
    one = cell_bytes(page.cells[7])
    assert 2 * one <= sum(seen.bytes.values()) < 3 * one
    loaded = backend.store().load(page.id)
    assert loaded == page and loaded is not None
    assert loaded.cells[7].notes == ["edited"] and loaded.cells[12].completion is not None
    assert loaded.cells[12].completion.id == "new" and loaded.cells[11].completion.id == "a11"  # type: ignore[union-attr]


def test_an_answer_taken_out_of_a_cell_is_stored_out(db: NotebookStore, backend: Backend) -> None:
    """The store knows a stored answer by the very object: once nothing holds that object, it is not mistaken for none."""
    page = db.save(many_cells(2))
    page.cells[0].completion = None  # the only reference the page held
    gc.collect()
    page = db.save(page)
    loaded = backend.store().load(page.id)
    assert loaded == page and loaded is not None and loaded.cells[0].completion is None


def test_a_notebook_opened_from_the_store_saves_only_what_changed(db: NotebookStore, backend: Backend) -> None:
    """A page's notebook after a reload: loaded, one cell's answer arrives, saved."""
    page = backend.store().load(db.save(many_cells(20)).id)
    assert page is not None
    page.cells[3].status = "error"
    with written() as seen:
        page = backend.store().save(page)
    assert cell_bytes(page.cells[3]) <= sum(seen.bytes.values()) < 2 * cell_bytes(page.cells[3])
    loaded = db.load(page.id)
    assert loaded == page and loaded is not None and loaded.cells[3].status == "error"


def test_the_cost_of_a_save_does_not_grow_with_the_cells(db: NotebookStore) -> None:
    sizes = []
    for count in (2, 40):
        page = db.save(many_cells(count))
        page.conversation = [*page.conversation, ChatMessage(content="And shapes?")]  # a new message, as a person sends
        with written() as seen:
            db.save(page)
        sizes.append(sum(seen.bytes.values()))
    assert abs(sizes[0] - sizes[1]) < 100, sizes


def test_cells_removed_moved_and_added_are_stored_in_their_new_order(db: NotebookStore, backend: Backend) -> None:
    page = db.save(many_cells(6))
    first, *rest = page.cells
    added = first.model_copy(update={"id": "cell-new", "notes": ["added"]})
    page.cells = [rest[-1], *rest[1:-1], first, added]  # cell-001 removed, cell-005 first, a new one last
    with written() as seen:
        page = db.save(page)
    assert sum(seen.bytes.values()) < 2 * cell_bytes(added)  # the new cell, the header and the moved positions
    loaded = backend.store().load(page.id)
    assert loaded is not None and [c.id for c in loaded.cells] == [
        "cell-005",
        "cell-002",
        "cell-003",
        "cell-004",
        "cell-000",
        "cell-new",
    ]
    assert loaded == page
    assert [s.cells for s in db.list()] == [6]


def test_a_save_never_keeps_cells_of_another_notebook_stored_under_the_same_id(db: NotebookStore, backend: Backend) -> None:
    """Deleted, then a different notebook saved under its id by someone else, up to the same version: the page that
    still holds the first one saves it whole (nothing it did not write is assumed to be stored)."""
    page = db.save(many_cells(3))
    db.delete(page.id)
    other = many_cells(4).model_copy(update={"id": page.id, "title": "Other"})
    other.cells = [c.model_copy(update={"notes": ["other"]}) for c in other.cells]
    backend.store().save(other)
    page.title = "Mine"
    saved = db.save(page)
    loaded = backend.store().load(page.id)
    assert loaded == saved and loaded is not None and [c.notes for c in loaded.cells] == [["a note"]] * 3


def test_finishing_a_deferred_cell_writes_that_cell_only(db: NotebookStore, backend: Backend) -> None:
    page = db.save(many_cells(20))
    page.cells.append(
        Cell(backend="xai", model="grok", body={"model": "grok", "deferred": True}, status="pending", request_id="r")
    )
    page = db.save(page)
    page.cells[-1].status, page.cells[-1].completion = "done", a_completion()
    with written() as seen:
        finished = db.finish_cell(page, page.cells[-1].id)
    assert finished is not None and finished.wrote
    assert sum(seen.bytes.values()) < 2 * cell_bytes(page.cells[-1])
    finished.apply(page)
    loaded = backend.store().load(page.id)
    assert loaded is not None and loaded.version == page.version == 3 and loaded.cells == page.cells


def test_a_notebook_whose_runs_share_an_id_is_not_stored_and_the_store_says_why(db: NotebookStore) -> None:
    """Every way into a page gives each run its own id (`Notebook.checked`); a row per run needs it."""
    page = many_cells(2)
    page.cells[1].id = page.cells[0].id
    with pytest.raises(StoreError, match="two runs with the same id"):
        db.save(page)
    assert db.list() == []


# ------------------------------------------------------------------------------------ from the previous schema


def previous_database(backend: Backend, *notebooks: tuple[str, str]) -> None:
    """A database as the previous schema left it (migrations 1-4, each notebook's cells inside its JSON)."""
    url = make_url(backend.url) if backend.url else make_url(f"sqlite:///{backend.path}")
    assert backend.path is None or backend.path.parent.mkdir(parents=True, exist_ok=True) is None
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE migrations (name TEXT PRIMARY KEY, applied {backend.real} NOT NULL)")
        for m in MIGRATIONS[: len(PREVIOUS)]:
            m(conn)
            conn.exec_driver_sql(f"INSERT INTO migrations (name, applied) VALUES ('{m.__name__}', 1.0)")
    engine.dispose()
    for i, (notebook_id, data) in enumerate(notebooks):
        notebook = json.loads(data)
        search = "\n".join([notebook["title"], *(m["content"] for m in notebook["conversation"])]).lower()
        backend.raw(
            "INSERT INTO notebooks (id, title, search, data, created, updated, version) VALUES (?, ?, ?, ?, ?, ?, ?)",
            notebook_id,
            notebook["title"],
            search,
            data,
            1.0,
            10.0 - i,  # listed in the order given
            4,
        )


def test_notebooks_of_the_previous_schema_move_into_rows(db: NotebookStore, backend: Backend) -> None:
    assert [m.__name__ for m in MIGRATIONS[: len(PREVIOUS)]] == PREVIOUS
    whole = many_cells(3).model_copy(update={"id": DRAFT_ID, "version": 4})
    twice = json.loads(a_notebook(title="Twice").model_dump_json())
    twice["cells"] = [
        twice["cells"][0],
        twice["cells"][0] | {"notes": ["second"]},
        {k: v for k, v in twice["cells"][0].items() if k != "id"},
    ]
    previous_database(
        backend,
        (DRAFT_ID, whole.model_dump_json()),
        ("1111111111111111", json.dumps(twice)),
        ("2222222222222222", json.dumps({"title": "Broken", "conversation": [], "cells": "many"})),
    )
    loaded = db.load(DRAFT_ID)
    assert loaded is not None and loaded.version == 4
    assert loaded.model_dump(exclude={"updated", "created"}) == whole.model_dump(exclude={"updated", "created"})
    assert [(s.title, s.cells) for s in db.list()] == [("Colours", 3), ("Twice", 3), ("Broken", 0)]
    assert backend.raw("SELECT count(*) FROM cells WHERE notebook_id = ?", DRAFT_ID) == [(3,)]
    [(header,)] = backend.raw("SELECT data FROM notebooks WHERE id = ?", DRAFT_ID)
    assert "cells" not in json.loads(header) and "Red, green" not in header

    duplicated = db.load("1111111111111111")  # the same id twice, and none: each cell gets an id of its own
    assert duplicated is not None and len({c.id for c in duplicated.cells}) == 3
    assert [c.notes for c in duplicated.cells] == [["a note"], ["second"], ["a note"]]
    assert backend.raw("SELECT data FROM notebooks WHERE id = '2222222222222222'")[0][0].endswith(
        '"cells": "many"}'
    )  # left as it was

    loaded.cells[0].notes = ["saved on"]
    with written() as seen:
        saved = db.save(loaded)
    assert sum(seen.bytes.values()) < 2 * cell_bytes(loaded.cells[0])
    assert backend.store().load(DRAFT_ID) == saved


def test_no_key_in_any_cell_row(db: NotebookStore, backend: Backend) -> None:
    page = db.save(many_cells(2))
    page.cells[1].settings = {"api_key": SECRET, "temperature": 0.3}
    db.save(page)
    assert SECRET not in backend.dump()
