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

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
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
def http_server() -> Iterator[str]:
    """The small server over streamable HTTP on 127.0.0.1; yields its URL (…/mcp)."""
    port = free_port()
    config = uvicorn.Config(small_server().streamable_http_app(), host="127.0.0.1", port=port, log_level="warning")
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
