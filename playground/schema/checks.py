"""Validation of schemas and tools (on the row that caused each problem), and of the model's answers.

Why: nothing is sent while a tool or a response schema is wrong, and every answer is checked against
what was asked for. `validate_tools` / `validate_response_schema` / `validate_schema` return `Problem`s
located on the row that caused them: the meta-schema (with the `jsonschema` library), tool names,
duplicate tool and property names, empty enums, enum values and defaults of the wrong type, repeated
enum values, `required` naming a property that does not exist, patterns that do not compile.
`check_tool_calls` validates each tool call's arguments against its tool, `check_answer` an answer given
under a json_schema response format; violations carry the instance's JSON path and the rule in words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as _SchemaError

from playground.fields import MAX_TOOLS, TOOL_NAME_PATTERN
from playground.response import ContentBlock
from playground.schema._shared import (
    TYPE_WORDS,
    JsonFailure,
    addressable,
    declared_types,
    emit,
    fits,
    json_path,
    loads,
    name_problems,
    row_path,
    value_text,
)
from playground.schema.form import parse_tools, schema_json, tool_to_json
from playground.schema.models import (
    PARAM_TYPES,
    AnswerCheck,
    CallCheck,
    FieldForm,
    JsonResponseSchema,
    JsonTool,
    Problem,
    SchemaForm,
    ToolForm,
    Violation,
    code,
)

__all__ = [
    "check_answer",
    "check_schema",
    "check_tool_calls",
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
    path = row_path(prefix, list(error.absolute_path))
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


def _known_types(schema: Mapping[str, Any]) -> list[str] | None:
    """The declared types when all are JSON types (a misspelt one is the meta-schema's to report)."""
    types = declared_types(schema)
    return types if types is not None and all(t in TYPE_WORDS for t in types) else None


def _type_words(types: list[str]) -> str:
    return " or ".join(TYPE_WORDS.get(t, t) for t in types)


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
                        message=f"Allowed value {code(value_text(value))} is not {_type_words(types)} "
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
                message=f"The default {code(value_text(schema['default']))} is not {_type_words(types)} (the type is {kinds}).",
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


# ---------------------------------------------------------------------------------------------- checking answers


def _shown(parts: Sequence[Any]) -> str:
    """The path of a value inside the answer as a person reads it: "stops[0].city"."""
    path = json_path(parts)
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
    path = json_path(parts)
    rule = str(e.validator) if e.validator is not None else "false"
    v = e.validator_value
    if rule == "required":
        missing = e.message.split(" is a required property")[0]
        names = [n for n in (v if isinstance(v, list) else []) if repr(n) == missing] or [missing]
        return [
            Violation(path=json_path([*parts, n]), rule=rule, message=f"{code(_shown([*parts, n]))} is required.") for n in names
        ]
    if rule in ("additionalProperties", "unevaluatedProperties") and isinstance(e.instance, Mapping):
        allowed = e.schema.get("properties", {}) if isinstance(e.schema, Mapping) else {}
        patterns = e.schema.get("patternProperties", {}) if isinstance(e.schema, Mapping) else {}
        extra = [k for k in e.instance if k not in allowed and not any(re.search(p, k) for p in patterns)]
        if extra:
            return [
                Violation(
                    path=json_path([*parts, k]),
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
            f"{label} must be one of {', '.join(value_text(x) for x in v)}."
            if len(v) != 1
            else f"{label} must be {value_text(v[0])}."
        )
    elif rule == "const":
        message = f"{label} must be {value_text(v)}."
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
        value = loads(text)
    except JsonFailure as e:
        violation = _not_json("The answer", text, e)
        return AnswerCheck(text=text, parsed=False, violations=[violation])
    json_schema = schema_json(schema)
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


def _not_json(subject: str, text: str, e: JsonFailure) -> Violation:
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
        parsed = loads(raw)
    except JsonFailure as e:
        return _not_json("The arguments", raw, e)
    return Violation(
        path="$",
        rule="not_object",
        message=f"The arguments must be a JSON object, not {TYPE_WORDS.get(_json_type(parsed), 'that')}.",
    )


def _json_type(value: Any) -> str:
    for t in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if fits(value, t) and not (t == "integer" and isinstance(value, float)):
            return t
    return "unknown"
