"""The notebook store: notebooks listed and searched, saved cell by cell, so nothing a person made is lost to a
reload, nothing secret is kept, and a save costs the same however many cells the notebook holds.

A notebook is a row (its title, conversation, settings: the header) and each of its cells a row of its own. A save
writes the header and only the cells that changed: it knows what a cell row holds from the row's digest and what
this process last wrote or read there (`_KnownCells`); anything it does not know for sure is written again.
Saving is optimistic: a notebook carries the `version` it was loaded at, and a save from an older
version is refused with `ConflictError` instead of overwriting what another tab or process saved
meanwhile (the version check and the writes are one transaction, so this holds across processes).
A deferred run's result is written with `finish_cell`, only while the stored cell is still pending,
so two processes polling the same request store one result. Notebooks are never evicted. Images in messages are
kept once each in their own table, by content hash, and the notebook and cell rows refer to them (`images.pack`);
which row refers to which image is written beside the row, in the same transaction, to the `image_refs` table, so a
save compares references without reading the JSON it overwrites. When a save, a finished run or a delete drops the
last reference to an image (no notebook, run or share names it), the image is deleted (`NotebookStore.sweep_images`,
an anti-join on `image_refs`); a process's first use of a database sweeps it whole.
Where they are kept (SQLite or PostgreSQL) and the migrations: `playground.database`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ValidationError
from sqlalchemy import JSON, Connection, bindparam, case, cast, delete, exists, func, literal, select, tuple_, update
from sqlalchemy.sql.elements import ColumnElement

from playground import images
from playground import store_schema as schema
from playground.database import Database, upsert
from playground.errors import StoreError
from playground.notebook import Cell, Notebook, preview, snippet
from playground.response import Completion

__all__ = [
    "ConflictError",
    "DeletedError",
    "Finished",
    "ImageReferrer",
    "NotebookStore",
    "Summary",
    "forget_images",
    "keep_images",
    "refer_to_images",
    "restore_images",
]

log = logging.getLogger(__name__)


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


_IMAGES_LOCK = 0x504C_494D  # PostgreSQL advisory lock: saves that refer to kept images share it, a sweep takes it alone
ImageReferrer = Literal["notebook", "cell", "share"]  # the kinds of row that refer to kept images (`image_refs.kind`)
_SWEPT: set[str] = set()  # the databases (by location) this process has swept whole since it started
_SWEPT_LOCK = threading.Lock()


def _guard_images(conn: Connection, *, alone: bool) -> None:
    """On PostgreSQL, make a sweep and the saves that refer to kept images wait for each other until commit, so a
    sweep never deletes an image that a save still being written refers to (SQLite writes one transaction at a time)."""
    if conn.dialect.name == "postgresql":
        lock = func.pg_advisory_xact_lock if alone else func.pg_advisory_xact_lock_shared
        conn.execute(select(lock(_IMAGES_LOCK)))


def keep_images(conn: Connection, text: str) -> tuple[str, set[str]]:
    """`text` (JSON) with its images kept once each in the images table, by content hash, and referred to there; and
    those hashes, for the row's `refer_to_images`."""
    packed, found = images.pack(text)
    if found:
        _guard_images(conn, alone=False)
        t = schema.images
        have = set(conn.execute(select(t.c.hash).where(t.c.hash.in_(list(found)))).scalars())
        missing = [{"hash": h, "data": data} for h, data in found.items() if h not in have]
        if missing:
            conn.execute(upsert(conn, t).on_conflict_do_nothing(index_elements=["hash"]), missing)
    return packed, set(found)


def refer_to_images(conn: Connection, kind: ImageReferrer, owner: str, rows: Mapping[str, set[str]]) -> set[str]:
    """Record that each row (`kind`, `owner`, item) of `rows` refers to exactly the images given (none for a row
    deleted), in the transaction that writes the rows; returns the images they referred to before and no longer do,
    to sweep once it commits."""
    if not rows:
        return set()
    r = schema.image_refs
    before: dict[str, set[str]] = {}
    query = select(r.c.item, r.c.hash).where(r.c.kind == kind, r.c.owner == owner, r.c.item.in_(list(rows)))
    for item, digest in conn.execute(query):
        before.setdefault(item, set()).add(digest)
    gone = [(item, h) for item, had in before.items() for h in had - rows[item]]
    new = [
        {"kind": kind, "owner": owner, "item": item, "hash": h}
        for item, now in rows.items()
        for h in now - before.get(item, set())
    ]
    if gone:
        conn.execute(delete(r).where(r.c.kind == kind, r.c.owner == owner, tuple_(r.c.item, r.c.hash).in_(gone)))
    if new:
        conn.execute(r.insert(), new)
    return {h for _, h in gone}


def forget_images(conn: Connection, kinds: tuple[ImageReferrer, ...], owner: str) -> set[str]:
    """Delete the references of every row of `kinds` under `owner` (their rows are being deleted); returns the images
    they referred to, to sweep once it commits."""
    r = schema.image_refs
    where = (r.c.kind.in_(kinds), r.c.owner == owner)
    dropped = set(conn.execute(select(r.c.hash).where(*where)).scalars())
    if dropped:
        conn.execute(delete(r).where(*where))
    return dropped


def restore_images(conn: Connection, texts: list[str]) -> list[str]:
    """Stored JSON texts with their images put back in (as the data URLs they were)."""
    wanted = set().union(*(images.references(t) for t in texts))
    if not wanted:
        return texts
    t = schema.images
    kept = {h: bytes(data) for h, data in conn.execute(select(t.c.hash, t.c.data).where(t.c.hash.in_(list(wanted))))}
    return [images.unpack(text, kept) for text in texts]


def _header(conn: Connection, notebook: Notebook) -> tuple[dict[str, Any], set[str]]:
    """The notebooks row of a (clean) notebook: its JSON without cells (images by reference), and what lists and
    searches read; and the images it refers to."""
    data, found = keep_images(conn, notebook.model_dump_json(exclude={"cells"}))
    row = {
        "id": notebook.id,
        "title": notebook.title,
        "search": notebook.search_text(),
        "data": data,
        "created": notebook.created,
        "updated": notebook.updated,
        "version": notebook.version,
    }
    return row, found


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


def _digest(data: str) -> str:
    return hashlib.blake2b(data.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class _Known(NamedTuple):
    digest: str  # of the row's data
    rest: str  # the digest of the cell's JSON without its completion
    completion: weakref.ref[Completion] | None  # the very completion object (completions are never changed in place)


class _KnownCells:
    """What this process last wrote to or read from each cell row, so a save can tell an unchanged cell without
    serialising it: a cell is unchanged when its row still has the digest remembered, its completion is the same object
    and the rest of it serialises the same. Bounded (least recently used go first); a cell it forgot is written again."""

    def __init__(self, limit: int = 20_000) -> None:
        self._limit = limit
        self._known: OrderedDict[tuple[str, str], _Known] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _rest(cell: Cell) -> str:
        """A digest of the cell without its completion: what it sent is digested once per cell (`Cell.sent`), so this
        does not grow with the conversation."""
        data = cell.__pydantic_serializer__.to_json(cell, exclude={"completion", "conversation", "body"})
        return hashlib.blake2b(data + cell.sent()[0].encode(), digest_size=16).hexdigest()

    def remember(self, notebook_id: str, cell: Cell, digest: str) -> None:
        completion = None if cell.completion is None else weakref.ref(cell.completion)
        known = _Known(digest, self._rest(cell), completion)
        with self._lock:
            self._known[(notebook_id, cell.id)] = known
            self._known.move_to_end((notebook_id, cell.id))
            while len(self._known) > self._limit:
                self._known.popitem(last=False)

    def unchanged(self, notebook_id: str, cell: Cell, digest: str) -> bool:
        """True when the row whose digest is `digest` holds exactly `cell` as it serialises now."""
        with self._lock:
            known = self._known.get((notebook_id, cell.id))
        if known is None or known.digest != digest:
            return False
        if known.completion is None:
            same = cell.completion is None
        else:  # a dead reference is None, which no completion is
            same = cell.completion is not None and known.completion() is cell.completion
        return same and known.rest == self._rest(cell)


_KNOWN = _KnownCells()


class _Stored(NamedTuple):
    position: int
    digest: str


def _write_cells(conn: Connection, notebook: Notebook) -> set[str]:
    """Make the notebook's cell rows hold its (clean) cells in order, writing only the rows that differ, and their
    image references; returns the images that the rows it overwrote or deleted referred to and no longer do."""
    if len({cell.id for cell in notebook.cells}) != len(notebook.cells):
        raise StoreError(f"Notebook {notebook.id} has two runs with the same id, so it cannot be saved.")
    c = schema.cells
    stored = {
        cell_id: _Stored(position, digest)
        for cell_id, position, digest in conn.execute(
            select(c.c.id, c.c.position, c.c.digest).where(c.c.notebook_id == notebook.id)
        )
    }
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    moved: list[dict[str, Any]] = []
    referring: dict[str, set[str]] = {}
    for position, cell in enumerate(notebook.cells):
        row = stored.pop(cell.id, None)
        if row is not None and _KNOWN.unchanged(notebook.id, cell, row.digest):
            if row.position != position:
                moved.append({"nid": notebook.id, "cell_id": cell.id, "position": position})
            continue
        data, referring[cell.id] = keep_images(conn, cell.model_dump_json())
        digest = _digest(data)
        _KNOWN.remember(notebook.id, cell, digest)
        values = {"position": position, "data": data, "digest": digest}
        if row is None:
            new.append({"notebook_id": notebook.id, "id": cell.id, **values})
        elif row.digest != digest or row.position != position:
            changed.append({"nid": notebook.id, "cell_id": cell.id, **values})
    if stored:
        conn.execute(delete(c).where(c.c.notebook_id == notebook.id, c.c.id.in_(list(stored))))
    if new:
        conn.execute(c.insert(), new)
    key = (c.c.notebook_id == bindparam("nid")) & (c.c.id == bindparam("cell_id"))
    if changed:
        conn.execute(
            update(c).where(key).values(position=bindparam("position"), data=bindparam("data"), digest=bindparam("digest")),
            changed,
        )
    if moved:
        conn.execute(update(c).where(key).values(position=bindparam("position")), moved)
    return refer_to_images(conn, "cell", notebook.id, referring | {cell_id: set() for cell_id in stored})


def _insert(conn: Connection, notebook: Notebook) -> None:
    header, found = _header(conn, notebook)
    conn.execute(schema.notebooks.insert().values(**header))
    refer_to_images(conn, "notebook", notebook.id, {"": found})
    _write_cells(conn, notebook)


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

    def _connect(self) -> AbstractContextManager[Connection]:
        """`database.connect()`, after this process's first sweep of the database (`_sweep_once`)."""
        self._sweep_once()
        return self.database.connect()

    def _sweep_once(self) -> None:
        """The first time this process uses a database, delete every image nothing refers to, including those an
        older version (before sweeps) or a failed sweep left; a failure is logged and tried again at the next use."""
        with _SWEPT_LOCK:
            if self.database.location in _SWEPT:
                return
            try:
                self.sweep_images()
            except StoreError as exc:
                log.warning("Unreferenced images were left in the store: %s", exc)
                return
            _SWEPT.add(self.database.location)

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
    def _parse(notebook_id: str, data: str, kind: type[Notebook] | type[Cell]) -> Any:
        try:
            return kind.model_validate_json(data)
        except ValidationError as exc:
            raise StoreError(f"The saved notebook {notebook_id} could not be read: {exc.error_count()} problem(s)") from exc

    def load(self, notebook_id: str) -> Notebook | None:
        """The saved notebook, or None when there is none under this id."""
        n, c = schema.notebooks, schema.cells
        with self._connect() as conn:
            row = conn.execute(select(n.c.data, n.c.updated, n.c.version).where(n.c.id == notebook_id)).first()
            if row is None:
                return None
            cells = conn.execute(select(c.c.data, c.c.digest).where(c.c.notebook_id == notebook_id).order_by(c.c.position)).all()
            header, *texts = restore_images(conn, [row.data, *(data for data, _ in cells)])
        notebook: Notebook = self._parse(notebook_id, header, Notebook)
        notebook = notebook.model_copy(update={"updated": row.updated, "version": row.version})
        notebook.cells = [self._parse(notebook_id, data, Cell) for data in texts]
        for cell, (_, digest) in zip(notebook.cells, cells, strict=True):
            _KNOWN.remember(notebook_id, cell, digest)
        return notebook

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
        n, c = schema.notebooks, schema.cells
        cells = select(func.count()).where(c.c.notebook_id == n.c.id).scalar_subquery()
        with self._connect() as conn:  # read by the database: a list of many notebooks never parses their JSON here
            heads = [self._text(conn, "conversation", i, "content") for i in range(preview_lines + 1)]
            query = (
                select(
                    n.c.id,
                    n.c.title,
                    n.c.created,
                    n.c.updated,
                    cells,
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

        Writes its header, and of its cells only those the store does not know to be stored as they are.
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
                header, found = _header(conn, saved)
                insert = upsert(conn, n).values(**header).on_conflict_do_nothing(index_elements=["id"]).returning(n.c.id)
                if conn.execute(insert).first() is None:  # another process inserted it since our select
                    raise ConflictError(notebook.id, self._version(conn, notebook.id))
            elif stored != notebook.version:
                raise ConflictError(notebook.id, stored)
            else:
                header, found = _header(conn, saved)
                written = conn.execute(
                    update(n)
                    .where(n.c.id == saved.id, n.c.version == notebook.version)
                    .values(**{k: header[k] for k in header if k != "id"})
                )
                if written.rowcount != 1:
                    raise ConflictError(notebook.id, self._version(conn, notebook.id))
            dropped = refer_to_images(conn, "notebook", saved.id, {"": found})
            dropped |= _write_cells(conn, saved)
        self.sweep_after(dropped)
        return saved

    @staticmethod
    def _version(conn: Connection, notebook_id: str) -> int:
        n = schema.notebooks
        return conn.execute(select(n.c.version).where(n.c.id == notebook_id)).scalar() or 0

    def finish_cell(self, notebook: Notebook, cell_id: str) -> Finished | None:
        """Store a deferred run's outcome (the page's `notebook.cell(cell_id)`, done or error) once.

        Written only when the stored cell is still pending (or holds an error and this is the answer): when
        two processes poll the same request, the first result stays and the second caller gets it back.
        Only that cell's row changes; the notebook's version goes up by one. None when the notebook or the cell
        is not stored yet (then a plain `save` stores it). Call `Finished.apply(notebook)` with the answer.
        """
        result = notebook.cell(cell_id)
        if result is None:
            return None
        n, c = schema.notebooks, schema.cells
        with self._connect() as conn:
            version = conn.execute(select(n.c.version).where(n.c.id == notebook.id).with_for_update()).scalar()
            if version is None:
                return None
            key = (c.c.notebook_id == notebook.id) & (c.c.id == cell_id)
            data = conn.execute(select(c.c.data).where(key)).scalar()
            if data is None:
                return None
            stored: Cell = self._parse(notebook.id, restore_images(conn, [data])[0], Cell)
            if not _may_finish(stored, result):
                return Finished(cell=stored, wrote=False, version=version, base_version=version)
            cell = result.clean()
            data, found = keep_images(conn, cell.model_dump_json())
            dropped = refer_to_images(conn, "cell", notebook.id, {cell_id: found})
            digest = _digest(data)
            _KNOWN.remember(notebook.id, cell, digest)
            conn.execute(update(c).where(key).values(data=data, digest=digest))
            conn.execute(update(n).where(n.c.id == notebook.id).values(updated=time.time(), version=version + 1))
        self.sweep_after(dropped)
        return Finished(cell=cell, wrote=True, version=version + 1, base_version=version)

    def delete(self, notebook_id: str) -> Notebook | None:
        """Remove a notebook; returns it, so the page can offer Undo (`restore`)."""
        notebook = self.load(notebook_id)
        with self._connect() as conn:
            dropped = self._remove(conn, notebook_id)
        self.sweep_after(dropped)
        return notebook

    def restore(self, notebook: Notebook) -> Notebook:
        """Put a deleted notebook back, as it was."""
        with self._connect() as conn:
            self._remove(conn, notebook.id)
            _insert(conn, notebook.clean())
        return notebook

    @staticmethod
    def _remove(conn: Connection, notebook_id: str) -> set[str]:
        """Delete the notebook's rows and their image references; returns the images they referred to."""
        n, c = schema.notebooks, schema.cells
        conn.execute(delete(c).where(c.c.notebook_id == notebook_id))
        conn.execute(delete(n).where(n.c.id == notebook_id))
        return forget_images(conn, ("notebook", "cell"), notebook_id)

    def sweep_after(self, dropped: set[str]) -> None:
        """Sweep after a write that has committed: a failure leaves the images for a later sweep and is logged, since
        what the person saved is stored."""
        try:
            self.sweep_images(dropped)
        except StoreError as exc:
            log.warning("Unreferenced images were left in the store: %s", exc)

    def sweep_images(self, candidates: set[str] | None = None) -> int:
        """Delete the kept images (of `candidates`, or all) that no notebook, run or share refers to (none in
        `image_refs`); returns how many.

        Saves, finished runs and deletes call it with the images their overwritten or deleted rows referred to."""
        if candidates is not None and not candidates:
            return 0
        i, r = schema.images, schema.image_refs
        unused = delete(i).where(~exists().where(r.c.hash == i.c.hash))
        if candidates is not None:
            unused = unused.where(i.c.hash.in_(sorted(candidates)))
        with self.database.connect() as conn:
            _guard_images(conn, alone=True)
            return conn.execute(unused).rowcount
