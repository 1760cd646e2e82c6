"""Validation of schemas, tools and response formats, each problem on the row that caused it.

Why: nothing is sent while a tool or a response schema is wrong. `validate_tools` / `validate_response_schema` /
`validate_schema` return `Problem`s located on their rows: the meta-schema (with the `jsonschema` library), tool
names, duplicate tool and property names, empty enums, enum values and defaults of the wrong type, repeated enum
values, `required` naming a property that does not exist, patterns that do not compile.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as _SchemaError

from playground.fields import MAX_TOOLS, TOOL_NAME_PATTERN
from playground.schema._shared import (
    SUBSCHEMA_LISTS,
    SUBSCHEMA_MAPS,
    SUBSCHEMA_ONE,
    TYPE_WORDS,
    addressable,
    declared_types,
    emit,
    fits,
    name_problems,
    row_path,
    type_words,
    value_text,
)
from playground.schema.models import (
    PARAM_TYPES,
    FieldForm,
    JsonResponseSchema,
    JsonTool,
    Problem,
    SchemaForm,
    ToolForm,
    code,
)

__all__ = [
    "check_schema",
    "response_content_problems",
    "response_format_problems",
    "tool_content_problems",
    "tool_list_problems",
    "validate_instance",
    "validate_response_schema",
    "validate_schema",
    "validate_tools",
]

_META = Draft202012Validator(Draft202012Validator.META_SCHEMA)
_JSON_TYPES = "array, boolean, integer, null, number, object, string"


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
    path = row_path(prefix, list(error.absolute_path))
    if error.validator == "anyOf" and error.absolute_path and error.absolute_path[-1] == "type":
        message = f"{json.dumps(error.instance)} is not a type; use one of {', '.join(PARAM_TYPES)} (or null)."
    else:
        message = f"Not valid JSON Schema: {error.message}."
    return Problem(path=path, message=message, code="meta_schema")


def _known_types(schema: Mapping[str, Any]) -> list[str] | None:
    """The declared types when all are JSON types (a misspelt one is the meta-schema's to report)."""
    types = declared_types(schema)
    return types if types is not None and all(t in TYPE_WORDS for t in types) else None


def _walk(schema: Any, parts: list[Any], prefix: str, out: list[Problem]) -> None:
    """The checks the meta-schema does not make, on every subschema."""
    if not isinstance(schema, Mapping):
        return
    here = row_path(prefix, parts)
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
            if types is not None and not any(fits(value, t) for t in types):
                out.append(
                    Problem(
                        path=f"{here}.enum",
                        code="enum_type",
                        message=f"Allowed value {code(value_text(value))} is not {type_words(types)} "
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
                        message=f"Allowed value {code(value_text(value))} is listed twice.",
                    )
                )
            seen.append(value)
    if "default" in schema and types is not None and not any(fits(schema["default"], t) for t in types):
        kinds = " or ".join(types)
        out.append(
            Problem(
                path=f"{here}.default",
                code="default_type",
                message=f"The default {code(value_text(schema['default']))} is not {type_words(types)} (the type is {kinds}).",
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
    for key in SUBSCHEMA_MAPS:
        sub = schema.get(key)
        if isinstance(sub, Mapping):
            for name, s in sub.items():
                _walk(s, [*parts, key, name], prefix, out)
    for key in SUBSCHEMA_LISTS:
        sub = schema.get(key)
        if isinstance(sub, list):
            for i, s in enumerate(sub):
                _walk(s, [*parts, key, i], prefix, out)
    for key in SUBSCHEMA_ONE:
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
    return _meta_problems(schema, prefix) + _content_problems(schema, prefix)


def _meta_problems(schema: Mapping[str, Any], prefix: str) -> list[Problem]:
    """The meta-schema's complaints, each once (the 2020-12 meta-schema reaches one keyword by several routes)."""
    found = {(p.path, p.message): p for p in (_meta_problem(e, prefix) for e in _META.iter_errors(schema))}
    return list(found.values())


def _content_problems(schema: Mapping[str, Any], prefix: str) -> list[Problem]:
    problems: list[Problem] = []
    _walk(schema, [], prefix, problems)
    return problems


def validate_schema(schema: FieldForm | Mapping[str, Any], prefix: str = "schema") -> list[Problem]:
    """Every reason this schema (form or JSON) cannot be sent, each located on its row under `prefix`."""
    if isinstance(schema, FieldForm):
        problems = name_problems(schema, prefix)
        if any(p.code == "duplicate_property" for p in problems):
            return problems
        return problems + _schema_problems(emit(addressable(schema)), prefix)
    return _schema_problems(schema, prefix)


def _tool_name_problem(name: str, path: str) -> Problem | None:
    if re.fullmatch(TOOL_NAME_PATTERN, name):
        return None
    shown = code(name) if name else "(empty)"
    return Problem(
        path=path, code="tool_name", message=f"The name {shown} may use only letters, digits, _ and -, 1 to 64 characters."
    )


def _json_of(schema: FieldForm | Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A schema as JSON (unnamed form rows named by position); None for a form that cannot be written as JSON
    (two properties of one object share a name: `name_problems` says so)."""
    if not isinstance(schema, FieldForm):
        return schema
    if any(p.code == "duplicate_property" for p in name_problems(schema, "")):
        return None
    return emit(addressable(schema))


def _parameters(tool: ToolForm | JsonTool) -> Any:
    """A tool's parameters as JSON (see `_json_of`); for a JSON tool, whatever its `parameters` hold."""
    if isinstance(tool, ToolForm):
        return _json_of(tool.parameters)
    function = tool.tool.get("function")
    return function.get("parameters", {"type": "object"}) if isinstance(function, Mapping) else None


def _form_and_content_problems(schema: Any, form: FieldForm | None, prefix: str) -> list[Problem]:
    """The form's property names (when it is a form), then the content rules of the schema's JSON."""
    problems = name_problems(form, prefix) if form is not None else []
    if isinstance(schema, Mapping):
        problems.extend(_content_problems(schema, prefix))
    return problems


def tool_list_problems(tools: Sequence[ToolForm | JsonTool]) -> list[Problem]:
    """What the API requires of a tools list, each problem on its row: at most MAX_TOOLS tools, names of the
    allowed characters ("tools.<i>.name") and unique, parameters a valid JSON Schema (the meta-schema) of type
    "object" ("tools.<i>.parameters…"). The one check of these rules: `request.ChatRequest` reports them for
    every body, and `validate_tools` adds them to what a tool's form shows."""
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
        parameters = _parameters(tool)
        meta = _meta_problems(parameters, f"{prefix}.parameters") if isinstance(parameters, Mapping) else []
        bad_type = any(p.path == f"{prefix}.parameters.type" for p in meta)  # said once, by the meta-schema
        if (
            isinstance(tool, JsonTool)
            and not bad_type
            and (not isinstance(parameters, Mapping) or parameters.get("type") != "object")
        ):
            problems.append(
                Problem(
                    path=f"{prefix}.parameters",
                    code="parameters_not_object",
                    message='A tool\'s parameters must be a schema of type "object".',
                )
            )
        problems.extend(meta)
    return problems


def tool_content_problems(tools: Sequence[ToolForm | JsonTool]) -> list[Problem]:
    """What makes tools' parameters wrong beyond the API's rules (`tool_list_problems`), each on its row:
    empty and repeated property names, empty enums, enum values and defaults of the wrong type, repeated
    enum values, `required` naming a property that does not exist, patterns that do not compile."""
    problems: list[Problem] = []
    for i, tool in enumerate(tools):
        form = tool.parameters if isinstance(tool, ToolForm) else None
        problems.extend(_form_and_content_problems(_parameters(tool), form, f"tools.{i}.parameters"))
    return problems


def validate_tools(tools: Sequence[ToolForm | JsonTool]) -> list[Problem]:
    """Every reason these tools cannot be sent, each on its row: "tools.<i>.name",
    "tools.<i>.parameters.<property>….<setting>" (`tool_list_problems` and `tool_content_problems`)."""
    return tool_list_problems(tools) + tool_content_problems(tools)


def response_format_problems(entry: SchemaForm | JsonResponseSchema) -> list[Problem]:
    """What the API requires of a json_schema response format: a name of the allowed characters
    ("response_format.name") and a valid JSON Schema (the meta-schema, "response_format.schema…"). The one
    check of these rules: `request.ChatRequest` reports them for every body, `validate_response_schema` adds
    them to what the form shows."""
    problems: list[Problem] = []
    bad_name = _tool_name_problem(entry.name, "response_format.name")
    if bad_name:
        problems.append(bad_name)
    schema = _json_of(entry.json_schema)
    if schema is not None:
        problems.extend(_meta_problems(schema, "response_format.schema"))
    return problems


def response_content_problems(entry: SchemaForm | JsonResponseSchema) -> list[Problem]:
    """What makes a response schema wrong beyond the API's rules (`response_format_problems`), on its rows."""
    form = entry.json_schema if isinstance(entry, SchemaForm) else None
    return _form_and_content_problems(_json_of(entry.json_schema), form, "response_format.schema")


def validate_response_schema(entry: SchemaForm | JsonResponseSchema) -> list[Problem]:
    """Every reason this response format cannot be sent: "response_format.name", "response_format.schema.…"."""
    return response_format_problems(entry) + response_content_problems(entry)
