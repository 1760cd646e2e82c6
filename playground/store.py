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
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from playground.errors import StoreError
from playground.notebook import Cell, ChatMessage, Notebook, Timings, new_id, safe_base_url

__all__ = ["MIGRATIONS", "ConflictError", "Library", "LibraryItem", "NotebookStore", "Summary", "default_path"]


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
        except (ValueError, ValidationError, TypeError, KeyError, AttributeError):
            continue  # an unreadable draft stays in the drafts table, untouched
        if notebook.is_empty():
            conn.execute("DELETE FROM drafts WHERE id = ?", (draft_id,))
            continue
        _insert(conn, notebook.model_copy(update={"title": notebook.title_from_conversation()}))
        conn.execute("DELETE FROM drafts WHERE id = ?", (draft_id,))


def _m004_library(conn: sqlite3.Connection) -> None:
    """The tool and schema library: named tools and response schemas, kept apart from any notebook."""
    conn.execute("""CREATE TABLE library (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL,
        created REAL NOT NULL, updated REAL NOT NULL)""")
    conn.execute("CREATE INDEX library_kind_name ON library (kind, name)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_m001_drafts, _m002_notebooks, _m003_drafts_to_notebooks, _m004_library]


def _notebook_from_draft(draft_id: str, data: dict[str, Any], updated: float) -> Notebook:
    """A draft (messages, settings, runs newest first, runs as plain dicts) as a notebook."""
    conversation = [
        ChatMessage.model_validate(
            {k: v for k, v in m.items() if k in ChatMessage.model_fields} | {"tool_calls": _draft_calls(m.get("tool_calls"))}
        )
        for m in data.get("messages") or []
    ]
    cells = []
    for run in reversed(data.get("runs") or []):
        body = run.get("body") or {}
        status = run.get("status") or "done"
        cells.append(
            Cell(
                id=str(run.get("id") or ""),
                created=float(run.get("started") or updated),
                backend=run.get("backend") or "embedded",
                base_url=safe_base_url(run.get("base_url")),
                model=str(body.get("model") or ""),
                body=body,
                notes=list(run.get("notes") or []),
                status="interrupted" if status in ("new", "streaming") else status,
                completion=run.get("completion"),
                partial={int(k): v for k, v in (run.get("partial") or {}).items()},
                request_id=run.get("request_id"),
                timings=Timings(total_s=run.get("latency_s")),
                continued=bool(run.get("added")),
                conversation=[m for m in conversation[: len(body.get("messages") or [])]],
            )
        )
    return Notebook(
        id=draft_id,
        created=updated,
        updated=updated,
        conversation=conversation,
        settings=dict(data.get("settings") or {}),
        cells=cells,
    )


def _draft_calls(calls: Any) -> list[dict[str, Any]]:
    out = []
    for c in calls or []:
        function = c.get("function") or {}
        out.append({"id": c.get("id") or "", "name": function.get("name") or "", "arguments": function.get("arguments") or "{}"})
    return out


def _insert(conn: sqlite3.Connection, notebook: Notebook) -> None:
    conn.execute(
        "INSERT INTO notebooks (id, title, search, data, created, updated, version) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            notebook.id,
            notebook.title,
            notebook.search_text(),
            notebook.clean().model_dump_json(),
            notebook.created,
            notebook.updated,
            notebook.version,
        ),
    )


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
        elif self.path.stat().st_mode & 0o077:
            self.path.chmod(0o600)  # made by an earlier version with the umask's mode

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
        with self._connect() as conn:  # counted by SQLite: a list of many notebooks never parses their JSON here
            rows = conn.execute(
                "SELECT id, title, created, updated, json_array_length(data, '$.cells'), "
                "json_array_length(data, '$.conversation') FROM notebooks WHERE search LIKE ? ESCAPE '\\' "
                "ORDER BY updated DESC LIMIT ?",
                (needle, limit),
            ).fetchall()
        out = [
            Summary(id=notebook_id, title=title, created=created, updated=updated, cells=cells or 0, messages=messages or 0)
            for notebook_id, title, created, updated, cells, messages in rows
        ]
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
                conn.execute(
                    "UPDATE notebooks SET title = ?, search = ?, data = ?, updated = ?, version = ? WHERE id = ?",
                    (saved.title, saved.search_text(), data, now, saved.version, saved.id),
                )
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


# ------------------------------------------------------------------------------------ the tool and schema library

LibraryKind = Literal["tool", "schema"]
_NAME_MAX = 64  # tool names (and response schema names) are at most 64 characters


class LibraryItem(BaseModel):
    """A tool or a response schema kept by name for later runs.

    `value` is a tool in the API's shape (`{"type": "function", "function": {name, …}}`) or a response
    schema as the API's `json_schema` object (`{"name", "schema", "strict"?, "description"?}`); `name` is
    read from it on every save, so the list always shows what the JSON says.
    """

    id: str = Field(default_factory=new_id)
    kind: LibraryKind
    name: str = ""
    value: dict[str, Any]
    created: float = Field(default_factory=time.time)
    updated: float = Field(default_factory=time.time)


def _value_name(kind: str, value: dict[str, Any]) -> str | None:
    source = value.get("function") if kind == "tool" else value
    if kind == "tool" and not isinstance(source, dict):
        source = value  # a bare function definition
    name = source.get("name") if isinstance(source, dict) else None
    return name if isinstance(name, str) else None


def _renamed(kind: str, value: dict[str, Any], name: str) -> dict[str, Any]:
    """`value` (copied) under another name, where its JSON keeps the name."""
    out = json.loads(json.dumps(value))
    if kind == "tool" and isinstance(out.get("function"), dict):
        out["function"]["name"] = name
    else:
        out["name"] = name
    return out


class Library:
    """The tool and schema library, in the notebook store's SQLite file (same migrations, same rules)."""

    def __init__(self, path: Path | str | None = None) -> None:
        self._store = NotebookStore(path)

    @property
    def path(self) -> Path:
        return self._store.path

    @staticmethod
    def _row(row: tuple[Any, ...]) -> LibraryItem | None:
        item_id, kind, name, data, created, updated = row
        try:
            return LibraryItem(id=item_id, kind=kind, name=name, value=json.loads(data), created=created, updated=updated)
        except (ValueError, ValidationError):
            return None  # an unreadable row is left alone, not shown

    def list(self, kind: LibraryKind | None = None) -> list[LibraryItem]:
        """Items of one kind (or all), by name; unreadable rows are skipped."""
        query = "SELECT id, kind, name, data, created, updated FROM library"
        args: tuple[Any, ...] = ()
        if kind is not None:
            query, args = query + " WHERE kind = ?", (kind,)
        with self._store._connect() as conn:
            rows = conn.execute(query + " ORDER BY kind DESC, lower(name), created", args).fetchall()
        return [item for item in map(self._row, rows) if item is not None]

    def get(self, item_id: str) -> LibraryItem | None:
        with self._store._connect() as conn:
            row = conn.execute("SELECT id, kind, name, data, created, updated FROM library WHERE id = ?", (item_id,)).fetchone()
        return self._row(row) if row is not None else None

    def save(self, item: LibraryItem) -> LibraryItem:
        """Insert or replace the item; its name is read from its value. Returns what was stored."""
        name = _value_name(item.kind, item.value)
        saved = item.model_copy(update={"name": name if name is not None else item.name, "updated": time.time()})
        with self._store._connect() as conn:
            conn.execute(
                "INSERT INTO library (id, kind, name, data, created, updated) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, name = excluded.name, data = excluded.data, "
                "updated = excluded.updated",
                (saved.id, saved.kind, saved.name, json.dumps(saved.value, ensure_ascii=False), saved.created, saved.updated),
            )
        return saved

    @staticmethod
    def _free_name(conn: sqlite3.Connection, kind: str, stem: str, tails: Iterator[str]) -> str:
        """The first of `stem + tail` (cut to 64 characters) that no item of `kind` is called."""
        taken = {row[0] for row in conn.execute("SELECT name FROM library WHERE kind = ?", (kind,))}
        for tail in tails:
            candidate = stem[: _NAME_MAX - len(tail)] + tail
            if candidate not in taken:
                return candidate
        raise StoreError(f"No free name for {stem!r} in the library.")  # pragma: no cover - 10,000 copies

    def add(self, kind: LibraryKind, value: dict[str, Any]) -> LibraryItem:
        """A new item; a name already used by an item of the same kind gets a number (`get_weather_2`)."""
        name = _value_name(kind, value) or ("tool" if kind == "tool" else "response")
        with self._store._connect() as conn:
            free = self._free_name(conn, kind, name, iter(["", *(f"_{n}" for n in range(2, 10_000))]))
        if free != name:
            value = _renamed(kind, value, free)
        return self.save(LibraryItem(kind=kind, name=free, value=value))

    def duplicate(self, item_id: str) -> LibraryItem | None:
        """A copy under a new id and a free name (`get_weather_copy`, `get_weather_copy2`…); None if it is gone."""
        item = self.get(item_id)
        if item is None:
            return None
        with self._store._connect() as conn:
            name = self._free_name(conn, item.kind, item.name, (f"_copy{n if n > 1 else ''}" for n in range(1, 10_000)))
        now = time.time()
        copy = LibraryItem(kind=item.kind, name=name, value=_renamed(item.kind, item.value, name), created=now, updated=now)
        return self.save(copy)

    def delete(self, item_id: str) -> LibraryItem | None:
        """Remove an item; returns it, so the page can offer Undo (`restore`)."""
        item = self.get(item_id)
        with self._store._connect() as conn:
            conn.execute("DELETE FROM library WHERE id = ?", (item_id,))
        return item

    def restore(self, item: LibraryItem) -> LibraryItem:
        """Put a deleted item back as it was (same id, name and times)."""
        with self._store._connect() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO library (id, kind, name, data, created, updated) VALUES (?, ?, ?, ?, ?, ?)",
                (item.id, item.kind, item.name, json.dumps(item.value, ensure_ascii=False), item.created, item.updated),
            )
        return item
