"""Unit tests of playground/local/tools.py: planning, the upstream body, rendering, parsing."""

from __future__ import annotations

import json

import jsonschema
import pytest

from playground.errors import RequestError
from playground.examples import ADD, GET_WEATHER
from playground.local import tools
from playground.local.tools import ANSWER_TOOL, plan, render_messages

USER = {"role": "user", "content": "What's the weather in Seoul?"}
CALL = {
    "role": "assistant",
    "content": None,
    "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Seoul"}'}}],
}
RESULT = {"role": "tool", "tool_call_id": "call_1", "content": "18°C and sunny"}


def body(**kw):
    return {"model": "m", "messages": [USER], "temperature": 0, **kw}


def branch_names(schema):
    return [b["properties"]["name"]["const"] for b in schema["oneOf"]]


# ---- plan ----------------------------------------------------------------------------------------


def test_no_tools_and_no_tool_messages_means_no_plan():
    assert plan(body()) is None
    assert plan(body(tools=[])) is None


def test_auto_is_the_default_and_offers_every_tool_plus_the_answer_branch():
    p = plan(body(tools=[GET_WEATHER, ADD]))
    assert p is not None and p.mode == "auto" and p.constrained
    assert branch_names(p.schema) == ["get_weather", "add", ANSWER_TOOL]


def test_required_offers_only_the_tools():
    p = plan(body(tools=[GET_WEATHER, ADD], tool_choice="required"))
    assert branch_names(p.schema) == ["get_weather", "add"]


def test_named_choice_keeps_only_that_tool():
    p = plan(body(tools=[GET_WEATHER, ADD], tool_choice={"type": "function", "function": {"name": "add"}}))
    assert p.mode == "function"
    assert branch_names(p.schema) == ["add"]
    assert "get_weather" not in p.system_prompt


def test_named_choice_of_a_missing_tool_is_a_request_error():
    with pytest.raises(RequestError) as exc:
        plan(body(tools=[GET_WEATHER], tool_choice={"type": "function", "function": {"name": "nope"}}))
    assert exc.value.errors[0].field == "tool_choice"


def test_none_constrains_nothing():
    p = plan(body(tools=[GET_WEATHER], tool_choice="none"))
    assert p is not None and not p.constrained and p.schema is None and p.system_prompt is None


def test_tool_messages_without_tools_still_plan_rendering():
    p = plan({"messages": [USER, CALL, RESULT]})
    assert p is not None and p.mode == "none" and not p.constrained


def test_after_a_tool_result_auto_answers_in_free_text_but_required_still_calls():
    messages = [USER, CALL, RESULT]
    assert not plan(body(messages=messages, tools=[GET_WEATHER])).constrained
    assert plan(body(messages=messages, tools=[GET_WEATHER], tool_choice="required")).constrained


def test_answer_tool_name_avoids_a_real_tool_of_that_name():
    reply = {"type": "function", "function": {"name": ANSWER_TOOL, "parameters": {"type": "object"}}}
    p = plan(body(tools=[reply]))
    assert p.answer_tool != ANSWER_TOOL
    assert branch_names(p.schema) == [ANSWER_TOOL, p.answer_tool]


# ---- upstream body -------------------------------------------------------------------------------


def test_upstream_body_drops_tool_fields_and_sets_the_schema():
    b = body(tools=[GET_WEATHER], tool_choice="required", parallel_tool_calls=True, max_completion_tokens=64)
    up = plan(b).upstream_body(b)
    assert not {"tools", "tool_choice", "parallel_tool_calls"} & set(up)
    assert up["max_completion_tokens"] == 64 and up["temperature"] == 0
    rf = up["response_format"]
    assert rf["type"] == "json_schema" and rf["json_schema"]["name"] == "tool_call" and rf["json_schema"]["strict"]
    assert up["messages"][0]["role"] == "system" and '"name": "get_weather"' in up["messages"][0]["content"]
    assert "tools" in b  # the caller's body is left alone


def test_system_prompt_extends_the_callers_system_message():
    b = body(messages=[{"role": "system", "content": "Be brief."}, USER], tools=[GET_WEATHER])
    up = plan(b).upstream_body(b)
    assert up["messages"][0]["content"].startswith("Be brief.\n\nYou can call these tools:")
    assert up["messages"][1:] == [USER]


def test_tools_win_over_response_format_while_constrained_and_not_otherwise():
    fmt = {"type": "json_object"}
    b = body(tools=[GET_WEATHER], response_format=fmt)
    assert plan(b).upstream_body(b)["response_format"]["type"] == "json_schema"
    b = body(tools=[GET_WEATHER], tool_choice="none", response_format=fmt)
    up = plan(b).upstream_body(b)
    assert up["response_format"] == fmt and up["messages"] == [USER]


def test_schema_matches_calls_and_answers_and_rejects_others():
    schema = plan(body(tools=[GET_WEATHER, ADD])).schema
    jsonschema.Draft202012Validator.check_schema(schema)
    ok = [
        {"name": "get_weather", "arguments": {"city": "Seoul"}},
        {"name": "add", "arguments": {"a": 1, "b": 2.5}},
        {"name": ANSWER_TOOL, "arguments": {"text": "hi"}},
    ]
    bad = [
        {"name": "get_weather", "arguments": {"unit": "metric"}},
        {"name": "add", "arguments": {"a": "1", "b": 2}},
        {"name": "get_weather", "arguments": {"city": "Seoul", "extra": 1}},
        {"name": "nope", "arguments": {}},
        {"answer": "hi"},
    ]
    for x in ok:
        jsonschema.validate(x, schema)
    for x in bad:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(x, schema)


def test_grammar_schema_tightens_objects_and_drops_unenforceable_keywords():
    params = {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "where": {"type": "object", "properties": {"x": {"not": {"const": 1}, "type": "integer"}}},
            "any": {"type": "object", "additionalProperties": True},
        },
        "$schema": "https://json-schema.org/draft/2020-12/schema",
    }
    g = tools.grammar_schema(params)
    assert g["additionalProperties"] is False
    assert g["properties"]["where"]["additionalProperties"] is False
    assert g["properties"]["any"]["additionalProperties"] is True
    assert "uniqueItems" not in g["properties"]["tags"] and "not" not in g["properties"]["where"]["properties"]["x"]
    assert "$schema" not in g and "uniqueItems" in params["properties"]["tags"]  # original untouched


def test_a_property_named_like_a_keyword_is_kept():
    params = {"type": "object", "properties": {"not": {"type": "string"}, "format": {"type": "string"}}}
    assert set(tools.grammar_schema(params)["properties"]) == {"not", "format"}


def test_tool_without_parameters_gets_an_empty_object():
    bare = {"type": "function", "function": {"name": "now"}}
    p = plan(body(tools=[bare], tool_choice="required"))
    message, finish = p.to_message('{"name": "now", "arguments": {}}')
    assert finish == "tool_calls" and message["tool_calls"][0]["function"]["arguments"] == "{}"


# ---- rendering -----------------------------------------------------------------------------------


def test_render_turns_calls_and_results_into_plain_turns():
    out = render_messages([USER, CALL, RESULT])
    assert out == [
        USER,
        {"role": "assistant", "content": 'Calling get_weather({"city": "Seoul"}).'},
        {"role": "user", "content": "Result of get_weather: 18°C and sunny"},
    ]


def test_render_keeps_text_of_a_calling_message_and_finds_names_by_id():
    call = {
        "role": "assistant",
        "content": "Let me check.",
        "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'}},
            {"id": "b", "type": "function", "function": {"name": "get_weather", "arguments": "not json"}},
        ],
    }
    out = render_messages(
        [
            USER,
            call,
            {"role": "tool", "tool_call_id": "b", "content": "rain"},
            {"role": "tool", "name": "clock", "content": "12:00"},
            {"role": "tool", "content": [{"type": "text", "text": "x"}]},
        ]
    )
    assert out[1]["content"] == 'Let me check.\nCalling add({"a": 1, "b": 2}).\nCalling get_weather("not json").'
    assert [m["content"] for m in out[2:]] == ["Result of get_weather: rain", "Result of clock: 12:00", "Result of the tool: x"]
    assert all(m["role"] in ("user", "assistant") for m in out)


# ---- to_message ----------------------------------------------------------------------------------


@pytest.fixture
def auto():
    return plan(body(tools=[GET_WEATHER, ADD]))


def test_a_tool_branch_becomes_a_tool_call(auto):
    text = '{\n  "name": "get_weather",\n  "arguments": {\n    "city": "Seoul"\n  }\n}'
    message, finish = auto.to_message(text, "stop")
    assert finish == "tool_calls" and message["content"] is None and message["role"] == "assistant"
    (call,) = message["tool_calls"]
    assert call["type"] == "function" and call["id"].startswith("call_") and len(call["id"]) > 10
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Seoul"}


def test_call_ids_are_fresh(auto):
    text = '{"name": "add", "arguments": {"a": 1, "b": 2}}'
    ids = {auto.to_message(text)[0]["tool_calls"][0]["id"] for _ in range(20)}
    assert len(ids) == 20


def test_the_answer_branch_becomes_text(auto):
    message, finish = auto.to_message('{"name": "%s", "arguments": {"text": "Hi there"}}' % ANSWER_TOOL, "stop")
    assert message == {"role": "assistant", "content": "Hi there"} and finish == "stop"


def test_a_cut_answer_keeps_its_text(auto):
    message, finish = auto.to_message('{\n "name": "%s",\n "arguments": {"text": "Once upon a ti' % ANSWER_TOOL, "length")
    assert message == {"role": "assistant", "content": "Once upon a ti"} and finish == "length"


def test_a_cut_call_is_returned_as_text_with_length(auto):
    text = '{"name": "get_weather", "arguments": {"ci'
    assert auto.to_message(text, "length") == ({"role": "assistant", "content": text}, "length")
    assert auto.to_message(text, None) == ({"role": "assistant", "content": text}, "length")


@pytest.mark.parametrize("text", ["", "hello", "[1, 2]", '{"name": "nope", "arguments": {}}', '{"name": "add"}', "}"])
def test_unparsable_or_foreign_output_never_raises(auto, text):
    message, finish = auto.to_message(text, "stop")
    assert message == {"role": "assistant", "content": text} and finish == "stop"


def test_none_content_is_empty_text(auto):
    assert auto.to_message(None, "stop") == ({"role": "assistant", "content": ""}, "stop")


def test_unconstrained_plans_pass_text_and_finish_reason_through():
    p = plan(body(messages=[USER, CALL, RESULT], tools=[GET_WEATHER]))
    text = '{"name": "get_weather", "arguments": {"city": "Seoul"}}'
    assert p.to_message(text, "length") == ({"role": "assistant", "content": text}, "length")
    assert p.to_message("It is sunny.", None) == ({"role": "assistant", "content": "It is sunny."}, "stop")


def test_a_named_choice_does_not_accept_another_tool():
    p = plan(body(tools=[GET_WEATHER, ADD], tool_choice={"type": "function", "function": {"name": "add"}}))
    text = '{"name": "get_weather", "arguments": {"city": "Seoul"}}'
    assert p.to_message(text, "stop") == ({"role": "assistant", "content": text}, "stop")


def test_public_names():
    assert sorted(tools.__all__) == sorted(
        ["ANSWER_TOOL", "Function", "ToolPlan", "call_names", "grammar_schema", "new_call_id", "plan", "render_messages"]
    )
    assert all(hasattr(tools, name) for name in tools.__all__)
