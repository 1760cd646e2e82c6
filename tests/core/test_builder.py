"""playground/builder.py: what the tool and schema builders keep and decide, without Streamlit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from playground import builder, examples
from playground.schema import ToolForm


@pytest.mark.parametrize(
    ("values", "type_", "text"),
    [
        (["celsius", "fahrenheit"], "string", "celsius, fahrenheit"),
        ([1, 2.5], "number", "1, 2.5"),
        ([True, False], "boolean", "true, false"),
        (["a,b", " c"], "string", '["a,b", " c"]'),
        (["1"], "integer", '["1"]'),
        ([], "string", "[]"),
        (None, "string", ""),
        (["null"], "string", "null"),
        ([None, 1], "integer", "null, 1"),
    ],
)
def test_allowed_values_as_text_both_ways(values: Any, type_: str, text: str) -> None:
    assert builder.enum_to_text(values, type_) == text
    assert builder.text_to_enum(text, type_) == values


@pytest.mark.parametrize(
    ("text", "integer", "expected"),
    [
        ("", True, (None, None)),
        ("  ", False, (None, None)),
        ("12", True, (12, None)),
        ("-3", True, (-3, None)),
        ("1.5", True, (None, "Give a whole number.")),
        ("1.5", False, (1.5, None)),
        ("true", False, (None, "Give a number.")),
        ("x", False, (None, "Give a number.")),
    ],
)
def test_an_optional_number_typed_as_text(text: str, integer: bool, expected: tuple[Any, str | None]) -> None:
    assert builder.parse_number(text, integer) == expected


def test_a_new_name_is_free() -> None:
    assert builder.free_name("new_tool", []) == "new_tool"
    assert builder.free_name("new_tool", ["new_tool", "new_tool_2"]) == "new_tool_3"


def test_tools_come_back_from_settings_as_they_were_kept() -> None:
    rows = [builder.ToolRow(tool=ToolForm(name="a")), builder.ToolRow(on=False, tool=ToolForm(name="b"), library_id="x")]
    settings = builder.settings_of(rows)
    assert [t["function"]["name"] for t in settings["tools"]] == ["a"]  # only the tool that is on is sent
    assert builder.rows_from_settings(settings) == (rows, None)


def test_older_notebooks_kept_tools_as_json_text() -> None:
    rows, draft = builder.rows_from_settings({"tools": json.dumps([examples.GET_WEATHER])})
    assert draft is None and [r.tool.name for r in rows] == ["get_weather"]
    rows, draft = builder.rows_from_settings({"tools": "[{"})
    assert rows == [] and draft is not None and draft.text == "[{" and draft.problems


def test_rows_are_added_and_removed_at_a_path() -> None:
    tool = builder.change_rows(ToolForm(name="t"), "add", ())
    tool = builder.change_rows(tool, "add", ())
    assert len(tool.parameters.properties) == 2
    assert len(builder.change_rows(tool, "delete", (0,)).parameters.properties) == 1
