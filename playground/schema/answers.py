"""Checking the model's answers: tool calls' arguments against their tools, and an answer against its json_schema.

Why: every answer is checked against what was asked for. `check_tool_calls` validates each tool call's arguments
against its tool, `check_answer` an answer given under a json_schema response format; violations carry the
instance's JSON path and the rule in words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as _SchemaError

from playground.response import ContentBlock
from playground.schema._shared import (
    SUBSCHEMA_LISTS,
    SUBSCHEMA_MAPS,
    SUBSCHEMA_ONE,
    TYPE_WORDS,
    JsonFailure,
    fits,
    json_path,
    loads,
    type_words,
    value_text,
)
from playground.schema.form import parse_tools, schema_json, tool_to_json
from playground.schema.models import (
    AnswerCheck,
    CallCheck,
    FieldForm,
    JsonResponseSchema,
    JsonTool,
    SchemaForm,
    ToolForm,
    Violation,
    code,
)
from playground.schema.validate import check_schema

__all__ = ["check_answer", "check_tool_calls"]


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
    for key in SUBSCHEMA_MAPS:
        if isinstance(out.get(key), Mapping):
            out[key] = {k: _no_false(v) for k, v in out[key].items()}
    for key in SUBSCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [_no_false(v) for v in out[key]]
    for key in SUBSCHEMA_ONE:
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
        message = f"{label} must be {type_words([str(t) for t in types])}."
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
