"""The gateway over real HTTP on the real embedded model: replies, sampling fields, bounds, errors."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema
import pytest

from playground.local import Gateway

pytestmark = pytest.mark.integration

HELLO = [{"role": "user", "content": "Say hello."}]


def chat(api: httpx.Client, model: str, **fields: Any) -> httpx.Response:
    body = {"model": model, "messages": HELLO, "max_completion_tokens": 8, **fields}
    return api.post("/chat/completions", json=body)


def test_models_lists_the_embedded_model(api: httpx.Client, gateway: Gateway) -> None:
    data = api.get("/models").json()
    assert data["object"] == "list"
    assert [m["id"] for m in data["data"]] == [gateway.model_id]
    assert data["data"][0]["object"] == "model"


def test_the_model_says_its_context_and_a_longer_answer_is_refused(api: httpx.Client, gateway: Gateway) -> None:
    context = api.get("/models").json()["data"][0]["context_length"]
    assert isinstance(context, int) and context > 0
    assert chat(api, gateway.model_id, max_completion_tokens=context, temperature=0).status_code == 200  # a short greeting
    r = chat(api, gateway.model_id, max_completion_tokens=context + 1)
    assert r.status_code == 400 and r.json()["error"]["param"] == "max_completion_tokens"


def test_a_reply_arrives_in_the_chat_completion_shape(api: httpx.Client, gateway: Gateway) -> None:
    r = chat(api, gateway.model_id, seed=1)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["object"] == "chat.completion"
    assert data["model"] == gateway.model_id
    assert data["id"] and isinstance(data["created"], int) and data["system_fingerprint"]
    choice = data["choices"][0]
    assert choice["index"] == 0 and choice["message"]["role"] == "assistant"
    assert choice["message"]["content"].strip()
    assert choice["finish_reason"] in {"stop", "length"}
    usage = data["usage"]
    assert usage["prompt_tokens"] > 0 and 0 < usage["completion_tokens"] <= 8
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_the_gguf_file_name_is_accepted_as_the_model(api: httpx.Client, gateway: Gateway) -> None:
    r = chat(api, gateway.engine.gguf.name, max_completion_tokens=2)
    assert r.status_code == 200, r.text
    assert r.json()["model"] == gateway.model_id


def test_same_seed_twice_gives_the_same_text(api: httpx.Client, gateway: Gateway) -> None:
    texts = [
        chat(api, gateway.model_id, seed=1234, temperature=1.5, max_completion_tokens=16).json()["choices"][0]["message"][
            "content"
        ]
        for _ in range(2)
    ]
    assert texts[0] == texts[1]


def test_logprobs_with_top_8_give_8_alternatives_per_token(api: httpx.Client, gateway: Gateway) -> None:
    data = chat(api, gateway.model_id, logprobs=True, top_logprobs=8, max_completion_tokens=4).json()
    tokens = data["choices"][0]["logprobs"]["content"]
    # llama.cpp joins the byte tokens of one multi-byte character (an emoji is up to 4) into one entry,
    # and may leave out a last whitespace token (measured: "Hello there! " with 3 entries).
    assert 1 <= len(tokens) <= data["usage"]["completion_tokens"]
    text = b"".join(bytes(t["bytes"]) for t in tokens).decode()
    assert data["choices"][0]["message"]["content"].startswith(text)
    for token in tokens:
        assert len(token["top_logprobs"]) == 8
        assert token["logprob"] <= 0
        assert bytes(token["bytes"]).decode("utf-8", "replace") == token["token"] or token["bytes"]


def test_logprobs_without_top_logprobs_give_no_alternatives(api: httpx.Client, gateway: Gateway) -> None:
    data = chat(api, gateway.model_id, logprobs=True, max_completion_tokens=3).json()
    tokens = data["choices"][0]["logprobs"]["content"]
    assert tokens and all(t["top_logprobs"] == [] for t in tokens)


def test_a_stop_sequence_stops(api: httpx.Client, gateway: Gateway) -> None:
    body = {
        "messages": [{"role": "user", "content": "Count from 1 to 10, separated by commas."}],
        "temperature": 0,
        "max_completion_tokens": 40,
    }
    free = chat(api, gateway.model_id, **body).json()["choices"][0]["message"]["content"]
    assert "4" in free, free  # the unconstrained answer goes past 4
    stopped = chat(api, gateway.model_id, stop=["4", "never"], **body).json()["choices"][0]
    assert stopped["finish_reason"] == "stop" and stopped["stop_sequence"] == "4"
    assert "4" not in stopped["message"]["content"]
    assert free.startswith(stopped["message"]["content"].rstrip())


def test_a_streamed_stop_names_its_sequence(api: httpx.Client, gateway: Gateway) -> None:
    body = {
        "model": gateway.model_id,
        "messages": [{"role": "user", "content": "Count from 1 to 10."}],
        "temperature": 0,
        "max_completion_tokens": 40,
        "stop": ["3"],
        "stream": True,
    }
    with api.stream("POST", "/chat/completions", json=body) as r:
        chunks = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: {")]
    last = [c for ch in chunks for c in ch["choices"] if c.get("finish_reason")]
    assert [(c["finish_reason"], c.get("stop_sequence")) for c in last] == [("stop", "3")]


def test_an_answer_that_ends_by_itself_has_no_stop_sequence(api: httpx.Client, gateway: Gateway) -> None:
    choice = chat(api, gateway.model_id, temperature=0, max_completion_tokens=60, stop=["zzz"]).json()["choices"][0]
    assert choice["finish_reason"] == "stop" and "stop_sequence" not in choice


def test_max_completion_tokens_cut_gives_finish_reason_length(api: httpx.Client, gateway: Gateway) -> None:
    data = chat(api, gateway.model_id, max_completion_tokens=2).json()
    assert data["choices"][0]["finish_reason"] == "length"
    assert data["usage"]["completion_tokens"] == 2


def test_json_object_output_parses(api: httpx.Client, gateway: Gateway) -> None:
    data = chat(
        api,
        gateway.model_id,
        temperature=0,
        max_completion_tokens=60,
        messages=[{"role": "user", "content": "Give a JSON object with a city name."}],
        response_format={"type": "json_object"},
    ).json()
    choice = data["choices"][0]
    if choice["finish_reason"] == "stop":
        assert isinstance(json.loads(choice["message"]["content"]), dict)
    else:  # cut short: still a JSON prefix
        assert choice["message"]["content"].lstrip().startswith("{")


def test_json_schema_output_validates(api: httpx.Client, gateway: Gateway) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string", "maxLength": 20}, "temperature": {"type": "integer"}},
        "required": ["city", "temperature"],
        "additionalProperties": False,
    }
    data = chat(
        api,
        gateway.model_id,
        temperature=0,
        max_completion_tokens=60,
        messages=[{"role": "user", "content": "Weather in Seoul as JSON."}],
        response_format={"type": "json_schema", "json_schema": {"name": "weather", "schema": schema, "strict": True}},
    ).json()
    choice = data["choices"][0]
    assert choice["finish_reason"] == "stop", choice
    jsonschema.validate(json.loads(choice["message"]["content"]), schema)


def test_json_schema_cut_short_gives_length(api: httpx.Client, gateway: Gateway) -> None:
    schema = {"type": "object", "properties": {"story": {"type": "string"}}, "required": ["story"]}
    data = chat(
        api,
        gateway.model_id,
        max_completion_tokens=3,
        response_format={"type": "json_schema", "json_schema": {"name": "s", "schema": schema}},
    ).json()
    assert data["choices"][0]["finish_reason"] == "length"


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"top_logprobs": 9, "logprobs": True}, "top_logprobs"),
        ({"temperature": 3}, "temperature"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"logit_bias": {"19556": 101}}, "logit_bias"),
        ({"n": 0}, "n"),
        ({"top_p": 1.5}, "top_p"),
        ({"presence_penalty": -2.5}, "presence_penalty"),
        ({"frequency_penalty": 2.5}, "frequency_penalty"),
        ({"tools": [{"type": "function", "function": {"name": "bad name!", "parameters": {"type": "object"}}}]}, "tools"),
    ],
)
def test_bad_bounds_give_400_naming_the_param(api: httpx.Client, gateway: Gateway, fields: dict[str, Any], param: str) -> None:
    r = chat(api, gateway.model_id, **fields)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param or error["param"].startswith(param + "."), error
    assert error["message"] and error["code"]


def test_malformed_json_is_a_400(api: httpx.Client) -> None:
    for content in (b"{not json", b"[1, 2]", b"\xff\xfe", b""):
        r = api.post("/chat/completions", content=content, headers={"content-type": "application/json"})
        assert r.status_code == 400, (content, r.text)
        assert r.json()["error"]["code"] == "invalid_json"


def test_unknown_model_is_a_404_in_the_error_shape(api: httpx.Client) -> None:
    r = chat(api, "grok-99")
    assert r.status_code == 404
    assert r.json()["error"] | {"message": ""} == {
        "message": "",
        "type": "invalid_request_error",
        "param": "model",
        "code": "model_not_found",
    }


def test_a_body_over_the_limit_is_a_413(api: httpx.Client, gateway: Gateway) -> None:
    big = "x" * (gateway.settings.max_body_bytes + 10)
    r = chat(api, gateway.model_id, messages=[{"role": "user", "content": big}])
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "request_too_large"


def test_tokenize_text_in_xais_shape(api: httpx.Client, gateway: Gateway) -> None:
    r = api.post("/tokenize-text", json={"text": "Hello world", "model": gateway.model_id})
    assert r.status_code == 200, r.text
    tokens = r.json()["token_ids"]
    assert "".join(t["string_token"] for t in tokens) == "Hello world"
    assert all(isinstance(t["token_id"], int) and bytes(t["token_bytes"]).decode() == t["string_token"] for t in tokens)
    # the ids work as logit_bias keys: banning the first token of the greedy answer changes it
    first = chat(api, gateway.model_id, temperature=0, max_completion_tokens=1, logprobs=True).json()["choices"][0]["logprobs"][
        "content"
    ][0]
    banned = chat(
        api, gateway.model_id, temperature=0, max_completion_tokens=1, logprobs=True, logit_bias={str(first["id"]): -100}
    ).json()["choices"][0]["logprobs"]["content"][0]
    assert banned["token"] != first["token"]


def test_tokenize_text_keeps_bytes_of_partial_characters(api: httpx.Client, gateway: Gateway) -> None:
    tokens = api.post("/tokenize-text", json={"text": "日本", "model": gateway.model_id}).json()["token_ids"]
    assert bytes(b for t in tokens for b in t["token_bytes"]).decode() == "日本"


def test_streaming_passes_sse_through_with_usage(api: httpx.Client, gateway: Gateway) -> None:
    body = {
        "model": gateway.model_id,
        "messages": HELLO,
        "max_completion_tokens": 6,
        "seed": 5,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    chunks = []
    with api.stream("POST", "/chat/completions", json=body) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in r.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    assert len({c["id"] for c in chunks}) == 1
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == gateway.model_id for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    direct = chat(api, gateway.model_id, seed=5, max_completion_tokens=6).json()
    assert text == direct["choices"][0]["message"]["content"]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 6
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "length"


def test_stream_without_include_usage_sends_no_usage(api: httpx.Client, gateway: Gateway) -> None:
    body = {"model": gateway.model_id, "messages": HELLO, "max_completion_tokens": 3, "stream": True}
    with api.stream("POST", "/chat/completions", json=body) as r:
        chunks = [json.loads(line[6:]) for line in r.iter_lines() if line and line != "data: [DONE]"]
    assert all("usage" not in c and c["choices"] for c in chunks)


def test_unknown_route_is_a_404_in_the_error_shape(api: httpx.Client) -> None:
    r = api.get("/nothing-here")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_a_repeated_prompt_is_taken_from_a_slot_cache(api: httpx.Client, gateway: Gateway) -> None:
    """Usage says how many prompt tokens came from a slot's cache: the prompt cache is on by default."""
    body = {"model": gateway.model_id, "messages": [{"role": "user", "content": "Name a colour, please."}]}
    body |= {"max_completion_tokens": 2, "temperature": 0}

    def cached() -> int:
        r = api.post("/chat/completions", json=body)
        assert r.status_code == 200, r.text
        return r.json()["usage"]["prompt_tokens_details"]["cached_tokens"]

    cached()  # fills a slot's cache
    assert cached() > 0


STORY = [{"role": "user", "content": "Tell me a short story about a lighthouse keeper."}]


def test_a_final_assistant_message_is_continued_exactly(api: httpx.Client, gateway: Gateway) -> None:
    """ "Continue from here" sends the answer up to a token as the last (assistant) message: a greedy answer cut after
    token 5, 12 or 20 and sent back goes on with the very same text; the continuation's logprobs start after the
    prefix, and its usage counts the prefix as prompt."""
    tokens = 28  # the fewest that leave a few tokens after the last cut
    body = {"model": gateway.model_id, "messages": STORY, "temperature": 0, "logprobs": True, "max_completion_tokens": tokens}
    whole = api.post("/chat/completions", json=body).json()
    text = whole["choices"][0]["message"]["content"]
    entries = whole["choices"][0]["logprobs"]["content"]
    assert len(entries) > 20 and whole["choices"][0]["finish_reason"] == "length"
    for cut in (5, 12, 20):
        prefix = b"".join(bytes(t["bytes"]) for t in entries[:cut]).decode()
        assert text.startswith(prefix)
        messages = [*STORY, {"role": "assistant", "content": prefix}]
        more = api.post("/chat/completions", json={**body, "messages": messages, "max_completion_tokens": tokens - cut}).json()
        rest = more["choices"][0]["message"]["content"]
        assert prefix + rest == text, cut
        assert more["choices"][0]["logprobs"]["content"][0]["token"] == entries[cut]["token"]
        assert more["usage"]["prompt_tokens"] == whole["usage"]["prompt_tokens"] + cut


def test_an_answer_that_ended_by_itself_continues_with_nothing(api: httpx.Client, gateway: Gateway) -> None:
    body = {"model": gateway.model_id, "messages": HELLO, "temperature": 0, "max_completion_tokens": 60}
    whole = api.post("/chat/completions", json=body).json()
    assert whole["choices"][0]["finish_reason"] == "stop"
    messages = [*HELLO, {"role": "assistant", "content": whole["choices"][0]["message"]["content"]}]
    more = api.post("/chat/completions", json={**body, "messages": messages}).json()
    assert more["choices"][0]["message"]["content"] == ""
    assert more["choices"][0]["finish_reason"] == "stop" and more["usage"]["completion_tokens"] <= 1
