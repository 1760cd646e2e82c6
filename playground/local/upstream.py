"""Talking to llama.cpp: the upstream body of one choice, its events (in-process, or relayed from llama.cpp's
HTTP server as SSE), and its refusals in our error shape."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx

from playground.local import tools
from playground.local.engine import RANDOM_SEED
from playground.local.shapes import ApiError

SEED_MODULUS = RANDOM_SEED  # derived seeds stay in 0 .. 0xFFFFFFFE
# llama.cpp's sampler chain, in order (the logit bias comes first, and the draw last, on their own). Its default
# order cuts top_p before the temperature, so the nucleus was the untempered distribution's: at temperature 0.7 and
# top_p 0.8 it let through tokens the tempered one leaves out. Here top_p takes the nucleus of what is sampled, as
# OpenAI-compatible servers do (temperature first); the penalties stay first; its other samplers are off anyway.
SAMPLERS = ["penalties", "top_k", "temperature", "top_p"]


def derived_seed(seed: int, index: int) -> int:
    """The seed of choice `index`: choice 0 keeps the request's seed."""
    return (seed + index) % SEED_MODULUS


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


async def sse_events(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
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


def choice_body(
    clean: dict[str, Any], plan: tools.ToolPlan | None, index: int, *, prompt_cache: bool
) -> tuple[dict[str, Any], int]:
    """The upstream body of choice `index`, and how many top_logprobs the client wants."""
    body = plan.upstream_body(clean) if plan is not None else dict(clean)
    body.pop("n", None)
    body["cache_prompt"] = prompt_cache
    # The documented defaults (temperature 1, top_p 1), not llama.cpp's own (0.8 and 0.95): a request that
    # leaves them out samples as it would on xAI.
    body.setdefault("temperature", 1.0)
    body.setdefault("top_p", 1.0)
    # Sample from the documented fields only: llama.cpp's own top_k=40 and min_p=0.05 would quietly
    # narrow what temperature and top_p let through. At temperature 0 the answer is the most likely token
    # either way, and top_k=1 spares the sampler sorting the whole vocabulary every token (bench/README.md);
    # logprobs come from the logits, not the sampler.
    body["top_k"], body["min_p"] = (1 if body.get("temperature") == 0 else 0), 0.0
    body["samplers"] = list(SAMPLERS)
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


def upstream_error(status: int, content: bytes, body: dict[str, Any], plan: tools.ToolPlan | None) -> ApiError:
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


async def checked_events(
    source: AsyncIterator[dict[str, Any]], body: dict[str, Any], plan: tools.ToolPlan | None
) -> AsyncIterator[dict[str, Any]]:
    """The events of one choice's `source` (`in_process_events` or `http_events`, which yield the same chunk
    dicts), with an error event after the start (llama.cpp sends those) raised as an ApiError."""
    async with contextlib.aclosing(source) as events:
        async for event in events:
            if isinstance(event.get("error"), dict) and not event.get("choices"):
                code = event["error"].get("code")
                status = code if isinstance(code, int) and 400 <= code < 600 else 500
                raise upstream_error(status, json.dumps(event).encode(), body, plan)
            yield event


async def http_events(
    client: httpx.AsyncClient, body: dict[str, Any], plan: tools.ToolPlan | None
) -> AsyncIterator[dict[str, Any]]:
    """One choice relayed from llama.cpp's HTTP server (SSE over a loopback connection)."""
    try:
        async with client.stream("POST", "/v1/chat/completions", json=body) as r:
            if r.status_code != 200:
                raise upstream_error(r.status_code, await r.aread(), body, plan)
            async for event in sse_events(r):
                yield event
    except httpx.HTTPError as exc:
        message = f"The model server is unreachable or failed mid-answer: {exc}"
        raise ApiError(502, message, type_="server_error", code="upstream_unreachable") from exc


async def in_process_events(
    server: Any, body: dict[str, Any], plan: tools.ToolPlan | None, timeout_s: float
) -> AsyncIterator[dict[str, Any]]:
    """One choice from llama.cpp's own handler, called in-process (no HTTP, no SSE, no JSON parsing).

    `handle_chat_completions(body, callback)` blocks (without the GIL) until the answer ends and calls
    `callback` with each chunk, already a dict; a callback that returns True stops the generation at once.
    So it runs in its own thread, hands chunks to this loop, and when this generator is closed early (the
    client left) the next callback says stop; the slot is held until llama.cpp has let go of it.
    A refused request raises (ValueError: the request is at fault) before any chunk. `server` is the engine's
    `xllamacpp.Server`, None once it has stopped.
    """
    if server is None:
        raise ApiError(503, "The model server has stopped.", type_="server_error", code="upstream_unreachable")
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[dict[str, Any] | BaseException | None] = asyncio.Queue()
    finished: asyncio.Future[None] = loop.create_future()
    stop = threading.Event()

    def hand(item: dict[str, Any] | BaseException | None) -> None:  # once per token: no context manager
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop has closed: nobody is listening
            pass

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
                raise upstream_error(status, content, body, plan) from item
            yield item
    finally:
        stop.set()
        with anyio.CancelScope(shield=True):
            await asyncio.wait({finished}, timeout=timeout_s)
