"""playground.schema.form: form ↔ JSON Schema both ways (nested, property-tested and fuzzed), tools and
response schemas pasted in every accepted shape, what the form cannot show kept as JSON."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground import examples
from playground.request import validate_body
from playground.schema import (
    PARAM_TYPES,
    SCALAR_TYPES,
    FieldForm,
    FormError,
    InputError,
    JsonResponseSchema,
    JsonTool,
    NotRepresentable,
    ObjectForm,
    PropertyRow,
    SchemaForm,
    ToolForm,
    check_schema,
    enum_text,
    form_to_schema,
    parse_enum_text,
    parse_json_text,
    parse_response_schema,
    parse_tools,
    response_format_json,
    schema_to_form,
    tool_to_json,
    tools_to_json,
)
from tests import fuzz
from tests.core.schema_cases import (
    TRIP_SCHEMA,
    WEATHER_FORM,
    WEATHER_PARAMS,
    _floats,
    _forms,
    _ints,
    _scalar,
    _subschema_paths,
    _texts,
)

# ---------------------------------------------------------------------------------------------- form ↔ JSON


def test_seed_tool_both_ways() -> None:
    assert schema_to_form(WEATHER_PARAMS) == WEATHER_FORM
    assert form_to_schema(WEATHER_FORM) == WEATHER_PARAMS


def test_nested_objects_and_arrays_of_objects_both_ways() -> None:
    form = schema_to_form(TRIP_SCHEMA)
    traveller, stops, budget, when = form.properties
    assert (traveller.type, traveller.required, traveller.additional_properties) == ("object", True, False)
    assert [(r.name, r.required) for r in traveller.properties] == [("name", True), ("age", False)]
    assert traveller.properties[1].nullable and traveller.properties[1].minimum == 0
    assert stops.items is not None and stops.items.type == "object" and stops.min_items == 1
    nights = stops.items.properties[1]
    assert (nights.enum, nights.default) == ([1, 2, 3], 1)
    tags = stops.items.properties[2]
    assert tags.items == FieldForm(type="string", enum=["food", "art"])
    assert (budget.exclusive_minimum, budget.multiple_of) == (0, 0.5)
    assert (when.format, when.title) == ("date", "Start")
    assert form_to_schema(form) == TRIP_SCHEMA
    assert check_schema(TRIP_SCHEMA) == []


def test_json_to_form_normalises_only_what_means_nothing() -> None:
    schema = {
        "type": "object",
        "description": "",
        "properties": {"b": {"type": "string", "title": ""}, "a": {"type": "object"}},
        "required": ["a", "b"],
    }
    assert form_to_schema(schema_to_form(schema)) == {
        "type": "object",
        "properties": {"b": {"type": "string"}, "a": {"type": "object", "properties": {}}},
        "required": ["b", "a"],
    }
    assert form_to_schema(schema_to_form({"type": "object", "required": []})) == {"type": "object", "properties": {}}


def test_settings_of_another_type_are_kept_in_the_form_but_not_sent() -> None:
    row = PropertyRow(name="code", pattern="^[A-Z]+$", enum=["AB"])
    form = ObjectForm(properties=[row])
    row.type = "array"
    assert form_to_schema(form)["properties"]["code"] == {"type": "array"}
    row.type = "string"
    assert form_to_schema(form)["properties"]["code"] == {"type": "string", "enum": ["AB"], "pattern": "^[A-Z]+$"}


def test_dialect_and_nullable_enum() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"mode": {"type": ["string", "null"], "enum": ["a", None]}},
    }
    form = schema_to_form(schema)
    assert form.dialect == schema["$schema"] and form.properties[0].nullable
    assert form_to_schema(form) == schema


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_the_form_holds_no_value_json_cannot(value: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        PropertyRow(name="x", type="number", enum=[value])
    with pytest.raises(ValueError, match="finite"):
        PropertyRow(name="x", type="number", maximum=value)


def test_duplicate_property_names_cannot_become_json() -> None:
    form = ObjectForm(
        properties=[
            PropertyRow(name="a"),
            PropertyRow(name="b", type="object", properties=[PropertyRow(name="x"), PropertyRow(name="x")]),
        ]
    )
    with pytest.raises(FormError) as e:
        form_to_schema(form)
    assert [(p.path, p.code) for p in e.value.problems] == [("b.#1.name", "duplicate_property")]


@pytest.mark.parametrize(
    ("schema", "path", "keyword"),
    [
        ({"type": "object", "properties": {"u": {"oneOf": [{"type": "string"}]}}}, "$.properties.u.oneOf", "oneOf"),
        ({"type": "object", "properties": {"u": {"anyOf": [{"type": "string"}]}}}, "$.properties.u.anyOf", "anyOf"),
        ({"type": "object", "allOf": [{"required": []}]}, "$.allOf", "allOf"),
        ({"type": "object", "properties": {"u": {"$ref": "#/$defs/u"}}, "$defs": {"u": {}}}, "$.properties.u.$ref", "$ref"),
        ({"type": "object", "$defs": {"u": {"type": "string"}}}, "$.$defs", "$defs"),
        ({"type": "object", "patternProperties": {"^x": {"type": "string"}}}, "$.patternProperties", "patternProperties"),
        ({"type": "object", "additionalProperties": {"type": "string"}}, "$.additionalProperties", "additionalProperties"),
        ({"type": "object", "properties": {"u": {"type": "string", "const": "x"}}}, "$.properties.u.const", "const"),
        ({"type": "object", "properties": {"u": {"type": "string", "examples": ["x"]}}}, "$.properties.u.examples", "examples"),
        ({"type": "object", "properties": {"u": {"type": ["string", "integer"]}}}, "$.properties.u.type", "type"),
        ({"type": "object", "properties": {"u": {"description": "any"}}}, "$.properties.u.type", "type"),
        ({"type": "object", "properties": {"u": {"type": "integer", "pattern": "x"}}}, "$.properties.u.pattern", "pattern"),
        ({"type": "object", "properties": {"u": {"type": "array", "enum": [[1]]}}}, "$.properties.u.enum", "enum"),
        ({"type": "object", "properties": {"u": {"type": "string", "enum": [{"a": 1}]}}}, "$.properties.u.enum", "enum"),
        ({"type": "object", "properties": {"u": {"type": "array", "items": False}}}, "$.properties.u.items", "items"),
        ({"type": "object", "properties": {"u": True}}, "$.properties.u", "schema"),
        ({"type": "object", "properties": {"u": {"type": "string"}}, "required": ["v"]}, "$.required", "required"),
        ({"type": "object", "properties": {"u": {"type": "string"}}, "required": ["u", "u"]}, "$.required", "required"),
        ({"type": "object", "properties": {"u": {"type": "string", "default": None}}}, "$.properties.u.default", "default"),
        ({"type": "object", "properties": {"u": {"type": "array", "default": []}}}, "$.properties.u.default", "default"),
        ({"type": "object", "properties": {"u": {"type": "string", "title": 3}}}, "$.properties.u.title", "title"),
        ({"type": "object", "properties": {"u": {"type": "string", "minLength": "3"}}}, "$.properties.u.minLength", "minLength"),
        ({"type": "object", "properties": {"u": {"type": "string", "$schema": "x"}}}, "$.properties.u.$schema", "$schema"),
        ({"type": "object", "properties": {"my key": {"type": "string", "not": {}}}}, '$.properties["my key"].not', "not"),
        (
            {
                "type": "object",
                "properties": {
                    "a": {"type": "array", "items": {"type": "object", "properties": {"b": {"type": "string", "const": "x"}}}}
                },
            },
            "$.properties.a.items.properties.b.const",
            "const",
        ),
        ({"type": "array", "items": {"type": "string"}}, "$.type", "type"),
    ],
)
def test_what_the_form_cannot_show_is_named_with_its_path(schema: dict[str, Any], path: str, keyword: str) -> None:
    with pytest.raises(NotRepresentable) as e:
        schema_to_form(schema)
    assert (path, keyword) in [(c.path, c.keyword) for c in e.value.constructs], e.value.constructs
    assert all(c.message for c in e.value.constructs)
    assert tool_to_json(parse_tools({"name": "t", "parameters": schema})[0])["function"]["parameters"] == schema


def test_every_unshowable_construct_is_listed() -> None:
    schema = {"type": "object", "properties": {"a": {"anyOf": []}, "b": {"type": "string", "const": "x"}}, "$defs": {}}
    with pytest.raises(NotRepresentable) as e:
        schema_to_form(schema)
    assert sorted(c.path for c in e.value.constructs) == ["$.$defs", "$.properties.a.anyOf", "$.properties.b.const"]


@given(_forms())
@settings(max_examples=fuzz.examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_form_json_form_round_trip(form: ObjectForm) -> None:
    schema = form_to_schema(form)
    assert check_schema(schema) == []
    assert schema_to_form(json.loads(json.dumps(schema))) == form


@given(_forms())
@settings(max_examples=fuzz.examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_json_form_json_round_trip_through_text(form: ObjectForm) -> None:
    text = json.dumps(form_to_schema(form), ensure_ascii=False)
    schema = parse_json_text(text)
    assert form_to_schema(schema_to_form(schema)) == schema
    tool = {"type": "function", "function": {"name": "t", "parameters": schema}}
    assert tools_to_json(parse_tools(json.dumps([tool]))) == [tool]


_CONSTRUCTS = [
    ("oneOf", [{"type": "string"}, {"type": "integer"}]),
    ("anyOf", [{"type": "string"}]),
    ("allOf", [{}]),
    ("const", 1),
    ("$ref", "#"),
    ("patternProperties", {"^x": {"type": "string"}}),
    ("examples", ["a"]),
    ("not", {"type": "null"}),
    ("$comment", "hi"),
    ("dependentRequired", {}),
]


@given(_forms(), st.data())
@settings(max_examples=fuzz.examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_unshowable_constructs_anywhere_are_named_and_kept(form: ObjectForm, data: st.DataObject) -> None:
    schema = form_to_schema(form)
    parts = data.draw(st.sampled_from(_subschema_paths(schema)))
    key, value = data.draw(st.sampled_from(_CONSTRUCTS))
    target = schema
    for p in parts:
        target = target[p]
    target[key] = value
    with pytest.raises(NotRepresentable) as e:
        schema_to_form(schema)
    plain = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*")
    expected = "$" + "".join(f".{p}" if plain.fullmatch(p) else f"[{json.dumps(p, ensure_ascii=False)}]" for p in parts)
    assert f"{expected}.{key}" in [c.path for c in e.value.constructs]
    entries = parse_tools({"type": "function", "function": {"name": "t", "parameters": schema}})
    assert isinstance(entries[0], JsonTool)
    assert tool_to_json(entries[0])["function"]["parameters"] == schema


# Fuzzing raw JSON: any object schema (odd values included) either converts to a form that gives back the
# same schema, up to meaning-free spelling, or is refused with the constructs named. Nothing is silently lost.

_json_scalars = st.none() | st.booleans() | _ints | _floats | _texts
_json_values = st.recursive(
    _json_scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(_texts, c, max_size=3), max_leaves=6
)


def _mostly(usual: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually a value the form can show, sometimes an odd one (one time in ten)."""
    return st.integers(0, 9).flatmap(lambda n: odd if n == 0 else usual)


def _raw_value(key: str, type_: str, depth: int) -> st.SearchStrategy[Any]:
    sub = _raw_schema(depth - 1) if depth > 0 else st.just({"type": "string"})
    names = st.sampled_from(["a", "b", "c d", "", "é"])
    usual: dict[str, st.SearchStrategy[Any]] = {
        "description": _texts,
        "title": _texts,
        "enum": st.lists(_scalar(type_) if type_ in SCALAR_TYPES else _json_scalars, max_size=3),
        "default": _scalar(type_) if type_ in SCALAR_TYPES else _json_scalars,
        "format": st.sampled_from(["date", "email"]),
        "pattern": st.sampled_from(["^a", "("]),
        "minLength": st.integers(-1, 3),
        "maxItems": st.integers(0, 3),
        "minimum": _ints | _floats,
        "uniqueItems": st.booleans(),
        "items": sub,
        "properties": st.dictionaries(names, sub, max_size=3),
        "required": st.lists(names, max_size=3, unique=True),
        "additionalProperties": st.booleans(),
    }
    odd: dict[str, st.SearchStrategy[Any]] = {
        "description": _ints,
        "title": st.none(),
        "enum": st.lists(_json_values, min_size=1, max_size=2) | _texts,
        "default": _json_values,
        "format": _ints,
        "pattern": st.booleans(),
        "minLength": st.sampled_from([2.0, "3", True]),
        "maxItems": st.sampled_from([1.5, False]),
        "minimum": st.booleans() | _texts,
        "uniqueItems": st.integers(0, 1),
        "items": st.booleans() | st.lists(sub, max_size=2),
        "properties": st.booleans() | st.dictionaries(names, st.booleans(), min_size=1, max_size=2),
        "required": _texts | st.lists(st.sampled_from(["a", "z"]), min_size=2, max_size=3),
        "additionalProperties": sub,
    }
    return _mostly(usual[key], odd[key])


_FOR_TYPE = {
    "string": ["enum", "default", "format", "pattern", "minLength"],
    "number": ["enum", "default", "minimum"],
    "integer": ["enum", "default", "minimum"],
    "boolean": ["enum", "default"],
    "array": ["items", "maxItems", "uniqueItems"],
    "object": ["properties", "required", "additionalProperties"],
}
_OTHER_KEYS = ["const", "oneOf", "$ref", "examples", "$schema", "minLength", "items", "properties", "enum"]
_ODD_TYPES = st.sampled_from(["null", "strin", None]) | st.lists(st.sampled_from(["string", "integer", "null"]), max_size=3)


@st.composite
def _raw_schema(draw: st.DrawFn, depth: int) -> dict[str, Any]:
    """An object schema shaped like real ones: a type and mostly its own keywords, with odd things mixed in."""
    base = draw(st.sampled_from(PARAM_TYPES))
    type_ = draw(_mostly(st.sampled_from([base, base, [base, "null"]]), _ODD_TYPES))
    schema: dict[str, Any] = {} if type_ is None else {"type": type_}
    for key in draw(st.lists(st.sampled_from(["description", "title", *_FOR_TYPE[base]]), unique=True, max_size=4)):
        schema[key] = draw(_raw_value(key, base, depth))
    if draw(st.integers(0, 9)) == 0:
        key = draw(st.sampled_from(_OTHER_KEYS))
        other = {
            "const": _json_values,
            "oneOf": st.lists(st.just({"type": "string"}), min_size=1, max_size=2),
            "$ref": st.just("#"),
            "examples": st.lists(_json_values, max_size=2),
            "$schema": _texts,
        }
        schema[key] = draw(other[key] if key in other else _raw_value(key, "string" if key != "properties" else "object", 0))
    return schema


def _spelling(schema: Any) -> Any:
    """Meaning-free spelling removed: empty description/title/required, `properties: {}`, `required` order."""
    if not isinstance(schema, dict):
        return schema
    out = {k: v for k, v in schema.items() if not (k in ("description", "title", "required") and v in ("", []))}
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: _spelling(v) for k, v in out["properties"].items()} or None
        if out["properties"] is None:
            del out["properties"]
    if isinstance(out.get("items"), dict):
        out["items"] = _spelling(out["items"])
    if isinstance(out.get("required"), list):
        out["required"] = sorted(out["required"])
    return out


def _same_json(a: Any, b: Any) -> bool:
    """Equal as JSON text: true is not 1, 1.0 is not 1."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


_RAW = st.one_of(_raw_schema(3), _raw_schema(2).map(lambda s: {"type": "object", "properties": {"p": s}}))


@given(_RAW)
@settings(max_examples=fuzz.examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_raw_json_is_kept_or_refused_never_trimmed(schema: dict[str, Any]) -> None:
    try:
        form = schema_to_form(schema)
    except NotRepresentable as e:
        assert e.constructs and all(c.path.startswith("$") and c.message for c in e.constructs)
        [entry] = parse_tools({"name": "t", "parameters": schema})
        assert isinstance(entry, JsonTool) and _same_json(tool_to_json(entry)["function"]["parameters"], schema)
        return
    assert _same_json(_spelling(form_to_schema(form)), _spelling(schema))


# ---------------------------------------------------------------------------------------------- tools in any shape


def test_parse_tools_openai_shape_one_or_many() -> None:
    [tool] = parse_tools(examples.GET_WEATHER)
    assert tool == ToolForm(
        name="get_weather", description="Fetches the current weather for a specific city.", parameters=WEATHER_FORM
    )
    two = parse_tools(json.dumps([examples.GET_WEATHER, examples.ADD]))
    assert [t.name for t in two] == ["get_weather", "add"] and all(isinstance(t, ToolForm) for t in two)
    assert tools_to_json(two) == [examples.GET_WEATHER, examples.ADD]


@pytest.mark.parametrize(
    "value",
    [
        examples.GET_WEATHER["function"],  # a bare function
        {"type": "function", **examples.GET_WEATHER["function"]},  # the flat shape
        {
            "name": "get_weather",
            "description": "Fetches the current weather for a specific city.",
            "input_schema": WEATHER_PARAMS,
        },  # the seed's content[].input "following the input_schema"
        {"tools": [examples.GET_WEATHER]},  # a request body
        json.dumps(examples.GET_WEATHER["function"]),
    ],
)
def test_parse_tools_other_shapes_become_the_api_shape(value: Any) -> None:
    assert tools_to_json(parse_tools(value)) == [examples.GET_WEATHER]


def test_parse_tools_without_parameters_or_description() -> None:
    [tool] = parse_tools({"name": "clock"})
    assert tool == ToolForm(name="clock")
    assert tool_to_json(tool) == {
        "type": "function",
        "function": {"name": "clock", "parameters": {"type": "object", "properties": {}}},
    }


def test_strict_flag_is_kept() -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "a",
            "parameters": {"type": "object", "properties": {}, "additionalProperties": False},
            "strict": True,
        },
    }
    [form] = parse_tools(tool)
    assert isinstance(form, ToolForm) and form.strict is True
    assert tool_to_json(form) == tool


@pytest.mark.parametrize(
    ("tool", "path"),
    [
        ({"type": "function", "function": {"name": "a", "cache_control": {}}}, "$.function.cache_control"),
        ({"type": "function", "function": {"name": "a"}, "extra": 1}, "$.extra"),
        ({"type": "function", "function": {"name": "a", "strict": "yes"}}, "$.function.strict"),
        (
            {"type": "function", "function": {"name": "a", "parameters": {"type": "object", "properties": {"u": {"oneOf": []}}}}},
            "$.function.parameters.properties.u.oneOf",
        ),
        ({"type": "function", "function": {"name": "a", "parameters": {"type": "string"}}}, "$.function.parameters.type"),
    ],
)
def test_tools_the_form_cannot_show_stay_json(tool: dict[str, Any], path: str) -> None:
    [entry] = parse_tools(tool)
    assert isinstance(entry, JsonTool) and entry.name == "a"
    assert path in [r.path for r in entry.reasons]
    assert tools_to_json([entry]) == [tool]


@pytest.mark.parametrize(
    ("value", "path", "code_", "words"),
    [
        ('[{"name": "a",}]', "tools", "not_json", "line 1, column 15"),
        ('{"name": "a", "name": "b"}', "tools", "duplicate_key", "`name` appears twice"),
        ('{"name": "a", "parameters": {"type": "object", "properties": {"x": {}, "x": {}}}}', "tools", "duplicate_key", "`x`"),
        ("NaN", "tools", "not_json", "NaN"),
        ("3", "tools", "not_tools", "one tool"),
        ([{"name": "a"}, {"type": "web_search"}], "tools.1.type", "not_function", "web_search"),
        ([{"description": "no name"}], "tools.0", "not_a_tool", "needs a `name`"),
        ([{"name": 3}], "tools.0.name", "not_a_tool", "text"),
        ([{"name": "a", "description": 3}], "tools.0.description", "not_a_tool", "text"),
        ([{"name": "a", "parameters": {}, "input_schema": {}}], "tools.0.input_schema", "not_a_tool", "keep one"),
        ([{"type": "function", "function": "a"}], "tools.0.function", "not_a_tool", "JSON object"),
        (["get_weather"], "tools.0", "not_a_tool", "JSON object"),
    ],
)
def test_parse_tools_refuses_what_is_not_a_tool(value: Any, path: str, code_: str, words: str) -> None:
    with pytest.raises(InputError) as e:
        parse_tools(value)
    [problem] = e.value.problems
    assert (problem.path, problem.code) == (path, code_)
    assert words in problem.message


# ---------------------------------------------------------------------------------------------- response schemas


@pytest.mark.parametrize(
    ("value", "name", "strict"),
    [
        (examples.WEATHER_SCHEMA, "response", None),
        ({"name": "weather", "schema": examples.WEATHER_SCHEMA, "strict": True}, "weather", True),
        ({"type": "json_schema", "json_schema": examples.WEATHER_SCHEMA}, "response", None),  # the seed's short form
        ({"type": "json_schema", "json_schema": {"name": "w", "schema": examples.WEATHER_SCHEMA}}, "w", None),
        (json.dumps({"type": "json_schema", "json_schema": examples.WEATHER_SCHEMA}), "response", None),
    ],
)
def test_parse_response_schema_shapes(value: Any, name: str, strict: bool | None) -> None:
    entry = parse_response_schema(value)
    assert isinstance(entry, SchemaForm) and (entry.name, entry.strict) == (name, strict)
    assert form_to_schema(entry.json_schema) == examples.WEATHER_SCHEMA
    rf = response_format_json(entry)
    assert rf["json_schema"]["schema"] == examples.WEATHER_SCHEMA and rf["json_schema"]["name"] == name
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "response_format": rf}
    assert validate_body(body).to_body()["response_format"] == rf


def test_response_schema_the_form_cannot_show_stays_json() -> None:
    schema = {"type": "object", "properties": {"x": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}
    entry = parse_response_schema({"name": "r", "schema": schema, "description": "d"})
    assert isinstance(entry, JsonResponseSchema) and entry.reasons[0].path == "$.properties.x.anyOf"
    assert response_format_json(entry) == {
        "type": "json_schema",
        "json_schema": {"name": "r", "description": "d", "schema": schema},
    }


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ("[1]", "response_format"),
        ("{", "response_format"),
        ({"type": "json_schema", "json_schema": 3}, "response_format.json_schema"),
        ({"type": "json_schema", "json_schema": {}, "extra": 1}, "response_format.extra"),
        ({"name": 3, "schema": {}}, "response_format.name"),
        ({"name": "a", "schema": {}, "strict": "yes"}, "response_format.strict"),
        ({"name": "a", "schema": True}, "response_format.schema"),
    ],
)
def test_parse_response_schema_refuses(value: Any, path: str) -> None:
    with pytest.raises(InputError) as e:
        parse_response_schema(value)
    assert e.value.problems[0].path == path and e.value.problems[0].message


# ---------------------------------------------------------------------------------------------- helpers kept


@pytest.mark.parametrize(
    ("text", "type_", "value"),
    [
        ("3", "integer", 3),
        ("3.5", "integer", "3.5"),
        ("-2", "number", -2),
        ("2.50", "number", 2.5),
        ("inf", "number", "inf"),
        ("True", "boolean", True),
        ("yes", "boolean", "yes"),
        ("null", "integer", None),
        ("null", "string", "null"),
        (" a ", "string", " a "),
    ],
)
def test_parse_enum_text(text: str, type_: str, value: Any) -> None:
    assert parse_enum_text(text, type_) == value and type(parse_enum_text(text, type_)) is type(value)


def test_enum_text() -> None:
    assert [enum_text(v) for v in ["a", 1, 2.5, True, None]] == ["a", "1", "2.5", "true", "null"]
