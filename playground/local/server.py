"""The gateway's Starlette app: its endpoints, and how one request becomes n choices over the shared slots.

llama.cpp generates; this layer makes it answer the way api.x.ai does, so the playground and any OpenAI/xAI
client work offline. What the neighbouring modules hold:

- `limits`: what one request may cost (body size and time, nesting, schema cost, lengths), refused with a
  400/408/413 in OpenAI's error shape (`shapes`) before llama.cpp sees it;
- `slots`: llama.cpp's parallel slots shared fairly, plus one lane for costly grammars, so no single
  request stalls the others;
- `deferred`: `deferred: true` and its fetch-once polling endpoint;
- `memory`: free heap handed back to the OS once idle;
- `upstream`: the body and events of one choice, in-process (the default) or over llama.cpp's HTTP server.

`n` choices are fanned out as n single-choice upstream requests; with a seed, choice i samples with seed + i,
so choice 0 equals the n=1 answer. Every upstream request is streamed, even for a non-streamed client, and
the gateway watches each client: when it leaves, its choices stop and their slots free. Tools are translated
by `tools.plan` (the model's template has no tools). Model names: the advertised id is `model_id_for(gguf)`;
the GGUF file name, its stem and its path are accepted as aliases, case-insensitively. The measurements behind
these choices are in bench/README.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.types import Send

from playground import images
from playground.errors import RequestError
from playground.local import tools
from playground.local.deferred import DeferredStore
from playground.local.engine import Engine, model_id_for
from playground.local.limits import check_lengths, check_schema_limits, parse_body, read_body, schema_cost, schema_locations
from playground.local.memory import IdleTrimmer
from playground.local.settings import GatewaySettings
from playground.local.shapes import ApiError, XaiApiError, bad_request, stopping_word, sum_usage, token_entry, trim_logprobs
from playground.local.slots import FairSlots
from playground.local.upstream import checked_events, choice_body, http_events, in_process_events, upstream_error
from playground.request import validate_body

__all__ = ["Gateway", "GatewaySettings", "create_api", "create_app"]

T = TypeVar("T")
# One encoder for every chunk: `json.dumps` with non-default separators builds a new JSONEncoder per call
_compact = json.JSONEncoder(separators=(",", ":")).encode


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


def _tools_plan(body: dict[str, Any]) -> tools.ToolPlan | None:
    try:
        return tools.plan(body)
    except RequestError as exc:
        raise bad_request(exc) from None


def _validate(body: dict[str, Any]) -> dict[str, Any]:
    """Strict API body -> clean body (unset fields dropped), or 400 naming the first bad field."""
    try:
        return validate_body(body).to_body()
    except RequestError as exc:
        raise bad_request(exc) from None


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
        self.trimmer = IdleTrimmer(settings.trim_idle_s)

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
        await self.trimmer.aclose()
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
            "input_modalities": ["text"],  # as xAI's /v1/language-models says it: this model cannot see images
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
        self.trimmer.touch()
        text = await self._off_loop(
            self._prepare_tokenize, await read_body(request, self.settings.max_body_bytes, self.settings.body_timeout_s)
        )
        assert self.client is not None
        r = await self.client.post("/tokenize", json={"content": text, "with_pieces": True, "add_special": False})
        if r.status_code != 200:
            raise upstream_error(r.status_code, r.content, {"text": text}, None)
        return JSONResponse({"token_ids": [token_entry(t["id"], t["piece"]) for t in r.json()["tokens"]]})

    async def deferred_completion(self, request: Request) -> Response:
        status, body = self.deferred.poll(request.path_params["request_id"])
        if body is None:
            return Response(status_code=status)
        return Response(body, status_code=status, media_type="application/json")

    async def chat_completions(self, request: Request) -> Response:
        self.trimmer.touch()
        p = await self._off_loop(
            self._prepare_chat, await read_body(request, self.settings.max_body_bytes, self.settings.body_timeout_s)
        )
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
        large body never holds the event loop. Past the budget the client gets a 503; the thread then
        finishes on its own, bounded by the limits it checks first."""
        budget = self.settings.prepare_timeout_s
        try:
            async with asyncio.timeout(budget):
                return await anyio.to_thread.run_sync(work, raw, abandon_on_cancel=True, limiter=self._prepare_limiter)
        except TimeoutError:
            message = f"The gateway could not check this request within {budget:g} s; it is large or the server is busy."
            raise ApiError(503, message, type_="server_error", code="prepare_timeout", headers={"Retry-After": "1"}) from None

    def _prepare_tokenize(self, raw: bytes) -> str:
        body = parse_body(raw, self.settings.max_json_depth)
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
        body = parse_body(raw, self.settings.max_json_depth)
        if "model" in body:  # an unknown model is a 404, whatever else is wrong
            self.check_model(body["model"])
        for param, schema in schema_locations(body):  # before validation, which walks them
            check_schema_limits(schema, param, self.settings)
        clean = _validate(body)
        if (refused := images.first_image_refused(clean, self.model_id)) is not None:
            raise XaiApiError(400, refused[1], param=refused[0])  # in xAI's flat shape, naming the message and part
        stream = bool(clean.pop("stream", False))
        include_usage = bool((clean.pop("stream_options", None) or {}).get("include_usage"))
        n = int(clean.pop("n", 1) or 1)
        if n > self.settings.max_n:
            raise ApiError(400, f"`n` is at most {self.settings.max_n} on this gateway.", param="n", code="less_than_equal")
        check_lengths(body, clean, self.max_completion_tokens)
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
        streams and makes llama.cpp free their slots (a non-streamed request whose client gave up
        kept its slots generating for nobody)."""
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

    # -- generation ------------------------------------------------------------------------
    def _envelope(self, completion_id: str, created: int, obj: str) -> dict[str, Any]:
        return {
            "id": completion_id,
            "object": obj,
            "created": created,
            "model": self.model_id,
            "system_fingerprint": self.fingerprint,
        }

    def _events(self, body: dict[str, Any], plan: tools.ToolPlan | None) -> AsyncIterator[dict[str, Any]]:
        """The upstream events of one choice (the caller holds a slot): in-process by default, over llama.cpp's
        HTTP server with `in_process=False`."""
        if self.settings.in_process:
            assert self.engine is not None
            source = in_process_events(self.engine.server, body, plan, self.settings.upstream_timeout_s)
        else:
            assert self.client is not None
            source = http_events(self.client, body, plan)
        return checked_events(source, body, plan)

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
        body, top = choice_body(clean, plan, index, prompt_cache=self.settings.prompt_cache)
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

    async def _chunks(
        self,
        clean: dict[str, Any],
        plan: tools.ToolPlan | None,
        index: int,
        env: dict[str, Any],
        usages: list[dict[str, Any]],
        owner: object,
        costly: bool,
    ) -> AsyncIterator[dict[str, Any]]:
        """Choice `index` as rewritten chunk dicts; its usage into `usages`. Raises ApiError."""
        if plan is not None and plan.constrained:  # a tool call is parsed whole, then sent in one chunk
            choice, usage = await self._one(clean, plan, index, owner, costly)
            usages.append(usage)
            delta = {"role": "assistant", **{k: v for k, v in choice["message"].items() if k != "role"}}
            if delta.get("tool_calls"):
                delta["tool_calls"] = [{"index": k, **call} for k, call in enumerate(delta["tool_calls"])]
            yield {**env, "choices": [{"index": index, "delta": delta, "logprobs": choice["logprobs"], "finish_reason": None}]}
            yield {**env, "choices": [{"index": index, "delta": {}, "finish_reason": choice["finish_reason"]}]}
            return
        body, top = choice_body(clean, plan, index, prompt_cache=self.settings.prompt_cache)  # plan: tool history as text
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
                yield {**env, "choices": choices}

    async def _single(
        self,
        clean: dict[str, Any],
        plan: tools.ToolPlan | None,
        env: dict[str, Any],
        usages: list[dict[str, Any]],
        owner: object,
        costly: bool,
    ) -> AsyncIterator[dict[str, Any] | ApiError]:
        """The one choice of an n=1 request, relayed in the caller's task (no producer task, no queue between)."""
        try:
            async with contextlib.aclosing(self._chunks(clean, plan, 0, env, usages, owner, costly)) as chunks:
                async for chunk in chunks:
                    yield chunk
        except ApiError as exc:
            yield exc

    async def _fan_in(
        self,
        clean: dict[str, Any],
        n: int,
        plan: tools.ToolPlan | None,
        env: dict[str, Any],
        usages: list[dict[str, Any]],
        owner: object,
        costly: bool,
    ) -> AsyncIterator[dict[str, Any] | ApiError]:
        """n choices generated concurrently, one producer task each, their chunks (or ApiErrors) as they come."""
        queue: asyncio.Queue[Any] = asyncio.Queue()
        done = object()

        async def run(i: int) -> None:
            try:
                async with contextlib.aclosing(self._chunks(clean, plan, i, env, usages, owner, costly)) as chunks:
                    async for chunk in chunks:
                        await queue.put(chunk)
            except ApiError as exc:
                await queue.put(exc)
            finally:
                queue.put_nowait(done)

        tasks = [asyncio.get_running_loop().create_task(run(i)) for i in range(n)]
        try:
            finished = 0
            while finished < n:
                item = await queue.get()
                if item is done:
                    finished += 1
                else:
                    yield item
        finally:
            # Shielded, and with `asyncio.wait` rather than `gather`: on a client disconnect this runs inside
            # Starlette's cancelled anyio scope, which re-cancels the waiting task on every await; a cancelled
            # `gather` would forward that to the producers again and again, interrupting httpcore's close and
            # leaving the llama.cpp slot generating for nobody.
            for t in tasks:
                t.cancel()
            with anyio.CancelScope(shield=True):
                await asyncio.wait(tasks)

    async def stream(
        self, clean: dict[str, Any], n: int, plan: tools.ToolPlan | None, include_usage: bool, *, costly: bool = False
    ) -> Response:
        env = self._envelope(str(uuid.uuid4()), int(time.time()), "chat.completion.chunk")
        owner = object()
        usages: list[dict[str, Any]] = []
        items = (
            self._single(clean, plan, env, usages, owner, costly)
            if n == 1
            else self._fan_in(clean, n, plan, env, usages, owner, costly)
        )

        async def close() -> None:
            """Close `items` once, shielded: its upstream streams end and their slots free (see `_fan_in`)."""
            with anyio.CancelScope(shield=True):
                await items.aclose()

        try:
            first = await anext(items, None)
        except BaseException:  # the client left before the first chunk (or the server is stopping)
            await close()
            raise
        if isinstance(first, ApiError):  # refused before any byte went out: answer with its status
            await close()
            return first.response()

        async def events() -> AsyncIterator[bytes]:
            item = first
            try:
                while item is not None:
                    if isinstance(item, ApiError):
                        yield b"data: " + json.dumps(item.body()).encode() + b"\n\n"
                    else:
                        yield b"data: " + _compact(item).encode() + b"\n\n"
                    item = await anext(items, None)
                if include_usage:
                    tail = {**env, "choices": [], "usage": sum_usage(usages)}
                    yield b"data: " + _compact(tail).encode() + b"\n\n"
                yield b"data: [DONE]\n\n"
            finally:
                await close()

        return _SSEResponse(
            events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )


def create_api(gw: Gateway) -> Starlette:
    """The gateway's endpoints under /v1, without a lifespan: what serve.py mounts at the page's own /v1 (it
    starts and stops `gw` itself), and what `create_app` serves."""

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
        Route("/models", gw.models, methods=["GET"]),
        Route("/models/{model:path}", gw.model, methods=["GET"]),
        Route("/chat/completions", gw.chat_completions, methods=["POST"]),
        Route("/chat/deferred-completion/{request_id}", gw.deferred_completion, methods=["GET"]),
        Route("/tokenize-text", gw.tokenize, methods=["POST"]),
    ]
    api = Starlette(routes=routes, exception_handlers={ApiError: api_error, HTTPException: http_error, Exception: unexpected})
    api.state.gateway = gw
    return api


def create_app(settings: GatewaySettings | None = None, *, engine: Engine | None = None) -> Starlette:
    """The gateway as an ASGI app (/health and /v1/...). Without `engine` it starts (and stops) its own at lifespan."""
    gw = Gateway(settings or GatewaySettings(), engine)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await gw.startup()
        try:
            yield
        finally:
            await gw.shutdown()

    api = create_api(gw)
    app = Starlette(
        routes=[Route("/health", gw.health, methods=["GET"]), Mount("/v1", app=api)],
        lifespan=lifespan,
        exception_handlers=api.exception_handlers,
    )
    app.state.gateway = gw
    return app
