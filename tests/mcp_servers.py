"""MCP servers for the tests, offline: a small streamable-HTTP server written with the SDK (served by uvicorn on
a thread), and the command lines of `mcp-server-time` (PyPI, stdio) and of programs that misbehave."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import ImageContent

from tests.processes import free_port

# PLAYGROUND_MCP_SERVERS naming mcp-server-time, as an operator configures it (local time fixed to UTC).
TIME_SERVER = {"time": {"command": sys.executable, "args": ["-m", "mcp_server_time", "--local-timezone", "UTC"]}}
TIME_ENV = json.dumps(TIME_SERVER)
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()


def small_server() -> MCPServer:
    """Tools with each kind of answer: a sum (JSON), a greeting (text), a refusal, an image, and a slow one."""
    server = MCPServer("tests")

    @server.tool(description="Add two integers.")
    def add(a: int, b: int) -> dict[str, int]:
        return {"sum": a + b}

    @server.tool(description="Greet someone.")
    def greet(name: str) -> str:
        return f"Hello, {name}!"

    @server.tool(description="Always refuses.")
    def refuse() -> str:
        raise ToolError("no, not today")  # the SDK passes a ToolError's words on; others it hides

    @server.tool(description="A tiny picture.")
    def picture() -> ImageContent:
        return ImageContent(type="image", data=PNG, mime_type="image/png")

    @server.tool(description="Sleeps for the seconds asked.")
    async def slow(seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "done"

    return server


@contextmanager
def http_server(*, redirect_to: str | None = None, host_names: tuple[str, ...] = ()) -> Iterator[str]:
    """The small server over streamable HTTP on 127.0.0.1; yields its URL (…/mcp). It answers requests naming
    127.0.0.1, localhost or one of `host_names` as their Host (the SDK's DNS-rebinding guard). With `redirect_to`,
    a server that answers every request with a 307 to that address instead."""
    port = free_port()
    hosts = ["127.0.0.1:*", "localhost:*", *(f"{h}:*" for h in host_names)]
    app: Any = small_server().streamable_http_app(transport_security=TransportSecuritySettings(allowed_hosts=hosts))
    if redirect_to is not None:

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            head = [(b"location", redirect_to.encode()), (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 307, "headers": head})
            await send({"type": "http.response.body", "body": b""})

    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off" if redirect_to else "auto")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        server.should_exit = True
        thread.join(10)
