"""What the schema modules share and nothing else uses: JSON paths, type words, strict JSON reading, and
the form's JSON writer (`emit`, with `name_problems` and `addressable` for the checks).

Private to the package: import from here only inside `playground/schema/`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from playground.schema.models import ENUM_TYPES, FieldForm, ObjectForm, Problem, code

NUMERIC: Final[tuple[str, ...]] = ("number", "integer")

# JSON keyword → (FieldForm attribute, the types it applies to). Each is emitted only for those types.
CONSTRAINTS: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "format": ("format", ("string",)),
    "pattern": ("pattern", ("string",)),
    "minLength": ("min_length", ("string",)),
    "maxLength": ("max_length", ("string",)),
    "minimum": ("minimum", NUMERIC),
    "maximum": ("maximum", NUMERIC),
    "exclusiveMinimum": ("exclusive_minimum", NUMERIC),
    "exclusiveMaximum": ("exclusive_maximum", NUMERIC),
    "multipleOf": ("multiple_of", NUMERIC),
    "minItems": ("min_items", ("array",)),
    "maxItems": ("max_items", ("array",)),
    "uniqueItems": ("unique_items", ("array",)),
}


def json_path(parts: Sequence[Any], root: str = "$") -> str:
    """["properties", "my key", 0] → `$.properties["my key"][0]`."""
    out = root
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$-]*", str(p)):
            out += f".{p}"
        else:
            out += f"[{json.dumps(str(p), ensure_ascii=False)}]"
    return out


def row_path(prefix: str, parts: Sequence[Any]) -> str:
    """A JSON path inside a schema → the row address: `properties.X` → `X`, everything else kept."""
    segs: list[str] = [prefix] if prefix else []
    i = 0
    parts = list(parts)
    while i < len(parts):
        if parts[i] == "properties" and i + 1 < len(parts):
            segs.append(str(parts[i + 1]))
            i += 2
            continue
        segs.append(str(parts[i]))
        i += 1
    return ".".join(segs)


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v: Any) -> bool:
    return (isinstance(v, int | float) and not isinstance(v, bool)) and not (isinstance(v, float) and not math.isfinite(v))


def fits(value: Any, type_: str) -> bool:
    """Whether a JSON value is of a JSON Schema type (an integer-valued float counts as an integer)."""
    if type_ == "string":
        return isinstance(value, str)
    if type_ == "integer":
        return is_int(value) or (isinstance(value, float) and math.isfinite(value) and value.is_integer())
    if type_ == "number":
        return is_number(value)
    if type_ == "boolean":
        return isinstance(value, bool)
    if type_ == "null":
        return value is None
    if type_ == "array":
        return isinstance(value, list)
    if type_ == "object":
        return isinstance(value, Mapping)
    return False


TYPE_WORDS = {
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "null",
    "array": "an array",
    "object": "an object",
}


def type_words(types: list[str]) -> str:
    """["integer", "null"] → "a whole number or null" (each type in words)."""
    return " or ".join(TYPE_WORDS.get(t, t) for t in types)


# The keywords under which a schema holds subschemas: a map of them, a list of them, or one.
SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SUBSCHEMA_ONE = (
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
)

A_TYPE = {
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "array": "an array",
    "object": "an object",
}


def value_text(value: Any) -> str:
    """An allowed value in a message: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


class _DuplicateKey(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class JsonFailure(ValueError):
    def __init__(self, kind: str, detail: str) -> None:
        self.kind, self.detail = kind, detail
        super().__init__(detail)


def loads(text: str) -> Any:
    """json.loads, strict: no NaN/Infinity, no repeated keys (json.loads would keep the last one silently)."""
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_constant=_no_constant)
    except _DuplicateKey as e:
        raise JsonFailure("duplicate_key", str(e.args[0])) from None
    except json.JSONDecodeError as e:
        raise JsonFailure("not_json", f"{e.msg} at line {e.lineno}, column {e.colno}") from None
    except ValueError as e:
        raise JsonFailure("not_json", str(e)) from None


def declared_types(schema: Mapping[str, Any]) -> list[str] | None:
    t = schema.get("type")
    if isinstance(t, str):
        return [t]
    if isinstance(t, list) and all(isinstance(x, str) for x in t):
        return list(t)
    return None


def emit(f: FieldForm) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(f, ObjectForm) and f.dialect is not None:
        out["$schema"] = f.dialect
    out["type"] = [f.type, "null"] if f.nullable else f.type
    if f.title:
        out["title"] = f.title
    if f.description:
        out["description"] = f.description
    if f.type in ENUM_TYPES:
        if f.enum is not None:
            out["enum"] = list(f.enum)
        if f.default is not None:
            out["default"] = f.default
    for key, (attr, types) in CONSTRAINTS.items():
        value = getattr(f, attr)
        if value is not None and f.type in types:
            out[key] = value
    if f.type == "array" and f.items is not None:
        out["items"] = emit(f.items)
    if f.type == "object":
        out["properties"] = {row.name: emit(row) for row in f.properties}
        required = [row.name for row in f.properties if row.required]
        if required:
            out["required"] = required
        if f.additional_properties is not None:
            out["additionalProperties"] = f.additional_properties
    return out


def name_problems(f: FieldForm, path: str) -> list[Problem]:
    """Empty and repeated property names, at every depth of the form (only objects' rows count)."""
    problems: list[Problem] = []
    if f.type == "object":
        seen: set[str] = set()
        for i, row in enumerate(f.properties):
            label = row.name if row.name and row.name not in seen else f"#{i}"
            here = f"{path}.{label}" if path else label
            if not row.name:
                problems.append(Problem(path=f"{here}.name", code="empty_name", message=f"Property {i + 1} needs a name."))
            elif row.name in seen:
                problems.append(
                    Problem(
                        path=f"{here}.name",
                        code="duplicate_property",
                        message=f"Two properties are named {code(row.name)}; names must be unique.",
                    )
                )
            seen.add(row.name)
            problems.extend(name_problems(row, here))
    if f.type == "array" and f.items is not None:
        problems.extend(name_problems(f.items, f"{path}.items" if path else "items"))
    return problems


def addressable(form: FieldForm) -> FieldForm:
    """A copy whose unnamed rows are named by position ("#2"), so problems found in the JSON can name them."""
    rows: list[Any] = [r.model_copy(update={"name": r.name or f"#{i}"}) for i, r in enumerate(form.properties)]
    rows = [addressable(r) for r in rows]
    items = addressable(form.items) if form.items is not None else None
    return form.model_copy(update={"properties": rows, "items": items})
