"""playground.workspace: open what the URL names, save only what changed and never an empty notebook, keep both
versions when two tabs saved the same notebook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from playground import workspace
from playground.notebook import Cell, ChatMessage, Notebook, valid_id
from playground.response import from_chat_completion
from playground.store import NotebookStore
from playground.workspace import Workspace, signature
from tests.pg import Backend

NB_ID = "0123456789abcdef"


def a_cell(**extra: Any) -> Cell:
    values: dict[str, Any] = {
        "backend": "embedded",
        "body": {"model": "m", "messages": [{"role": "user", "content": "Hi"}]},
        "conversation": [ChatMessage(content="Hi")],
    }
    values.update(extra)
    return Cell(**values)


def a_completion(text: str = "Hello.") -> Any:
    return from_chat_completion(
        {
            "id": "x",
            "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        }
    )


@pytest.fixture
def store(backend: Backend) -> NotebookStore:
    """Every test with a store runs on a SQLite file and on a real PostgreSQL (tests/core/conftest.py)."""
    return backend.store()


@pytest.fixture
def ws(store: NotebookStore) -> Workspace:
    return Workspace(store)


@pytest.fixture
def junk(tmp_path: Path) -> NotebookStore:
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"not a database at all\n" * 100)
    return NotebookStore(path)


# ------------------------------------------------------------------------------------ open


@pytest.mark.parametrize("wanted", [None, "", "../../etc/passwd", "ABCDEF0123456789", 1234, ["0123456789abcdef"]])
def test_no_or_a_malformed_id_opens_a_new_notebook_quietly(ws: Workspace, store: NotebookStore, wanted: object) -> None:
    opened = ws.open(wanted)
    assert opened.warning is None
    assert valid_id(opened.notebook.id) and opened.notebook.is_empty() and opened.notebook.version == 0
    assert store.list() == []  # opening writes nothing


def test_an_id_that_is_not_stored_opens_a_new_notebook_under_it_with_a_warning(ws: Workspace) -> None:
    opened = ws.open(NB_ID)
    assert opened.notebook.id == NB_ID and opened.notebook.is_empty()
    assert opened.warning is not None and "not here" in opened.warning


def test_a_stored_notebook_opens_and_cut_runs_read_as_interrupted(ws: Workspace, store: NotebookStore) -> None:
    nb = Notebook(
        id=NB_ID,
        title="Mine",
        cells=[
            a_cell(status="done", completion=a_completion()),
            a_cell(status="streaming", partial={0: "Hal"}),
            a_cell(status="new"),
            a_cell(status="pending", request_id="req-1"),
            a_cell(status="stopped"),
        ],
    )
    store.save(nb)
    opened = ws.open(NB_ID)
    assert opened.warning is None
    assert opened.notebook.title == "Mine" and opened.notebook.version == 1
    assert [c.status for c in opened.notebook.cells] == ["done", "interrupted", "interrupted", "pending", "stopped"]
    assert opened.notebook.cells[1].text() == "Hal"


def test_a_broken_store_opens_a_new_notebook_with_the_reason(junk: NotebookStore) -> None:
    opened = Workspace(junk).open(NB_ID)
    assert opened.notebook.is_empty() and opened.notebook.id != NB_ID
    assert opened.warning is not None and opened.warning.startswith("That notebook could not be opened:")


def test_the_default_store_lives_in_the_data_dir(data_dir: Path) -> None:
    ws = Workspace()
    ws.save(Notebook(title="Here"), None)
    assert [s.title for s in NotebookStore(data_dir / "playground.sqlite3").list()] == ["Here"]


# ------------------------------------------------------------------------------------ save


def test_an_empty_new_notebook_is_never_saved(ws: Workspace, store: NotebookStore) -> None:
    nb = Notebook(conversation=[ChatMessage(), ChatMessage(role="system", content="   ")])
    saved, sig = ws.save(nb, None)
    assert not saved.wrote and saved.error is None and saved.notebook is nb
    assert sig == signature(nb)
    assert store.list() == [] and store.load(nb.id) is None


def test_a_changed_notebook_is_saved_once_per_change(ws: Workspace, store: NotebookStore) -> None:
    nb = Notebook(conversation=[ChatMessage(content="Hi")])
    saved, sig = ws.save(nb, None)
    assert saved.wrote and saved.notebook is nb and nb.version == 1
    stored = store.load(nb.id)
    assert stored is not None and stored.version == 1 and stored.updated == nb.updated

    again, sig2 = ws.save(nb, sig)
    assert not again.wrote and sig2 == sig
    stored = store.load(nb.id)
    assert stored is not None and stored.version == 1  # nothing written

    nb.conversation[0].content = "Hi there"
    third, sig3 = ws.save(nb, sig2)
    assert third.wrote and sig3 != sig2 and nb.version == 2
    stored = store.load(nb.id)
    assert stored is not None and stored.conversation[0].content == "Hi there"


def test_a_notebook_is_titled_from_its_first_user_message_until_the_person_names_it(ws: Workspace, store: NotebookStore) -> None:
    nb = Notebook(
        conversation=[ChatMessage(role="system", content="Be brief."), ChatMessage(content="Why is the sky blue?\nAsk")]
    )
    saved, sig = ws.save(nb, None)
    assert saved.wrote and nb.title == "Why is the sky blue?"
    stored = store.load(nb.id)
    assert stored is not None and stored.title == "Why is the sky blue?" and not stored.named
    assert [s.title for s in store.list()] == ["Why is the sky blue?"]

    nb.conversation[1].content = "What makes sunsets red?"  # still unnamed: the title follows
    ws.save(nb, sig)
    assert nb.title == "What makes sunsets red?"

    nb.title, nb.named = "Sky questions", True  # renamed: it stays
    _, sig = ws.save(nb, None)
    nb.conversation[1].content = "Something else"
    ws.save(nb, sig)
    stored = store.load(nb.id)
    assert stored is not None and stored.title == "Sky questions" and stored.named


def test_a_notebook_holding_only_test_cases_is_saved_and_opens_with_them(ws: Workspace, store: NotebookStore) -> None:
    nb = Notebook()
    nb.evaluation["cases"] = {"columns": ["city", "expected"], "rows": [{"city": "Paris", "expected": "sunny"}]}
    saved, _ = ws.save(nb, None)
    assert saved.wrote
    opened = ws.open(nb.id)
    assert opened.warning is None and opened.notebook.evaluation == nb.evaluation


def test_a_saved_notebook_emptied_again_is_still_saved(ws: Workspace, store: NotebookStore) -> None:
    nb = Notebook(conversation=[ChatMessage(content="Hi")])
    _, sig = ws.save(nb, None)
    nb.conversation[0].content = ""
    saved, _ = ws.save(nb, sig)
    assert saved.wrote
    stored = store.load(nb.id)
    assert stored is not None and stored.conversation[0].content == ""


def test_a_notebook_deleted_in_another_tab_is_not_saved_back_and_a_copy_can_be_kept(store: NotebookStore) -> None:
    first = store.save(Notebook(id=NB_ID, title="Plan", conversation=[ChatMessage(content="Hi")]))
    tab = Workspace(store).open(NB_ID).notebook
    store.delete(NB_ID)  # the Notebooks page, in another tab
    tab.conversation[0].content = "Hi again"
    saved, sig = Workspace(store).save(tab, signature(first))
    assert saved.deleted and not saved.wrote and saved.notebook is tab
    assert saved.error is not None and "deleted" in saved.error
    assert store.load(NB_ID) is None and store.list() == []
    assert sig == signature(first)  # not saved: the next save tries (and says so) again

    kept = Workspace(store).keep_copy(tab)
    assert kept.wrote and kept.notebook.id != NB_ID and kept.notebook.version == 1
    stored = store.load(kept.notebook.id)
    assert stored is not None and stored.title == "Plan" and stored.conversation[0].content == "Hi again"


def test_two_tabs_saving_one_notebook_keep_both(store: NotebookStore) -> None:
    first = store.save(Notebook(id=NB_ID, title="Plan", conversation=[ChatMessage(content="Hi")]))
    tab_a, tab_b = Workspace(store).open(NB_ID).notebook, Workspace(store).open(NB_ID).notebook
    sig_a = sig_b = signature(first)
    tab_a.conversation[0].content = "Hi from A"
    saved_a, _ = Workspace(store).save(tab_a, sig_a)
    assert saved_a.wrote and not saved_a.conflict_copy

    tab_b.conversation[0].content = "Hi from B"
    saved_b, sig = Workspace(store).save(tab_b, sig_b)
    assert saved_b.wrote and saved_b.conflict_copy and saved_b.error is None
    copy = saved_b.notebook
    assert copy.id != NB_ID and valid_id(copy.id)
    assert copy.title == "Plan (changed in another tab)" and copy.version == 1
    assert copy.conversation[0].content == "Hi from B"
    assert sig == signature(copy)

    original = store.load(NB_ID)
    assert original is not None and original.conversation[0].content == "Hi from A" and original.version == 2
    stored_copy = store.load(copy.id)
    assert stored_copy is not None and stored_copy.conversation[0].content == "Hi from B"
    assert sorted(s.title for s in store.list()) == ["Plan", "Plan (changed in another tab)"]


def test_a_conflict_found_while_a_run_streams_keeps_filling_the_copy(store: NotebookStore) -> None:
    """The copy holds the page's own cell objects: what a stream adds after the conflict lands in the copy."""
    first = store.save(Notebook(id=NB_ID, title="Plan", conversation=[ChatMessage(content="Hi")]))
    tab_a, tab_b = Workspace(store).open(NB_ID).notebook, Workspace(store).open(NB_ID).notebook
    Workspace(store).save(tab_a.model_copy(update={"title": "A"}), signature(first))
    streaming = Cell(backend="embedded", body={"messages": []}, conversation=tab_b.conversation, status="streaming")
    tab_b.cells.append(streaming)
    saved, sig = Workspace(store).save(tab_b, signature(first))
    assert saved.conflict_copy and saved.notebook.cells[0] is streaming
    streaming.partial = {0: "Hello, wor"}  # the stream goes on after the conflict
    streaming.status = "done"
    again, _ = Workspace(store).save(saved.notebook, sig)
    assert again.wrote and not again.conflict_copy
    stored = store.load(saved.notebook.id)
    assert stored is not None and stored.cells[0].status == "done" and stored.cells[0].partial == {0: "Hello, wor"}


def test_a_failed_save_reports_and_keeps_the_last_signature(junk: NotebookStore) -> None:
    nb = Notebook(title="Mine")
    saved, sig = Workspace(junk).save(nb, "before")
    assert not saved.wrote and saved.notebook is nb and nb.version == 0
    assert saved.error is not None and "notebook store" in saved.error
    assert sig == "before"  # so the next run tries again
    assert Workspace(junk).save(nb, None)[1] == ""


# ------------------------------------------------------------------------------------ signature


def test_the_signature_changes_with_what_a_save_would_write() -> None:
    cell = a_cell()
    nb = Notebook(title="T", conversation=[ChatMessage(content="Hi")], settings={"temperature": 0.3}, cells=[cell])
    seen = {signature(nb)}

    def changed() -> bool:
        sig = signature(nb)
        new = sig not in seen
        seen.add(sig)
        return new

    assert not changed()
    nb.title = "T2"
    assert changed()
    nb.conversation[0].name = "ann"
    assert changed()
    nb.settings["temperature"] = 0.4
    assert changed()
    cell.status = "streaming"
    assert changed()
    cell.partial[0] = "Hel"
    assert changed()
    cell.partial[0] += "lo"
    assert changed()
    cell.completion = a_completion()
    cell.status = "done"
    assert changed()
    cell.continued = True
    assert changed()
    nb.cells.append(a_cell())
    assert changed()
    nb.comparisons.append({"seeds": [1, 2]})
    assert changed()
    nb.evaluation["cases"] = {"columns": ["city"], "rows": [{"city": "Paris"}]}
    assert changed()
    nb.evaluation["cases"]["rows"][0]["city"] = "Lima"  # an edit in place
    assert changed()
    nb.evaluation.setdefault("runs", []).append({"results": []})
    assert changed()


def test_the_signature_is_stable_for_an_unchanged_notebook() -> None:
    nb = Notebook(title="T", conversation=[ChatMessage(content="Hi")], cells=[a_cell(completion=a_completion())])
    assert signature(nb) == signature(nb)
    assert signature(nb) == signature(nb.model_copy())  # a shallow copy shares the completion


def test_a_result_finishing_after_another_notebook_opened_goes_where_it_was_started() -> None:
    store = NotebookStore()
    started = Notebook(title="started here")
    store.save(started)
    workspace.change_stored(started.id, lambda nb: nb.comparisons.append({"id": "c1"}))
    assert [c["id"] for c in store.load(started.id).comparisons] == ["c1"]
    workspace.change_stored("0123456789abcdef", lambda nb: nb.comparisons.append({"id": "c2"}))  # gone: nothing made
    assert store.load("0123456789abcdef") is None


def test_a_finished_job_goes_into_the_open_notebook_when_it_was_started_there_else_into_the_stored_one() -> None:
    store = NotebookStore()
    started, other = Notebook(title="started here"), Notebook(title="opened since")
    store.save(started)
    assert workspace.deliver(started.id, started, lambda nb: nb.comparisons.append({"id": "c1"}))  # the page saves it
    assert [c["id"] for c in started.comparisons] == ["c1"] and store.load(started.id).comparisons == []
    assert not workspace.deliver(started.id, other, lambda nb: nb.comparisons.append({"id": "c2"}))
    assert other.comparisons == [] and [c["id"] for c in store.load(started.id).comparisons] == ["c2"]
