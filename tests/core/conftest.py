"""`backend`: the store's tests run once on a SQLite file and once on a real PostgreSQL (tests/pg.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg import Backend, postgres_server


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """An empty store database of each kind (PostgreSQL missing is an error, not a skip: CI installs it)."""
    if request.param == "sqlite":
        found = Backend("sqlite", path=tmp_path / "data" / "playground.sqlite3")
    else:
        found = Backend("postgresql", url=postgres_server().new_database())
    try:
        yield found
    finally:
        found.close()
