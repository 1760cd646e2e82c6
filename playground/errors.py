"""Every error the playground raises on purpose, in one hierarchy (after encode/httpx's `_exceptions.py`).
The classes below are defined here; those marked with a module live beside the code that raises them.

    PlaygroundError
    ├── RequestError            a request could not be built; `.errors` lists FieldError (field, message, code)
    │   ├── CompareSetupError   (compare.setup) a comparison could not be set up
    │   ├── VariableError       (evaluate.variables) a {{variable}} with a bad name or no value
    │   └── PlanError           (evaluate.plan) an evaluation that cannot run yet; each problem on its input's path
    ├── TransportError          nothing usable came back
    │   ├── RequestTimeout      the server did not answer in time, or the call's deadline passed
    │   └── NetworkError        connection refused, DNS, reset
    ├── UpstreamError           the server answered with an error status; `.status`, `.server_message`, `.param`,
    │   │                       `.retry_after` seconds when the server said (429, 503)
    │   ├── AuthError           401/403, and xAI's 400 "Incorrect API key"
    │   ├── RateLimitError      429
    │   ├── BadRequestError     400/404/422 with the server's own message
    │   └── ServerError         5xx
    ├── StreamDecodeError       a malformed body
    │   └── StreamCutError      a stream that broke off before the answer finished
    ├── StoreError              the notebook store failed
    │   ├── ConflictError       (store) another tab saved the notebook first
    │   ├── DeletedError        (store) the notebook was deleted elsewhere
    │   └── NewerSchemaError    (store) migrated by a newer playground; left as it is
    ├── InputError              (schema.models) pasted text is not JSON, or not a tool / response schema
    ├── FormError               (schema.models) the form cannot be written as JSON
    ├── NotRepresentable        (schema.models) the schema uses constructs the form cannot show
    ├── ToolError               (demo_tools) a demo tool refused; the model is told why
    ├── CasesError              (evaluate.cases) a file or pasted text is not a table of test cases
    ├── McpError                (mcp) an MCP server could not be used, or answered with an error
    │   ├── McpConfigError      (mcp) the operator's PLAYGROUND_MCP_SERVERS cannot be read
    │   ├── McpServerDown       (mcp) not started, not reached, or closed the connection
    │   ├── McpTimeout          (mcp) no answer within the timeout
    │   └── McpBadResult        (mcp) a result that is neither JSON nor text, or far too long
    └── ApiError                (local.shapes) the gateway's refusal, answered in OpenAI's error shape
        └── XaiApiError         (local.shapes) the same, in xAI's flat shape (an image sent to a text-only model)

Messages never contain an API key: build them from server text and field names only.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AuthError",
    "BadRequestError",
    "FieldError",
    "NetworkError",
    "PlaygroundError",
    "RateLimitError",
    "RequestError",
    "RequestTimeout",
    "ServerError",
    "StoreError",
    "StreamCutError",
    "StreamDecodeError",
    "TransportError",
    "UpstreamError",
]


class PlaygroundError(Exception):
    """Base of every error the playground raises on purpose."""


@dataclass(frozen=True)
class FieldError:
    """One problem with one field. `field` is a dotted path like `messages.0.role` or `temperature`."""

    field: str
    message: str
    code: str


class RequestError(PlaygroundError):
    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))

    def for_field(self, key: str) -> list[FieldError]:
        """Errors on `key` or below it (`messages` matches `messages.0.role`)."""
        return [e for e in self.errors if e.field == key or e.field.startswith(key + ".")]


class TransportError(PlaygroundError):
    pass


class RequestTimeout(TransportError):
    """The server did not answer in time, or the whole call ran past its deadline."""


class NetworkError(TransportError):
    pass


class UpstreamError(PlaygroundError):
    def __init__(
        self,
        message: str,
        *,
        status: int,
        server_message: str = "",
        param: str | None = None,
        advice: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.server_message = server_message
        self.param = param
        self.advice = advice  # what to do next, in plain words (also the end of `message`)
        self.retry_after = retry_after  # seconds, from the server's Retry-After header
        super().__init__(message)


class AuthError(UpstreamError):
    pass


class RateLimitError(UpstreamError):
    def __init__(
        self,
        message: str,
        *,
        status: int = 429,
        server_message: str = "",
        param: str | None = None,
        advice: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message, status=status, server_message=server_message, param=param, advice=advice, retry_after=retry_after
        )


class BadRequestError(UpstreamError):
    pass


class ServerError(UpstreamError):
    pass


class StreamDecodeError(PlaygroundError):
    pass


class StreamCutError(StreamDecodeError):
    pass


class StoreError(PlaygroundError):
    pass
