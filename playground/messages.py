"""Messages as the conversation editor holds them: a message, its tool calls and images, a message's key (for fast
comparison), and a conversation to and from the API's `messages` JSON (the seed's tool-message shape converted).

Nothing here draws or stores: `playground.notebook` keeps messages in notebooks and cells.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from playground import fields, images, untrusted
from playground.errors import FieldError
from playground.request import convert_seed_messages

__all__ = [
    "AttachedImage",
    "ChatMessage",
    "MessageKey",
    "Role",
    "ToolCallRow",
    "conversation_from_json",
    "conversation_to_json",
    "message_key",
]

Role = Literal["system", "user", "assistant", "tool"]


class ToolCallRow(BaseModel):
    """One call an assistant message makes; `arguments` is the JSON text exactly as the model wrote it."""

    id: str = ""
    name: str = ""
    arguments: str = "{}"


class AttachedImage(BaseModel):
    """An image in a user message: `url` is a data URL (an attached file, checked by `images.data_url`), an https
    address the model server fetches, or a variable `{{photo}}` filled in per test case; `name` is the file's name or
    the address, as shown under it."""

    url: str
    detail: Literal[fields.IMAGE_DETAILS] = "auto"  # type: ignore[valid-type]
    name: str = ""

    @field_validator("url")
    @classmethod
    def _checked(cls, value: str) -> str:
        return images.check_url_or_variable(value)  # a notebook from a file or the store is untrusted: images are checked

    def to_part(self) -> dict[str, Any]:
        return {"type": "image_url", "image_url": {"url": self.url, "detail": self.detail}}


class ChatMessage(BaseModel):
    """One message as the editor holds it: empty optional keys are "", not missing. A user message may carry
    images; it is then sent as content parts (its text first, then the images in order)."""

    role: Role = "user"
    content: str = ""
    name: str = ""
    tool_call_id: str = ""
    tool_calls: list[ToolCallRow] = Field(default_factory=list)
    images: list[AttachedImage] = Field(default_factory=list)

    def to_request(self) -> dict[str, Any]:
        """This message in the shape `request.build_request` takes (empty optional keys left out)."""
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.images:
            text = [{"type": "text", "text": self.content}] if self.content else []
            out["content"] = text + [image.to_part() for image in self.images]
        if self.role == "tool":
            out["tool_call_id"] = self.tool_call_id
        if self.tool_calls:
            out["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}} for c in self.tool_calls
            ]
            if not self.content:
                out["content"] = None
        if self.name.strip():
            out["name"] = self.name.strip()
        return out


MessageKey = tuple[str, str, str, str, tuple[tuple[str, str, str], ...], tuple[tuple[str, str, str], ...]]


def message_key(message: ChatMessage) -> MessageKey:
    """Every field of a message as a tuple: compared far faster than the model itself."""
    calls = tuple((c.id, c.name, c.arguments) for c in message.tool_calls)
    pictures = tuple((i.url, i.detail, i.name) for i in message.images)
    return (message.role, message.content, message.name, message.tool_call_id, calls, pictures)


def conversation_to_json(conversation: Sequence[ChatMessage]) -> str:
    """The conversation as the API's `messages` array."""
    return json.dumps([m.to_request() for m in conversation], indent=2, ensure_ascii=False)


def conversation_from_json(data: bytes | str) -> tuple[list[ChatMessage], list[str]]:
    """Messages from a JSON file: a `messages` array, or an object holding one (a whole request, as the seed
    document's tools example is). The seed's tool message that carries `arguments` is converted to the real
    protocol (an assistant tool call, then the tool result), and each conversion is returned as a note.
    Raises ValueError in plain words naming the message at fault."""
    raw = untrusted.read_json(data, "conversation")
    if isinstance(raw, dict) and isinstance(raw.get("messages"), list):
        raw = raw["messages"]
    if not isinstance(raw, list):
        raise ValueError('Give a JSON array of messages, or an object with a "messages" array.')
    if len(raw) > untrusted.LIMITS.messages:
        raise ValueError(f"This file has {len(raw)} messages; a conversation can have at most {untrusted.LIMITS.messages}.")
    notes: list[str] = []
    found: list[FieldError] = []
    converted, origin = convert_seed_messages(raw, notes, found)
    out: list[ChatMessage] = []
    for i, m in enumerate(converted):
        written = origin[i].index + 1  # the message as numbered in the file, before any conversion
        if not isinstance(m, Mapping):
            raise ValueError(f"Message {written} is not an object.")
        try:
            out.append(_message_from_api(m))
        except (ValidationError, ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"Message {written} cannot be read: {_first_problem(exc)}") from None
    if found:
        raise ValueError(" ".join(e.message for e in found))
    return out, notes


def _first_problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False)[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc)


def _content_parts(parts: Sequence[Any]) -> tuple[str, list[AttachedImage]]:
    """Content parts as the editor holds them: the text parts joined, the images checked (`images.check_url`)."""
    texts: list[str] = []
    found: list[AttachedImage] = []
    for j, p in enumerate(parts):
        kind = p.get("type") if isinstance(p, Mapping) else None
        if kind == "text":
            texts.append(str(p.get("text") or ""))
        elif kind == "image_url" and isinstance(p.get("image_url"), Mapping):
            url, detail = p["image_url"].get("url"), p["image_url"].get("detail") or "auto"
            if not isinstance(url, str):
                raise ValueError(f"part {j + 1} is an image without a url.")
            try:
                url = images.check_url(url)
            except ValueError as exc:
                raise ValueError(f"part {j + 1}: {exc}") from None
            name = "" if images.is_data_url(url) else url
            found.append(AttachedImage(url=url, detail=detail, name=name))
        else:
            raise ValueError(f"part {j + 1} is {kind or 'not a part'}; a part is text or image_url.")
    return "\n".join(texts), found


def _message_from_api(m: Mapping[str, Any]) -> ChatMessage:
    content = m.get("content")
    attached: list[AttachedImage] = []
    if isinstance(content, list):
        content, attached = _content_parts(content)
    calls = []
    for c in m.get("tool_calls") or []:
        function = c.get("function") or {}
        arguments = function.get("arguments", "{}")
        calls.append(
            ToolCallRow(
                id=str(c.get("id") or ""),
                name=str(function.get("name") or ""),
                arguments=arguments if isinstance(arguments, str) else json.dumps(arguments),
            )
        )
    return ChatMessage(
        role=m.get("role", "user"),
        content="" if content is None else str(content),
        name=str(m.get("name") or ""),
        tool_call_id=str(m.get("tool_call_id") or ""),
        tool_calls=calls,
        images=attached,
    )
