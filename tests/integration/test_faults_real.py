"""The fault table's rows that need a real server: the embedded gateway over real HTTP, through ChatClient and
`playground.runner` as the page uses them. `REAL_FAULTS` is printed into the README's table by
`python -m tests.core.test_faults`."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
import pytest

from playground import runner
from playground.client import ChatClient, ClientConfig
from playground.errors import BadRequestError, NetworkError, RequestTimeout
from playground.local import Gateway
from playground.notebook import Cell, ChatMessage
from tests.processes import free_port

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class RealFault:
    case: str
    made_by: str
    ends: str
    shows: str  # the words the test checks, as the table shows them


REAL_FAULTS = [
    RealFault(
        "Backend down",
        "base URL on a 127.0.0.1 port nothing listens on",
        "error (a refused connection is tried again: it cannot have reached the server)",
        "Could not reach the server (ConnectError). Check the base URL and that the server is running, then run again.",
    ),
    RealFault(
        "404 model",
        "`model: no-such-model`",
        "error",
        "The server rejected the request (HTTP 404) (field: model): … Check the model name …",
    ),
    RealFault(
        "400 with the server's message",
        "`max_completion_tokens: 2**31`",
        "error",
        "The server rejected the request (HTTP 400) (field: max_completion_tokens): … Fix what it names and run again.",
    ),
    RealFault(
        "Read timeout",
        "client timeout 0.5 s on a 200-token non-streamed answer",
        "error; the gateway stops that work (a tiny request after it answers)",
        "The server did not answer in time (ReadTimeout). Run again; …",
    ),
    RealFault(
        "Deferred result already fetched",
        "the same request_id fetched twice",
        "done (first fetch kept)",
        "The deferred result … is gone (HTTP 404): it was already fetched, or it expired; … Run again for a new one.",
    ),
]


def _cell(model: str, **body: object) -> Cell:
    conv = [ChatMessage(role="user", content="Count to three.")]
    request = {"model": model, "messages": [m.to_request() for m in conv], "max_completion_tokens": 4, "seed": 1, **body}
    return Cell(backend="embedded", model=model, body=request, conversation=conv)


def test_backend_down_is_a_network_error_naming_what_to_check() -> None:
    port = free_port()  # nothing listens there
    cell = _cell("m")
    with ChatClient(ClientConfig(base_url=f"http://127.0.0.1:{port}/v1", timeout=10, max_retries=1)) as client:
        list(runner.stream(client, cell))
    assert cell.status == "error" and cell.error is not None and cell.error.kind == NetworkError.__name__
    assert cell.error.message.startswith("Could not reach the server (ConnectError). Check the base URL")


def test_unknown_model_is_a_404_naming_the_model(gateway: Gateway) -> None:
    cell = _cell("no-such-model")
    with ChatClient(ClientConfig(base_url=gateway.base_url)) as client:
        list(runner.stream(client, cell))
    assert cell.status == "error" and cell.error is not None, cell.status
    assert cell.error.kind == BadRequestError.__name__ and cell.error.status == 404, cell.error
    assert "no-such-model" in cell.error.message and "Check the model name" in cell.error.message


def test_too_many_completion_tokens_is_a_400_naming_the_field(gateway: Gateway) -> None:
    cell = _cell(gateway.model_id, max_completion_tokens=2**31)
    with ChatClient(ClientConfig(base_url=gateway.base_url)) as client:
        list(runner.stream(client, cell))
    assert cell.error is not None and cell.error.status == 400, cell.error
    assert cell.error.param == "max_completion_tokens" and "(field: max_completion_tokens)" in cell.error.message
    assert "Fix what it names" in cell.error.message


def test_a_read_timeout_is_reported_and_the_gateway_stops_that_work(gateway: Gateway) -> None:
    body = {
        "model": gateway.model_id,
        "messages": [{"role": "user", "content": "Write a long story."}],
        "max_completion_tokens": 200,
        "temperature": 0,
    }
    with ChatClient(ClientConfig(base_url=gateway.base_url, timeout=0.5, max_retries=0)) as client:
        with pytest.raises(RequestTimeout) as info:
            client.complete(body)
    assert "did not answer in time" in str(info.value) and "Run again" in str(info.value)
    tiny = {**body, "messages": [{"role": "user", "content": "Hi"}], "max_completion_tokens": 1}
    with httpx.Client(base_url=gateway.base_url, timeout=120) as api:
        assert api.post("/chat/completions", json=tiny).status_code == 200


def test_a_deferred_result_is_handed_out_once(gateway: Gateway) -> None:
    cell = _cell(gateway.model_id, deferred=True)
    with ChatClient(ClientConfig(base_url=gateway.base_url)) as client:
        runner.submit_deferred(client, cell)
        assert cell.status == "pending" and cell.request_id
        while not runner.poll(client, cell):
            time.sleep(0.2)
        assert cell.status == "done" and cell.completion is not None
        with pytest.raises(BadRequestError) as info:
            client.poll_deferred(cell.request_id)
    assert info.value.status == 404 and "already fetched" in str(info.value) and "Run again" in str(info.value)
    assert cell.status == "done" and cell.completion.text() is not None
