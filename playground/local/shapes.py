"""What the gateway answers, in OpenAI's and xAI's shapes: the error body (OpenAI's; xAI's flat one for an image part
the model cannot read), usage, logprobs, stop word, tokenize items."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from playground.errors import PlaygroundError, RequestError


class ApiError(PlaygroundError):
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


class XaiApiError(ApiError):
    """An error answered in xAI's flat shape, `{"code": <gRPC status text>, "error": <message>}`, plus `param`
    (which xAI's own errors leave out) naming the field, so a client that reads it can point at that field."""

    def body(self) -> dict[str, Any]:
        return {"code": _GRPC_STATUS_TEXT[self.status], "error": self.message, "param": self.param}


_GRPC_STATUS_TEXT = {400: "Client specified an invalid argument"}  # what api.x.ai says as `code`, by HTTP status


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


def bad_request(exc: RequestError) -> ApiError:
    """A RequestError as a 400 naming its first field."""
    first = exc.errors[0] if exc.errors else None
    return ApiError(
        400, str(exc) or "Invalid request", param=first.field if first else None, code=first.code if first else "invalid_request"
    )
