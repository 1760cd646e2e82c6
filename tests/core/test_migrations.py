"""playground.migrations: every migration declared is registered, once, in the order of its number, under the name
already recorded in existing databases (applying them, and refusing a newer schema, is tested in test_store.py)."""

from __future__ import annotations

import inspect
import re

from playground import migrations
from playground.migrations import MIGRATIONS

NAME = re.compile(r"_m(\d{3})_[a-z0-9_]+")
RELEASED = [
    "_m001_drafts",
    "_m002_notebooks",
    "_m003_drafts_to_notebooks",
    "_m004_library",
    "_m005_cells",
    "_m006_shares",
    "_m007_prices",
]


def test_names_are_unique_and_numbered_one_after_another() -> None:
    names = [m.__name__ for m in MIGRATIONS]
    assert len(set(names)) == len(names)
    assert all(NAME.fullmatch(n) for n in names), names
    assert [int(NAME.fullmatch(n)[1]) for n in names] == list(range(1, len(names) + 1))  # type: ignore[index]


def test_every_migration_declared_is_registered() -> None:
    declared = [name for name, fn in inspect.getmembers(migrations, inspect.isfunction) if NAME.fullmatch(name)]
    assert sorted(declared) == [m.__name__ for m in MIGRATIONS]


def test_released_migrations_keep_their_recorded_names_and_places() -> None:
    """A database records these names: renaming one would apply it again; a new one goes at the end."""
    assert [m.__name__ for m in MIGRATIONS[: len(RELEASED)]] == RELEASED
