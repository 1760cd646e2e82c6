"""Notebooks in SQLite, so nothing a person made is lost to a reload, and nothing secret is kept.

Streamlit runs sessions on threads, so every operation opens its own short-lived connection (WAL mode).
The schema grows by an ordered list of named migrations, each applied once and recorded (after
simonw/llm); the first versions of the playground kept one "draft" per page visit, and a migration turns
each into a notebook under the same id, so old `?draft=` links still open it.

Saving is optimistic: a notebook carries the `version` it was loaded at, and a save from an older
version is refused with `ConflictError` instead of overwriting what another tab saved meanwhile.
Notebooks are never evicted. The file is created readable by its owner only.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from playground.errors import StoreError
from playground.notebook import Cell, ChatMessage, Notebook, Timings, safe_base_url

__all__ = ["MIGRATIONS", "ConflictError", "NotebookStore", "Summary", "default_path"]


class ConflictError(StoreError):
    """The notebook was saved elsewhere (another tab or process) since it was loaded."""

    def __init__(self, notebook_id: str, stored_version: int) -> None:
        self.notebook_id = notebook_id
        self.stored_version = stored_version
        super().__init__(f"Notebook {notebook_id} was changed elsewhere (now version {stored_version}).")


def default_path() -> Path:
    """The store file under `PLAYGROUND_DATA_DIR` (default ./data/), so tests never touch real data."""
    return Path(os.environ.get("PLAYGROUND_DATA_DIR") or "data") / "playground.sqlite3"


# ------------------------------------------------------------------------------------ migrations


def _m001_drafts(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS drafts (id TEXT PRIMARY KEY, data TEXT NOT NULL, updated REAL NOT NULL)")


def _m002_notebooks(conn: sqlite3.Connection) -> None:
    conn.execute("""CREATE TABLE notebooks (
        id TEXT PRIMARY KEY, title TEXT NOT NULL, search TEXT NOT NULL, data TEXT NOT NULL,
        created REAL NOT NULL, updated REAL NOT NULL, version INTEGER NOT NULL)""")
    conn.execute("CREATE INDEX notebooks_updated ON notebooks (updated DESC)")


def _m003_drafts_to_notebooks(conn: sqlite3.Connection) -> None:
    """Every draft of the first versions becomes a notebook with the same id; empty drafts are dropped."""
    for draft_id, data, updated in conn.execute("SELECT id, data, updated FROM drafts").fetchall():
        try:
            notebook = _notebook_from_draft(draft_id, json.loads(data), updated)
        except (ValueError, ValidationError, TypeError, KeyError):
            continue  # an unreadable draft stays in the drafts table, untouched
        if notebook.is_empty():
            conn.execute("DELETE FROM drafts WHERE id = ?", (draft_id,))
            continue
        _insert(conn, notebook.model_copy(update={"title": notebook.title_from_conversation()}))
        conn.execute("DELETE FROM drafts WHERE id = ?", (draft_id,))


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_m001_drafts, _m002_notebooks, _m003_drafts_to_notebooks]


def _notebook_from_draft(draft_id: str, data: dict[str, Any], updated: float) -> Notebook:
    """A draft (messages, settings, runs newest first, runs as plain dicts) as a notebook."""
    conversation = [ChatMessage.model_validate({k: v for k, v in m.items() if k in ChatMessage.model_fields}
                                               | {"tool_calls": _draft_calls(m.get("tool_calls"))})
                    for m in data.get("messages") or []]
    cells = []
    for run in reversed(data.get("runs") or []):
        body = run.get("body") or {}
        status = run.get("status") or "done"
        cells.append(Cell(
            id=str(run.get("id") or ""), created=float(run.get("started") or updated), backend=run.get("backend") or "embedded",
            base_url=safe_base_url(run.get("base_url")), model=str(body.get("model") or ""), body=body,
            notes=list(run.get("notes") or []), status="interrupted" if status in ("new", "streaming") else status,
            completion=run.get("completion"), partial={int(k): v for k, v in (run.get("partial") or {}).items()},
            request_id=run.get("request_id"), timings=Timings(total_s=run.get("latency_s")),
            continued=bool(run.get("added")),
            conversation=[m for m in conversation[: len(body.get("messages") or [])]],
        ))
    return Notebook(id=draft_id, created=updated, updated=updated, conversation=conversation,
                    settings=dict(data.get("settings") or {}), cells=cells)


def _draft_calls(calls: Any) -> list[dict[str, Any]]:
    out = []
    for c in calls or []:
        function = c.get("function") or {}
        out.append({"id": c.get("id") or "", "name": function.get("name") or "", "arguments": function.get("arguments") or "{}"})
    return out


def _insert(conn: sqlite3.Connection, notebook: Notebook) -> None:
    conn.execute("INSERT INTO notebooks (id, title, search, data, created, updated, version) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (notebook.id, notebook.title, notebook.search_text(), notebook.clean().model_dump_json(),
                  notebook.created, notebook.updated, notebook.version))


# ------------------------------------------------------------------------------------ the store


class Summary(BaseModel):
    """One line of the Notebooks page: enough to list and search without reading every notebook."""

    id: str
    title: str
    created: float
    updated: float
    cells: int
    messages: int


class NotebookStore:
    """Notebooks in one SQLite file; holds only a path, so it is safe to share between sessions."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()

    def _create_private(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self._create_private()
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"Cannot open the notebook store at {self.path}: {exc}") from exc
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            self._migrate(conn)
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"The notebook store at {self.path} failed: {exc}") from exc
        finally:
            conn.close()

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied REAL NOT NULL)")
        done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
        pending = [m for m in MIGRATIONS if m.__name__ not in done]
        if not pending:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            done = {row[0] for row in conn.execute("SELECT name FROM migrations")}  # another process may have won
            for migration in pending:
                if migration.__name__ in done:
                    continue
                migration(conn)
                conn.execute("INSERT INTO migrations (name, applied) VALUES (?, ?)", (migration.__name__, time.time()))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # -- reading ---------------------------------------------------------------------------------

    def load(self, notebook_id: str) -> Notebook | None:
        """The saved notebook, or None when there is none under this id."""
        with self._connect() as conn:
            row = conn.execute("SELECT data, version FROM notebooks WHERE id = ?", (notebook_id,)).fetchone()
        if row is None:
            return None
        try:
            notebook = Notebook.model_validate_json(row[0])
        except ValidationError as exc:
            raise StoreError(f"The saved notebook {notebook_id} could not be read: {exc.error_count()} problem(s)") from exc
        return notebook.model_copy(update={"version": row[1]})

    def list(self, search: str = "", limit: int = 200) -> list[Summary]:
        """Notebooks newest first, those whose title or message text contains `search` (case-insensitive)."""
        escaped = search.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        needle = f"%{escaped}%"
        with self._connect() as conn:
            rows = conn.execute("SELECT id, title, created, updated, data FROM notebooks WHERE search LIKE ? ESCAPE '\\' "
                                "ORDER BY updated DESC LIMIT ?", (needle, limit)).fetchall()
        out = []
        for notebook_id, title, created, updated, data in rows:
            parsed = json.loads(data)
            out.append(Summary(id=notebook_id, title=title, created=created, updated=updated,
                               cells=len(parsed.get("cells") or []), messages=len(parsed.get("conversation") or [])))
        return out

    # -- writing ---------------------------------------------------------------------------------

    def save(self, notebook: Notebook) -> Notebook:
        """Write the notebook if nobody saved it since it was loaded; returns it with its new version.

        Raises ConflictError when the stored version is newer than `notebook.version`.
        """
        now = time.time()
        saved = notebook.clean().model_copy(update={"updated": now, "version": notebook.version + 1})
        data = saved.model_dump_json()
        with self._connect() as conn:
            row = conn.execute("SELECT version FROM notebooks WHERE id = ?", (notebook.id,)).fetchone()
            if row is None:
                _insert(conn, saved)
            elif row[0] != notebook.version:
                raise ConflictError(notebook.id, row[0])
            else:
                conn.execute("UPDATE notebooks SET title = ?, search = ?, data = ?, updated = ?, version = ? WHERE id = ?",
                             (saved.title, saved.search_text(), data, now, saved.version, saved.id))
        return saved

    def delete(self, notebook_id: str) -> Notebook | None:
        """Remove a notebook; returns it, so the page can offer Undo (`restore`)."""
        notebook = self.load(notebook_id)
        with self._connect() as conn:
            conn.execute("DELETE FROM notebooks WHERE id = ?", (notebook_id,))
        return notebook

    def restore(self, notebook: Notebook) -> Notebook:
        """Put a deleted notebook back, as it was."""
        with self._connect() as conn:
            conn.execute("DELETE FROM notebooks WHERE id = ?", (notebook.id,))
            _insert(conn, notebook)
        return notebook
