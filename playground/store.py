"""The page's draft (conversation, settings, runs) in SQLite, so a browser reload loses nothing.

A draft is keyed by a random id that lives in the page URL. Streamlit runs sessions on threads,
so every operation opens its own short-lived connection (WAL mode). Nothing secret is stored:
`make_draft` drops API keys and base URLs that carry credentials before a draft is built.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, ValidationError

from playground.errors import StoreError
from playground.response import Completion

__all__ = ["MAX_DRAFTS", "MAX_RUNS", "Draft", "DraftStore", "default_path", "make_draft", "new_draft_id",
           "restore_runs", "valid_draft_id"]

MAX_RUNS = 50  # newest runs kept per draft
MAX_DRAFTS = 500  # most recently saved drafts kept per store
SECRET_SETTINGS = frozenset({"api_key"})  # never stored, whatever a caller passes

_SCHEMA = """CREATE TABLE IF NOT EXISTS drafts (
    id TEXT PRIMARY KEY, data TEXT NOT NULL, updated REAL NOT NULL)"""


class Draft(BaseModel):
    """What the person made on the page: plain JSON data only (completions as their JSON dump)."""

    messages: list[dict[str, Any]] = Field(default_factory=list)
    settings: dict[str, Any] = Field(default_factory=dict)
    runs: list[dict[str, Any]] = Field(default_factory=list)


def new_draft_id() -> str:
    return secrets.token_hex(8)


def valid_draft_id(value: object) -> bool:
    """Only ids shaped like `new_draft_id()`'s are looked up (the URL is user input)."""
    return isinstance(value, str) and len(value) == 16 and all(c in "0123456789abcdef" for c in value)


def default_path() -> Path:
    """The store file under `PLAYGROUND_DATA_DIR` (default ./data/), so tests never touch real data."""
    return Path(os.environ.get("PLAYGROUND_DATA_DIR") or "data") / "playground.sqlite3"


def _safe_url(url: Any) -> str | None:
    """A base URL without user:password or query (where tokens hide); None when it had them."""
    if not isinstance(url, str) or not url:
        return None
    parts = urlsplit(url)
    if parts.username or parts.password or parts.query or parts.fragment:
        return None
    return url


def _clean_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in settings.items() if k not in SECRET_SETTINGS}
    if "base_url" in out:
        out["base_url"] = _safe_url(out["base_url"]) or ""
    return out


def _run_to_json(run: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in run.items() if k not in SECRET_SETTINGS}
    completion = out.get("completion")
    if isinstance(completion, Completion):
        out["completion"] = completion.model_dump(mode="json")
    out["base_url"] = _safe_url(out.get("base_url"))
    return out


def make_draft(messages: Sequence[Mapping[str, Any]], settings: Mapping[str, Any],
               runs: Sequence[Mapping[str, Any]]) -> Draft:
    """A storable draft from the page's state (runs newest first, bounded to MAX_RUNS)."""
    return Draft(messages=[dict(m) for m in messages], settings=_clean_settings(settings),
                 runs=[_run_to_json(r) for r in runs[:MAX_RUNS]])


def restore_runs(draft: Draft) -> list[dict[str, Any]]:
    """The draft's runs as the page keeps them: a `Completion` back in each finished run."""
    runs: list[dict[str, Any]] = []
    for stored in draft.runs:
        run = dict(stored)
        try:
            if run.get("completion") is not None:
                run["completion"] = Completion.model_validate(run["completion"])
        except ValidationError as exc:
            raise StoreError(f"A saved run could not be read back: {exc.error_count()} problem(s)") from exc
        run["partial"] = {int(k): v for k, v in (run.get("partial") or {}).items()}  # JSON made the keys str
        runs.append(run)
    return runs


class DraftStore:
    """Drafts in one SQLite file; holds only a path, so it is safe to share between sessions."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=5)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"Cannot open the draft store at {self.path}: {exc}") from exc
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA)
            with conn:
                yield conn
        except sqlite3.Error as exc:
            raise StoreError(f"The draft store at {self.path} failed: {exc}") from exc
        finally:
            conn.close()

    def load(self, draft_id: str) -> Draft | None:
        """The saved draft, or None when there is none under this id."""
        with self._connect() as conn:
            row = conn.execute("SELECT data FROM drafts WHERE id = ?", (draft_id,)).fetchone()
        if row is None:
            return None
        try:
            return Draft.model_validate_json(row[0])
        except ValidationError as exc:
            raise StoreError(f"The saved draft {draft_id} could not be read: {exc.error_count()} problem(s)") from exc

    def save(self, draft_id: str, draft: Draft) -> None:
        """Write the draft (runs bounded), and forget the oldest drafts beyond MAX_DRAFTS."""
        bounded = draft.model_copy(update={"runs": draft.runs[:MAX_RUNS],
                                           "settings": _clean_settings(draft.settings)})
        data = json.dumps(bounded.model_dump(mode="json"))
        with self._connect() as conn:
            conn.execute("INSERT INTO drafts (id, data, updated) VALUES (?, ?, ?) "
                         "ON CONFLICT(id) DO UPDATE SET data = excluded.data, updated = excluded.updated",
                         (draft_id, data, time.time()))
            conn.execute("DELETE FROM drafts WHERE id NOT IN "
                         "(SELECT id FROM drafts ORDER BY updated DESC LIMIT ?)", (MAX_DRAFTS,))
