"""playground/mcp.py against real MCP servers, offline: mcp-server-time over stdio, the tests' own server over
streamable HTTP, and programs that fail to start, exit at once or never answer."""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from playground import mcp
from playground.demo_tools import ToolError
from playground.errors import PlaygroundError, RequestError
from tests.mcp_servers import TIME_ENV, http_server
from tests.processes import free_port


@pytest.fixture(scope="module")
def http_url() -> Iterator[str]:
    with http_server(host_names=("tools.example.test",)) as url:
        yield url


def _time() -> mcp.Server:
    return mcp.configured({mcp.ENV_MCP_SERVERS: TIME_ENV})[0]


def _program(code: str) -> mcp.Server:
    return mcp.Server(name="odd", command=sys.executable, args=("-c", code))


# ------------------------------------------------------------------------------------ configuration


def test_the_operators_servers_are_read_from_json() -> None:
    env = {
        mcp.ENV_MCP_SERVERS: json.dumps(
            {"time": {"command": "t", "args": ["-x"], "env": {"A": "1"}}, "web": {"url": "http://h/mcp"}}
        )
    }
    time_server, web = mcp.configured(env)
    assert (time_server.name, time_server.command, time_server.args, time_server.env) == ("time", "t", ("-x",), {"A": "1"})
    assert (web.name, web.url, web.typed) == ("web", "http://h/mcp", False)
    assert mcp.configured({}) == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{not json", "is not JSON"),
        ("[1]", "must be a JSON object"),
        ('{"a b": {"command": "x"}}', "letters, digits"),
        ('{"t": {"command": "x", "url": "http://h"}}', "either a command or a url"),
        ('{"t": {}}', "either a command or a url"),
        ('{"t": {"command": "x", "shell": true}}', "t.shell"),
        ('{"t": {"command": "x", "args": "-v"}}', "t.args"),
    ],
)
def test_a_bad_configuration_says_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(mcp.McpConfigError, match="PLAYGROUND_MCP_SERVERS") as caught:
        mcp.configured({mcp.ENV_MCP_SERVERS: text})
    assert words in str(caught.value)


def test_a_typed_url_follows_the_base_url_rules_and_the_allow_list() -> None:
    assert mcp.typed_server("HTTP://Example.COM/mcp/", {}, {}).url == "http://example.com/mcp"
    with pytest.raises(RequestError, match="metadata|link-local"):
        mcp.typed_server("http://169.254.169.254/mcp", {}, {})
    allowed = {"PLAYGROUND_ALLOWED_BASE_URLS": "http://tools.internal:9000"}
    assert mcp.typed_server("http://tools.internal:9000/mcp", allowed, {}).typed
    with pytest.raises(RequestError, match="only calls the servers its operator listed"):
        mcp.typed_server("http://elsewhere:9000/mcp", allowed, {})


def test_a_visitor_names_no_command_only_configured_servers_or_urls() -> None:
    env = {mcp.ENV_MCP_SERVERS: TIME_ENV}
    assert mcp.find("time", env, {}).command == sys.executable
    with pytest.raises(mcp.McpServerDown, match="No MCP server named “rm -rf /” is configured"):
        mcp.find("rm -rf /", env, {})
    with pytest.raises(mcp.McpServerDown, match="cannot be used"):
        mcp.find("http://169.254.169.254/mcp", env, {})
    assert mcp.find("http://127.0.0.1:1/mcp", env, {}).typed


# ------------------------------------------------------------------------------------ stdio: mcp-server-time


def test_the_time_server_lists_its_tools_with_their_schemas() -> None:
    tools = {t.name: t for t in mcp.list_tools(_time())}
    assert {"get_current_time", "convert_time"} <= set(tools)
    tool = tools["get_current_time"]
    assert tool.server == "time" and tool.description
    assert tool.input_schema["required"] == ["timezone"]
    assert tool.definition()["function"]["parameters"]["properties"]["timezone"]["type"] == "string"


def test_the_time_server_answers_a_call_with_json_and_refuses_a_bad_zone_in_words() -> None:
    result = mcp.call_tool(_time(), "get_current_time", '{"timezone": "Asia/Tokyo"}')
    value = json.loads(result.content)
    assert not result.error and value["timezone"] == "Asia/Tokyo" and value["datetime"].endswith("+09:00")
    refused = mcp.call_tool(_time(), "get_current_time", {"timezone": "Nowhere/Atlantis"})
    assert refused.error and "Nowhere/Atlantis" in json.loads(refused.content)["error"]


def test_arguments_that_are_not_an_object_are_refused_before_the_server_starts() -> None:
    with pytest.raises(ToolError, match="JSON object"):
        mcp.call_tool(_time(), "get_current_time", "[1, 2]")


# ------------------------------------------------------------------------------------ failures, in plain words


def test_a_command_that_does_not_exist_is_a_server_down() -> None:
    with pytest.raises(mcp.McpServerDown, match="“gone” could not be started"):
        mcp.list_tools(mcp.Server(name="gone", command="/nonexistent/mcp-server"))


def test_a_server_that_exits_at_once_is_down_and_its_last_words_are_shown() -> None:
    server = _program("import sys; print('missing licence file', file=sys.stderr); sys.exit(3)")
    with pytest.raises(mcp.McpServerDown, match="closed the connection while listing its tools") as caught:
        mcp.list_tools(server)
    assert "missing licence file" in str(caught.value)


def test_a_server_that_never_answers_times_out_and_the_caller_gets_control_back() -> None:
    started = time.monotonic()
    with pytest.raises(mcp.McpTimeout, match="did not answer within 1 s while listing its tools"):
        mcp.list_tools(_program("import time; time.sleep(60)"), timeout=1)
    assert time.monotonic() - started < 1 + mcp.CLOSE_GRACE_S + 1


def test_every_failure_is_a_playground_error() -> None:
    for cls in (mcp.McpError, mcp.McpServerDown, mcp.McpTimeout, mcp.McpBadResult, mcp.McpConfigError):
        assert issubclass(cls, PlaygroundError)


# ------------------------------------------------------------------------------------ streamable HTTP


def test_an_http_server_lists_and_answers_json_and_text(http_url: str) -> None:
    server = mcp.typed_server(http_url, {}, {})
    tools = {t.name: t for t in mcp.list_tools(server)}
    assert tools["add"].input_schema["required"] == ["a", "b"] and tools["add"].server == http_url
    assert json.loads(mcp.call_tool(server, "add", {"a": 12, "b": 30}).content) == {"sum": 42}
    assert "Hello, Ada!" in mcp.call_tool(server, "greet", {"name": "Ada"}).content


def test_an_http_tool_that_raises_is_an_error_result_the_model_can_read(http_url: str) -> None:
    result = mcp.call_tool(mcp.typed_server(http_url, {}, {}), "refuse", {})
    assert result.error and "no, not today" in json.loads(result.content)["error"]


def test_an_image_result_is_not_text(http_url: str) -> None:
    with pytest.raises(mcp.McpBadResult, match="image content, which cannot be passed to the model as text"):
        mcp.call_tool(mcp.typed_server(http_url, {}, {}), "picture", {})


def test_a_slow_http_call_times_out(http_url: str) -> None:
    started = time.monotonic()
    with pytest.raises(mcp.McpTimeout, match="did not answer within 1 s while running slow"):
        mcp.call_tool(mcp.typed_server(http_url, {}, {}), "slow", {"seconds": 30}, timeout=1)
    assert time.monotonic() - started < 1 + mcp.CLOSE_GRACE_S + 1


def test_an_http_server_that_is_down_says_so() -> None:
    server = mcp.typed_server(f"http://127.0.0.1:{free_port()}/mcp", {}, {})
    with pytest.raises(mcp.McpServerDown, match="cannot be reached"):
        mcp.list_tools(server, timeout=5)


# ------------------------------------------------------------------------------------ the address after DNS

# Names the tests' DNS answers (fault injection at socket.getaddrinfo, which every connection asks).
NAMES = {
    "tools.example.test": ["127.0.0.1"],
    "metadata-alias.example.test": ["127.0.0.1", "169.254.169.254"],  # one bad answer among good ones is enough
    "aws6.example.test": ["fd00:ec2::254"],
}


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """socket.getaddrinfo answering NAMES (other names as the system does); returns the names asked."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in NAMES:
            return real(host, port, *args, **kwargs)
        asked.append(name)
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, int(port or 0))) for a in NAMES[name]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_a_typed_name_that_resolves_to_a_metadata_address_is_refused_where_it_connects(http_url: str, dns: list[str]) -> None:
    port = http_url.split(":")[2].split("/")[0]
    for name, words in [
        ("metadata-alias.example.test", "it resolves to 169.254.169.254, a cloud's metadata service"),
        ("aws6.example.test", "it resolves to fd00:ec2::254, a cloud's metadata service"),
    ]:
        server = mcp.typed_server(f"http://{name}:{port}/mcp", {}, {})  # as written, a plain name
        with pytest.raises(mcp.McpServerDown) as info:
            mcp.list_tools(server, timeout=10)
        assert f"The playground never calls {name}: {words}" in str(info.value), str(info.value)
    assert {"metadata-alias.example.test", "aws6.example.test"} <= set(dns)


def test_a_typed_name_that_resolves_to_an_allowed_address_connects_to_that_address(http_url: str, dns: list[str]) -> None:
    port = http_url.split(":")[2].split("/")[0]
    server = mcp.typed_server(f"http://tools.example.test:{port}/mcp", {}, {})
    assert "greet" in {t.name for t in mcp.list_tools(server)}
    assert json.loads(mcp.call_tool(server, "add", {"a": 2, "b": 3}).content) == {"sum": 5}
    assert "tools.example.test" in dns


def test_a_redirect_to_a_metadata_address_is_not_followed(dns: list[str]) -> None:
    with http_server(redirect_to="http://169.254.169.254/mcp") as url, pytest.raises(mcp.McpError) as info:
        mcp.list_tools(mcp.typed_server(url, {}, {}), timeout=10)
    assert "169.254.169.254" in str(info.value) and "not followed" in str(info.value), str(info.value)
    with http_server(redirect_to="http://metadata-alias.example.test/mcp") as url, pytest.raises(mcp.McpError):
        mcp.list_tools(mcp.typed_server(url, {}, {}), timeout=10)
    assert "metadata-alias.example.test" not in dns  # never even looked up
