"""playground.library (the tool and schema library): items come back as saved, names follow their JSON, adding and
duplicating never reuse a name, delete can be undone, and the migration joins the notebook store's database.
Every test runs on a SQLite file and on a real PostgreSQL (`backend`, tests/core/conftest.py)."""

from __future__ import annotations

import json

import pytest

from playground import examples
from playground.library import Library, LibraryItem
from playground.migrations import MIGRATIONS
from playground.notebook import Notebook
from playground.presets import presets
from tests.pg import Backend

WEATHER_SPEC = {"name": "weather_report", "schema": examples.WEATHER_SCHEMA, "strict": True}


@pytest.fixture
def library(backend: Backend) -> Library:
    return backend.library()


def tables(backend: Backend) -> set[str]:
    if backend.name == "sqlite":
        return {row[0] for row in backend.raw("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {row[0] for row in backend.raw("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def test_the_library_migration_is_applied_once(backend: Backend) -> None:
    names = [m.__name__ for m in MIGRATIONS]
    assert "_m004_library" in names and len(set(names)) == len(names)
    lib = backend.library()
    lib.add("tool", examples.GET_WEATHER)
    backend.library().list()  # a second connection does not apply it again
    applied = [row[0] for row in backend.raw("SELECT name FROM migrations ORDER BY applied")]
    assert applied == names and {"library", "notebooks"} <= tables(backend)


def test_an_existing_store_gains_the_library_and_keeps_its_notebooks(backend: Backend) -> None:
    """A database written before the library existed: the three first migrations' tables, by hand."""
    backend.raw(f"CREATE TABLE migrations (name TEXT PRIMARY KEY, applied {backend.real} NOT NULL)")
    backend.raw(f"CREATE TABLE drafts (id TEXT PRIMARY KEY, data TEXT NOT NULL, updated {backend.real} NOT NULL)")
    backend.raw(
        "CREATE TABLE notebooks (id TEXT PRIMARY KEY, title TEXT NOT NULL, search TEXT NOT NULL, data TEXT NOT NULL, "
        f"created {backend.real} NOT NULL, updated {backend.real} NOT NULL, version INTEGER NOT NULL)"
    )
    backend.raw("CREATE INDEX notebooks_updated ON notebooks (updated DESC)")
    for i, migration in enumerate(MIGRATIONS[:3]):
        backend.raw("INSERT INTO migrations VALUES (?, ?)", migration.__name__, float(i))
    assert "library" not in tables(backend)
    notebooks = backend.store()
    saved = notebooks.save(Notebook(title="Kept"))
    assert backend.library().list() == []
    item = backend.library().add("schema", WEATHER_SPEC)
    assert notebooks.load(saved.id) is not None and notebooks.load(saved.id).title == "Kept"  # type: ignore[union-attr]
    assert backend.library().get(item.id) == item
    assert [r[0] for r in backend.raw("SELECT name FROM migrations ORDER BY applied")][3:] == [m.__name__ for m in MIGRATIONS[3:]]


def test_items_come_back_as_saved_and_named_by_their_json(library: Library) -> None:
    tool = library.add("tool", examples.GET_WEATHER)
    schema = library.add("schema", WEATHER_SPEC)
    assert tool.name == "get_weather" and schema.name == "weather_report"
    assert library.get(tool.id) == tool and library.get(schema.id) == schema
    assert library.get(tool.id).value == examples.GET_WEATHER  # type: ignore[union-attr]
    assert [i.id for i in library.list("tool")] == [tool.id]
    assert [i.id for i in library.list("schema")] == [schema.id]
    assert [i.kind for i in library.list()] == ["tool", "schema"]  # tools first
    assert library.get("0123456789abcdef") is None


def test_saving_an_edited_tool_renames_the_item(library: Library) -> None:
    item = library.add("tool", examples.GET_WEATHER)
    value = json.loads(json.dumps(item.value))
    value["function"]["name"] = "weather_now"
    saved = library.save(item.model_copy(update={"value": value}))
    assert saved.id == item.id and saved.name == "weather_now" and saved.created == item.created
    assert saved.updated >= item.updated
    assert [i.name for i in library.list("tool")] == ["weather_now"]


def test_list_is_by_name_whatever_the_case(library: Library) -> None:
    for name in ("beta", "Alpha", "gamma"):
        library.add("tool", {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}})
    assert [i.name for i in library.list("tool")] == ["Alpha", "beta", "gamma"]


def test_adding_a_name_twice_numbers_the_second(library: Library) -> None:
    first = library.add("tool", examples.GET_WEATHER)
    second = library.add("tool", examples.GET_WEATHER)
    third = library.add("tool", examples.GET_WEATHER)
    assert (first.name, second.name, third.name) == ("get_weather", "get_weather_2", "get_weather_3")
    assert second.value["function"]["name"] == "get_weather_2"  # the JSON says the same as the list
    assert examples.GET_WEATHER["function"]["name"] == "get_weather"  # the caller's value is not touched
    assert library.add("schema", WEATHER_SPEC).name == "weather_report"  # names are per kind


def test_duplicate_gives_a_copy_with_a_free_name(library: Library) -> None:
    tool = library.add("tool", examples.GET_WEATHER)
    copy1 = library.duplicate(tool.id)
    copy2 = library.duplicate(tool.id)
    assert copy1 is not None and copy2 is not None
    assert (copy1.name, copy2.name) == ("get_weather_copy", "get_weather_copy2")
    assert copy1.id not in (tool.id, copy2.id)
    assert copy1.value["function"]["name"] == "get_weather_copy"
    assert copy1.value["function"]["parameters"] == tool.value["function"]["parameters"]
    schema = library.add("schema", WEATHER_SPEC)
    schema_copy = library.duplicate(schema.id)
    assert schema_copy is not None and schema_copy.value["name"] == "weather_report_copy"
    assert schema_copy.value["schema"] == WEATHER_SPEC["schema"]
    assert library.duplicate("0123456789abcdef") is None


def test_copies_of_a_64_character_name_stay_valid_tool_names(library: Library) -> None:
    long = "t" * 64
    item = library.add("tool", {"type": "function", "function": {"name": long}})
    again = library.add("tool", {"type": "function", "function": {"name": long}})
    copy = library.duplicate(item.id)
    assert copy is not None
    assert len(again.name) == 64 and again.name.endswith("_2")
    assert len(copy.name) == 64 and copy.name.endswith("_copy")


def test_delete_then_undo(library: Library) -> None:
    item = library.add("tool", examples.GET_WEATHER)
    other = library.add("schema", WEATHER_SPEC)
    deleted = library.delete(item.id)
    assert deleted == item and library.get(item.id) is None
    assert [i.id for i in library.list()] == [other.id]
    library.restore(deleted)
    assert library.get(item.id) == item
    assert library.delete("0123456789abcdef") is None


def test_an_unreadable_row_is_skipped_not_fatal(library: Library, backend: Backend) -> None:
    good = library.add("tool", examples.GET_WEATHER)
    backend.raw("INSERT INTO library VALUES ('bad', 'tool', 'broken', '{not json', 0, 0)")
    backend.raw("INSERT INTO library VALUES ('odd', 'gadget', 'odd', '{}', 0, 0)")
    assert [i.id for i in library.list()] == [good.id]
    assert library.get("bad") is None


def test_every_preset_round_trips(library: Library) -> None:
    for preset in presets():
        value = preset.value if preset.kind == "tool" else {"name": preset.name, "schema": preset.value}
        item = library.add(preset.kind, value)
        assert item.name == preset.name
        assert library.get(item.id).value == value  # type: ignore[union-attr]


def test_items_are_plain_models() -> None:
    item = LibraryItem(kind="tool", value=examples.GET_WEATHER)
    assert len(item.id) == 16 and LibraryItem.model_validate_json(item.model_dump_json()) == item
