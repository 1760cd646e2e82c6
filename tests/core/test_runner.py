"""playground.runner without a model: preparing requests, cells, continuing a tool call, demo answers, and the
faults of a run injected with httpx.MockTransport (the real runs are in tests/integration/test_runner_embedded.py)."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from playground import backends, runner, tool_calls
from playground.client import ChatClient, ClientConfig
from playground.errors import FieldError, RequestError
from playground.notebook import Cell, ChatMessage, Notebook, ToolCallRow
from playground.request import Built
from playground.response import Completion, TextDelta, ThinkingDelta, from_chat_completion
from playground.runner import (
    Clients,
    continuation,
    list_models,
    model_slot,
    new_cell,
    poll,
    prepare,
    rerun_of,
    stream,
    submit_deferred,
)
from playground.store import NotebookStore

KEY = "xai-RUNNER-SECRET-0123456789abcdef"
BASE = "https://api.example.test/v1"
EMBEDDED = backends.backend("embedded").capabilities
PLAIN = backends.backend("openai").capabilities  # no deferred, no tokenizer
CONVERSATION = [ChatMessage(role="system", content="Be brief."), ChatMessage(content="Name three colours.")]


# ------------------------------------------------------------------------------------ fault helpers


def chunk(text: str = "", *, thinking: str = "", finish: str | None = None, index: int = 0) -> dict[str, Any]:
    delta: dict[str, Any] = {}
    if text:
        delta["content"] = text
    if thinking:
        delta["reasoning_content"] = thinking
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "m",
        "choices": [{"index": index, "delta": delta, "finish_reason": finish}],
    }


def sse(*events: dict[str, Any] | str) -> bytes:
    return b"".join(f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n".encode() for e in events)


class CutStream(httpx.SyncByteStream):
    """Sends some bytes, then the connection drops."""

    def __init__(self, head: bytes) -> None:
        self.head = head

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        raise httpx.ReadError("connection reset by peer")


class Server:
    """A MockTransport handler answering from a script, remembering what it was asked."""

    def __init__(self, *answers: httpx.Response | Callable[[httpx.Request], httpx.Response]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        return answer(request) if callable(answer) and not isinstance(answer, httpx.Response) else answer


def event_stream(content: bytes | httpx.SyncByteStream) -> httpx.Response:
    headers = {"content-type": "text/event-stream"}
    if isinstance(content, bytes):
        return httpx.Response(200, headers=headers, content=content)
    return httpx.Response(200, headers=headers, stream=content)


_OPEN: list[ChatClient] = []


@pytest.fixture(autouse=True)
def close_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def client_for(server: Server, **config: Any) -> ChatClient:
    """A client on the fault script; no retries, so each test sees the first answer's effect."""
    client = ChatClient(
        ClientConfig(base_url=BASE, api_key=KEY, max_retries=0, **{"kind": "xai", **config}),
        transport=httpx.MockTransport(server),
    )
    _OPEN.append(client)
    return client


def a_cell(**extra: Any) -> Cell:
    values: dict[str, Any] = {
        "backend": "xai",
        "base_url": BASE,
        "model": "m",
        "body": {"model": "m", "messages": [m.to_request() for m in CONVERSATION]},
        "conversation": CONVERSATION,
    }
    values.update(extra)
    return Cell(**values)


def a_completion(content: str | None = "", tool_calls: list[dict[str, Any]] | None = None) -> Completion:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    return from_chat_completion(
        {
            "id": "x",
            "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if tool_calls else "stop"}],
        }
    )


def call(name: str, arguments: str, call_id: str | None = "call_a") -> dict[str, Any]:
    out: dict[str, Any] = {"type": "function", "function": {"name": name, "arguments": arguments}}
    if call_id is not None:
        out["id"] = call_id
    return out


# ------------------------------------------------------------------------------------ clients


def test_its_public_names_are_what_the_page_uses() -> None:
    """`runner.__all__` lists every `runner.name` the views, components and other core modules use."""
    root = Path(__file__).resolve().parents[2]
    sources = [f for folder in ("views", "components", "playground") for f in (root / folder).rglob("*.py")]
    used = {m for f in sources if f.name != "runner.py" for m in re.findall(r"\brunner\.([A-Za-z_]\w*)", f.read_text())}
    assert used and used <= set(runner.__all__), used - set(runner.__all__)
    assert all(hasattr(runner, name) for name in runner.__all__)


def test_no_page_code_tells_a_kind_by_its_class_name() -> None:
    """`isinstance`, not `x.__class__.__name__ == "…"`: a renamed class must fail loudly, not skip a branch."""
    root = Path(__file__).resolve().parents[2]
    sources = [f for folder in ("views", "components", "playground") for f in (root / folder).rglob("*.py")]
    assert [f.name for f in sources if "__class__.__name__ ==" in f.read_text()] == []


def test_clients_are_pooled_per_backend_url_and_key() -> None:
    clients = Clients()
    config = ClientConfig(base_url=BASE, api_key=KEY, kind="xai")
    first = clients.get(config)
    assert clients.get(ClientConfig(base_url=BASE, api_key=KEY, kind="xai")) is first
    assert clients.get(config.model_copy(update={"api_key": SecretStr(KEY + "x")})) is not first
    assert clients.get(config.model_copy(update={"base_url": BASE + "2"})) is not first
    assert clients.get(config.model_copy(update={"timeout": 5.0})) is not first
    assert clients.get(ClientConfig(base_url=BASE, kind="embedded")) is not first
    clients.close()
    assert first._http.is_closed
    assert clients.get(config) is not first  # a fresh one after close


def test_the_model_slot_names_the_key_without_holding_it() -> None:
    config = ClientConfig(base_url=BASE, api_key=KEY, kind="xai")
    slot = model_slot(config)
    assert KEY not in slot and slot.startswith(f"xai|{BASE}|")
    assert slot == model_slot(ClientConfig(base_url=BASE, api_key=KEY, kind="xai"))
    assert slot != model_slot(config.model_copy(update={"api_key": SecretStr("xai-other")}))
    assert model_slot(ClientConfig(base_url=BASE, kind="embedded")) == f"embedded|{BASE}|"


def test_a_model_list_that_fails_says_why() -> None:
    server = Server(httpx.Response(403, json={"code": "Permission denied", "error": "No credits left."}))
    listed = list_models(client_for(server))
    assert listed.models == []
    assert listed.error is not None and "No credits left." in listed.error and KEY not in listed.error


def test_a_model_list_keeps_each_context_and_warns_of_an_answer_that_cannot_fit() -> None:
    server = Server(
        httpx.Response(
            200,
            json={
                "data": [
                    {"id": "small", "context_length": 2048},
                    {"id": "wide", "context_window": 131072},
                    {"id": "silent"},
                    {"id": "odd", "context_length": "big"},
                ]
            },
        )
    )
    listed = list_models(client_for(server, kind="openai"))
    assert listed.models == ["small", "wide", "silent", "odd"]
    assert listed.context == {"small": 2048, "wide": 131072}
    assert listed.warning("small", "max_completion_tokens", 2048) is None
    warning = listed.warning("small", "max_completion_tokens", 4000)
    assert warning is not None and "2,048" in warning and "4,000" in warning
    assert listed.warning("wide", "max_completion_tokens", 4000) is None
    assert listed.warning("silent", "max_completion_tokens", 10**9) is None  # nothing known, nothing said
    assert listed.warning("small", "max_completion_tokens", None) is None
    assert listed.warning("small", "n", 4) is None and not listed.llama_cpp


def test_llama_cpps_own_server_is_known_by_its_model_list_and_its_limits_are_said() -> None:
    entry = {"id": "/m/smol.gguf", "object": "model", "owned_by": "llamacpp", "meta": {"n_ctx": 1024, "n_ctx_train": 8192}}
    listed = list_models(client_for(Server(httpx.Response(200, json={"object": "list", "data": [entry]})), kind="openai"))
    assert listed.llama_cpp and listed.context == {"/m/smol.gguf": 1024}  # one slot's context, not the training one
    assert listed.warning("/m/smol.gguf", "n", 1) is None
    assert "--parallel" in (listed.warning("/m/smol.gguf", "n", 3) or "")
    assert "--jinja" in (listed.warning("/m/smol.gguf", "tools", [{"type": "function"}]) or "")
    assert listed.warning("/m/smol.gguf", "tools", None) is None


def test_xai_s_model_list_says_which_models_read_images_and_the_embedded_model_never_does() -> None:
    listing = httpx.Response(200, json={"object": "list", "data": [{"id": "grok-4"}, {"id": "grok-3-mini"}]})
    language = {
        "models": [{"id": "grok-4", "input_modalities": ["text", "image"]}, {"id": "grok-3-mini", "input_modalities": ["text"]}]
    }
    server = Server(listing, httpx.Response(200, json=language))
    listed = list_models(client_for(server))
    assert [r.url.path for r in server.requests] == ["/v1/models", "/v1/language-models"]
    assert listed.models == ["grok-4", "grok-3-mini"] and listed.takes_images() == ["grok-4"] and listed.error is None
    assert listed.image_refusal("grok-4", "xai") is None
    assert "grok-3-mini reads text only" in (listed.image_refusal("grok-3-mini", "xai") or "")
    assert listed.image_refusal("unknown-model", "xai") is None  # nobody says: nothing is claimed
    assert "smollm2-135m-instruct reads text only" in (listed.image_refusal("smollm2-135m-instruct", "embedded") or "")
    down = list_models(client_for(Server(listing, httpx.Response(404, json={"code": "x", "error": "no such path"}))))
    assert down.models == ["grok-4", "grok-3-mini"] and "not which of them read images" in (down.error or "")


# ------------------------------------------------------------------------------------ prepare, cells


def test_prepare_builds_the_body_and_makes_no_request() -> None:
    built = prepare(
        {"temperature": 0.3, "max_completion_tokens": "16", "seed": 7}, CONVERSATION, model="m", caps=EMBEDDED, client=None
    )
    assert built.request.to_body() == {
        "model": "m",
        "messages": [m.to_request() for m in CONVERSATION],
        "temperature": 0.3,
        "max_completion_tokens": 16,
        "seed": 7,
    }


def test_prepare_drops_deferred_where_the_backend_cannot_defer() -> None:
    body = prepare({"deferred": True}, CONVERSATION, model="m", caps=EMBEDDED, client=None).request.to_body()
    assert body["deferred"] is True
    body = prepare({"deferred": True}, CONVERSATION, model="m", caps=PLAIN, client=None).request.to_body()
    assert "deferred" not in body


def test_prepare_lists_every_problem_with_its_field() -> None:
    found = [FieldError("tools", "This is not JSON.", "invalid_json")]
    with pytest.raises(RequestError) as caught:
        prepare(
            {"temperature": 5, "top_logprobs": 3},
            [ChatMessage(content="Hi")],
            model=None,
            caps=EMBEDDED,
            client=None,
            found=found,
            logit_bias_rows=[{"token": "hello", "bias": 5}],
        )
    fields = {e.field for e in caught.value.errors}
    assert {"tools", "temperature", "model", "top_logprobs"} <= fields
    assert "logit_bias" in fields  # no client to look "hello" up with


def test_the_live_check_names_every_mistake_first_those_met_on_the_way_and_builds_the_run_once() -> None:
    key = FieldError("api_key", "Type your xAI API key.", "missing")
    problem, built = runner.check({"temperature": 5}, [], model="m", caps=EMBEDDED, found=[key])
    assert built is None and problem is not None
    assert [(e.field, e.code) for e in problem.errors][:1] == [("api_key", "missing")]
    assert {e.field for e in problem.errors} == {"api_key", "temperature"}  # an empty conversation is no mistake here
    assert runner.check({}, [], model="m", caps=EMBEDDED) == (None, None)  # nothing to run yet, nothing wrong
    problem, built = runner.check({"seed": 3}, CONVERSATION, model="m", caps=EMBEDDED)
    assert problem is None and built is not None and built.request.to_body()["seed"] == 3
    assert runner.check({}, CONVERSATION, model="m", caps=EMBEDDED, lookup_left=True) == (None, None)  # Run looks text up


def test_logit_bias_rows_by_id_need_no_tokenizer_and_text_needs_one() -> None:
    built = prepare({}, CONVERSATION, model="m", caps=PLAIN, client=None, logit_bias_rows=[{"token": " 42 ", "bias": -100}])
    assert built.request.to_body()["logit_bias"] == {"42": -100}
    with pytest.raises(RequestError) as caught:
        prepare({}, CONVERSATION, model="m", caps=PLAIN, client=None, logit_bias_rows=[{"token": "blue", "bias": 5}])
    assert [(e.field, e.code) for e in caught.value.errors] == [("logit_bias", "tokenize_unsupported")]


def test_prepare_keeps_the_notes_of_conversions() -> None:
    built = prepare(
        {"tools": [{"name": "f", "parameters": {"type": "object"}}], "tool_choice": "f"},
        CONVERSATION,
        model="m",
        caps=EMBEDDED,
        client=None,
    )
    assert any("bare function definition" in n for n in built.notes)
    assert built.request.to_body()["tool_choice"] == {"type": "function", "function": {"name": "f"}}


def built_for(settings: dict[str, Any] | None = None) -> Built:
    return prepare(settings or {"temperature": 0.3}, CONVERSATION, model="m", caps=EMBEDDED, client=None)


def test_a_new_cell_holds_what_is_sent_and_what_it_answers() -> None:
    conversation = [m.model_copy() for m in CONVERSATION]
    settings = {"temperature": 0.3, "api_key": KEY}
    built = built_for()
    cell = new_cell(
        built,
        backend="openai",
        base_url=f"https://bob:{KEY}@llm.example.test/v1",
        conversation=conversation,
        settings=settings,
        step_of="abc",
    )
    assert cell.body == built.request.to_body() and cell.model == "m"
    assert cell.base_url is None  # a URL with credentials is not kept
    assert (cell.backend, cell.status, cell.step_of, cell.at) == ("openai", "new", "abc", 2)
    conversation[1].content = "changed later"
    settings["temperature"] = 2
    assert cell.conversation == CONVERSATION and cell.settings["temperature"] == 0.3
    assert (
        new_cell(built, backend="embedded", base_url="http://127.0.0.1:8000/v1", conversation=conversation, settings={}).base_url
        == "http://127.0.0.1:8000/v1"
    )


def test_a_rerun_sends_the_same_body_as_a_new_cell() -> None:
    cell = new_cell(
        built_for(),
        backend="embedded",
        base_url="http://127.0.0.1:8000/v1",
        conversation=CONVERSATION,
        settings={"temperature": 0.3},
        step_of="parent",
    )
    cell.status, cell.completion, cell.partial, cell.continued = "done", a_completion("Red."), {0: "Red."}, True
    again = rerun_of(cell)
    assert again.id != cell.id
    assert (
        again.body,
        again.backend,
        again.base_url,
        again.model,
        again.notes,
        again.conversation,
        again.settings,
        again.step_of,
    ) == (cell.body, cell.backend, cell.base_url, cell.model, cell.notes, cell.conversation, cell.settings, "parent")
    assert (again.status, again.completion, again.partial, again.continued, again.error) == ("new", None, {}, False, None)
    again.conversation[0].content = "edited"
    assert cell.conversation[0].content == "Be brief."


# ------------------------------------------------------------------------------------ stream faults


def test_a_stream_cut_mid_way_keeps_the_partial_text_and_is_an_error() -> None:
    server = Server(event_stream(sse(chunk(thinking="Colours… "), chunk("Red"), chunk(", green"))))  # no finish, no [DONE]
    cell = a_cell()
    deltas = list(stream(client_for(server), cell))
    assert deltas == [
        ThinkingDelta(choice=0, text="Colours… "),
        TextDelta(choice=0, text="Red"),
        TextDelta(choice=0, text=", green"),
    ]
    assert cell.status == "error" and cell.completion is None
    assert cell.error is not None and cell.error.kind == "StreamCutError" and "ended before" in cell.error.message
    assert cell.partial == {0: "Red, green"} and cell.partial_thinking == {0: "Colours… "}
    assert cell.text() == "Red, green"
    assert cell.timings.ttft_s is not None and cell.timings.total_s is not None


def test_a_cut_runs_saved_notebook_holds_its_text_once(tmp_path: Path) -> None:
    """What streamed is kept as the cell's partial text; the deltas are not saved again beside it."""
    pieces = [f" piece{i:03d}" for i in range(300)]
    server = Server(event_stream(sse(*(chunk(p) for p in pieces))))  # cut: no finish, no [DONE]
    cell = a_cell()
    list(stream(client_for(server), cell))
    text = "".join(pieces)
    assert cell.status == "error" and cell.text() == text
    store = NotebookStore(tmp_path / "store.sqlite3")
    saved = store.save(Notebook(cells=[cell]))
    with sqlite3.connect(tmp_path / "store.sqlite3") as conn:
        (data,) = conn.execute("SELECT data FROM cells WHERE notebook_id = ?", (saved.id,)).fetchone()
    assert data.count(" piece150") == 1
    assert len(data) < len(text) + 2_000  # the text once, and the cell's few fields
    loaded = store.load(saved.id)
    assert loaded is not None and loaded.cells[0].text() == text


def test_a_notebook_saved_with_raw_chunks_still_opens() -> None:
    """Earlier versions saved a cut run's deltas as `chunks` beside its partial text: they are read and dropped."""
    cell = a_cell(status="interrupted", partial={0: "Red, green"}).model_dump(mode="json")
    cell["chunks"] = [{"choice": 0, "text": "Red", "kind": "TextDelta"}, {"choice": 0, "text": ", green", "kind": "TextDelta"}]
    notebook = Notebook.model_validate_json(json.dumps({"cells": [cell]}))
    assert notebook.cells[0].text() == "Red, green"
    assert "chunks" not in notebook.model_dump_json()


def test_a_dropped_connection_mid_stream_keeps_the_partial_text() -> None:
    server = Server(event_stream(CutStream(sse(chunk("Red"), chunk(", gre")))))
    cell = a_cell()
    assert "".join(d.text for d in stream(client_for(server), cell)) == "Red, gre"
    assert cell.status == "error" and cell.text() == "Red, gre"
    assert cell.error is not None and cell.error.kind == "StreamCutError" and "ReadError" in cell.error.message


def test_an_error_event_inside_the_stream_is_the_servers_error() -> None:
    error = {"error": {"message": "The model ran out of memory.", "type": "server_error", "code": 503}}
    server = Server(event_stream(sse(chunk("Red"), error)))
    cell = a_cell()
    list(stream(client_for(server), cell))
    assert cell.status == "error" and cell.partial == {0: "Red"}
    assert cell.error is not None
    assert (cell.error.kind, cell.error.status, cell.error.server_message) == ("ServerError", 503, "The model ran out of memory.")


def test_a_500_before_streaming_is_an_error_with_the_servers_message() -> None:
    server = Server(httpx.Response(500, json={"code": "Internal", "error": "The upstream model crashed."}))
    cell = a_cell()
    assert list(stream(client_for(server), cell)) == []
    assert cell.status == "error" and cell.partial == {} and cell.completion is None
    assert cell.error is not None
    assert (cell.error.kind, cell.error.status, cell.error.server_message) == ("ServerError", 500, "The upstream model crashed.")
    assert "HTTP 500" in cell.error.message and "The upstream model crashed." in cell.error.message
    assert KEY not in cell.model_dump_json()
    assert cell.timings.ttft_s is None and cell.timings.total_s is not None
    assert len(server.requests) == 1


def test_a_bad_key_is_an_auth_error_without_the_key() -> None:
    server = Server(
        httpx.Response(400, json={"code": "Client specified an invalid argument", "error": f"Incorrect API key provided: {KEY}."})
    )
    cell = a_cell()
    list(stream(client_for(server), cell))
    assert cell.error is not None and cell.error.kind == "AuthError" and cell.error.status == 400
    assert KEY not in cell.model_dump_json()


def test_stopping_the_iteration_keeps_the_text_as_interrupted() -> None:
    server = Server(event_stream(sse(chunk("Red"), chunk(", green"), chunk(", blue", finish="stop"), "[DONE]")))
    cell = a_cell()
    events = stream(client_for(server), cell)
    assert next(events) == TextDelta(choice=0, text="Red")
    assert cell.status == "streaming"
    events.close()
    assert cell.status == "interrupted"
    assert cell.text() == "Red" and cell.completion is None and cell.error is None
    assert cell.timings.ttft_s is not None and cell.timings.total_s is not None


def test_breaking_out_of_a_for_loop_is_an_interruption_too() -> None:
    server = Server(event_stream(sse(chunk("Red"), chunk(", green"), chunk(", blue", finish="stop"), "[DONE]")))
    cell = a_cell()
    events = stream(client_for(server), cell)
    for n, _ in enumerate(events, start=1):
        if n == 2:
            break
    events.close()
    assert (cell.status, cell.text()) == ("interrupted", "Red, green")


# ------------------------------------------------------------------------------------ deferred faults


def test_a_refused_deferred_submit_is_an_error() -> None:
    server = Server(
        httpx.Response(
            422, json={"error": {"message": "deferred is not allowed with n > 1", "param": "deferred", "code": "invalid_value"}}
        )
    )
    cell = a_cell(body={"model": "m", "messages": [{"role": "user", "content": "Hi"}], "deferred": True})
    submit_deferred(client_for(server), cell)
    assert cell.status == "error" and cell.request_id is None
    assert cell.error is not None and (cell.error.status, cell.error.param) == (422, "deferred")


def test_poll_asks_nothing_for_a_cell_that_is_not_pending() -> None:
    server = Server()
    for cell in (a_cell(status="done", request_id="r1"), a_cell(status="pending", request_id=None), a_cell()):
        assert poll(client_for(server), cell) is False
    assert server.requests == []


def test_a_result_that_is_gone_turns_the_cell_into_an_error() -> None:
    server = Server(httpx.Response(404, json={"code": "Not found", "error": "No deferred request with that id."}))
    cell = a_cell(status="pending", request_id="req/1")
    assert poll(client_for(server), cell) is True
    assert cell.status == "error" and cell.error is not None and cell.error.status == 404
    assert server.requests[0].url.raw_path == b"/v1/chat/deferred-completion/req%2F1"  # the id is one path segment


# ------------------------------------------------------------------------------------ continuing


def test_a_plain_answer_continues_as_one_assistant_message() -> None:
    assert continuation(a_completion("Red, green, blue.")) == [ChatMessage(role="assistant", content="Red, green, blue.")]
    assert continuation(a_completion("Red."), choice=3) == [ChatMessage(role="assistant")]


def test_tool_calls_continue_as_calls_and_empty_tool_messages() -> None:
    completion = a_completion(
        "Let me look.", [call("get_weather", '{"city": "Paris"}', "c1"), call("add", '{"a": 1, "b": 2}', None)]
    )
    assistant, *tools = continuation(completion)
    made_up = assistant.tool_calls[1].id  # a call without an id gets a fresh one, unique across turns
    assert made_up.startswith("call_") and made_up != continuation(completion)[0].tool_calls[1].id
    assert assistant == ChatMessage(
        role="assistant",
        content="Let me look.",
        tool_calls=[
            ToolCallRow(id="c1", name="get_weather", arguments='{"city": "Paris"}'),
            ToolCallRow(id=made_up, name="add", arguments='{"a": 1, "b": 2}'),
        ],
    )
    assert tools == [
        ChatMessage(role="tool", tool_call_id="c1", name="get_weather"),
        ChatMessage(role="tool", tool_call_id=made_up, name="add"),
    ]


@pytest.mark.parametrize("arguments", ['{"city": "Par', "[1, 2]", "Paris", '"Paris"', "{'city': 'Paris'}"])
def test_arguments_the_model_wrote_wrong_stay_its_text(arguments: str) -> None:
    """Never `{"_raw": ...}`: the person sees, edits and sends back exactly what the model wrote."""
    [row] = continuation(a_completion(None, [call("get_weather", arguments)]))[0].tool_calls
    assert row.arguments == arguments


def test_arguments_keep_non_ascii_text() -> None:
    [row] = continuation(a_completion(None, [call("get_weather", '{"city": "Zürich"}')]))[0].tool_calls
    assert row.arguments == '{"city": "Zürich"}'


def test_a_continued_tool_call_with_its_result_builds_the_next_request() -> None:
    completion = a_completion(None, [call("get_weather", '{"city": "Paris"}', "c1")])
    conversation = [*CONVERSATION, *continuation(completion)]
    filled = tool_calls.run_all(conversation, tool_calls.waiting(conversation, {}), {}, {})
    body = prepare({}, filled, model="m", caps=EMBEDDED, client=None).request.to_body()
    assert body["messages"][2]["tool_calls"][0]["id"] == "c1" and body["messages"][2].get("content") is None
    assert body["messages"][3]["tool_call_id"] == "c1"
    assert json.loads(body["messages"][3]["content"])["city"] == "Paris"


def test_tokens_per_second_of_an_answer_that_arrived_at_once_is_end_to_end() -> None:
    from playground import runner

    cell = Cell(backend="embedded", body={"model": "m", "messages": []})
    cell.completion = from_chat_completion(
        {
            "id": "x",
            "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 20},
        }
    )
    cell.timings.ttft_s = 2.0
    started = time.monotonic() - 2.0
    runner._finish_timings(cell, started, deltas=1)
    assert cell.timings.tokens_per_s is not None and cell.timings.tokens_per_s < 11  # 20 tokens over ~2 s, not over ~0 s
