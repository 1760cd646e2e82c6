"""The "OpenAI-compatible server" backend against a real engine other than our gateway: llama.cpp's own server,
the one our embedded gateway fronts (`gateway.engine`, same GGUF, started by playground/local/engine.py), called
by base URL exactly as a team would call a llama-server it runs. Plain and streamed runs through the page's
runner, and a record of what that server does not do, with what the page says about it:

- `n` above its slots (`--parallel`): a 400 naming the field (our gateway fans out any n instead);
- deferred: not offered (the backend declares no deferred); a deferred body is answered at once, no request id;
- `/v1/tokenize-text`: 404 (its tokenizer is `POST /tokenize {"content"}`, off /v1): not offered, logit bias takes ids;
- tools: ignored: the answer is plain text, no tool call (seen with and without `--jinja`: SmolLM2's chat template
  has no tools section, so llama.cpp never puts them in the prompt; our gateway does tool calling itself).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from playground import backends
from playground.client import ChatClient, ClientConfig
from playground.errors import BadRequestError, RequestError, StreamDecodeError, UpstreamError
from playground.examples import GET_WEATHER
from playground.local import Gateway
from playground.notebook import Cell, ChatMessage
from playground.runner import Clients, list_models, new_cell, prepare, stream

pytestmark = pytest.mark.integration

CAPS = backends.backend("openai").capabilities
QUESTION = [ChatMessage(content="Name three colours.")]
SHORT = {"temperature": 0, "max_completion_tokens": 8}


@pytest.fixture
def raw_url(gateway: Gateway) -> str:
    """llama.cpp's server itself (not our gateway): what `llama-server --port …` serves, plus /v1."""
    return gateway.engine.base_url.rstrip("/") + "/v1"


@pytest.fixture
def config(raw_url: str) -> ClientConfig:
    """Resolved as the page resolves a typed base URL (no key: this server needs none)."""
    resolved = backends.resolve("openai", base_url=raw_url, env={}, secrets={}, timeout=180)
    assert resolved.kind == "openai" and resolved.api_key is None and resolved.base_url == raw_url
    return resolved


@pytest.fixture
def client(config: ClientConfig) -> Iterator[ChatClient]:
    clients = Clients()
    try:
        yield clients.get(config)
    finally:
        clients.close()


@pytest.fixture
def model(client: ChatClient) -> str:
    listed = list_models(client)
    assert listed.error is None and len(listed.models) == 1, listed
    return listed.models[0]


def cell_for(raw_url: str, client: ChatClient, model: str, settings: dict[str, object]) -> Cell:
    built = prepare(settings, QUESTION, model=model, caps=CAPS, client=client)
    return new_cell(built, backend="openai", base_url=raw_url, conversation=QUESTION, settings=settings)


def test_its_model_list_names_the_gguf_file(model: str, gateway: Gateway) -> None:
    """llama.cpp lists its model under the file's path: that id is what the page's model field offers."""
    assert model == str(gateway.engine.gguf) and model.endswith(".gguf")


def test_its_model_list_tells_the_page_what_this_server_cannot_do(client: ChatClient, model: str, gateway: Gateway) -> None:
    """Known as llama.cpp by its list (`owned_by`), with one slot's context: warned of under n, tools and length."""
    listed = list_models(client)
    slot = gateway.engine.n_ctx // gateway.engine.n_parallel
    assert listed.llama_cpp and listed.context == {model: slot}
    assert listed.warning(model, "max_completion_tokens", slot + 1) is not None
    assert listed.warning(model, "n", gateway.engine.n_parallel + 1) is not None
    assert listed.warning(model, "tools", [GET_WEATHER]) is not None


def test_a_plain_run(raw_url: str, client: ChatClient, model: str) -> None:
    cell = cell_for(raw_url, client, model, SHORT)
    completion = client.complete(cell.body)
    assert completion.text().strip()
    assert completion.usage.output_tokens is not None and 0 < completion.usage.output_tokens <= 8
    assert completion.usage.input_tokens


def test_a_streamed_run_fills_the_cell(raw_url: str, client: ChatClient, model: str) -> None:
    cell = cell_for(raw_url, client, model, SHORT | {"stream": True})
    deltas = list(stream(client, cell))
    assert cell.status == "done", cell.error
    assert len(deltas) >= 2  # it streams token by token, not one block
    assert cell.completion is not None and cell.completion.text() == cell.partial[0] == "".join(d.text for d in deltas)
    assert cell.timings.ttft_s is not None and cell.timings.total_s is not None


def test_n_up_to_its_slots_works_and_beyond_is_a_400_naming_n(
    raw_url: str, client: ChatClient, model: str, gateway: Gateway
) -> None:
    slots = gateway.engine.n_parallel
    two = client.complete(cell_for(raw_url, client, model, SHORT | {"n": 2, "temperature": 1, "seed": 5}).body)
    assert len(two.choices) == 2
    with pytest.raises(BadRequestError) as caught:
        client.complete(cell_for(raw_url, client, model, SHORT | {"n": slots + 1}).body)
    assert caught.value.status == 400
    shown = str(caught.value)  # what the cell's error box says
    assert "'n'" in shown and f"<= {slots}" in shown and f"got {slots + 1}" in shown


def test_deferred_is_not_offered_and_a_deferred_body_gets_no_request_id(raw_url: str, client: ChatClient, model: str) -> None:
    assert not CAPS.deferred
    cell = cell_for(raw_url, client, model, SHORT | {"deferred": True})
    assert "deferred" not in cell.body  # prepare drops it for a backend without deferred: the run is a normal one
    with pytest.raises(StreamDecodeError, match="no request_id came back"):
        client.submit_deferred(cell.body)  # llama.cpp ignores the field and answers at once


def test_tokenize_is_not_offered_and_its_endpoint_is_missing(raw_url: str, client: ChatClient, model: str) -> None:
    assert not CAPS.tokenize
    with pytest.raises(RequestError) as caught:
        prepare(SHORT, QUESTION, model=model, logit_bias_rows=[{"token": "Red", "bias": -5}], caps=CAPS, client=client)
    [problem] = caught.value.errors
    assert problem.field == "logit_bias" and problem.code == "tokenize_unsupported" and "enter its token id" in problem.message
    with pytest.raises(UpstreamError) as gone:
        client.tokenize("Red", model)
    assert gone.value.status == 404
    # logit bias by token id works: ban the first token of its greedy answer (its id from llama.cpp's own /tokenize)
    two = SHORT | {"max_completion_tokens": 2}
    usual = client.complete(cell_for(raw_url, client, model, two).body | {"logprobs": True, "top_logprobs": 1})
    assert usual.choices[0].logprobs is not None
    first = usual.choices[0].logprobs[0].token
    [token_id] = httpx.post(raw_url.removesuffix("/v1") + "/tokenize", json={"content": first}, timeout=60).json()["tokens"]
    rows = [{"token": str(token_id), "bias": -100}]
    built = prepare(two, QUESTION, model=model, logit_bias_rows=rows, caps=CAPS, client=client)
    assert built.request.to_body()["logit_bias"] == {str(token_id): -100}
    banned = client.complete(built.request.to_body() | {"logprobs": True, "top_logprobs": 1})
    assert banned.choices[0].logprobs is not None and banned.choices[0].logprobs[0].token != first


def test_tools_are_ignored(raw_url: str, client: ChatClient, model: str) -> None:
    """Recorded: llama.cpp answers in plain text and calls no tool; the page's Tools section works only through our gateway."""
    settings = SHORT | {"tools": [GET_WEATHER], "tool_choice": "required"}
    completion = client.complete(cell_for(raw_url, client, model, settings).body)
    assert completion.tool_uses(0) == [] and completion.text(0).strip()
