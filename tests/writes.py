"""What the store writes, read from the statements it sends: `with written() as seen: …` then `seen.to("cells")`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


class Written:
    """The bytes of the parameters of every INSERT and UPDATE the store sent, by table."""

    def __init__(self) -> None:
        self.bytes: dict[str, int] = {}

    def record(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool) -> None:
        words = statement.split()
        verb = words[0].upper()
        if verb not in ("INSERT", "UPDATE"):
            return
        table = (words[2] if verb == "INSERT" else words[1]).strip('"')
        rows = parameters if executemany else [parameters]
        values = [v for row in rows for v in (row.values() if isinstance(row, dict) else row)]
        self.bytes[table] = self.bytes.get(table, 0) + sum(len(str(v).encode()) for v in values)

    def to(self, table: str) -> int:
        return self.bytes.get(table, 0)


@contextmanager
def written() -> Iterator[Written]:
    """Every INSERT and UPDATE any engine of this process sends while inside (the page runs in this process too)."""
    seen = Written()
    event.listen(Engine, "before_cursor_execute", seen.record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", seen.record)
