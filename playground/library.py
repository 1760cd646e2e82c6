"""The tool and schema library: tools and response schemas kept by name, apart from any notebook, in the store's database."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Connection, delete, func, select

from playground import store_schema as schema
from playground.database import Database, upsert
from playground.errors import StoreError
from playground.notebook import new_id

__all__ = ["Library", "LibraryItem", "LibraryKind"]

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
    """The tool and schema library, in the notebook store's database (same migrations, same rules).

    `Library()` opens `PLAYGROUND_DATABASE_URL` when set, else the SQLite file of `default_path()`.
    """

    def __init__(self, path: Path | str | None = None, *, url: str | None = None) -> None:
        self.database = Database(path, url=url)

    @property
    def path(self) -> Path | None:
        return self.database.path

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
        with self.database.connect() as conn:
            stmt = upsert(conn, schema.library).values(**self._values(item))
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
        with self.database.connect() as conn:
            rows = conn.execute(query.order_by(t.c.kind.desc(), func.lower(t.c.name), t.c.created)).all()
        return [item for item in map(self._row, rows) if item is not None]

    def get(self, item_id: str) -> LibraryItem | None:
        with self.database.connect() as conn:
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
        with self.database.connect() as conn:
            free = self._free_name(conn, kind, name, iter(["", *(f"_{n}" for n in range(2, 10_000))]))
        if free != name:
            value = _renamed(kind, value, free)
        return self.save(LibraryItem(kind=kind, name=free, value=value))

    def duplicate(self, item_id: str) -> LibraryItem | None:
        """A copy under a new id and a free name (`get_weather_copy`, `get_weather_copy2`…); None if it is gone."""
        item = self.get(item_id)
        if item is None:
            return None
        with self.database.connect() as conn:
            name = self._free_name(conn, item.kind, item.name, (f"_copy{n if n > 1 else ''}" for n in range(1, 10_000)))
        now = time.time()
        copy = LibraryItem(kind=item.kind, name=name, value=_renamed(item.kind, item.value, name), created=now, updated=now)
        return self.save(copy)

    def delete(self, item_id: str) -> LibraryItem | None:
        """Remove an item; returns it, so the page can offer Undo (`restore`)."""
        item = self.get(item_id)
        with self.database.connect() as conn:
            conn.execute(delete(schema.library).where(schema.library.c.id == item_id))
        return item

    def restore(self, item: LibraryItem) -> LibraryItem:
        """Put a deleted item back as it was (same id, name and times)."""
        self._put(item, ("kind", "name", "data", "created", "updated"))
        return item
