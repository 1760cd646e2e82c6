"""The fault table (issue 11): every way a call can fail, injected with httpx.MockTransport, run through
`playground.runner` as the page runs it. Each case must end in a message that says what happened and what to
do, leave the conversation, settings and earlier cells as they were, and keep a partial answer, marked.

`python -m tests.core.test_faults` prints the table as Markdown from the same `FAULTS` list (and the real
gateway's cases in tests/integration/test_faults_real.py), so the README's table cannot drift from the tests.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import pytest
import stamina

from playground import backends, runner
from playground.client import ChatClient, ClientConfig
from playground.errors import (
    AuthError,
    BadRequestError,
    NetworkError,
    PlaygroundError,
    RateLimitError,
    RequestTimeout,
    ServerError,
    StreamCutError,
    StreamDecodeError,
)
from playground.notebook import Cell, ChatMessage, Notebook

BASE = "https://api.example.test/v1"
MODEL = "grok-4"
SETTINGS: dict[str, Any] = {"temperature": 0.3, "max_completion_tokens": 40}
HTML_PAGE = (
    "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>" + "<p>nginx</p>" * 2000 + "</body></html>"
)


pytestmark = pytest.mark.usefixtures("instant_retries")  # tests/conftest.py


def _chunk(**delta: Any) -> dict[str, Any]:
    finish = delta.pop("finish", None)
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _sse(*chunks: dict[str, Any] | str, done: bool = True) -> bytes:
    events = [f"data: {c if isinstance(c, str) else json.dumps(c)}\n\n" for c in chunks]
    return ("".join(events) + ("data: [DONE]\n\n" if done else "")).encode()


class _Cut(httpx.SyncByteStream):
    """Some SSE events, then the connection drops."""

    def __init__(self, first: bytes) -> None:
        self.first = first

    def __iter__(self) -> Iterator[bytes]:
        yield self.first
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


def _error(status: int, message: str, param: str | None = None, **headers: str) -> Callable[[httpx.Request], httpx.Response]:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}}
    return lambda request: httpx.Response(status, json=body, headers=headers)


def _raise(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


ANSWER = {
    "id": "d1",
    "object": "chat.completion",
    "model": MODEL,
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Deferred hello"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
}


@dataclass(frozen=True)
class Fault:
    """One row of the table: a fault, how it is made, and what the person must be told."""

    case: str
    made_by: str  # how the fault is injected, for the table
    handler: Callable[[httpx.Request], httpx.Response] | None  # None: a scripted sequence (`script`)
    error: type[PlaygroundError] | None  # None: no error (the cell waits)
    happened: tuple[str, ...]  # words saying what happened
    to_do: str  # words saying what to do
    status: str = "error"  # the cell's status afterwards
    partial: str = ""  # text kept from a cut stream
    attempts: int = 1  # requests the client makes (POSTs are retried only where the server cannot have acted)
    mode: Literal["stream", "deferred"] = "stream"
    script: tuple[httpx.Response, ...] = ()


FAULTS: list[Fault] = [
    Fault(
        "Backend down",
        "connection refused",
        _raise(httpx.ConnectError("[Errno 111] Connection refused")),
        NetworkError,
        ("Could not reach the server", "ConnectError"),
        "Check the base URL and that the server is running",
        attempts=4,
    ),
    Fault(
        "DNS failure",
        "name does not resolve",
        _raise(httpx.ConnectError("[Errno -2] Name or service not known")),
        NetworkError,
        ("Could not reach the server",),
        "Check the base URL",
        attempts=4,
    ),
    Fault(
        "Connect timeout",
        "httpx.ConnectTimeout",
        _raise(httpx.ConnectTimeout("timed out")),
        RequestTimeout,
        ("did not answer in time", "ConnectTimeout"),
        "Run again",
        attempts=4,
    ),
    Fault(
        "Read timeout",
        "httpx.ReadTimeout (the server may be generating: not retried)",
        _raise(httpx.ReadTimeout("timed out")),
        RequestTimeout,
        ("did not answer in time", "ReadTimeout"),
        "ask for fewer tokens",
    ),
    Fault(
        "400 with the server's message",
        "HTTP 400, OpenAI error naming `temperature`",
        _error(400, "temperature must be at most 2", "temperature"),
        BadRequestError,
        ("HTTP 400", "(field: temperature)", "temperature must be at most 2"),
        "Fix what it names",
    ),
    Fault(
        "401",
        "HTTP 401",
        _error(401, "Incorrect API key provided"),
        AuthError,
        ("refused the credentials (HTTP 401)", "Incorrect API key provided"),
        "Check the API key",
    ),
    Fault(
        "403",
        "HTTP 403",
        _error(403, "This key may not use this model"),
        AuthError,
        ("refused the credentials (HTTP 403)", "may not use this model"),
        "Check the API key",
    ),
    Fault(
        "404 model",
        "HTTP 404 for an unknown model",
        _error(404, "The model grok-99 does not exist", "model"),
        BadRequestError,
        ("HTTP 404", "(field: model)", "grok-99 does not exist"),
        "Check the model name",
    ),
    Fault(
        "413",
        "HTTP 413, plain text",
        lambda request: httpx.Response(413, text="Request Entity Too Large"),
        BadRequestError,
        ("HTTP 413", "Request Entity Too Large"),
        "shorten the conversation",
    ),
    Fault(
        "422",
        "HTTP 422, FastAPI `detail`",
        lambda request: httpx.Response(422, json={"detail": [{"loc": ["body", "n"], "msg": "Input should be a valid integer"}]}),
        BadRequestError,
        ("HTTP 422", "valid integer"),
        "Fix what it names",
    ),
    Fault(
        "429 with Retry-After",
        "HTTP 429, Retry-After: 2, every attempt",
        _error(429, "Too many requests", **{"retry-after": "2"}),
        RateLimitError,
        ("Rate limited (HTTP 429)", "Too many requests"),
        "Retry after 2 s",
        attempts=4,
    ),
    Fault(
        "429 without Retry-After",
        "HTTP 429, every attempt",
        _error(429, "Too many requests"),
        RateLimitError,
        ("Rate limited (HTTP 429)",),
        "Wait a little, then run again",
        attempts=4,
    ),
    Fault(
        "500",
        "HTTP 500 (the server may have acted: not retried)",
        _error(500, "slot crashed"),
        ServerError,
        ("Server error (HTTP 500)", "slot crashed"),
        "run again in a moment",
    ),
    Fault(
        "503",
        "HTTP 503 without Retry-After (not retried)",
        lambda request: httpx.Response(503, text="Service Unavailable"),
        ServerError,
        ("Server error (HTTP 503)", "Service Unavailable"),
        "busy or down",
    ),
    Fault(
        "Malformed JSON",
        "HTTP 200, application/json body `{not json`",
        lambda request: httpx.Response(200, headers={"content-type": "application/json"}, content=b"{not json"),
        StreamDecodeError,
        ("not valid JSON", "{not json"),
        "Check that the base URL points at a chat-completions API",
    ),
    Fault(
        "HTML error page",
        "HTTP 502, 26 KB text/html",
        lambda request: httpx.Response(502, headers={"content-type": "text/html"}, text=HTML_PAGE),
        ServerError,
        ("Server error (HTTP 502)", "502 Bad Gateway 502 Bad Gateway nginx nginx"),  # its words, not its tags
        "run again in a moment",
    ),
    Fault(
        "Malformed stream event",
        'HTTP 200 SSE, one delta then `data: {"choices": [`',
        lambda request: httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=_sse(_chunk(content="Hel"), '{"choices": [')
        ),
        StreamDecodeError,
        ("not valid JSON",),
        "The text received is kept",
        partial="Hel",
    ),
    Fault(
        "Stream cut mid-way",
        "HTTP 200 SSE, two deltas, then the connection drops",
        lambda request: httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            stream=_Cut(_sse(_chunk(content="Hel"), _chunk(content="lo"), done=False)),
        ),
        StreamCutError,
        ("The stream was cut before it finished", "RemoteProtocolError"),
        "The text received is kept; run again for a whole answer",
        partial="Hello",
    ),
    Fault(
        "Stream ends early",
        "HTTP 200 SSE, one delta, closed without finish_reason or [DONE]",
        lambda request: httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=_sse(_chunk(content="Hel"), done=False)
        ),
        StreamCutError,
        ("ended before the answer finished",),
        "The text received is kept",
        partial="Hel",
    ),
    Fault(
        "Error event inside a stream",
        "HTTP 200 SSE, one delta, then an `error` event",
        lambda request: httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            content=_sse(_chunk(content="Hel"), {"error": {"code": 500, "message": "slot failed"}}, done=False),
        ),
        ServerError,
        ("Server error (HTTP 500)", "slot failed"),
        "run again in a moment",
        partial="Hel",
    ),
    Fault(
        "Deferred result never comes",
        "submit 200, then 202 on every poll (the cell waits, saying how long), then 404 once it expired",
        None,
        BadRequestError,
        ("is gone (HTTP 404)", "expired"),
        "Run again for a new one",
        mode="deferred",
        script=(
            httpx.Response(200, json={"request_id": "req-1"}),
            *[httpx.Response(202, json={"status": "pending"})] * 5,
            httpx.Response(404, json={"code": "Not found", "error": "No deferred completion with id req-1"}),
        ),
    ),
    Fault(
        "Deferred result already fetched",
        "submit 200, poll 200 (kept at once), then 404 for a second fetch",
        None,
        BadRequestError,
        ("is gone (HTTP 404)", "already fetched"),
        "Run again for a new one",
        status="done",
        mode="deferred",
        script=(
            httpx.Response(200, json={"request_id": "req-2"}),
            httpx.Response(200, json=ANSWER),
            httpx.Response(404, json={"code": "Not found", "error": "No deferred completion with id req-2"}),
        ),
    ),
]


class _Script:
    """A MockTransport handler answering from a list and counting requests."""

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.left = list(fault.script)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fault.handler is not None:
            return self.fault.handler(request)
        return self.left.pop(0)


def _notebook() -> Notebook:
    """A notebook with a conversation, settings and an earlier answered cell: all must survive a fault."""
    conv = [ChatMessage(role="user", content="Say hello.")]
    earlier = Cell(backend="xai", model=MODEL, body={"model": MODEL}, conversation=conv, settings=dict(SETTINGS), status="done")
    return Notebook(conversation=conv, settings=dict(SETTINGS), cells=[earlier])


def _client(handler: _Script) -> ChatClient:
    return ChatClient(ClientConfig(base_url=BASE, api_key="xai-k", kind="xai"), transport=httpx.MockTransport(handler))


@dataclass
class Outcome:
    cell: Cell
    error: PlaygroundError | None  # what the client raised, where the page asks it directly
    requests: int


def run(fault: Fault) -> Outcome:
    """Run `fault` as the page does: prepare, a new cell, then stream it (or submit and poll it)."""
    nb = _notebook()
    before = nb.model_dump_json()
    script = _Script(fault)
    client = _client(script)
    settings = {**nb.settings, "deferred": True} if fault.mode == "deferred" else nb.settings
    built = runner.prepare(settings, nb.conversation, model=MODEL, caps=backends.backend("xai").capabilities, client=client)
    cell = runner.new_cell(built, backend="xai", base_url=BASE, conversation=nb.conversation, settings=nb.settings)
    nb.cells.append(cell)
    error: PlaygroundError | None = None
    if fault.mode == "stream":
        for _ in runner.stream(client, cell):
            pass
    else:
        runner.submit_deferred(client, cell)
        while runner.poll(client, cell) is False and cell.status == "pending":
            assert len(script.requests) < 50, "polled forever"
        if cell.status == "done":  # fetched and kept: a second fetch is refused, the cell is untouched
            kept = cell.model_dump_json()
            assert runner.poll(client, cell) is False
            try:
                client.poll_deferred(cell.request_id or "")
            except PlaygroundError as exc:
                error = exc
            assert cell.model_dump_json() == kept
    nb.cells.pop()
    assert nb.model_dump_json() == before, "the conversation, settings or earlier cells changed"
    client.close()
    return Outcome(cell=cell, error=error, requests=len(script.requests))


def message_of(outcome: Outcome) -> str:
    if outcome.error is not None:
        return str(outcome.error)
    assert outcome.cell.error is not None
    return outcome.cell.error.message


@pytest.mark.parametrize("fault", FAULTS, ids=[f.case for f in FAULTS])
def test_fault(fault: Fault) -> None:
    outcome = run(fault)
    cell = outcome.cell
    assert cell.status == fault.status, (cell.status, cell.error)
    message = message_of(outcome)
    for words in fault.happened:
        assert words in message, message
    assert fault.to_do in message, message
    assert "xai-k" not in message
    assert len(message) < 1000, "a long body is cut to a short excerpt"
    assert "<html" not in message and "<p>" not in message
    if fault.status == "error":
        assert cell.error is not None and cell.error.kind == fault.error.__name__  # type: ignore[union-attr]
        assert cell.completion is None
    else:
        assert isinstance(outcome.error, fault.error)  # type: ignore[arg-type]
        assert cell.completion is not None and cell.completion.text() == "Deferred hello"
    if fault.status == "error":
        assert cell.text() == fault.partial  # what arrived is kept ...
    if fault.partial:
        assert "text received" in message and "kept" in message  # ... and the message says so
    assert outcome.requests == fault.attempts + (len(fault.script) - 1 if fault.mode == "deferred" else 0)


def test_a_stream_the_caller_stops_is_interrupted_and_keeps_its_text() -> None:
    """A Stop, a rerun or a closed tab ends the iteration: the cell is "interrupted" with the text so far."""
    fault = next(f for f in FAULTS if f.case == "Stream cut mid-way")
    client = _client(_Script(fault))
    cell = Cell(backend="xai", model=MODEL, body={"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})
    events = runner.stream(client, cell)
    next(events)
    events.close()
    assert cell.status == "interrupted" and cell.text() == "Hel" and cell.error is None


# ------------------------------------------------------------------------------ Retry-After, counted down


def test_retry_after_is_counted_down_through_the_runner_then_the_answer_streams() -> None:
    """429 Retry-After: 1, then 200: the hook hears the wait (seconds left, why) before the retry, then 0."""
    heard: list[tuple[float, str]] = []
    responses = [
        httpx.Response(429, headers={"retry-after": "1"}, json={"error": {"message": "slow down"}}),
        httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            content=_sse(_chunk(content="Hi"), _chunk(finish="stop")),
        ),
    ]
    sent: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(time.monotonic())
        return responses.pop(0)

    client = ChatClient(ClientConfig(base_url=BASE, kind="xai"), transport=httpx.MockTransport(handler))
    cell = Cell(backend="xai", model=MODEL, body={"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})
    list(runner.stream(client, cell, on_wait=lambda left, why: heard.append((left, why))))
    assert cell.status == "done" and cell.text() == "Hi"
    assert len(sent) == 2 and sent[1] - sent[0] >= 0.95  # the wait really happened, between the two attempts
    assert heard[0][1] == "429 Too Many Requests" and 0.9 <= heard[0][0] <= 1.0
    assert heard[-1] == (0.0, "429 Too Many Requests")
    assert [left for left, _ in heard] == sorted((left for left, _ in heard), reverse=True)


def test_a_503_retry_after_is_counted_down_too_and_without_a_hook_nothing_is_heard() -> None:
    responses = [httpx.Response(503, headers={"retry-after": "0.2"}, text="busy"), httpx.Response(200, json=ANSWER)]
    heard: list[tuple[float, str]] = []
    with ChatClient(ClientConfig(base_url=BASE, kind="xai"), transport=httpx.MockTransport(lambda r: responses.pop(0))) as client:
        assert client.complete({"model": MODEL}, on_wait=lambda left, why: heard.append((left, why))).text() == "Deferred hello"
    assert heard and {why for _, why in heard} == {"503 Service Unavailable"}


def test_a_retry_after_past_the_deadline_is_not_counted_down() -> None:
    heard: list[tuple[float, str]] = []
    with ChatClient(
        ClientConfig(base_url=BASE, kind="xai", timeout=2),
        transport=httpx.MockTransport(lambda r: httpx.Response(429, headers={"retry-after": "20"}, json={})),
    ) as client:
        with pytest.raises(RateLimitError, match="Retry after 20 s"):
            client.complete({"model": MODEL}, on_wait=lambda left, why: heard.append((left, why)))
    assert heard == []


# ------------------------------------------------------------------------------ the table for the README


def markdown() -> str:
    """The fault table as Markdown, each row run now (so the message shown is the one the page shows today)."""
    from tests.integration.test_faults_real import REAL_FAULTS

    lines = [
        "| Fault | Made by | Cell ends | Message the cell shows (what happened, what to do) |",
        "|---|---|---|---|",
    ]
    with stamina.set_testing(True, attempts=100, cap=True):
        for fault in FAULTS:
            outcome = run(fault)
            message = message_of(outcome).replace("|", "\\|").replace("\n", " ")
            if len(message) > 260:
                message = message[:260] + "…"
            ends = outcome.cell.status + (f", partial “{outcome.cell.text()}” kept" if fault.partial else "")
            lines.append(f"| {fault.case} | {fault.made_by} (MockTransport) | {ends} | {message} |")
    for real in REAL_FAULTS:
        lines.append(f"| {real.case} | {real.made_by} (real gateway) | {real.ends} | {real.shows} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown())
