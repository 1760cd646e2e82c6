"""What one request may cost before it reaches llama.cpp: body size and arrival time, JSON nesting and text,
schema cost for the grammar engine, and lengths a slot's context can hold."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from starlette.requests import ClientDisconnect, Request

from playground.local.settings import GatewaySettings
from playground.local.shapes import ApiError

# No prompt of more characters per token of a slot's context can fit it (SmolLM2's longest tokens are 64
# characters), and every message costs at least one token (its role markers).
PROMPT_CHARS_PER_TOKEN = 128

_SURROGATE = re.compile("[\ud800-\udfff]")


def _dotted(path: tuple[str | int, ...]) -> str | None:
    return ".".join(str(p) for p in path) if path else None


def _has_surrogate(text: str) -> bool:
    return not text.isascii() and _SURROGATE.search(text) is not None


def _lone_surrogate(path: tuple[str | int, ...], what: str) -> ApiError:
    where = _dotted(path)
    return ApiError(400, f"{what.format(where or 'body')}: that is not valid Unicode text.", param=where, code="invalid_unicode")


def scan_json(value: Any, max_depth: int) -> None:
    """Refuse what `json.loads` accepts but nothing after it can handle: nesting deeper than `max_depth`
    (validation and schema compilers recurse) and strings or keys with lone UTF-16 surrogates like
    `"\\ud800"` (they cannot be encoded to UTF-8 to send on).

    Iterative, so it cannot recurse itself; the 400 names the path, e.g. `messages.0.content`.
    """
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if _has_surrogate(node):
                raise _lone_surrogate(path, "`{}` holds a lone UTF-16 surrogate (like \\ud800)")
            continue
        if not isinstance(node, dict | list):
            continue
        if len(path) >= max_depth:
            where = _dotted(path[:6])
            raise ApiError(
                400,
                f"The body is nested more than {max_depth} levels deep (at `{where}`…).",
                param=where,
                code="nesting_too_deep",
            )
        if isinstance(node, dict):
            for key, item in node.items():
                if _has_surrogate(key):
                    raise _lone_surrogate(path, "A key in `{}` holds a lone UTF-16 surrogate")
                stack.append((item, (*path, key)))
        else:
            stack.extend((item, (*path, i)) for i, item in enumerate(node))


@dataclass(frozen=True)
class SchemaCost:
    """What makes a JSON schema expensive as a llama.cpp grammar, which is checked against the whole
    vocabulary for every token on the one loop all slots share (bench/README.md has the measurements).

    - `alternatives`: enum values + anyOf/oneOf branches + type lists + `|` in patterns: each is a parse
      stack held open;
    - `repeat`: the largest count (min/max length, items, properties, `{m,n}` in a pattern): GBNF expands
      repetitions, and past a couple of thousand llama.cpp refuses the grammar;
    - `depth`: nesting of objects and arrays; `size`: bytes of compact JSON.
    """

    alternatives: int
    repeat: int
    depth: int
    size: int


_COUNTS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "minContains", "maxContains")
_PATTERN_COUNT = re.compile(r"\{\s*(\d+)\s*(?:,\s*(\d*)\s*)?\}")


def schema_cost(schema: Any) -> SchemaCost:
    """The cost of one schema (iterative; the body's nesting was bounded before)."""
    alternatives = repeat = depth = 0
    stack: list[tuple[Any, int]] = [(schema, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, list):
            depth = max(depth, level)
            stack.extend((x, level + 1) for x in node)
            continue
        if not isinstance(node, dict):
            continue
        depth = max(depth, level)
        for key in ("enum", "anyOf", "oneOf", "type"):
            if isinstance(node.get(key), list):
                alternatives += len(node[key])
        if isinstance(node.get("pattern"), str):
            pattern = node["pattern"]
            alternatives += pattern.count("|")
            for low, high in _PATTERN_COUNT.findall(pattern):
                repeat = max(repeat, int(low[:12]), int(high[:12] or 0))
        for key in _COUNTS:
            value = node.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
                repeat = max(repeat, int(min(value, 10**12)))
        stack.extend((v, level + 1) for v in node.values())
    size = len(json.dumps(schema, separators=(",", ":"), ensure_ascii=False))
    return SchemaCost(alternatives, repeat, depth, size)


def check_schema_limits(schema: Any, param: str, settings: GatewaySettings) -> None:
    """A 400 naming `param` when a schema costs more than the shared grammar loop can afford."""
    cost, s = schema_cost(schema), settings
    problems = [
        (
            cost.alternatives > s.max_schema_alternatives,
            f"{cost.alternatives} alternatives (enum values, anyOf/oneOf branches, type lists, `|` in patterns); "
            f"at most {s.max_schema_alternatives}",
        ),
        (
            cost.repeat > s.max_schema_repeat,
            f"a count of {cost.repeat} (min/max length, items or properties, or {{m,n}} in a pattern); "
            f"at most {s.max_schema_repeat}",
        ),
        (cost.depth > s.max_schema_depth, f"{cost.depth} levels of nesting; at most {s.max_schema_depth}"),
        (cost.size > s.max_schema_bytes, f"{cost.size} bytes; at most {s.max_schema_bytes}"),
    ]
    for bad, what in problems:
        if bad:
            message = f"`{param}` is too costly for this gateway's grammar engine: {what}."
            raise ApiError(400, message, param=param, code="schema_too_complex")


def schema_locations(body: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(param, schema) of every JSON schema in a raw body, found before validation (which walks them)."""
    rf = body.get("response_format")
    if isinstance(rf, dict) and isinstance(rf.get("json_schema"), dict):
        spec = rf["json_schema"]
        if "schema" in spec:
            yield "response_format.json_schema.schema", spec["schema"]
        else:
            yield "response_format.json_schema", spec
    if isinstance(body.get("tools"), list):
        for i, tool in enumerate(body["tools"]):
            fn = tool.get("function") if isinstance(tool, dict) else None
            if isinstance(fn, dict) and "parameters" in fn:
                yield f"tools.{i}.function.parameters", fn["parameters"]


def parse_body(raw: bytes, max_depth: int) -> dict[str, Any]:
    """A raw body as a JSON object whose nesting and text `scan_json` accepts, or a 400 saying what is wrong."""
    try:
        body = json.loads(raw)
    except RecursionError:
        raise ApiError(400, f"The body is nested more than {max_depth} levels deep.", code="nesting_too_deep") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"The body is not valid JSON: {exc}", code="invalid_json") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object.", code="invalid_json")
    scan_json(body, max_depth)
    return body


async def read_body(request: Request, max_bytes: int, timeout_s: float) -> bytes:
    """The raw body: at most `max_bytes` (413), arriving in full within `timeout_s` (408); both close the
    connection, whose unread rest could not be told from a next request."""
    limit = max_bytes
    close = {"Connection": "close"}
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"Request body over {limit} bytes.", code="request_too_large", headers=close)
    chunks, size = [], 0
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise ApiError(413, f"Request body over {limit} bytes.", code="request_too_large", headers=close)
                chunks.append(chunk)
    except TimeoutError:
        message = (
            f"The request body did not arrive in full within {timeout_s:g} s ({size} bytes came; Content-Length said {declared})."
        )
        raise ApiError(408, message, code="request_timeout", headers=close) from None
    except ClientDisconnect:
        raise ApiError(499, "The client went away while sending the body.", code="client_closed") from None
    return b"".join(chunks)


def text_length(content: Any) -> int:
    """Characters of a message's content: a string, or content parts with text."""
    if isinstance(content, str):
        return len(content)
    if isinstance(content, list):
        return sum(len(p["text"]) for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return 0


def check_lengths(body: dict[str, Any], clean: dict[str, Any], limit: int) -> None:
    """A 400 when the answer asked for, or the prompt, cannot fit one slot's context of `limit` tokens.

    Refused here rather than by llama.cpp, which reads 2**31 tokens as negative and tokenizes a whole
    prompt before refusing it.
    """
    if int(clean.get("max_completion_tokens") or 0) > limit:
        legacy = "max_tokens" in body and "max_completion_tokens" not in body
        name = "max_tokens" if legacy else "max_completion_tokens"
        raise ApiError(
            400,
            f"`{name}` is at most {limit} on this gateway (the context of one generation slot; "
            f"got {clean['max_completion_tokens']}).",
            param=name,
            code="less_than_equal",
        )
    messages = clean.get("messages") or []
    chars = sum(text_length(m.get("content")) for m in messages)
    if chars / PROMPT_CHARS_PER_TOKEN + len(messages) > limit:
        message = f"The {len(messages)} messages ({chars} characters) are more than a slot's context of {limit} tokens can hold."
        raise ApiError(400, message, param="messages", code="context_length_exceeded")
