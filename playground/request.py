"""The validated chat-completions request: pydantic models built from `playground.fields`, and the one
place where validation errors become plain-words `FieldError`s.

Two ways in:
- `build_request(settings, messages)` takes raw UI values (strings from text boxes, the seed document's
  shortened forms) and converts them, recording each conversion as a plain-words note;
- `validate_body(body)` takes a strict API body (the gateway's input) and converts nothing but what the API
  itself allows (a plain string for `stop`, the legacy `max_tokens`).
Both return a `ChatRequest` whose `to_body()` is the exact JSON sent, or raise `errors.RequestError`.

Bounds, labels and help come from `fields.FIELDS` (see `_bound`); nothing here repeats them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from playground import fields as F
from playground.errors import FieldError, RequestError
from playground.schema import JsonResponseSchema, JsonTool, response_format_problems, tool_list_problems
from playground.wording import say

__all__ = [
    "Built",
    "ChatRequest",
    "FunctionDef",
    "JsonSchemaSpec",
    "Message",
    "NamedFunction",
    "NamedToolChoice",
    "ResponseFormat",
    "Tool",
    "ToolCall",
    "ToolCallFunction",
    "build_request",
    "check_fields",
    "convert_seed_messages",
    "logit_bias_from_rows",
    "parse_stop",
    "validate_body",
]

# ---------------------------------------------------------------------------------------------- rule issues
# A validator can fail only at its own location, with one error. Our rules raise one "rules" error whose
# context lists (sub-path, code, ctx) issues; `_to_request_error` expands them into FieldErrors below that
# location, so each rule names its exact field ("tools.1.function.name", "messages.3.tool_call_id").

_RULES = "rules"


class _Issues:
    def __init__(self) -> None:
        self.items: list[tuple[str, str, dict[str, Any]]] = []

    def add(self, sub: str, code: str, **ctx: Any) -> None:
        self.items.append((sub, code, ctx))

    def raise_any(self) -> None:
        if self.items:
            summary = "; ".join(f"{sub or 'request'}: {code}" for sub, code, _ in self.items)
            raise PydanticCustomError(_RULES, "{summary}", {"summary": summary, "issues": tuple(self.items)})


def _issue(sub: str, code: str, **ctx: Any) -> PydanticCustomError:
    """A single rule issue, for validators that stop at the first problem."""
    return PydanticCustomError(_RULES, "{summary}", {"summary": f"{sub}: {code}", "issues": ((sub, code, ctx),)})


# ---------------------------------------------------------------------------------------------- field types


def _reject_bool(value: Any) -> Any:
    """JSON true/false are not numbers; pydantic's lax mode would read them as 1/0."""
    if isinstance(value, bool):
        raise PydanticCustomError("number_type", "expected a number, got true/false")
    return value


def _bound(key: str, **extra: Any) -> Any:
    """A pydantic Field for `key` with default, title and help read from `fields.FIELDS`.

    Optional fields default to None (left out of the body). For stop, `maximum` is the number of items (the
    number of tools is `schema.tool_list_problems`' to check); value bounds of numbers live on their type
    (`_number`), so the JSON Schema pydantic generates shows them as minimum/maximum.
    """
    f = F.FIELDS[key]
    bounds: dict[str, Any] = {}
    if f.kind is F.Kind.STOP and f.maximum is not None:
        bounds["max_length"] = int(f.maximum)
    schema_extra = {"api_default": f.default} if f.default is not None else None
    return Field(
        None if f.optional else ...,
        title=f.label,
        description=f.help,
        json_schema_extra=schema_extra,
        **bounds,
        **extra,
    )


def _number(key: str, base: type[int] | type[float], *, bounds_of: str | None = None) -> Any:
    """`base` constrained to the bounds fields.py gives `bounds_of` (default `key`); true/false rejected.

    The constraints come before the bool check so pydantic keeps them native (JSON Schema min/max)."""
    f = F.FIELDS[bounds_of or key]
    finite = {"allow_inf_nan": False} if base is float else {}
    return Annotated[base, Field(ge=f.minimum, le=f.maximum, **finite), BeforeValidator(_reject_bool)]


_Temperature = _number("temperature", float)
_TopP = _number("top_p", float)
_FrequencyPenalty = _number("frequency_penalty", float)
_PresencePenalty = _number("presence_penalty", float)
_Seed = _number("seed", int)
_MaxCompletionTokens = _number("max_completion_tokens", int)
_N = _number("n", int)
_TopLogprobs = _number("top_logprobs", int)
_MaxTokens = _number("max_tokens", int, bounds_of="max_completion_tokens")
_Bias = _number("logit_bias", int)
_TokenId = Annotated[int, Field(ge=0)]
_StopText = Annotated[str, StringConstraints(min_length=1)]
_ToolName = Annotated[str, StringConstraints(pattern=F.TOOL_NAME_PATTERN)]
_Role = Literal[F.ROLES]  # type: ignore[valid-type]
_ToolChoiceMode = Literal[F.TOOL_CHOICE_MODES]  # type: ignore[valid-type]
_ResponseType = Literal[tuple(t for t in F.RESPONSE_FORMAT_TYPES if t != "none")]  # type: ignore[valid-type]

_STRICT = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------------------------------- messages


class ToolCallFunction(BaseModel):
    """The function an assistant called; `arguments` is JSON text encoding an object, as the API sends it."""

    model_config = _STRICT
    name: _ToolName
    arguments: str

    @field_validator("arguments", mode="before")
    @classmethod
    def _dump_structured(cls, value: Any) -> Any:
        # Accept already-decoded arguments (a dict) and send them the way the API wants: JSON text.
        return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value

    @field_validator("arguments")
    @classmethod
    def _is_json_object(cls, value: str) -> str:
        try:
            decoded = json.loads(value)
        except ValueError as exc:
            raise PydanticCustomError("invalid_json_arguments", "not JSON: {detail}", {"detail": str(exc)}) from None
        if not isinstance(decoded, dict):
            raise PydanticCustomError("arguments_not_object", "arguments must encode a JSON object")
        return value


class ToolCall(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Annotated[str, StringConstraints(min_length=1)]
    type: Literal["function"] = "function"
    function: ToolCallFunction

    @model_validator(mode="before")
    @classmethod
    def _drop_stream_index(cls, data: Any) -> Any:
        # Streamed tool calls carry an "index"; clients that accumulate them often echo it back.
        if isinstance(data, Mapping) and "index" in data:
            data = {k: v for k, v in data.items() if k != "index"}
        return data


# Keys that appear on assistant messages in responses and get echoed back by SDK users; the API ignores them.
_RESPONSE_ONLY_MESSAGE_KEYS = ("refusal", "annotations", "audio", "function_call", "reasoning_content")


class Message(BaseModel):
    """One conversation message. Text content parts (`[{"type": "text", "text": …}]`) are joined into one
    string, since every backend here takes text only."""

    model_config = _STRICT
    role: _Role
    content: str | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_response_keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            data = {k: v for k, v in data.items() if k not in _RESPONSE_ONLY_MESSAGE_KEYS}
            if data.get("tool_calls") == []:
                data["tool_calls"] = None
        return data

    @field_validator("content", mode="before")
    @classmethod
    def _join_text_parts(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        texts = []
        for i, part in enumerate(value):
            if not (isinstance(part, Mapping) and part.get("type") == "text" and isinstance(part.get("text"), str)):
                kind = part.get("type") if isinstance(part, Mapping) else type(part).__name__
                raise PydanticCustomError("unsupported_content_part", "part {part} is {kind}", {"part": i + 1, "kind": str(kind)})
            texts.append(part["text"])
        return "\n".join(texts)

    @model_validator(mode="after")
    def _role_rules(self) -> Message:
        issues = _Issues()
        if self.role == "tool":
            if not self.tool_call_id:
                issues.add("tool_call_id", "tool_message_needs_tool_call_id")
            if self.content is None:
                issues.add("content", "missing_content", role=self.role)
        elif self.tool_call_id is not None:
            issues.add("tool_call_id", "tool_call_id_only_on_tool")
        if self.role == "assistant":
            if self.content is None and not self.tool_calls:
                issues.add("content", "assistant_needs_content_or_tool_calls")
        elif self.tool_calls is not None:
            issues.add("tool_calls", "tool_calls_only_on_assistant")
        if self.role in ("system", "user") and self.content is None:
            issues.add("content", "missing_content", role=self.role)
        seen: set[str] = set()
        for j, call in enumerate(self.tool_calls or []):
            if call.id in seen:
                issues.add(f"tool_calls.{j}.id", "duplicate_tool_call_id", id=call.id)
            seen.add(call.id)
        issues.raise_any()
        return self


# ---------------------------------------------------------------------------------------------- tools


MAX_SCHEMA_NESTING = 40  # objects and arrays inside a schema; no real one comes close, and serialising stops near 250


def _nesting(value: Any) -> int:
    """How deeply objects and arrays nest in a JSON value (iteratively: a hostile one may be very deep)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_SCHEMA_NESTING:  # past the limit the answer is known
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _renderable(text: str) -> str:
    """Text that quotes a schema may hold a lone surrogate: escaped, so the message can be rendered and sent."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _not_too_deep(schema: dict[str, Any]) -> dict[str, Any]:
    """Field-level check of a tool's parameters or a response format's schema (so it is reported even when a
    sibling field fails): a schema nested too deeply is refused before anything walks it."""
    if (depth := _nesting(schema)) > MAX_SCHEMA_NESTING:
        raise PydanticCustomError("schema_too_deep", "nested too deeply", {"depth": depth, "limit": MAX_SCHEMA_NESTING})
    return schema


def _empty_object_schema() -> dict[str, Any]:
    return {"type": "object", "properties": {}}


class FunctionDef(BaseModel):
    """A callable function: its shape. `parameters` defaults to the empty object schema (a function without
    arguments); `strict` is OpenAI's optional flag. The rules on names and parameters are
    `schema.tool_list_problems`', run on the whole list by `ChatRequest`."""

    model_config = _STRICT
    name: str
    description: str | None = None
    parameters: dict[str, Any] = Field(default_factory=_empty_object_schema)
    strict: bool | None = None

    @field_validator("parameters")
    @classmethod
    def _parameters_schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _not_too_deep(value)


class Tool(BaseModel):
    model_config = _STRICT
    type: Literal["function"] = "function"
    function: FunctionDef


class NamedFunction(BaseModel):
    model_config = _STRICT
    name: _ToolName


class NamedToolChoice(BaseModel):
    """`{"type": "function", "function": {"name": …}}`: the model must call this one tool."""

    model_config = _STRICT
    type: Literal["function"] = "function"
    function: NamedFunction


def _tool_choice_tag(value: Any) -> str:
    return "named" if isinstance(value, Mapping | NamedToolChoice) else "mode"


_UNION_TAGS = ("mode", "named")
ToolChoice = Annotated[
    Annotated[_ToolChoiceMode, Tag("mode")] | Annotated[NamedToolChoice, Tag("named")],
    Discriminator(_tool_choice_tag),
]


# ---------------------------------------------------------------------------------------------- response format


class JsonSchemaSpec(BaseModel):
    """The API's `response_format.json_schema`: a name, the schema itself under "schema", and `strict` (its
    shape; the rules on the name and the schema are `schema.response_format_problems`', run by `ChatRequest`)."""

    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)
    name: str = "response"
    description: str | None = None
    schema_: dict[str, Any] = Field(alias="schema")
    strict: bool | None = None

    @field_validator("schema_")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _not_too_deep(value)


class ResponseFormat(BaseModel):
    model_config = _STRICT
    type: _ResponseType
    json_schema: JsonSchemaSpec | None = None

    @model_validator(mode="after")
    def _schema_with_type(self) -> ResponseFormat:
        if self.type == "json_schema" and self.json_schema is None:
            raise _issue("json_schema", "json_schema_missing")
        if self.type != "json_schema" and self.json_schema is not None:
            raise _issue("json_schema", "json_schema_unexpected", type=self.type)
        return self


# ---------------------------------------------------------------------------------------------- the request


def _stop_list(value: Any) -> Any:
    """The API takes `stop` as one string or a list; keep a list. An empty list means no stop sequences."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple) and not value:
        return None
    return value


class ChatRequest(BaseModel):
    """A chat-completions body the API will accept. Unknown keys are rejected by name, except the few the
    API documents beyond the sidebar's fields (stream, stream_options, parallel_tool_calls,
    reasoning_effort) and the legacy `max_tokens`, which becomes `max_completion_tokens`."""

    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    model: str = _bound("model", min_length=1)
    messages: list[Message] = _bound("messages", min_length=1)
    temperature: _Temperature | None = _bound("temperature")
    top_p: _TopP | None = _bound("top_p")
    frequency_penalty: _FrequencyPenalty | None = _bound("frequency_penalty")
    presence_penalty: _PresencePenalty | None = _bound("presence_penalty")
    seed: _Seed | None = _bound("seed")
    logit_bias: dict[_TokenId, _Bias] | None = _bound("logit_bias")
    max_completion_tokens: _MaxCompletionTokens | None = _bound("max_completion_tokens")
    n: _N | None = _bound("n")
    stop: Annotated[list[_StopText] | None, BeforeValidator(_stop_list)] = _bound("stop")
    logprobs: bool | None = _bound("logprobs")
    top_logprobs: _TopLogprobs | None = _bound("top_logprobs")
    response_format: ResponseFormat | None = _bound("response_format")
    tools: list[Tool] | None = _bound("tools")
    tool_choice: ToolChoice | None = _bound("tool_choice")
    deferred: bool | None = _bound("deferred")
    user: str | None = _bound("user")

    # Documented by the API but not sidebar fields.
    stream: bool | None = Field(None, description="Send the answer as server-sent events; set by the client.")
    stream_options: dict[str, Any] | None = Field(None, description='With stream, e.g. {"include_usage": true}.')
    parallel_tool_calls: bool | None = Field(None, description="Whether the model may call several tools at once.")
    reasoning_effort: str | None = Field(None, description="How long reasoning models think (e.g. low, high).")
    max_tokens: _MaxTokens | None = Field(
        None,
        exclude=True,
        description="Legacy name of max_completion_tokens, still sent by some SDKs; it is moved there.",
    )

    # Cross-field rules are field validators reading earlier fields from `info.data`, so each is reported
    # even when an unrelated field fails (a model "after" validator would only run once all fields pass).
    # A field that itself failed is absent from `info.data`, and its dependants are then not judged.

    @field_validator("messages")
    @classmethod
    def _tool_results_answer_calls(cls, messages: list[Message]) -> list[Message]:
        issues = _Issues()
        called: set[str] = set()
        for i, m in enumerate(messages):
            called.update(c.id for c in m.tool_calls or [])
            if m.role == "tool" and m.tool_call_id and m.tool_call_id not in called:
                issues.add(f"{i}.tool_call_id", "unknown_tool_call_id", id=m.tool_call_id)
        issues.raise_any()
        return messages

    @field_validator("top_logprobs")
    @classmethod
    def _top_logprobs_needs_logprobs(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and "logprobs" in info.data and not info.data["logprobs"]:
            raise _issue("", "top_logprobs_needs_logprobs")
        return value

    @field_validator("tools")
    @classmethod
    def _tool_rules(cls, tools: list[Tool] | None) -> list[Tool] | None:
        """The API's rules on the tools list, checked by `schema.tool_list_problems` (the tool builder shows
        the same problems on its rows)."""
        issues = _Issues()
        as_json = [JsonTool(name=t.function.name, tool=t.model_dump(exclude_none=True), reasons=[]) for t in tools or []]
        for p in tool_list_problems(as_json):
            index, _, rest = _renderable(p.path).removeprefix("tools").removeprefix(".").partition(".")
            issues.add(
                ".".join(s for s in (index, "function" if rest else "", rest) if s), p.code, message=_renderable(p.message)
            )
        issues.raise_any()
        return tools

    @field_validator("response_format")
    @classmethod
    def _response_format_rules(cls, value: ResponseFormat | None) -> ResponseFormat | None:
        """The API's rules on a json_schema response format, checked by `schema.response_format_problems`."""
        spec = value.json_schema if value is not None else None
        if spec is None:
            return value
        issues = _Issues()
        entry = JsonResponseSchema(name=spec.name, json_schema=spec.schema_, reasons=[])
        for p in response_format_problems(entry):
            issues.add(
                "json_schema." + _renderable(p.path).removeprefix("response_format."), p.code, message=_renderable(p.message)
            )
        issues.raise_any()
        return value

    @field_validator("tool_choice")
    @classmethod
    def _tool_choice_names_a_tool(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or value == "none" or "tools" not in info.data:
            return value
        tools: list[Tool] = info.data["tools"] or []
        named = value.function.name if isinstance(value, NamedToolChoice) else None
        if not tools:
            raise _issue("", "tool_choice_needs_tools", value=named or value)
        if named is not None and named not in {t.function.name for t in tools}:
            raise _issue("function.name", "unknown_tool_choice", name=named)
        return value

    @field_validator("stream")
    @classmethod
    def _not_deferred_and_streamed(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        if value and info.data.get("deferred"):
            raise _issue("", "deferred_with_stream")
        return value

    @field_validator("stream_options")
    @classmethod
    def _stream_options_need_stream(cls, value: dict[str, Any] | None, info: ValidationInfo) -> Any:
        if value is not None and "stream" in info.data and not info.data["stream"]:
            raise _issue("", "stream_options_needs_stream")
        return value

    @model_validator(mode="after")
    def _legacy_max_tokens(self) -> ChatRequest:
        if self.max_tokens is not None:
            if self.max_completion_tokens not in (None, self.max_tokens):
                raise _issue("max_tokens", "max_tokens_conflict")
            self.max_completion_tokens, self.max_tokens = self.max_tokens, None
        return self

    def to_body(self) -> dict[str, Any]:
        """The exact JSON body: API names, unset fields left out (never null), logit_bias keys as strings."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def _dotted(path: Sequence[str | int]) -> str:
    return ".".join(str(p) for p in path)


# How to read a path inside a message that build_request inserted for a seed-style tool message.
_INSERTED_SUFFIX = {"id": "tool_call_id", "name": "name", "arguments": "arguments"}


@dataclass
class Origin:
    """Where a converted message came from: the index the person wrote, whether build_request inserted it,
    and which of its tool calls were moved there from a seed-style tool message (call position → index)."""

    index: int
    inserted: bool = False
    calls: dict[int, int] = field(default_factory=dict)


def _remap(path: list[str | int], origin: Sequence[Origin] | None) -> list[str | int]:
    """Point a path into the converted message list back at the message the person wrote."""
    if not origin or len(path) < 2 or path[0] != "messages" or not isinstance(path[1], int):
        return path
    if path[1] >= len(origin):
        return path
    where = origin[path[1]]
    index, inserted, rest = where.index, where.inserted, path[2:]
    if len(rest) >= 2 and rest[0] == "tool_calls" and isinstance(rest[1], int) and rest[1] in where.calls:
        index, inserted, rest = where.calls[rest[1]], True, rest[2:]
    if inserted:
        rest = [_INSERTED_SUFFIX[rest[-1]]] if rest and rest[-1] in _INSERTED_SUFFIX else []
    return ["messages", index, *rest]


def _field_error(
    path: Sequence[str | int], code: str, ctx: Mapping[str, Any] | None = None, *, key_error: bool = False, raw: str = ""
) -> FieldError:
    return FieldError(_dotted(path), say(path, code, ctx or {}, key_error=key_error, raw=raw), code)


def _to_request_error(
    exc: ValidationError, origin: Sequence[Origin] | None = None, earlier: Sequence[FieldError] = ()
) -> RequestError:
    """Map pydantic's errors once: loc → dotted field path, type → code, and a plain-words message."""
    out: list[FieldError] = list(earlier)
    reported = {e.field for e in earlier}
    for err in exc.errors(include_url=False):
        loc = [p for p in err["loc"] if p not in _UNION_TAGS]
        key_error = "[key]" in loc
        loc = [p for p in loc if p != "[key]"]
        ctx = err.get("ctx") or {}
        if not loc and err["type"] == "string_unicode":  # a key that is a lone surrogate: no path can name it
            out.append(_field_error(["body"], "string_unicode", raw="a key is not valid Unicode text (a lone surrogate)"))
            continue
        if err["type"] == _RULES:
            for sub, code, issue_ctx in ctx["issues"]:
                parts = [int(p) if p.isdigit() else p for p in sub.split(".")] if sub else []
                out.append(_field_error(_remap(loc + parts, origin), code, issue_ctx, raw=issue_ctx.get("message", "")))
        else:
            out.append(_field_error(_remap(loc, origin), err["type"], ctx, key_error=key_error, raw=err["msg"]))
    seen: set[FieldError] = set()
    unique = [e for e in out if not (e in seen or seen.add(e))]
    return RequestError([e for e in unique if e in earlier or e.field not in reported])


# ---------------------------------------------------------------------------------------------- entry points


def validate_body(body: Mapping[str, Any]) -> ChatRequest:
    """A strict API body (what the gateway receives) → ChatRequest, or RequestError naming each bad field."""
    if not isinstance(body, Mapping):
        raise RequestError([_field_error(["body"], "body_not_object")])
    try:
        return ChatRequest.model_validate(dict(body))
    except ValidationError as exc:
        raise _to_request_error(exc) from None


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
        errors.append(_field_error([key], "invalid_json", {"detail": str(exc)}))
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
            errors.append(_field_error(["messages", i, "name"], "tool_message_needs_name"))
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
    data["messages"] = converted
    failed = {e.field.split(".")[0] for e in errors if not e.field.startswith("messages")}
    try:
        request = ChatRequest.model_validate({k: v for k, v in data.items() if k not in failed})
    except ValidationError as exc:
        raise _to_request_error(exc, origin, errors) from None
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
