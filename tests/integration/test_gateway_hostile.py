"""The gateway under hostile input, over real HTTP on the real model, bounded in time and traffic on
127.0.0.1: every refusal in OpenAI's error shape naming its param, nothing holding the slots for a
client that left, no body holding a connection, no request stalling the others, memory handed back."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from playground.local import Gateway, GatewaySettings, start_gateway

pytestmark = pytest.mark.integration

HI = [{"role": "user", "content": "Say hi."}]


def refusal(r: httpx.Response, status: int, param: str | None) -> dict[str, Any]:
    """The error of a refused request: the status, OpenAI's shape, JSON, and the param it names."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json"), r.text
    error = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"] and error["code"], error
    assert error["param"] == param or (param is not None and (error["param"] or "").startswith(param + ".")), error
    return error


def nested_schema(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"anyOf": [schema, {"type": "null"}]}
    return schema


def test_unhandled_inputs_are_4xx_in_the_error_shape(gateway: Gateway) -> None:
    """Each was a plain-text 500 ("Internal Server Error") before."""
    m = gateway.model_id.encode()
    cases: list[tuple[str, bytes, str | None]] = [
        ("/chat/completions", b'{"messages":' + b"[" * 10_000 + b"]" * 10_000 + b"}", None),
        ("/chat/completions", b'{"model":"%s","messages":[{"role":"user","content":"\\ud800"}]}' % m, "messages.0.content"),
        ("/chat/completions", b'{"model":"%s","messages":[{"role":"user","content":"hi"}],"user":"\\udfff"}' % m, "user"),
        ("/tokenize-text", b'{"text":"\\ud800","model":"%s"}' % m, "text"),
    ]
    deep = {"type": "json_schema", "json_schema": {"name": "deep", "schema": nested_schema(95)}}
    tool = {
        "type": "function",
        "function": {"name": "f", "parameters": {"type": "object", "properties": {"a": nested_schema(95)}}},
    }
    for extra, param in (({"response_format": deep}, "response_format.json_schema.schema"), ({"tools": [tool]}, "tools.0")):
        cases.append(("/chat/completions", json.dumps({"model": gateway.model_id, "messages": HI, **extra}).encode(), param))
    with httpx.Client(base_url=gateway.base_url, timeout=60) as client:
        for path, content, param in cases:
            r = client.post(path, content=content, headers={"content-type": "application/json"})
            refusal(r, 400, param)


@pytest.mark.parametrize("value", [2**31, 2**63])
def test_max_completion_tokens_above_a_slot_is_a_400_naming_it(api: httpx.Client, gateway: Gateway, value: int) -> None:
    """Before: 2**31 reached llama.cpp, which answered "got -2147483648" naming no param; 2**63 was accepted."""
    r = api.post("/chat/completions", json={"model": gateway.model_id, "messages": HI, "max_completion_tokens": value})
    per_slot = gateway.engine.n_ctx // gateway.engine.n_parallel
    assert str(per_slot) in refusal(r, 400, "max_completion_tokens")["message"]


def test_an_error_worded_by_llama_cpp_names_its_param(api: httpx.Client, gateway: Gateway) -> None:
    """A prompt longer than a slot's context is refused by llama.cpp itself; the 400 still says where."""
    words = [{"role": "user", "content": "word " * (gateway.engine.n_ctx // gateway.engine.n_parallel + 100)}]
    r = api.post("/chat/completions", json={"model": gateway.model_id, "messages": words, "max_completion_tokens": 2})
    assert "context" in refusal(r, 400, "messages")["message"]


def busy_slots(gateway: Gateway) -> int:
    slots = httpx.get(f"{gateway.engine.base_url}/slots", timeout=10).json()
    return sum(1 for s in slots if s["is_processing"])


def test_a_non_streamed_client_that_gives_up_frees_every_slot(gateway: Gateway) -> None:
    """A non-streamed n=4 request (every slot) whose client stops waiting after 3 s. Before, llama.cpp
    finished all four answers for nobody (a non-streamed task ignores its closed connection): with the
    end-of-text token banned and 1,500 tokens each, the slots stayed busy for a minute or more."""
    n_slots = gateway.engine.n_parallel
    long = {"model": gateway.model_id, "messages": [{"role": "user", "content": "Count to one thousand."}],
            "max_completion_tokens": 1500, "logit_bias": {"0": -100, "1": -100, "2": -100}, "n": n_slots}  # fmt: skip
    with httpx.Client(base_url=gateway.base_url, timeout=httpx.Timeout(60, read=3)) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.post("/chat/completions", json=long)
    deadline = time.monotonic() + 15
    while busy_slots(gateway) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert busy_slots(gateway) == 0
    with httpx.Client(base_url=gateway.base_url, timeout=60) as client:
        r = client.post(
            "/chat/completions", json={"model": gateway.model_id, "messages": HI, "max_completion_tokens": 2, "n": n_slots}
        )
    assert r.status_code == 200 and len(r.json()["choices"]) == n_slots


@pytest.fixture
def quick_timeouts(gateway: Gateway) -> Iterator[Gateway]:
    """A second gateway on the session's model with a 1 s body timeout."""
    with start_gateway(GatewaySettings(body_timeout_s=1), engine=gateway.engine) as gw:
        yield gw


def raw_exchange(gw: Gateway, head: bytes, body: bytes) -> bytes:
    """Send a request by hand and read until the server closes the connection (at most 30 s)."""
    with socket.create_connection((gw.host, gw.port), timeout=30) as sock:
        sock.sendall(head + body)
        received = b""
        while chunk := sock.recv(65536):  # b"" once the server closed; socket.timeout if it never does
            received += chunk
    return received


def test_a_body_shorter_than_its_content_length_is_timed_out(quick_timeouts: Gateway) -> None:
    """Before, the gateway waited for the missing bytes for ever, holding the connection open."""
    body = b'{"messages": []}'
    for path in (b"/v1/chat/completions", b"/v1/tokenize-text"):
        head = b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n" % path
        answer = raw_exchange(quick_timeouts, head, body)
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.startswith(b"HTTP/1.1 408"), answer[:300]
        error = json.loads(rest.partition(b"\r\n\r\n")[2])["error"]
        assert error["code"] == "request_timeout" and "1000" in error["message"]


def as_format(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "pick", "schema": schema}}


def test_a_schema_the_grammar_engine_cannot_afford_is_a_400_naming_it(gateway: Gateway) -> None:
    """Before: the 10,000-value enum (89 KB) took 112 s, and anyOf over 2,000 consts 14 s, each stalling every
    other client as long. Now they are refused before they reach llama.cpp."""
    enum = {"type": "object", "properties": {"v": {"enum": [f"value-{i:04d}" for i in range(10_000)]}}, "required": ["v"]}
    consts = {"anyOf": [{"const": f"c{i}"} for i in range(2000)]}
    tool = {"type": "function", "function": {"name": "pick", "parameters": enum}}
    cases = [({"response_format": as_format(enum)}, "response_format.json_schema.schema"),
             ({"response_format": as_format(consts)}, "response_format.json_schema.schema"),
             ({"tools": [tool], "tool_choice": "required"}, "tools.0.function.parameters")]  # fmt: skip
    with httpx.Client(base_url=gateway.base_url, timeout=30) as client:
        for extra, param in cases:
            r = client.post(
                "/chat/completions", json={"model": gateway.model_id, "messages": HI, "max_completion_tokens": 8, **extra}
            )
            assert refusal(r, 400, param)["code"] == "schema_too_complex"


def test_a_schema_within_the_budget_is_served_beside_others(gateway: Gateway) -> None:
    """An enum at the limit is constrained as asked, and a plain request sent meanwhile is served too."""
    values = [f"colour-{i:03d}" for i in range(256)]
    picked = {"model": gateway.model_id, "messages": [{"role": "user", "content": "Pick a colour."}], "temperature": 0,
              "max_completion_tokens": 12, "response_format": as_format({"enum": values})}  # fmt: skip
    plain = {"model": gateway.model_id, "messages": HI, "max_completion_tokens": 4}
    with httpx.Client(base_url=gateway.base_url, timeout=120) as client, ThreadPoolExecutor(2) as pool:
        constrained = pool.submit(client.post, "/chat/completions", json=picked)
        other = pool.submit(client.post, "/chat/completions", json=plain)
        assert other.result().status_code == 200, other.result().text
        r = constrained.result()
    assert r.status_code == 200, r.text
    assert json.loads(r.json()["choices"][0]["message"]["content"]) in values
