"""Shared by the schema tests: the seed's weather tool, a nested trip schema, and hypothesis strategies that
generate forms (nested objects, arrays of objects, arrays of arrays)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from playground import examples
from playground.schema import PARAM_TYPES, SCALAR_TYPES, FieldForm, ObjectForm, PropertyRow

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


def _subschema_paths(schema: dict[str, Any], parts: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [parts]
    for name, sub in schema.get("properties", {}).items():
        out += _subschema_paths(sub, (*parts, "properties", name))
    if isinstance(schema.get("items"), dict):
        out += _subschema_paths(schema["items"], (*parts, "items"))
    return out


# A tools list with one of each problem: a bad name, a misspelt type, a non-number bound, a repeated name.
BAD_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get weather",
            "parameters": {
                "type": "object",
                "properties": {"unit": {"type": "strin"}, "days": {"type": "integer", "minimum": "x"}},
            },
        },
    },
    {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}},
    {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}},
]
