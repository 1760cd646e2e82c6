"""Plain words for request errors: what a person calls a field path and what rule it broke.

`playground.request` maps pydantic's errors once (loc → dotted path, type → code) and asks `say` for
the message shown next to the widget. Tests assert on codes and paths; only this module holds wording.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from playground import fields as F

__all__ = ["say", "subject"]


_EXTRA_LABELS = {
    "stream": "Stream",
    "stream_options": "Stream options",
    "parallel_tool_calls": "Parallel tool calls",
    "reasoning_effort": "Reasoning effort",
    "max_tokens": "Max tokens",
    "body": "The request body",
}
_ITEM_NAMES = {"messages": "Message", "tools": "Tool", "stop": "Stop sequence", "tool_calls": "tool call", "content": "part"}
_SKIPPED_WORDS = {"function", "json_schema"}


def _num(x: Any) -> str:
    return str(int(x)) if isinstance(x, int | float) and float(x).is_integer() else str(x)


def _label(key: str) -> str:
    if key in F.FIELDS:
        return F.FIELDS[key].label
    return _EXTRA_LABELS.get(key, key.replace("_", " ").capitalize())


_SCHEMA_WORDS = ("schema", "parameters")  # past one of these, a path names properties inside a JSON Schema


def _inside_schema(path: Sequence[str | int]) -> str | None:
    """A path inside a tool's parameters or a response schema as the form says it: "property 2 name", "unit enum"
    (the builder addresses a row without a name as "#<i>", counted from 0); None for other paths."""
    at = next((i for i, p in enumerate(path) if i and p in _SCHEMA_WORDS), None)
    if at is None or at + 1 >= len(path):
        return None
    rest = [
        f"property {int(p[1:]) + 1}" if isinstance(p, str) and p[1:].isdigit() and p[0] == "#" else str(p) for p in path[at + 1 :]
    ]
    return f"{subject(path[:at])}: {' '.join(r.replace('_', ' ') for r in rest if r != 'properties')}"


def subject(path: Sequence[str | int], key_error: bool = False) -> str:
    """What a person calls the thing at `path`: "Temperature", "Message 3 role", "Tool 1 name",
    "Response format: property 2 name"."""
    if not path:
        return "The request"
    head = path[0]
    if head == "logit_bias" and len(path) > 1:
        return f"Logit bias key “{path[1]}”" if key_error else f"The bias for token {path[1]}"
    if (inside := _inside_schema(path)) is not None:
        return inside
    words: list[str] = []
    i = 0
    while i < len(path):
        part, nxt = path[i], path[i + 1] if i + 1 < len(path) else None
        if isinstance(part, str) and isinstance(nxt, int):
            words.append(f"{_ITEM_NAMES.get(part, part.replace('_', ' '))} {nxt + 1}")
            i += 2
            continue
        if isinstance(part, int):
            words.append(str(part + 1))
        elif i == 0:
            words.append(_label(part))
        elif part not in _SKIPPED_WORDS:
            words.append(part.replace("_", " "))
        i += 1
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _between(path: Sequence[str | int], ctx: Mapping[str, Any]) -> tuple[Any, Any]:
    """Both bounds of the value at `path`, from fields.py where it is a documented field."""
    if len(path) == 1 and str(path[0]) in F.FIELDS:
        f = F.FIELDS[str(path[0])]
        return f.minimum, f.maximum
    if path and path[0] == "logit_bias" and len(path) == 2:
        f = F.FIELDS["logit_bias"]
        return f.minimum, f.maximum
    return ctx.get("ge", ctx.get("gt")), ctx.get("le", ctx.get("lt"))


def say(path: Sequence[str | int], code: str, ctx: Mapping[str, Any], *, key_error: bool = False, raw: str = "") -> str:
    """The one place that words an error: the field, and the rule it broke."""
    s = subject(path, key_error)
    if code in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        lo, hi = _between(path, ctx)
        if key_error:
            return f"{s} must be a token id: a whole number, 0 or more."
        if lo is not None and hi is not None:
            return f"{s} must be between {_num(lo)} and {_num(hi)}."
        if lo is not None:
            return f"{s} must be at least {_num(lo)}."
        return f"{s} must be at most {_num(hi)}."
    if code in ("int_parsing", "int_type", "int_from_float"):
        return f"{s} must be a whole number." if not key_error else f"{s} must be a token id: a whole number, 0 or more."
    if code in ("float_parsing", "float_type"):
        return f"{s} must be a number."
    if code == "number_type":
        return f"{s} must be a number, not true or false."
    if code == "finite_number":
        return f"{s} must be a finite number."
    if code in ("bool_type", "bool_parsing"):
        return f"{s} must be true or false."
    if code == "string_type":
        return f"{s} must be text."
    if code == "string_too_short":
        return "Choose a model." if list(path) == ["model"] else f"{s} cannot be empty."
    if code == "string_pattern_mismatch":
        return f"{s} may use only letters, digits, _ and -, from 1 to 64 characters."
    if code == "missing":
        return f"{s} is required."
    if code == "extra_forbidden":
        if len(path) == 1:
            return f"Unknown field “{path[0]}”: it is not part of a chat-completions request."
        return f"{subject(path[:-1])} has an unknown key “{path[-1]}”."
    if code == "too_long":
        return f"{s} can have at most {ctx.get('max_length')} items."
    if code == "too_short":
        if list(path) == ["messages"]:
            return "The conversation needs at least one message."
        return f"{s} needs at least {ctx.get('min_length')} item(s)."
    if code == "literal_error":
        if list(path) == ["tool_choice"]:
            return f"{s} must be auto, none, required, or the name of one of the tools."
        return f"{s} must be one of {ctx.get('expected')}."
    if code == "list_type":
        return f"{s} must be a list."
    if code in ("dict_type", "model_type", "model_attributes_type"):
        return f"{s} must be an object (a set of key: value pairs)."
    messages = {
        "top_logprobs_needs_logprobs": f"{s} needs Logprobs turned on.",
        "tool_choice_needs_tools": f"{s} “{ctx.get('value')}” needs at least one tool.",
        "unknown_tool_choice": f"Tool choice names “{ctx.get('name')}”, but no tool has that name.",
        "invalid_json_schema": f"{s} is not a valid JSON Schema. {ctx.get('detail', '')}".strip(),
        "schema_too_deep": f"{s} nests objects and arrays more than {ctx.get('limit')} levels deep.",
        "json_schema_missing": "Response format “json_schema” needs a schema.",
        "json_schema_unexpected": f"A schema is only used with response format “json_schema”, not “{ctx.get('type')}”.",
        "tool_message_needs_tool_call_id": f"{subject(path[:2])} is a tool result and needs the id of the tool call it answers.",
        "tool_call_id_only_on_tool": f"{s} belongs only on tool messages.",
        "missing_content": f"{subject(path[:2])} ({ctx.get('role')}) needs content.",
        "assistant_needs_content_or_tool_calls": f"{subject(path[:2])} (assistant) needs content or tool calls.",
        "tool_calls_only_on_assistant": f"{s} belong only on assistant messages.",
        "duplicate_tool_call_id": f"{subject(path[:2])} uses the tool call id “{ctx.get('id')}” twice.",
        "unknown_tool_call_id": f"{subject(path[:2])} answers tool call “{ctx.get('id')}”, but no earlier "
        "assistant message made that call.",
        "invalid_json_arguments": f"{s} must be JSON text ({ctx.get('detail')}).",
        "arguments_not_object": f"{s} must be a JSON object.",
        "unsupported_content_part": f"{s}: a part must be text or image_url, but part {ctx.get('part')} is “{ctx.get('kind')}”.",
        "invalid_image": f"{subject(path[:4])}: {ctx.get('detail')}",
        "image_only_in_user": f"{subject(path[:2])} ({ctx.get('role')}) cannot hold an image: images go in user messages.",
        "max_tokens_conflict": "Max tokens and Max completion tokens disagree; send only max_completion_tokens.",
        "stream_options_needs_stream": f"{s} need Stream turned on.",
        "deferred_with_stream": "A deferred request cannot also stream; turn one of them off.",
        "invalid_json": f"{s} is not valid JSON ({ctx.get('detail')}).",
        "tool_message_needs_name": f"{subject(path[:2])} gives tool arguments, so it also needs the tool's name.",
        "body_not_object": "The request body must be a JSON object.",
    }
    return messages.get(code) or f"{s}: {raw or code}"
