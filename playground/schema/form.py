"""Form ↔ JSON Schema, both ways, and tools / response schemas pasted in any accepted shape.

Why: people define a tool or an answer's shape in a form and see its JSON at once; developers paste JSON
and keep editing in the form. Keywords the form covers: `type` (one of the six, or [type, "null"]),
`title`, `description`, `enum` and `default` (scalars), `format`, `pattern`, `minLength`, `maxLength`,
`minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`, `items`, `minItems`,
`maxItems`, `uniqueItems`, `properties`, `required`, `additionalProperties` (true/false), and `$schema`
at the top.

`form_to_schema(form)` and `schema_to_form(schema)` are inverses: form → JSON → form gives the same form,
and JSON → form → JSON the same schema up to meaning-free spelling (an empty description or title, an
empty `required` list, the order of `required`, `properties: {}` on an object). Anything the form cannot
show (`oneOf`, `anyOf`, `allOf`, `$ref`, `$defs`, `const`, `patternProperties`, a schema under
`additionalProperties`, `examples`, a keyword on a type it does not apply to, …) is never dropped:
`schema_to_form` raises `NotRepresentable` listing each construct with its JSON path, and the caller keeps
the JSON as the source (`parse_tools` returns a `JsonTool` for such a tool). A constraint set in the form
for another type (a pattern left on a row switched to integer) is kept in the form but not emitted.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from playground.schema._shared import (
    A_TYPE,
    CONSTRAINTS,
    TYPE_WORDS,
    JsonFailure,
    emit,
    is_int,
    is_number,
    json_path,
    loads,
    name_problems,
    value_text,
)
from playground.schema.models import (
    ENUM_TYPES,
    PARAM_TYPES,
    Construct,
    EnumValue,
    FieldForm,
    FormError,
    InputError,
    JsonResponseSchema,
    JsonTool,
    NotRepresentable,
    ObjectForm,
    Problem,
    PropertyRow,
    SchemaForm,
    ToolForm,
    code,
)

__all__ = [
    "enum_text",
    "form_to_schema",
    "parse_enum_text",
    "parse_json_text",
    "parse_response_schema",
    "parse_tools",
    "response_format_json",
    "schema_json",
    "schema_to_form",
    "tool_to_json",
    "tools_to_json",
]

# ---------------------------------------------------------------------------------------------- form → JSON


def form_to_schema(form: FieldForm) -> dict[str, Any]:
    """The JSON Schema the form describes (canonical: no empty description, `required` in row order).

    Raises FormError when two properties of one object share a name (JSON cannot hold both).
    """
    duplicates = [p for p in name_problems(form, "") if p.code == "duplicate_property"]
    if duplicates:
        raise FormError(duplicates)
    return emit(form)


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


# ---------------------------------------------------------------- values and JSON text typed into the form


def enum_text(value: EnumValue) -> str:
    """How the form shows one allowed value as text: strings as they are, others as JSON."""
    return value_text(value)


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


def parse_json_text(text: str, path: str = "") -> Any:
    """Strict JSON (no NaN/Infinity, no repeated keys); InputError with one Problem ("not_json" or
    "duplicate_key") in plain words otherwise."""
    try:
        return loads(text)
    except JsonFailure as e:
        if e.kind == "duplicate_key":
            message = f"The key {code(e.detail)} appears twice in one object; keep one."
        else:
            message = f"Not valid JSON: {e.detail}."
        raise InputError([Problem(path=path, code=e.kind, message=message)]) from None


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
    path = json_path(parts)
    if not isinstance(schema, Mapping):
        what = "a true/false schema" if isinstance(schema, bool) else "a schema that is not an object"
        out.append(Construct(path=path, keyword="schema", message=f"The form cannot show {what}; edit it as JSON."))
        return None
    type_, nullable = _read_type(schema.get("type"))
    if type_ is None:
        present = [k for k in schema if k in _CONSTRUCT_WORDS]
        if present and "type" not in schema:  # e.g. {"oneOf": […]}: name the construct, not the missing type
            out.extend(_unsupported(json_path([*parts, k]), k) for k in present)
            return None
        detail = f"the type {json.dumps(schema['type'])}" if "type" in schema else "a schema without a type"
        out.append(
            Construct(
                path=json_path([*parts, "type"]),
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
    elif key in CONSTRAINTS and _constraint_ok(key, value):
        kw[CONSTRAINTS[key][0]] = value
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
        return is_int(value)
    return is_number(value)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | bool) or is_number(value)


# Which types the form shows each keyword for.
_APPLIES: Final[dict[str, tuple[str, ...]]] = {
    **{key: types for key, (_attr, types) in CONSTRAINTS.items()},
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
    path = json_path(parts)
    if key in _APPLIES and type_ not in _APPLIES[key]:
        shown = ", ".join(f"{t}s" for t in _APPLIES[key])
        message = f"{code(key)} on {A_TYPE[type_]}: the form shows it only for {shown}; edit it as JSON."
        return Construct(path=path, keyword=key, message=message)
    if key in _VALUE_WORDS:
        return Construct(
            path=path, keyword=key, message=f"{code(key)}: the form cannot show {_VALUE_WORDS[key]}; edit it as JSON."
        )
    if key in CONSTRAINTS:
        return Construct(
            path=path, keyword=key, message=f"{code(key)}: the form cannot show the value {json.dumps(value)}; edit it as JSON."
        )
    return _unsupported(path, key)


def _check_required(value: Any, props: Any, here: list[Any], out: list[Construct]) -> None:
    """`required` can be shown as row flags only when it names each existing property at most once."""
    path = json_path(here)
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
                message=f"The form shows an object at the top, not {TYPE_WORDS[kw['type']]}; edit it as JSON.",
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
    reasons = [_unsupported(json_path([k]), k) for k in extra]
    reasons += [_unsupported(json_path(["function", k]), k) for k in function if k not in _FUNCTION_KEYS]
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


def schema_json(schema: Any) -> Any:
    """The bare JSON Schema of a form, a response-schema entry, or a response_format in any accepted shape."""
    if isinstance(schema, Mapping) and (schema.get("type") == "json_schema" or _is_spec(schema)):
        schema = parse_response_schema(schema)
    if isinstance(schema, FieldForm):
        return form_to_schema(schema)
    if isinstance(schema, SchemaForm | JsonResponseSchema):
        return response_format_json(schema)["json_schema"]["schema"]
    return schema
