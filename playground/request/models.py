"""The chat-completions body as pydantic models built from `playground.fields`: messages, tools, tool
choice, response format and `ChatRequest`, with the rules between fields. `validate_body(body)` takes a
strict API body (the gateway's input) and converts nothing but what the API itself allows (a plain string
for `stop`, the legacy `max_tokens`).

Bounds, labels and help come from `fields.FIELDS` (see `_bound`); nothing here repeats them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
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
from playground import images
from playground.errors import RequestError
from playground.request._shared import Issues, field_error, issue, to_request_error
from playground.schema import JsonResponseSchema, JsonTool, response_format_problems, tool_list_problems

__all__ = [
    "ChatRequest",
    "ContentPart",
    "FunctionDef",
    "ImagePart",
    "ImageUrl",
    "JsonSchemaSpec",
    "MAX_SCHEMA_NESTING",
    "Message",
    "NamedFunction",
    "NamedToolChoice",
    "ResponseFormat",
    "TextPart",
    "Tool",
    "ToolCall",
    "ToolCallFunction",
    "validate_body",
]

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


_Detail = Literal[F.IMAGE_DETAILS]  # type: ignore[valid-type]


class TextPart(BaseModel):
    """`{"type": "text", "text": …}`."""

    model_config = _STRICT
    type: Literal["text"]
    text: str


class ImageUrl(BaseModel):
    """Where an image is: a PNG/JPEG data URL or an https address (`images.check_url`), and how closely to look; or a
    variable `{{photo}}`, which the Evaluate page fills in per test case before anything is sent."""

    model_config = _STRICT
    url: str
    detail: _Detail | None = None

    @field_validator("url")
    @classmethod
    def _checked(cls, value: str) -> str:
        try:
            return images.check_url_or_variable(value)
        except ValueError as exc:
            raise PydanticCustomError("invalid_image", "{detail}", {"detail": str(exc)}) from None


class ImagePart(BaseModel):
    """`{"type": "image_url", "image_url": {"url": …, "detail": …}}`."""

    model_config = _STRICT
    type: Literal["image_url"]
    image_url: ImageUrl


def _part_kind(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, Mapping) else getattr(value, "type", None)
    return kind if kind in ("text", "image_url") else None


def _part_tag(value: Any) -> str | None:
    return {"text": "text_part", "image_url": "image_part"}.get(_part_kind(value) or "")


def _content_tag(value: Any) -> str:
    return "as_parts" if isinstance(value, list) else "as_text"


# Tags (left out of error paths: `request._shared.UNION_TAGS`) so an error names the part, not every branch.
ContentPart = Annotated[Annotated[TextPart, Tag("text_part")] | Annotated[ImagePart, Tag("image_part")], Discriminator(_part_tag)]
Content = Annotated[Annotated[str, Tag("as_text")] | Annotated[list[ContentPart], Tag("as_parts")], Discriminator(_content_tag)]


class Message(BaseModel):
    """One conversation message. `content` is text, or a list of content parts (text and images) as xAI documents
    them; a list of text parts alone is joined into one string (what every backend reads). Images belong only in
    user messages."""

    model_config = _STRICT
    role: _Role
    content: Content | None = None
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
    def _parts(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        for i, part in enumerate(value):
            if _part_kind(part) is None:
                kind = part.get("type") if isinstance(part, Mapping) else type(part).__name__
                raise PydanticCustomError("unsupported_content_part", "part {part} is {kind}", {"part": i + 1, "kind": str(kind)})
        if all(_part_kind(p) == "text" and isinstance(p.get("text"), str) for p in value):
            return "\n".join(p["text"] for p in value)
        return value

    def images(self) -> list[ImagePart]:
        """The message's image parts, in order."""
        return [p for p in self.content if isinstance(p, ImagePart)] if isinstance(self.content, list) else []

    @model_validator(mode="after")
    def _role_rules(self) -> Message:
        issues = Issues()
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
        if self.role != "user" and isinstance(self.content, list):
            for j, part in enumerate(self.content):
                if isinstance(part, ImagePart):
                    issues.add(f"content.{j}", "image_only_in_user", role=self.role)
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
            raise issue("json_schema", "json_schema_missing")
        if self.type != "json_schema" and self.json_schema is not None:
            raise issue("json_schema", "json_schema_unexpected", type=self.type)
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
        issues = Issues()
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
            raise issue("", "top_logprobs_needs_logprobs")
        return value

    @field_validator("tools")
    @classmethod
    def _tool_rules(cls, tools: list[Tool] | None) -> list[Tool] | None:
        """The API's rules on the tools list, checked by `schema.tool_list_problems` (the tool builder shows
        the same problems on its rows)."""
        issues = Issues()
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
        issues = Issues()
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
            raise issue("", "tool_choice_needs_tools", value=named or value)
        if named is not None and named not in {t.function.name for t in tools}:
            raise issue("function.name", "unknown_tool_choice", name=named)
        return value

    @field_validator("stream")
    @classmethod
    def _not_deferred_and_streamed(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        if value and info.data.get("deferred"):
            raise issue("", "deferred_with_stream")
        return value

    @field_validator("stream_options")
    @classmethod
    def _stream_options_need_stream(cls, value: dict[str, Any] | None, info: ValidationInfo) -> Any:
        if value is not None and "stream" in info.data and not info.data["stream"]:
            raise issue("", "stream_options_needs_stream")
        return value

    @model_validator(mode="after")
    def _legacy_max_tokens(self) -> ChatRequest:
        if self.max_tokens is not None:
            if self.max_completion_tokens not in (None, self.max_tokens):
                raise issue("max_tokens", "max_tokens_conflict")
            self.max_completion_tokens, self.max_tokens = self.max_tokens, None
        return self

    def to_body(self) -> dict[str, Any]:
        """The exact JSON body: API names, unset fields left out (never null), logit_bias keys as strings."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


# ---------------------------------------------------------------------------------------------- entry points


def validate_body(body: Mapping[str, Any]) -> ChatRequest:
    """A strict API body (what the gateway receives) → ChatRequest, or RequestError naming each bad field."""
    if not isinstance(body, Mapping):
        raise RequestError([field_error(["body"], "body_not_object")])
    try:
        return ChatRequest.model_validate(dict(body))
    except ValidationError as exc:
        raise to_request_error(exc) from None
