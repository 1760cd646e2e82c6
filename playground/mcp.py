"""MCP servers: list a server's tools and call one, with the official SDK (`mcp`), never blocking forever.

Two kinds of server. A local command (stdio) comes only from the operator's `PLAYGROUND_MCP_SERVERS` (a JSON
object of name -> {"command", "args", "env"} or {"url"}): a visitor can never start a program. A streamable-HTTP
URL may also be typed by the person; it follows the base-URL rules and allow-list (`backends.check_visitor_url`),
and every connection to a URL, after DNS, goes only to an address those rules let through (as a model server's).

The SDK is async: each call opens a session on a private event loop in a thread of its own, does one thing
(list, or call), and closes the session (the stdio server's process ends with it). The caller waits at most
the timeout and a short grace for closing. Every failure is an `McpError` in plain words.
"""

from __future__ import annotations

import json
import re
import tempfile
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio
import httpx2
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from playground import addresses, backends
from playground.demo_tools import ToolResult, parse_arguments
from playground.errors import PlaygroundError, RequestError

__all__ = [
    "ENV_MCP_SERVERS",
    "Connections",
    "McpBadResult",
    "McpConfigError",
    "McpError",
    "McpServerDown",
    "McpTimeout",
    "McpTool",
    "Server",
    "call_tool",
    "configured",
    "find",
    "list_tools",
    "typed_server",
]

ENV_MCP_SERVERS = "PLAYGROUND_MCP_SERVERS"
LIST_TIMEOUT_S = 30.0  # starting a stdio server (a Python program) and listing its tools
CALL_TIMEOUT_S = 30.0  # one tool call, session included
HTTP_TIMEOUT_S, HTTP_READ_TIMEOUT_S = 30.0, 300.0  # the SDK's own defaults; the calls' timeouts above bound them
CLOSE_GRACE_S = 5.0  # beyond the timeout, for the session and its process to close
MAX_RESULT_CHARS = 100_000  # a result longer than this is refused: it would not fit the small model's context anyway
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_T = TypeVar("_T")


class McpError(PlaygroundError):
    """An MCP server could not be used; the message says which server and why, in plain words."""


class McpConfigError(McpError):
    """The operator's PLAYGROUND_MCP_SERVERS cannot be read."""


class McpServerDown(McpError):
    """The server could not be started or reached, or it closed the connection."""


class McpTimeout(McpError):
    """The server did not answer within the timeout."""


class McpBadResult(McpError):
    """The server's result is neither JSON nor text (an image, a file), or far too long."""


class Server(BaseModel):
    """One MCP server: a configured command (stdio) or a streamable-HTTP URL. `name` is how the page names it:
    the operator's name, or the URL itself for one a person typed."""

    model_config = ConfigDict(frozen=True)
    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] = Field(default_factory=dict)
    url: str | None = None
    typed: bool = False  # typed by a person (a URL), not configured by the operator

    def words(self) -> str:
        """How a sentence about this server begins: "The MCP server at …" or "The MCP server “name”"."""
        return f"The MCP server at {self.url}" if self.typed else f"The MCP server “{self.name}”"


class McpTool(BaseModel):
    """A tool a server offers: its name, description and input JSON Schema, and the server's name."""

    model_config = ConfigDict(frozen=True)
    server: str
    name: str
    description: str = ""
    input_schema: dict[str, Any] = Field(default_factory=dict)

    def definition(self) -> dict[str, Any]:
        """The tool in the API's shape, ready for the request's `tools`."""
        schema = self.input_schema or {"type": "object", "properties": {}}
        return {"type": "function", "function": {"name": self.name, "description": self.description, "parameters": schema}}


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    url: str | None = None


def configured(env: Mapping[str, str]) -> list[Server]:
    """The operator's servers from PLAYGROUND_MCP_SERVERS; none when it is unset. Raises McpConfigError."""
    text = (env.get(ENV_MCP_SERVERS) or "").strip()
    if not text:
        return []
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise McpConfigError(f"{ENV_MCP_SERVERS} is not JSON: {exc}.") from None
    if not isinstance(raw, dict):
        raise McpConfigError(f'{ENV_MCP_SERVERS} must be a JSON object like {{"time": {{"command": "mcp-server-time"}}}}.')
    out = []
    for name, value in raw.items():
        if not _NAME.match(name):
            raise McpConfigError(f"{ENV_MCP_SERVERS}: the name {name[:60]!r} must be 1–40 letters, digits, _ or -.")
        try:
            entry = _Entry.model_validate(value)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise McpConfigError(f"{ENV_MCP_SERVERS}: {name}{'.' + where if where else ''}: {first['msg']}.") from None
        if (entry.command is None) == (entry.url is None):
            raise McpConfigError(f"{ENV_MCP_SERVERS}: {name} needs either a command or a url (one of them).")
        out.append(Server(name=name, command=entry.command, args=tuple(entry.args), env=entry.env, url=entry.url))
    return out


def typed_server(url: str, env: Mapping[str, str], secrets: Mapping[str, object]) -> Server:
    """A streamable-HTTP server a person typed: checked like a base URL. Raises RequestError on `base_url`."""
    normal = backends.check_visitor_url(url, env, secrets)
    return Server(name=normal, url=normal, typed=True)


def find(name: str, env: Mapping[str, str], secrets: Mapping[str, object]) -> Server:
    """The server a tool row names: a configured one by name, else a URL (checked as typed). Raises McpError."""
    for server in configured(env):
        if server.name == name:
            return server
    if name.startswith(("http://", "https://")):
        try:
            return typed_server(name, env, secrets)
        except RequestError as exc:
            raise McpServerDown(f"The MCP server at {name} cannot be used: {exc.errors[0].message}") from None
    raise McpServerDown(f"No MCP server named “{name}” is configured here (the operator's {ENV_MCP_SERVERS}).")


class Connections(BaseModel):
    """What one person's session listed: each server's tools, or why they could not be listed, by server name.
    `names` are the servers to offer: the operator's, then the URLs this person connected."""

    configured: list[str] = Field(default_factory=list)
    config_error: str | None = None
    tools: dict[str, list[McpTool]] = Field(default_factory=dict)
    errors: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def of(cls, env: Mapping[str, str], previous: Connections | None = None) -> Connections:
        """The operator's servers as they are configured now, keeping what `previous` listed."""
        kept = previous.model_dump() if previous is not None else {}
        try:
            names = [s.name for s in configured(env)]
        except McpConfigError as exc:
            return cls(**{**kept, "configured": [], "config_error": str(exc)})
        return cls(**{**kept, "configured": names, "config_error": None})

    @property
    def names(self) -> list[str]:
        typed = [n for n in [*self.tools, *self.errors] if n not in self.configured]
        return [*self.configured, *dict.fromkeys(typed)]

    def connect(self, name: str, env: Mapping[str, str], secrets: Mapping[str, object]) -> None:
        """List the tools of the server named `name` (configured, or a URL the person typed): kept, or the error."""
        self.errors.pop(name, None)
        try:
            server = typed_server(name, env, secrets) if name.startswith(("http://", "https://")) else find(name, env, secrets)
            self.tools[server.name] = list_tools(server)
        except RequestError as exc:
            self.errors[name] = exc.errors[0].message
        except McpError as exc:
            self.errors[name] = str(exc)


# ---------------------------------------------------------------------------------------------- running


def _client(server: Server, errlog: Any) -> Client:
    if server.command is not None:
        params = StdioServerParameters(command=server.command, args=list(server.args), env=server.env or None)
        return Client(stdio_client(params, errlog=errlog))
    assert server.url is not None
    return Client(_checked_http(server.url))


@asynccontextmanager
async def _checked_http(url: str) -> AsyncIterator[Any]:
    """The SDK's streamable-HTTP transport over an httpx2 client whose connections go only to addresses the
    base-URL rules let through, after DNS (`addresses.CheckedAsyncTransport`); redirects the SDK follows (within
    the URL's origin) connect through it too."""
    timeout = httpx2.Timeout(HTTP_TIMEOUT_S, read=HTTP_READ_TIMEOUT_S)
    async with httpx2.AsyncClient(transport=addresses.CheckedAsyncTransport(), timeout=timeout) as http:
        async with streamable_http_client(url, http_client=http) as streams:
            yield streams


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in _leaves(sub)]
    return [exc]


def _plain(exc: BaseException, server: Server, doing: str, timeout: float, said: str) -> BaseException:
    """The SDK's failure as an McpError; anything else (a bug) is returned as it is, to be raised."""
    leaves = _leaves(exc)
    if mine := [e for e in leaves if isinstance(e, McpError)]:
        return mine[0]
    if refused := [e for e in leaves if isinstance(e, RequestError)]:  # an address the playground never calls
        return McpServerDown(f"{server.words()} cannot be used: {refused[0].errors[0].message}")
    tail = f" It said: {said}" if said else ""
    if any(isinstance(e, TimeoutError) for e in leaves):
        return McpTimeout(f"{server.words()} did not answer within {timeout:g} s while {doing}.{tail}")
    for e in leaves:
        if isinstance(e, OSError):
            return McpServerDown(f"{server.words()} could not be started: {e.strerror or e}.{tail}")
        if isinstance(e, httpx2.HTTPError):
            return McpServerDown(f"{server.words()} cannot be reached: {e}.")
        if isinstance(e, MCPError):
            if "closed" in str(e).lower():
                return McpServerDown(f"{server.words()} closed the connection while {doing}.{tail}")
            return McpError(f"{server.words()} answered with an error while {doing}: {e}.")
        if isinstance(e, ValidationError):
            return McpBadResult(f"{server.words()} answered something that is not MCP while {doing}.")
    return exc


def _run(server: Server, doing: str, timeout: float, work: Callable[[Client], Awaitable[_T]]) -> _T:
    """Open a session, do `work` and close, on a private event loop in a thread; wait at most timeout + grace."""
    box: dict[str, Any] = {}

    async def bounded(errlog: Any) -> _T:
        with anyio.fail_after(timeout):
            async with _client(server, errlog) as client:
                return await work(client)

    def target() -> None:
        with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errlog:
            try:
                box["value"] = anyio.run(bounded, errlog)
            except BaseException as exc:  # handed to the caller's thread below
                errlog.seek(0)
                lines = [line.strip() for line in errlog.read()[-2000:].splitlines() if line.strip()]
                box["error"] = _plain(exc, server, doing, timeout, lines[-1][:300] if lines else "")

    thread = threading.Thread(target=target, name=f"mcp {server.name[:40]}", daemon=True)
    thread.start()
    thread.join(timeout + CLOSE_GRACE_S)
    if thread.is_alive():
        raise McpTimeout(f"{server.words()} did not answer within {timeout:g} s while {doing}.")
    if "error" in box:
        raise box["error"]
    return box["value"]


def list_tools(server: Server, *, timeout: float = LIST_TIMEOUT_S) -> list[McpTool]:
    """The server's tools. Raises McpError."""

    async def work(client: Client) -> list[McpTool]:
        listed = await client.list_tools()
        return [
            McpTool(server=server.name, name=t.name, description=t.description or "", input_schema=dict(t.input_schema or {}))
            for t in listed.tools
        ]

    return _run(server, "listing its tools", timeout, work)


def _result_text(result: Any, server: Server, name: str) -> str:
    if result.structured_content is not None and not result.is_error:
        return json.dumps(result.structured_content, ensure_ascii=False)
    parts = []
    for block in result.content:
        if getattr(block, "type", None) != "text":
            raise McpBadResult(
                f"{server.words()} answered {name} with {getattr(block, 'type', 'something')} content, "
                "which cannot be passed to the model as text."
            )
        parts.append(block.text)
    text = "\n".join(parts)
    if len(text) > MAX_RESULT_CHARS:
        raise McpBadResult(f"{server.words()} answered {name} with {len(text):,} characters, more than {MAX_RESULT_CHARS:,}.")
    return text


def call_tool(
    server: Server, name: str, arguments: Mapping[str, Any] | str | None, *, timeout: float = CALL_TIMEOUT_S
) -> ToolResult:
    """Call tool `name` with `arguments` (an object, or its JSON text). A refusal by the tool itself (the server's
    `isError`) is an error result the model can read; a server that fails is an McpError (or ToolError for
    arguments that are not a JSON object)."""
    args = parse_arguments(arguments)

    async def work(client: Client) -> ToolResult:
        result = await client.call_tool(name, args)
        text = _result_text(result, server, name)
        return ToolResult.fail(text) if result.is_error else ToolResult(content=text)

    return _run(server, f"running {name}", timeout, work)
