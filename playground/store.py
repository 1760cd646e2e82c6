"""The notebook store: notebooks saved whole, listed and searched, so nothing a person made is lost to a reload,
and nothing secret is kept.

Saving is optimistic: a notebook carries the `version` it was loaded at, and a save from an older
version is refused with `ConflictError` instead of overwriting what another tab or process saved
meanwhile (the version check and the write are one statement, so this holds across processes).
A deferred run's result is written with `finish_cell`, only while the stored cell is still pending,
so two processes polling the same request store one result. Notebooks are never evicted.
Where they are kept (SQLite or PostgreSQL) and the migrations: `playground.database`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import JSON, Connection, case, cast, delete, func, literal, select, update
from sqlalchemy.sql.elements import ColumnElement

from playground import store_schema as schema
from playground.database import Database, upsert
from playground.errors import StoreError
from playground.notebook import Cell, Notebook, preview, snippet

__all__ = ["ConflictError", "DeletedError", "Finished", "NotebookStore", "Summary"]


class ConflictError(StoreError):
    """The notebook was saved elsewhere (another tab or process) since it was loaded."""

    def __init__(self, notebook_id: str, stored_version: int) -> None:
        self.notebook_id = notebook_id
        self.stored_version = stored_version
        super().__init__(f"Notebook {notebook_id} was changed elsewhere (now version {stored_version}).")


class DeletedError(StoreError):
    """The notebook was deleted (another tab, the Notebooks page) since it was loaded: a save would bring it back."""

    def __init__(self, notebook_id: str) -> None:
        self.notebook_id = notebook_id
        super().__init__(f"Notebook {notebook_id} was deleted since it was opened.")


def _row(notebook: Notebook) -> dict[str, Any]:
    """The notebooks row of a notebook: its JSON without secrets, and what lists and searches read."""
    return {
        "id": notebook.id,
        "title": notebook.title,
        "search": notebook.search_text(),
        "data": notebook.clean().model_dump_json(),
        "created": notebook.created,
        "updated": notebook.updated,
        "version": notebook.version,
    }


def _found(conversation: str | None, wanted: str) -> tuple[str, str, str] | None:
    """Where `wanted` first occurs in a stored conversation's messages (`notebook.snippet`); None for a title-only match."""
    if not wanted or not conversation:
        return None
    try:
        messages = json.loads(conversation)
    except ValueError:
        return None
    for m in messages if isinstance(messages, list) else []:
        content = m.get("content") if isinstance(m, dict) else None
        if isinstance(content, str) and (found := snippet(content, wanted)) is not None:
            return found
    return None


def _insert(conn: Connection, notebook: Notebook) -> None:
    conn.execute(schema.notebooks.insert().values(**_row(notebook)))


# ------------------------------------------------------------------------------------ the store


class Summary(BaseModel):
    """One line of the Notebooks page: enough to list and search without reading every notebook."""

    id: str
    title: str
    created: float
    updated: float
    cells: int
    messages: int
    preview: list[str] = []  # the first lines of the conversation
    imported_from: str | None = None  # the file it was imported from (untrusted text)
    found: tuple[str, str, str] | None = None  # a search's match in a message: the words before, the match, the words after


class Finished(BaseModel):
    """What `finish_cell` found: the cell as stored now (the one result everyone sees) and the versions."""

    cell: Cell
    wrote: bool  # False: another process had already stored a result (or this cell is not pending there)
    version: int  # the stored notebook's version now
    base_version: int  # its version before this call: equal to the page's means nobody else saved meanwhile

    def apply(self, notebook: Notebook) -> None:
        """Put the stored cell into the page's notebook; adopt the new version when only this write came between."""
        for i, cell in enumerate(notebook.cells):
            if cell.id == self.cell.id:
                notebook.cells[i] = self.cell
        if self.wrote and notebook.version == self.base_version:
            notebook.version = self.version


def _may_finish(stored: Cell, result: Cell) -> bool:
    """A result is written once: over a pending cell, or over an error when it is the answer itself."""
    if result.status not in ("done", "error"):
        return False
    if stored.status == "pending":
        return True
    return stored.status == "error" and result.status == "done" and stored.request_id == result.request_id


class NotebookStore:
    """Notebooks in a `Database` (a SQLite file or a PostgreSQL URL); holds only where, so it is safe to share between sessions.

    `NotebookStore()` opens `PLAYGROUND_DATABASE_URL` when set, else the SQLite file of `default_path()`.
    """

    def __init__(self, path: Path | str | None = None, *, url: str | None = None) -> None:
        self.database = Database(path, url=url)

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None for PostgreSQL."""
        return self.database.path

    @property
    def location(self) -> str:
        """Where the notebooks are, for messages: the file, or the URL without its password."""
        return self.database.location

    @property
    def dialect(self) -> str:
        """The database kind: "sqlite" or "postgresql"."""
        return self.database.dialect

    def dispose(self) -> None:
        """Close this database's pooled connections in this process (tests, shutdown); the store opens again on use."""
        self.database.dispose()

    # -- reading ---------------------------------------------------------------------------------

    @staticmethod
    def _parse(notebook_id: str, data: str, version: int) -> Notebook:
        try:
            notebook = Notebook.model_validate_json(data)
        except ValidationError as exc:
            raise StoreError(f"The saved notebook {notebook_id} could not be read: {exc.error_count()} problem(s)") from exc
        return notebook.model_copy(update={"version": version})

    def load(self, notebook_id: str) -> Notebook | None:
        """The saved notebook, or None when there is none under this id."""
        n = schema.notebooks
        with self.database.connect() as conn:
            row = conn.execute(select(n.c.data, n.c.version).where(n.c.id == notebook_id)).first()
        return None if row is None else self._parse(notebook_id, row[0], row[1])

    @staticmethod
    def _count(conn: Connection, key: str) -> ColumnElement[Any]:
        """The length of the notebook JSON's array `key`, counted by the database (0 when it is not an array)."""
        data = schema.notebooks.c.data
        if conn.dialect.name == "sqlite":
            return func.json_array_length(data, f"$.{key}")
        member = cast(data, JSON)[key]
        return case((func.json_typeof(member) == "array", func.json_array_length(member)), else_=0)

    @staticmethod
    def _text(conn: Connection, *path: str | int) -> ColumnElement[Any]:
        """The text at `path` in the notebook JSON (e.g. "conversation", 0, "content"), read by the database; NULL when absent."""
        data = schema.notebooks.c.data
        if conn.dialect.name == "sqlite":
            return func.json_extract(data, "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path))
        return cast(data, JSON)[path].as_string()

    def list(self, search: str = "", limit: int = 200, preview_lines: int = 2) -> list[Summary]:
        """Notebooks newest first, those whose title or message text contains `search` (case-insensitive), each with the
        first lines of its conversation, the file it was imported from, and where `search` occurs in its messages."""
        wanted = search.strip()
        escaped = wanted.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        n = schema.notebooks
        with self.database.connect() as conn:  # read by the database: a list of many notebooks never parses their JSON here
            heads = [self._text(conn, "conversation", i, "content") for i in range(preview_lines + 1)]
            query = (
                select(
                    n.c.id,
                    n.c.title,
                    n.c.created,
                    n.c.updated,
                    self._count(conn, "cells"),
                    self._count(conn, "conversation"),
                    self._text(conn, "imported_from"),
                    self._text(conn, "conversation") if wanted else literal(None),
                    *heads,
                )
                .where(n.c.search.like(f"%{escaped}%", escape="\\"))
                .order_by(n.c.updated.desc())
                .limit(limit)
            )
            rows = conn.execute(query).all()
        return [
            Summary(
                id=notebook_id,
                title=title,
                created=created,
                updated=updated,
                cells=cells or 0,
                messages=messages or 0,
                preview=preview([h for h in firsts if isinstance(h, str)], preview_lines),
                imported_from=imported,
                found=_found(conversation, wanted),
            )
            for notebook_id, title, created, updated, cells, messages, imported, conversation, *firsts in rows
        ]

    # -- writing ---------------------------------------------------------------------------------

    def save(self, notebook: Notebook) -> Notebook:
        """Write the notebook if nobody saved it since it was loaded; returns it with its new version.

        Raises ConflictError when the stored version is not `notebook.version` (another tab or process saved), and
        DeletedError when a notebook that was saved before (`version` > 0) is no longer stored.
        """
        saved = notebook.clean().model_copy(update={"updated": time.time(), "version": notebook.version + 1})
        n = schema.notebooks
        with self.database.connect() as conn:
            stored = conn.execute(select(n.c.version).where(n.c.id == notebook.id).with_for_update()).scalar()
            if stored is None and notebook.version > 0:
                raise DeletedError(notebook.id)
            if stored is None:
                insert = upsert(conn, n).values(**_row(saved)).on_conflict_do_nothing(index_elements=["id"]).returning(n.c.id)
                if conn.execute(insert).first() is None:  # another process inserted it since our select
                    raise ConflictError(notebook.id, self._version(conn, notebook.id))
            elif stored != notebook.version:
                raise ConflictError(notebook.id, stored)
            else:
                row = _row(saved)
                written = conn.execute(
                    update(n)
                    .where(n.c.id == saved.id, n.c.version == notebook.version)
                    .values(**{k: row[k] for k in row if k != "id"})
                )
                if written.rowcount != 1:
                    raise ConflictError(notebook.id, self._version(conn, notebook.id))
        return saved

    @staticmethod
    def _version(conn: Connection, notebook_id: str) -> int:
        n = schema.notebooks
        return conn.execute(select(n.c.version).where(n.c.id == notebook_id)).scalar() or 0

    def finish_cell(self, notebook: Notebook, cell_id: str) -> Finished | None:
        """Store a deferred run's outcome (the page's `notebook.cell(cell_id)`, done or error) once.

        Written only when the stored cell is still pending (or holds an error and this is the answer): when
        two processes poll the same request, the first result stays and the second caller gets it back.
        Only that cell changes; the notebook's version goes up by one. None when the notebook or the cell
        is not stored yet (then a plain `save` stores it). Call `Finished.apply(notebook)` with the answer.
        """
        result = notebook.cell(cell_id)
        if result is None:
            return None
        n = schema.notebooks
        with self.database.connect() as conn:
            row = conn.execute(select(n.c.data, n.c.version).where(n.c.id == notebook.id).with_for_update()).first()
            if row is None:
                return None
            stored = self._parse(notebook.id, row[0], row[1])
            index = next((i for i, c in enumerate(stored.cells) if c.id == cell_id), None)
            if index is None:
                return None
            if not _may_finish(stored.cells[index], result):
                return Finished(cell=stored.cells[index], wrote=False, version=stored.version, base_version=stored.version)
            stored.cells[index] = result
            saved = stored.clean().model_copy(update={"updated": time.time(), "version": stored.version + 1})
            values = _row(saved)
            conn.execute(
                update(n)
                .where(n.c.id == notebook.id, n.c.version == stored.version)
                .values(data=values["data"], updated=values["updated"], version=saved.version)
            )
        return Finished(cell=saved.cells[index], wrote=True, version=saved.version, base_version=stored.version)

    def delete(self, notebook_id: str) -> Notebook | None:
        """Remove a notebook; returns it, so the page can offer Undo (`restore`)."""
        notebook = self.load(notebook_id)
        with self.database.connect() as conn:
            conn.execute(delete(schema.notebooks).where(schema.notebooks.c.id == notebook_id))
        return notebook

    def restore(self, notebook: Notebook) -> Notebook:
        """Put a deleted notebook back, as it was."""
        with self.database.connect() as conn:
            conn.execute(delete(schema.notebooks).where(schema.notebooks.c.id == notebook.id))
            _insert(conn, notebook)
        return notebook
