"""Read-only links: a frozen snapshot of a notebook, or of one of its comparisons, kept in the store under an
unguessable id (`?view=<id>`), listed, and revocable.

A snapshot is taken when the link is made: later edits to the notebook never reach it. It holds what the page
shows (the conversation, every run with its answer and charts' data, the comparisons), never a key or a
credentialed URL (`Notebook.clean`). Revoking keeps only the row's title and dates, so the link can say it was
revoked; the snapshot itself is deleted.

A snapshot's images are kept as the notebook's are: once each in the images table, by content hash
(`store.keep_images`), so sharing a notebook again does not copy its images; a live snapshot's references are
recorded beside it (`store.refer_to_images`), so the store's image sweep keeps them, and revoking a link sweeps the
images only it showed.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy import select, update

from playground import store_schema as schema
from playground.errors import StoreError
from playground.notebook import Notebook, conversation_from_json
from playground.store import NotebookStore, forget_images, keep_images, refer_to_images, restore_images

__all__ = ["Share", "ShareKind", "Shares", "new_share_id", "valid_share_id"]

ShareKind = Literal["notebook", "comparison"]
_ID = re.compile(r"[A-Za-z0-9_-]{22}")


def new_share_id() -> str:
    """128 random bits, URL-safe: a link nobody can guess."""
    return secrets.token_urlsafe(16)


def valid_share_id(value: object) -> bool:
    """Only ids shaped like `new_share_id()`'s are looked up (a URL is user input)."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


class Share(BaseModel):
    """A read-only link: what it shows (`notebook`, None once revoked or when only listed) and when it was made."""

    id: str
    kind: ShareKind
    title: str
    notebook_id: str
    created: float
    revoked: float | None = None
    notebook: Notebook | None = None


def _comparison_snapshot(notebook: Notebook, comparison_id: str) -> Notebook:
    """A notebook holding only that comparison and the conversation it asked (its base request's messages)."""
    data = next((c for c in notebook.comparisons if c.get("id") == comparison_id), None)
    if data is None:
        raise StoreError("That comparison is not in this notebook any more.")
    messages = (data.get("base_body") or {}).get("messages") or []
    try:
        conversation, _ = conversation_from_json(json.dumps(messages))
    except ValueError:
        conversation = []
    return Notebook(id=notebook.id, title=notebook.title, named=True, conversation=conversation, comparisons=[data])


class Shares:
    """The read-only links in the store's database (same migrations as the notebooks).

    `Shares()` opens `PLAYGROUND_DATABASE_URL` when set, else the SQLite file of `default_path()`.
    """

    def __init__(self, path: Path | str | None = None, *, url: str | None = None) -> None:
        self.store = NotebookStore(path, url=url)  # the same database: its images table and sweep
        self.database = self.store.database

    def _add(self, kind: ShareKind, source: Notebook, snapshot: Notebook) -> Share:
        frozen = snapshot.clean().model_copy(update={"version": 0})
        share = Share(id=new_share_id(), kind=kind, title=source.title, notebook_id=source.id, created=time.time())
        with self.database.connect() as conn:
            data, found = keep_images(conn, frozen.model_dump_json())
            conn.execute(schema.shares.insert().values(**share.model_dump(exclude={"notebook"}), data=data))
            refer_to_images(conn, "share", share.id, {"": found})
        return share.model_copy(update={"notebook": frozen})

    def share_notebook(self, notebook: Notebook) -> Share:
        """A link to the notebook as it is now: conversation, runs and comparisons."""
        return self._add("notebook", notebook, notebook.model_copy(deep=True))

    def share_comparison(self, notebook: Notebook, comparison_id: str) -> Share:
        """A link to one comparison of the notebook as it is now, with the conversation it asked."""
        return self._add("comparison", notebook, _comparison_snapshot(notebook, comparison_id))

    def get(self, share_id: object) -> Share | None:
        """The link with its snapshot (none once revoked); None for an id that was never made here."""
        if not valid_share_id(share_id):
            return None
        s = schema.shares
        with self.database.connect() as conn:
            row = conn.execute(select(s).where(s.c.id == share_id)).mappings().first()
            if row is None:
                return None
            values = dict(row)
            data = restore_images(conn, [values.pop("data")])[0]
        if values["revoked"] is not None:
            return Share(**values)
        try:
            return Share(**values, notebook=Notebook.model_validate_json(data))
        except ValidationError as exc:
            raise StoreError(f"The shared view {share_id} could not be read: {exc.error_count()} problem(s)") from exc

    def list(self, limit: int = 200) -> list[Share]:
        """Every link made here, newest first, without their snapshots."""
        s = schema.shares
        with self.database.connect() as conn:
            rows = conn.execute(
                select(s.c.id, s.c.kind, s.c.title, s.c.notebook_id, s.c.created, s.c.revoked)
                .order_by(s.c.created.desc())
                .limit(limit)
            ).mappings()
            return [Share(**row) for row in rows]

    def revoke(self, share_id: str) -> bool:
        """End the link: its snapshot is deleted, and opening it says it was revoked. False when it was not live."""
        s = schema.shares
        with self.database.connect() as conn:
            live = s.c.id == share_id, s.c.revoked.is_(None)
            done = conn.execute(update(s).where(*live).values(revoked=time.time(), data="")).rowcount == 1
            shown = forget_images(conn, ("share",), share_id) if done else set()
        self.store.sweep_after(shown)
        return done
