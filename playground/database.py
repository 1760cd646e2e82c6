"""Where the store lives: `Database` (the URL, a shared engine per process, one transaction per `connect`, migrations).

One person: a SQLite file under `PLAYGROUND_DATA_DIR` (the default), created readable by its owner only.
A team: PostgreSQL (psycopg 3) when `PLAYGROUND_DATABASE_URL` is set, shared by any number of app
processes. Both go through SQLAlchemy Core with the same statements; every operation is one short
transaction on a connection of its own (Streamlit runs sessions on threads). `NotebookStore` and
`Library` each hold a `Database`; it holds only where, so it is safe to share between sessions.

Before its first statement, a connection applies the migrations this process has not seen applied
(`playground.migrations`), each once and recorded, by whichever process comes first (SQLite:
`BEGIN IMMEDIATE`; PostgreSQL: an advisory lock). A database that records a migration this code does
not know was written by a newer version: it is refused, untouched.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, NullPool, Table, create_engine, event, func, inspect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from playground import store_schema as schema
from playground.errors import StoreError
from playground.migrations import MIGRATIONS

__all__ = ["DATABASE_URL_ENV", "Database", "NewerSchemaError", "database_url", "default_path", "upsert"]

DATABASE_URL_ENV = "PLAYGROUND_DATABASE_URL"
_DB_ERRORS = (SQLAlchemyError, sqlite3.Error, psycopg.Error)
_MIGRATION_LOCK = 0x706C6179  # PostgreSQL advisory lock key ("play"): one process migrates at a time


class NewerSchemaError(StoreError):
    """The database was migrated by a newer playground; this one leaves it as it is."""


def default_path() -> Path:
    """The store file under `PLAYGROUND_DATA_DIR` (default ./data/), so tests never touch real data."""
    return Path(os.environ.get("PLAYGROUND_DATA_DIR") or "data") / "playground.sqlite3"


def database_url() -> str | None:
    """`PLAYGROUND_DATABASE_URL` (a team's PostgreSQL), or None for the SQLite file of `default_path`."""
    return os.environ.get(DATABASE_URL_ENV, "").strip() or None


def upsert(conn: Connection, table: Table) -> Any:
    """`INSERT … ON CONFLICT` in the connection's dialect (the same SQL on both, built by each dialect)."""
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)


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
    # No pool: a connection per operation, so no file stays open between operations.
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


# ------------------------------------------------------------------------------------ the database


class Database:
    """SQLite (a file path) or PostgreSQL (a URL); holds only where, so it is safe to share between sessions.

    `Database()` opens `PLAYGROUND_DATABASE_URL` when set, else the SQLite file of `default_path()`.
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
        """Close this database's pooled connections in this process (tests, shutdown); it opens again on use."""
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
    def connect(self) -> Iterator[Connection]:
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
                f"with {', '.join(unknown)}); this one knows version {len(MIGRATIONS)} and leaves it untouched. "
                "Run the newer playground, or point this one at another store."
            )
