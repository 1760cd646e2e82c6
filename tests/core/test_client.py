"""playground.client: faults injected with httpx.MockTransport; real behaviour is in tests/integration."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import stamina
import stamina.instrumentation

from playground import client as client_module
from playground import retries
from playground.client import RETRY_AFTER_CAP, ChatClient, ClientConfig, Token
from playground.errors import (
    AuthError,
    BadRequestError,
    NetworkError,
    RateLimitError,
    RequestTimeout,
    ServerError,
    StreamDecodeError,
    UpstreamError,
)
from playground.response import Completion, Done, TextDelta, ThinkingDelta

KEY = "xai-SECRET-0123456789abcdefSECRET"
BASE = "https://api.example.test/v1"
BODY = {"model": "grok-4", "messages": [{"role": "user", "content": "hi"}]}

ANSWER = {
    "id": "2d4e5f60-0000-4000-8000-000000000001",
    "object": "chat.completion",
    "model": "grok-4",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
}


pytestmark = pytest.mark.usefixtures("instant_retries")  # tests/conftest.py


Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that answers from a script and remembers every request."""

    def __init__(self, *responses: httpx.Response | Exception | Handler) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(item, Exception):
            raise item
        if callable(item) and not isinstance(item, httpx.Response):
            return item(request)
        return item

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) if r.content else {} for r in self.requests]


def make(recorder: Recorder, *, max_retries: int = 3, key: str | None = KEY, **config: Any) -> ChatClient:
    cfg = ClientConfig(base_url=BASE, api_key=key, max_retries=max_retries, **config)
    return ChatClient(cfg, transport=httpx.MockTransport(recorder))


def ok(data: Any = ANSWER, status: int = 200, **kwargs: Any) -> httpx.Response:
    return httpx.Response(status, json=data, **kwargs)


def sse(*events: Any, done: bool = True) -> bytes:
    lines = [f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events]
    if done:
        lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


def sse_response(payload: bytes) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=payload)


def delta(index: int = 0, finish: str | None = None, **d: Any) -> dict[str, Any]:
    return {
        "id": "s1",
        "model": "grok-4",
        "object": "chat.completion.chunk",
        "choices": [{"index": index, "delta": d, "finish_reason": finish}],
    }


USAGE_CHUNK = {
    "id": "s1",
    "model": "grok-4",
    "choices": [],
    "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
}


# ----------------------------------------------------------------------------------- config & key


def test_key_is_sent_only_in_the_authorization_header() -> None:
    rec = Recorder(ok())
    with make(rec) as c:
        c.complete(BODY)
    request = rec.requests[0]
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.url == httpx.URL(f"{BASE}/chat/completions")
    assert KEY not in request.content.decode()
    assert KEY not in str(request.url)


def test_key_never_in_reprs() -> None:
    cfg = ClientConfig(base_url=BASE, api_key=KEY, kind="xai")
    assert KEY not in repr(cfg) and KEY not in str(cfg)
    assert KEY not in cfg.model_dump_json()
    with ChatClient(cfg) as c:
        assert KEY not in repr(c)


def test_no_key_no_authorization_header() -> None:
    rec = Recorder(ok())
    with make(rec, key=None) as c:
        c.complete(BODY)
    assert "authorization" not in rec.requests[0].headers


# ----------------------------------------------------------------------------------- happy paths


def test_complete_returns_a_completion_and_drops_stream_and_deferred() -> None:
    rec = Recorder(ok())
    with make(rec) as c:
        result = c.complete({**BODY, "stream": True, "deferred": True, "temperature": 0.5})
    assert isinstance(result, Completion)
    assert result.text() == "Hello!" and result.id == ANSWER["id"] and result.created is None
    assert rec.bodies == [{**BODY, "temperature": 0.5}]


def test_complete_passes_stop_list_for_stop_sequence() -> None:
    answer = json.loads(json.dumps(ANSWER))
    answer["choices"][0]["stopping_word"] = "END"
    with make(Recorder(ok(answer))) as c:
        assert c.complete({**BODY, "stop": ["END", "x"]}).stop_sequence == "END"


def test_models_lists_the_ids() -> None:
    rec = Recorder(ok({"object": "list", "data": [{"id": "grok-4", "object": "model"}, {"id": "grok-3-mini"}]}))
    with make(rec) as c:
        assert [m.id for m in c.models()] == ["grok-4", "grok-3-mini"]
    assert rec.requests[0].method == "GET" and rec.requests[0].url.path == "/v1/models"


def test_tokenize() -> None:
    rec = Recorder(
        ok(
            {
                "token_ids": [
                    {"token_id": 9240, "string_token": "Cat", "token_bytes": [67, 97, 116]},
                    {"token_id": 11, "string_token": " s", "token_bytes": [32, 115]},
                ]
            }
        )
    )
    with make(rec) as c:
        tokens = c.tokenize("Cats", "grok-4")
    assert tokens == [
        Token(token_id=9240, string_token="Cat", token_bytes=[67, 97, 116]),
        Token(token_id=11, string_token=" s", token_bytes=[32, 115]),
    ]
    assert rec.requests[0].url.path == "/v1/tokenize-text"
    assert rec.bodies == [{"text": "Cats", "model": "grok-4"}]


def test_deferred_submit_then_poll_pending_then_done() -> None:
    rec = Recorder(ok({"request_id": "req-123"}), httpx.Response(202), httpx.Response(202), ok())
    with make(rec) as c:
        request_id = c.submit_deferred(BODY)
        assert request_id == "req-123"
        assert c.poll_deferred(request_id) is None
        assert c.poll_deferred(request_id) is None
        done = c.poll_deferred(request_id)
    assert done is not None and done.request_id == "req-123" and done.text() == "Hello!"
    assert rec.bodies[0] == {**BODY, "deferred": True}
    assert [r.method for r in rec.requests] == ["POST", "GET", "GET", "GET"]
    assert rec.requests[1].url.path == "/v1/chat/deferred-completion/req-123"


def test_deferred_unknown_id_is_a_bad_request() -> None:
    rec = Recorder(httpx.Response(404, json={"code": "Not found", "error": "No deferred completion with id"}))
    with make(rec) as c, pytest.raises(BadRequestError) as info:
        c.poll_deferred("nope")
    assert info.value.status == 404 and info.value.server_message == "No deferred completion with id"
    assert len(rec.requests) == 1  # 4xx is never retried


def test_deferred_submit_without_request_id_is_a_decode_error() -> None:
    with make(Recorder(ok({"hello": 1}))) as c, pytest.raises(StreamDecodeError):
        c.submit_deferred(BODY)


# ----------------------------------------------------------------------------------- error mapping


def test_openai_error_shape_gives_message_and_param() -> None:
    body = {
        "error": {
            "message": "top_logprobs must be between 0 and 8",
            "type": "invalid_request_error",
            "param": "top_logprobs",
            "code": "out_of_range",
        }
    }
    rec = Recorder(httpx.Response(400, json=body))
    with make(rec) as c, pytest.raises(BadRequestError) as info:
        c.complete(BODY)
    err = info.value
    assert (err.status, err.server_message, err.param) == (400, "top_logprobs must be between 0 and 8", "top_logprobs")
    assert "top_logprobs must be between 0 and 8" in str(err)
    assert len(rec.requests) == 1


def test_xai_flat_error_shape_gives_message() -> None:
    body = {
        "code": "Client specified an invalid argument",
        "error": "Model grok-3-mini does not support parameter presencePenalty.",
    }
    with make(Recorder(httpx.Response(400, json=body))) as c, pytest.raises(BadRequestError) as info:
        c.complete(BODY)
    assert info.value.server_message == "Model grok-3-mini does not support parameter presencePenalty."
    assert "presencePenalty" in str(info.value)


@pytest.mark.parametrize("status", [404, 422, 410])
def test_other_client_errors_are_bad_requests(status: int) -> None:
    rec = Recorder(httpx.Response(status, json={"code": "x", "error": f"problem {status}"}))
    with make(rec) as c, pytest.raises(BadRequestError) as info:
        c.complete(BODY)
    assert info.value.status == status and info.value.server_message == f"problem {status}"
    assert len(rec.requests) == 1


def test_plain_text_error_body_is_kept() -> None:
    with make(Recorder(httpx.Response(422, text="Failed to deserialize the JSON body"))) as c:
        with pytest.raises(BadRequestError, match="Failed to deserialize"):
            c.complete(BODY)


def test_wrong_key_400_is_an_auth_error_without_the_key() -> None:
    # xAI answers a wrong key with 400, and echoes (part of) the key: it must not reach our message
    body = {
        "code": "Client specified an invalid argument",
        "error": f"Incorrect API key provided: {KEY}. You can obtain an API key from https://console.x.ai.",
    }
    rec = Recorder(httpx.Response(400, json=body))
    with make(rec) as c, pytest.raises(AuthError) as info:
        c.complete(BODY)
    err = info.value
    assert err.status == 400
    assert "Incorrect API key provided" in str(err)
    assert KEY not in str(err) and KEY not in repr(err) and KEY not in err.server_message
    assert len(rec.requests) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_401_403_are_auth_errors(status: int) -> None:
    rec = Recorder(httpx.Response(status, json={"error": {"message": "no credits", "type": "auth"}}))
    with make(rec) as c, pytest.raises(AuthError) as info:
        c.complete(BODY)
    assert info.value.status == status and KEY not in str(info.value)
    assert len(rec.requests) == 1


def test_malformed_json_body_is_a_decode_error() -> None:
    rec = Recorder(httpx.Response(200, text='{"id": "x", "choices": [', headers={"content-type": "application/json"}))
    with make(rec) as c, pytest.raises(StreamDecodeError):
        c.complete(BODY)


def test_malformed_error_body_still_maps_by_status() -> None:
    with make(Recorder(httpx.Response(500, text="<html>Bad gateway</html>"))) as c:
        with pytest.raises(ServerError, match="Bad gateway"):
            c.complete(BODY)


# ----------------------------------------------------------------------------------- retries


def test_429_with_retry_after_then_success() -> None:
    rec = Recorder(httpx.Response(429, headers={"retry-after": "2"}, json={"code": "x", "error": "slow down"}), ok())
    with make(rec) as c:
        assert c.complete(BODY).text() == "Hello!"
    assert len(rec.requests) == 2


def test_a_500_on_a_post_is_not_retried_because_the_generation_may_have_run() -> None:
    rec = Recorder(httpx.Response(500, json={"error": {"message": "boom"}}), ok())
    with make(rec) as c, pytest.raises(ServerError):
        c.complete(BODY)
    assert len(rec.requests) == 1


def test_a_500_on_a_get_is_retried() -> None:
    rec = Recorder(
        httpx.Response(500, json={"error": {"message": "boom"}}),
        httpx.Response(200, json={"object": "list", "data": [{"id": "m"}]}),
    )
    with make(rec) as c:
        assert [m.id for m in c.models()] == ["m"]
    assert len(rec.requests) == 2


def test_a_read_error_on_a_post_is_not_retried_a_connect_error_is() -> None:
    rec = Recorder(httpx.ReadError("reset"), ok())
    with make(rec) as c, pytest.raises(NetworkError):
        c.complete(BODY)
    assert len(rec.requests) == 1
    rec = Recorder(httpx.ConnectError("refused"), ok())
    with make(rec) as c:
        assert c.complete(BODY).text() == "Hello!"
    assert len(rec.requests) == 2


def test_503_with_retry_after_exhausting_retries_raises_server_error() -> None:
    rec = Recorder(httpx.Response(503, headers={"retry-after": "0"}, json={"code": "Unavailable", "error": "overloaded"}))
    with make(rec, max_retries=2) as c, pytest.raises(ServerError) as info:
        c.complete(BODY)
    assert info.value.status == 503 and info.value.server_message == "overloaded"
    assert len(rec.requests) == 3
    rec = Recorder(httpx.Response(503, json={"code": "Unavailable", "error": "overloaded"}), ok())
    with make(rec, max_retries=2) as c, pytest.raises(ServerError):
        c.complete(BODY)  # without Retry-After the server may have started it: not sent again
    assert len(rec.requests) == 1


def test_429_exhausting_retries_keeps_retry_after() -> None:
    rec = Recorder(httpx.Response(429, headers={"retry-after": "7"}, json={"error": {"message": "limit"}}))
    with make(rec, max_retries=1) as c, pytest.raises(RateLimitError) as info:
        c.complete(BODY)
    assert info.value.retry_after == 7.0 and info.value.status == 429
    assert len(rec.requests) == 2


def test_max_retries_zero_means_one_attempt() -> None:
    rec = Recorder(httpx.Response(500, json={"error": {"message": "boom"}}))
    with make(rec, max_retries=0) as c, pytest.raises(ServerError):
        c.complete(BODY)
    assert len(rec.requests) == 1


def test_connect_error_is_retried_then_network_error() -> None:
    rec = Recorder(httpx.ConnectError("Connection refused"))
    with make(rec, max_retries=2) as c, pytest.raises(NetworkError):
        c.complete(BODY)
    assert len(rec.requests) == 3


def test_connect_error_then_success() -> None:
    rec = Recorder(httpx.ConnectError("Connection refused"), ok())
    with make(rec) as c:
        assert c.complete(BODY).text() == "Hello!"


def test_read_timeout_is_a_timeout_error_and_not_retried() -> None:
    rec = Recorder(httpx.ReadTimeout("timed out"))
    with make(rec) as c, pytest.raises(RequestTimeout):
        c.complete(BODY)
    assert len(rec.requests) == 1  # the server may be generating: do not send it again


def test_connect_timeout_is_retried() -> None:
    rec = Recorder(httpx.ConnectTimeout("timed out"), ok())
    with make(rec) as c:
        assert c.complete(BODY).text() == "Hello!"
    assert len(rec.requests) == 2


def test_real_timeout_setting_raises_timeout_error() -> None:
    """A server slower than `timeout` (a real socket, no mock) gives RequestTimeout."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    try:
        cfg = ClientConfig(base_url=f"http://127.0.0.1:{port}/v1", timeout=0.3, max_retries=0)
        with ChatClient(cfg) as c, pytest.raises(RequestTimeout):
            c.complete(BODY)
    finally:
        for s in accepted:
            s.close()
        listener.close()


def test_bad_requests_are_never_retried() -> None:
    rec = Recorder(httpx.Response(400, json={"error": {"message": "bad"}}), ok())
    with make(rec) as c, pytest.raises(BadRequestError):
        c.complete(BODY)
    assert len(rec.requests) == 1


def test_retry_after_is_honoured_and_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    """With test mode off, the wait stamina schedules is the server's Retry-After, capped."""
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    waits: list[float] = []
    old_hooks = stamina.instrumentation.get_on_retry_hooks()
    stamina.instrumentation.set_on_retry_hooks([lambda d: waits.append(d.wait_for)])
    rec = Recorder(
        httpx.Response(429, headers={"retry-after": "3"}, json={"error": {"message": "a"}}),
        httpx.Response(429, headers={"retry-after": "3600"}, json={"error": {"message": "b"}}),
        ok(),
    )
    try:
        with stamina.set_testing(False), make(rec) as c:
            assert c.complete(BODY).text() == "Hello!"
    finally:
        stamina.instrumentation.set_on_retry_hooks(old_hooks)
    assert waits == [3.0, RETRY_AFTER_CAP]
    assert slept == [3.0, RETRY_AFTER_CAP]


def test_retry_hook_decisions() -> None:
    hook = retries.retry_read_hook
    assert hook(RateLimitError("x", retry_after=1.5)) == 1.5
    assert hook(RateLimitError("x", retry_after=999)) == RETRY_AFTER_CAP
    assert hook(RateLimitError("x")) is True
    assert hook(ServerError("x", status=502)) is True
    assert hook(BadRequestError("x", status=400)) is False
    assert hook(AuthError("x", status=401)) is False
    assert hook(StreamDecodeError("x")) is False


def _trickle(chunks: int, pause_s: float) -> Iterator[bytes]:
    """A body that arrives a piece at a time: each read is quick, the whole takes chunks x pause_s."""
    yield b'{"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": "'
    for _ in range(chunks):
        time.sleep(pause_s)
        yield b"a"
    yield b'"}, "finish_reason": "stop"}]}'


def test_the_whole_call_has_one_deadline_even_when_each_read_is_quick() -> None:
    """A server that sends its answer a byte every 0.2 s never trips a per-read timeout; the call as a whole
    must still end at its deadline (config.timeout) instead of taking as long as the server likes."""
    rec = Recorder(lambda request: httpx.Response(200, headers={"content-type": "application/json"}, content=_trickle(15, 0.2)))
    with make(rec, timeout=0.5) as c, pytest.raises(RequestTimeout) as info:
        c.complete(BODY)
    assert "0.5" in str(info.value)
    assert len(rec.requests) == 1


def test_a_body_within_the_deadline_is_read_whole() -> None:
    rec = Recorder(lambda request: httpx.Response(200, headers={"content-type": "application/json"}, content=_trickle(3, 0.01)))
    with make(rec, timeout=30) as c:
        assert c.complete(BODY).text() == "aaa"


@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_beyond_the_deadline_is_not_waited_for(status: int) -> None:
    """Retry-After 20 s on a call whose deadline is 5 s: the error is reported at once, with its Retry-After,
    rather than waited out past the deadline (or, before, sent again at once under stamina's test mode)."""
    rec = Recorder(httpx.Response(status, headers={"retry-after": "20"}, json={"error": {"message": "busy"}}), ok())
    with make(rec, timeout=5) as c, pytest.raises(RateLimitError if status == 429 else ServerError):
        c.complete(BODY)
    assert len(rec.requests) == 1


def test_a_backoff_that_would_cross_the_deadline_is_not_taken() -> None:
    """A GET after a 500 is retried with backoff while there is time; none is left within a 0.2 s deadline."""
    rec = Recorder(
        httpx.Response(500, json={"error": {"message": "boom"}}), httpx.Response(200, json={"object": "list", "data": []})
    )
    with make(rec, timeout=0.2) as c, pytest.raises(ServerError):
        c.models()
    assert len(rec.requests) == 1
    rec = Recorder(
        httpx.Response(500, json={"error": {"message": "boom"}}), httpx.Response(200, json={"object": "list", "data": []})
    )
    with make(rec, timeout=30) as c:
        assert [m.id for m in c.models()] == []
    assert len(rec.requests) == 2


def test_retry_after_http_date() -> None:
    when = httpx.Headers({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})  # in the past -> 0
    err = client_module.error_from_status(429, b"{}", when)
    assert isinstance(err, RateLimitError) and err.retry_after == 0.0
    assert client_module.error_from_status(429, b"{}", httpx.Headers({"retry-after": "soon"})).retry_after is None


def test_unexpected_status_is_an_upstream_error() -> None:
    err = client_module.error_from_status(302, b"", None)
    assert type(err) is UpstreamError and err.status == 302


# ----------------------------------------------------------------------------------- streaming


def test_stream_sends_stream_flags_and_yields_deltas_then_done() -> None:
    payload = sse(
        delta(role="assistant", content=None),
        delta(reasoning_content="hmm"),
        delta(content="Hel"),
        delta(content="lo"),
        delta(finish="stop"),
        USAGE_CHUNK,
    )
    rec = Recorder(sse_response(payload))
    with make(rec) as c:
        events = list(c.stream({**BODY, "deferred": True}))
    assert rec.bodies == [{**BODY, "stream": True, "stream_options": {"include_usage": True}}]
    assert rec.requests[0].headers["accept"] == "text/event-stream"
    assert events[:-1] == [ThinkingDelta(choice=0, text="hmm"), TextDelta(choice=0, text="Hel"), TextDelta(choice=0, text="lo")]
    done = events[-1]
    assert isinstance(done, Done)
    assert done.completion.text() == "Hello" and done.completion.stop_reason == "stop"
    assert done.completion.usage.input_tokens == 5 and done.completion.usage.output_tokens == 2
    assert [b.type for b in done.completion.content] == ["thinking", "text"]


def test_stream_error_status_is_mapped_before_any_delta() -> None:
    rec = Recorder(httpx.Response(400, json={"code": "x", "error": "Incorrect API key provided: xai-ab***cd"}))
    with make(rec) as c, pytest.raises(AuthError):
        list(c.stream(BODY))
    assert len(rec.requests) == 1


def test_stream_open_is_retried_on_503_with_retry_after_and_429() -> None:
    payload = sse(delta(content="ok"), delta(finish="stop"))
    rec = Recorder(
        httpx.Response(503, headers={"retry-after": "0"}, text="busy"),
        httpx.Response(429, headers={"retry-after": "1"}, json={"error": {"message": "slow"}}),
        sse_response(payload),
    )
    with make(rec) as c:
        events = list(c.stream(BODY))
    assert len(rec.requests) == 3
    assert isinstance(events[-1], Done) and events[-1].completion.text() == "ok"


class CutStream(httpx.SyncByteStream):
    """Sends some SSE events, then the connection drops."""

    def __init__(self, first: bytes) -> None:
        self.first = first

    def __iter__(self) -> Iterator[bytes]:
        yield self.first
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


def test_stream_cut_mid_way_is_a_decode_error_after_the_deltas_and_not_retried() -> None:
    rec = Recorder(
        lambda request: httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            stream=CutStream(sse(delta(content="Hel"), delta(content="lo"), done=False)),
        )
    )
    received: list[object] = []
    with make(rec) as c, pytest.raises(StreamDecodeError, match="cut"):
        for event in c.stream(BODY):
            received.append(event)
    assert received == [TextDelta(choice=0, text="Hel"), TextDelta(choice=0, text="lo")]
    assert len(rec.requests) == 1


def test_stream_ending_without_done_and_unfinished_is_a_decode_error() -> None:
    rec = Recorder(sse_response(sse(delta(content="Hel"), done=False)))
    with make(rec) as c, pytest.raises(StreamDecodeError, match="ended before"):
        list(c.stream(BODY))


def test_stream_without_done_marker_but_finished_is_accepted() -> None:
    rec = Recorder(sse_response(sse(delta(content="a"), delta(finish="length"), done=False)))
    with make(rec) as c:
        events = list(c.stream(BODY))
    assert isinstance(events[-1], Done) and events[-1].completion.stop_reason == "length"


def test_stream_malformed_event_is_a_decode_error() -> None:
    rec = Recorder(sse_response(sse(delta(content="a"), '{"choices": [', done=True)))
    with make(rec) as c, pytest.raises(StreamDecodeError, match="not valid JSON"):
        list(c.stream(BODY))


def test_stream_error_event_after_200_is_mapped() -> None:
    error = {"error": {"code": 500, "message": "slot crashed", "type": "server_error"}}
    rec = Recorder(sse_response(sse(delta(content="a"), error, done=False)))
    with make(rec) as c, pytest.raises(ServerError, match="slot crashed"):
        list(c.stream(BODY))


def test_stream_read_timeout_is_a_timeout_error() -> None:
    class Stalls(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield sse(delta(content="a"), done=False)
            raise httpx.ReadTimeout("timed out")

    rec = Recorder(lambda r: httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Stalls()))
    with make(rec) as c, pytest.raises(RequestTimeout):
        list(c.stream(BODY))


def test_stream_from_a_server_that_ignored_stream_answers_whole() -> None:
    rec = Recorder(ok())
    with make(rec) as c:
        events = list(c.stream(BODY))
    assert events[0] == TextDelta(choice=0, text="Hello!")
    assert isinstance(events[1], Done) and events[1].completion.id == ANSWER["id"]


def test_stream_stopped_early_closes_the_response() -> None:
    closed: list[bool] = []

    class Tracked(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield sse(delta(content="a"), delta(content="b"), delta(finish="stop"))

        def close(self) -> None:
            closed.append(True)

    rec = Recorder(lambda r: httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Tracked()))
    with make(rec) as c:
        gen = c.stream(BODY)
        assert next(gen) == TextDelta(choice=0, text="a")
        gen.close()
    assert closed == [True]


def test_stream_tool_calls_whole_in_one_chunk() -> None:
    calls = [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Seoul"}'}}]
    rec = Recorder(sse_response(sse(delta(role="assistant", tool_calls=calls, finish="tool_calls"), USAGE_CHUNK)))
    with make(rec) as c:
        events = list(c.stream(BODY))
    assert len(events) == 1 and isinstance(events[0], Done)
    block = events[0].completion.content[0]
    assert (block.type, block.name, block.input) == ("tool_use", "get_weather", {"city": "Seoul"})


def test_key_never_in_logs_even_through_retries_and_failures(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    rec = Recorder(
        httpx.Response(429, headers={"retry-after": "0"}, json={"error": {"message": f"echo {KEY}"}}),
        httpx.ConnectError("refused"),
        httpx.Response(400, json={"error": f"Incorrect API key provided: {KEY}"}),
    )
    with make(rec) as c, pytest.raises(AuthError):
        c.complete(BODY)
    assert len(rec.requests) == 3
    assert caplog.records  # httpx and stamina did log
    assert KEY not in caplog.text


def test_malformed_json_excerpt_does_not_echo_the_key() -> None:
    with make(Recorder(httpx.Response(200, text=f"oops {KEY} <html>"))) as c:
        with pytest.raises(StreamDecodeError) as info:
            c.complete(BODY)
    assert "oops" in str(info.value) and KEY not in str(info.value)


@pytest.mark.parametrize(
    ("event", "error_type", "status"),
    [
        ({"code": "Client specified an invalid argument", "error": "bad stop"}, BadRequestError, 400),
        ({"code": "Resource exhausted", "error": "too many"}, RateLimitError, 429),
        ({"error": {"message": "ctx full", "code": 400, "type": "invalid_request_error"}}, BadRequestError, 400),
        ({"error": "mystery"}, ServerError, 500),
    ],
)
def test_stream_error_events_are_typed(event: dict[str, Any], error_type: type[UpstreamError], status: int) -> None:
    rec = Recorder(sse_response(sse(delta(content="a"), event, done=False)))
    with make(rec) as c, pytest.raises(error_type) as info:
        list(c.stream(BODY))
    assert info.value.status == status


def test_public_names() -> None:
    assert set(client_module.__all__) == {
        "RETRY_AFTER_CAP",
        "ChatClient",
        "ClientConfig",
        "ModelInfo",
        "Token",
        "WaitHook",
        "error_from_status",
    }
    assert all(hasattr(client_module, name) for name in client_module.__all__)


def test_poll_deferred_accepts_a_single_stop_string() -> None:
    answer = json.loads(json.dumps(ANSWER))
    answer["choices"][0]["stopping_word"] = "END"
    with make(Recorder(ok(answer))) as c:
        done = c.poll_deferred("r", stop="END")
    assert done is not None and done.stop_sequence == "END" and done.request_id == "r"


def test_redirect_is_not_followed_but_reported() -> None:
    rec = Recorder(httpx.Response(301, headers={"location": "https://elsewhere.test/v1/models"}, text="moved"))
    with make(rec) as c, pytest.raises(UpstreamError) as info:
        c.models()
    assert info.value.status == 301 and len(rec.requests) == 1


# ----------------------------------------------------------------------------------- bodies nested past Python's limit

DEEP = "[" * 100_000


def test_a_body_nested_past_any_limit_is_a_plain_decode_error() -> None:
    with make(Recorder(httpx.Response(200, content=DEEP.encode()))) as c, pytest.raises(StreamDecodeError, match="nested"):
        c.complete(BODY)


def test_a_stream_event_nested_past_any_limit_is_a_plain_decode_error() -> None:
    rec = Recorder(sse_response(sse(delta(content="a"), DEEP, done=True)))
    with make(rec) as c, pytest.raises(StreamDecodeError, match="nested"):
        list(c.stream(BODY))


def test_an_error_body_nested_past_any_limit_still_maps_by_status() -> None:
    with make(Recorder(httpx.Response(400, content=DEEP.encode()))) as c, pytest.raises(BadRequestError, match="HTTP 400"):
        c.complete(BODY)
