"""One normalised answer, whatever shape it came in.

xAI (and the embedded gateway) answer in the OpenAI `chat.completion` shape and streams arrive as
`chat.completion.chunk` dicts. The playground shows the seed's "Response Datas" (id, model, created, request_id,
content[] of text / thinking+signature / tool_use blocks, stop_reason, stop_sequence, usage), so
every shape is turned into one `Completion` here and nothing above this module looks at raw JSON
(the raw JSON is still kept in `Completion.raw` for the "raw" view and the store, its per-token logprobs
replaced by a marker: they are kept once, in `Choice.logprobs`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass as pydantic_dataclass

from playground.errors import StreamDecodeError

__all__ = [
    "LOGPROBS_KEPT_ONCE",
    "SHOWN_LOGPROBS",
    "Choice",
    "Completion",
    "ContentBlock",
    "Done",
    "StreamAccumulator",
    "TextDelta",
    "ThinkingDelta",
    "TokenLogprob",
    "TopLogprob",
    "Usage",
    "from_chat_completion",
    "parse_arguments",
]


LOGPROBS_KEPT_ONCE = "(kept once, in the completion's probabilities)"  # stands in the raw JSON for what `Choice.logprobs` holds
SHOWN_LOGPROBS = 20  # per-token entries of each choice the page's JSON shows; the download holds them all


class ContentBlock(BaseModel):
    """One block of `content[]`: a text, a thinking (reasoning) or a tool_use block."""

    type: Literal["text", "thinking", "tool_use"]
    text: str | None = None
    thinking: str | None = None
    signature: str | None = None
    id: str | None = None
    name: str | None = None
    input: dict[str, Any] | None = None


class Usage(BaseModel):
    """Token counts in the seed's words. On xAI `reasoning_tokens` is counted beside `output_tokens`."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    reasoning_tokens: int = 0


# Pydantic dataclasses rather than models: a 1,000-token answer with 8 alternatives is 9,000 of these, and
# validating them as slotted dataclasses takes half the time (bench/analysis.py).
@pydantic_dataclass(slots=True)
class TopLogprob:
    token: str
    logprob: float
    bytes: list[int] | None = None


@pydantic_dataclass(slots=True)
class TokenLogprob(TopLogprob):
    """The chosen token at one position, with its most likely alternatives."""

    top_logprobs: list[TopLogprob] = field(default_factory=list)


class Choice(BaseModel):
    index: int
    content: list[ContentBlock]
    stop_reason: str | None = None
    stop_sequence: str | None = None
    logprobs: list[TokenLogprob] | None = None


class Completion(BaseModel):
    """The seed's "Response Datas" for choice 0, plus every choice and the raw JSON beside it."""

    id: str
    model: str
    created: int | None = None
    request_id: str | None = None
    content: list[ContentBlock]
    stop_reason: str | None = None
    stop_sequence: str | None = None
    usage: Usage = Field(default_factory=Usage)
    choices: list[Choice]
    system_fingerprint: str | None = None
    raw: dict[str, Any] | list[Any] = Field(default_factory=dict)

    def text(self, choice: int = 0) -> str:
        """The visible text of one choice (text blocks joined), "" when there is none."""
        for c in self.choices:
            if c.index == choice:
                return "".join(b.text or "" for b in c.content if b.type == "text")
        if choice == 0 and not self.choices:
            return "".join(b.text or "" for b in self.content if b.type == "text")
        raise IndexError(f"no choice {choice}")

    def shown(self, tokens: int = SHOWN_LOGPROBS) -> dict[str, Any]:
        """This completion's JSON (without the raw) as the page shows it: each choice's first `tokens` per-token
        logprobs, then a line saying how many more `whole_json` holds (a long answer's would fill the page)."""
        cut = [
            c.model_copy(update={"logprobs": c.logprobs[:tokens]}) if len(c.logprobs or ()) > tokens else c for c in self.choices
        ]
        data = self.model_copy(update={"choices": cut}).model_dump(exclude={"raw"}, exclude_none=True)
        for choice, dumped in zip(self.choices, data["choices"], strict=True):
            if choice.logprobs is not None and len(choice.logprobs) > tokens:
                dumped["logprobs"].append(f"… and {len(choice.logprobs) - tokens:,} more tokens, in the whole JSON")
        return data

    def whole_json(self) -> bytes:
        """This completion's JSON (without the raw), every token included: what `shown` abridges."""
        return self.model_dump_json(exclude={"raw"}, exclude_none=True).encode()

    def tool_uses(self, choice: int = 0) -> list[ContentBlock]:
        """The tool_use blocks of one choice, in order."""
        for c in self.choices:
            if c.index == choice:
                return [b for b in c.content if b.type == "tool_use"]
        return []


class TextDelta(BaseModel):
    """A piece of visible text for one choice, as it streams in."""

    choice: int
    text: str


class ThinkingDelta(BaseModel):
    """A piece of reasoning (`reasoning_content`) for one choice, as it streams in."""

    choice: int
    text: str


class Done(BaseModel):
    """The last stream event: everything received, normalised."""

    completion: Completion


# --------------------------------------------------------------------------------------------
# small readers that never crash on odd input


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _count(value: Any) -> int:
    return _int_or_none(value) or 0


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _content_text(content: Any) -> str | None:
    """Message content as text: a string, or OpenAI content parts (`[{"type":"text","text":…}]`)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") for p in content if isinstance(p, Mapping) and isinstance(p.get("text"), str)]
        return "".join(parts) if parts else None
    return None


def parse_arguments(arguments: Any) -> dict[str, Any]:
    """Tool-call arguments (a JSON string) as a dict; `{"_raw": text}` when it is not a JSON object."""
    if isinstance(arguments, Mapping):
        return dict(arguments)
    if arguments is None:
        return {}
    if not isinstance(arguments, str):
        return {"_raw": json.dumps(arguments)}
    if not arguments.strip():
        return {}
    try:
        parsed = json.loads(arguments)
    except ValueError:
        return {"_raw": arguments}
    return parsed if isinstance(parsed, dict) else {"_raw": arguments}


def _usage(data: Any) -> Usage:
    """Usage from the OpenAI/xAI shape or the Anthropic one (missing or null counts are 0)."""
    if not isinstance(data, Mapping):
        return Usage()
    prompt_details = data.get("prompt_tokens_details")
    completion_details = data.get("completion_tokens_details")
    cached = prompt_details.get("cached_tokens") if isinstance(prompt_details, Mapping) else None
    reasoning = completion_details.get("reasoning_tokens") if isinstance(completion_details, Mapping) else None
    return Usage(
        input_tokens=_count(data.get("prompt_tokens", data.get("input_tokens"))),
        output_tokens=_count(data.get("completion_tokens", data.get("output_tokens"))),
        cache_read_input_tokens=_count(cached if cached is not None else data.get("cache_read_input_tokens")),
        reasoning_tokens=_count(reasoning if reasoning is not None else data.get("reasoning_tokens")),
    )


def _top_logprob(entry: Mapping[str, Any]) -> TopLogprob | None:
    token = entry.get("token")
    logprob = entry.get("logprob")
    if not isinstance(token, str):
        return None
    raw_bytes = entry.get("bytes")
    return TopLogprob(
        token=token,
        logprob=float(logprob) if isinstance(logprob, int | float) else float("-inf"),
        bytes=[b for b in raw_bytes if isinstance(b, int)] if isinstance(raw_bytes, list) else None,
    )


_ENTRIES = TypeAdapter(list[TokenLogprob])


def _logprob_entries(logprobs: Any) -> list[TokenLogprob] | None:
    """`choice.logprobs.content` as TokenLogprob list; None when the answer carried no logprobs."""
    if not isinstance(logprobs, Mapping):
        return None
    content = logprobs.get("content")
    if not isinstance(content, list):
        return None
    try:  # the usual, well-formed answer: validated in one pass by pydantic-core
        return _ENTRIES.validate_python(content)
    except ValidationError:
        pass  # something odd inside: read it entry by entry, keeping what can be read
    out: list[TokenLogprob] = []
    for entry in content:
        if not isinstance(entry, Mapping):
            continue
        top = _top_logprob(entry)
        if top is None:
            continue
        alternatives = entry.get("top_logprobs")
        alts = [_top_logprob(a) for a in alternatives if isinstance(a, Mapping)] if isinstance(alternatives, list) else []
        out.append(
            TokenLogprob(token=top.token, logprob=top.logprob, bytes=top.bytes, top_logprobs=[a for a in alts if a is not None])
        )
    return out


def _stop_sequence(finish_reason: str | None, hints: Iterable[Any], stop: list[str] | None) -> str | None:
    """Which request stop string ended the answer, when the upstream says so (llama.cpp: `stopping_word`).

    Only answered for finish_reason "stop" with stop strings in the request; a word the request did
    not ask for (an end-of-turn token) is not a stop sequence.
    """
    if finish_reason != "stop" or not stop:
        return None
    for hint in hints:
        if isinstance(hint, str) and hint in stop:
            return hint
    return None


def _tool_use_blocks(message: Mapping[str, Any]) -> list[ContentBlock]:
    blocks: list[ContentBlock] = []
    tool_calls = message.get("tool_calls")
    if isinstance(tool_calls, list):
        for call in tool_calls:
            if not isinstance(call, Mapping):
                continue
            function = call.get("function") if isinstance(call.get("function"), Mapping) else {}
            blocks.append(
                ContentBlock(
                    type="tool_use",
                    id=_str_or_none(call.get("id")),
                    name=_str_or_none(function.get("name")),
                    input=parse_arguments(function.get("arguments")),
                )
            )
    legacy = message.get("function_call")
    if isinstance(legacy, Mapping):  # pre-tools OpenAI shape
        blocks.append(
            ContentBlock(type="tool_use", name=_str_or_none(legacy.get("name")), input=parse_arguments(legacy.get("arguments")))
        )
    return blocks


def _openai_choice(choice: Mapping[str, Any], position: int, stop: list[str] | None, top_hints: Iterable[Any] = ()) -> Choice:
    message = choice.get("message")
    if not isinstance(message, Mapping):
        message = {}
    blocks: list[ContentBlock] = []
    reasoning = _str_or_none(message.get("reasoning_content")) or _str_or_none(message.get("reasoning"))
    if reasoning:
        blocks.append(
            ContentBlock(type="thinking", thinking=reasoning, signature=_str_or_none(message.get("reasoning_signature")))
        )
    text = _content_text(message.get("content"))
    if text:
        blocks.append(ContentBlock(type="text", text=text))
    blocks.extend(_tool_use_blocks(message))
    finish_reason = _str_or_none(choice.get("finish_reason"))
    index = _int_or_none(choice.get("index"))
    hints = [choice.get("stop_sequence"), choice.get("stopping_word"), *top_hints]
    return Choice(
        index=position if index is None else index,
        content=blocks,
        stop_reason=finish_reason,
        stop_sequence=_stop_sequence(finish_reason, hints, stop),
        logprobs=_logprob_entries(choice.get("logprobs")),
    )


def _without_logprobs(message: Any) -> Any:
    """A body or chunk whose choices' per-token logprobs, once read into `Choice.logprobs`, give way to a marker."""
    if not isinstance(message, Mapping) or not isinstance(message.get("choices"), list):
        return message
    choices = [
        {**c, "logprobs": LOGPROBS_KEPT_ONCE}
        if isinstance(c, Mapping) and isinstance(c.get("logprobs"), Mapping) and isinstance(c["logprobs"].get("content"), list)
        else c  # read by `_logprob_entries` exactly when its content is a list
        for c in message["choices"]
    ]
    return {**message, "choices": choices}


def _assemble(
    data: Mapping[str, Any], choices: list[Choice], usage: Usage, raw: dict[str, Any] | list[Any], request_id: str | None
) -> Completion:
    """The Completion; its raw JSON keeps the server's envelope, and each token's probabilities stay only in `choices`."""
    choices = sorted(choices, key=lambda c: c.index)
    first = choices[0] if choices else None
    created = _int_or_none(data.get("created"))
    return Completion(
        id=str(data.get("id") or ""),
        model=str(data.get("model") or ""),
        created=created,
        request_id=request_id if request_id is not None else _str_or_none(data.get("request_id")),
        content=list(first.content) if first else [],
        stop_reason=first.stop_reason if first else None,
        stop_sequence=first.stop_sequence if first else None,
        usage=usage,
        choices=choices,
        system_fingerprint=_str_or_none(data.get("system_fingerprint")),
        raw=[_without_logprobs(chunk) for chunk in raw] if isinstance(raw, list) else _without_logprobs(raw),
    )


# --------------------------------------------------------------------------------------------
# public converters


def from_chat_completion(data: dict[str, Any], *, request_id: str | None = None, stop: list[str] | None = None) -> Completion:
    """Normalise an OpenAI/xAI `chat.completion` body. `stop` is the request's stop list, if any."""
    if not isinstance(data, Mapping):
        raise StreamDecodeError(f"expected a chat.completion object, got {type(data).__name__}")
    raw_choices = data.get("choices")
    if raw_choices is None:
        raw_choices = []
    if not isinstance(raw_choices, list):
        raise StreamDecodeError("the answer's 'choices' is not a list")
    # a top-level stopping word cannot say which choice it ended: it is only read when there is one choice
    top_hints = [data.get("stopping_word")] if len(raw_choices) == 1 else []
    choices = [_openai_choice(c, i, stop, top_hints) for i, c in enumerate(raw_choices) if isinstance(c, Mapping)]
    return _assemble(data, choices, _usage(data.get("usage")), dict(data), request_id)


# --------------------------------------------------------------------------------------------
# streaming


@dataclass
class _ToolCallParts:
    id: str | None = None
    type: str | None = None
    name: str = ""
    arguments: str = ""


@dataclass
class _ChoiceParts:
    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    tool_calls: list[_ToolCallParts] = field(default_factory=list)
    tool_index: dict[Any, int] = field(default_factory=dict)  # upstream tool-call index or id -> position
    finish_reason: str | None = None
    logprobs: list[Any] | None = None
    hints: list[Any] = field(default_factory=list)

    def add_tool_call(self, delta: Mapping[str, Any]) -> None:
        """Merge one streamed tool-call piece: OpenAI sends pieces keyed by `index`, xAI sends whole calls."""
        key: Any = None
        if _int_or_none(delta.get("index")) is not None:
            key = ("index", delta["index"])
        elif isinstance(delta.get("id"), str):
            key = ("id", delta["id"])
        if key is not None and key in self.tool_index:
            part = self.tool_calls[self.tool_index[key]]
        else:
            part = _ToolCallParts()
            self.tool_calls.append(part)
            if key is not None:
                self.tool_index[key] = len(self.tool_calls) - 1
        if isinstance(delta.get("id"), str) and delta["id"]:
            part.id = delta["id"]
        if isinstance(delta.get("type"), str):
            part.type = delta["type"]
        function = delta.get("function")
        if isinstance(function, Mapping):
            if isinstance(function.get("name"), str):
                part.name += function["name"]
            arguments = function.get("arguments")
            if isinstance(arguments, str):
                part.arguments += arguments
            elif isinstance(arguments, Mapping):
                part.arguments += json.dumps(arguments)


class StreamAccumulator:
    """Collects `chat.completion.chunk` dicts; `add` returns the visible deltas, `completion()` the whole.

    Knows nothing about HTTP: the client feeds it parsed SSE data, tests feed it lists of dicts.
    """

    def __init__(self, *, stop: list[str] | None = None, request_id: str | None = None) -> None:
        self._stop = stop
        self._request_id = request_id
        self._chunks: list[Any] = []
        self._meta: dict[str, Any] = {}
        self._usage: Any = None
        self._choices: dict[int, _ChoiceParts] = {}

    @property
    def chunks(self) -> list[Any]:
        return list(self._chunks)

    @property
    def finished(self) -> bool:
        """True when at least one choice arrived and every choice has its finish_reason."""
        return bool(self._choices) and all(c.finish_reason for c in self._choices.values())

    def add(self, chunk: dict[str, Any]) -> list[TextDelta | ThinkingDelta]:
        if not isinstance(chunk, Mapping):
            raise StreamDecodeError(f"expected a chat.completion.chunk object, got {type(chunk).__name__}")
        self._chunks.append(chunk)
        for key in ("id", "model", "created", "system_fingerprint", "request_id"):
            if chunk.get(key) is not None and key not in self._meta:
                self._meta[key] = chunk[key]
        if chunk.get("usage"):
            self._usage = chunk["usage"]
        events: list[TextDelta | ThinkingDelta] = []
        raw_choices = chunk.get("choices")
        in_chunk: list[_ChoiceParts] = []
        for choice in raw_choices if isinstance(raw_choices, list) else []:
            if not isinstance(choice, Mapping):
                continue
            index = _int_or_none(choice.get("index")) or 0
            parts = self._choices.setdefault(index, _ChoiceParts())
            in_chunk.append(parts)
            delta = choice.get("delta")
            if not isinstance(delta, Mapping):
                delta = choice.get("message") if isinstance(choice.get("message"), Mapping) else {}
            reasoning = _str_or_none(delta.get("reasoning_content")) or _str_or_none(delta.get("reasoning"))
            if reasoning:
                parts.reasoning.append(reasoning)
                events.append(ThinkingDelta(choice=index, text=reasoning))
            text = _content_text(delta.get("content"))
            if text:
                parts.text.append(text)
                events.append(TextDelta(choice=index, text=text))
            tool_calls = delta.get("tool_calls")
            for call in tool_calls if isinstance(tool_calls, list) else []:
                if isinstance(call, Mapping):
                    parts.add_tool_call(call)
            entries = _logprob_entries(choice.get("logprobs"))
            if entries is not None:
                parts.logprobs = (parts.logprobs or []) + [asdict(e) for e in entries]
            if isinstance(choice.get("finish_reason"), str):
                parts.finish_reason = choice["finish_reason"]
            parts.hints.extend([choice.get("stop_sequence"), choice.get("stopping_word")])
        if chunk.get("stopping_word") is not None:
            # a chunk-level stopping word belongs to the choices of that chunk, or to the only choice there is
            owners = in_chunk or (list(self._choices.values()) if len(self._choices) == 1 else [])
            for parts in owners:
                parts.hints.append(chunk["stopping_word"])
        return events

    def completion(self) -> Completion:
        """Everything received so far as one Completion (also usable after an interrupted stream)."""
        choices = []
        for index, parts in self._choices.items():
            message: dict[str, Any] = {"role": "assistant", "content": "".join(parts.text) or None}
            if parts.reasoning:
                message["reasoning_content"] = "".join(parts.reasoning)
            if parts.tool_calls:
                message["tool_calls"] = [
                    {"id": t.id, "type": t.type or "function", "function": {"name": t.name, "arguments": t.arguments}}
                    for t in parts.tool_calls
                ]
            raw_choice: dict[str, Any] = {"index": index, "message": message, "finish_reason": parts.finish_reason}
            if parts.logprobs is not None:
                raw_choice["logprobs"] = {"content": parts.logprobs}
            choices.append(_openai_choice(raw_choice, index, self._stop, parts.hints))
        return _assemble(self._meta, choices, _usage(self._usage), list(self._chunks), self._request_id)
