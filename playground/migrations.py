"""The store's schema migrations: an ordered list, each registered by `@migration` where it is declared.

After simonw/llm's `migrations.py`. A migration's name (its function's) is recorded in the database when it
is applied, so a name never changes and a new migration goes at the end with the next number. Each builds
the tables of its own time (the frozen Table objects below, never `store_schema`'s), so an old database
and a new one end with the same schema on SQLite and on PostgreSQL. `Database` applies them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from sqlalchemy import (
    Column,
    Connection,
    Double,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    delete,
    literal,
    select,
    update,
)

from playground.notebook import Cell, ChatMessage, Notebook, Timings, new_cell_id, safe_base_url

__all__ = ["MIGRATIONS", "Migration", "migration"]

Migration = Callable[[Connection], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    """Register `fn` as the next migration (in the order of declaration)."""
    MIGRATIONS.append(fn)
    return fn


_drafts_v1 = Table(
    "drafts",
    MetaData(),
    Column("id", Text, primary_key=True),
    Column("data", Text, nullable=False),
    Column("updated", Double, nullable=False),
)

_notebooks_v2 = Table(
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
Index("notebooks_updated", _notebooks_v2.c.updated.desc())

_library_v4 = Table(
    "library",
    MetaData(),
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("data", Text, nullable=False),
    Column("created", Double, nullable=False),
    Column("updated", Double, nullable=False),
)
Index("library_kind_name", _library_v4.c.kind, _library_v4.c.name)

_cells_v5 = Table(
    "cells",
    MetaData(),
    Column("notebook_id", Text, primary_key=True),
    Column("id", Text, primary_key=True),
    Column("position", Integer, nullable=False),
    Column("digest", Text, nullable=False),
    Column("data", Text, nullable=False),
)

_shares_v6 = Table(
    "shares",
    MetaData(),
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("notebook_id", Text, nullable=False),
    Column("data", Text, nullable=False),
    Column("created", Double, nullable=False),
    Column("revoked", Double, nullable=True),
)
Index("shares_created", _shares_v6.c.created.desc())


@migration
def _m001_drafts(conn: Connection) -> None:
    """One draft per page visit, as the first versions kept them."""
    _drafts_v1.create(conn, checkfirst=True)  # the first versions made it without recording a migration


@migration
def _m002_notebooks(conn: Connection) -> None:
    """Notebooks: a row each, with what lists and searches read beside the JSON."""
    _notebooks_v2.create(conn)


@migration
def _m003_drafts_to_notebooks(conn: Connection) -> None:
    """Every draft of the first versions becomes a notebook with the same id; empty drafts are dropped."""
    d = _drafts_v1
    for draft_id, data, updated in conn.execute(select(d.c.id, d.c.data, d.c.updated)).all():
        try:
            notebook = _notebook_from_draft(draft_id, json.loads(data), updated)
        except (ValueError, ValidationError, TypeError, KeyError, AttributeError):
            continue  # an unreadable draft stays in the drafts table, untouched
        if not notebook.is_empty():
            notebook = notebook.model_copy(update={"title": notebook.title_from_conversation()})
            conn.execute(
                _notebooks_v2.insert().values(
                    id=notebook.id,
                    title=notebook.title,
                    search=notebook.search_text(),
                    data=notebook.clean().model_dump_json(),
                    created=notebook.created,
                    updated=notebook.updated,
                    version=notebook.version,
                )
            )
        conn.execute(delete(d).where(d.c.id == draft_id))


@migration
def _m004_library(conn: Connection) -> None:
    """The tool and schema library: named tools and response schemas, kept apart from any notebook."""
    _library_v4.create(conn)


@migration
def _m005_cells(conn: Connection) -> None:
    """Each cell a row of its own (so a save writes only the cells that changed); a notebook's JSON keeps the rest.

    A cell without an id, or with one an earlier cell of its notebook has, gets a new one. A notebook whose JSON is
    not an object with a list of cells stays as it is (it was unreadable before, and still is)."""
    _cells_v5.create(conn)
    n = _notebooks_v2
    for (notebook_id,) in conn.execute(select(n.c.id)).all():
        data = conn.execute(select(n.c.data).where(n.c.id == notebook_id)).scalar_one()  # one notebook in memory at a time
        try:
            notebook = json.loads(data)
        except ValueError:
            continue
        if not isinstance(notebook, dict) or not isinstance(notebook.get("cells", []), list):
            continue
        rows, seen = [], set()
        for position, cell in enumerate(notebook.pop("cells", [])):
            if isinstance(cell, dict) and (not isinstance(cell.get("id"), str) or cell["id"] in seen):
                cell = cell | {"id": new_cell_id()}
            cell_id = cell["id"] if isinstance(cell, dict) else new_cell_id()
            seen.add(cell_id)
            text = json.dumps(cell, ensure_ascii=False)
            digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
            rows.append({"notebook_id": notebook_id, "id": cell_id, "position": position, "data": text, "digest": digest})
        if rows:
            conn.execute(_cells_v5.insert(), rows)
        conn.execute(update(n).where(n.c.id == notebook_id).values(data=json.dumps(notebook, ensure_ascii=False)))


@migration
def _m006_shares(conn: Connection) -> None:
    """Read-only links: a frozen snapshot of a notebook or a comparison each, in a table of their own."""
    _shares_v6.create(conn)


_prices_v7 = Table(
    "prices",
    MetaData(),
    Column("backend", Text, primary_key=True),
    Column("model", Text, primary_key=True),
    Column("data", Text, nullable=False),
    Column("updated", Double, nullable=False),
)


@migration
def _m007_prices(conn: Connection) -> None:
    """Prices per model that the person set (dollars per million tokens), kept apart from any notebook."""
    _prices_v7.create(conn)


_images_v8 = Table(
    "images",
    MetaData(),
    Column("hash", Text, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)


@migration
def _m008_images(conn: Connection) -> None:
    """Images in messages, kept once each by content hash; notebooks and runs refer to them (`images.pack`)."""
    _images_v8.create(conn)


_image_refs_v9 = Table(
    "image_refs",
    MetaData(),
    Column("kind", Text, primary_key=True),
    Column("owner", Text, primary_key=True),
    Column("item", Text, primary_key=True),
    Column("hash", Text, primary_key=True),
)
Index("image_refs_hash", _image_refs_v9.c.hash)
_IMAGE_REF_V9 = re.compile(r"playground-image:sha256:([0-9a-f]{64})")  # what `images.pack` left in a row's JSON


@migration
def _m009_image_refs(conn: Connection) -> None:
    """Which row refers to which kept image, so a save compares references without reading the JSON it overwrites and
    a sweep keeps the images found there; filled from the notebook, cell and share rows stored so far (one row's JSON
    in memory at a time)."""
    _image_refs_v9.create(conn)
    n, c, s = _notebooks_v2, _cells_v5, _shares_v6
    sources = (
        ("notebook", n, (n.c.id, literal(""))),
        ("cell", c, (c.c.notebook_id, c.c.id)),
        ("share", s, (s.c.id, literal(""))),
    )
    for kind, table, (owner, item) in sources:
        found = table.c.data.contains("playground-image:sha256:")
        for key in conn.execute(select(owner, item).where(found)).all():
            data = conn.execute(select(table.c.data).where(owner == key[0], item == key[1])).scalar_one()
            rows = [{"kind": kind, "owner": key[0], "item": key[1], "hash": h} for h in set(_IMAGE_REF_V9.findall(data))]
            if rows:
                conn.execute(_image_refs_v9.insert(), rows)


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
