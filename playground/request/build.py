"""Raw UI values → a validated `ChatRequest`: `build_request(settings, messages)` takes strings from text
boxes and the seed document's shortened forms, converts them, records each conversion as a plain-words
note, and leaves out what changes nothing (empty values, and values at the field's documented default: the
one place defaults are stripped). Also stop sequences typed in one box, the seed's tool messages, and
logit-bias rows.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import (
    BaseModel,
    ValidationError,
)

from playground import fields as F
from playground.errors import FieldError, RequestError
from playground.request._shared import Origin, field_error, to_request_error
from playground.request.models import ChatRequest, Message

__all__ = [
    "Built",
    "build_request",
    "check_fields",
    "convert_seed_messages",
    "logit_bias_from_rows",
    "parse_stop",
]

_ESCAPES = {",": ",", "n": "\n", "t": "\t", "\\": "\\", " ": " "}


def parse_stop(text: str) -> list[str]:
    """Stop sequences typed in one box: comma-separated, blanks around each trimmed, empty ones dropped.

    Escapes: `\\,` a comma, `\\n` a new line, `\\t` a tab, `\\\\` a backslash, `\\ ` a space kept at an edge.
    A backslash before anything else is kept as typed.
    """
    pieces: list[list[tuple[str, bool]]] = [[]]  # (char, escaped)
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPES:
            pieces[-1].append((_ESCAPES[text[i + 1]], True))
            i += 2
            continue
        if ch == ",":
            pieces.append([])
        else:
            pieces[-1].append((ch, False))
        i += 1
    out: list[str] = []
    for chars in pieces:
        while chars and not chars[0][1] and chars[0][0].isspace():
            chars.pop(0)
        while chars and not chars[-1][1] and chars[-1][0].isspace():
            chars.pop()
        if chars:
            out.append("".join(c for c, _ in chars))
    return out


@dataclass
class Built:
    """A validated request and the conversions made on the way, in plain words, for the UI to show."""

    request: ChatRequest
    notes: list[str] = field(default_factory=list)


class _Skip(Exception):
    """A setting that is left out of the body (unset, or a UI-only value such as response format "none")."""


def _json_text(key: str, raw: str, errors: list[FieldError]) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        errors.append(field_error([key], "invalid_json", {"detail": str(exc)}))
        raise _Skip from None


def _setting(key: str, raw: Any, notes: list[str], errors: list[FieldError]) -> Any:
    """One raw UI value → what the API body carries; raises _Skip to leave it out."""
    if raw is None:
        raise _Skip
    if isinstance(raw, str) and not raw.strip() and key != "model":
        raise _Skip
    kind = F.FIELDS[key].kind if key in F.FIELDS else None
    if kind is F.Kind.STOP:
        if not isinstance(raw, str | Sequence):
            return raw  # not text nor a list (false, a number): validation names it
        value = parse_stop(raw) if isinstance(raw, str) else list(raw)
        if not value:
            raise _Skip
        return value
    if kind is F.Kind.TOKEN_MAP:
        value = _json_text(key, raw, errors) if isinstance(raw, str) else raw
        if isinstance(value, Mapping) and not value:
            raise _Skip
        return dict(value) if isinstance(value, Mapping) else value
    if kind is F.Kind.RESPONSE_FORMAT:
        return _response_format(raw, notes, errors)
    if kind is F.Kind.TOOLS:
        value = _json_text(key, raw, errors) if isinstance(raw, str) else raw
        if isinstance(value, Sequence) and not isinstance(value, str):
            if not value:
                raise _Skip
            return [_tool(t, i, notes) for i, t in enumerate(value)]
        return value
    if kind is F.Kind.TOOL_CHOICE:
        if isinstance(raw, str):
            name = raw.strip()
            if name in F.TOOL_CHOICE_MODES:
                return name
            return {"type": "function", "function": {"name": name}}
        return raw
    if isinstance(raw, str) and kind in (F.Kind.INT, F.Kind.FLOAT):
        return raw.strip()
    return raw


def _tool(tool: Any, index: int, notes: list[str]) -> Any:
    """A bare function definition `{name, description, parameters}` is wrapped as a tool."""
    if isinstance(tool, Mapping) and "name" in tool and "function" not in tool and "type" not in tool:
        notes.append(f'Tool {index + 1} was a bare function definition; it was sent as {{"type": "function", "function": …}}.')
        return {"type": "function", "function": dict(tool)}
    return tool


def _response_format(raw: Any, notes: list[str], errors: list[FieldError]) -> Any:
    """UI response format → API object. Accepts "none"/"text"/"json_object"/"json_schema", JSON text, or a
    dict, including the seed's shortened form with the schema directly under `json_schema`, which is wrapped
    as `{"name": "response", "schema": …, "strict": true}`."""
    value = raw
    if isinstance(raw, str):
        text = raw.strip()
        value = _json_text("response_format", text, errors) if text.startswith("{") else {"type": text}
    if not isinstance(value, Mapping):
        return value
    value = dict(value)
    if value.get("type") in ("none", None) and "json_schema" not in value:
        raise _Skip
    spec = value.get("json_schema")
    if value.get("type") == "json_schema" and isinstance(spec, Mapping) and "schema" not in spec:
        value["json_schema"] = {"name": "response", "schema": dict(spec), "strict": True}
        notes.append(
            'Response format: the schema was given directly under "json_schema" (the seed document\'s '
            'short form); it was sent as {"name": "response", "schema": …, "strict": true}, '
            "the form the API expects."
        )
    return value


def _message_dict(m: Any) -> dict[str, Any]:
    if isinstance(m, BaseModel):
        return m.model_dump(exclude_none=True, by_alias=True)
    if not isinstance(m, Mapping):
        return m  # let validation name it
    out = dict(m)
    for key in ("name", "tool_call_id"):
        if out.get(key) == "":
            del out[key]
    return out


def convert_seed_messages(messages: Sequence[Any], notes: list[str], errors: list[FieldError]) -> tuple[list[Any], list[Origin]]:
    """Convert the seed document's tool message to the real protocol.

    The seed shows `{"role": "tool", "tool_call_id", "name", "arguments"}` with no assistant call before it.
    The API needs an assistant message whose `tool_calls` holds the call, then `{"role": "tool",
    "tool_call_id", "content"}`. So: the call (id, name, arguments as JSON text) is added to the assistant
    message just before the run of tool messages if that one already calls tools, otherwise a new assistant
    message is inserted; the tool message keeps its `content` if it has one, else a `result` key if given,
    else carries the arguments JSON text as its content (the seed gives no result). A missing id is made up
    as `call_<position>`. Returns the messages and, for each, (index the person wrote, inserted?).
    """
    out: list[Any] = []
    origin: list[Origin] = []
    for i, raw in enumerate(messages):
        m = _message_dict(raw)
        if not (isinstance(m, dict) and m.get("role") == "tool" and "arguments" in m):
            out.append(m)
            origin.append(Origin(i))
            continue
        args = m.pop("arguments")
        args_text = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
        name = m.pop("name", None)
        if not name:
            errors.append(field_error(["messages", i, "name"], "tool_message_needs_name"))
        call_id = m.get("tool_call_id") or f"call_{i}"
        m["tool_call_id"] = call_id
        result = m.pop("result", None)
        if m.get("content") is None:
            if result is not None:
                m["content"] = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
                carried = "the result"
            else:
                m["content"] = args_text
                carried = "the arguments"
        else:
            carried = "its content"
        call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": args_text}}
        k = len(out) - 1
        while k >= 0 and isinstance(out[k], dict) and out[k].get("role") == "tool":
            k -= 1
        prev = out[k] if k >= 0 else None
        if isinstance(prev, dict) and prev.get("role") == "assistant" and prev.get("tool_calls"):
            if all(c.get("id") != call_id for c in prev["tool_calls"] if isinstance(c, Mapping)):
                prev["tool_calls"] = [*prev["tool_calls"], call]
                origin[k].calls[len(prev["tool_calls"]) - 1] = i
            where = f"the tool calls of message {origin[k].index + 1}"
        else:
            out.append({"role": "assistant", "content": None, "tool_calls": [call]})
            origin.append(Origin(i, inserted=True))
            where = "a new assistant message just before it"
        notes.append(
            f"Message {i + 1} used the seed document's tool shape (arguments on the tool message). "
            f"The call to {name or 'the tool'} was added to {where}, and the tool message sends "
            f"{carried} as its content, as the API expects."
        )
        out.append(m)
        origin.append(Origin(i))
    return out, origin


MessageKey = tuple[tuple[str, str | None], ...]


class _Validated:
    """Messages that validated before, by their plain key/value pairs: a page checks its whole conversation on every
    rerun, and a message that did not change need not be validated again. Only messages whose values are all text
    (or null) are kept, and only valid ones; a validated `Message` is never changed. Bounded by the characters kept
    (least recently used go first)."""

    def __init__(self, limit_chars: int = 20_000_000) -> None:
        self._limit = limit_chars
        self._chars = 0
        self._kept: OrderedDict[MessageKey, Message] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(message: Any) -> MessageKey | None:
        if type(message) is not dict:
            return None
        items = tuple(message.items())
        for _, value in items:
            if value is not None and type(value) is not str:
                return None
        return items

    @staticmethod
    def _size(key: MessageKey) -> int:
        return sum(len(v) for _, v in key if v is not None)

    def reuse(self, messages: list[Any]) -> list[MessageKey | None]:
        """Put the validated message in place of each one validated before; returns each message's key."""
        found = [self.key(m) for m in messages]
        with self._lock:
            for i, key in enumerate(found):
                if key is not None and (known := self._kept.get(key)) is not None:
                    messages[i] = known
                    self._kept.move_to_end(key)
        return found

    def keep(self, found: list[MessageKey | None], validated: list[Message]) -> None:
        """Remember the messages of a request that validated (`found`: their keys, from `reuse`)."""
        with self._lock:
            for key, message in zip(found, validated, strict=True):
                if key is not None and key not in self._kept and (size := self._size(key)) <= self._limit:
                    self._kept[key] = message
                    self._chars += size
            while self._chars > self._limit:
                self._chars -= self._size(self._kept.popitem(last=False)[0])


_VALIDATED = _Validated()


def build_request(settings: Mapping[str, Any], messages: Sequence[Mapping[str, Any]]) -> Built:
    """Raw UI values → a validated ChatRequest and notes on what was converted.

    `settings` is keyed by fields.py keys (extra API keys such as `stream` pass through to validation).
    Empty values are left out; so are sidebar values equal to the field's documented default (temperature
    1, n 1, logprobs false, …), since sending them changes nothing. Errors from conversion and validation
    are reported together in one RequestError, with message paths pointing at the messages as written.
    """
    notes: list[str] = []
    errors: list[FieldError] = []
    data: dict[str, Any] = {}
    for key, raw in settings.items():
        if key == "messages":
            continue
        try:
            data[key] = _setting(key, raw, notes, errors)
        except _Skip:
            pass
    tool_choice = data.get("tool_choice")
    if not data.get("tools") and tool_choice in ("auto", "none"):
        del data["tool_choice"]  # the UI's default choice means nothing without tools
    elif isinstance(tool_choice, dict) and isinstance(settings.get("tool_choice"), str):
        notes.append(
            f"Tool choice “{tool_choice['function']['name']}” was sent as "
            f"{json.dumps(tool_choice)}, the form the API expects for one named function."
        )
    if "max_tokens" in data:
        notes.append("max_tokens is the legacy name; it was sent as max_completion_tokens.")
    converted, origin = convert_seed_messages(list(messages), notes, errors)
    found = _VALIDATED.reuse(converted)
    data["messages"] = converted
    failed = {e.field.split(".")[0] for e in errors if not e.field.startswith("messages")}
    try:
        request = ChatRequest.model_validate({k: v for k, v in data.items() if k not in failed})
    except ValidationError as exc:
        raise to_request_error(exc, origin, errors) from None
    _VALIDATED.keep(found, request.messages)
    if errors:
        raise RequestError(errors)
    defaults = {
        key: None for key, f in F.FIELDS.items() if f.optional and f.default is not None and getattr(request, key) == f.default
    }
    return Built(request.model_copy(update=defaults), notes)


def check_fields(settings: Mapping[str, Any], keys: Iterable[str]) -> list[FieldError]:
    """The errors `build_request` finds in the fields `keys` of `settings` (bounds, types, rules between
    fields), before there is a conversation or a model to judge: e.g. a Compare set's values as they are typed."""
    wanted = set(keys)
    try:
        build_request({**settings, "model": "-"}, [{"role": "user", "content": "-"}])
    except RequestError as exc:
        return [e for e in exc.errors if e.field.split(".")[0] in wanted]
    return []


def logit_bias_from_rows(rows: Sequence[Mapping[str, Any]], tokenize: Callable[[str], list[int]] | None) -> dict[str, int] | None:
    """Rows of token text/id → bias as the API's {token id: bias}; text is tokenized (every piece biased).

    Raises RequestError on `logit_bias` for rows that cannot be turned into ids.
    """
    out: dict[str, int] = {}
    problems: list[FieldError] = []
    for n, row in enumerate(rows, start=1):
        token, bias = str(row.get("token") or ""), row.get("bias")
        if bias is None:
            problems.append(
                FieldError("logit_bias", f"Row {n}: give a bias from {F.LOGIT_BIAS_MIN} to {F.LOGIT_BIAS_MAX}.", "missing")
            )
            continue
        stripped = token.strip()
        if stripped.lstrip("-").isdigit():
            out[stripped] = bias
            continue
        if not token:
            problems.append(FieldError("logit_bias", f"Row {n}: give a token (text or id).", "missing"))
            continue
        if tokenize is None:
            problems.append(
                FieldError(
                    "logit_bias", f"Row {n}: this backend cannot look up {token!r}; enter its token id.", "tokenize_unsupported"
                )
            )
            continue
        ids = tokenize(token)
        if not ids:
            problems.append(FieldError("logit_bias", f"Row {n}: {token!r} has no tokens.", "empty"))
        for tid in ids:
            out[str(tid)] = bias
    if problems:
        raise RequestError(problems)
    return out or None
