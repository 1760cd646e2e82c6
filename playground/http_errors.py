"""What a server's answer or a broken connection means, as `playground.errors` types: the error body in
any of the shapes servers use (OpenAI's `{"error":{…}}`, xAI's flat `{"code","error"}`, FastAPI's
`{"detail"}`, an HTML page, plain text), the status, Retry-After, and an error event inside a stream.
Every message keeps the server's own words, never the API key, and ends with what to do next.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from playground.errors import (
    AuthError,
    BadRequestError,
    NetworkError,
    RateLimitError,
    RequestTimeout,
    ServerError,
    StreamCutError,
    StreamDecodeError,
    UpstreamError,
)

__all__ = ["TOO_DEEP", "error_from_status", "loads", "read_json", "status_of_stream_error", "transport_errors"]

_MAX_MESSAGE = 600  # characters of a non-JSON error body kept in a message
_MAX_HTML_WORDS = 200  # characters of an HTML error page's text kept in a message
_API_KEY_WORDS = re.compile(r"api[ _-]?key", re.IGNORECASE)


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


TOO_DEEP = "it is nested too deeply to read (thousands of brackets inside each other)"


def loads(text: str | bytes) -> Any:
    """`json.loads`; a document nested past what Python can parse is a ValueError naming that, not a RecursionError."""
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise ValueError(TOO_DEEP) from exc


def _read_error_body(body: bytes) -> tuple[str, str | None, str | None]:
    """(server message, param, code) from OpenAI's `{"error":{…}}`, xAI's flat `{"code","error"}`,
    FastAPI's `{"detail"}`, or plain text."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        data = loads(text) if text else None
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
def transport_errors(*, streaming: bool = False) -> Iterator[None]:
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


def read_json(response: httpx.Response, secret: str | None = None) -> Any:
    try:
        return loads(response.content)
    except ValueError as exc:
        if isinstance(exc.__cause__, RecursionError):
            raise StreamDecodeError(
                f"The server's answer cannot be read (HTTP {response.status_code}): {TOO_DEEP}. "
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


def status_of_stream_error(chunk: dict[str, Any]) -> int:
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
