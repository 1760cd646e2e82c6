"""HTTP client for xAI's chat-completions API and the embedded gateway that mimics it.

Why its own module: every way a call can fail (bad key, rate limit, bad field, server down,
timeout, a stream cut short, a body that is not JSON) becomes one of the `playground.errors`
types, with the server's own message and never the API key, so the UI can put it next to the
right widget. Retries (stamina) honour Retry-After and stop once a stream has started yielding; a POST,
which can start a generation or a deferred job, is retried only where the server cannot have acted on it
(the connection failed, 429, 503 with Retry-After), reads also after 5xx and read errors.
Each call has one deadline, `ClientConfig.timeout` from its start: attempts, the waits between them
and the reading of a body all fit in it (a server trickling a byte at a time used to hold a call as long
as it liked, since httpx's timeouts are per read), and a wait that would cross it is not taken. A
stream's deadline covers opening it; once it yields, each read has `timeout` (a long answer may take
longer than that in all). Every connection goes through `addresses.CheckedTransport`, which refuses link-local and
cloud-metadata addresses after DNS; `transport=` lets tests inject faults with `httpx.MockTransport` instead of
patching. `on_wait=` (per call) hears about a Retry-After wait second by second, so a page can count it down
instead of looking frozen.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import http
import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, Literal, NoReturn
from urllib.parse import quote

import httpx
import stamina
from httpx_sse import EventSource, connect_sse
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from playground.addresses import CheckedTransport
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
    UpstreamError,
)
from playground.response import (
    Completion,
    Done,
    StreamAccumulator,
    TextDelta,
    ThinkingDelta,
    from_chat_completion,
)

__all__ = ["RETRY_AFTER_CAP", "ChatClient", "ClientConfig", "ModelInfo", "Token", "WaitHook", "error_from_status"]

log = logging.getLogger(__name__)

RETRY_AFTER_CAP = 30.0  # seconds: never sleep longer than this on a server's Retry-After
_RETRY_WAIT_INITIAL = 0.5
_RETRY_WAIT_MAX = 8.0
_MAX_MESSAGE = 600  # characters of a non-JSON error body kept in a message
_MAX_HTML_WORDS = 200  # characters of an HTML error page's text kept in a message
_API_KEY_WORDS = re.compile(r"api[ _-]?key", re.IGNORECASE)

WaitHook = Callable[[float, str], None]
"""Told (seconds left, why) about once a second while the client waits on a server's Retry-After, then (0, why)."""


class ClientConfig(BaseModel):
    """Where and how to call. `repr()` shows the key as `**********` (SecretStr)."""

    model_config = ConfigDict(frozen=True)

    base_url: str  # ".../v1"
    api_key: SecretStr | None = None
    timeout: float = Field(default=120.0, gt=0)
    max_retries: int = Field(default=3, ge=0)
    kind: Literal["xai", "embedded", "openai"] = "embedded"


class ModelInfo(BaseModel):
    """One entry of a model list."""

    id: str
    context_length: int | None = None  # tokens one request may use in all, when the server says
    owned_by: str | None = None  # "llamacpp" names llama.cpp's own server

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> ModelInfo:
        meta = entry.get("meta")
        # our gateway and OpenRouter say context_length; llama.cpp's server says meta.n_ctx (one slot's)
        context = entry.get("context_length", entry.get("context_window", meta.get("n_ctx") if isinstance(meta, dict) else None))
        ok = isinstance(context, int) and not isinstance(context, bool) and context > 0
        owner = entry.get("owned_by")
        return cls(
            id=str(entry["id"]), context_length=context if ok else None, owned_by=owner if isinstance(owner, str) else None
        )


class Token(BaseModel):
    """One token of `POST /v1/tokenize-text`."""

    token_id: int
    string_token: str
    token_bytes: list[int] = Field(default_factory=list)


# --------------------------------------------------------------------------------------------
# errors


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


_TOO_DEEP = "it is nested too deeply to read (thousands of brackets inside each other)"


def _loads(text: str | bytes) -> Any:
    """`json.loads`; a document nested past what Python can parse is a ValueError naming that, not a RecursionError."""
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise ValueError(_TOO_DEEP) from exc


def _read_error_body(body: bytes) -> tuple[str, str | None, str | None]:
    """(server message, param, code) from OpenAI's `{"error":{…}}`, xAI's flat `{"code","error"}`,
    FastAPI's `{"detail"}`, or plain text."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        data = _loads(text) if text else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict):
            message = err.get("message")
            param = err.get("param")
            code = err.get("code", err.get("type"))
            return (
                str(message) if message is not None else json.dumps(err),
                str(param) if param is not None else None,
                str(code) if code is not None else None,
            )
        if isinstance(err, str):
            code = data.get("code")
            param = data.get("param")
            return err, str(param) if param is not None else None, str(code) if code is not None else None
        for key in ("message", "detail"):
            if key in data:
                detail = data[key]
                return (detail if isinstance(detail, str) else json.dumps(detail)), None, None
    if text.startswith("<"):  # an HTML error page (a proxy's 502): its words only, short
        words = " ".join(html.unescape(re.sub(r"<(script|style)\b.*?</\1>|<[^>]*>", " ", text, flags=re.S | re.I)).split())
        return (words[:_MAX_HTML_WORDS] + ("…" if len(words) > _MAX_HTML_WORDS else "")) or "(an HTML page)", None, None
    return text[:_MAX_MESSAGE], None, None


def _is_wrong_key(status: int, message: str) -> bool:
    """xAI answers a wrong key with 400 "Incorrect API key provided…" (not 401)."""
    return status == 400 and bool(_API_KEY_WORDS.search(message))


def _what_to_do(status: int) -> str:
    """The next step for a person who got `status`: every error message ends with one."""
    if status == 404:
        return "Check the model name (the sidebar lists this server's models) and the base URL."
    if status == 413:
        return "The request is too large: shorten the conversation, tools or schema."
    if status == 503:
        return "The server is busy or down: run again in a moment."
    if status >= 500:
        return "The server failed, not the request: run again in a moment."
    return "Fix what it names and run again."


def error_from_status(status: int, body: bytes, headers: httpx.Headers | None = None, secret: str | None = None) -> UpstreamError:
    """Map an error status and body to the playground error type, with the server's own words."""
    server_message, param, code = _read_error_body(body)
    if secret:
        server_message = server_message.replace(secret, "***")
    shown = server_message or "(no message)"
    suffix = f" [{code}]" if code and code != str(status) else ""
    if status in (401, 403) or _is_wrong_key(status, server_message):
        advice = "Check the API key, and that it is meant for this base URL."
        return AuthError(
            f"The server refused the credentials (HTTP {status}): {shown}{suffix}. {advice}",
            status=status,
            server_message=server_message,
            param=param,
            advice=advice,
        )
    if status == 429:
        retry_after = _retry_after(headers.get("retry-after")) if headers is not None else None
        advice = f"Retry after {retry_after:g} s." if retry_after is not None else "Wait a little, then run again."
        return RateLimitError(
            f"Rate limited (HTTP 429): {shown}{suffix}. {advice}",
            status=status,
            server_message=server_message,
            param=param,
            retry_after=retry_after,
            advice=advice,
        )
    if 400 <= status < 500:
        where = f" (field: {param})" if param else ""
        advice = _what_to_do(status)
        return BadRequestError(
            f"The server rejected the request (HTTP {status}){where}: {shown}{suffix}. {advice}",
            status=status,
            server_message=server_message,
            param=param,
            advice=advice,
        )
    if status >= 500:
        advice = _what_to_do(status)
        return ServerError(
            f"Server error (HTTP {status}): {shown}{suffix}. {advice}",
            status=status,
            server_message=server_message,
            param=param,
            advice=advice,
            retry_after=_retry_after(headers.get("retry-after")) if headers is not None else None,
        )
    return UpstreamError(
        f"Unexpected answer (HTTP {status}): {shown}{suffix}", status=status, server_message=server_message, param=param
    )


@contextmanager
def _transport_errors(*, streaming: bool = False) -> Iterator[None]:
    """httpx exceptions -> playground errors. Once a stream is open, a dropped connection means a cut stream."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise RequestTimeout(
            f"The server did not answer in time ({type(exc).__name__}). Run again; if it keeps happening, "
            "ask for fewer tokens or check that the server is not overloaded."
        ) from exc
    except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
        if streaming:
            raise StreamCutError(
                f"The stream was cut before it finished ({type(exc).__name__}). "
                "The text received is kept; run again for a whole answer."
            ) from exc
        raise NetworkError(f"The connection failed ({type(exc).__name__}). Run again in a moment.") from exc
    except httpx.TransportError as exc:
        raise NetworkError(
            f"Could not reach the server ({type(exc).__name__}). Check the base URL and that the server is running, "
            "then run again."
        ) from exc


def _never_reached(exc: Exception) -> bool:
    """The request could not have reached the server: the connection itself failed."""
    return isinstance(exc, NetworkError | RequestTimeout) and isinstance(exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout)


def _retry_hook(exc: Exception) -> bool | float:
    """stamina backoff hook for reads (GET): retry 429/5xx/connection failures; a number means 'wait this long'."""
    if isinstance(exc, RateLimitError):
        return min(exc.retry_after, RETRY_AFTER_CAP) if exc.retry_after is not None else True
    if isinstance(exc, ServerError | NetworkError):
        return True
    if isinstance(exc, RequestTimeout):
        return isinstance(exc.__cause__, httpx.ConnectTimeout)  # the request never reached the server
    return False


def _retry_post_hook(exc: Exception) -> bool | float:
    """For POST, which can start a generation or a deferred job: retry only where the server cannot have acted on
    it — the connection failed, 429, or 503 with Retry-After. A 500 or a read error may mean it ran."""
    if isinstance(exc, RateLimitError):
        return min(exc.retry_after, RETRY_AFTER_CAP) if exc.retry_after is not None else True
    if isinstance(exc, ServerError) and exc.status == 503 and exc.retry_after is not None:
        return min(exc.retry_after, RETRY_AFTER_CAP)
    return _never_reached(exc)


class _Deadline:
    """When a call must be over (monotonic clock)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        return self.at - time.monotonic()

    def check(self) -> float:
        """Seconds left; RequestTimeout when none are."""
        left = self.left()
        if left <= 0:
            raise RequestTimeout(f"The call did not finish within its deadline of {self.seconds:g} s.")
        return left

    def timeout(self, config_timeout: float) -> httpx.Timeout:
        """httpx timeouts for the next attempt: none longer than what is left."""
        left = min(config_timeout, self.check())
        return httpx.Timeout(left, connect=min(left, 15.0))


def _wait_reason(exc: Exception) -> str:
    """ "429 Too Many Requests": what the server said, for a person waiting on it."""
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        try:
            return f"{status} {http.HTTPStatus(status).phrase}"
        except ValueError:
            return f"HTTP {status}"
    return type(exc).__name__


def _count_down(seconds: float, reason: str, on_wait: WaitHook) -> None:
    """Wait `seconds`, telling `on_wait` what is left about once a second (the page redraws its live line)."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        on_wait(left, reason)
        time.sleep(min(1.0, left))
    on_wait(0.0, reason)


def _within(
    deadline: _Deadline, hook: Callable[[Exception], bool | float], on_wait: WaitHook | None = None
) -> Callable[[Exception], bool | float]:
    """`hook`, but a retry whose wait (Retry-After, or the next backoff) would end past the deadline is not made.
    With `on_wait`, a server's Retry-After is waited out here, counted down, and stamina waits no more."""
    backoffs = 0

    def decide(exc: Exception) -> bool | float:
        nonlocal backoffs
        decision = hook(exc)
        if decision is False:
            return False
        if decision is True:  # exponential backoff with jitter, as stamina would, so it can be checked here
            wait = min(_RETRY_WAIT_INITIAL * 2**backoffs, _RETRY_WAIT_MAX) + random.uniform(0, _RETRY_WAIT_INITIAL)
            backoffs += 1
        else:
            wait = float(decision)
            if on_wait is not None and wait < deadline.left():
                _count_down(wait, _wait_reason(exc), on_wait)
                return 0.0
        return wait if wait < deadline.left() else False

    return decide


def _json(response: httpx.Response, secret: str | None = None) -> Any:
    try:
        return _loads(response.content)
    except ValueError as exc:
        if isinstance(exc.__cause__, RecursionError):
            raise StreamDecodeError(
                f"The server's answer cannot be read (HTTP {response.status_code}): {_TOO_DEEP}. "
                "Check that the base URL points at a chat-completions API."
            ) from exc
        excerpt = response.text[:200]
        if secret:
            excerpt = excerpt.replace(secret, "***")
        raise StreamDecodeError(
            f"The server's answer is not valid JSON (HTTP {response.status_code}): {excerpt!r}. "
            "Check that the base URL points at a chat-completions API (it usually ends in /v1)."
        ) from exc


# xAI's flat errors carry a gRPC status text as "code"; inside a stream there is no HTTP status to go by
_GRPC_STATUS = {
    "invalid argument": 400,
    "failed precondition": 400,
    "out of range": 400,
    "not found": 404,
    "unauthenticated": 401,
    "permission denied": 403,
    "resource exhausted": 429,
    "deadline exceeded": 504,
    "unavailable": 503,
    "internal": 500,
}


def _status_of_stream_error(chunk: dict[str, Any]) -> int:
    """Best HTTP status for an error event sent after a 200: numeric code, gRPC status text, else 500."""
    err = chunk.get("error")
    code = err.get("code") if isinstance(err, dict) else chunk.get("code")
    if isinstance(code, int) and not isinstance(code, bool) and 400 <= code < 600:
        return code
    if isinstance(code, str):
        if code.isdigit() and 400 <= int(code) < 600:
            return int(code)
        low = code.lower().replace("_", " ")
        for words, status in _GRPC_STATUS.items():
            if words in low:
                return status
    return 500


def _stop_list(body: dict[str, Any]) -> list[str] | None:
    stop = body.get("stop")
    if isinstance(stop, str):
        return [stop]
    if isinstance(stop, list):
        return [s for s in stop if isinstance(s, str)] or None
    return None


# --------------------------------------------------------------------------------------------
# the client


class ChatClient:
    """One client per request or session; holds the key only in its Authorization header."""

    def __init__(self, config: ClientConfig, *, transport: httpx.BaseTransport | None = None) -> None:
        self._config = config
        headers = {"Accept": "application/json", "User-Agent": "chat-completions-playground"}
        if config.api_key is not None and config.api_key.get_secret_value():
            headers["Authorization"] = f"Bearer {config.api_key.get_secret_value()}"
        self._http = httpx.Client(
            base_url=config.base_url.rstrip("/") + "/",
            headers=headers,
            timeout=httpx.Timeout(config.timeout, connect=min(config.timeout, 15.0)),
            transport=transport if transport is not None else CheckedTransport(),
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"ChatClient(base_url={self._config.base_url!r}, kind={self._config.kind!r})"

    @property
    def config(self) -> ClientConfig:
        return self._config

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- plumbing -----------------------------------------------------------------------------

    def _secret(self) -> str | None:
        key = self._config.api_key
        return key.get_secret_value() if key is not None else None

    def _raise_for(self, response: httpx.Response) -> NoReturn:
        raise error_from_status(response.status_code, response.content, response.headers, self._secret())

    def _retrying(self, method: str, deadline: _Deadline, on_wait: WaitHook | None = None) -> Any:
        return stamina.retry_context(
            on=_within(deadline, _retry_post_hook if method == "POST" else _retry_hook, on_wait),
            attempts=self._config.max_retries + 1,
            timeout=self._config.timeout,
            wait_initial=_RETRY_WAIT_INITIAL,
            wait_max=_RETRY_WAIT_MAX,
        )

    def _send_once(self, method: str, path: str, json_body: dict[str, Any] | None, deadline: _Deadline) -> httpx.Response:
        """One attempt, its body read in pieces so the deadline holds however slowly it comes."""
        with (
            _transport_errors(),
            self._http.stream(method, path, json=json_body, timeout=deadline.timeout(self._config.timeout)) as streamed,
        ):
            pieces = []
            for piece in streamed.iter_bytes():
                pieces.append(piece)
                deadline.check()
        # iter_bytes decoded the body: the copy must not say it is still compressed
        kept = [(k, v) for k, v in streamed.headers.multi_items() if k.lower() not in ("content-encoding", "content-length")]
        response = httpx.Response(streamed.status_code, headers=kept, content=b"".join(pieces), request=streamed.request)
        log.debug("%s %s -> %s", method, path, response.status_code)
        if response.status_code >= 300:  # redirects are not followed: a moved API is an error to show
            self._raise_for(response)
        return response

    def _send(
        self, method: str, path: str, json_body: dict[str, Any] | None = None, on_wait: WaitHook | None = None
    ) -> httpx.Response:
        deadline = _Deadline(self._config.timeout)
        response: httpx.Response | None = None
        for attempt in self._retrying(method, deadline, on_wait):
            with attempt:
                response = self._send_once(method, path, json_body, deadline)
        assert response is not None
        return response

    # -- API ----------------------------------------------------------------------------------

    def models(self) -> list[ModelInfo]:
        """`GET /models` with what each entry says of its context (our gateway and some servers do; xAI does not)."""
        data = _json(self._send("GET", "models"), self._secret())
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise StreamDecodeError("GET /models did not answer with a list under 'data'")
        return [ModelInfo.from_entry(m) for m in items if isinstance(m, dict) and m.get("id") is not None]

    def complete(self, body: dict[str, Any], *, on_wait: WaitHook | None = None) -> Completion:
        """One non-streamed completion. `stream` and `deferred` are dropped: those have their own methods."""
        payload = {k: v for k, v in body.items() if k not in ("stream", "stream_options", "deferred")}
        data = _json(self._send("POST", "chat/completions", payload, on_wait), self._secret())
        if not isinstance(data, dict):
            raise StreamDecodeError("the answer is not a JSON object")
        return from_chat_completion(data, stop=_stop_list(body))

    def submit_deferred(self, body: dict[str, Any], *, on_wait: WaitHook | None = None) -> str:
        """Start a deferred completion; returns its request_id (fetch it once with `poll_deferred`)."""
        payload = {k: v for k, v in body.items() if k not in ("stream", "stream_options")}
        payload["deferred"] = True
        data = _json(self._send("POST", "chat/completions", payload, on_wait), self._secret())
        request_id = data.get("request_id") if isinstance(data, dict) else None
        if not isinstance(request_id, str) or not request_id:
            raise StreamDecodeError("the deferred request was accepted but no request_id came back")
        return request_id

    def poll_deferred(self, request_id: str, *, stop: list[str] | str | None = None) -> Completion | None:
        """None while the server says 202; the Completion (with its request_id) once it is 200.

        xAI hands a result out exactly once: the caller must persist it as soon as it arrives.
        """
        try:
            response = self._send("GET", f"chat/deferred-completion/{quote(request_id, safe='')}")
        except BadRequestError as exc:
            if exc.status != 404:
                raise
            raise BadRequestError(
                f"The deferred result {request_id} is gone (HTTP 404): it was already fetched, or it expired; "
                f"a result is handed out once. Run again for a new one. Server said: {exc.server_message or '(nothing)'}",
                status=exc.status,
                server_message=exc.server_message,
                param=exc.param,
            ) from exc
        if response.status_code == 202:
            return None
        data = _json(response, self._secret())
        if not isinstance(data, dict):
            raise StreamDecodeError("the deferred result is not a JSON object")
        return from_chat_completion(data, request_id=request_id, stop=_stop_list({"stop": stop}))

    def tokenize(self, text: str, model: str) -> list[Token]:
        """`POST /tokenize-text` -> the tokens of `text` under `model`'s tokenizer."""
        data = _json(self._send("POST", "tokenize-text", {"text": text, "model": model}), self._secret())
        items = data.get("token_ids") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise StreamDecodeError("POST /tokenize-text did not answer with 'token_ids'")
        try:
            return [Token.model_validate(item) for item in items]
        except ValueError as exc:
            raise StreamDecodeError(f"unexpected token entry in /tokenize-text answer: {exc}") from exc

    # -- streaming ----------------------------------------------------------------------------

    def _open_stream(self, payload: dict[str, Any], deadline: _Deadline) -> tuple[ExitStack, EventSource]:
        """Open the SSE response and check its status; the caller owns (and closes) the stack."""
        stack = ExitStack()
        try:
            with _transport_errors():
                timeout = deadline.timeout(self._config.timeout)
                source = stack.enter_context(connect_sse(self._http, "POST", "chat/completions", json=payload, timeout=timeout))
                response = source.response
                if response.status_code >= 300:
                    response.read()
                    self._raise_for(response)
        except BaseException:
            stack.close()
            raise
        return stack, source

    def stream(self, body: dict[str, Any], *, on_wait: WaitHook | None = None) -> Iterator[TextDelta | ThinkingDelta | Done]:
        """Stream a completion: text/thinking deltas as they arrive, then `Done` with the whole answer.

        Opening the stream is retried like any call; once a delta has been yielded nothing is retried
        (the caller already showed it). A stream that ends without `[DONE]` and unfinished choices
        raises StreamDecodeError. `on_wait` hears each second of a Retry-After wait before it opens.
        """
        payload = {k: v for k, v in body.items() if k != "deferred"}
        payload["stream"] = True
        options = body.get("stream_options") if isinstance(body.get("stream_options"), dict) else {}
        payload["stream_options"] = {**options, "include_usage": True}
        stop = _stop_list(body)

        deadline = _Deadline(self._config.timeout)
        opened: tuple[ExitStack, EventSource] | None = None
        for attempt in self._retrying("POST", deadline, on_wait):
            with attempt:
                opened = self._open_stream(payload, deadline)
        assert opened is not None
        stack, source = opened
        with stack:
            response = source.response
            content_type = response.headers.get("content-type", "")
            if "text/event-stream" not in content_type:
                # a server that ignored "stream": answer with what it sent, as one piece
                with _transport_errors(streaming=True):
                    response.read()
                data = _json(response, self._secret())
                if not isinstance(data, dict):
                    raise StreamDecodeError("the answer is not a JSON object")
                completion = from_chat_completion(data, stop=stop)
                for choice in completion.choices:
                    for block in choice.content:
                        if block.type == "thinking" and block.thinking:
                            yield ThinkingDelta(choice=choice.index, text=block.thinking)
                        elif block.type == "text" and block.text:
                            yield TextDelta(choice=choice.index, text=block.text)
                yield Done(completion=completion)
                return

            accumulator = StreamAccumulator(stop=stop)
            yielded = False
            saw_done = False
            with _transport_errors(streaming=True):
                for event in source.iter_sse():
                    data_text = event.data.strip()
                    if not data_text:
                        continue
                    if data_text == "[DONE]":
                        saw_done = True
                        break
                    try:
                        chunk = _loads(data_text)
                    except ValueError as exc:
                        if isinstance(exc.__cause__, RecursionError):
                            raise StreamDecodeError(
                                f"A stream event cannot be read: {_TOO_DEEP}. The text received is kept."
                            ) from exc
                        raise StreamDecodeError(
                            f"A stream event is not valid JSON: {data_text[:200]!r}. The text received is kept; "
                            "check that the base URL points at a chat-completions API."
                        ) from exc
                    if not isinstance(chunk, dict):
                        raise StreamDecodeError(f"A stream event is not a JSON object: {data_text[:200]!r}")
                    if event.event == "error" or ("error" in chunk and "choices" not in chunk):
                        raise self._stream_error(chunk, after_text=yielded)
                    for delta in accumulator.add(chunk):
                        yielded = True
                        yield delta
            if not saw_done and not accumulator.finished:
                raise StreamCutError(
                    "The stream ended before the answer finished (no [DONE]). The text received is kept; "
                    "run again for a whole answer."
                )
            yield Done(completion=accumulator.completion())

    def _stream_error(self, chunk: dict[str, Any], *, after_text: bool = False) -> PlaygroundError:
        """An error sent inside the stream (llama.cpp and xAI do this after a 200); after text, the message says
        the text received is kept."""
        error = error_from_status(_status_of_stream_error(chunk), json.dumps(chunk).encode(), None, self._secret())
        if after_text:
            error.args = (f"{error} The text received before it is kept.",)
        return error
