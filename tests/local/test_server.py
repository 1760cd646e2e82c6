"""The gateway without a model (a fake or stopped upstream): derived seeds, request limits, sharing the slots,
memory, the in-process path, and the error handling."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from playground.errors import BadRequestError
from playground.http_errors import error_from_status
from playground.local.engine import RANDOM_SEED
from playground.local.limits import scan_json, schema_cost
from playground.local.memory import release_memory
from playground.local.server import create_app
from playground.local.settings import GatewaySettings
from playground.local.shapes import ApiError
from playground.local.upstream import choice_body, derived_seed, upstream_param


def test_choice_0_keeps_the_seed_and_derived_seeds_never_mean_random() -> None:
    assert derived_seed(42, 0) == 42
    assert [derived_seed(7, i) for i in range(4)] == [7, 8, 9, 10]
    assert all(derived_seed(RANDOM_SEED - 2, i) != RANDOM_SEED for i in range(16))


def test_settings_refuse_unknown_keys_and_bad_bounds() -> None:
    with pytest.raises(ValueError):
        GatewaySettings(max_n=0)
    with pytest.raises(ValueError):
        GatewaySettings(nope=1)  # type: ignore[call-arg]


def test_upstream_down_is_a_502_not_a_crash(tmp_path: Path) -> None:
    """Fault injection: the engine is gone (a dead port); the gateway answers 502 in the error shape."""
    from playground.local.server import Gateway

    class DeadEngine:
        n_parallel = 1
        base_url = "http://127.0.0.1:9"  # discard port: nothing listens
        gguf = tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"

    async def scenario() -> None:
        gw = Gateway(GatewaySettings(in_process=False), DeadEngine())  # type: ignore[arg-type]
        await gw.startup()
        try:
            with pytest.raises(ApiError) as err:
                await gw.complete({"messages": [{"role": "user", "content": "hi"}]}, 1, None)
            assert err.value.status == 502 and err.value.type == "server_error"
        finally:
            await gw.shutdown()

    asyncio.run(scenario())


# ---- hostile input, over the app with a fake upstream (no model) -----------------------------------


class FakeEngine:
    """Stands in for llama.cpp: the app never reaches it unless a test swaps in an upstream transport."""

    n_parallel = 4
    n_ctx = 8192
    base_url = "http://127.0.0.1:9"  # discard port: nothing listens

    def __init__(self, folder: Path) -> None:
        self.gguf = folder / "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture
def offline(tmp_path: Path) -> Iterator[TestClient]:
    """The gateway app over a fake engine; `app.state.gateway.client` can be swapped for a MockTransport."""
    app = create_app(GatewaySettings(in_process=False), engine=FakeEngine(tmp_path))  # type: ignore[arg-type]
    with TestClient(app, base_url="http://testserver/v1", raise_server_exceptions=False) as client:
        yield client


MODEL = "smollm2-135m-instruct"
HI = [{"role": "user", "content": "hi"}]


def assert_error_shape(r: Any, status: int, param: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json"), r.text
    error = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"] and error["code"]
    if param is not None:
        assert error["param"] == param or (error["param"] or "").startswith(param + "."), error
    return error


def test_scan_json_refuses_deep_nesting_and_lone_surrogates_naming_where() -> None:
    scan_json({"messages": [{"role": "user", "content": "fine 😀 é"}]}, 8)  # a real pair decodes to one char
    with pytest.raises(ApiError) as deep:
        scan_json({"tools": [[[[[[[[[[]]]]]]]]]]}, 8)
    assert deep.value.status == 400 and deep.value.code == "nesting_too_deep"
    assert deep.value.param and deep.value.param.startswith("tools.0")
    with pytest.raises(ApiError) as lone:
        scan_json({"messages": [{"role": "user", "content": "a\ud800b"}]}, 8)
    assert (lone.value.param, lone.value.code) == ("messages.0.content", "invalid_unicode")
    with pytest.raises(ApiError) as key:
        scan_json({"logit_bias": {"\udc00": 1}}, 8)
    assert key.value.param == "logit_bias"


def test_errors_worded_by_llama_cpp_name_their_param() -> None:
    body = {"messages": HI, "max_completion_tokens": 5, "response_format": {}}
    bad_max = "Field 'max_completion_tokens': Value must be between -1 <= value <= 2147483647, but got -2147483648"
    assert upstream_param(bad_max, body, "response_format") == "max_completion_tokens"
    context = "the request exceeds the available context size, try increasing it"
    assert upstream_param(context, body, "response_format") == "messages"
    grammar = "Failed to initialize samplers: failed to parse grammar"
    assert upstream_param(grammar, body, "response_format") == "response_format"
    assert upstream_param(grammar, body, "tools") == "tools"
    assert upstream_param("something else entirely", body, None) is None


def test_deep_json_is_a_400_in_the_error_shape(offline: TestClient) -> None:
    """Before: json.loads raised RecursionError and Starlette answered a plain-text 500."""
    deep = b'{"messages":' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    assert_error_shape(offline.post("/chat/completions", content=deep), 400)
    deep_array = b"[" * 100 + b"]" * 100  # within json's reach, beyond the gateway's depth
    assert_error_shape(offline.post("/chat/completions", content=b'{"messages":' + deep_array + b"}"), 400, "messages")


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"messages": [{"role": "user", "content": "\ud800"}]}, "messages.0.content"),
        ({"messages": [{"role": "user", "content": [{"type": "text", "text": "x\udfff"}]}]}, "messages.0.content.0.text"),
        ({"user": "\ud800"}, "user"),
        ({"stop": ["ok", "\udbff"]}, "stop.1"),
        ({"tools": [{"type": "function", "function": {"name": "f", "description": "\ud800"}}]}, "tools.0.function.description"),
        (
            {"response_format": {"type": "json_schema", "json_schema": {"name": "\ud800", "schema": {}}}},
            "response_format.json_schema.name",
        ),
    ],
)
def test_lone_surrogates_are_a_400_naming_the_field(offline: TestClient, fields: dict[str, Any], param: str) -> None:
    """Before: valid JSON, then UnicodeEncodeError when the body was sent on: a plain-text 500."""
    body = json.dumps({"model": MODEL, "messages": HI, **fields}).encode()  # ensure_ascii: \ud800 stays escaped
    error = assert_error_shape(offline.post("/chat/completions", content=body), 400, param)
    assert error["param"] == param and error["code"] == "invalid_unicode"


def test_a_lone_surrogate_to_tokenize_text_is_a_400(offline: TestClient) -> None:
    r = offline.post("/tokenize-text", content=json.dumps({"text": "\ud800", "model": MODEL}).encode())
    assert assert_error_shape(r, 400, "text")["param"] == "text"


def _nested(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"anyOf": [schema, {"type": "null"}]}
    return schema


def test_a_schema_nested_95_levels_is_a_400_naming_where(offline: TestClient) -> None:
    """Before: jsonschema's check recursed past Python's limit (RecursionError): a plain-text 500."""
    rf = {"type": "json_schema", "json_schema": {"name": "deep", "schema": _nested(95)}}
    r = offline.post("/chat/completions", json={"model": MODEL, "messages": HI, "response_format": rf})
    assert_error_shape(r, 400, "response_format.json_schema.schema")
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"a": _nested(95)}}}}
    r = offline.post("/chat/completions", json={"model": MODEL, "messages": HI, "tools": [tool]})
    assert_error_shape(r, 400, "tools.0.function.parameters")


@pytest.mark.parametrize("field", ["max_completion_tokens", "max_tokens"])
@pytest.mark.parametrize("value", [2049, 2**31, 2**63, 10**30])
def test_max_completion_tokens_beyond_a_slot_is_a_400_naming_it(offline: TestClient, field: str, value: int) -> None:
    """One slot holds n_ctx // n_parallel = 2048 tokens. Before: 2**31 reached llama.cpp, which answered
    "got -2147483648" naming no param, and 2**63 was accepted."""
    r = offline.post("/chat/completions", json={"model": MODEL, "messages": HI, field: value})
    error = assert_error_shape(r, 400, field)
    assert error["param"] == field and "2048" in error["message"]


def test_an_unexpected_failure_still_answers_in_the_error_shape(offline: TestClient) -> None:
    """Fault injection: the upstream call raises something nobody planned for."""

    def explode(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("boom")

    gw = offline.app.state.gateway  # type: ignore[attr-defined]
    gw.client = httpx.AsyncClient(base_url="http://upstream.test", transport=httpx.MockTransport(explode))
    r = offline.post("/chat/completions", json={"model": MODEL, "messages": HI, "max_completion_tokens": 2})
    error = assert_error_shape(r, 500)
    assert error["type"] == "server_error" and "boom" not in error["message"]


class EndlessUpstream(httpx.AsyncByteStream):
    """An upstream answer that starts and never ends; remembers whether the gateway closed it."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.closed = asyncio.Event()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.started.set()
        yield b'data: {"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}\n\n'
        await asyncio.Event().wait()  # generating for ever

    async def aclose(self) -> None:
        self.closed.set()


WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}


@pytest.mark.parametrize(
    "extra",
    [{}, {"n": 3}, {"stream": True, "tools": [WEATHER], "tool_choice": "required"}],
    ids=["non-streamed", "non-streamed-n3", "streamed-tool-call-before-its-first-chunk"],
)
def test_a_client_that_leaves_closes_every_upstream_stream(tmp_path: Path, extra: dict[str, Any]) -> None:
    """Fault injection at the ASGI level: the client disconnects while its answer is being generated.
    Before, a non-streamed request (and a streamed tool call, sent whole) went on for nobody: llama.cpp
    finishes a non-streamed task whatever happens, so the gateway must close its upstream stream."""
    upstreams: list[EndlessUpstream] = []

    def answer(request: httpx.Request) -> httpx.Response:
        upstreams.append(EndlessUpstream())
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=upstreams[-1])

    async def scenario() -> None:
        app = create_app(GatewaySettings(in_process=False), engine=FakeEngine(tmp_path))  # type: ignore[arg-type]
        gw = app.state.gateway
        await gw.startup()
        gw.client = httpx.AsyncClient(base_url="http://upstream.test", transport=httpx.MockTransport(answer))
        body = json.dumps({"model": MODEL, "messages": HI, "max_completion_tokens": 2000, **extra}).encode()
        gone = asyncio.Event()
        sent: list[dict[str, Any]] = []
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop()
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": "/v1/chat/completions", "raw_path": b"/v1/chat/completions", "query_string": b"",
                 "root_path": "", "headers": [(b"content-type", b"application/json")], "client": ("127.0.0.1", 1),
                 "server": ("127.0.0.1", 2), "state": {}}  # fmt: skip
        handling = asyncio.create_task(app(scope, receive, send))
        want = min(int(extra.get("n", 1)), gw.engine.n_parallel)
        async with asyncio.timeout(10):
            while len(upstreams) < want or not all(u.started.is_set() for u in upstreams):
                await asyncio.sleep(0.01)
        gone.set()  # the client goes away
        try:
            async with asyncio.timeout(10):  # a hang guard: before the fix nothing ever closed them
                await asyncio.gather(*(u.closed.wait() for u in upstreams))
                await handling
        finally:
            handling.cancel()
            await gw.shutdown()
        assert all(u.closed.is_set() for u in upstreams)

    asyncio.run(scenario())


# ---- schemas the grammar engine cannot afford, and checking bodies off the event loop --------------


def enum_schema(values: int) -> dict[str, Any]:
    """An enum like the one that stalled everyone 112 s (10,000 values, 89 KB)."""
    return {"type": "object", "properties": {"v": {"enum": [f"v{i:05d}" for i in range(values)]}}, "required": ["v"]}


def as_format(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "s", "schema": schema}}


def test_schema_cost_counts_what_the_grammar_holds_open() -> None:
    cost = schema_cost(
        {
            "type": ["object", "null"],
            "properties": {
                "a": {"enum": [1, 2, 3]},
                "b": {"anyOf": [{"const": "x"}, {"const": "y"}]},
                "c": {"type": "string", "pattern": "^(red|green|blue){2,5}$", "maxLength": 40},
                "d": {"type": "array", "minItems": 3, "maxItems": float("inf")},
                "enum": {"type": "string"},  # a property named like a keyword is not an enum
            },
        }
    )
    assert cost.alternatives == 2 + 3 + 2 + 2
    assert cost.repeat == 10**12  # infinity is counted as huge, not crashed on
    assert cost.depth == 5  # schema > properties > b > anyOf list > const
    assert cost.size > 100


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"response_format": as_format(enum_schema(10_000))}, "response_format.json_schema.schema"),
        ({"response_format": as_format({"anyOf": [{"const": i} for i in range(2000)]})}, "response_format.json_schema.schema"),
        ({"response_format": as_format({"type": "string", "pattern": "^(" + "|".join(f"w{i}" for i in range(2000)) + ")$"})},
         "response_format.json_schema.schema"),
        ({"response_format": as_format({"type": "array", "minItems": 100_000})}, "response_format.json_schema.schema"),
        ({"tools": [{"type": "function", "function": {"name": "pick", "parameters": enum_schema(10_000)}}]},
         "tools.0.function.parameters"),
        # each of 128 tools is cheap; offered together they are one grammar of 128 branches x 4 alternatives
        ({"tools": [{"type": "function", "function": {"name": f"t{i}", "parameters": enum_schema(3)}} for i in range(128)]},
         "tools"),
    ],
    ids=["enum-10000", "anyOf-2000-consts", "pattern-2000-alternatives", "minItems-100000", "tool-enum-10000", "128-tools"],
)  # fmt: skip
def test_a_schema_beyond_the_grammar_budget_is_a_400_naming_it(offline: TestClient, fields: dict[str, Any], param: str) -> None:
    """Before, each went to llama.cpp, whose grammar loop then stalled every slot (112 s for the enum)."""
    error = assert_error_shape(offline.post("/chat/completions", json={"model": MODEL, "messages": HI, **fields}), 400)
    assert (error["param"], error["code"]) == (param, "schema_too_complex"), error


def test_a_schema_within_the_budget_passes_the_gateway(offline: TestClient) -> None:
    """At the limit (256 alternatives) the request reaches the upstream (here a dead port: 502)."""
    rf = as_format({"enum": list(range(256))})
    r = offline.post("/chat/completions", json={"model": MODEL, "messages": HI, "response_format": rf})
    assert r.status_code == 502 and r.json()["error"]["code"] == "upstream_unreachable"


def _asgi_post(app: Any, path: str, body: bytes) -> Awaitable[list[dict[str, Any]]]:
    """POST through the ASGI app in the running loop; the messages it sent."""
    sent: list[dict[str, Any]] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # the client stays
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"content-type", b"application/json")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 2),
             "state": {}}  # fmt: skip

    async def run() -> list[dict[str, Any]]:
        await app(scope, receive, send)
        return sent

    return run()


def test_bodies_are_checked_off_the_event_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While one body is being validated, the event loop goes on serving others. Before, validation ran on
    the loop itself (anyOf over 2,000 consts: 0.33 s during which no other request moved). The validator is
    wrapped to take 0.3 s and to note whether the loop ticked meanwhile, which it cannot do on the loop."""
    import playground.local.server as server

    ticks = 0
    ticked_during: list[bool] = []
    real = server.validate_body

    def slow_validate(body: Any) -> Any:
        before = ticks
        time.sleep(0.3)
        ticked_during.append(ticks > before)
        return real(body)

    monkeypatch.setattr(server, "validate_body", slow_validate)

    async def scenario() -> None:
        nonlocal ticks
        app = create_app(GatewaySettings(in_process=False), engine=FakeEngine(tmp_path))  # type: ignore[arg-type]
        await app.state.gateway.startup()

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.005)

        tick = asyncio.create_task(ticker())
        try:
            body = json.dumps({"model": MODEL, "messages": HI, "max_completion_tokens": 2}).encode()
            sent = await _asgi_post(app, "/v1/chat/completions", body)
        finally:
            tick.cancel()
            await app.state.gateway.shutdown()
        assert sent[0]["status"] == 502  # checked, then sent to the dead upstream
        assert ticked_during == [True]

    asyncio.run(scenario())


def test_a_body_that_takes_too_long_to_check_is_a_503(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import playground.local.server as server

    real = server.validate_body
    monkeypatch.setattr(server, "validate_body", lambda body: (time.sleep(0.5), real(body))[1])
    app = create_app(GatewaySettings(prepare_timeout_s=0.05, in_process=False), engine=FakeEngine(tmp_path))  # type: ignore[arg-type]
    with TestClient(app, base_url="http://testserver/v1", raise_server_exceptions=False) as client:
        r = client.post("/chat/completions", json={"model": MODEL, "messages": HI})
    error = assert_error_shape(r, 503)
    assert error["code"] == "prepare_timeout" and r.headers["retry-after"] == "1"


# ---- sharing the slots -------------------------------------------------------------------------------


class HeldAnswer(httpx.AsyncByteStream):
    """A fake llama.cpp answer that is held until the test releases it; `label` is the prompt it answers."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.release = asyncio.Event()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        await self.release.wait()
        yield b'data: {"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}\n\n'
        yield b'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}}\n\ndata: [DONE]\n\n'


class FakeLlama:
    """Records the upstream answers in the order llama.cpp would have started them."""

    def __init__(self) -> None:
        self.started: list[HeldAnswer] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.started.append(HeldAnswer(json.loads(request.content)["messages"][-1]["content"]))
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=self.started[-1])

    async def wait_started(self, count: int) -> None:
        async with asyncio.timeout(10):
            while len(self.started) < count:
                await asyncio.sleep(0.005)

    @property
    def labels(self) -> list[str]:
        return [a.label for a in self.started]


def _gateway(tmp_path: Path) -> Any:
    from playground.local.server import Gateway

    return Gateway(GatewaySettings(in_process=False), FakeEngine(tmp_path))  # type: ignore[arg-type]


def _asking(label: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": label}]}


def test_a_freed_slot_goes_to_the_request_holding_fewest(tmp_path: Path) -> None:
    """Request A asks n=8 (four run, four wait), then B asks one. When one of A's answers ends, B's starts
    next. Before, slots were a FIFO semaphore: all of A's queued choices went first, and a 4-token request
    behind an n=16 one waited for the whole sixteen."""
    llama = FakeLlama()

    async def scenario() -> None:
        gw = _gateway(tmp_path)
        await gw.startup()
        gw.client = httpx.AsyncClient(base_url="http://upstream.test", transport=httpx.MockTransport(llama))
        try:
            a = asyncio.create_task(gw.complete(_asking("A"), 8, None))
            await llama.wait_started(4)
            b = asyncio.create_task(gw.complete(_asking("B"), 1, None))
            await asyncio.sleep(0.05)  # B is queued behind A's four waiting choices
            assert llama.labels == ["A"] * 4
            llama.started[0].release.set()
            await llama.wait_started(5)
            assert llama.labels[4] == "B"
            for answer in llama.started:
                answer.release.set()
            while not (a.done() and b.done()):
                for answer in llama.started:
                    answer.release.set()
                await asyncio.sleep(0.005)
            assert len((await a)["choices"]) == 8 and (await b)["choices"][0]["message"]["content"] == "ok"
        finally:
            await gw.shutdown()

    asyncio.run(scenario())


def test_costly_grammars_generate_one_at_a_time_beside_the_rest(tmp_path: Path) -> None:
    """Two requests constrained by a 100-value enum and one plain request: the plain one runs beside the
    first constrained one, the second waits for it (four 256-value grammars at once made a 4-token request
    beside them take 5.9 s instead of 0.4 s with one)."""
    llama = FakeLlama()

    async def scenario() -> None:
        gw = _gateway(tmp_path)
        await gw.startup()
        gw.client = httpx.AsyncClient(base_url="http://upstream.test", transport=httpx.MockTransport(llama))
        try:
            enum = {"type": "json_schema", "json_schema": {"name": "e", "schema": {"enum": list(range(100))}}}
            raw = json.dumps({"model": MODEL, "messages": HI, "response_format": enum}).encode()
            assert gw._prepare_chat(raw).costly
            assert not gw._prepare_chat(json.dumps({"model": MODEL, "messages": HI}).encode()).costly
            c1 = asyncio.create_task(gw.complete(_asking("C1"), 1, None, costly=True))
            c2 = asyncio.create_task(gw.complete(_asking("C2"), 1, None, costly=True))
            plain = asyncio.create_task(gw.complete(_asking("P"), 1, None))
            await llama.wait_started(2)
            await asyncio.sleep(0.05)
            assert sorted(llama.labels) == ["C1", "P"]  # C2 waits for the lane, not for a slot
            llama.started[llama.labels.index("C1")].release.set()
            await llama.wait_started(3)
            assert llama.labels[2] == "C2"
            for answer in llama.started:
                answer.release.set()
            await asyncio.gather(c1, c2, plain)
        finally:
            await gw.shutdown()

    asyncio.run(scenario())


# ---- memory -------------------------------------------------------------------------------------------


def test_tokenize_text_is_bounded(offline: TestClient) -> None:
    """A 1.9 MB text made llama.cpp build a 9 MB JSON of pieces; six such calls left RSS at 1 GB."""
    r = offline.post("/tokenize-text", json={"text": "hello " * 20_000, "model": MODEL})
    error = assert_error_shape(r, 400, "text")
    assert error["code"] == "string_too_long" and "100000" in error["message"]


def test_idle_gateway_hands_free_memory_back(tmp_path: Path) -> None:
    """After requests, once idle for trim_idle_s, the gateway calls malloc_trim (once per idle spell)."""
    assert release_memory() in (0, 1)  # glibc here: the call itself works
    app = create_app(GatewaySettings(trim_idle_s=0.05, in_process=False), engine=FakeEngine(tmp_path))  # type: ignore[arg-type]
    gw = app.state.gateway
    with TestClient(app, base_url="http://testserver/v1", raise_server_exceptions=False) as client:
        for _ in range(3):
            client.post("/tokenize-text", json={"text": 5})  # refused at once; a request all the same
        deadline = time.monotonic() + 10
        while gw.trimmer.trims < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert gw.trimmer.trims == 1


def test_a_prompt_no_slot_can_hold_is_refused_before_llama_cpp(offline: TestClient) -> None:
    """2048 tokens of context at most 128 characters each (the longest tokens are 64): 300,000 characters
    cannot fit. Before, llama.cpp spent ~3 s of CPU and tens of MB tokenizing 1.9 MB before refusing it."""
    long = [{"role": "user", "content": [{"type": "text", "text": "word " * 60_000}]}]
    error = assert_error_shape(offline.post("/chat/completions", json={"model": MODEL, "messages": long}), 400, "messages")
    assert error["code"] == "context_length_exceeded"
    many = [{"role": "user", "content": "a"}] * 2049  # each message is a token at least; llama.cpp took 21 s on 20,000
    error = assert_error_shape(offline.post("/chat/completions", json={"model": MODEL, "messages": many}), 400, "messages")
    assert error["code"] == "context_length_exceeded"


def test_an_image_part_is_a_400_naming_the_message_and_part_and_the_model_reads_text_only(offline: TestClient) -> None:
    png = "data:image/png;base64,iVBORw0KGgoAAAAAAAAAAAAAAAAAAAA="
    parts = [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": png, "detail": "low"}}]
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": parts}]
    r = offline.post("/chat/completions", json={"model": MODEL, "messages": messages})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/json"), r.text
    error = r.json()  # xAI's flat shape (a gRPC status text as code), with the part it names as param
    assert set(error) == {"code", "error", "param"} and error["code"] == "Client specified an invalid argument"
    assert error["error"].startswith("Message 2, part 2 is an image: smollm2-135m-instruct reads text only")
    assert error["param"] == "messages.1.content.1"
    read = error_from_status(r.status_code, r.content)  # as the page's client reads it
    assert isinstance(read, BadRequestError) and read.param == "messages.1.content.1"
    assert read.server_message == error["error"]
    listed = offline.get("/models").json()["data"][0]
    assert listed["input_modalities"] == ["text"]


# ---- the in-process path (llama.cpp's handler called from a thread), with a fake handler ---------------


class FakeHandler:
    """Stands in for `xllamacpp.Server`: `handle_chat_completions(body, callback)` blocks in its own thread and
    calls back per chunk, like llama.cpp's; `fail` is raised instead, `endless` generates until told to stop."""

    def __init__(self, *, fail: Exception | None = None, endless: bool = False) -> None:
        self.fail, self.endless = fail, endless
        self.calls = 0
        self.stopped_by_callback = False
        self.returned = False

    def handle_chat_completions(self, body: dict[str, Any], callback: Any) -> None:
        self.calls += 1
        try:
            if self.fail is not None:
                raise self.fail
            for k in itertools.count():
                if not self.endless and k == 2:
                    break
                chunk = {"choices": [{"index": 0, "delta": {"content": "ab"[k % 2]}, "finish_reason": None}]}
                if callback(chunk):
                    self.stopped_by_callback = True
                    return
                time.sleep(0.005)
            callback({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
            callback({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}})
        finally:
            self.returned = True


def _in_process(tmp_path: Path, handler: FakeHandler | None) -> Any:
    from playground.local.server import Gateway

    engine = FakeEngine(tmp_path)
    engine.server = handler  # type: ignore[attr-defined]
    return Gateway(GatewaySettings(in_process=True), engine)  # type: ignore[arg-type]


def test_in_process_answers_from_the_handler_chunks(tmp_path: Path) -> None:
    async def scenario() -> dict[str, Any]:
        gw = _in_process(tmp_path, FakeHandler())
        await gw.startup()
        try:
            return await gw.complete(_asking("hi"), 2, None)
        finally:
            await gw.shutdown()

    out = asyncio.run(scenario())
    assert [c["message"]["content"] for c in out["choices"]] == ["ab", "ab"]
    assert out["usage"]["completion_tokens"] == 4 and out["usage"]["prompt_tokens"] == 3


@pytest.mark.parametrize(
    ("fail", "status", "type_"),
    [
        (ValueError("JSON schema error at #: unrecognized type nonsense"), 400, "invalid_request_error"),
        (RuntimeError("ggml crashed"), 502, "server_error"),
    ],
    ids=["refused", "failed"],
)
def test_in_process_refusals_and_failures_answer_in_the_error_shape(
    tmp_path: Path, fail: Exception, status: int, type_: str
) -> None:
    """Fault injection: llama.cpp's handler raises (it does for a schema it cannot compile) instead of an HTTP status."""

    async def scenario() -> ApiError:
        gw = _in_process(tmp_path, FakeHandler(fail=fail))
        await gw.startup()
        try:
            with pytest.raises(ApiError) as err:
                await gw.complete(_asking("hi"), 1, None)
            return err.value
        finally:
            await gw.shutdown()

    error = asyncio.run(scenario())
    assert error.status == status and error.type == type_ and str(fail) in error.message


def test_in_process_a_stopped_engine_is_a_503(tmp_path: Path) -> None:
    async def scenario() -> ApiError:
        gw = _in_process(tmp_path, None)
        await gw.startup()
        try:
            with pytest.raises(ApiError) as err:
                await gw.complete(_asking("hi"), 1, None)
            return err.value
        finally:
            await gw.shutdown()

    assert asyncio.run(scenario()).status == 503


def test_in_process_a_client_that_leaves_stops_the_generation_before_its_slot_is_freed(tmp_path: Path) -> None:
    """The request is cancelled mid-answer: the next callback tells llama.cpp to stop, and the gateway's slot is
    handed back only once the handler has returned (else the next request would find llama.cpp's slot busy)."""
    handler = FakeHandler(endless=True)

    async def scenario() -> None:
        gw = _in_process(tmp_path, handler)
        await gw.startup()
        try:
            task = asyncio.create_task(gw.complete(_asking("hi"), 1, None))
            async with asyncio.timeout(5):
                while handler.calls == 0:
                    await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)  # a few chunks in
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert handler.returned and handler.stopped_by_callback
            assert gw.slots.free == gw.slots.size
        finally:
            await gw.shutdown()

    asyncio.run(scenario())


def test_llama_cpp_samples_with_the_documented_defaults_when_a_request_leaves_them_out(tmp_path: Path) -> None:
    """temperature 1 and top_p 1 (the seed document's defaults), not llama.cpp's 0.8 and 0.95."""
    body, _ = choice_body(_asking("Hi"), None, 0, prompt_cache=True)
    assert (body["temperature"], body["top_p"], body["top_k"], body["min_p"]) == (1.0, 1.0, 0, 0.0)
    body, _ = choice_body({**_asking("Hi"), "temperature": 0.3, "top_p": 0.5}, None, 0, prompt_cache=True)
    assert (body["temperature"], body["top_p"]) == (0.3, 0.5)
    assert body["samplers"] == ["penalties", "top_k", "temperature", "top_p"]  # top_p cuts the tempered distribution
