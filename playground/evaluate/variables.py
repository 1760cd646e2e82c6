"""`{{name}}` variables in a conversation: found in order of first appearance, and filled in from one row.

A variable is written `{{city}}` (spaces inside the braces are allowed: `{{ city }}`) in any message's
content, the system prompt included. Its name must be an identifier (letters, digits and `_`, not starting
with a digit). Anything else between double braces (`{{my city}}`, `{{}}`) is a bad name, reported with
the message it is in; nothing is substituted while one is there. An image whose address is a variable
(`{{photo}}`, see `playground.images.variable_of`) is filled in too; its value must be an image (a PNG/JPEG data
URL or an https address, `images.check_url`), else the issue is coded `bad_image`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from playground import images
from playground.errors import FieldError, RequestError
from playground.notebook import ChatMessage

__all__ = [
    "VariableError",
    "VariableIssue",
    "fill_in",
    "find_variables",
    "image_variables",
    "message_name",
    "scan",
    "substitute",
    "substitute_body",
]

PLACEHOLDER = re.compile(r"\{\{([^{}\n]*)\}\}")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class VariableIssue(FieldError):
    """One problem with one variable in one message: `at` is the message's index, `variable` its name as written."""

    at: int
    variable: str


class VariableError(RequestError):
    """Variables could not be found or filled in; `.errors` holds one VariableIssue per problem, on
    `messages.<at>.content`, coded `bad_name` or `missing_value`."""

    errors: list[VariableIssue]  # type: ignore[assignment]


def message_name(at: int, role: str) -> str:
    """How a message is named in a message: "the system prompt" or "message 2 (user)" (counted from 1)."""
    return "the system prompt" if role == "system" and at == 0 else f"message {at + 1} ({role})"


def _content(m: ChatMessage | Mapping[str, Any]) -> tuple[str, str]:
    if isinstance(m, ChatMessage):
        return m.role, m.content
    content = m.get("content")
    if isinstance(content, list):  # content parts: the text ones' text
        texts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return str(m.get("role", "")), "\n".join(t for t in texts if isinstance(t, str))
    return str(m.get("role", "")), content if isinstance(content, str) else ""


def _image_urls(m: ChatMessage | Mapping[str, Any]) -> list[str]:
    """The addresses of a message's images, in order (a variable's is `{{name}}`)."""
    if isinstance(m, ChatMessage):
        return [image.url for image in m.images]
    content = m.get("content")
    parts = [p for p in content if isinstance(p, dict)] if isinstance(content, list) else []
    return [str((p.get("image_url") or {}).get("url", "")) for p in parts if p.get("type") == "image_url"]


def _image_names(urls: Iterable[str]) -> list[str]:
    """The variables these image addresses stand for (`{{photo}}`), in order of first appearance."""
    return list(dict.fromkeys(name for name in map(images.variable_of, urls) if name is not None))


def image_variables(messages: Sequence[ChatMessage | Mapping[str, Any]]) -> list[str]:
    """The variables that stand for an image (`{{photo}}` as an image's address), in order of first appearance."""
    return _image_names(url for m in messages for url in _image_urls(m))


def scan(messages: Sequence[ChatMessage | Mapping[str, Any]]) -> tuple[list[str], list[VariableIssue]]:
    """The valid variables' names in order of first appearance, and an issue per bad name (nothing raised)."""
    names: list[str] = []
    issues: list[VariableIssue] = []
    for at, m in enumerate(messages):
        role, text = _content(m)
        for match in PLACEHOLDER.finditer(text) if "{{" in text else ():  # most messages hold none
            name = match.group(1).strip()
            if NAME.fullmatch(name):
                if name not in names:
                    names.append(name)
                continue
            where = message_name(at, role)
            shown = match.group(0) if len(match.group(0)) <= 60 else match.group(0)[:60] + "…"
            issues.append(
                VariableIssue(
                    f"messages.{at}.content",
                    f"In {where}, {shown} is not a variable name: use letters, digits and _, not starting with a digit "
                    "(e.g. {{city}}).",
                    "bad_name",
                    at,
                    match.group(1),
                )
            )
        if urls := _image_urls(m):  # an image after the message's text
            names.extend(name for name in _image_names(urls) if name not in names)
    return names, issues


def find_variables(messages: Sequence[ChatMessage | Mapping[str, Any]]) -> list[str]:
    """The variables' names in order of first appearance; raises VariableError on a bad name."""
    names, issues = scan(messages)
    if issues:
        raise VariableError(issues)
    return names


def _fill(text: str, at: int, role: str, values: Mapping[str, str], issues: list[VariableIssue]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        value = values.get(name)
        if value is None:
            issues.append(
                VariableIssue(
                    f"messages.{at}.content",
                    f"{message_name(at, role).capitalize()} uses {{{{{name}}}}} but no value was given for {name}.",
                    "missing_value",
                    at,
                    name,
                )
            )
            return match.group(0)
        return str(value)

    return PLACEHOLDER.sub(one, text)


def _image_value(url: str, at: int, role: str, values: Mapping[str, str], issues: list[VariableIssue]) -> str:
    """An image's address with its variable filled in and checked (`url` itself when it is no variable, or on an issue)."""
    name = images.variable_of(url)
    if name is None:
        return url
    where = message_name(at, role)
    value = values.get(name)
    if value is None:
        message = f"{where.capitalize()} shows the image {{{{{name}}}}} but no image was given for {name}."
        issues.append(VariableIssue(f"messages.{at}.content", message, "missing_value", at, name))
        return url
    try:
        return images.check_url(value)
    except ValueError as exc:
        message = f"The image for {{{{{name}}}}} in {where} is refused: {exc}"
        issues.append(VariableIssue(f"messages.{at}.content", message, "bad_image", at, name))
        return url


def substitute(messages: Sequence[ChatMessage], values: Mapping[str, str]) -> list[ChatMessage]:
    """The messages with every `{{name}}` replaced by `values[name]` (values are inserted as they are, never
    read again for variables): a message that holds a variable is a new one, the others are the very messages given
    (a page fills its whole conversation on every rerun). Raises VariableError naming each bad name and each
    variable without a value."""
    _, issues = scan(messages)
    out: list[ChatMessage] = []
    for at, m in enumerate(messages):
        if "{{" not in m.content and all(images.variable_of(image.url) is None for image in m.images):
            out.append(m)
            continue
        shown = [image.model_copy(update={"url": _image_value(image.url, at, m.role, values, issues)}) for image in m.images]
        out.append(m.model_copy(update={"content": _fill(m.content, at, m.role, values, issues), "images": shown}, deep=True))
    if issues:
        raise VariableError(issues)
    return out


def fill_in(messages: Sequence[ChatMessage], typed: Mapping[str, str]) -> tuple[list[ChatMessage], dict[str, str]]:
    """What Run sends: `messages` with the values `typed` in the Variables form put in, and the values used (only the
    variables the messages use, each with a value). Raises RequestError: a missing value on `variables.<name>` (shown
    under its box), a bad name on the message that holds it; one problem per field."""
    names, issues = scan(messages)
    if issues:
        raise RequestError(list(issues))
    used = {n: typed[n] for n in names if typed.get(n)}
    try:
        return substitute(messages, used), used
    except VariableError as exc:
        placed = [
            FieldError(f"variables.{e.variable}", f"Type a value for {{{{{e.variable}}}}}: the conversation uses it.", e.code)
            if e.code == "missing_value"
            else e
            for e in exc.errors
        ]
        raise RequestError(list({e.field: e for e in placed}.values())) from None


def substitute_body(body: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """A deep copy of a request body with its messages' text and images filled in, as `substitute` does."""
    out = copy.deepcopy(dict(body))
    messages = out.get("messages") or []
    _, issues = scan(messages)
    for at, m in enumerate(messages):
        if isinstance(m, dict) and isinstance(m.get("content"), str):
            m["content"] = _fill(m["content"], at, str(m.get("role", "")), values, issues)
        elif isinstance(m, dict) and isinstance(m.get("content"), list):
            for part in m["content"]:
                role = str(m.get("role", ""))
                if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
                    part["text"] = _fill(part["text"], at, role, values, issues)
                elif isinstance(part, dict) and part.get("type") == "image_url" and isinstance(part.get("image_url"), dict):
                    image = part["image_url"]
                    image["url"] = _image_value(str(image.get("url", "")), at, role, values, issues)
    if issues:
        raise VariableError(issues)
    return out
