"""HTTP client for xAI's chat-completions API and the embedded gateway that mimics it.

Why its own module: every call (list models, complete, stream, deferred submit and poll, tokenize) goes
through one place that turns each way a call can fail into a `playground.errors` type (`http_errors`:
the server's own words, never the API key) and retries only where that is safe, within one deadline per
call (`retries`). A stream's deadline covers opening it; once it yields, each read has `timeout` (a long
answer may take longer than that in all), and it is never retried. Every connection goes through
`addresses.CheckedTransport`, which refuses link-local and cloud-metadata addresses after DNS;
`transport=` lets tests inject faults with `httpx.MockTransport` instead of patching. `on_wait=` (per call)
hears about a Retry-After wait second by second, so a page can count it down instead of looking frozen.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any, Literal, NoReturn
from urllib.parse import quote

import httpx
from httpx_sse import EventSource, connect_sse
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from playground.addresses import CheckedTransport
from playground.errors import (
    BadRequestError,
    PlaygroundError,
    StreamCutError,
    StreamDecodeError,
)
from playground.http_errors import TOO_DEEP, error_from_status, loads, read_json, status_of_stream_error, transport_errors
from playground.response import (
    Completion,
    Done,
    StreamAccumulator,
    TextDelta,
    ThinkingDelta,
    from_chat_completion,
)
from playground.retries import RETRY_AFTER_CAP, Deadline, WaitHook, retrying

__all__ = ["RETRY_AFTER_CAP", "ChatClient", "ClientConfig", "ModelInfo", "Token", "WaitHook", "error_from_status"]

log = logging.getLogger(__name__)


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
    inputs: list[str] | None = None  # what the model reads ("text", "image"), where the server says (input_modalities)

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> ModelInfo:
        meta = entry.get("meta")
        # our gateway and OpenRouter say context_length; llama.cpp's server says meta.n_ctx (one slot's)
        context = entry.get("context_length", entry.get("context_window", meta.get("n_ctx") if isinstance(meta, dict) else None))
        ok = isinstance(context, int) and not isinstance(context, bool) and context > 0
        owner = entry.get("owned_by")
        inputs = entry.get("input_modalities")
        return cls(
            id=str(entry["id"]),
            context_length=context if ok else None,
            owned_by=owner if isinstance(owner, str) else None,
            inputs=[str(i) for i in inputs] if isinstance(inputs, list) else None,
        )


class Token(BaseModel):
    """One token of `POST /v1/tokenize-text`."""

    token_id: int
    string_token: str
    token_bytes: list[int] = Field(default_factory=list)


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

    def _retrying(self, method: str, deadline: Deadline, on_wait: WaitHook | None = None) -> Any:
        return retrying(method, deadline, attempts=self._config.max_retries + 1, timeout=self._config.timeout, on_wait=on_wait)

    def _send_once(self, method: str, path: str, json_body: dict[str, Any] | None, deadline: Deadline) -> httpx.Response:
        """One attempt, its body read in pieces so the deadline holds however slowly it comes."""
        with (
            transport_errors(),
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
        deadline = Deadline(self._config.timeout)
        response: httpx.Response | None = None
        for attempt in self._retrying(method, deadline, on_wait):
            with attempt:
                response = self._send_once(method, path, json_body, deadline)
        assert response is not None
        return response

    # -- API ----------------------------------------------------------------------------------

    def models(self) -> list[ModelInfo]:
        """`GET /models` with what each entry says of its context (our gateway and some servers do; xAI does not)."""
        data = read_json(self._send("GET", "models"), self._secret())
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise StreamDecodeError("GET /models did not answer with a list under 'data'")
        return [ModelInfo.from_entry(m) for m in items if isinstance(m, dict) and m.get("id") is not None]

    def language_models(self) -> list[ModelInfo]:
        """xAI's `GET /language-models` (`{"models": [...]}`): its chat models with what each reads (input_modalities)."""
        data = read_json(self._send("GET", "language-models"), self._secret())
        items = data.get("models") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise StreamDecodeError("GET /language-models did not answer with a list under 'models'")
        return [ModelInfo.from_entry(m) for m in items if isinstance(m, dict) and m.get("id") is not None]

    def complete(self, body: dict[str, Any], *, on_wait: WaitHook | None = None) -> Completion:
        """One non-streamed completion. `stream` and `deferred` are dropped: those have their own methods."""
        payload = {k: v for k, v in body.items() if k not in ("stream", "stream_options", "deferred")}
        data = read_json(self._send("POST", "chat/completions", payload, on_wait), self._secret())
        if not isinstance(data, dict):
            raise StreamDecodeError("the answer is not a JSON object")
        return from_chat_completion(data, stop=_stop_list(body))

    def submit_deferred(self, body: dict[str, Any], *, on_wait: WaitHook | None = None) -> str:
        """Start a deferred completion; returns its request_id (fetch it once with `poll_deferred`)."""
        payload = {k: v for k, v in body.items() if k not in ("stream", "stream_options")}
        payload["deferred"] = True
        data = read_json(self._send("POST", "chat/completions", payload, on_wait), self._secret())
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
        data = read_json(response, self._secret())
        if not isinstance(data, dict):
            raise StreamDecodeError("the deferred result is not a JSON object")
        return from_chat_completion(data, request_id=request_id, stop=_stop_list({"stop": stop}))

    def tokenize(self, text: str, model: str) -> list[Token]:
        """`POST /tokenize-text` -> the tokens of `text` under `model`'s tokenizer."""
        data = read_json(self._send("POST", "tokenize-text", {"text": text, "model": model}), self._secret())
        items = data.get("token_ids") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise StreamDecodeError("POST /tokenize-text did not answer with 'token_ids'")
        try:
            return [Token.model_validate(item) for item in items]
        except ValueError as exc:
            raise StreamDecodeError(f"unexpected token entry in /tokenize-text answer: {exc}") from exc

    # -- streaming ----------------------------------------------------------------------------

    def _open_stream(self, payload: dict[str, Any], deadline: Deadline) -> tuple[ExitStack, EventSource]:
        """Open the SSE response and check its status; the caller owns (and closes) the stack."""
        stack = ExitStack()
        try:
            with transport_errors():
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

        deadline = Deadline(self._config.timeout)
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
                with transport_errors(streaming=True):
                    response.read()
                data = read_json(response, self._secret())
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
            with transport_errors(streaming=True):
                for event in source.iter_sse():
                    data_text = event.data.strip()
                    if not data_text:
                        continue
                    if data_text == "[DONE]":
                        saw_done = True
                        break
                    try:
                        chunk = loads(data_text)
                    except ValueError as exc:
                        if isinstance(exc.__cause__, RecursionError):
                            raise StreamDecodeError(
                                f"A stream event cannot be read: {TOO_DEEP}. The text received is kept."
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
        error = error_from_status(status_of_stream_error(chunk), json.dumps(chunk).encode(), None, self._secret())
        if after_text:
            error.args = (f"{error} The text received before it is kept.",)
        return error
