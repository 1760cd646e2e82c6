"""Rows ↔ JSON Schema, both ways, so people can define tools and response schemas without writing JSON.

A row is one property of an object schema: a name, a type, a description, whether it is required and,
optionally, the allowed values. `rows_to_schema` and `schema_to_rows` are inverses on everything rows can
express; a schema using anything else (nested objects with properties, `additionalProperties`, `$ref`, …)
makes `schema_to_rows` raise ValueError naming what it cannot show, so the UI falls back to a JSON editor.

Schemas are checked against the JSON Schema Draft 2020-12 meta-schema (`check_schema`), and instances against
a schema (`validate_instance`); both return plain messages, not exceptions, because the UI lists them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as _SchemaError

from playground.fields import TOOL_NAME_PATTERN

PARAM_TYPES: Final[tuple[str, ...]] = ("string", "number", "integer", "boolean", "array", "object")
SCALAR_TYPES: Final[tuple[str, ...]] = ("string", "number", "integer", "boolean")
# Types whose values can be listed in a row's `enum` (arrays and objects cannot).
ENUM_TYPES: Final[tuple[str, ...]] = SCALAR_TYPES

_META = Draft202012Validator(Draft202012Validator.META_SCHEMA)
_JSON_TYPES = "array, boolean, integer, null, number, object, string"


@dataclass
class ParamRow:
    """One property of an object schema, as the form shows it.

    `enum` holds the allowed values as text (what the person typed); for number, integer and boolean rows
    they are converted to JSON numbers / booleans in the schema. `items` is the item type of an array row
    (one of SCALAR_TYPES, or None for "any"); it is an addition to the contract's fields, defaulted so
    callers that do not know it are unaffected.
    """

    name: str
    type: str = "string"
    description: str = ""
    required: bool = False
    enum: list[str] = field(default_factory=list)
    items: str | None = None


# ---------------------------------------------------------------------------------------------- rows → schema


def _enum_value(text: str, type_: str, row: str) -> Any:
    """Turn one typed enum value into its JSON value for `type_`; ValueError in plain words if it cannot be."""
    if type_ == "string":
        return text
    if type_ == "integer":
        try:
            return int(text.strip())
        except ValueError:
            raise ValueError(f"Parameter “{row}”: allowed value “{text}” is not a whole number.") from None
    if type_ == "number":
        t = text.strip()
        try:
            return int(t) if re.fullmatch(r"-?\d+", t) else float(t)
        except ValueError:
            raise ValueError(f"Parameter “{row}”: allowed value “{text}” is not a number.") from None
    if type_ == "boolean":
        t = text.strip().lower()
        if t in ("true", "false"):
            return t == "true"
        raise ValueError(f"Parameter “{row}”: allowed value “{text}” must be true or false.")
    raise ValueError(f"Parameter “{row}”: a {type_} cannot have a list of allowed values.")


def _enum_text(value: Any, type_: str, row: str) -> str:
    """The inverse of `_enum_value`; ValueError when a schema's enum value does not fit the row's type."""
    ok = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool)
        and not (isinstance(value, float) and not math.isfinite(value)),
        "boolean": isinstance(value, bool),
    }.get(type_, False)
    if not ok:
        raise ValueError(f"Property “{row}”: allowed value {json.dumps(value)} does not fit type {type_}.")
    if type_ == "boolean":
        return "true" if value else "false"
    return value if isinstance(value, str) else repr(value)


def _row_schema(row: ParamRow) -> dict[str, Any]:
    if row.type not in PARAM_TYPES:
        raise ValueError(f"Parameter “{row.name}”: type must be one of {', '.join(PARAM_TYPES)}, not “{row.type}”.")
    prop: dict[str, Any] = {"type": row.type}
    if row.description:
        prop["description"] = row.description
    if row.enum:
        prop["enum"] = [_enum_value(v, row.type, row.name) for v in row.enum]
    if row.items is not None:
        if row.type != "array":
            raise ValueError(f"Parameter “{row.name}”: only an array has an item type.")
        if row.items not in SCALAR_TYPES:
            raise ValueError(f"Parameter “{row.name}”: item type must be one of {', '.join(SCALAR_TYPES)}.")
        prop["items"] = {"type": row.items}
    return prop


def rows_to_schema(rows: Iterable[ParamRow]) -> dict[str, Any]:
    """The object schema the rows describe: `{"type": "object", "properties": …, "required": […]}`.

    `required` is present only when some row is required, `description`/`enum`/`items` only when set, so
    the output is canonical and `schema_to_rows` gives the same rows back. Raises ValueError (plain words)
    for an empty or repeated name, an unknown type, or an allowed value that does not fit the type.
    """
    properties: dict[str, Any] = {}
    required: list[str] = []
    for row in rows:
        if not row.name:
            raise ValueError("Every parameter needs a name.")
        if row.name in properties:
            raise ValueError(f"Two parameters are named “{row.name}”; names must be unique.")
        properties[row.name] = _row_schema(row)
        if row.required:
            required.append(row.name)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


# ---------------------------------------------------------------------------------------------- schema → rows

_TOP_KEYS = {"type", "properties", "required"}
_PROP_KEYS = {"type", "description", "enum", "items"}


def _prop_row(name: str, prop: Any, required: bool) -> ParamRow:
    if not isinstance(prop, Mapping):
        raise ValueError(f"Property “{name}” is not an object schema; rows cannot show it.")
    extra = sorted(set(prop) - _PROP_KEYS)
    if extra:
        raise ValueError(f"Property “{name}” uses {', '.join(repr(k) for k in extra)}, which rows cannot show.")
    type_ = prop.get("type")
    if type_ not in PARAM_TYPES:
        raise ValueError(f"Property “{name}” needs a single type out of {', '.join(PARAM_TYPES)}; it has {type_!r}.")
    description = prop.get("description", "")
    if not isinstance(description, str):
        raise ValueError(f"Property “{name}” has a description that is not text.")
    enum = prop.get("enum", [])
    if not isinstance(enum, list) or ("enum" in prop and not enum):
        raise ValueError(f"Property “{name}” has an enum that is not a non-empty list.")
    items: str | None = None
    if "items" in prop:
        it = prop["items"]
        if type_ != "array" or not isinstance(it, Mapping) or set(it) != {"type"} or it["type"] not in SCALAR_TYPES:
            raise ValueError(f"Property “{name}” has items rows cannot show (only {{\"type\": <scalar>}} on arrays).")
        items = it["type"]
    return ParamRow(
        name=name,
        type=type_,
        description=description,
        required=required,
        enum=[_enum_text(v, type_, name) for v in enum],
        items=items,
    )


def schema_to_rows(schema: Mapping[str, Any]) -> list[ParamRow]:
    """The rows for an object schema, in property order; ValueError naming what rows cannot express."""
    if not isinstance(schema, Mapping):
        raise ValueError("The schema must be a JSON object.")
    if schema.get("type") != "object":
        raise ValueError("Only a schema of type “object” can be shown as rows.")
    extra = sorted(set(schema) - _TOP_KEYS)
    if extra:
        raise ValueError(f"The schema uses {', '.join(repr(k) for k in extra)}, which rows cannot show.")
    properties = schema.get("properties", {})
    if not isinstance(properties, Mapping):
        raise ValueError("The schema's “properties” must be an object.")
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise ValueError("The schema's “required” must be a list of property names.")
    missing = [r for r in required if r not in properties]
    if missing:
        raise ValueError(f"“required” names {', '.join(missing)}, which is not a property.")
    if len(set(required)) != len(required):
        raise ValueError("“required” lists a property twice.")
    return [_prop_row(name, prop, name in required) for name, prop in properties.items()]


# ---------------------------------------------------------------------------------------------- checking


def _where(path: Sequence[Any]) -> str:
    return "/".join(str(p) for p in path) if path else "the top level"


def _plain(error: _SchemaError) -> str:
    """A meta-validation error in words, with where it is; the common bad-`type` case is spelled out."""
    where = _where(list(error.absolute_path))
    if error.validator == "anyOf" and error.absolute_path and error.absolute_path[-1] == "type":
        return f"At {where}: {json.dumps(error.instance)} is not a JSON Schema type (use one of {_JSON_TYPES})."
    return f"At {where}: {error.message}."


def check_schema(schema: Any) -> list[str]:
    """Problems with `schema` as a Draft 2020-12 JSON Schema, in plain words; empty when it is valid.

    Only object schemas (JSON objects) are accepted, since the API takes objects for tool parameters and
    response formats (the boolean schemas `true`/`false` are valid JSON Schema but not useful here).
    """
    if not isinstance(schema, Mapping):
        return ["The schema must be a JSON object, like {\"type\": \"object\", \"properties\": {…}}."]
    errors = sorted(_META.iter_errors(schema), key=lambda e: [str(p) for p in e.absolute_path])
    return [_plain(e) for e in errors]


def validate_instance(instance: Any, schema: Mapping[str, Any]) -> list[str]:
    """Where `instance` breaks `schema`, in plain words; empty when it conforms.

    An invalid schema is reported as such (each message prefixed "The schema is invalid"), never raised.
    """
    problems = check_schema(schema)
    if problems:
        return [f"The schema is invalid. {p}" for p in problems]
    errors = sorted(Draft202012Validator(schema).iter_errors(instance), key=lambda e: [str(p) for p in e.path])
    return [f"At {_where(list(e.absolute_path))}: {e.message}." for e in errors]


# ---------------------------------------------------------------------------------------------- helpers


def make_tool(name: str, description: str, rows: Iterable[ParamRow]) -> dict[str, Any]:
    """A tool in the API's shape, `{"type": "function", "function": {name, description, parameters}}`.

    Raises ValueError when the name does not match TOOL_NAME_PATTERN or the rows are invalid;
    an empty description is left out.
    """
    if not re.fullmatch(TOOL_NAME_PATTERN, name or ""):
        raise ValueError(f"Tool name “{name}” may use only letters, digits, _ and -, 1 to 64 characters.")
    function: dict[str, Any] = {"name": name}
    if description:
        function["description"] = description
    function["parameters"] = rows_to_schema(rows)
    return {"type": "function", "function": function}


def make_response_format(schema: Mapping[str, Any], name: str = "response", strict: bool = True) -> dict[str, Any]:
    """A `response_format` of type json_schema wrapping `schema` the way the API expects."""
    problems = check_schema(schema)
    if problems:
        raise ValueError(" ".join(problems))
    return {"type": "json_schema", "json_schema": {"name": name, "schema": dict(schema), "strict": strict}}
