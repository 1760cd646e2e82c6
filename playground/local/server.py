"""The xAI-compatible gateway in front of the embedded llama.cpp server.

llama.cpp generates; this layer makes it answer the way api.x.ai does, so the playground and
any OpenAI/xAI client work offline:

- every body is validated by `playground.request.validate_body` (bounds from `fields.py`) and
  refused with OpenAI's error shape `{"error": {"message", "type", "param", "code"}}`: 400 for a
  bad field or malformed JSON, 413 for a body over `max_body_bytes`, 404 for an unknown model;
  an unexpected failure is a 500 in the same shape, never a plain-text page. Bodies nested deeper
  than `max_json_depth` (validation recurses: 95 levels of `anyOf` raised RecursionError) and strings
  with lone UTF-16 surrogates (valid JSON, not valid text) are 400s naming where they are;
  `max_completion_tokens` above one slot's context (`n_ctx // n_parallel`) is a 400 naming it (no
  answer can be longer, and llama.cpp reads 2**31 as negative and wraps 2**63); errors worded by
  llama.cpp name the param where the wording tells (`upstream_param`); a body that stops arriving
  (a Content-Length larger than what is sent held the connection open for ever) is a 408 after
  `body_timeout_s`, and its connection is closed;
- `n` choices are fanned out as n single-choice upstream requests, queued over the parallel
  slots by `FairSlots` (a slot that frees goes to the request holding the fewest, so one request's
  16 choices cannot queue ahead of everyone else's single one); with a seed, choice i samples
  with seed + i (mod 2**32 - 1, because llama.cpp reads 0xFFFFFFFF as "random"), so choice 0
  equals the n=1 answer and the whole response is reproducible. Usage: prompt tokens counted
  once, completion tokens summed over choices (OpenAI's accounting);
- `deferred: true` answers `{"request_id"}` at once; `GET /v1/chat/deferred-completion/{id}`
  gives 202 (empty) while running, then 200 with the same chat.completion a direct call
  returns. As on xAI a result can be fetched **once**: it is forgotten after the 200. Finished,
  unfetched results are kept `deferred_ttl_s` (24 h, like xAI); at most `deferred_max` requests
  (running + unfetched) and `deferred_max_bytes` of results (kept as JSON bytes) are held, beyond
  that new submissions get 429 rather than evicting one;
- `POST /v1/tokenize-text` in xAI's shape via llama.cpp's `/tokenize`, at most `max_tokenize_chars`;
- memory: RSS grew from 382 MB to 1,187 MB over ~550 hostile requests and stayed there. Measured
  causes: (1) llama.cpp keeps a host-RAM cache of finished prompts (`cache_ram_mib`, 8 GiB by
  default), one entry per distinct token sequence: ~600 KB for every answer unlike those before (64
  such requests a round to llama.cpp alone: RSS 363 → 410 → 449 → 489 → 527 → 563 → 597 MB; with it
  off, 373 MB throughout). `Engine` turns it off. (2) llama.cpp's HTTP threads build large JSON
  answers (a tokenize-text of 1.9 MB is a 9 MB list of pieces; a long prompt is tokenized before it
  is refused) in their own malloc arenas, and glibc keeps the freed pages: six such tokenize calls
  left llama.cpp at 1,033 MB, one `malloc_trim` brought it to 432 MB. So the text to tokenize is
  bounded, a prompt that cannot fit a slot's context is refused before llama.cpp tokenizes it
  (`PROMPT_CHARS_PER_TOKEN`), and once the gateway has been idle `trim_idle_s` it hands free heap
  back to the OS (`release_memory`);
- llama.cpp is called in-process (`in_process`, the default): its handler `handle_chat_completions(body,
  callback)` runs in a thread per choice and hands each chunk, already a dict, to the event loop, so no token
  crosses llama.cpp's HTTP server, a loopback socket and an SSE parser (`bench/probe_inprocess.py` shows it
  carries streaming, logprobs, grammars, the stopping word, parallel slots and cancellation). The relay of
  llama.cpp's HTTP server stays as the fallback (`in_process=False`); tokenize always uses it (there is no
  in-process tokenize handler). Streamed chunks go out with ids, model and choice index rewritten;
- four slots are shared by everyone, so none may generate for a client that has left. Every
  upstream request is *streamed*, even for a non-streamed client: llama.cpp drops a streamed task
  when its connection closes, but finishes a non-streamed one whatever happens (measured: a
  1,500-token answer kept its slot busy 15 s and more after the client left). The gateway watches
  each client (`_while_connected`) and closes the upstream streams when it goes away, mid-stream,
  before the first chunk, or while waiting for a non-streamed answer;
- tools are translated by `playground.local.tools.plan` (the model's template has no tools);
- no single request may stall the others. llama.cpp compiles a `response_format` schema (and the
  tool-call schema) to a GBNF grammar whose cost grows with the alternatives it holds open, on the
  one loop that decodes every slot: a 10,000-value `enum` took 112 s and a 4-token request sent
  meanwhile waited as long. Schemas are held to the limits of `SchemaCost` (each tool's parameters
  alone and the tool-call constraint as a whole), with a 400 naming the param, and a request whose
  grammar holds more than `grammar_lane_alternatives` open generates one choice at a time among all
  such requests (its cost adds up per slot: 4 slots on a 256-value enum made a 4-token request
  beside them take 5.9 s instead of 0.4 s with one). Parsing, checking and translating a body run in
  a worker thread within `prepare_timeout_s`, so the event loop keeps serving others meanwhile.

Model names: the advertised id is `model_id_for(gguf)` (`smollm2-135m-instruct`); the GGUF
file name, its stem and its path are accepted as aliases, case-insensitively.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import functools
import itertools
import json
import re
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import httpx
from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Send

from playground import fields
from playground.errors import RequestError
from playground.local import tools
from playground.local.engine import RANDOM_SEED, Engine, model_id_for
from playground.request import validate_body

SEED_MODULUS = RANDOM_SEED  # derived seeds stay in 0 .. 0xFFFFFFFE
T = TypeVar("T")
# No prompt of more characters per token of a slot's context can fit it: SmolLM2's longest tokens are 64
# characters (runs of spaces, "-", "=" or "#"); ordinary text is ~4-6 characters a token. And every message
# costs at least one token (its role markers; ChatML spends ~5). Prompts beyond either are refused at once:
# llama.cpp spent ~3 s of CPU and tens of MB tokenizing 1.9 MB, and 21 s on 20,000 one-letter messages,
# only to refuse them.
PROMPT_CHARS_PER_TOKEN = 128


class GatewaySettings(BaseModel):
    """How the gateway and its engine run. Defaults suit a 2-core laptop."""

    model_config = ConfigDict(extra="forbid")

    gguf: Path | None = None  # None: engine.find_gguf()
    model_id: str | None = None  # None: derived from the file name
    n_parallel: int = Field(4, ge=1, le=64)  # llama.cpp slots = concurrent generations
    n_ctx: int = Field(8192, ge=256)  # total context, split evenly over the slots
    threads: int | None = Field(None, ge=1)
    max_n: int = Field(fields.MAX_N, ge=1, le=fields.MAX_N)
    deferred_ttl_s: float = Field(24 * 3600, gt=0)
    deferred_max: int = Field(1024, ge=1)
    deferred_max_bytes: int = Field(128_000_000, ge=1)  # finished, unfetched results (as JSON)
    max_body_bytes: int = Field(2_000_000, ge=1024)
    upstream_timeout_s: float = Field(600, gt=0)
    # Reuse the longest prefix a slot already holds instead of recomputing the prompt: exact with the engine's
    # batch-invariant K cache (engine.py), so seeded answers stay the same; off only to measure it.
    prompt_cache: bool = True
    max_json_depth: int = Field(48, ge=8, le=400)  # nesting of objects and arrays in a body
    body_timeout_s: float = Field(30, gt=0)  # the whole body must arrive within this
    prepare_timeout_s: float = Field(10, gt=0)  # parsing, checking and translating one body, off the event loop
    # What one schema may cost the grammar engine (see SchemaCost)
    max_schema_alternatives: int = Field(256, ge=1)
    max_schema_repeat: int = Field(2048, ge=1)
    max_schema_depth: int = Field(32, ge=4, le=400)
    max_schema_bytes: int = Field(32_000, ge=256)
    grammar_lane_alternatives: int = Field(32, ge=0)  # above: one such choice generates at a time
    max_tokenize_chars: int = Field(100_000, ge=1)
    trim_idle_s: float = Field(1.0, ge=0)  # idle this long: free heap goes back to the OS (0: never)
    # Call llama.cpp in-process (its handler, a callback per chunk) instead of relaying its HTTP server's SSE
    # over a loopback socket; the relay stays as a fallback (`--http-relay`).
    in_process: bool = True


class ApiError(Exception):
    """An error answered in OpenAI's shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        type_: str = "invalid_request_error",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.type = status, message, param, code, type_
        self.headers = headers

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def derived_seed(seed: int, index: int) -> int:
    """The seed of choice `index`: choice 0 keeps the request's seed."""
    return (seed + index) % SEED_MODULUS


def trim_logprobs(logprobs: dict[str, Any] | None, top: int) -> dict[str, Any] | None:
    """Keep `top` alternatives per token (llama.cpp sends none at top_logprobs=0, so we ask ≥ 1)."""
    if not logprobs:
        return logprobs
    for entry in logprobs.get("content") or []:
        entry["top_logprobs"] = (entry.get("top_logprobs") or [])[:top]
    return logprobs


def sum_usage(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Prompt counted once (same input for every choice), completion tokens summed."""
    if not parts:
        return {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    prompt = int(parts[0].get("prompt_tokens", 0))
    cached = int((parts[0].get("prompt_tokens_details") or {}).get("cached_tokens", 0))
    completion = sum(int(p.get("completion_tokens", 0)) for p in parts)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def stopping_word(data: dict[str, Any], body: dict[str, Any]) -> str | None:
    """Which of the request's stop strings ended a choice, from llama.cpp's verbose block.

    Chat completions have no field for it; we add `stop_sequence` to the choice (the seed's Response
    Datas name), which OpenAI clients ignore and ours reads.
    """
    verbose = data.get("__verbose") or {}
    word = verbose.get("stopping_word")
    stops = body.get("stop") or []
    return word if verbose.get("stop_type") == "word" and word in stops else None


def token_entry(token_id: int, piece: str | list[int]) -> dict[str, Any]:
    """xAI's tokenize-text item; llama.cpp gives a byte list for pieces that are not valid UTF-8."""
    raw = bytes(piece) if isinstance(piece, list) else piece.encode("utf-8")
    return {"token_id": token_id, "string_token": raw.decode("utf-8", errors="replace"), "token_bytes": list(raw)}


# ---- hostile input -------------------------------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")


def _dotted(path: tuple[str | int, ...]) -> str | None:
    return ".".join(str(p) for p in path) if path else None


def _has_surrogate(text: str) -> bool:
    return not text.isascii() and _SURROGATE.search(text) is not None


def scan_json(value: Any, max_depth: int) -> None:
    """Refuse what `json.loads` accepts but nothing after it can handle: nesting deeper than `max_depth`
    (validation and schema compilers recurse; 95 levels of `anyOf` raised RecursionError) and strings
    or keys with lone UTF-16 surrogates like `"\\ud800"` (they cannot be encoded to UTF-8 to send on).

    Iterative, so it cannot recurse itself; the 400 names the path, e.g. `messages.0.content`.
    """
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if _has_surrogate(node):
                where = _dotted(path)
                raise ApiError(
                    400,
                    f"`{where or 'body'}` holds a lone UTF-16 surrogate (like \\ud800): that is not valid Unicode text.",
                    param=where,
                    code="invalid_unicode",
                )
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
                    where = _dotted(path)
                    raise ApiError(
                        400,
                        f"A key in `{where or 'body'}` holds a lone UTF-16 surrogate: that is not valid Unicode text.",
                        param=where,
                        code="invalid_unicode",
                    )
                stack.append((item, (*path, key)))
        else:
            stack.extend((item, (*path, i)) for i, item in enumerate(node))


@dataclass(frozen=True)
class SchemaCost:
    """What makes a JSON schema expensive as a llama.cpp grammar (measured on SmolLM2, 4 slots, 2 cores).

    - `alternatives`: enum values + anyOf/oneOf branches + type lists + `|` in patterns. Each is a parse
      stack the grammar sampler checks against the whole vocabulary for every token, on the loop all
      slots share. A 4-token request sent beside an 8-token one constrained to a 300-value enum took
      0.7 s instead of 0.2 s, 2.2 s beside a 1,000-value enum, 112 s beside a 10,000-value one; anyOf
      over 2,000 consts stalled everyone 14 s, a pattern `^(w0|…|w1999)$` 5.4 s.
    - `repeat`: the largest count (min/max length, items, properties, `{m,n}` in a pattern): GBNF
      expands repetitions (an exact 1,000-character string cost 0.9 s for 4 tokens; past ~2,000
      llama.cpp refuses the grammar).
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


def _find_malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    with contextlib.suppress(OSError, AttributeError):
        trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
        return trim  # type: ignore[no-any-return]
    return None


_malloc_trim = _find_malloc_trim()


def release_memory() -> int:
    """Hand free heap back to the OS with glibc's `malloc_trim`: 1 if some was released, 0 if none, -1 without
    glibc. It takes each malloc arena's lock in turn, so run it off the event loop."""
    return _malloc_trim(0) if _malloc_trim is not None else -1


_UPSTREAM_FIELD = re.compile(r"""[Ff]ield ['"`]?([A-Za-z_][\w.]*)""")


def upstream_param(message: str, body: dict[str, Any], constraint: str | None) -> str | None:
    """The request field an error worded by llama.cpp is about, where the wording tells.

    `constraint` is the field that became the grammar (`response_format`, or `tools` for a tool call).
    """
    if m := _UPSTREAM_FIELD.search(message):
        name = m.group(1)
        return "max_completion_tokens" if name in ("max_tokens", "n_predict") else name
    low = message.lower()
    if "context" in low or "prompt" in low or ("tokens" in low and "exceed" in low):
        return "messages"
    if constraint and any(w in low for w in ("grammar", "schema", "sampler")):
        return constraint
    for key in sorted(body, key=len, reverse=True):
        if re.search(rf"\b{re.escape(key)}\b", message):
            return key
    return None


async def _sse_events(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """The JSON events of an upstream SSE stream, up to `[DONE]`."""
    async for line in response.aiter_lines():
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            event = json.loads(data)
        except ValueError:
            raise ApiError(
                502,
                f"The model server sent an event that is not JSON: {data[:200]!r}",
                type_="server_error",
                code="upstream_error",
            ) from None
        if isinstance(event, dict):
            yield event


async def _until_disconnected(request: Request) -> None:
    """Returns when the client has gone away (its body was read before, so nothing else can arrive)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


@dataclass(frozen=True)
class _Prepared:
    """A chat request checked and translated (in a worker thread), ready to run."""

    clean: dict[str, Any]
    n: int
    stream: bool
    include_usage: bool
    deferred: bool
    plan: tools.ToolPlan | None
    costly: bool = False  # its grammar holds many alternatives open: one such choice at a time


class FairSlots:
    """The llama.cpp slots, shared fairly among requests.

    A slot that frees goes to the waiting request that holds the fewest slots (first come among equals):
    with a plain FIFO semaphore a request's n=16 choices queued ahead of everyone, and a 4-token request
    sent behind them waited for all sixteen.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.free = size
        self.held: dict[object, int] = {}
        self._waiting: list[tuple[int, object, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @contextlib.asynccontextmanager
    async def slot(self, owner: object) -> AsyncIterator[None]:
        """Hold one slot for `owner` (one object per request) while the block runs."""
        await self._acquire(owner)
        try:
            yield
        finally:
            self._release(owner)

    async def _acquire(self, owner: object) -> None:
        if self.free and not self._waiting:
            self._take(owner)
            return
        entry = (next(self._order), owner, asyncio.get_running_loop().create_future())
        self._waiting.append(entry)
        try:
            await entry[2]
        except BaseException:
            if entry[2].done() and not entry[2].cancelled():
                self._release(owner)  # granted just as the waiter was cancelled: pass it on
            elif entry in self._waiting:
                self._waiting.remove(entry)
            raise

    def _take(self, owner: object) -> None:
        self.free -= 1
        self.held[owner] = self.held.get(owner, 0) + 1

    def _release(self, owner: object) -> None:
        self.free += 1
        if (left := self.held[owner] - 1) > 0:
            self.held[owner] = left
        else:
            del self.held[owner]
        while self.free and self._waiting:
            entry = min(self._waiting, key=lambda e: (self.held.get(e[1], 0), e[0]))
            self._waiting.remove(entry)
            if not entry[2].done():
                self._take(entry[1])
                entry[2].set_result(None)


def _text_length(content: Any) -> int:
    """Characters of a message's content: a string, or content parts with text."""
    if isinstance(content, str):
        return len(content)
    if isinstance(content, list):
        return sum(len(p["text"]) for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return 0


def _bad_request(exc: RequestError) -> ApiError:
    """A RequestError as a 400 naming its first field."""
    first = exc.errors[0] if exc.errors else None
    return ApiError(
        400, str(exc) or "Invalid request", param=first.field if first else None, code=first.code if first else "invalid_request"
    )


def _tools_plan(body: dict[str, Any]) -> tools.ToolPlan | None:
    try:
        return tools.plan(body)
    except RequestError as exc:
        raise _bad_request(exc) from None


def _validate(body: dict[str, Any]) -> dict[str, Any]:
    """Strict API body -> clean body (unset fields dropped), or 400 naming the first bad field."""
    try:
        return validate_body(body).to_body()
    except RequestError as exc:
        raise _bad_request(exc) from None


@dataclass
class _Job:
    task: asyncio.Task[None]
    result: tuple[int, bytes] | None = None
    finished_at: float | None = None


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass
class DeferredStore:
    """Deferred requests by id: running or finished-not-yet-fetched. Fetch-once, like xAI.

    Results are kept as JSON bytes (a 16-choice answer with top-8 logprobs is several times larger as
    Python objects), and at most `max_bytes` of them: beyond, new submissions get 429.
    """

    ttl_s: float
    max_items: int
    max_bytes: int = 128_000_000
    jobs: dict[str, _Job] = field(default_factory=dict)

    @property
    def held_bytes(self) -> int:
        return sum(len(j.result[1]) for j in self.jobs.values() if j.result is not None)

    def _purge(self) -> None:
        now = time.monotonic()
        for key in [k for k, j in self.jobs.items() if j.finished_at and now - j.finished_at > self.ttl_s]:
            del self.jobs[key]

    def submit(self, request_id: str, make: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        self._purge()
        if len(self.jobs) >= self.max_items or self.held_bytes >= self.max_bytes:
            held = f"{self.max_items} requests" if len(self.jobs) >= self.max_items else f"{self.max_bytes} bytes"
            raise ApiError(
                429,
                f"Too many deferred results held ({held}); fetch results first.",
                code="rate_limit_exceeded",
                type_="rate_limit_error",
            )
        job = _Job(task=asyncio.get_running_loop().create_task(self._run(request_id, make)))
        self.jobs[request_id] = job

    async def _run(self, request_id: str, make: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        try:
            result: tuple[int, bytes] = (200, _encode(await make()))
        except ApiError as exc:
            result = (exc.status, _encode(exc.body()))
        except Exception as exc:  # noqa: BLE001 - the poller must learn that it failed
            message = f"Deferred request failed: {exc}"
            result = (500, _encode(ApiError(500, message, type_="server_error", code="internal_error").body()))
        job = self.jobs.get(request_id)
        if job is not None:
            job.result, job.finished_at = result, time.monotonic()

    def poll(self, request_id: str) -> tuple[int, bytes | None]:
        """(202, None) while running; (status, JSON bytes) once, then forgotten; 404 when unknown."""
        self._purge()
        job = self.jobs.get(request_id)
        if job is None:
            raise ApiError(
                404,
                f"No deferred request with id {request_id!r} (unknown, expired or already fetched; results can be fetched once).",
                param="request_id",
                code="not_found",
            )
        if job.result is None:
            return 202, None
        del self.jobs[request_id]
        return job.result

    async def aclose(self) -> None:
        tasks = [j.task for j in self.jobs.values() if not j.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class _SSEResponse(StreamingResponse):
    """StreamingResponse that always closes its iterator, so the upstream request is cancelled
    (and its llama.cpp slot freed) when the client goes away mid-stream."""

    async def stream_response(self, send: Send) -> None:
        try:
            await super().stream_response(send)
        finally:
            with anyio.CancelScope(shield=True):
                await self.body_iterator.aclose()  # type: ignore[attr-defined]


class Gateway:
    """The request handling, bound to one engine. Built by `create_app`."""

    def __init__(self, settings: GatewaySettings, engine: Engine | None) -> None:
        self.settings = settings
        self.engine = engine
        self._owns_engine = engine is None
        self.client: httpx.AsyncClient | None = None
        self.slots: FairSlots | None = None
        self.grammar_lane = asyncio.Semaphore(1)  # choices whose grammar is costly, one at a time
        self.deferred = DeferredStore(settings.deferred_ttl_s, settings.deferred_max, settings.deferred_max_bytes)
        self.created = int(time.time())
        # Bodies are checked in worker threads, two at a time (the machine has two cores); others wait their turn.
        self._prepare_limiter = anyio.CapacityLimiter(2)
        self._last_request = 0.0
        self._trim_task: asyncio.Task[None] | None = None
        self.trims = 0  # times free heap was handed back to the OS

    # -- lifecycle -------------------------------------------------------------------------
    async def startup(self) -> None:
        if self.engine is None:
            s = self.settings
            self.engine = await anyio.to_thread.run_sync(
                lambda: Engine(s.gguf, n_parallel=s.n_parallel, n_ctx=s.n_ctx, threads=s.threads)
            )
        n = self.engine.n_parallel
        self.slots = FairSlots(n)
        self.client = httpx.AsyncClient(
            base_url=self.engine.base_url,
            timeout=httpx.Timeout(self.settings.upstream_timeout_s, connect=10.0),
            # A fresh loopback connection per request: llama.cpp's HTTP server closes idle and long-used
            # keep-alive connections on its own, and a request sent on one as it closes fails with
            # "Server disconnected without sending a response" (seen in the benchmark).
            limits=httpx.Limits(max_connections=n + 16, max_keepalive_connections=0),
        )

    async def shutdown(self) -> None:
        if self._trim_task is not None:
            self._trim_task.cancel()
            await asyncio.wait({self._trim_task})
        await self.deferred.aclose()
        if self.client is not None:
            await self.client.aclose()
        if self._owns_engine and self.engine is not None:
            self.engine.close()

    # -- identity --------------------------------------------------------------------------
    @property
    def model_id(self) -> str:
        assert self.engine is not None
        return self.settings.model_id or model_id_for(self.engine.gguf)

    @property
    def fingerprint(self) -> str:
        import xllamacpp

        return f"fp_llamacpp_{xllamacpp.__version__}"

    @functools.cached_property
    def _aliases(self) -> set[str]:
        """Names the model answers to; computed once (it resolves the file path)."""
        assert self.engine is not None
        g = self.engine.gguf
        names = {self.model_id, model_id_for(g), g.name, g.stem, str(g), str(g.resolve())}
        return {a.lower() for a in names}

    @property
    def max_completion_tokens(self) -> int:
        """One slot's context: no answer can be longer."""
        assert self.engine is not None
        return max(1, self.engine.n_ctx // self.engine.n_parallel)

    def check_model(self, model: Any) -> None:
        if not isinstance(model, str) or model.lower() not in self._aliases:
            raise ApiError(
                404,
                f"The model {model!r} does not exist; this gateway serves {self.model_id!r}.",
                param="model",
                code="model_not_found",
            )

    def _model_object(self) -> dict[str, Any]:
        # `context_length` (as OpenRouter and LM Studio name it) lets a client warn before it asks for more.
        return {
            "id": self.model_id,
            "object": "model",
            "created": self.created,
            "owned_by": "playground-local",
            "context_length": self.max_completion_tokens,
        }

    # -- endpoints -------------------------------------------------------------------------
    async def models(self, request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [self._model_object()]})

    async def model(self, request: Request) -> Response:
        self.check_model(request.path_params["model"])
        return JSONResponse(self._model_object())

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "model": self.model_id})

    async def tokenize(self, request: Request) -> Response:
        self._touch()
        text = await self._off_loop(self._prepare_tokenize, await self._read_body(request))
        assert self.client is not None
        r = await self.client.post("/tokenize", json={"content": text, "with_pieces": True, "add_special": False})
        if r.status_code != 200:
            raise self._upstream_error(r.status_code, r.content, {"text": text}, None)
        return JSONResponse({"token_ids": [token_entry(t["id"], t["piece"]) for t in r.json()["tokens"]]})

    async def deferred_completion(self, request: Request) -> Response:
        status, body = self.deferred.poll(request.path_params["request_id"])
        if body is None:
            return Response(status_code=status)
        return Response(body, status_code=status, media_type="application/json")

    async def chat_completions(self, request: Request) -> Response:
        self._touch()
        p = await self._off_loop(self._prepare_chat, await self._read_body(request))
        if p.deferred:
            request_id = str(uuid.uuid4())
            self.deferred.submit(
                request_id, lambda: self.complete(p.clean, p.n, p.plan, completion_id=request_id, costly=p.costly)
            )
            return JSONResponse({"request_id": request_id})
        if p.stream:
            return await self._while_connected(request, self.stream(p.clean, p.n, p.plan, p.include_usage, costly=p.costly))
        return await self._while_connected(request, self._complete_response(p))

    # -- checking a body, in a worker thread ----------------------------------------------------
    async def _off_loop(self, work: Callable[[bytes], T], raw: bytes) -> T:
        """`work(raw)` in a worker thread within `prepare_timeout_s`: parsing, validating and translating a
        large body never holds the event loop (validating anyOf over 2,000 consts alone took 0.33 s on it).
        Past the budget the client gets a 503; the thread then finishes on its own, bounded by the limits
        it checks first."""
        budget = self.settings.prepare_timeout_s
        try:
            async with asyncio.timeout(budget):
                return await anyio.to_thread.run_sync(work, raw, abandon_on_cancel=True, limiter=self._prepare_limiter)
        except TimeoutError:
            message = f"The gateway could not check this request within {budget:g} s; it is large or the server is busy."
            raise ApiError(503, message, type_="server_error", code="prepare_timeout", headers={"Retry-After": "1"}) from None

    def _parse(self, raw: bytes) -> dict[str, Any]:
        try:
            body = json.loads(raw)
        except RecursionError:
            depth = self.settings.max_json_depth
            raise ApiError(400, f"The body is nested more than {depth} levels deep.", code="nesting_too_deep") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, f"The body is not valid JSON: {exc}", code="invalid_json") from None
        if not isinstance(body, dict):
            raise ApiError(400, "The body must be a JSON object.", code="invalid_json")
        scan_json(body, self.settings.max_json_depth)
        return body

    def _prepare_tokenize(self, raw: bytes) -> str:
        body = self._parse(raw)
        text = body.get("text")
        if not isinstance(text, str):
            raise ApiError(400, "`text` must be a string.", param="text", code="invalid_type")
        if len(text) > self.settings.max_tokenize_chars:
            message = f"`text` is {len(text)} characters; this gateway tokenizes at most {self.settings.max_tokenize_chars}."
            raise ApiError(400, message, param="text", code="string_too_long")
        if "model" in body:
            self.check_model(body["model"])
        return text

    def _prepare_chat(self, raw: bytes) -> _Prepared:
        body = self._parse(raw)
        if "model" in body:  # an unknown model is a 404, whatever else is wrong
            self.check_model(body["model"])
        for param, schema in schema_locations(body):  # before validation, which walks them
            check_schema_limits(schema, param, self.settings)
        clean = _validate(body)
        stream = bool(clean.pop("stream", False))
        include_usage = bool((clean.pop("stream_options", None) or {}).get("include_usage"))
        n = int(clean.pop("n", 1) or 1)
        if n > self.settings.max_n:
            raise ApiError(400, f"`n` is at most {self.settings.max_n} on this gateway.", param="n", code="less_than_equal")
        limit = self.max_completion_tokens
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
        chars = sum(_text_length(m.get("content")) for m in messages)
        if chars / PROMPT_CHARS_PER_TOKEN + len(messages) > limit:
            message = (
                f"The {len(messages)} messages ({chars} characters) are more than a slot's context of {limit} tokens can hold."
            )
            raise ApiError(400, message, param="messages", code="context_length_exceeded")
        deferred = bool(clean.pop("deferred", False))
        clean.pop("model", None)
        plan = _tools_plan(clean)
        constraint = ((clean.get("response_format") or {}).get("json_schema") or {}).get("schema")
        if plan is not None and plan.schema is not None:  # every offered tool in one grammar
            constraint = plan.schema
            check_schema_limits(constraint, "tools", self.settings)
        costly = constraint is not None and schema_cost(constraint).alternatives > self.settings.grammar_lane_alternatives
        return _Prepared(clean, n, stream, include_usage, deferred, plan, costly)

    async def _complete_response(self, p: _Prepared) -> Response:
        return JSONResponse(await self.complete(p.clean, p.n, p.plan, costly=p.costly))

    async def _while_connected(self, request: Request, work: Awaitable[Response]) -> Response:
        """Await `work` unless the client goes away first; then cancel it, which closes its upstream
        streams and makes llama.cpp free their slots (a non-streamed n=16 request whose client gave up
        kept all four slots generating for ~9 minutes)."""
        task = asyncio.ensure_future(work)
        watch = asyncio.ensure_future(_until_disconnected(request))
        try:
            await asyncio.wait({task, watch}, return_when=asyncio.FIRST_COMPLETED)
        finally:  # also when this handler itself is cancelled (the server stopping)
            for t in (task, watch):
                if not t.done():
                    t.cancel()
                    with anyio.CancelScope(shield=True):
                        await asyncio.wait({t})
        if task.cancelled():
            return Response(status_code=499)  # nobody is listening
        return task.result()

    # -- memory ------------------------------------------------------------------------------
    def _touch(self) -> None:
        """A request came: once the gateway has been idle `trim_idle_s`, free heap goes back to the OS."""
        self._last_request = time.monotonic()
        if self.settings.trim_idle_s and (self._trim_task is None or self._trim_task.done()):
            self._trim_task = asyncio.get_running_loop().create_task(self._trim_when_idle())

    async def _trim_when_idle(self) -> None:
        idle = self.settings.trim_idle_s
        while (wait := self._last_request + idle - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        await anyio.to_thread.run_sync(release_memory)
        self.trims += 1

    # -- generation ------------------------------------------------------------------------
    def _choice_body(self, clean: dict[str, Any], plan: tools.ToolPlan | None, index: int) -> tuple[dict[str, Any], int]:
        """The upstream body of choice `index`, and how many top_logprobs the client wants."""
        body = plan.upstream_body(clean) if plan is not None else dict(clean)
        body.pop("n", None)
        body["cache_prompt"] = self.settings.prompt_cache
        # The documented defaults (temperature 1, top_p 1), not llama.cpp's own (0.8 and 0.95): a request that
        # leaves them out samples as it would on xAI.
        body.setdefault("temperature", 1.0)
        body.setdefault("top_p", 1.0)
        # Sample from the documented fields only: llama.cpp's own top_k=40 and min_p=0.05 would quietly
        # narrow what temperature and top_p let through. At temperature 0 the answer is the most likely token
        # either way, and top_k=1 spares the sampler sorting the whole vocabulary every token (~10 % of
        # tokens/s at four streams, bench/gateway_throughput.py); logprobs come from the logits, not the sampler.
        body["top_k"], body["min_p"] = (1 if body.get("temperature") == 0 else 0), 0.0
        if body.get("stop"):
            body["verbose"] = True  # llama.cpp then says which stop string ended the answer
        if body.get("seed") is not None:
            body["seed"] = derived_seed(int(body["seed"]), index)
        top = 0
        if body.get("logprobs"):
            top = int(body.get("top_logprobs") or 0)
            body["top_logprobs"] = max(1, top)
        else:
            body.pop("top_logprobs", None)
        # Always streamed upstream: llama.cpp cancels a streamed task when its connection closes (and
        # finishes a non-streamed one whatever happens), so a client that leaves frees its slot.
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
        return body, top

    def _envelope(self, completion_id: str, created: int, obj: str) -> dict[str, Any]:
        return {
            "id": completion_id,
            "object": obj,
            "created": created,
            "model": self.model_id,
            "system_fingerprint": self.fingerprint,
        }

    def _upstream_error(self, status: int, content: bytes, body: dict[str, Any], plan: tools.ToolPlan | None) -> ApiError:
        """llama.cpp's refusal in our shape, naming the field it is about where the wording tells."""
        message = content.decode("utf-8", errors="replace")[:2000]
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            err = json.loads(content).get("error")
            message = err.get("message", message) if isinstance(err, dict) else str(err)
        if 400 <= status < 500:
            constraint = "tools" if plan is not None and plan.constrained else "response_format"
            param = upstream_param(message, body, constraint)
            return ApiError(status, f"The model server refused the request: {message}", param=param, code="upstream_rejected")
        return ApiError(502, f"The model server failed: {message}", type_="server_error", code="upstream_error")

    async def _events(self, body: dict[str, Any], plan: tools.ToolPlan | None) -> AsyncIterator[dict[str, Any]]:
        """The upstream stream of one choice as JSON events (the caller holds a slot): in-process by default,
        over llama.cpp's HTTP server with `in_process=False`. Both yield the same chunk dicts.

        An error event after the start (llama.cpp sends those) is raised as an ApiError."""
        source = self._in_process_events(body, plan) if self.settings.in_process else self._http_events(body, plan)
        async with contextlib.aclosing(source) as events:
            async for event in events:
                if isinstance(event.get("error"), dict) and not event.get("choices"):
                    code = event["error"].get("code")
                    status = code if isinstance(code, int) and 400 <= code < 600 else 500
                    raise self._upstream_error(status, json.dumps(event).encode(), body, plan)
                yield event

    async def _http_events(self, body: dict[str, Any], plan: tools.ToolPlan | None) -> AsyncIterator[dict[str, Any]]:
        """One choice relayed from llama.cpp's HTTP server (SSE over a loopback connection)."""
        assert self.client is not None
        try:
            async with self.client.stream("POST", "/v1/chat/completions", json=body) as r:
                if r.status_code != 200:
                    raise self._upstream_error(r.status_code, await r.aread(), body, plan)
                async for event in _sse_events(r):
                    yield event
        except httpx.HTTPError as exc:
            message = f"The model server is unreachable or failed mid-answer: {exc}"
            raise ApiError(502, message, type_="server_error", code="upstream_unreachable") from exc

    async def _in_process_events(self, body: dict[str, Any], plan: tools.ToolPlan | None) -> AsyncIterator[dict[str, Any]]:
        """One choice from llama.cpp's own handler, called in-process (no HTTP, no SSE, no JSON parsing).

        `handle_chat_completions(body, callback)` blocks (without the GIL) until the answer ends and calls
        `callback` with each chunk, already a dict; a callback that returns True stops the generation at once.
        So it runs in its own thread, hands chunks to this loop, and when this generator is closed early (the
        client left) the next callback says stop; the slot is held until llama.cpp has let go of it.
        A refused request raises (ValueError: the request is at fault) before any chunk.
        """
        assert self.engine is not None
        server = self.engine.server
        if server is None:
            raise ApiError(503, "The model server has stopped.", type_="server_error", code="upstream_unreachable")
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[dict[str, Any] | BaseException | None] = asyncio.Queue()
        finished: asyncio.Future[None] = loop.create_future()
        stop = threading.Event()

        def hand(item: dict[str, Any] | BaseException | None) -> None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening
                loop.call_soon_threadsafe(queue.put_nowait, item)

        def on_chunk(chunk: dict[str, Any]) -> bool:
            hand(chunk)
            return stop.is_set()

        def mark_finished() -> None:
            if not finished.done():
                finished.set_result(None)

        def run() -> None:
            try:
                server.handle_chat_completions(body, on_chunk)
            except Exception as exc:  # noqa: BLE001 - handed to the caller, who words it
                hand(exc)
            finally:
                hand(None)
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(mark_finished)

        threading.Thread(target=run, name="llama-choice", daemon=True).start()
        try:
            while (item := await queue.get()) is not None:
                if isinstance(item, BaseException):
                    status = 400 if isinstance(item, ValueError) else 500
                    content = json.dumps({"error": {"message": str(item)}}).encode()
                    raise self._upstream_error(status, content, body, plan) from item
                yield item
        finally:
            stop.set()
            with anyio.CancelScope(shield=True):
                await asyncio.wait({finished}, timeout=self.settings.upstream_timeout_s)

    @contextlib.asynccontextmanager
    async def _slot(self, owner: object, costly: bool) -> AsyncIterator[None]:
        """A llama.cpp slot for one choice of `owner`'s request; first the grammar lane if its grammar is costly."""
        assert self.slots is not None
        async with self.grammar_lane if costly else contextlib.nullcontext(), self.slots.slot(owner):
            yield

    async def _one(
        self, clean: dict[str, Any], plan: tools.ToolPlan | None, index: int, owner: object, costly: bool = False
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """One non-streamed choice: (choice, usage), gathered from the upstream stream."""
        body, top = self._choice_body(clean, plan, index)
        text: list[str] = []
        tokens: list[dict[str, Any]] = []
        finish: str | None = None
        word: str | None = None
        usage: dict[str, Any] = {}
        async with self._slot(owner, costly), contextlib.aclosing(self._events(body, plan)) as events:
            async for event in events:
                if event.get("usage"):
                    usage = event["usage"]
                for c in event.get("choices") or []:
                    if content := (c.get("delta") or {}).get("content"):
                        text.append(content)
                    if isinstance(c.get("logprobs"), dict):
                        tokens.extend(c["logprobs"].get("content") or [])
                    if c.get("finish_reason"):
                        finish, word = c["finish_reason"], stopping_word(event, body)
        message: dict[str, Any] = {"role": "assistant", "content": "".join(text)}
        if plan is not None:
            message, finish = plan.to_message(message["content"], finish)
        logprobs = trim_logprobs({"content": tokens}, top) if body.get("logprobs") else None
        choice = {"index": index, "message": message, "logprobs": logprobs, "finish_reason": finish}
        if word is not None:
            choice["stop_sequence"] = word
        return choice, usage

    async def complete(
        self,
        clean: dict[str, Any],
        n: int,
        plan: tools.ToolPlan | None,
        *,
        completion_id: str | None = None,
        costly: bool = False,
    ) -> dict[str, Any]:
        """A whole chat.completion with n choices (fanned out, then ordered by index)."""
        owner = object()
        results = await asyncio.gather(*(self._one(clean, plan, i, owner, costly) for i in range(n)))
        out = self._envelope(completion_id or str(uuid.uuid4()), int(time.time()), "chat.completion")
        out["choices"] = [c for c, _ in results]
        out["usage"] = sum_usage([u for _, u in results])
        return out

    async def _produce(
        self,
        clean: dict[str, Any],
        plan: tools.ToolPlan | None,
        index: int,
        env: dict[str, Any],
        queue: asyncio.Queue[Any],
        usages: list[dict[str, Any]],
        owner: object,
        costly: bool,
    ) -> None:
        """Stream choice `index` into `queue` as rewritten chunk dicts (or an ApiError)."""
        try:
            if plan is not None and plan.constrained:  # a tool call is parsed whole, then sent in one chunk
                choice, usage = await self._one(clean, plan, index, owner, costly)
                usages.append(usage)
                delta = {"role": "assistant", **{k: v for k, v in choice["message"].items() if k != "role"}}
                if delta.get("tool_calls"):
                    delta["tool_calls"] = [{"index": k, **call} for k, call in enumerate(delta["tool_calls"])]
                await queue.put(
                    {**env, "choices": [{"index": index, "delta": delta, "logprobs": choice["logprobs"], "finish_reason": None}]}
                )
                await queue.put({**env, "choices": [{"index": index, "delta": {}, "finish_reason": choice["finish_reason"]}]})
                return
            body, top = self._choice_body(clean, plan, index)  # plan: tool history rendered as text
            async with self._slot(owner, costly), contextlib.aclosing(self._events(body, plan)) as events:
                async for chunk in events:
                    if chunk.get("usage"):
                        usages.append(chunk["usage"])
                    choices = chunk.get("choices") or []
                    if not choices:
                        continue
                    for c in choices:
                        c["index"] = index
                        if "logprobs" in c:
                            c["logprobs"] = trim_logprobs(c["logprobs"], top)
                        if c.get("finish_reason") and (word := stopping_word(chunk, body)) is not None:
                            c["stop_sequence"] = word
                    await queue.put({**env, "choices": choices})
        except ApiError as exc:
            await queue.put(exc)

    async def stream(
        self, clean: dict[str, Any], n: int, plan: tools.ToolPlan | None, include_usage: bool, *, costly: bool = False
    ) -> Response:
        env = self._envelope(str(uuid.uuid4()), int(time.time()), "chat.completion.chunk")
        owner = object()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        usages: list[dict[str, Any]] = []
        done = object()

        async def run(i: int) -> None:
            try:
                await self._produce(clean, plan, i, env, queue, usages, owner, costly)
            finally:
                queue.put_nowait(done)

        tasks = [asyncio.get_running_loop().create_task(run(i)) for i in range(n)]

        async def cancel() -> None:
            """Cancel the producers once and wait for their upstream connections to close.

            Shielded, and with `asyncio.wait` rather than `gather`: on a client disconnect this runs
            inside Starlette's cancelled anyio scope, which re-cancels the waiting task on every
            await; a cancelled `gather` would forward that to the producers again and again,
            interrupting httpcore's close and leaving the llama.cpp slot generating for nobody.
            """
            for t in tasks:
                t.cancel()
            with anyio.CancelScope(shield=True):
                await asyncio.wait(tasks)

        try:
            first = await queue.get()
        except BaseException:  # the client left before the first chunk (or the server is stopping)
            await cancel()
            raise
        if isinstance(first, ApiError):  # refused before any byte went out: answer with its status
            await cancel()
            return first.response()

        async def events() -> AsyncIterator[bytes]:
            item, finished = first, 0
            try:
                while True:
                    if item is done:
                        finished += 1
                        if finished == n:
                            break
                    elif isinstance(item, ApiError):
                        yield b"data: " + json.dumps(item.body()).encode() + b"\n\n"
                    else:
                        yield b"data: " + json.dumps(item, separators=(",", ":")).encode() + b"\n\n"
                    item = await queue.get()
                if include_usage:
                    tail = {**env, "choices": [], "usage": sum_usage(usages)}
                    yield b"data: " + json.dumps(tail, separators=(",", ":")).encode() + b"\n\n"
                yield b"data: [DONE]\n\n"
            finally:
                await cancel()

        return _SSEResponse(
            events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )

    # -- plumbing --------------------------------------------------------------------------
    async def _read_body(self, request: Request) -> bytes:
        """The raw body: at most `max_body_bytes` (413), arriving in full within
        `body_timeout_s` (408); both close the connection, whose unread rest could not be told from
        a next request."""
        limit = self.settings.max_body_bytes
        close = {"Connection": "close"}
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise ApiError(413, f"Request body over {limit} bytes.", code="request_too_large", headers=close)
        chunks, size = [], 0
        try:
            async with asyncio.timeout(self.settings.body_timeout_s):
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise ApiError(413, f"Request body over {limit} bytes.", code="request_too_large", headers=close)
                    chunks.append(chunk)
        except TimeoutError:
            message = (
                f"The request body did not arrive in full within {self.settings.body_timeout_s:g} s "
                f"({size} bytes came; Content-Length said {declared})."
            )
            raise ApiError(408, message, code="request_timeout", headers=close) from None
        except ClientDisconnect:
            raise ApiError(499, "The client went away while sending the body.", code="client_closed") from None
        return b"".join(chunks)


def create_app(settings: GatewaySettings | None = None, *, engine: Engine | None = None) -> Starlette:
    """The gateway as an ASGI app. Without `engine` it starts (and stops) its own at lifespan."""
    gw = Gateway(settings or GatewaySettings(), engine)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await gw.startup()
        try:
            yield
        finally:
            await gw.shutdown()

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return exc.response()

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
        return ApiError(exc.status_code, f"{exc.detail}: {request.method} {request.url.path}", code=code).response()

    async def unexpected(request: Request, exc: Exception) -> Response:
        """Anything unforeseen still answers in the error shape (Starlette logs the traceback after)."""
        message = f"The gateway failed unexpectedly ({type(exc).__name__})."
        return ApiError(500, message, type_="server_error", code="internal_error").response()

    routes = [
        Route("/health", gw.health, methods=["GET"]),
        Route("/v1/models", gw.models, methods=["GET"]),
        Route("/v1/models/{model:path}", gw.model, methods=["GET"]),
        Route("/v1/chat/completions", gw.chat_completions, methods=["POST"]),
        Route("/v1/chat/deferred-completion/{request_id}", gw.deferred_completion, methods=["GET"]),
        Route("/v1/tokenize-text", gw.tokenize, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={ApiError: api_error, HTTPException: http_error, Exception: unexpected},
    )
    app.state.gateway = gw
    return app
