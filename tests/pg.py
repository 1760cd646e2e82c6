"""A real PostgreSQL for the store's tests, started by the tests themselves in a temporary folder.

Debian's `postgresql` package (`.ci/run` installs it) puts `initdb` and `pg_ctl` under
/usr/lib/postgresql/<version>/bin. PostgreSQL refuses to run as root, so when the tests run as root
(CI does) the cluster belongs to the `postgres` user (made by the package) or else `nobody`, and
its folder is made directly under the system temp folder (pytest's are root-only). One server per
test process, on a free 127.0.0.1 port, fsync off; every test gets a database of its own.
Missing binaries are a failure with the install command, never a skip: CI installs them.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shlex
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

import psycopg

from playground.library import Library
from playground.shares import Shares
from playground.store import NotebookStore
from tests.processes import free_port

__all__ = ["Backend", "PostgresServer", "find_bin_dir", "postgres_server"]

INSTALL_HINT = "install Debian's PostgreSQL: apt-get update && apt-get install -y postgresql"


def find_bin_dir() -> Path:
    """The folder holding initdb and pg_ctl: the newest /usr/lib/postgresql/*/bin, else the PATH's."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0
    )
    for folder in reversed(versions):
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    raise RuntimeError(
        f"PostgreSQL's initdb and pg_ctl were not found (looked in /usr/lib/postgresql/*/bin and PATH): {INSTALL_HINT}"
    )


def _run_as() -> str | None:
    """The user to run PostgreSQL as when we are root (it refuses root); None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("Running as root, and there is neither a 'postgres' nor a 'nobody' user to run PostgreSQL as.")


class PostgresServer:
    """A throw-away cluster: `initdb` + `pg_ctl start`; `url(db)` for SQLAlchemy, `new_database()` per test."""

    def __init__(self) -> None:
        self.bin = find_bin_dir()
        self.user = _run_as()
        self.folder = Path(tempfile.mkdtemp(prefix="playground-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = 0
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self._initdb()
        for _ in range(5):  # a free port can be taken between asking and starting: try another
            self.port = free_port()
            if self._start():
                self._watch()
                return
        raise RuntimeError(f"PostgreSQL did not start; its log says:\n{self._log_tail()}")

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.user, "--", *args] if self.user else list(args)

    def _initdb(self) -> None:
        done = subprocess.run(
            self._cmd(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
            + ["--no-locale", "--no-sync"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")

    def _start(self) -> bool:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.folder} -F -c max_connections=300 -c full_page_writes=off"
        done = subprocess.run(
            self._cmd(
                str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options, "start"
            ),
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done.returncode == 0

    def _watch(self) -> None:
        """Stop the server and remove its folder when this process dies without running atexit (killed, timed out)."""
        stop = " ".join(
            shlex.quote(a) for a in self._cmd(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        )
        folder = shlex.quote(str(self.folder))
        script = f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 2; done; {stop} >/dev/null 2>&1; rm -rf {folder}"
        subprocess.Popen(["sh", "-c", script], start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return "(no log)"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh empty database; returns its URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(
            self._cmd(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


_server: PostgresServer | None = None
_lock = threading.Lock()


def postgres_server() -> PostgresServer:
    """The test process's one server, started on first use and stopped when the process exits."""
    global _server
    with _lock:
        if _server is None:
            _server = PostgresServer()
            atexit.register(_server.stop)
        return _server


class Backend:
    """One empty store database: new store objects on it, and plain SQL beside the store (to break or age it)."""

    def __init__(self, name: str, *, path: Path | None = None, url: str | None = None) -> None:
        self.name = name
        self.path = path
        self.url = url
        self.real = "REAL" if name == "sqlite" else "DOUBLE PRECISION"  # the float type of hand-written old tables

    def store(self) -> NotebookStore:
        return NotebookStore(self.path) if self.url is None else NotebookStore(url=self.url)

    def library(self) -> Library:
        return Library(self.path) if self.url is None else Library(url=self.url)

    def shares(self) -> Shares:
        return Shares(self.path) if self.url is None else Shares(url=self.url)

    def raw(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Run one statement (`?` placeholders) on a connection of its own, committed; returns the rows."""
        if self.url is None:
            assert self.path is not None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path)
            try:
                with conn:
                    rows = conn.execute(sql, params).fetchall()
                return rows
            finally:
                conn.close()
        dsn = self.url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as conn:
            cursor = conn.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    def dump(self) -> str:
        """Every row of every table as text: what a secret must never be part of."""
        if self.url is None:
            tables = [r[0] for r in self.raw("SELECT name FROM sqlite_master WHERE type = 'table'")]
        else:
            tables = [r[0] for r in self.raw("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return "\n".join(repr(self.raw(f'SELECT * FROM "{t}"')) for t in tables)

    def close(self) -> None:
        """Close this process's pooled connections to the database (each test has its own)."""
        self.store().dispose()
