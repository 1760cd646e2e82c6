"""Opening and autosaving the notebook a page shows, without Streamlit.

A page calls `open` once per session with the id its URL names, and `save` at the end of every script
run; `save` writes only when the notebook changed (a cheap signature, not its whole JSON), never writes
an empty notebook (so page visits leave nothing behind, and nothing has to be evicted), and when another
tab saved the same notebook meanwhile it keeps both: this version is saved as a copy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from pydantic import BaseModel

from playground.errors import StoreError
from playground.notebook import Notebook, message_key, new_id, valid_id
from playground.store import ConflictError, DeletedError, NotebookStore

__all__ = ["CHANGED_TO_OPEN", "Opened", "Saved", "Workspace", "change_stored", "changed_to_open", "deliver", "signature"]

CHANGED_TO_OPEN = "Some of this notebook's values cannot be shown here, so they were changed for it to open:"


def changed_to_open(notes: list[str]) -> str:
    """The notes of `Notebook.checked` as one message, a line each (they hold no text of the notebook's own)."""
    return CHANGED_TO_OPEN + "".join(f"\n- {note}" for note in notes)


def signature(notebook: Notebook) -> str:
    """What a save would write, cheaply: completions by identity (they are never changed in place), every field of
    every message, all of it hashed (the page keeps a digest, not a copy of every message)."""
    cells = [
        (c.id, c.status, id(c.completion), sum(map(len, c.partial.values())), c.continued, c.request_id) for c in notebook.cells
    ]
    evaluation = {k: v for k, v in notebook.evaluation.items() if k != "runs"}  # runs by count: they are only added
    evaluation["runs"] = len(notebook.evaluation.get("runs") or [])
    rest = json.dumps(
        [notebook.title, notebook.settings, cells, len(notebook.comparisons), evaluation, notebook.compare],
        sort_keys=True,
        default=str,
    )
    digest = hashlib.blake2b(rest.encode("utf-8", "surrogatepass"), digest_size=32)
    for m in notebook.conversation:
        role, content, *others = message_key(m)  # every field, tool calls and images too
        digest.update(repr((role, len(content), others)).encode())
        digest.update(content.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class Opened(BaseModel):
    notebook: Notebook
    warning: str | None = None


class Saved(BaseModel):
    """What a save did: `notebook` is what the page should now hold (a copy after a conflict)."""

    notebook: Notebook
    wrote: bool = False
    conflict_copy: bool = False
    deleted: bool = False  # deleted elsewhere since it was opened: not saved (`keep_copy` saves it anew)
    error: str | None = None


class Workspace:
    def __init__(self, store: NotebookStore | None = None) -> None:
        self.store = store or NotebookStore()

    def open(self, wanted: object) -> Opened:
        """The notebook the URL names, or a new one (with a warning when the named one is gone or unreadable)."""
        if not valid_id(wanted):
            return Opened(notebook=Notebook(id=new_id()))
        assert isinstance(wanted, str)
        try:
            notebook = self.store.load(wanted)
        except StoreError as exc:
            return Opened(notebook=Notebook(), warning=f"That notebook could not be opened: {exc}")
        if notebook is None:
            return Opened(
                notebook=Notebook(id=wanted),
                warning="The notebook this link named is not here (deleted, or saved on another machine); this is a new one.",
            )
        for cell in notebook.cells:
            if cell.status in ("new", "streaming"):
                cell.status = "interrupted"  # its stream ended with the session that ran it
        notebook, notes = notebook.checked()  # stored by another version or process: what a page cannot show goes
        if notes:
            return Opened(notebook=notebook, warning=changed_to_open(notes))
        return Opened(notebook=notebook)

    def save(self, notebook: Notebook, last: str | None) -> tuple[Saved, str]:
        """Save when the signature differs from `last`; returns what happened and the new signature. A notebook
        nobody named is titled from its first user message first (`Notebook.retitle`)."""
        notebook.retitle()
        now = signature(notebook)
        if now == last or (notebook.version == 0 and notebook.is_empty()):
            return Saved(notebook=notebook), now
        try:
            stored = self.store.save(notebook)
        except DeletedError:
            error = "this notebook was deleted (in another tab, or on the Notebooks page) since you opened it."
            return Saved(notebook=notebook, deleted=True, error=error), last or ""
        except ConflictError:
            saved = self.keep_copy(notebook, f"{notebook.title} (changed in another tab)")
            if saved.error is not None:
                return saved.model_copy(update={"notebook": notebook}), last or ""
            return saved.model_copy(update={"conflict_copy": True}), signature(saved.notebook)
        except StoreError as exc:
            return Saved(notebook=notebook, error=str(exc)), last or ""
        notebook.version = stored.version
        notebook.updated = stored.updated
        return Saved(notebook=notebook, wrote=True), now

    def keep_copy(self, notebook: Notebook, title: str | None = None) -> Saved:
        """Save `notebook` as a new one (its own id; the title kept unless given): after a conflict, or a delete.
        Shallow: a run streaming into one of the page's cells goes on filling the copy."""
        copy = notebook.duplicate(notebook.title if title is None else title, deep=False)
        try:
            stored = self.store.save(copy)
        except StoreError as exc:
            return Saved(notebook=copy, error=str(exc))
        copy.version, copy.updated = stored.version, stored.updated
        return Saved(notebook=copy, wrote=True)


def change_stored(notebook_id: str, change: Callable[[Notebook], None]) -> None:
    """Change a kept notebook that is not the open one (a result finishing after the person opened another goes
    where it was started); a notebook deleted meanwhile is left deleted."""
    store = NotebookStore()
    notebook = store.load(notebook_id)
    if notebook is not None:
        change(notebook)
        store.save(notebook)


def deliver(notebook_id: str, open_notebook: Notebook, change: Callable[[Notebook], None]) -> bool:
    """Put what a background job made (`change` adds it) into the notebook it was started in, `notebook_id`: the one
    open now (True: the page saves it), or else the stored one (`change_stored`)."""
    if open_notebook.id == notebook_id:
        change(open_notebook)
        return True
    change_stored(notebook_id, change)
    return False
