"""Tools and answer shapes as forms, both ways with JSON Schema; validation; checking the model's answers.

Why: people demoing tool calling define a tool (or the JSON shape of an answer) in a form, developers paste
JSON and keep editing in the form, and every answer is checked against what was asked for. No Streamlit here.

The form
    `FieldForm` is one schema the form can show: a single type (optionally nullable), title, description,
    allowed values (`enum`), a default, the usual constraints of its type, the item schema of an array and
    the property rows of an object. `PropertyRow` is a FieldForm with a name and a required flag;
    `ObjectForm` is the top-level object (tool parameters, a response schema). `ToolForm` is a function tool,
    `SchemaForm` a json_schema response format. Keywords the form covers: `type` (one of the six, or
    [type, "null"]), `title`, `description`, `enum` and `default` (scalars), `format`, `pattern`, `minLength`,
    `maxLength`, `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`, `items`,
    `minItems`, `maxItems`, `uniqueItems`, `properties`, `required`, `additionalProperties` (true/false), and
    `$schema` at the top.

Both ways
    `form_to_schema(form)` and `schema_to_form(schema)` are inverses: form → JSON → form gives the same form,
    and JSON → form → JSON the same schema up to meaning-free spelling (an empty description or title, an
    empty `required` list, the order of `required`, `properties: {}` on an object). Anything the form cannot
    show (`oneOf`, `anyOf`, `allOf`, `$ref`, `$defs`, `const`, `patternProperties`, a schema under
    `additionalProperties`, `examples`, a keyword on a type it does not apply to, …) is never dropped:
    `schema_to_form` raises `NotRepresentable` listing each construct with its JSON path, and the caller keeps
    the JSON as the source (`parse_tools` returns a `JsonTool` for such a tool). A constraint set in the form
    for another type (a pattern left on a row switched to integer) is kept in the form but not emitted.

Validation
    `validate_tools` / `validate_response_schema` / `validate_schema` return `Problem`s located on the row that
    caused them: the meta-schema (with the `jsonschema` library), tool names, duplicate tool and property
    names, empty enums, enum values and defaults of the wrong type, repeated enum values, `required` naming a
    property that does not exist, patterns that do not compile.

Answers
    `check_tool_calls` validates each tool call's arguments against its tool, `check_answer` an answer given
    under a json_schema response format; violations carry the instance's JSON path and the rule in words.
    `example_for` makes a valid example of any schema.

Messages quote names as Markdown code spans (safe for any name); still render them as text, never as HTML.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from re import _constants as _re_constants  # type: ignore[attr-defined]  # the regex parser behind `re`
from re import _parser as _re_parser  # type: ignore[attr-defined]
from typing import Annotated, Any, Final, Literal, TypeAlias

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as _SchemaError
from pydantic import AllowInfNan, BaseModel, ConfigDict, Field, Strict, StrictBool, StrictInt, StrictStr

from playground.fields import MAX_TOOLS, TOOL_NAME_PATTERN
from playground.response import ContentBlock

__all__ = [
    "ENUM_TYPES",
    "PARAM_TYPES",
    "SCALAR_TYPES",
    "AnswerCheck",
    "CallCheck",
    "Construct",
    "FieldForm",
    "FormError",
    "InputError",
    "JsonResponseSchema",
    "JsonTool",
    "NotRepresentable",
    "ObjectForm",
    "Problem",
    "PropertyRow",
    "SchemaForm",
    "ToolForm",
    "Violation",
    "check_answer",
    "check_schema",
    "check_tool_calls",
    "code",
    "enum_text",
    "example_for",
    "form_to_schema",
    "parse_enum_text",
    "parse_json_text",
    "parse_response_schema",
    "parse_tools",
    "response_format_json",
    "schema_to_form",
    "tool_to_json",
    "tools_to_json",
    "validate_instance",
    "validate_response_schema",
    "validate_schema",
    "validate_tools",
]

PropType: TypeAlias = Literal["string", "number", "integer", "boolean", "array", "object"]
PARAM_TYPES: Final[tuple[str, ...]] = ("string", "number", "integer", "boolean", "array", "object")
SCALAR_TYPES: Final[tuple[str, ...]] = ("string", "number", "integer", "boolean")
# Types whose values can be listed in `enum` or given as `default` by the form (arrays and objects cannot).
ENUM_TYPES: Final[tuple[str, ...]] = SCALAR_TYPES
_NUMERIC: Final[tuple[str, ...]] = ("number", "integer")

# JSON has no NaN or Infinity, so the form cannot hold them either.
FiniteFloat: TypeAlias = Annotated[float, Strict(), AllowInfNan(False)]
EnumValue: TypeAlias = StrictBool | StrictInt | FiniteFloat | StrictStr | None
Number: TypeAlias = StrictInt | FiniteFloat

_META = Draft202012Validator(Draft202012Validator.META_SCHEMA)
_JSON_TYPES = "array, boolean, integer, null, number, object, string"

# JSON keyword → (FieldForm attribute, the types it applies to). Each is emitted only for those types.
_CONSTRAINTS: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "format": ("format", ("string",)),
    "pattern": ("pattern", ("string",)),
    "minLength": ("min_length", ("string",)),
    "maxLength": ("max_length", ("string",)),
    "minimum": ("minimum", _NUMERIC),
    "maximum": ("maximum", _NUMERIC),
    "exclusiveMinimum": ("exclusive_minimum", _NUMERIC),
    "exclusiveMaximum": ("exclusive_maximum", _NUMERIC),
    "multipleOf": ("multiple_of", _NUMERIC),
    "minItems": ("min_items", ("array",)),
    "maxItems": ("max_items", ("array",)),
    "uniqueItems": ("unique_items", ("array",)),
}


# ---------------------------------------------------------------------------------------------- models


class FieldForm(BaseModel):
    """One schema as the form shows it. Settings for other types than `type` are kept but not emitted,
    so switching a row's type back and forth loses nothing the person typed."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    type: PropType = "string"
    nullable: bool = False  # `"type": [type, "null"]`
    title: str = ""
    description: str = ""
    enum: list[EnumValue] | None = None  # None: any value; []: an (invalid) empty list of allowed values
    default: EnumValue = None  # None: no default
    format: str | None = None
    pattern: str | None = None
    min_length: StrictInt | None = None
    max_length: StrictInt | None = None
    minimum: Number | None = None
    maximum: Number | None = None
    exclusive_minimum: Number | None = None
    exclusive_maximum: Number | None = None
    multiple_of: Number | None = None
    items: FieldForm | None = None  # arrays: the item schema; None = items of any kind
    min_items: StrictInt | None = None
    max_items: StrictInt | None = None
    unique_items: bool | None = None
    properties: list[PropertyRow] = Field(default_factory=list)  # objects: one row per property, in order
    additional_properties: bool | None = None  # None: not said (other properties allowed)


class PropertyRow(FieldForm):
    """One property of an object: a FieldForm with its name and whether the object requires it."""

    name: str = ""
    required: bool = False


class ObjectForm(FieldForm):
    """The top-level object schema of a tool's parameters or of a response format."""

    type: Literal["object"] = "object"
    dialect: str | None = None  # `$schema`


class ToolForm(BaseModel):
    """A function tool as the form shows it; `tool_to_json` gives the API's shape."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    name: str = ""
    description: str = ""
    parameters: ObjectForm = Field(default_factory=ObjectForm)
    strict: bool | None = None


class Construct(BaseModel):
    """Something in a schema the form cannot show; the JSON stays the source for it."""

    path: str  # JSONPath into the schema (or the tool), e.g. "$.properties.unit.oneOf"
    keyword: str  # the construct, e.g. "oneOf"
    message: str


class JsonTool(BaseModel):
    """A tool kept as JSON, in the API's shape, because the form cannot show all of it (`reasons`)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    tool: dict[str, Any]
    reasons: list[Construct]


class SchemaForm(BaseModel):
    """A json_schema response format as the form shows it; `response_format_json` gives the API's shape."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    name: str = "response"
    description: str = ""
    strict: bool | None = None
    json_schema: ObjectForm = Field(default_factory=ObjectForm)


class JsonResponseSchema(BaseModel):
    """A response schema kept as JSON because the form cannot show all of it (`reasons`)."""

    model_config = ConfigDict(extra="forbid")

    name: str = "response"
    description: str = ""
    strict: bool | None = None
    json_schema: dict[str, Any]
    reasons: list[Construct]


class Problem(BaseModel):
    """A reason not to send: `path` addresses the row, e.g. "tools.1.parameters.unit.enum".

    Path segments are tool indexes, property names (nested objects add theirs, array items add "items"),
    then the setting; a row without a usable name is addressed by its position, "#2".
    """

    path: str
    message: str
    code: str


class Violation(BaseModel):
    """Where an answer breaks its schema: `path` is the JSONPath in the answer ("$.stops[0].city"),
    `rule` the JSON Schema keyword broken ("enum", "required", …) or not_json / unknown_tool / …"""

    path: str
    message: str
    rule: str


class CallCheck(BaseModel):
    """One tool call checked against its tool. `arguments` is None when they were not a JSON object;
    then `raw_arguments` holds the model's text, intact."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: dict[str, Any] | None = None
    raw_arguments: str | None = None
    violations: list[Violation] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


class AnswerCheck(BaseModel):
    """An answer under a json_schema response format, checked. `value` is the parsed JSON when `parsed`."""

    text: str
    parsed: bool
    value: Any = None
    violations: list[Violation] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.parsed and not self.violations


class NotRepresentable(ValueError):
    """The schema uses constructs the form cannot show; keep the JSON as the source."""

    def __init__(self, constructs: list[Construct]) -> None:
        self.constructs = constructs
        super().__init__("; ".join(f"{c.path}: {c.message}" for c in constructs))


class FormError(ValueError):
    """The form cannot be written as JSON (two properties of one object share a name)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(" ".join(p.message for p in problems))


class InputError(ValueError):
    """Pasted text or a value is not JSON, or not a tool / response schema in any accepted shape."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(" ".join(p.message for p in problems))


# ---------------------------------------------------------------------------------------------- small helpers


def code(name: Any) -> str:
    """`name` as a Markdown code span that no backtick inside it can break out of ("" shows as `""`)."""
    text = str(name).replace("\n", " ") or '""'
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _json_path(parts: Sequence[Any], root: str = "$") -> str:
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


def _row_path(prefix: str, parts: Sequence[Any]) -> str:
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


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return (isinstance(v, int | float) and not isinstance(v, bool)) and not (isinstance(v, float) and not math.isfinite(v))


def _fits(value: Any, type_: str) -> bool:
    """Whether a JSON value is of a JSON Schema type (an integer-valued float counts as an integer)."""
    if type_ == "string":
        return isinstance(value, str)
    if type_ == "integer":
        return _is_int(value) or (isinstance(value, float) and math.isfinite(value) and value.is_integer())
    if type_ == "number":
        return _is_number(value)
    if type_ == "boolean":
        return isinstance(value, bool)
    if type_ == "null":
        return value is None
    if type_ == "array":
        return isinstance(value, list)
    if type_ == "object":
        return isinstance(value, Mapping)
    return False


_TYPE_WORDS = {
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "null",
    "array": "an array",
    "object": "an object",
}


_A_TYPE = {
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "array": "an array",
    "object": "an object",
}


def _value_text(value: Any) -> str:
    """An allowed value in a message: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def enum_text(value: EnumValue) -> str:
    """How the form shows one allowed value as text: strings as they are, others as JSON."""
    return _value_text(value)


def parse_enum_text(text: str, type_: str) -> EnumValue:
    """One allowed value typed into the form → its JSON value for a row of `type_`.

    Text that does not fit the type is returned unchanged (a string), so validation can name it on its row.
    "null" becomes null for every type except string.
    """
    t = text.strip()
    if type_ != "string" and t == "null":
        return None
    if type_ == "integer" and re.fullmatch(r"[+-]?\d+", t):
        return int(t)
    if type_ == "number":
        if re.fullmatch(r"[+-]?\d+", t):
            return int(t)
        try:
            f = float(t)
        except ValueError:
            return text
        return f if math.isfinite(f) else text
    if type_ == "boolean" and t.lower() in ("true", "false"):
        return t.lower() == "true"
    return text


# ---------------------------------------------------------------------------------------------- parsing JSON text


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


class _JsonFailure(ValueError):
    def __init__(self, kind: str, detail: str) -> None:
        self.kind, self.detail = kind, detail
        super().__init__(detail)


def _loads(text: str) -> Any:
    """json.loads, strict: no NaN/Infinity, no repeated keys (json.loads would keep the last one silently)."""
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_constant=_no_constant)
    except _DuplicateKey as e:
        raise _JsonFailure("duplicate_key", str(e.args[0])) from None
    except json.JSONDecodeError as e:
        raise _JsonFailure("not_json", f"{e.msg} at line {e.lineno}, column {e.colno}") from None
    except ValueError as e:
        raise _JsonFailure("not_json", str(e)) from None


def parse_json_text(text: str, path: str = "") -> Any:
    """Strict JSON (no NaN/Infinity, no repeated keys); InputError with one Problem ("not_json" or
    "duplicate_key") in plain words otherwise."""
    try:
        return _loads(text)
    except _JsonFailure as e:
        if e.kind == "duplicate_key":
            message = f"The key {code(e.detail)} appears twice in one object; keep one."
        else:
            message = f"Not valid JSON: {e.detail}."
        raise InputError([Problem(path=path, code=e.kind, message=message)]) from None


# ---------------------------------------------------------------------------------------------- form → JSON


def _emit(f: FieldForm) -> dict[str, Any]:
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
    for key, (attr, types) in _CONSTRAINTS.items():
        value = getattr(f, attr)
        if value is not None and f.type in types:
            out[key] = value
    if f.type == "array" and f.items is not None:
        out["items"] = _emit(f.items)
    if f.type == "object":
        out["properties"] = {row.name: _emit(row) for row in f.properties}
        required = [row.name for row in f.properties if row.required]
        if required:
            out["required"] = required
        if f.additional_properties is not None:
            out["additionalProperties"] = f.additional_properties
    return out


def _name_problems(f: FieldForm, path: str) -> list[Problem]:
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
            problems.extend(_name_problems(row, here))
    if f.type == "array" and f.items is not None:
        problems.extend(_name_problems(f.items, f"{path}.items" if path else "items"))
    return problems


def _addressable(form: FieldForm) -> FieldForm:
    """A copy whose unnamed rows are named by position ("#2"), so problems found in the JSON can name them."""
    rows = [r.model_copy(update={"name": r.name or f"#{i}"}) for i, r in enumerate(form.properties)]
    rows = [_addressable(r) for r in rows]
    items = _addressable(form.items) if form.items is not None else None
    return form.model_copy(update={"properties": rows, "items": items})


def form_to_schema(form: FieldForm) -> dict[str, Any]:
    """The JSON Schema the form describes (canonical: no empty description, `required` in row order).

    Raises FormError when two properties of one object share a name (JSON cannot hold both).
    """
    duplicates = [p for p in _name_problems(form, "") if p.code == "duplicate_property"]
    if duplicates:
        raise FormError(duplicates)
    return _emit(form)


def tool_to_json(tool: ToolForm | JsonTool) -> dict[str, Any]:
    """A tool in the API's shape, `{"type": "function", "function": {name, description?, parameters, strict?}}`."""
    if isinstance(tool, JsonTool):
        return copy.deepcopy(tool.tool)
    function: dict[str, Any] = {"name": tool.name}
    if tool.description:
        function["description"] = tool.description
    function["parameters"] = form_to_schema(tool.parameters)
    if tool.strict is not None:
        function["strict"] = tool.strict
    return {"type": "function", "function": function}


def tools_to_json(tools: Sequence[ToolForm | JsonTool]) -> list[dict[str, Any]]:
    """The API's `tools` list, in order."""
    return [tool_to_json(t) for t in tools]


def response_format_json(entry: SchemaForm | JsonResponseSchema) -> dict[str, Any]:
    """The API's `response_format`: `{"type": "json_schema", "json_schema": {name, description?, schema, strict?}}`."""
    spec: dict[str, Any] = {"name": entry.name}
    if entry.description:
        spec["description"] = entry.description
    spec["schema"] = form_to_schema(entry.json_schema) if isinstance(entry, SchemaForm) else copy.deepcopy(entry.json_schema)
    if entry.strict is not None:
        spec["strict"] = entry.strict
    return {"type": "json_schema", "json_schema": spec}


# ---------------------------------------------------------------------------------------------- JSON → form

_CONSTRUCT_WORDS = {
    "oneOf": "alternatives (exactly one must match)",
    "anyOf": "alternatives (at least one must match)",
    "allOf": "combined schemas",
    "not": "an excluded shape",
    "$ref": "a reference to another schema",
    "$defs": "shared definitions",
    "definitions": "shared definitions",
    "const": "a fixed value",
    "patternProperties": "properties matched by name patterns",
    "additionalProperties": "a schema for other properties",
    "examples": "examples",
    "if": "a condition",
    "then": "a condition",
    "else": "a condition",
    "prefixItems": "per-position item schemas",
    "contains": "a must-contain item",
    "dependentRequired": "properties required by other properties",
    "dependentSchemas": "schemas that depend on other properties",
    "propertyNames": "rules for property names",
    "minProperties": "a minimum number of properties",
    "maxProperties": "a maximum number of properties",
}


def _unsupported(path: str, key: str) -> Construct:
    words = _CONSTRUCT_WORDS.get(key, "this keyword")
    message = f"{code(key)}: the form cannot show {words}; edit it as JSON."
    return Construct(path=path, keyword=key, message=message)


def _read_type(value: Any) -> tuple[str | None, bool]:
    if isinstance(value, str) and value in PARAM_TYPES:
        return value, False
    if isinstance(value, list) and len(value) == 2 and value[0] in PARAM_TYPES and value[1] == "null":
        return value[0], True
    return None, False


def _read(schema: Any, parts: list[Any], out: list[Construct], *, top: bool = False) -> dict[str, Any] | None:
    """FieldForm keyword arguments for `schema`, appending to `out` whatever the form cannot show."""
    path = _json_path(parts)
    if not isinstance(schema, Mapping):
        what = "a true/false schema" if isinstance(schema, bool) else "a schema that is not an object"
        out.append(Construct(path=path, keyword="schema", message=f"The form cannot show {what}; edit it as JSON."))
        return None
    type_, nullable = _read_type(schema.get("type"))
    if type_ is None:
        present = [k for k in schema if k in _CONSTRUCT_WORDS]
        if present and "type" not in schema:  # e.g. {"oneOf": […]}: name the construct, not the missing type
            out.extend(_unsupported(_json_path([*parts, k]), k) for k in present)
            return None
        detail = f"the type {json.dumps(schema['type'])}" if "type" in schema else "a schema without a type"
        out.append(
            Construct(
                path=_json_path([*parts, "type"]),
                keyword="type",
                message=f"The form shows one type of {', '.join(PARAM_TYPES)} (or one of them or null), not {detail}; "
                "edit it as JSON.",
            )
        )
        return None
    kw: dict[str, Any] = {"type": type_, "nullable": nullable}
    start = len(out)
    for key, value in schema.items():
        if key != "type" and not _take(schema, key, value, type_, [*parts, key], kw, out, top):
            out.append(_unsupported_key([*parts, key], key, value, type_))
    return None if len(out) > start else kw


def _take(
    schema: Mapping[str, Any],
    key: str,
    value: Any,
    type_: str,
    here: list[Any],
    kw: dict[str, Any],
    out: list[Construct],
    top: bool,
) -> bool:
    """Put one keyword into the form's arguments; False when the form cannot show it."""
    if key in _APPLIES and type_ not in _APPLIES[key]:
        return False
    if key == "$schema" and top and isinstance(value, str):
        kw["dialect"] = value
    elif key in ("title", "description") and isinstance(value, str):
        kw[key] = value
    elif key == "enum" and isinstance(value, list) and all(_is_scalar(v) for v in value):
        kw["enum"] = list(value)
    elif key == "default" and _is_scalar(value) and value is not None:
        kw["default"] = value
    elif key in _CONSTRAINTS and _constraint_ok(key, value):
        kw[_CONSTRAINTS[key][0]] = value
    elif key == "items" and isinstance(value, Mapping):
        item = _read(value, here, out)
        if item is not None:
            kw["items"] = item
    elif key == "properties" and isinstance(value, Mapping):
        required = schema.get("required", [])
        rows = []
        for name, sub in value.items():
            row = _read(sub, [*here, name], out)
            if row is not None:
                rows.append({**row, "name": name, "required": isinstance(required, list) and name in required})
        kw["properties"] = rows
    elif key == "required":
        _check_required(value, schema.get("properties"), here, out)
    elif key == "additionalProperties" and isinstance(value, bool):
        kw["additional_properties"] = value
    else:
        return False
    return True


def _constraint_ok(key: str, value: Any) -> bool:
    if key in ("format", "pattern"):
        return isinstance(value, str)
    if key == "uniqueItems":
        return isinstance(value, bool)
    if key in ("minLength", "maxLength", "minItems", "maxItems"):
        return _is_int(value)
    return _is_number(value)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | bool) or _is_number(value)


# Which types the form shows each keyword for.
_APPLIES: Final[dict[str, tuple[str, ...]]] = {
    **{key: types for key, (_attr, types) in _CONSTRAINTS.items()},
    "items": ("array",),
    "properties": ("object",),
    "required": ("object",),
    "additionalProperties": ("object",),
    "enum": ENUM_TYPES,
    "default": ENUM_TYPES,
}
_VALUE_WORDS: Final[dict[str, str]] = {
    "additionalProperties": "a schema for other properties",
    "enum": "allowed values that are objects or arrays",
    "default": "a default that is null, an object or an array",
    "items": "a true/false item schema",
    "properties": "properties that are not an object",
    "title": "a title that is not text",
    "description": "a description that is not text",
}


def _unsupported_key(parts: list[Any], key: str, value: Any, type_: str) -> Construct:
    path = _json_path(parts)
    if key in _APPLIES and type_ not in _APPLIES[key]:
        shown = ", ".join(f"{t}s" for t in _APPLIES[key])
        message = f"{code(key)} on {_A_TYPE[type_]}: the form shows it only for {shown}; edit it as JSON."
        return Construct(path=path, keyword=key, message=message)
    if key in _VALUE_WORDS:
        return Construct(
            path=path, keyword=key, message=f"{code(key)}: the form cannot show {_VALUE_WORDS[key]}; edit it as JSON."
        )
    if key in _CONSTRAINTS:
        return Construct(
            path=path, keyword=key, message=f"{code(key)}: the form cannot show the value {json.dumps(value)}; edit it as JSON."
        )
    return _unsupported(path, key)


def _check_required(value: Any, props: Any, here: list[Any], out: list[Construct]) -> None:
    """`required` can be shown as row flags only when it names each existing property at most once."""
    path = _json_path(here)
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        out.append(
            Construct(path=path, keyword="required", message="`required` must be a list of property names; edit it as JSON.")
        )
        return
    names = props if isinstance(props, Mapping) else {}
    missing = [r for r in value if r not in names]
    if missing:
        out.append(
            Construct(
                path=path,
                keyword="required",
                message=f"`required` names {', '.join(code(m) for m in missing)}, which is not a "
                "property; add the property or edit it as JSON.",
            )
        )
    if len(set(value)) != len(value):
        out.append(Construct(path=path, keyword="required", message="`required` lists a property twice."))


def _build(kw: dict[str, Any], cls: type[FieldForm]) -> FieldForm:
    data = dict(kw)
    if data.get("items") is not None:
        data["items"] = _build(data["items"], FieldForm)
    data["properties"] = [_build(r, PropertyRow) for r in data.get("properties", [])]
    return cls(**data)


def schema_to_form(schema: Any) -> ObjectForm:
    """The form for an object schema. Raises NotRepresentable listing every construct (with its JSON path)
    that the form cannot show; then keep the JSON as the source."""
    out: list[Construct] = []
    kw = _read(schema, [], out, top=True)
    if kw is not None and (kw["type"] != "object"):
        out.append(
            Construct(
                path="$.type",
                keyword="type",
                message=f"The form shows an object at the top, not {_TYPE_WORDS[kw['type']]}; edit it as JSON.",
            )
        )
    if out or kw is None:
        raise NotRepresentable(out)
    form = _build(kw, ObjectForm)
    assert isinstance(form, ObjectForm)
    return form


# ---------------------------------------------------------------------------------------------- tools in any shape

_FUNCTION_KEYS = ("name", "description", "parameters", "strict")


def _as_list(value: Any, path: str) -> list[Any]:
    if isinstance(value, Mapping) and isinstance(value.get("tools"), list) and "function" not in value:
        return list(value["tools"])
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list):
        return list(value)
    raise InputError(
        [Problem(path=path, code="not_tools", message="Tools must be one tool (a JSON object) or an array of tools.")]
    )


def _function_of(entry: Any, path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(function, extra wrapper keys) for one tool in any accepted shape; InputError otherwise.

    Shapes: OpenAI `{"type": "function", "function": {…}}`; a bare function `{name, description, parameters}`;
    the flat `{"type": "function", name, …}`; and `{name, description, input_schema}` (the seed document's
    content[].input "following the input_schema", Anthropic's shape).
    """
    if not isinstance(entry, Mapping):
        raise InputError([Problem(path=path, code="not_a_tool", message="A tool must be a JSON object.")])
    kind = entry.get("type", "function")
    if kind != "function":
        raise InputError(
            [
                Problem(
                    path=f"{path}.type", code="not_function", message=f"Only function tools are supported, not type {code(kind)}."
                )
            ]
        )
    if "function" in entry:
        function = entry["function"]
        if not isinstance(function, Mapping):
            raise InputError([Problem(path=f"{path}.function", code="not_a_tool", message="`function` must be a JSON object.")])
        extra = {k: v for k, v in entry.items() if k not in ("type", "function")}
        function = dict(function)
    elif "name" in entry:
        function = {k: v for k, v in entry.items() if k != "type"}
        extra = {}
        if "input_schema" in function:
            if "parameters" in function:
                raise InputError(
                    [
                        Problem(
                            path=f"{path}.input_schema",
                            code="not_a_tool",
                            message="A tool has both `parameters` and `input_schema`; keep one.",
                        )
                    ]
                )
            function = {("parameters" if k == "input_schema" else k): v for k, v in function.items()}
    else:
        raise InputError(
            [Problem(path=path, code="not_a_tool", message="This is not a tool: it needs a `name` (or a `function` with one).")]
        )
    if not isinstance(function.get("name"), str):
        raise InputError([Problem(path=f"{path}.name", code="not_a_tool", message="A tool's name must be text.")])
    if "description" in function and not isinstance(function["description"], str):
        raise InputError([Problem(path=f"{path}.description", code="not_a_tool", message="A tool's description must be text.")])
    return function, extra


def _parse_tool(entry: Any, path: str) -> ToolForm | JsonTool:
    function, extra = _function_of(entry, path)
    tool = {"type": "function", **extra, "function": function}
    reasons = [_unsupported(_json_path([k]), k) for k in extra]
    reasons += [_unsupported(_json_path(["function", k]), k) for k in function if k not in _FUNCTION_KEYS]
    if "strict" in function and not isinstance(function["strict"], bool):
        reasons.append(
            Construct(path="$.function.strict", keyword="strict", message="`strict` is not true or false; edit it as JSON.")
        )
    parameters = function.get("parameters", {"type": "object", "properties": {}})
    form: ObjectForm | None = None
    try:
        form = schema_to_form(parameters)
    except NotRepresentable as e:
        reasons += [c.model_copy(update={"path": c.path.replace("$", "$.function.parameters", 1)}) for c in e.constructs]
    if reasons or form is None:
        return JsonTool(name=function["name"], tool=copy.deepcopy(tool), reasons=reasons)
    return ToolForm(
        name=function["name"], description=function.get("description", ""), parameters=form, strict=function.get("strict")
    )


def parse_tools(value: Any) -> list[ToolForm | JsonTool]:
    """Pasted tools → forms. Accepts JSON text or a value: one tool or an array (or a request body's
    `{"tools": […]}`), each in any shape `_function_of` accepts. A tool the form cannot show fully is a
    JsonTool (its JSON in the API's shape, with the reasons). Raises InputError (with Problems located at
    "tools.<i>") for text that is not JSON or an entry that is not a tool."""
    if isinstance(value, str):
        value = parse_json_text(value, "tools")
    entries = _as_list(value, "tools")
    out: list[ToolForm | JsonTool] = []
    problems: list[Problem] = []
    for i, entry in enumerate(entries):
        try:
            out.append(_parse_tool(entry, f"tools.{i}"))
        except InputError as e:
            problems.extend(e.problems)
    if problems:
        raise InputError(problems)
    return out


_SPEC_KEYS = {"name", "schema", "strict", "description"}


def parse_response_schema(value: Any) -> SchemaForm | JsonResponseSchema:
    """A response schema from JSON text or a value, in any of: the schema itself; `{"name", "schema",
    "strict"?, "description"?}`; the API's `{"type": "json_schema", "json_schema": {name, schema, …}}`; or the
    seed's short `{"type": "json_schema", "json_schema": {…the schema…}}`. Raises InputError otherwise."""
    if isinstance(value, str):
        value = parse_json_text(value, "response_format")
    if not isinstance(value, Mapping):
        raise InputError([Problem(path="response_format", code="not_schema", message="A response schema must be a JSON object.")])
    spec: Mapping[str, Any]
    if value.get("type") == "json_schema" and "json_schema" in value:
        extra = sorted(set(value) - {"type", "json_schema"})
        if extra:
            raise InputError(
                [
                    Problem(
                        path=f"response_format.{extra[0]}",
                        code="not_schema",
                        message=f"Unknown key {code(extra[0])} beside `json_schema`.",
                    )
                ]
            )
        inner = value["json_schema"]
        if not isinstance(inner, Mapping):
            raise InputError(
                [Problem(path="response_format.json_schema", code="not_schema", message="`json_schema` must be a JSON object.")]
            )
        spec = inner if _is_spec(inner) else {"schema": inner}
    elif _is_spec(value):
        spec = value
    else:
        spec = {"schema": value}
    name, description, strict = spec.get("name", "response"), spec.get("description", ""), spec.get("strict")
    bad = [k for k, v, t in (("name", name, str), ("description", description, str)) if not isinstance(v, t)]
    if strict is not None and not isinstance(strict, bool):
        bad.append("strict")
    if bad:
        raise InputError(
            [Problem(path=f"response_format.{bad[0]}", code="not_schema", message=f"`{bad[0]}` has the wrong type.")]
        )
    schema = spec["schema"]
    try:
        form = schema_to_form(schema)
    except NotRepresentable as e:
        if not isinstance(schema, Mapping):
            raise InputError(
                [Problem(path="response_format.schema", code="not_schema", message="The schema must be a JSON object.")]
            ) from None
        return JsonResponseSchema(
            name=name, description=description, strict=strict, json_schema=copy.deepcopy(dict(schema)), reasons=e.constructs
        )
    return SchemaForm(name=name, description=description, strict=strict, json_schema=form)


def _is_spec(value: Mapping[str, Any]) -> bool:
    return isinstance(value.get("schema"), Mapping | bool) and set(value) <= _SPEC_KEYS


# ---------------------------------------------------------------------------------------------- checking schemas


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
        return ['The schema must be a JSON object, like {"type": "object", "properties": {…}}.']
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


def _meta_problem(error: _SchemaError, prefix: str) -> Problem:
    path = _row_path(prefix, list(error.absolute_path))
    if error.validator == "anyOf" and error.absolute_path and error.absolute_path[-1] == "type":
        message = f"{json.dumps(error.instance)} is not a type; use one of {', '.join(PARAM_TYPES)} (or null)."
    else:
        message = f"Not valid JSON Schema: {error.message}."
    return Problem(path=path, message=message, code="meta_schema")


_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_ONE = (
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


def _declared_types(schema: Mapping[str, Any]) -> list[str] | None:
    t = schema.get("type")
    if isinstance(t, str):
        return [t]
    if isinstance(t, list) and all(isinstance(x, str) for x in t):
        return list(t)
    return None


def _known_types(schema: Mapping[str, Any]) -> list[str] | None:
    """The declared types when all are JSON types (a misspelt one is the meta-schema's to report)."""
    types = _declared_types(schema)
    return types if types is not None and all(t in _TYPE_WORDS for t in types) else None


def _type_words(types: list[str]) -> str:
    return " or ".join(_TYPE_WORDS.get(t, t) for t in types)


def _walk(schema: Any, parts: list[Any], prefix: str, out: list[Problem]) -> None:
    """The checks the meta-schema does not make, on every subschema."""
    if not isinstance(schema, Mapping):
        return
    here = _row_path(prefix, parts)
    types = _known_types(schema)
    enum = schema.get("enum")
    if isinstance(enum, list):
        if not enum:
            out.append(
                Problem(
                    path=f"{here}.enum",
                    code="empty_enum",
                    message="The list of allowed values is empty, so no value could ever match; add a value or remove the list.",
                )
            )
        for value in enum:
            if types is not None and not any(_fits(value, t) for t in types):
                out.append(
                    Problem(
                        path=f"{here}.enum",
                        code="enum_type",
                        message=f"Allowed value {code(_value_text(value))} is not {_type_words(types)} "
                        f"(the type is {' or '.join(types)}).",
                    )
                )
        seen: list[Any] = []
        for value in enum:
            if any(_same(value, s) for s in seen):
                out.append(
                    Problem(
                        path=f"{here}.enum",
                        code="duplicate_enum",
                        message=f"Allowed value {code(_value_text(value))} is listed twice.",
                    )
                )
            seen.append(value)
    if "default" in schema and types is not None and not any(_fits(schema["default"], t) for t in types):
        kinds = " or ".join(types)
        out.append(
            Problem(
                path=f"{here}.default",
                code="default_type",
                message=f"The default {code(_value_text(schema['default']))} is not {_type_words(types)} (the type is {kinds}).",
            )
        )
    required = schema.get("required")
    props = schema.get("properties")
    if isinstance(required, list):
        names = props if isinstance(props, Mapping) else {}
        for name in required:
            if isinstance(name, str) and name not in names:
                out.append(
                    Problem(
                        path=f"{here}.required",
                        code="required_missing",
                        message=f"{code(name)} is marked required but there is no such property; add it or unmark it.",
                    )
                )
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            re.compile(pattern)
        except re.error as e:
            out.append(Problem(path=f"{here}.pattern", code="pattern_invalid", message=f"The pattern does not compile: {e}."))
    for key in _SUBSCHEMA_MAPS:
        sub = schema.get(key)
        if isinstance(sub, Mapping):
            for name, s in sub.items():
                _walk(s, [*parts, key, name], prefix, out)
    for key in _SUBSCHEMA_LISTS:
        sub = schema.get(key)
        if isinstance(sub, list):
            for i, s in enumerate(sub):
                _walk(s, [*parts, key, i], prefix, out)
    for key in _SUBSCHEMA_ONE:
        _walk(schema.get(key), [*parts, key], prefix, out)


def _same(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, 1.0 is 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b


def _schema_problems(schema: Any, prefix: str) -> list[Problem]:
    if not isinstance(schema, Mapping):
        return [
            Problem(
                path=prefix,
                code="not_object",
                message='The schema must be a JSON object, like {"type": "object", "properties": {…}}.',
            )
        ]
    problems = [_meta_problem(e, prefix) for e in _META.iter_errors(schema)]
    _walk(schema, [], prefix, problems)
    return problems


def validate_schema(schema: FieldForm | Mapping[str, Any], prefix: str = "schema") -> list[Problem]:
    """Every reason this schema (form or JSON) cannot be sent, each located on its row under `prefix`."""
    if isinstance(schema, FieldForm):
        problems = _name_problems(schema, prefix)
        if any(p.code == "duplicate_property" for p in problems):
            return problems
        return problems + _schema_problems(_emit(_addressable(schema)), prefix)
    return _schema_problems(schema, prefix)


def _tool_name_problem(name: str, path: str) -> Problem | None:
    if re.fullmatch(TOOL_NAME_PATTERN, name):
        return None
    shown = code(name) if name else "(empty)"
    return Problem(
        path=path, code="tool_name", message=f"The name {shown} may use only letters, digits, _ and -, 1 to 64 characters."
    )


def validate_tools(tools: Sequence[ToolForm | JsonTool]) -> list[Problem]:
    """Every reason these tools cannot be sent, each on its row: "tools.<i>.name",
    "tools.<i>.parameters.<property>….<setting>"."""
    problems: list[Problem] = []
    if len(tools) > MAX_TOOLS:
        problems.append(
            Problem(
                path="tools",
                code="too_many_tools",
                message=f"{len(tools)} tools are more than the API takes ({MAX_TOOLS}); switch some off.",
            )
        )
    seen: dict[str, int] = {}
    for i, tool in enumerate(tools):
        prefix = f"tools.{i}"
        bad_name = _tool_name_problem(tool.name, f"{prefix}.name")
        if bad_name:
            problems.append(bad_name)
        if tool.name in seen:
            problems.append(
                Problem(
                    path=f"{prefix}.name",
                    code="duplicate_tool_name",
                    message=f"Tool {seen[tool.name] + 1} is also named {code(tool.name)}; tool names must be unique.",
                )
            )
        seen.setdefault(tool.name, i)
        if isinstance(tool, ToolForm):
            problems.extend(validate_schema(tool.parameters, f"{prefix}.parameters"))
            continue
        function = tool.tool.get("function")
        parameters = function.get("parameters", {"type": "object"}) if isinstance(function, Mapping) else None
        if not isinstance(parameters, Mapping) or parameters.get("type") != "object":
            problems.append(
                Problem(
                    path=f"{prefix}.parameters",
                    code="parameters_not_object",
                    message='A tool\'s parameters must be a schema of type "object".',
                )
            )
        if isinstance(parameters, Mapping):
            problems.extend(validate_schema(parameters, f"{prefix}.parameters"))
    return problems


def validate_response_schema(entry: SchemaForm | JsonResponseSchema) -> list[Problem]:
    """Every reason this response format cannot be sent: "response_format.name", "response_format.schema.…"."""
    problems: list[Problem] = []
    bad_name = _tool_name_problem(entry.name, "response_format.name")
    if bad_name:
        problems.append(bad_name)
    problems.extend(validate_schema(entry.json_schema, "response_format.schema"))
    return problems


# ---------------------------------------------------------------------------------------------- checking answers


def _shown(parts: Sequence[Any]) -> str:
    """The path of a value inside the answer as a person reads it: "stops[0].city"."""
    path = _json_path(parts)
    return path[2:] if path.startswith("$.") else path[1:]


def _label(parts: Sequence[Any], subject: str) -> str:
    return code(_shown(parts)) if parts else subject


def _count(n: Any, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _no_false(schema: Any) -> Any:
    """`false` subschemas as `{"not": {}}` (same meaning): jsonschema reports a false subschema without the
    path of the value it refused, and violations must say where they are."""
    if schema is False:
        return {"not": {}}
    if not isinstance(schema, Mapping):
        return schema
    out = dict(schema)
    for key in _SUBSCHEMA_MAPS:
        if isinstance(out.get(key), Mapping):
            out[key] = {k: _no_false(v) for k, v in out[key].items()}
    for key in _SUBSCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [_no_false(v) for v in out[key]]
    for key in _SUBSCHEMA_ONE:
        if key in out and not (key in ("additionalProperties", "unevaluatedProperties") and out[key] is False):
            out[key] = _no_false(out[key])  # those two are reported with their own words, path included
    return out


def _violations(instance: Any, schema: Any, subject: str) -> list[Violation]:
    """Every place `instance` breaks `schema`, in plain words. `subject` names the root ("The answer")."""
    validator = Draft202012Validator(_no_false(schema), format_checker=Draft202012Validator.FORMAT_CHECKER)
    out: list[Violation] = []
    for e in validator.iter_errors(instance):
        out.extend(_words(e, subject))
    unique = {(v.path, v.message): v for v in out}
    return sorted(unique.values(), key=lambda v: (v.path, v.rule, v.message))


def _words(e: _SchemaError, subject: str) -> list[Violation]:
    parts = list(e.absolute_path)
    label = _label(parts, subject)
    path = _json_path(parts)
    rule = str(e.validator) if e.validator is not None else "false"
    v = e.validator_value
    if rule == "required":
        missing = e.message.split(" is a required property")[0]
        names = [n for n in (v if isinstance(v, list) else []) if repr(n) == missing] or [missing]
        return [
            Violation(path=_json_path([*parts, n]), rule=rule, message=f"{code(_shown([*parts, n]))} is required.") for n in names
        ]
    if rule in ("additionalProperties", "unevaluatedProperties") and isinstance(e.instance, Mapping):
        allowed = e.schema.get("properties", {}) if isinstance(e.schema, Mapping) else {}
        patterns = e.schema.get("patternProperties", {}) if isinstance(e.schema, Mapping) else {}
        extra = [k for k in e.instance if k not in allowed and not any(re.search(p, k) for p in patterns)]
        if extra:
            return [
                Violation(
                    path=_json_path([*parts, k]),
                    rule=rule,
                    message=f"{code(_shown([*parts, k]))} is not allowed here (no properties beyond those listed).",
                )
                for k in extra
            ]
    if rule == "type":
        types = v if isinstance(v, list) else [v]
        message = f"{label} must be {_type_words([str(t) for t in types])}."
    elif rule == "enum":
        message = (
            f"{label} must be one of {', '.join(_value_text(x) for x in v)}."
            if len(v) != 1
            else f"{label} must be {_value_text(v[0])}."
        )
    elif rule == "const":
        message = f"{label} must be {_value_text(v)}."
    elif rule in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
        words = {
            "minimum": "at least",
            "maximum": "at most",
            "exclusiveMinimum": "greater than",
            "exclusiveMaximum": "less than",
            "multipleOf": "a multiple of",
        }[rule]
        message = f"{label} must be {words} {v}."
    elif rule in ("minLength", "maxLength"):
        message = f"{label} must be {'at least' if rule == 'minLength' else 'at most'} {_count(v, 'character')} long."
    elif rule in ("minItems", "maxItems"):
        message = f"{label} must have {'at least' if rule == 'minItems' else 'at most'} {_count(v, 'item')}."
    elif rule in ("minProperties", "maxProperties"):
        message = f"{label} must have {'at least' if rule == 'minProperties' else 'at most'} {_count(v, 'property')}."
    elif rule == "uniqueItems":
        message = f"{label} must not contain the same item twice."
    elif rule == "pattern":
        message = f"{label} must match the pattern {code(v)}."
    elif rule == "format":
        message = f"{label} must be a valid {v}."
    elif rule == "anyOf":
        message = f"{label} matches none of the allowed alternatives."
    elif rule == "oneOf":
        message = (
            f"{label} matches more than one alternative; exactly one is allowed."
            if not e.context
            else f"{label} matches none of the allowed alternatives."
        )
    elif rule == "not" and v == {}:
        message = f"{label} is not allowed here."
    elif rule == "not":
        message = f"{label} has a shape the schema excludes."
    elif rule == "false":
        message = f"{label} is not allowed here."
    else:
        message = f"{label}: {e.message}."
    return [Violation(path=path, rule=rule, message=message)]


def _schema_json(schema: Any) -> Any:
    """The bare JSON Schema of a form, a response-schema entry, or a response_format in any accepted shape."""
    if isinstance(schema, Mapping) and (schema.get("type") == "json_schema" or _is_spec(schema)):
        schema = parse_response_schema(schema)
    if isinstance(schema, FieldForm):
        return form_to_schema(schema)
    if isinstance(schema, SchemaForm | JsonResponseSchema):
        return response_format_json(schema)["json_schema"]["schema"]
    return schema


def _invalid_schema(schema: Any) -> Violation | None:
    problems = check_schema(schema)
    if not problems:
        return None
    return Violation(
        path="$", rule="invalid_schema", message=f"The schema is invalid, so this cannot be checked: {' '.join(problems)}"
    )


def check_answer(text: str, schema: FieldForm | SchemaForm | JsonResponseSchema | Mapping[str, Any]) -> AnswerCheck:
    """An answer under a json_schema response format: parsed, then validated. Unparseable JSON is one
    violation (rule "not_json") and the text is kept as it came."""
    try:
        value = _loads(text)
    except _JsonFailure as e:
        violation = _not_json("The answer", text, e)
        return AnswerCheck(text=text, parsed=False, violations=[violation])
    json_schema = _schema_json(schema)
    invalid = _invalid_schema(json_schema)
    if invalid:
        return AnswerCheck(text=text, parsed=True, value=value, violations=[invalid])
    return AnswerCheck(text=text, parsed=True, value=value, violations=_violations(value, json_schema, "The answer"))


def _tool_parameters(tools: Sequence[ToolForm | JsonTool | Mapping[str, Any]]) -> dict[str, Any]:
    """name → parameters schema (the first tool of a name wins)."""
    out: dict[str, Any] = {}
    for tool in tools:
        entries = parse_tools(tool) if isinstance(tool, Mapping) else [tool]
        for entry in entries:
            function = tool_to_json(entry)["function"]
            out.setdefault(entry.name, function.get("parameters", {"type": "object", "properties": {}}))
    return out


def check_tool_calls(calls: Sequence[ContentBlock], tools: Sequence[ToolForm | JsonTool | Mapping[str, Any]]) -> list[CallCheck]:
    """Each tool_use block's arguments validated against its tool's parameters (other blocks are skipped).

    A call naming no offered tool is a violation ("unknown_tool"); arguments that were not a JSON object
    (`response.parse_arguments` gives `{"_raw": text}`) are one ("not_json" / "not_object") with the text kept.
    """
    parameters = _tool_parameters(tools)
    checks: list[CallCheck] = []
    for index, call in enumerate(b for b in calls if b.type == "tool_use"):
        check = CallCheck(index=index, id=call.id, name=call.name)
        schema = parameters.get(call.name or "")
        args = dict(call.input or {})
        declared = schema.get("properties", {}) if isinstance(schema, Mapping) else {}
        raw = args.get("_raw")
        if set(args) == {"_raw"} and isinstance(raw, str) and not (isinstance(declared, Mapping) and "_raw" in declared):
            check.raw_arguments = raw
            check.violations.append(_raw_violation(raw))
        else:
            check.arguments = args
        if schema is None:
            offered = ", ".join(parameters) or "none"
            who = code(call.name) if call.name else "a tool without a name"
            check.violations.insert(
                0,
                Violation(
                    path="$",
                    rule="unknown_tool",
                    message=f"The model called {who}, which is not one of the tools offered ({offered}).",
                ),
            )
        elif check.arguments is not None:
            invalid = _invalid_schema(schema)
            check.violations.extend([invalid] if invalid else _violations(check.arguments, schema, "The arguments"))
        checks.append(check)
    return checks


def _not_json(subject: str, text: str, e: _JsonFailure) -> Violation:
    plural = subject == "The arguments"
    is_, repeats = ("are", "repeat") if plural else ("is", "repeats")
    if e.kind == "duplicate_key":
        message = f"{subject} {repeats} the key {code(e.detail)} in one object, so which value counts is ambiguous."
    elif not text.strip():
        message = f"{subject} {is_} empty, not JSON."
    else:
        message = f"{subject} {is_} not valid JSON: {e.detail}."
    return Violation(path="$", rule=e.kind, message=message)


def _raw_violation(raw: str) -> Violation:
    try:
        parsed = _loads(raw)
    except _JsonFailure as e:
        return _not_json("The arguments", raw, e)
    return Violation(
        path="$",
        rule="not_object",
        message=f"The arguments must be a JSON object, not {_TYPE_WORDS.get(_json_type(parsed), 'that')}.",
    )


def _json_type(value: Any) -> str:
    for t in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _fits(value, t) and not (t == "integer" and isinstance(value, float)):
            return t
    return "unknown"


# ---------------------------------------------------------------------------------------------- examples

_FORMAT_EXAMPLES: Final[dict[str, str]] = {
    "date": "2025-01-31",
    "date-time": "2025-01-31T12:00:00Z",
    "time": "12:00:00Z",
    "duration": "P1D",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uri": "https://example.com/",
    "uri-reference": "https://example.com/",
    "iri": "https://example.com/",
    "iri-reference": "https://example.com/",
    "uri-template": "https://example.com/{id}",
    "uuid": "123e4567-e89b-42d3-a456-426614174000",
    "json-pointer": "/example",
    "relative-json-pointer": "0",
    "regex": "^example$",
}
_MAX_DEPTH = 24


class _Examples:
    """Builds example values; every choice is checked against the schema and the first valid one kept."""

    def __init__(self, root: Any, required_only: bool = False) -> None:
        self.root = root
        self.required_only = required_only
        self.validator = (
            Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)
            if isinstance(root, Mapping | bool)
            else None
        )

    def valid(self, value: Any, schema: Any) -> bool:
        if self.validator is None:
            return False
        try:
            return self.validator.evolve(schema=schema).is_valid(value)
        except Exception:  # an unresolvable $ref or a bad pattern: cannot say it is valid
            return False

    def resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            return {}
        node: Any = self.root
        for part in [p for p in ref[1:].split("/") if p]:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return {}
        return node

    def make(self, schema: Any, depth: int = 0) -> Any:
        candidates = self.candidates(schema, depth)
        for value in candidates:
            if self.valid(value, schema):
                return value
        return candidates[0] if candidates else None

    def candidates(self, schema: Any, depth: int) -> list[Any]:
        if schema is True or schema is None:
            return ["example"]
        if schema is False or not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
            return [None]
        s = dict(schema)
        out: list[Any] = []
        if "const" in s:
            return [copy.deepcopy(s["const"])]
        if isinstance(s.get("enum"), list) and s["enum"]:
            return [copy.deepcopy(v) for v in s["enum"]]
        if "default" in s:
            out.append(copy.deepcopy(s["default"]))
        if isinstance(s.get("examples"), list):
            out.extend(copy.deepcopy(s["examples"]))
        for _hop in range(_MAX_DEPTH):
            if not isinstance(s.get("$ref"), str):
                break
            target = self.resolve(s.pop("$ref"))
            s = _merge(target, s) if isinstance(target, Mapping) else s
        for part in s.pop("allOf", []) if isinstance(s.get("allOf"), list) else []:
            if isinstance(part, Mapping):
                if isinstance(part.get("$ref"), str):
                    target = self.resolve(part["$ref"])
                    part = _merge(target, {k: w for k, w in part.items() if k != "$ref"}) if isinstance(target, Mapping) else part
                s = _merge(s, part)
        for key in ("oneOf", "anyOf"):
            branches = s.pop(key, None)
            if isinstance(branches, list) and branches:
                for branch in branches:
                    merged = _merge(s, branch) if isinstance(branch, Mapping) else s
                    out.extend(self.candidates(merged, depth + 1))
                return out
        if "const" in s or "enum" in s:
            return out + self.candidates(s, depth + 1)
        return out + self.by_type(s, depth)

    def by_type(self, s: dict[str, Any], depth: int) -> list[Any]:
        types = _declared_types(s)
        if types is None:
            types = [_infer_type(s)]
        non_null = [t for t in types if t != "null"]
        out: list[Any] = []
        for t in non_null or ["null"]:
            out.extend(self.of_type(t, s, depth))
        return out

    def of_type(self, t: str, s: dict[str, Any], depth: int) -> list[Any]:
        if t == "null":
            return [None]
        if t == "boolean":
            return [True, False]
        if t == "string":
            return _strings(s)
        if t in _NUMERIC:
            return _numbers(s, t == "integer")
        if t == "array":
            return self.arrays(s, depth)
        if t == "object":
            return self.objects(s, depth)
        return ["example"]

    def arrays(self, s: dict[str, Any], depth: int) -> list[Any]:
        prefix = s.get("prefixItems") if isinstance(s.get("prefixItems"), list) else []
        items = s.get("items", True)
        low = s["minItems"] if _is_int(s.get("minItems")) else 0
        high = s["maxItems"] if _is_int(s.get("maxItems")) else None
        n = max(low, 1) if high is None else min(max(low, 1), high)
        values = [self.make(p, depth + 1) for p in prefix[:n]]
        if len(values) < n:
            first = self.make(items, depth + 1)
            values += [copy.deepcopy(first) for _ in range(n - len(values))]
        if s.get("uniqueItems") is True and len(values) > 1:
            values = self.distinct(values, items, depth)
        out = [values]
        if "contains" in s and not any(self.valid(v, s["contains"]) for v in values):
            contained = self.make(s["contains"], depth + 1)
            out = [values + [contained], [contained] + values[1:], values]
        return [*out, []]

    def distinct(self, values: list[Any], items: Any, depth: int) -> list[Any]:
        """Make repeated items different where the item schema allows (enum values, numbers, suffixes)."""
        pool: list[Any] = []
        if isinstance(items, Mapping):
            if isinstance(items.get("enum"), list):
                pool = [v for v in items["enum"] if self.valid(v, items)]
            pool += [v for v in self.candidates(items, depth + 1) if self.valid(v, items)]
        out: list[Any] = []
        for v in values:
            if any(_json_equal(v, o) for o in out):
                v = next((p for p in pool if not any(_json_equal(p, o) for o in out)), _vary(v, len(out)))
            out.append(v)
        return out

    def objects(self, s: dict[str, Any], depth: int) -> list[Any]:
        props = s.get("properties") if isinstance(s.get("properties"), Mapping) else {}
        required = [r for r in s.get("required", []) if isinstance(r, str)] if isinstance(s.get("required"), list) else []
        extra = s.get("additionalProperties", True)
        full: dict[str, Any] = {}
        names = list(props) + [r for r in required if r not in props]
        for name in names:
            sub = props.get(name, extra if isinstance(extra, Mapping) else True)
            if sub is False and name not in required:
                continue
            recursive = isinstance(sub, Mapping) and "$ref" in sub and depth >= 2  # stop a self-reference early
            if name in required or (not self.required_only and depth < _MAX_DEPTH // 2 and not recursive):
                full[name] = self.make(sub, depth + 1)
        only_required = {k: v for k, v in full.items() if k in required}
        return [full, only_required]


def _infer_type(s: Mapping[str, Any]) -> str:
    if any(k in s for k in ("properties", "required", "additionalProperties", "patternProperties", "minProperties")):
        return "object"
    if any(k in s for k in ("items", "prefixItems", "minItems", "maxItems", "contains", "uniqueItems")):
        return "array"
    if any(k in s for k in ("minLength", "maxLength", "pattern", "format")):
        return "string"
    if any(k in s for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
        return "number"
    return "string"


def _merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Two schemas that must both hold, as one (properties merged, required united, the rest from b)."""
    out = dict(a)
    for key, value in b.items():
        if key == "properties" and isinstance(out.get(key), Mapping) and isinstance(value, Mapping):
            out[key] = {**out[key], **value}
        elif key == "required" and isinstance(out.get(key), list) and isinstance(value, list):
            out[key] = out[key] + [r for r in value if r not in out[key]]
        else:
            out[key] = value
    return out


def _json_equal(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _vary(value: Any, i: int) -> Any:
    if isinstance(value, str):
        return f"{value}{i}"
    if _is_number(value):
        return value + i
    if isinstance(value, dict):
        return {**value, f"_{i}": i}
    if isinstance(value, list):
        return [*value, i]
    return value


def _strings(s: Mapping[str, Any]) -> list[str]:
    base = _FORMAT_EXAMPLES.get(str(s.get("format")), "example")
    candidates = [base]
    if isinstance(s.get("pattern"), str):
        matched = _from_pattern(s["pattern"])
        if matched is not None:
            candidates.insert(0, matched)
    low = s.get("minLength") if _is_int(s.get("minLength")) else 0
    high = s.get("maxLength") if _is_int(s.get("maxLength")) else None
    out: list[str] = []
    for c in candidates:
        if len(c) < low:
            c = c + "x" * (low - len(c))
        if high is not None and len(c) > high:
            c = c[:high]
        out.append(c)
    return out + candidates


def _numbers(s: Mapping[str, Any], integer: bool) -> list[Any]:
    """Numbers near the lower bound (else near 0, else near the upper bound), on multipleOf's grid, best
    first; the caller keeps the first that validates (float rounding can spoil a multiple)."""

    def num(key: str) -> Fraction | None:
        v = s.get(key)
        return Fraction(v) if _is_number(v) else None

    lo, hi, xlo, xhi, step = (num(k) for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"))
    if step is not None and step <= 0:
        step = None
    if integer:  # the smallest whole multiple of p/q (reduced) is p
        step = Fraction(1) if step is None else Fraction(step.numerator)
    lows = [b for b in (lo, xlo) if b is not None]
    highs = [b for b in (hi, xhi) if b is not None]
    low, high = (max(lows) if lows else None), (min(highs) if highs else None)
    points: list[Fraction] = []
    if low is not None:
        points += [low, low + Fraction(1, 2), low + 1]
    if low is not None and high is not None:
        points.append((low + high) / 2)
    points.append(Fraction(0))
    if high is not None:
        points += [high, high - Fraction(1, 2), high - 1]
    grid: list[Fraction] = []
    for p in points:
        if step is None:
            grid.append(p)
        else:
            grid += [math.ceil(p / step) * step, math.floor(p / step) * step, (math.ceil(p / step) + 1) * step]
    out: list[Any] = []
    for v in grid:
        value: Any = int(v) if v.denominator == 1 else float(v)
        if isinstance(value, float):  # a short decimal near the value reads better, when it still fits
            for digits in (0, 1, 2, 3):
                short = round(value, digits)
                if short not in out and (low is None or short >= low) and (high is None or short <= high):
                    out.append(short)
        if integer and not isinstance(value, int):
            continue
        if not integer and isinstance(value, int) and not lows and not highs and step is None:
            value = float(value)
        if value not in out:
            out.append(value)
    return out or [0]


def _from_pattern(pattern: str) -> str | None:
    """A string matching a (Python-compatible) regular expression, for common constructs; None otherwise."""
    try:
        tree = _re_parser.parse(pattern)
        text = _gen(list(tree), {})
    except Exception:  # an unusual construct: fall back to the placeholder
        return None
    return text if re.search(pattern, text) else None


def _gen(items: list[Any], groups: dict[int, str]) -> str:
    c = _re_constants
    out = []
    for op, av in items:
        if op is c.LITERAL:
            out.append(chr(av))
        elif op is c.NOT_LITERAL:
            out.append("a" if av != ord("a") else "b")
        elif op is c.ANY:
            out.append("a")
        elif op is c.IN:
            out.append(_gen_in(av))
        elif op is c.BRANCH:
            out.append(_gen(list(av[1][0]), groups))
        elif op is c.SUBPATTERN:
            text = _gen(list(av[-1]), groups)
            if av[0] is not None:
                groups[av[0]] = text
            out.append(text)
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            low, _high, sub = av
            out.append(_gen(list(sub), groups) * max(low, 1 if _high else 0))
        elif op is c.GROUPREF:
            out.append(groups.get(av, ""))
        elif op is c.AT or op in (c.ASSERT, c.ASSERT_NOT):
            continue
        elif op is c.CATEGORY:
            out.append(_category(av))
        else:
            raise ValueError(op)
    return "".join(out)


def _gen_in(items: list[Any]) -> str:
    c = _re_constants
    if items and items[0][0] is c.NEGATE:
        rest = items[1:]
        for ch in "aZ0_ x-":
            if not re.fullmatch(_class_regex(rest), ch):
                return ch
        raise ValueError("negated class")
    op, av = items[0]
    if op is c.LITERAL:
        return chr(av)
    if op is c.RANGE:
        return chr(av[0])
    if op is c.CATEGORY:
        return _category(av)
    raise ValueError(op)


def _class_regex(items: list[Any]) -> str:
    c = _re_constants
    parts = []
    for op, av in items:
        if op is c.LITERAL:
            parts.append(re.escape(chr(av)))
        elif op is c.RANGE:
            parts.append(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
        elif op is c.CATEGORY:
            parts.append(
                {
                    "CATEGORY_DIGIT": r"\d",
                    "CATEGORY_NOT_DIGIT": r"\D",
                    "CATEGORY_SPACE": r"\s",
                    "CATEGORY_NOT_SPACE": r"\S",
                    "CATEGORY_WORD": r"\w",
                    "CATEGORY_NOT_WORD": r"\W",
                }[str(av)]
            )
        else:
            raise ValueError(op)
    return f"[{''.join(parts)}]"


def _category(av: Any) -> str:
    return {
        "CATEGORY_DIGIT": "0",
        "CATEGORY_NOT_DIGIT": "a",
        "CATEGORY_SPACE": " ",
        "CATEGORY_NOT_SPACE": "a",
        "CATEGORY_WORD": "a",
        "CATEGORY_NOT_WORD": "-",
    }[str(av)]


def example_for(
    schema: FieldForm | SchemaForm | JsonResponseSchema | Mapping[str, Any] | bool, *, required_only: bool = False
) -> Any:
    """A valid example of `schema`: every property (only the required ones with `required_only`), the first
    allowed value (or const, default), type-appropriate placeholders within the bounds, one item per array,
    the first branch of oneOf/anyOf that validates, references followed. Valid for every schema the form makes;
    for a schema no value can satisfy (an empty enum) or a regex beyond the simple generator, the closest try
    is returned."""
    root = _schema_json(schema)
    return _Examples(root, required_only).make(root)
