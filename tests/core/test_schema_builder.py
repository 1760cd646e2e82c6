"""playground.schema_builder: form ↔ JSON Schema both ways (nested), tools and response schemas in every
accepted shape, validation located on rows, checking tool calls and answers, example values."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from playground import examples
from playground.request import validate_body
from playground.response import ContentBlock, from_chat_completion
from playground.schema_builder import (
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
    check_answer,
    check_schema,
    check_tool_calls,
    code,
    enum_text,
    example_for,
    form_to_schema,
    parse_enum_text,
    parse_json_text,
    parse_response_schema,
    parse_tools,
    response_format_json,
    schema_to_form,
    tool_to_json,
    tools_to_json,
    validate_instance,
    validate_response_schema,
    validate_schema,
    validate_tools,
)

WEATHER_PARAMS = examples.GET_WEATHER["function"]["parameters"]
WEATHER_FORM = ObjectForm(
    properties=[
        PropertyRow(name="city", description="Name of the city to get weather for", required=True),
        PropertyRow(
            name="unit",
            description="Temperature unit (metric = Celsius, imperial = Fahrenheit)",
            enum=["metric", "imperial"],
        ),
    ]
)
TRIP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A trip",
    "properties": {
        "traveller": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "age": {"type": ["integer", "null"], "minimum": 0},
            },
            "required": ["name"],
            "additionalProperties": False,
        },
        "stops": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "nights": {"type": "integer", "enum": [1, 2, 3], "default": 1},
                    "tags": {"type": "array", "items": {"type": "string", "enum": ["food", "art"]}},
                },
                "required": ["city"],
            },
        },
        "budget": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5},
        "when": {"type": "string", "format": "date", "title": "Start"},
    },
    "required": ["traveller", "stops"],
}


def _errors(instance: Any, schema: Any) -> list[str]:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [e.message for e in validator.iter_errors(instance)]


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


# Property tests: forms are generated (nested objects, arrays of objects, arrays of arrays), then
# form → JSON → form must give the same form, and JSON (through text) → form → JSON the same JSON.

_names = st.text(st.characters(codec="utf-8", categories=("L", "N", "Pc", "Pd", "Zs")), min_size=1, max_size=12)
_texts = st.text(max_size=12)
_ints = st.integers(-(10**6), 10**6)
_floats = st.floats(allow_nan=False, allow_infinity=False, width=64)


def _scalar(type_: str) -> st.SearchStrategy[Any]:
    return {"string": _texts, "integer": _ints, "number": _floats | _ints, "boolean": st.booleans()}[type_]


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def _field(draw: st.DrawFn, depth: int, satisfiable: bool = False) -> dict[str, Any]:
    """FieldForm keyword arguments; `satisfiable` keeps constraints some value can meet."""
    types = PARAM_TYPES if depth > 0 else (*SCALAR_TYPES, "array", "object")
    type_ = draw(st.sampled_from(types))
    kw: dict[str, Any] = {"type": type_, "nullable": draw(st.booleans()), "title": draw(_texts), "description": draw(_texts)}
    if type_ in SCALAR_TYPES:
        values = _scalar(type_) | st.just(None) if kw["nullable"] else _scalar(type_)
        if satisfiable:
            kw["enum"] = draw(_maybe(st.lists(values, min_size=1, max_size=4)))
        else:
            kw["enum"] = draw(_maybe(st.lists(values, max_size=4)))
            kw["default"] = draw(_maybe(_scalar(type_)))
    if kw.get("enum") is None or not satisfiable:
        kw.update(draw(_constraints(type_, satisfiable)))
    if type_ == "array":
        kw["items"] = draw(_maybe(_field(depth - 1, satisfiable))) if depth > 0 else None
    if type_ == "object" and depth > 0:
        names = draw(st.lists(_names, max_size=4, unique=True))
        kw["properties"] = [{**draw(_field(depth - 1, satisfiable)), "name": n, "required": draw(st.booleans())} for n in names]
        kw["additional_properties"] = draw(_maybe(st.booleans()))
    return kw


@st.composite
def _constraints(draw: st.DrawFn, type_: str, satisfiable: bool) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    if type_ == "string":
        kind = draw(st.sampled_from(["none", "format", "pattern", "length"]))
        if kind == "format":
            kw["format"] = draw(st.sampled_from(["date", "email", "uuid", "ipv4", "date-time", "uri", "hostname"]))
        elif kind == "pattern":
            kw["pattern"] = draw(
                st.sampled_from(
                    [
                        r"^[a-z]+$",
                        r"^\d{3}-\d{4}$",
                        r"^[A-Z]{2}[0-9]{2,4}$",
                        r"(red|green)-\w+",
                        r"^[^@\s]+@[^@\s]+\.org$",
                        r"x+y?z*",
                    ]
                )
            )
        elif kind == "length":
            low = draw(st.integers(0, 8))
            kw["min_length"] = draw(_maybe(st.just(low)))
            kw["max_length"] = draw(_maybe(st.integers(low if satisfiable else 0, 20)))
    elif type_ in ("integer", "number"):
        low = draw(_ints if type_ == "integer" else _floats.filter(lambda f: abs(f) < 1e9) | _ints)
        width = draw(st.integers(4, 1000))
        step = draw(_maybe(st.sampled_from([1, 2, 0.5, 0.25, 3])))
        kw[draw(st.sampled_from(["minimum", "exclusive_minimum"]))] = draw(_maybe(st.just(low)))
        kw[draw(st.sampled_from(["maximum", "exclusive_maximum"]))] = draw(_maybe(st.just(low + width)))
        kw["multiple_of"] = step
    elif type_ == "array":
        low = draw(st.integers(0, 3))
        kw["min_items"] = draw(_maybe(st.just(low)))
        kw["max_items"] = draw(_maybe(st.integers(max(low, 1) if satisfiable else 0, 5)))
        kw["unique_items"] = draw(_maybe(st.booleans())) if not satisfiable or low <= 1 else None
    return kw


def _build(kw: dict[str, Any], cls: type[FieldForm] = FieldForm) -> FieldForm:
    data = dict(kw)
    if data.get("items") is not None:
        data["items"] = _build(data["items"])
    data["properties"] = [_build(r, PropertyRow) for r in data.get("properties", [])]
    return cls(**data)


@st.composite
def _forms(draw: st.DrawFn, satisfiable: bool = False) -> ObjectForm:
    names = draw(st.lists(_names, max_size=5, unique=True))
    rows = [{**draw(_field(3, satisfiable)), "name": n, "required": draw(st.booleans())} for n in names]
    form = _build(
        {"type": "object", "properties": rows, "description": draw(_texts), "additional_properties": draw(_maybe(st.booleans()))},
        ObjectForm,
    )
    assert isinstance(form, ObjectForm)
    return form


@given(_forms())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_form_json_form_round_trip(form: ObjectForm) -> None:
    schema = form_to_schema(form)
    assert check_schema(schema) == []
    assert schema_to_form(json.loads(json.dumps(schema))) == form


@given(_forms())
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_json_form_json_round_trip_through_text(form: ObjectForm) -> None:
    text = json.dumps(form_to_schema(form), ensure_ascii=False)
    schema = parse_json_text(text)
    assert form_to_schema(schema_to_form(schema)) == schema
    tool = {"type": "function", "function": {"name": "t", "parameters": schema}}
    assert tools_to_json(parse_tools(json.dumps([tool]))) == [tool]


def _subschema_paths(schema: dict[str, Any], parts: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [parts]
    for name, sub in schema.get("properties", {}).items():
        out += _subschema_paths(sub, (*parts, "properties", name))
    if isinstance(schema.get("items"), dict):
        out += _subschema_paths(schema["items"], (*parts, "items"))
    return out


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
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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


# ---------------------------------------------------------------------------------------------- validation


def _problems(tools: list[Any]) -> set[tuple[str, str]]:
    return {(p.path, p.code) for p in validate_tools(tools)}


def test_valid_tools_have_no_problems() -> None:
    assert validate_tools(parse_tools([examples.GET_WEATHER, examples.ADD, {"name": "x", "parameters": TRIP_SCHEMA}])) == []


@pytest.mark.parametrize("name", ["", "get weather", "a" * 65, "wetter/heute", "ü"])
def test_tool_name_problem(name: str) -> None:
    [problem] = validate_tools([ToolForm(name=name)])
    assert (problem.path, problem.code) == ("tools.0.name", "tool_name")
    assert "letters, digits, _ and -, 1 to 64 characters" in problem.message


def test_duplicate_tool_names() -> None:
    [problem] = validate_tools(
        [
            ToolForm(name="a"),
            ToolForm(name="b"),
            JsonTool(name="a", tool={"type": "function", "function": {"name": "a", "x": 1}}, reasons=[]),
        ]
    )
    assert (problem.path, problem.code) == ("tools.2.name", "duplicate_tool_name")
    assert problem.message == "Tool 1 is also named `a`; tool names must be unique."


def test_too_many_tools() -> None:
    tools = [ToolForm(name=f"t{i}") for i in range(129)]
    assert [(p.path, p.code) for p in validate_tools(tools)] == [("tools", "too_many_tools")]
    assert validate_tools(tools[:128]) == []


def test_every_row_problem_is_located_on_its_row() -> None:
    unit = PropertyRow(name="unit", enum=[])
    tool = ToolForm(
        name="get_weather",
        parameters=ObjectForm(
            properties=[
                PropertyRow(name="city", required=True),
                unit,
                PropertyRow(name="count", type="integer", enum=["two", 2, 2], default="many"),
                PropertyRow(name="address", type="object", properties=[PropertyRow(name="zip", pattern="([")]),
                PropertyRow(name="tags", type="array", items=FieldForm(type="boolean", enum=["yes"])),
                PropertyRow(name="", type="number", enum=["x"]),
                PropertyRow(name="n", type="string", min_length=-1),
            ]
        ),
    )
    problems = validate_tools([ToolForm(name="other"), tool])
    by_code = {p.code: p for p in problems}
    assert {(p.path, p.code) for p in problems} == {
        ("tools.1.parameters.unit.enum", "empty_enum"),
        ("tools.1.parameters.count.enum", "enum_type"),
        ("tools.1.parameters.count.enum", "duplicate_enum"),
        ("tools.1.parameters.count.default", "default_type"),
        ("tools.1.parameters.address.zip.pattern", "pattern_invalid"),
        ("tools.1.parameters.tags.items.enum", "enum_type"),
        ("tools.1.parameters.#5.name", "empty_name"),
        ("tools.1.parameters.#5.enum", "enum_type"),
        ("tools.1.parameters.n.minLength", "meta_schema"),
    }
    assert by_code["empty_enum"].message == (
        "The list of allowed values is empty, so no value could ever match; add a value or remove the list."
    )
    assert by_code["duplicate_enum"].message == "Allowed value `2` is listed twice."
    assert by_code["default_type"].message == "The default `many` is not a whole number (the type is integer)."
    assert by_code["empty_name"].message == "Property 6 needs a name."
    assert by_code["pattern_invalid"].message.startswith("The pattern does not compile: ")
    assert by_code["meta_schema"].message == "Not valid JSON Schema: -1 is less than the minimum of 0."
    assert "Allowed value `two` is not a whole number (the type is integer)." in [p.message for p in problems]
    unit.enum = ["metric"]
    assert ("tools.1.parameters.unit.enum", "empty_enum") not in _problems([ToolForm(name="other"), tool])


def test_duplicate_property_names_problem() -> None:
    form = ObjectForm(properties=[PropertyRow(name="a"), PropertyRow(name="a", type="integer", enum=[])])
    assert [(p.path, p.code, p.message) for p in validate_tools([ToolForm(name="t", parameters=form)])] == [
        ("tools.0.parameters.#1.name", "duplicate_property", "Two properties are named `a`; names must be unique.")
    ]


def test_json_tool_problems_required_that_does_not_exist_and_meta_schema() -> None:
    tool = {
        "name": "t",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "txt", "enum": [1]}, "b": {"type": "object", "required": ["z"]}},
            "required": ["a", "ghost"],
        },
    }
    [entry] = parse_tools(tool)
    assert isinstance(entry, JsonTool)
    problems = validate_tools([entry])
    assert {(p.path, p.code) for p in problems} == {
        ("tools.0.parameters.a.type", "meta_schema"),
        ("tools.0.parameters.required", "required_missing"),
        ("tools.0.parameters.b.required", "required_missing"),
    }
    ghost = next(p for p in problems if p.path == "tools.0.parameters.required")
    assert ghost.message == "`ghost` is marked required but there is no such property; add it or unmark it."
    meta = next(p for p in problems if p.code == "meta_schema")
    assert meta.message.startswith('"txt" is not a type; use one of string, number')


def test_json_tool_parameters_must_be_an_object_schema() -> None:
    [entry] = parse_tools({"name": "t", "parameters": {"type": "array"}})
    assert _problems([entry]) == {("tools.0.parameters", "parameters_not_object")}
    [entry] = parse_tools({"name": "t", "parameters": 3})
    assert ("tools.0.parameters", "parameters_not_object") in _problems([entry])


def test_validate_response_schema() -> None:
    good = parse_response_schema({"type": "json_schema", "json_schema": examples.WEATHER_SCHEMA})
    assert validate_response_schema(good) == []
    bad = SchemaForm(name="my answer", json_schema=ObjectForm(properties=[PropertyRow(name="u", enum=[])]))
    assert {(p.path, p.code) for p in validate_response_schema(bad)} == {
        ("response_format.name", "tool_name"),
        ("response_format.schema.u.enum", "empty_enum"),
    }
    assert [p.code for p in validate_schema({"type": "object", "enum": []})] == ["empty_enum"]
    assert [p.path for p in validate_schema(3)] == ["schema"]  # type: ignore[arg-type]


def test_no_problems_means_the_request_accepts_it() -> None:
    tools = parse_tools([examples.GET_WEATHER, {"name": "trip", "parameters": TRIP_SCHEMA}])
    assert validate_tools(tools) == []
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": tools_to_json(tools)}
    assert validate_body(body).to_body()["tools"] == tools_to_json(tools)


# ---------------------------------------------------------------------------------------------- tool calls


def _call(name: str | None, arguments: Any, call_id: str = "c1") -> ContentBlock:
    """A tool_use block exactly as the response module makes one from an OpenAI answer."""
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}],
    }
    completion = from_chat_completion({"id": "x", "model": "m", "choices": [{"index": 0, "message": message}]})
    return completion.tool_uses()[0]


def test_valid_call() -> None:
    [check] = check_tool_calls([_call("get_weather", '{"city": "Seoul", "unit": "metric"}')], [examples.GET_WEATHER])
    assert check.ok and check.arguments == {"city": "Seoul", "unit": "metric"} and check.id == "c1"


def test_call_violations_in_words() -> None:
    [check] = check_tool_calls([_call("get_weather", '{"unit": "kelvin"}')], parse_tools(examples.GET_WEATHER))
    assert not check.ok
    assert [(v.path, v.rule, v.message) for v in check.violations] == [
        ("$.city", "required", "`city` is required."),
        ("$.unit", "enum", "`unit` must be one of metric, imperial."),
    ]


def test_unknown_tool_and_nameless_call() -> None:
    checks = check_tool_calls([_call("get_wether", "{}"), _call(None, "{}")], [examples.GET_WEATHER, examples.ADD])
    assert [v.rule for c in checks for v in c.violations] == ["unknown_tool", "unknown_tool"]
    assert checks[0].violations[0].message == (
        "The model called `get_wether`, which is not one of the tools offered (get_weather, add)."
    )
    assert "a tool without a name" in checks[1].violations[0].message


@pytest.mark.parametrize(
    ("arguments", "rule", "words"),
    [
        ('{"city": "Seoul"', "not_json", "The arguments are not valid JSON: Expecting"),
        ("[1, 2]", "not_object", "The arguments must be a JSON object, not an array."),
        ('"Seoul"', "not_object", "not a string"),
    ],
)
def test_arguments_that_are_not_a_json_object_keep_their_text(arguments: str, rule: str, words: str) -> None:
    [check] = check_tool_calls([_call("get_weather", arguments)], [examples.GET_WEATHER])
    assert check.arguments is None and check.raw_arguments == arguments
    [violation] = check.violations
    assert violation.rule == rule and words in violation.message


def test_a_real_raw_parameter_is_an_argument() -> None:
    tool = {"name": "echo", "parameters": {"type": "object", "properties": {"_raw": {"type": "string"}}}}
    [check] = check_tool_calls([_call("echo", '{"_raw": "hi"}')], [tool])
    assert check.ok and check.arguments == {"_raw": "hi"}


def test_nested_call_violations_and_other_blocks_skipped() -> None:
    blocks = [
        ContentBlock(type="text", text="Sure."),
        _call(
            "trip",
            json.dumps(
                {
                    "traveller": {"name": "", "age": -1, "nick": "x"},
                    "stops": [{"city": 3, "nights": 4, "tags": ["art", "art2"]}],
                    "budget": 0.3,
                    "when": "tomorrow",
                }
            ),
        ),
    ]
    [check] = check_tool_calls(blocks, [ToolForm(name="trip", parameters=schema_to_form(TRIP_SCHEMA))])
    assert check.index == 0
    assert [(v.path, v.message) for v in check.violations] == [
        ("$.budget", "`budget` must be a multiple of 0.5."),
        ("$.stops[0].city", "`stops[0].city` must be a string."),
        ("$.stops[0].nights", "`stops[0].nights` must be one of 1, 2, 3."),
        ("$.stops[0].tags[1]", "`stops[0].tags[1]` must be one of food, art."),
        ("$.traveller.age", "`traveller.age` must be at least 0."),
        ("$.traveller.name", "`traveller.name` must be at least 1 character long."),
        ("$.traveller.nick", "`traveller.nick` is not allowed here (no properties beyond those listed)."),
        ("$.when", "`when` must be a valid date."),
    ]


# ---------------------------------------------------------------------------------------------- answers


def test_answer_ok() -> None:
    answer = '{"temperature": 12.5, "condition": "Clear", "humidity": 60, "city": "Seoul"}'
    check = check_answer(answer, examples.WEATHER_SCHEMA)
    assert check.ok and check.value["city"] == "Seoul"


def test_answer_violations() -> None:
    check = check_answer('{"temperature": "warm", "humidity": 60.5, "city": "Seoul"}', examples.WEATHER_SCHEMA)
    assert not check.ok and check.parsed
    assert [(v.path, v.rule, v.message) for v in check.violations] == [
        ("$.condition", "required", "`condition` is required."),
        ("$.humidity", "type", "`humidity` must be a whole number."),
        ("$.temperature", "type", "`temperature` must be a number."),
    ]


@pytest.mark.parametrize(
    ("text", "rule", "words"),
    [
        ("The weather is nice.", "not_json", "The answer is not valid JSON: Expecting value at line 1, column 1."),
        ('{"city": "Seoul"', "not_json", "The answer is not valid JSON"),
        ("", "not_json", "The answer is empty, not JSON."),
        ('{"city": "a", "city": "b"}', "duplicate_key", "The answer repeats the key `city`"),
        ('{"temperature": NaN}', "not_json", "NaN is not valid JSON"),
    ],
)
def test_unparseable_answer_keeps_its_text(text: str, rule: str, words: str) -> None:
    check = check_answer(text, examples.WEATHER_SCHEMA)
    assert not check.ok and not check.parsed and check.text == text and check.value is None
    [violation] = check.violations
    assert violation.rule == rule and words in violation.message


@pytest.mark.parametrize(
    ("schema", "value", "message"),
    [
        ({"type": "string"}, 3, "The answer must be a string."),
        ({"type": ["string", "null"]}, 3, "The answer must be a string or null."),
        ({"const": "x"}, "y", "The answer must be x."),
        ({"enum": ["only"]}, "y", "The answer must be only."),
        ({"type": "number", "maximum": 3}, 4, "The answer must be at most 3."),
        ({"type": "number", "exclusiveMaximum": 3}, 3, "The answer must be less than 3."),
        ({"type": "number", "exclusiveMinimum": 3}, 3, "The answer must be greater than 3."),
        ({"type": "string", "maxLength": 2}, "abc", "The answer must be at most 2 characters long."),
        ({"type": "string", "pattern": "^a+$"}, "b", "The answer must match the pattern `^a+$`."),
        ({"type": "string", "format": "email"}, "nobody", "The answer must be a valid email."),
        ({"type": "array", "minItems": 2}, [1], "The answer must have at least 2 items."),
        ({"type": "array", "maxItems": 1}, [1, 2], "The answer must have at most 1 item."),
        ({"type": "array", "uniqueItems": True}, [1, 1], "The answer must not contain the same item twice."),
        ({"type": "object", "minProperties": 1}, {}, "The answer must have at least 1 property."),
        ({"anyOf": [{"type": "string"}, {"type": "null"}]}, 3, "The answer matches none of the allowed alternatives."),
        (
            {"oneOf": [{"type": "string"}, {"type": "string"}]},
            "x",
            "The answer matches more than one alternative; exactly one is allowed.",
        ),
        ({"oneOf": [{"type": "string"}, {"type": "null"}]}, 3, "The answer matches none of the allowed alternatives."),
        ({"not": {"type": "string"}}, "x", "The answer has a shape the schema excludes."),
        ({"type": "object", "properties": {"a": False}}, {"a": 1}, "`a` is not allowed here."),
        ({"type": "object", "dependentRequired": {"a": ["b"]}}, {"a": 1}, "The answer: 'b' is a dependency of 'a'."),
    ],
)
def test_every_rule_in_plain_words(schema: dict[str, Any], value: Any, message: str) -> None:
    check = check_answer(json.dumps(value), schema)
    assert [v.message for v in check.violations] == [message]


def test_answer_checked_against_any_response_format_shape() -> None:
    text = '{"temperature": 1, "condition": "x", "city": 3}'
    for shape in (
        examples.WEATHER_SCHEMA,
        {"type": "json_schema", "json_schema": examples.WEATHER_SCHEMA},
        {"type": "json_schema", "json_schema": {"name": "w", "schema": examples.WEATHER_SCHEMA, "strict": True}},
        parse_response_schema(examples.WEATHER_SCHEMA),
        schema_to_form(examples.WEATHER_SCHEMA),
    ):
        assert [v.message for v in check_answer(text, shape).violations] == ["`city` must be a string."]


def test_answer_with_an_invalid_schema() -> None:
    check = check_answer("{}", {"type": "strin"})
    assert check.parsed and [v.rule for v in check.violations] == ["invalid_schema"]


def test_names_with_backticks_cannot_break_out_of_code() -> None:
    assert code("a`b") == "``a`b``" and code("`x") == "`` `x ``" and code("") == '`""`'
    check = check_answer('{"![x](http://e/)`": 1}', {"type": "object", "additionalProperties": False})
    assert check.violations[0].message.startswith('``["![x](http://e/)`"]`` is not allowed')


# ---------------------------------------------------------------------------------------------- examples


def test_example_for_seed_schemas() -> None:
    assert example_for(examples.WEATHER_SCHEMA) == {"temperature": 0.0, "condition": "example", "humidity": 0, "city": "example"}
    assert example_for(WEATHER_FORM) == {"city": "example", "unit": "metric"}
    trip = example_for(TRIP_SCHEMA)
    assert _errors(trip, TRIP_SCHEMA) == [] and len(trip["stops"]) == 1


def test_example_for_required_only() -> None:
    assert example_for(examples.WEATHER_SCHEMA, required_only=True) == {
        "temperature": 0.0,
        "condition": "example",
        "city": "example",
    }
    recursive = {"type": "object", "properties": {"name": {"type": "string"}, "child": {"$ref": "#"}}}
    assert example_for(recursive) == {"name": "example", "child": {"name": "example", "child": {"name": "example"}}}


@pytest.mark.parametrize(
    "schema",
    [
        {"oneOf": [{"type": "string", "format": "email"}, {"type": "integer"}]},
        {"anyOf": [{"type": "null"}, {"type": "string"}]},
        {
            "$defs": {"p": {"type": "object", "properties": {"x": {"const": 3}}, "required": ["x"]}},
            "type": "object",
            "properties": {"p": {"$ref": "#/$defs/p"}, "q": {"type": "array", "items": {"$ref": "#/$defs/p"}}},
        },
        {
            "allOf": [
                {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
                {"properties": {"b": {"type": "string", "minLength": 3}}, "required": ["b"]},
            ]
        },
        {"type": "object", "required": ["x"], "additionalProperties": {"type": "integer", "minimum": 5}},
        {"type": "array", "items": {"type": "integer", "enum": [1, 2, 3]}, "minItems": 3, "uniqueItems": True},
        {"type": "array", "prefixItems": [{"type": "string"}, {"type": "boolean"}], "minItems": 2},
        {"type": "array", "contains": {"type": "integer"}, "items": {"type": ["string", "integer"]}},
        {"type": "number", "exclusiveMinimum": 0.1, "exclusiveMaximum": 0.2},
        {"type": "integer", "minimum": 7, "multipleOf": 0.5},
        {"type": "number", "maximum": -10},
        {"type": "string", "pattern": r"^[A-Z]{2}-\d{3}(x|y)?$", "maxLength": 8},
        {"type": "string", "pattern": r"^[^a-z]+$"},
        {"type": "string", "minLength": 12},
        {"type": "object", "properties": {"self": {"$ref": "#"}}},
        {"type": ["null", "boolean"]},
        {"properties": {"a": {"type": "string"}}, "required": ["a"]},
        {},
    ],
)
def test_example_for_constructs_is_valid(schema: dict[str, Any]) -> None:
    assert _errors(example_for(schema), schema) == []


@given(_forms(satisfiable=True))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_example_for_generated_forms_is_valid(form: ObjectForm) -> None:
    schema = form_to_schema(form)
    value = example_for(form)
    assert _errors(value, schema) == []
    assert value == example_for(schema)


@given(_forms(satisfiable=True), st.data())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_example_for_generated_schemas_with_constructs_is_valid(form: ObjectForm, data: st.DataObject) -> None:
    a, b = form_to_schema(form), form_to_schema(data.draw(_forms(satisfiable=True)))
    kind = data.draw(st.sampled_from(["oneOf", "anyOf", "allOf", "ref", "const"]))
    if kind in ("oneOf", "anyOf"):
        schema: dict[str, Any] = {kind: [a, {"type": "string", "maxLength": 0}, b]}
    elif kind == "allOf":
        schema = {"allOf": [a, {"type": "object", "minProperties": 0}]}
    elif kind == "ref":
        schema = {"$defs": {"a": a}, "type": "object", "properties": {"x": {"$ref": "#/$defs/a"}}, "required": ["x"]}
    else:
        schema = {"type": "object", "properties": {"fixed": {"const": copy.deepcopy(a)}}, "required": ["fixed"]}
    assert _errors(example_for(schema), schema) == []


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


def test_check_schema_valid_and_invalid() -> None:
    assert check_schema(WEATHER_PARAMS) == [] and check_schema({}) == []
    problems = check_schema({"type": "object", "properties": {"city": {"type": "txt"}}})
    assert problems and any("At properties/city/type:" in p for p in problems)
    assert len(check_schema([])) == 1


def test_validate_instance() -> None:
    assert validate_instance({"city": "Seoul"}, WEATHER_PARAMS) == []
    assert validate_instance({}, WEATHER_PARAMS) == ["At the top level: 'city' is a required property."]
    assert all(p.startswith("The schema is invalid.") for p in validate_instance({}, {"type": "strin"}))
