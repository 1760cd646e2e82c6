"""Notebooks and cells: what a person made, and every run they made with it, as data.

A `Notebook` is a conversation, the sidebar settings and the `Cell`s run from them. A cell holds the
exact body that was sent, where it went (backend and a credential-free base URL), the conversation and
settings it ran with (so Fork can load them back), its status, what arrived (the `Completion`, or the
partial text of a run that was stopped or cut), the error, and its timings.

The messages themselves, and a conversation to and from JSON, are `playground.messages`' (their names are
re-exported here). Nothing here draws or stores: `playground.runner` fills cells, `playground.store` keeps
notebooks, and pages only show them.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, PrivateAttr, ValidationError, model_validator

from playground import fields, untrusted
from playground.backends import BackendId
from playground.errors import (
    AuthError,
    BadRequestError,
    NetworkError,
    PlaygroundError,
    RateLimitError,
    RequestError,
    RequestTimeout,
    ServerError,
    StreamCutError,
    StreamDecodeError,
    TransportError,
    UpstreamError,
)
from playground.messages import (
    AttachedImage,
    ChatMessage,
    MessageKey,
    ToolCallRow,
    conversation_from_json,
    conversation_to_json,
    message_key,
)
from playground.response import Completion, TokenLogprob

__all__ = [
    "FORMAT",
    "AttachedImage",
    "BranchOrigin",
    "FORMAT_VERSION",
    "Cell",
    "CellError",
    "CellStatus",
    "ChatMessage",
    "MessageKey",
    "Notebook",
    "NotebookFile",
    "Timings",
    "ToolCallRow",
    "conversation_from_json",
    "conversation_to_json",
    "message_key",
    "new_id",
    "preview",
    "safe_base_url",
    "snippet",
    "valid_id",
]

CellStatus = Literal["new", "streaming", "stopped", "interrupted", "pending", "done", "error"]
FINISHED: frozenset[str] = frozenset({"stopped", "interrupted", "done", "error"})
SECRET_SETTINGS = frozenset({"api_key"})  # never kept, whatever a caller passes
TITLE_CHARS = 60  # a title made from the first message is cut at a word boundary to about this many characters
UNTITLED = "Untitled notebook"
# Seconds since 1970 that a page can show as a date (up to the year 3000); a file may say anything.
Timestamp = Annotated[float, Field(ge=0, le=32_503_680_000)]


def new_id() -> str:
    """A random 16-hex-digit id: notebooks are opened by it from a URL, so it must not be guessable."""
    return secrets.token_hex(8)


def new_cell_id() -> str:
    """A run's id: unique within its notebook (pages key the run's widgets by it)."""
    return secrets.token_hex(5)


def valid_id(value: object) -> bool:
    """Only ids shaped like `new_id()`'s are looked up (a URL is user input)."""
    return isinstance(value, str) and len(value) == 16 and all(c in "0123456789abcdef" for c in value)


def safe_base_url(url: object) -> str | None:
    """A base URL fit to keep: without user:password, query or fragment (where tokens hide); else None."""
    if not isinstance(url, str) or not url:
        return None
    try:
        parts = urlsplit(url)
        if parts.username or parts.password or parts.query or parts.fragment:
            return None
    except ValueError:
        return None
    return url


class Timings(BaseModel):
    """Seconds from sending to the first token and to the end; output tokens per second of generation."""

    ttft_s: float | None = None
    total_s: float | None = None
    tokens_per_s: float | None = None


class CellError(BaseModel):
    """Why a run failed, in the words shown to the person (never containing a key)."""

    kind: str
    message: str
    status: int | None = None
    param: str | None = None
    server_message: str | None = None
    advice: str | None = None  # what to do next

    @classmethod
    def of(cls, exc: PlaygroundError) -> CellError:
        if isinstance(exc, UpstreamError):
            return cls(
                kind=type(exc).__name__,
                message=str(exc),
                status=exc.status,
                param=exc.param,
                server_message=exc.server_message or None,
                advice=exc.advice or None,
            )
        if isinstance(exc, RequestError):
            return cls(kind="RequestError", message=str(exc), param=exc.errors[0].field if exc.errors else None)
        return cls(kind=type(exc).__name__, message=str(exc))

    def upstream(self) -> UpstreamError | None:
        """The error again, of its own kind (AuthError, RateLimitError…), when the server gave it."""
        if self.status is None:
            return None
        kinds = {k.__name__: k for k in (AuthError, RateLimitError, BadRequestError, ServerError)}
        kind = kinds.get(self.kind, UpstreamError)
        return kind(
            self.message, status=self.status, server_message=self.server_message or "", param=self.param, advice=self.advice or ""
        )

    def error(self) -> PlaygroundError:
        """The error again, of its own kind: a cut stream stays a cut stream (not "could not reach the server")."""
        upstream = self.upstream()
        if upstream is not None:
            return upstream
        kinds = {k.__name__: k for k in (StreamCutError, StreamDecodeError, RequestTimeout, NetworkError)}
        kinds["TimeoutError_"] = RequestTimeout  # RequestTimeout's earlier name, in notebooks saved before
        return kinds.get(self.kind, TransportError)(self.message)


class BranchOrigin(BaseModel):
    """Where a "Continue from here" run branched off another: that run (`of`), the choice and token position, the
    token the model had chosen there and the one put in its place, each with the probability the original run gave
    it (None where it gave none: a typed word), and what was sent as the assistant's unfinished message (`prefix`:
    the answer up to that position, then the new token) with its tokens' logprobs (`prefix_logprobs`: the
    original's, then the new token's), which join the continuation's in the branch's answer."""

    of: str
    choice: int = Field(default=0, ge=0)
    position: int = Field(ge=0)
    old_token: str
    old_probability: float | None = None
    new_token: str
    new_probability: float | None = None
    prefix: str
    prefix_logprobs: list[TokenLogprob] = Field(default_factory=list)


class _Sent:
    """What a cell derives from what it sent (`Cell.sent`), kept for as long as its conversation and body are the
    very objects it was derived from. A cache, not part of the cell's value: any two compare equal, and shallow copies
    of a cell (`model_copy`) share it."""

    __slots__ = ("body", "conversation", "digest", "keys")

    def __init__(self) -> None:
        self.conversation: list[ChatMessage] | None = None
        self.body: dict[str, Any] | None = None
        self.digest = ""
        self.keys: tuple[MessageKey, ...] = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Sent)

    __hash__ = None  # type: ignore[assignment]


class Cell(BaseModel):
    """One run: what was sent, where, with which conversation and settings, and what came back.

    `conversation` is the one on screen, `{{variables}}` and all; `body` holds it with `variables`' values put in. Both
    are what was sent: set when the cell is made, never changed in place (a run that differs is another cell), so what
    is derived from them is computed once (`sent`).
    """

    id: str = Field(default_factory=lambda: new_cell_id())
    created: Timestamp = Field(default_factory=time.time)
    backend: BackendId  # a notebook naming a backend this playground does not know cannot be opened: refused
    base_url: str | None = None
    model: str = ""
    body: dict[str, Any]
    notes: list[str] = Field(default_factory=list)
    conversation: list[ChatMessage] = Field(default_factory=list)
    settings: dict[str, Any] = Field(default_factory=dict)
    status: CellStatus = "new"
    completion: Completion | None = None
    partial: dict[int, str] = Field(default_factory=dict)
    partial_thinking: dict[int, str] = Field(default_factory=dict)
    error: CellError | None = None
    request_id: str | None = None
    timings: Timings = Field(default_factory=Timings)
    continued: bool = False  # its answer was added to the conversation
    stop_cause: Literal["new_message"] | None = None  # a "stopped" run ended because the person sent a new message
    step_of: str | None = None  # the cell whose tool calls this run answers ("Run tools and continue")
    branch: BranchOrigin | None = None  # a "Continue from here" run: where it branched off
    variables: dict[str, str] = Field(default_factory=dict)  # the {{name}} values put into `conversation` for `body`
    _sent: _Sent = PrivateAttr(default_factory=_Sent)

    @property
    def at(self) -> int:
        """How many messages this cell answered: it belongs under message `at - 1`."""
        return len(self.conversation)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def text(self, choice: int = 0) -> str:
        """The answer's visible text so far: the completion's, else what streamed in before it ended."""
        if self.completion is not None:
            try:
                return self.completion.text(choice)
            except IndexError:
                return ""
        start = self.branch.prefix if self.branch is not None and choice == 0 else ""
        return start + self.partial.get(choice, "")

    def clean(self) -> Cell:
        """A copy fit to store or share: no secret settings, no base URL carrying credentials (the completion shared);
        the very cell when it holds neither (a save goes through every cell of the notebook)."""
        base_url, settings = safe_base_url(self.base_url), _clean_settings(self.settings)
        if base_url == self.base_url and settings is self.settings:
            return self
        return self.model_copy(update={"base_url": base_url, "settings": settings})

    def sent(self) -> tuple[str, tuple[MessageKey, ...]]:
        """A digest of what this run sent (its conversation and body) and its messages' keys, derived once."""
        memo = self._sent
        if memo.conversation is not self.conversation or memo.body is not self.body:
            data = self.__pydantic_serializer__.to_json(self, include={"conversation", "body"})
            memo.digest = hashlib.blake2b(data, digest_size=16).hexdigest()
            memo.keys = tuple(message_key(m) for m in self.conversation)
            memo.conversation, memo.body = self.conversation, self.body
        return memo.digest, memo.keys

    def differences(
        self,
        conversation: Sequence[ChatMessage] | Sequence[MessageKey],
        settings: Mapping[str, Any],
        variables: Mapping[str, str] | None = None,
    ) -> list[str]:
        """What changed since this cell ran, in plain words; [] when it still answers what is on screen.

        `conversation` as messages, or as their `message_key`s (a page comparing many cells keys each message once).
        `variables`: the `{{name}}` values Run would put in now; each value this cell used is compared with it.
        """
        out: list[str] = []
        head = conversation[: self.at]
        now = list(head) if head and isinstance(head[0], tuple) else [message_key(m) for m in head]  # type: ignore[arg-type]
        if len(now) < self.at:
            out.append(f"The conversation is shorter now ({len(conversation)} messages; this run answered {self.at}).")
        was = self.sent()[1]
        if list(was[: len(now)]) != now:
            out += [f"Message {i + 1} changed." for i, (a, b) in enumerate(zip(was, now, strict=False)) if a != b]
        for key in sorted(set(self.settings) | set(settings)):
            if key in SECRET_SETTINGS or key.startswith("model.") or key.endswith(".rows"):
                continue
            before, after = self.settings.get(key), settings.get(key)
            if before != after and not (_blank(before) and _blank(after)):
                head, _, rest = key.partition(".")
                label = fields.FIELDS[head].label if head in fields.FIELDS else head.replace("_", " ").capitalize()
                label += f" {rest.replace('_', ' ')}" if rest else ""
                out.append(f"{label}: {_short(before)} → {_short(after)}.")
        for name, before in self.variables.items() if variables is not None else ():
            if (after := variables.get(name, "")) != before:
                out.append(f"{{{{{name}}}}}: {_short(before)} → {_short(after)}.")
        return out


def _clean_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings fit to keep: no secret, and no base URL carrying credentials (the very dict when it holds neither)."""
    if SECRET_SETTINGS.isdisjoint(settings) and (safe_base_url(settings.get("base_url")) or "") == settings.get("base_url", ""):
        return settings
    out = {k: v for k, v in settings.items() if k not in SECRET_SETTINGS}
    if "base_url" in out:
        out["base_url"] = safe_base_url(out["base_url"]) or ""
    return out


def _blank(value: Any) -> bool:
    return value in (None, "", [], {}, "none")


def _short(value: Any) -> str:
    text = "empty" if _blank(value) else json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "…"


def _first_line(text: str, limit: int) -> str:
    """The first non-blank line of `text`, its spaces collapsed, cut at a word boundary near `limit` characters ("…")."""
    line = next((" ".join(ln.split()) for ln in text.splitlines() if ln.strip()), "")
    if len(line) <= limit:
        return line
    cut = line[: limit + 1]
    words = cut.rsplit(" ", 1)[0] if " " in cut else ""
    return (words if len(words) >= limit // 2 else cut[:limit]).rstrip(" ,;:.-") + "…"


class Notebook(BaseModel):
    """A conversation, its settings and its cells (oldest first). `version` counts saves (see store).

    Until the person names it (`named`), its title follows its first user message (`title_from_conversation`).
    `imported_from` is the name of the file it was imported from (untrusted text), None when made here.
    """

    id: str = Field(default_factory=new_id)
    title: str = UNTITLED
    named: bool = False
    imported_from: str | None = None
    created: Timestamp = Field(default_factory=time.time)
    updated: Timestamp = Field(default_factory=time.time)
    version: int = 0
    conversation: list[ChatMessage] = Field(default_factory=list)
    settings: dict[str, Any] = Field(default_factory=dict)
    cells: list[Cell] = Field(default_factory=list)
    comparisons: list[dict[str, Any]] = Field(default_factory=list)
    # the Evaluate page's test cases, checks, seeds and marks ("cases", "checks", "seeds", "marks"; see
    # components/evaluate_cases.py) and its finished runs ("runs"), as JSON: read back through playground.evaluate's models
    evaluation: dict[str, Any] = Field(default_factory=dict)
    # the Compare page's set-up inputs the person changed from their defaults (mode, seeds, sweep, setting sets, repeat,
    # a first message), by input name (see components/compare_setup.py); untrusted: checked before a widget shows one
    compare: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _named_before(cls, data: Any) -> Any:
        """Notebooks saved before titles followed the first message: any title but the default was chosen."""
        if isinstance(data, dict) and "named" not in data:
            data = {**data, "named": data.get("title", UNTITLED) != UNTITLED}
        return data

    def cell(self, cell_id: str) -> Cell | None:
        return next((c for c in self.cells if c.id == cell_id), None)

    def is_empty(self) -> bool:
        """Nothing a person made: no cells, no text in any message, no set-up, no setting changed from its default,
        and the default title."""
        return (
            not fields.changed_in(self.settings)
            and not self.cells
            and not self.comparisons
            and not self.evaluation
            and not self.compare
            and self.title == Notebook.model_fields["title"].default
            and all(not m.content.strip() and not m.tool_calls for m in self.conversation)
        )

    def search_text(self) -> str:
        """What a search matches: the title and the text of every message."""
        return "\n".join([self.title, *(m.content for m in self.conversation)]).lower()

    def clean(self) -> Notebook:
        """A copy fit to store or share: no secret settings, no base URL carrying credentials."""
        return self.model_copy(update={"settings": _clean_settings(self.settings), "cells": [c.clean() for c in self.cells]})

    def duplicate(self, title: str | None = None, *, deep: bool = True) -> Notebook:
        """A copy under a new id, to change without touching the original; `deep=False` shares the original's
        cells and messages (the very objects, so what is still being written into them reaches the copy)."""
        now = time.time()
        title = f"Copy of {self.title}" if title is None else title
        update = {"id": new_id(), "title": title, "named": True, "version": 0, "created": now, "updated": now}
        return self.model_copy(deep=deep, update=update)

    def checked(self) -> tuple[Notebook, list[str]]:
        """This notebook made fit to open, and a note per change: every setting the sidebar cannot show (its own,
        and each run's, which Fork loads) is back to its field's default (`untrusted.check_settings`), and a run
        whose id another run already has gets its own (pages key widgets by run id); a run is a tool step only of an
        earlier run (so following `step_of` always ends)."""
        settings, notes = untrusted.check_settings(self.settings)
        cells: list[Cell] = []
        seen: set[str] = set()
        for number, cell in enumerate(self.cells, start=1):
            cell_settings, cell_notes = untrusted.check_settings(cell.settings)
            notes.extend(f"Run {number}'s settings, {n[0].lower()}{n[1:]}" for n in cell_notes)
            update: dict[str, Any] = {"settings": cell_settings} if cell_notes else {}
            if cell.id in seen:
                update["id"] = new_cell_id()
                notes.append(f"Run {number} had the same id as an earlier run; it now has one of its own.")
            if cell.step_of is not None and cell.step_of not in seen:
                update["step_of"] = None
                notes.append(f"Run {number} named a run that is not before it as the one whose tool calls it answered.")
            seen.add(update.get("id", cell.id))
            cells.append(cell.model_copy(update=update) if update else cell)
        if not notes:
            return self, []
        return self.model_copy(update={"settings": settings, "cells": cells}), notes

    def title_from_conversation(self) -> str:
        """A title from the first line of the first user message (cut to about `TITLE_CHARS`), for notebooks nobody
        named; the title as it is when no user message has text."""
        first = next((m.content for m in self.conversation if m.role == "user" and m.content.strip()), "")
        return _first_line(first, TITLE_CHARS) or self.title

    def retitle(self) -> None:
        """Follow the first user message, unless the person named this notebook."""
        if not self.named:
            self.title = self.title_from_conversation()


def preview(contents: Sequence[str | None], lines: int = 2, limit: int = 90) -> list[str]:
    """The first lines of a conversation (its messages' texts, in order) for a list: the first line of each of the
    first `lines` messages that have text, each cut near `limit` characters."""
    return [_first_line(c, limit) for c in contents if c and c.strip()][:lines]


def snippet(text: str, query: str, around: int = 40) -> tuple[str, str, str] | None:
    """Where `query` first occurs in `text` (ignoring case; spaces collapsed): the words before it, the match as
    written, the words after it, each side cut near `around` characters ("…"). None when it does not occur."""
    flat, wanted = " ".join(text.split()), " ".join(query.split())
    at = flat.lower().find(wanted.lower()) if wanted else -1
    if at < 0:
        return None
    before, match, after = flat[:at], flat[at : at + len(wanted)], flat[at + len(wanted) :]
    if len(before) > around:
        before = "…" + before[-around:].split(" ", 1)[-1] if " " in before[-around:] else "…" + before[-around:]
    if len(after) > around:
        after = after[:around].rsplit(" ", 1)[0] + "…" if " " in after[:around] else after[:around] + "…"
    return before, match, after


# ------------------------------------------------------------------------------------ files


FORMAT = "chat-completions-playground/notebook"
FORMAT_VERSION = 1


class NotebookFile(BaseModel):
    """The exported file: a format tag and version, so an import can refuse what it does not know."""

    format: Literal["chat-completions-playground/notebook"] = FORMAT
    version: Literal[1] = FORMAT_VERSION
    notebook: Notebook

    @classmethod
    def dump(cls, notebook: Notebook) -> str:
        return cls(notebook=notebook.clean()).model_dump_json(indent=2)

    @classmethod
    def load(cls, data: bytes | str, file_name: str | None = None) -> tuple[Notebook, list[str]]:
        """The notebook in an exported file, with a new id (an import never overwrites), marked as imported from
        `file_name`, and notes on what was changed so that it opens (`Notebook.checked`). ValueError in plain words
        for a file that cannot be one, naming the cap of `untrusted.LIMITS` it passes."""
        raw = untrusted.read_json(data, "notebook")
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ValueError(f'This is not a notebook file (its "format" should be "{FORMAT}").')
        if raw.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"This notebook file has version {raw.get('version')!r}; this playground reads version {FORMAT_VERSION}."
            )
        try:
            notebook = cls.model_validate(raw).notebook
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValueError(
                f"This notebook file is damaged at {where}: {first['msg']} ({exc.error_count()} problem(s) in all)."
            ) from None
        limits = untrusted.LIMITS
        if len(notebook.conversation) > limits.messages:
            raise ValueError(f"This notebook has {len(notebook.conversation)} messages; one can have at most {limits.messages}.")
        if len(notebook.cells) > limits.cells:
            raise ValueError(f"This notebook has {len(notebook.cells)} runs; one can have at most {limits.cells}.")
        now = time.time()
        notebook, notes = notebook.checked()
        name = _first_line(file_name or "", 120) or "a file"
        return notebook.clean().model_copy(update={"id": new_id(), "version": 0, "updated": now, "imported_from": name}), notes
