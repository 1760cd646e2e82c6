"""What one app process does in tests/integration/test_team_store.py; run in processes of their own (spawn).

Each worker opens its own store on the shared database by URL, as a Streamlit process of a team would,
and sends back plain JSON (a pydantic model dumped), so the test can count every write.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel

from playground.notebook import ChatMessage
from playground.store import ConflictError, NotebookStore
from playground.workspace import Workspace, signature


class EditOutcome(BaseModel):
    """One page's save after both pages loaded the same version."""

    process: str
    wrote: bool
    conflict_copy: bool
    notebook_id: str  # what the page holds afterwards: the original, or the copy it was offered
    title: str
    error: str | None = None


class WriteCounts(BaseModel):
    """One process's writes: each is stored (its marker is in the notebook) or refused with a message."""

    process: int
    stored: list[str] = []
    refused: list[str] = []
    seconds: float = 0.0


def edit_once(url: str, notebook_id: str, process: str, barrier: Any, out: Any) -> None:
    """Open the notebook, wait until the other process has it too, change it, save as the page does."""
    workspace = Workspace(NotebookStore(url=url))
    notebook = workspace.open(notebook_id).notebook
    last = signature(notebook)
    if process == "A":
        notebook.title = "Renamed in process A"
    else:
        notebook.conversation.append(ChatMessage(content="Added in process B"))
    barrier.wait(timeout=120)
    saved, _ = workspace.save(notebook, last)
    out.put(
        EditOutcome(
            process=process,
            wrote=saved.wrote,
            conflict_copy=saved.conflict_copy,
            notebook_id=saved.notebook.id,
            title=saved.notebook.title,
            error=saved.error,
        ).model_dump_json()
    )


def many_writes(url: str, notebook_id: str, process: int, writes: int, barrier: Any, out: Any) -> None:
    """`writes` times: load the shared notebook, add one message naming this write, save; count what happened."""
    store = NotebookStore(url=url)
    store.list()  # connected and migrated before the start
    counts = WriteCounts(process=process)
    barrier.wait(timeout=300)
    started = time.perf_counter()
    for k in range(writes):
        marker = f"p{process}-w{k}"
        notebook = store.load(notebook_id)
        assert notebook is not None
        notebook.conversation.append(ChatMessage(content=marker))
        try:
            store.save(notebook)
        except ConflictError as exc:
            counts.refused.append(str(exc))
        else:
            counts.stored.append(marker)
    counts.seconds = time.perf_counter() - started
    store.dispose()
    out.put(counts.model_dump_json())
