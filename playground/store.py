"""Notebooks and the tool library in one database, so nothing a person made is lost to a reload, and nothing
secret is kept.

One person: a SQLite file under `PLAYGROUND_DATA_DIR` (the default), created readable by its owner only.
A team: PostgreSQL (psycopg 3) when `PLAYGROUND_DATABASE_URL` is set, shared by any number of app
processes. Both go through SQLAlchemy Core with the same statements; every operation is one short
transaction on a connection of its own (Streamlit runs sessions on threads).

The schema grows by an ordered list of named migrations, each applied once and recorded (after
simonw/llm), by whichever process comes first (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: an advisory
lock). The first versions of the playground kept one "draft" per page visit, and a migration turns
each into a notebook under the same id, so old `?draft=` links still open it. A database that
records a migration this code does not know was written by a newer version: it is refused, untouched.

Saving is optimistic: a notebook carries the `version` it was loaded at, and a save from an older
version is refused with `ConflictError` instead of overwriting what another tab or process saved
meanwhile (the version check and the write are one statement, so this holds across processes).
A deferred run's result is written with `finish_cell`, only while the stored cell is still pending,
so two processes polling the same request store one result. Notebooks are never evicted.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import psycopg
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Double,
    Engine,
    Index,
    Integer,
    MetaData,
    NullPool,
    Table,
    Text,
    case,
    cast,
    create_engine,
    delete,
    event,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from playground import store_schema as schema
from playground.errors import StoreError
from playground.notebook import Cell, ChatMessage, Notebook, Timings, new_id, safe_base_url

__all__ = [
    "DATABASE_URL_ENV",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "ConflictError",
    "DeletedError",
    "Finished",
    "Library",
    "LibraryItem",
    "NotebookStore",
    "NewerSchemaError",
    "Summary",
    "database_url",
    "default_path",
]

DATABASE_URL_ENV = "PLAYGROUND_DATABASE_URL"
_DB_ERRORS = (SQLAlchemyError, sqlite3.Error, psycopg.Error)


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


class NewerSchemaError(StoreError):
    """The database was migrated by a newer playground; this one leaves it as it is."""


def default_path() -> Path:
    """The store file under `PLAYGROUND_DATA_DIR` (default ./data/), so tests never touch real data."""
    return Path(os.environ.get("PLAYGROUND_DATA_DIR") or "data") / "playground.sqlite3"


def database_url() -> str | None:
    """`PLAYGROUND_DATABASE_URL` (a team's PostgreSQL), or None for the SQLite file of `default_path`."""
    return os.environ.get(DATABASE_URL_ENV, "").strip() or None


# ------------------------------------------------------------------------------------ migrations
# Each migration creates what existed at its time (its own Table objects, not store_schema's), so an
# old database and a new one end with the same schema on SQLite and on PostgreSQL.


def _m001_drafts(conn: Connection) -> None:
    drafts = Table("drafts", MetaData(), Column("id", Text, primary_key=True), Column("data", Text, nullable=False))
    drafts.append_column(Column("updated", Double, nullable=False))
    drafts.create(conn, checkfirst=True)  # the first versions made it without recording a migration


def _m002_notebooks(conn: Connection) -> None:
    notebooks = Table(
        "notebooks",
        MetaData(),
        Column("id", Text, primary_key=True),
        Column("title", Text, nullable=False),
        Column("search", Text, nullable=False),
        Column("data", Text, nullable=False),
        Column("created", Double, nullable=False),
        Column("updated", Double, nullable=False),
        Column("version", Integer, nullable=False),
    )
    Index("notebooks_updated", notebooks.c.updated.desc())
    notebooks.create(conn)


def _m003_drafts_to_notebooks(conn: Connection) -> None:
    """Every draft of the first versions becomes a notebook with the same id; empty drafts are dropped."""
    d = schema.drafts
    for draft_id, data, updated in conn.execute(select(d.c.id, d.c.data, d.c.updated)).all():
        try:
            notebook = _notebook_from_draft(draft_id, json.loads(data), updated)
        except (ValueError, ValidationError, TypeError, KeyError, AttributeError):
            continue  # an unreadable draft stays in the drafts table, untouched
        if not notebook.is_empty():
            _insert(conn, notebook.model_copy(update={"title": notebook.title_from_conversation()}))
        conn.execute(delete(d).where(d.c.id == draft_id))


def _m004_library(conn: Connection) -> None:
    """The tool and schema library: named tools and response schemas, kept apart from any notebook."""
    library = Table(
        "library",
        MetaData(),
        Column("id", Text, primary_key=True),
        Column("kind", Text, nullable=False),
        Column("name", Text, nullable=False),
        Column("data", Text, nullable=False),
        Column("created", Double, nullable=False),
        Column("updated", Double, nullable=False),
    )
    Index("library_kind_name", library.c.kind, library.c.name)
    library.create(conn)


MIGRATIONS: list[Callable[[Connection], None]] = [_m001_drafts, _m002_notebooks, _m003_drafts_to_notebooks, _m004_library]
SCHEMA_VERSION = len(MIGRATIONS)
_MIGRATION_LOCK = 0x706C6179  # PostgreSQL advisory lock key ("play"): one process migrates at a time


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


def _insert(conn: Connection, notebook: Notebook) -> None:
    conn.execute(schema.notebooks.insert().values(**_row(notebook)))


# ------------------------------------------------------------------------------------ engines

_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def _parse_url(url: str) -> URL:
    """A SQLAlchemy URL; `postgres://` and `postgresql://` mean psycopg 3 (the driver we install)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"{DATABASE_URL_ENV} is not a database URL: {exc}") from None
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(f"{DATABASE_URL_ENV} names {parsed.get_backend_name()!r}; the store runs on sqlite or postgresql.")
    return parsed


def _sqlite_engine(url: URL) -> Engine:
    # No pool: a connection per operation, as before, so no file stays open between operations.
    engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 10}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.isolation_level = None  # our own BEGIN below, not pysqlite's
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock up front: a version check and its write are atomic

    return engine


def _engine(url: URL) -> Engine:
    """One engine (and for PostgreSQL one pool) per database and process, shared by every session."""
    key = url.render_as_string(hide_password=False)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            if url.get_backend_name() == "sqlite":
                engine = _sqlite_engine(url)
            else:
                engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, hide_parameters=True)
            _ENGINES[key] = engine
        return engine


def _reason(exc: BaseException) -> str:
    """The driver's own message, without the statement or its parameters (which hold notebook text)."""
    orig = getattr(exc, "orig", None)
    lines = str(orig if orig is not None else exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


# ------------------------------------------------------------------------------------ the store


class Summary(BaseModel):
    """One line of the Notebooks page: enough to list and search without reading every notebook."""

    id: str
    title: str
    created: float
    updated: float
    cells: int
    messages: int


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
    """Notebooks in SQLite (a file path) or PostgreSQL (a URL); holds only where, so it is safe to share between sessions.

    `NotebookStore()` opens `PLAYGROUND_DATABASE_URL` when set, else the SQLite file of `default_path()`.
    """

    def __init__(self, path: Path | str | None = None, *, url: str | None = None) -> None:
        if url is None and path is None:
            url = database_url()
        if url is not None:
            self._url = _parse_url(url)
            self.path: Path | None = (
                Path(self._url.database) if self._url.get_backend_name() == "sqlite" and self._url.database else None
            )
        else:
            self.path = Path(path) if path is not None else default_path()
            self._url = URL.create("sqlite", database=str(self.path))
        self.location = str(self.path) if self.path is not None else self._url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        """The database kind: "sqlite" or "postgresql"."""
        return self._url.get_backend_name()

    def dispose(self) -> None:
        """Close this database's pooled connections in this process (tests, shutdown); the store opens again on use."""
        with _ENGINES_LOCK:
            engine = _ENGINES.pop(self._url.render_as_string(hide_password=False), None)
        if engine is not None:
            engine.dispose()

    def _create_private(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        elif self.path.stat().st_mode & 0o077:
            self.path.chmod(0o600)  # made by an earlier version with the umask's mode

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        """One transaction, after the migrations are checked (and applied when this process is first)."""
        try:
            self._create_private()
            conn = _engine(self._url).connect()
        except (OSError, *_DB_ERRORS) as exc:
            raise StoreError(f"Cannot open the notebook store at {self.location}: {_reason(exc)}") from exc
        try:
            with conn.begin():
                self._migrate(conn)
                yield conn
        except StoreError:
            raise
        except _DB_ERRORS as exc:
            raise StoreError(f"The notebook store at {self.location} failed: {_reason(exc)}") from exc
        finally:
            conn.close()

    def _migrate(self, conn: Connection) -> None:
        known = [m.__name__ for m in MIGRATIONS]
        done = self._applied(conn)
        if done is not None:
            self._refuse_newer(done)
            if set(known) <= done:
                return
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
            done = self._applied(conn)  # another process may have won
        if done is None:
            schema.migrations.create(conn, checkfirst=True)
            done = set()
        self._refuse_newer(done)
        for migration in MIGRATIONS:
            if migration.__name__ not in done:
                migration(conn)
                conn.execute(schema.migrations.insert().values(name=migration.__name__, applied=time.time()))

    @staticmethod
    def _applied(conn: Connection) -> set[str] | None:
        """The names of the applied migrations; None when there is no migrations table yet."""
        if not inspect(conn).has_table("migrations"):
            return None
        return set(conn.execute(select(schema.migrations.c.name)).scalars())

    def _refuse_newer(self, done: set[str]) -> None:
        unknown = sorted(done - {m.__name__ for m in MIGRATIONS})
        if unknown:
            raise NewerSchemaError(
                f"The notebook store at {self.location} was migrated by a newer playground (schema version {len(done)}, "
                f"with {', '.join(unknown)}); this one knows version {SCHEMA_VERSION} and leaves it untouched. "
                "Run the newer playground, or point this one at another store."
            )

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
        with self._connect() as conn:
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

    def list(self, search: str = "", limit: int = 200) -> list[Summary]:
        """Notebooks newest first, those whose title or message text contains `search` (case-insensitive)."""
        escaped = search.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        n = schema.notebooks
        with self._connect() as conn:  # counted by the database: a list of many notebooks never parses their JSON here
            query = (
                select(n.c.id, n.c.title, n.c.created, n.c.updated, self._count(conn, "cells"), self._count(conn, "conversation"))
                .where(n.c.search.like(f"%{escaped}%", escape="\\"))
                .order_by(n.c.updated.desc())
                .limit(limit)
            )
            rows = conn.execute(query).all()
        return [
            Summary(id=notebook_id, title=title, created=created, updated=updated, cells=cells or 0, messages=messages or 0)
            for notebook_id, title, created, updated, cells, messages in rows
        ]

    # -- writing ---------------------------------------------------------------------------------

    def save(self, notebook: Notebook) -> Notebook:
        """Write the notebook if nobody saved it since it was loaded; returns it with its new version.

        Raises ConflictError when the stored version is not `notebook.version` (another tab or process saved), and
        DeletedError when a notebook that was saved before (`version` > 0) is no longer stored.
        """
        saved = notebook.clean().model_copy(update={"updated": time.time(), "version": notebook.version + 1})
        n = schema.notebooks
        with self._connect() as conn:
            stored = conn.execute(select(n.c.version).where(n.c.id == notebook.id).with_for_update()).scalar()
            if stored is None and notebook.version > 0:
                raise DeletedError(notebook.id)
            if stored is None:
                insert = _upsert(conn, n).values(**_row(saved)).on_conflict_do_nothing(index_elements=["id"]).returning(n.c.id)
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
        with self._connect() as conn:
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
        with self._connect() as conn:
            conn.execute(delete(schema.notebooks).where(schema.notebooks.c.id == notebook_id))
        return notebook

    def restore(self, notebook: Notebook) -> Notebook:
        """Put a deleted notebook back, as it was."""
        with self._connect() as conn:
            conn.execute(delete(schema.notebooks).where(schema.notebooks.c.id == notebook.id))
            _insert(conn, notebook)
        return notebook


def _upsert(conn: Connection, table: Table) -> Any:
    """`INSERT … ON CONFLICT` in the connection's dialect (the same SQL on both, built by each dialect)."""
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)


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
    """The tool and schema library, in the notebook store's database (same migrations, same rules)."""

    def __init__(self, path: Path | str | None = None, *, url: str | None = None) -> None:
        self._store = NotebookStore(path, url=url)

    @property
    def path(self) -> Path | None:
        return self._store.path

    @staticmethod
    def _values(item: LibraryItem) -> dict[str, Any]:
        return {
            "id": item.id,
            "kind": item.kind,
            "name": item.name,
            "data": json.dumps(item.value, ensure_ascii=False),
            "created": item.created,
            "updated": item.updated,
        }

    def _put(self, item: LibraryItem, columns: tuple[str, ...]) -> None:
        """Insert the item, or update `columns` of the one stored under its id."""
        with self._store._connect() as conn:
            stmt = _upsert(conn, schema.library).values(**self._values(item))
            conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={c: stmt.excluded[c] for c in columns}))

    @staticmethod
    def _row(row: tuple[Any, ...]) -> LibraryItem | None:
        item_id, kind, name, data, created, updated = row
        try:
            return LibraryItem(id=item_id, kind=kind, name=name, value=json.loads(data), created=created, updated=updated)
        except (ValueError, ValidationError):
            return None  # an unreadable row is left alone, not shown

    def list(self, kind: LibraryKind | None = None) -> list[LibraryItem]:
        """Items of one kind (or all), by name; unreadable rows are skipped."""
        t = schema.library
        query = select(t.c.id, t.c.kind, t.c.name, t.c.data, t.c.created, t.c.updated)
        if kind is not None:
            query = query.where(t.c.kind == kind)
        with self._store._connect() as conn:
            rows = conn.execute(query.order_by(t.c.kind.desc(), func.lower(t.c.name), t.c.created)).all()
        return [item for item in map(self._row, rows) if item is not None]

    def get(self, item_id: str) -> LibraryItem | None:
        with self._store._connect() as conn:
            t = schema.library
            row = conn.execute(
                select(t.c.id, t.c.kind, t.c.name, t.c.data, t.c.created, t.c.updated).where(t.c.id == item_id)
            ).first()
        return self._row(tuple(row)) if row is not None else None

    def save(self, item: LibraryItem) -> LibraryItem:
        """Insert or replace the item; its name is read from its value. Returns what was stored."""
        name = _value_name(item.kind, item.value)
        saved = item.model_copy(update={"name": name if name is not None else item.name, "updated": time.time()})
        self._put(saved, ("kind", "name", "data", "updated"))
        return saved

    @staticmethod
    def _free_name(conn: Connection, kind: str, stem: str, tails: Iterator[str]) -> str:
        """The first of `stem + tail` (cut to 64 characters) that no item of `kind` is called."""
        t = schema.library
        taken = set(conn.execute(select(t.c.name).where(t.c.kind == kind)).scalars())
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
            conn.execute(delete(schema.library).where(schema.library.c.id == item_id))
        return item

    def restore(self, item: LibraryItem) -> LibraryItem:
        """Put a deleted item back as it was (same id, name and times)."""
        self._put(item, ("kind", "name", "data", "created", "updated"))
        return item
