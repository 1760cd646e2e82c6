"""playground.schema_builder: rows ↔ JSON Schema both ways, meta-validation, instance validation, tools."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.request import validate_body
from playground.schema_builder import (
    PARAM_TYPES,
    SCALAR_TYPES,
    ParamRow,
    check_schema,
    make_response_format,
    make_tool,
    rows_to_schema,
    schema_to_rows,
    validate_instance,
)

WEATHER_ROWS = [
    ParamRow("city", "string", "Name of the city to get weather for", required=True),
    ParamRow("unit", "string", "Temperature unit", enum=["metric", "imperial"]),
]
WEATHER_SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "description": "Name of the city to get weather for"},
        "unit": {"type": "string", "description": "Temperature unit", "enum": ["metric", "imperial"]},
    },
    "required": ["city"],
}


# ---------------------------------------------------------------------------------------------- both ways


def test_rows_to_schema_seed_tool() -> None:
    assert rows_to_schema(WEATHER_ROWS) == WEATHER_SCHEMA


def test_schema_to_rows_seed_tool() -> None:
    assert schema_to_rows(WEATHER_SCHEMA) == WEATHER_ROWS


def test_empty_rows() -> None:
    assert rows_to_schema([]) == {"type": "object", "properties": {}}
    assert schema_to_rows({"type": "object"}) == []


def test_typed_enums_and_array_items() -> None:
    rows = [
        ParamRow("count", "integer", enum=["1", "2", "-3"]),
        ParamRow("ratio", "number", enum=["0.5", "2"]),
        ParamRow("flag", "boolean", enum=["true", "false"]),
        ParamRow("tags", "array", items="string"),
        ParamRow("extra", "object"),
    ]
    schema = rows_to_schema(rows)
    assert schema["properties"]["count"]["enum"] == [1, 2, -3]
    assert schema["properties"]["ratio"]["enum"] == [0.5, 2]
    assert schema["properties"]["flag"]["enum"] == [True, False]
    assert schema["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}
    assert check_schema(schema) == []
    assert schema_to_rows(schema) == rows


@pytest.mark.parametrize(
    "rows",
    [
        [ParamRow("", "string")],
        [ParamRow("a"), ParamRow("a")],
        [ParamRow("a", "strin")],
        [ParamRow("a", "integer", enum=["one"])],
        [ParamRow("a", "number", enum=["NaN-ish"])],
        [ParamRow("a", "boolean", enum=["yes"])],
        [ParamRow("a", "array", enum=["x"])],
        [ParamRow("a", "string", items="string")],
        [ParamRow("a", "array", items="object")],
    ],
)
def test_rows_to_schema_rejects(rows: list[ParamRow]) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        rows_to_schema(rows)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "array"},
        "not a schema",
        {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False},
        {"type": "object", "properties": {"a": {"type": ["string", "null"]}}},
        {"type": "object", "properties": {"a": {"$ref": "#/$defs/x"}}},
        {"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {"type": "string"}}}}},
        {"type": "object", "properties": {"a": {"type": "string", "minLength": 1}}},
        {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "object"}}}},
        {"type": "object", "properties": {"a": {"type": "integer", "enum": ["x"]}}},
        {"type": "object", "properties": {"a": {"type": "string", "enum": []}}},
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"]},
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": "a"},
        {"type": "object", "properties": {"a": True}},
    ],
)
def test_schema_to_rows_rejects_what_rows_cannot_express(schema: Any) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        schema_to_rows(schema)


# Property tests: rows → schema → rows is the identity on valid rows, and the schema is always valid.

_names = st.text(st.characters(codec="utf-8", categories=("L", "N", "Pc", "Pd", "Zs")), min_size=1, max_size=20)
_integers = st.integers(-10**6, 10**6).map(str)
_numbers = st.floats(allow_nan=False, allow_infinity=False).map(repr) | _integers


@st.composite
def _row(draw: st.DrawFn, name: str) -> ParamRow:
    type_ = draw(st.sampled_from(PARAM_TYPES))
    enum_values = {
        "string": st.lists(st.text(max_size=10), max_size=4),
        "integer": st.lists(_integers, max_size=4),
        "number": st.lists(_numbers, max_size=4),
        "boolean": st.lists(st.sampled_from(["true", "false"]), max_size=2),
    }.get(type_, st.just([]))
    items = draw(st.none() | st.sampled_from(SCALAR_TYPES)) if type_ == "array" else None
    return ParamRow(name, type_, draw(st.text(max_size=30)), draw(st.booleans()), draw(enum_values), items)


@st.composite
def _rows(draw: st.DrawFn) -> list[ParamRow]:
    names = draw(st.lists(_names, max_size=6, unique=True))
    return [draw(_row(n)) for n in names]


@given(_rows())
@settings(max_examples=60, deadline=None)
def test_rows_schema_rows_round_trip(rows: list[ParamRow]) -> None:
    schema = rows_to_schema(rows)
    assert check_schema(schema) == []
    assert schema_to_rows(schema) == rows
    assert rows_to_schema(schema_to_rows(schema)) == schema


@given(_rows())
@settings(max_examples=40, deadline=None)
def test_built_tools_pass_request_validation(rows: list[ParamRow]) -> None:
    tool = make_tool("generated_tool", "", rows)
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": [tool]}
    assert validate_body(body).to_body()["tools"] == [tool]


# ---------------------------------------------------------------------------------------------- checking


def test_check_schema_valid() -> None:
    assert check_schema(WEATHER_SCHEMA) == []
    assert check_schema({}) == []
    assert check_schema({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": ["string", "null"],
                         "$defs": {"x": {"type": "integer"}}, "prefixItems": [{"type": "string"}]}) == []


@pytest.mark.parametrize(
    ("schema", "where"),
    [
        ({"type": "strin"}, "type"),
        ({"type": "object", "properties": {"city": {"type": "txt"}}}, "properties/city/type"),
        ({"type": "object", "required": "city"}, "required"),
        ({"properties": 3}, "properties"),
        ({"minLength": -1}, "minLength"),
    ],
)
def test_check_schema_invalid_names_where(schema: dict[str, Any], where: str) -> None:
    problems = check_schema(schema)
    assert problems and any(f"At {where}:" in p for p in problems), problems


@pytest.mark.parametrize("schema", [None, [], "object", True, 3])
def test_check_schema_needs_an_object(schema: Any) -> None:
    assert len(check_schema(schema)) == 1


def test_validate_instance() -> None:
    assert validate_instance({"city": "Seoul", "unit": "metric"}, WEATHER_SCHEMA) == []
    problems = validate_instance({"unit": "kelvin", "city": 12}, WEATHER_SCHEMA)
    assert len(problems) == 2
    assert any(p.startswith("At city:") for p in problems) and any(p.startswith("At unit:") for p in problems)
    assert validate_instance({}, WEATHER_SCHEMA) == ["At the top level: 'city' is a required property."]


def test_validate_instance_with_bad_schema_reports_not_raises() -> None:
    problems = validate_instance({}, {"type": "strin"})
    assert problems and all(p.startswith("The schema is invalid.") for p in problems)


@given(st.floats(allow_nan=False), st.floats(min_value=0, max_value=2))
@settings(max_examples=50, deadline=None)
def test_validate_instance_number_bounds(value: float, limit: float) -> None:
    schema = {"type": "object", "properties": {"x": {"type": "number", "maximum": limit}}}
    assert (validate_instance({"x": value}, schema) == []) == (value <= limit)


# ---------------------------------------------------------------------------------------------- helpers


def test_make_tool() -> None:
    assert make_tool("get_weather", "Fetches the weather.", WEATHER_ROWS) == {
        "type": "function",
        "function": {"name": "get_weather", "description": "Fetches the weather.", "parameters": WEATHER_SCHEMA},
    }
    assert "description" not in make_tool("clock", "", [])["function"]


@pytest.mark.parametrize("name", ["", "get weather", "a" * 65, "wetter/heute"])
def test_make_tool_rejects_bad_names(name: str) -> None:
    with pytest.raises(ValueError, match="Tool name"):
        make_tool(name, "", [])


def test_make_response_format() -> None:
    rf = make_response_format(WEATHER_SCHEMA, name="weather")
    assert rf == {"type": "json_schema", "json_schema": {"name": "weather", "schema": WEATHER_SCHEMA, "strict": True}}
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "response_format": rf}
    assert validate_body(body).to_body()["response_format"] == rf
    with pytest.raises(ValueError, match="type"):
        make_response_format({"type": "strin"})
