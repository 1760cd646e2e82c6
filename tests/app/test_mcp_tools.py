"""MCP servers in the sidebar's "Add a tool" and on the Tools & schemas page, under AppTest, against the tests'
own streamable-HTTP MCP server (configured by the operator, or typed by the person)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from components import state as keys
from playground import mcp
from playground.library import Library
from tests.markdown import readable
from tests.mcp_servers import http_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with http_server(host_names=("tools.example.test",)) as address:
        yield address


@pytest.fixture
def at(gateway, url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    monkeypatch.setenv(mcp.ENV_MCP_SERVERS, json.dumps({"tests": {"url": url}}))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.run()
    assert not app.exception, app.exception
    yield app


def texts(app: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "error", "info", "warning", "text", "code") for e in getattr(app, kind)]
    return readable("\n".join(str(p) for p in parts))


def test_a_configured_servers_tools_are_added_from_the_menu_and_remember_their_server(at: AppTest) -> None:
    at.button(key=keys.mcp_connect("tests")).click().run()
    assert not at.exception, at.exception
    at.button(key=keys.mcp_tool("tests", "add")).click().run()
    assert not at.exception, at.exception
    rows = at.session_state[keys.BUILDER_TOOLS]
    assert [(r["form"]["name"] if "form" in r else r["json"]["function"]["name"], r.get("server")) for r in rows] == [
        ("add", "tests")
    ]
    settings = at.session_state[keys.NOTEBOOK].settings
    assert settings["tools"][0]["function"]["parameters"]["required"] == ["a", "b"]  # its JSON Schema, as listed


def test_a_typed_url_is_checked_and_a_server_that_is_down_is_said_next_to_it(at: AppTest, url: str) -> None:
    at.text_input(key=keys.MCP_URL).set_value("http://169.254.169.254/mcp")
    at.button(key=keys.MCP_URL_CONNECT).click().run()
    assert not at.exception and ("link-local" in texts(at) or "metadata" in texts(at))
    at.text_input(key=keys.MCP_URL).set_value(url)
    at.button(key=keys.MCP_URL_CONNECT).click().run()
    assert at.button(key=keys.mcp_tool(url, "greet")) is not None
    at.text_input(key=keys.MCP_URL).set_value("http://127.0.0.1:1/mcp")
    at.button(key=keys.MCP_URL_CONNECT).click().run()
    assert "cannot be reached" in texts(at) and at.text_input(key=keys.MCP_URL).value == "http://127.0.0.1:1/mcp"


def test_the_tools_page_shows_a_servers_schemas_and_copies_a_tool_into_the_library(at: AppTest) -> None:
    at.switch_page("views/tools.py").run()
    at.button(key=keys.mcp_connect("tests")).click().run()
    assert not at.exception, at.exception
    assert any('"required"' in c.value and '"a"' in c.value for c in at.code)  # the input schema, read-only
    at.button(key=keys.mcp_tool("tests", "add")).click().run()
    (item,) = Library().list("tool")
    assert item.name == "add" and item.value["function"]["parameters"]["required"] == ["a", "b"]
    assert "Copied add from tests into your library" in texts(at)


def _in_order(node: Any) -> list[Any]:
    """The elements under `node` in the order the page draws them."""
    children = getattr(node, "children", None)
    if children is None:
        return [node]
    return [leaf for key in sorted(children) for leaf in _in_order(children[key])]


def test_a_typed_name_that_resolves_to_a_metadata_address_is_refused_under_the_url_field(
    at: AppTest, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = {"metadata-alias.example.test": "169.254.169.254", "tools.example.test": "127.0.0.1"}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:  # fault injection: the DNS answer
        if (address := answers.get(host.decode() if isinstance(host, bytes) else host)) is None:
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    port = url.split(":")[2].split("/")[0]
    typed = f"http://metadata-alias.example.test:{port}/mcp"
    at.text_input(key=keys.MCP_URL).set_value(typed)
    at.button(key=keys.MCP_URL_CONNECT).click().run()
    assert not at.exception, at.exception
    drawn = _in_order(at.sidebar)
    field = next(i for i, e in enumerate(drawn) if getattr(e, "key", None) == keys.MCP_URL)
    (error,) = [readable(e.value) for e in drawn[field:] if e.type == "error"]  # under the field
    assert "The playground never calls metadata-alias.example.test: it resolves to 169.254.169.254, a cloud's metadata" in error
    assert at.text_input(key=keys.MCP_URL).value == typed  # nothing lost: the address is there to correct
    allowed = f"http://tools.example.test:{port}/mcp"  # a name that resolves to an address the rules let through
    at.text_input(key=keys.MCP_URL).set_value(allowed)
    at.button(key=keys.MCP_URL_CONNECT).click().run()
    assert at.button(key=keys.mcp_tool(allowed, "greet")) is not None
