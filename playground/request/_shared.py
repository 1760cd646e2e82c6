"""What the request's modules share and nothing else uses: rule issues (a validator's several errors, each
on its own sub-path) and the one mapping of pydantic's errors to plain-words `FieldError`s.

Private to the package: import from here only inside `playground/request/`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from playground.errors import FieldError, RequestError
from playground.wording import say

UNION_TAGS = ("mode", "named", "as_text", "as_parts", "text_part", "image_part")  # union tags, left out of error paths

# ---------------------------------------------------------------------------------------------- rule issues
# A validator can fail only at its own location, with one error. Our rules raise one "rules" error whose
# context lists (sub-path, code, ctx) issues; `to_request_error` expands them into FieldErrors below that
# location, so each rule names its exact field ("tools.1.function.name", "messages.3.tool_call_id").

RULES = "rules"


class Issues:
    def __init__(self) -> None:
        self.items: list[tuple[str, str, dict[str, Any]]] = []

    def add(self, sub: str, code: str, **ctx: Any) -> None:
        self.items.append((sub, code, ctx))

    def raise_any(self) -> None:
        if self.items:
            summary = "; ".join(f"{sub or 'request'}: {code}" for sub, code, _ in self.items)
            raise PydanticCustomError(RULES, "{summary}", {"summary": summary, "issues": tuple(self.items)})


def issue(sub: str, code: str, **ctx: Any) -> PydanticCustomError:
    """A single rule issue, for validators that stop at the first problem."""
    return PydanticCustomError(RULES, "{summary}", {"summary": f"{sub}: {code}", "issues": ((sub, code, ctx),)})


def dotted(path: Sequence[str | int]) -> str:
    return ".".join(str(p) for p in path)


# How to read a path inside a message that build_request inserted for a seed-style tool message.
INSERTED_SUFFIX = {"id": "tool_call_id", "name": "name", "arguments": "arguments"}


@dataclass
class Origin:
    """Where a converted message came from: the index the person wrote, whether build_request inserted it,
    and which of its tool calls were moved there from a seed-style tool message (call position → index)."""

    index: int
    inserted: bool = False
    calls: dict[int, int] = field(default_factory=dict)


def remap(path: list[str | int], origin: Sequence[Origin] | None) -> list[str | int]:
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
        rest = [INSERTED_SUFFIX[rest[-1]]] if rest and rest[-1] in INSERTED_SUFFIX else []
    return ["messages", index, *rest]


def field_error(
    path: Sequence[str | int], code: str, ctx: Mapping[str, Any] | None = None, *, key_error: bool = False, raw: str = ""
) -> FieldError:
    return FieldError(dotted(path), say(path, code, ctx or {}, key_error=key_error, raw=raw), code)


def to_request_error(
    exc: ValidationError, origin: Sequence[Origin] | None = None, earlier: Sequence[FieldError] = ()
) -> RequestError:
    """Map pydantic's errors once: loc → dotted field path, type → code, and a plain-words message."""
    out: list[FieldError] = list(earlier)
    reported = {e.field for e in earlier}
    for err in exc.errors(include_url=False):
        loc = [p for p in err["loc"] if p not in UNION_TAGS]
        key_error = "[key]" in loc
        loc = [p for p in loc if p != "[key]"]
        ctx = err.get("ctx") or {}
        if not loc and err["type"] == "string_unicode":  # a key that is a lone surrogate: no path can name it
            out.append(field_error(["body"], "string_unicode", raw="a key is not valid Unicode text (a lone surrogate)"))
            continue
        if err["type"] == RULES:
            for sub, code, issue_ctx in ctx["issues"]:
                parts = [int(p) if p.isdigit() else p for p in sub.split(".")] if sub else []
                out.append(field_error(remap(loc + parts, origin), code, issue_ctx, raw=issue_ctx.get("message", "")))
        else:
            out.append(field_error(remap(loc, origin), err["type"], ctx, key_error=key_error, raw=err["msg"]))
    seen: set[FieldError] = set()
    unique = [e for e in out if not (e in seen or seen.add(e))]
    return RequestError([e for e in unique if e in earlier or e.field not in reported])
