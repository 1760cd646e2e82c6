"""playground.schema.example: example_for gives a valid example of every schema the form makes, and more."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground import examples
from playground.schema import ObjectForm, example_for, form_to_schema
from tests import fuzz
from tests.core.schema_cases import (
    TRIP_SCHEMA,
    WEATHER_FORM,
    _errors,
    _forms,
)

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
@settings(max_examples=fuzz.examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_example_for_generated_forms_is_valid(form: ObjectForm) -> None:
    schema = form_to_schema(form)
    value = example_for(form)
    assert _errors(value, schema) == []
    assert value == example_for(schema)


@given(_forms(satisfiable=True), st.data())
@settings(max_examples=fuzz.examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
