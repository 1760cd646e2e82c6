"""playground.request: every field rule, good and bad values, through both entry points.

Assertions are on error codes and field paths, never on wording (except that a message names its field).
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from playground import fields as F
from playground.errors import RequestError
from playground.examples import GET_WEATHER, WEATHER_SCHEMA
from playground.request import (
    Built,
    ChatRequest,
    Message,
    NamedToolChoice,
    build_request,
    parse_stop,
    validate_body,
)
from playground.schema import parse_tools, validate_tools
from tests.core.schema_cases import BAD_TOOLS

USER = {"role": "user", "content": "Hello"}


def body(**extra: Any) -> dict[str, Any]:
    return {"model": "grok-3", "messages": [USER], **extra}


def errors_of(fn: Any, *args: Any) -> set[tuple[str, str]]:
    """(field, code) pairs of the RequestError `fn(*args)` raises."""
    with pytest.raises(RequestError) as info:
        fn(*args)
    for e in info.value.errors:
        assert e.message and e.message[0].isupper() and e.message.endswith((".", ")")), e
    return {(e.field, e.code) for e in info.value.errors}


def bad(**extra: Any) -> set[tuple[str, str]]:
    return errors_of(validate_body, body(**extra))


def ok(**extra: Any) -> dict[str, Any]:
    return validate_body(body(**extra)).to_body()


# ---------------------------------------------------------------------------------------------- bounds


FLOAT_FIELDS = [k for k, f in F.FIELDS.items() if f.kind is F.Kind.FLOAT]
INT_FIELDS = ["seed", "max_completion_tokens", "n", "top_logprobs"]


def test_float_fields_are_the_documented_ones() -> None:
    assert set(FLOAT_FIELDS) == {"temperature", "top_p", "frequency_penalty", "presence_penalty"}


@pytest.mark.parametrize(
    ("key", "good", "bad_low", "bad_high"),
    [
        ("temperature", [0, 0.7, 1, 2], -0.01, 2.01),
        ("top_p", [0, 0.5, 1], -0.1, 1.01),
        ("frequency_penalty", [-2, 0, 1.5, 2], -2.1, 2.1),
        ("presence_penalty", [-2, 0, 2], -3, 2.5),
    ],
)
def test_float_bounds(key: str, good: list[float], bad_low: float, bad_high: float) -> None:
    for value in good:
        assert ok(**{key: value})[key] == value
    assert bad(**{key: bad_low}) == {(key, "greater_than_equal")}
    assert bad(**{key: bad_high}) == {(key, "less_than_equal")}


@pytest.mark.parametrize("key", FLOAT_FIELDS)
@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("warm", "float_parsing"),
        (True, "number_type"),
        (math.inf, "finite_number"),
        (math.nan, "finite_number"),
        ([1], "float_type"),
    ],
)
def test_float_fields_reject_non_numbers(key: str, value: Any, code: str) -> None:
    assert bad(**{key: value}) == {(key, code)}


def test_bound_message_names_the_rule() -> None:
    with pytest.raises(RequestError) as info:
        validate_body(body(temperature=5))
    (err,) = info.value.errors
    assert "Temperature" in err.message and "0" in err.message and "2" in err.message


@given(key=st.sampled_from(FLOAT_FIELDS), data=st.data())
@settings(max_examples=60, deadline=None)
def test_in_bound_floats_accepted(key: str, data: st.DataObject) -> None:
    f = F.FIELDS[key]
    value = data.draw(st.floats(min_value=f.minimum, max_value=f.maximum, allow_nan=False))
    assert validate_body(body(**{key: value})).to_body()[key] == value


@given(key=st.sampled_from(FLOAT_FIELDS), data=st.data())
@settings(max_examples=60, deadline=None)
def test_out_of_bound_floats_rejected_on_their_field(key: str, data: st.DataObject) -> None:
    f = F.FIELDS[key]
    value = data.draw(
        st.floats(max_value=f.minimum, exclude_max=True, allow_nan=False, allow_infinity=False)
        | st.floats(min_value=f.maximum, exclude_min=True, allow_nan=False, allow_infinity=False)
    )
    ((field, code),) = bad(**{key: value})
    assert field == key
    assert code in ("greater_than_equal", "less_than_equal")


@given(key=st.sampled_from(["seed", "max_completion_tokens", "n", "top_logprobs"]), data=st.data())
@settings(max_examples=60, deadline=None)
def test_int_bounds_from_fields(key: str, data: st.DataObject) -> None:
    f = F.FIELDS[key]
    lo = int(f.minimum)
    hi = int(f.maximum) if f.maximum is not None else 10**9
    extra = {"logprobs": True} if key == "top_logprobs" else {}
    value = data.draw(st.integers(lo, hi))
    assert ok(**{key: value}, **extra)[key] == value
    assert bad(**{key: lo - data.draw(st.integers(1, 1000))}, **extra) == {(key, "greater_than_equal")}
    if f.maximum is not None:
        assert bad(**{key: hi + data.draw(st.integers(1, 1000))}, **extra) == {(key, "less_than_equal")}


@pytest.mark.parametrize("key", INT_FIELDS)
@pytest.mark.parametrize(("value", "code"), [(1.5, "int_from_float"), ("many", "int_parsing"), (True, "number_type")])
def test_int_fields_reject_non_integers(key: str, value: Any, code: str) -> None:
    extra = {"logprobs": True} if key == "top_logprobs" else {}
    assert bad(**{key: value}, **extra) == {(key, code)}


def test_n_cap_is_fields_max_n() -> None:
    assert ok(n=F.MAX_N)["n"] == F.MAX_N
    assert bad(n=F.MAX_N + 1) == {("n", "less_than_equal")}
    assert bad(n=0) == {("n", "greater_than_equal")}


def test_max_completion_tokens_positive() -> None:
    assert ok(max_completion_tokens=1)["max_completion_tokens"] == 1
    assert bad(max_completion_tokens=0) == {("max_completion_tokens", "greater_than_equal")}


def test_seed_integer_and_range() -> None:
    assert ok(seed=0)["seed"] == 0
    assert ok(seed=2**32 - 1)["seed"] == 2**32 - 1
    assert bad(seed=-1) == {("seed", "greater_than_equal")}
    assert bad(seed=2**32) == {("seed", "less_than_equal")}


def test_bounds_come_from_fields() -> None:
    """The pydantic model's JSON Schema carries fields.py's bounds, title and help (no second copy)."""
    props = ChatRequest.model_json_schema(by_alias=True)["properties"]
    for key in ("temperature", "top_p", "frequency_penalty", "presence_penalty", "n", "top_logprobs", "seed"):
        f = F.FIELDS[key]
        branch = next(b for b in props[key]["anyOf"] if b.get("type") != "null")
        assert branch.get("minimum") == f.minimum and branch.get("maximum") == f.maximum, key
        assert props[key]["title"] == f.label and props[key]["description"] == f.help
    assert props["temperature"]["api_default"] == F.FIELDS["temperature"].default
    stop = next(b for b in props["stop"]["anyOf"] if b.get("type") == "array")
    assert stop["maxItems"] == F.MAX_STOP


# ---------------------------------------------------------------------------------------------- logprobs


def test_top_logprobs_needs_logprobs() -> None:
    assert ok(logprobs=True, top_logprobs=8)["top_logprobs"] == 8
    assert ok(logprobs=True, top_logprobs=0)["top_logprobs"] == 0
    assert bad(top_logprobs=3) == {("top_logprobs", "top_logprobs_needs_logprobs")}
    assert bad(logprobs=False, top_logprobs=3) == {("top_logprobs", "top_logprobs_needs_logprobs")}
    assert bad(logprobs=True, top_logprobs=9) == {("top_logprobs", "less_than_equal")}


def test_logprobs_bool() -> None:
    assert ok(logprobs=True)["logprobs"] is True
    assert bad(logprobs="maybe") == {("logprobs", "bool_parsing")}


# ---------------------------------------------------------------------------------------------- stop


def test_stop_list_and_plain_string() -> None:
    assert ok(stop=["a", "b"])["stop"] == ["a", "b"]
    assert ok(stop="END")["stop"] == ["END"]
    assert "stop" not in ok(stop=[])


def test_stop_limits() -> None:
    assert ok(stop=["1", "2", "3", "4"])["stop"] == ["1", "2", "3", "4"]
    assert bad(stop=["1", "2", "3", "4", "5"]) == {("stop", "too_long")}
    assert bad(stop=["a", ""]) == {("stop.1", "string_too_short")}
    assert bad(stop=[1]) == {("stop.0", "string_type")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stop,finish", ["stop", "finish"]),
        ("stop, finish ", ["stop", "finish"]),
        (r"a\,b, c", ["a,b", "c"]),
        (r"\n, END", ["\n", "END"]),
        (r"x\ny", ["x\ny"]),
        (r"tab\t", ["tab\t"]),
        (r"back\\n", ["back\\n"]),
        (r"\ lead", [" lead"]),
        (r"a\b", [r"a\b"]),
        ("a,,b,", ["a", "b"]),
        ("", []),
        (" , ", []),
    ],
)
def test_parse_stop(text: str, expected: list[str]) -> None:
    assert parse_stop(text) == expected


@given(st.lists(st.text(min_size=1).map(str.strip).filter(bool), max_size=6))
@settings(max_examples=60, deadline=None)
def test_parse_stop_inverts_escaping(items: list[str]) -> None:
    def escape(s: str) -> str:
        return s.replace("\\", "\\\\").replace(",", "\\,").replace("\n", "\\n").replace("\t", "\\t")

    assert parse_stop(", ".join(escape(i) for i in items)) == items


# ---------------------------------------------------------------------------------------------- logit bias


def test_logit_bias_good() -> None:
    assert ok(logit_bias={"9240": 50, "0": -100, "7": 100})["logit_bias"] == {"9240": 50, "0": -100, "7": 100}
    assert ok(logit_bias={9240: 50})["logit_bias"] == {"9240": 50}


def test_logit_bias_keys_serialise_as_strings() -> None:
    text = json.dumps(validate_body(body(logit_bias={1: 2})).to_body())
    assert '"logit_bias": {"1": 2}' in text


@pytest.mark.parametrize(
    ("bias", "expected"),
    [
        ({"cat": 5}, {("logit_bias.cat", "int_parsing")}),
        ({"-1": 5}, {("logit_bias.-1", "greater_than_equal")}),
        ({"5": 101}, {("logit_bias.5", "less_than_equal")}),
        ({"5": -101}, {("logit_bias.5", "greater_than_equal")}),
        ({"5": 1.5}, {("logit_bias.5", "int_from_float")}),
        ({"5": True}, {("logit_bias.5", "number_type")}),
        ([1, 2], {("logit_bias", "dict_type")}),
    ],
)
def test_logit_bias_bad(bias: Any, expected: set[tuple[str, str]]) -> None:
    assert bad(logit_bias=bias) == expected


# ---------------------------------------------------------------------------------------------- messages


def test_messages_non_empty_and_required() -> None:
    assert errors_of(validate_body, {"model": "m", "messages": []}) == {("messages", "too_short")}
    assert errors_of(validate_body, {"model": "m"}) == {("messages", "missing")}


def test_model_required_and_non_empty() -> None:
    assert errors_of(validate_body, {"messages": [USER]}) == {("model", "missing")}
    assert errors_of(validate_body, {"model": "", "messages": [USER]}) == {("model", "string_too_short")}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"role": "bot", "content": "x"}, {("messages.1.role", "literal_error")}),
        ({"content": "x"}, {("messages.1.role", "missing")}),
        ({"role": "user"}, {("messages.1.content", "missing_content")}),
        ({"role": "system", "content": 3}, {("messages.1.content", "string_type")}),
        ({"role": "assistant"}, {("messages.1.content", "assistant_needs_content_or_tool_calls")}),
        ({"role": "user", "content": "x", "arguments": {}}, {("messages.1.arguments", "extra_forbidden")}),
        ({"role": "user", "content": "x", "tool_call_id": "c"}, {("messages.1.tool_call_id", "tool_call_id_only_on_tool")}),
        ({"role": "tool", "content": "x"}, {("messages.1.tool_call_id", "tool_message_needs_tool_call_id")}),
        (
            {"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]},
            {("messages.1.content", "unsupported_content_part")},
        ),
        (
            {"role": "user", "content": [{"type": "image_url", "image_url": {}}]},
            {("messages.1.content.0.image_url.url", "missing")},
        ),
        ("hello", {("messages.1", "model_type")}),
    ],
)
def test_message_rules(message: Any, expected: set[tuple[str, str]]) -> None:
    assert errors_of(validate_body, body(messages=[USER, message])) == expected


def test_message_good_shapes() -> None:
    msgs = [
        {"role": "system", "content": "Be brief.", "name": "rules"},
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {"role": "assistant", "content": "Hi", "refusal": None, "annotations": []},
        {"role": "user", "content": ""},
    ]
    out = validate_body(body(messages=msgs)).to_body()["messages"]
    assert out == [
        {"role": "system", "content": "Be brief.", "name": "rules"},
        {"role": "user", "content": "a\nb"},
        {"role": "assistant", "content": "Hi"},
        {"role": "user", "content": ""},
    ]


CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Seoul"}'}}


def tool_round(call: dict[str, Any] | None = None, **tool_msg: Any) -> list[dict[str, Any]]:
    return [
        USER,
        {"role": "assistant", "content": None, "tool_calls": [call or CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": "12°C, clear", **tool_msg},
    ]


def test_tool_round_trip_valid() -> None:
    out = ok(messages=tool_round(), tools=[GET_WEATHER])["messages"]
    assert out[1] == {"role": "assistant", "tool_calls": [CALL]}
    assert out[2] == {"role": "tool", "tool_call_id": "call_1", "content": "12°C, clear"}


def test_tool_call_arguments_dict_sent_as_json_text() -> None:
    call = {**CALL, "function": {"name": "get_weather", "arguments": {"city": "Seoul"}}, "index": 0}
    out = ok(messages=tool_round(call))["messages"][1]["tool_calls"][0]
    assert json.loads(out["function"]["arguments"]) == {"city": "Seoul"} and "index" not in out


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (
            {**CALL, "function": {"name": "get weather", "arguments": "{}"}},
            ("messages.1.tool_calls.0.function.name", "string_pattern_mismatch"),
        ),
        (
            {**CALL, "function": {"name": "f", "arguments": "{oops"}},
            ("messages.1.tool_calls.0.function.arguments", "invalid_json_arguments"),
        ),
        (
            {**CALL, "function": {"name": "f", "arguments": "[1]"}},
            ("messages.1.tool_calls.0.function.arguments", "arguments_not_object"),
        ),
        ({**CALL, "type": "code"}, ("messages.1.tool_calls.0.type", "literal_error")),
        ({**CALL, "id": ""}, ("messages.1.tool_calls.0.id", "string_too_short")),
        ({"id": "call_1", "type": "function"}, ("messages.1.tool_calls.0.function", "missing")),
    ],
)
def test_assistant_tool_calls_well_formed(call: dict[str, Any], expected: tuple[str, str]) -> None:
    assert expected in errors_of(validate_body, body(messages=tool_round(call)))


def test_tool_call_ids() -> None:
    msgs = tool_round()
    msgs[1]["tool_calls"] = [CALL, CALL]
    assert errors_of(validate_body, body(messages=msgs)) == {("messages.1.tool_calls.1.id", "duplicate_tool_call_id")}
    orphan = [USER, {"role": "tool", "tool_call_id": "nope", "content": "x"}]
    assert errors_of(validate_body, body(messages=orphan)) == {("messages.1.tool_call_id", "unknown_tool_call_id")}
    misplaced = [{"role": "user", "content": "x", "tool_calls": [CALL]}]
    assert errors_of(validate_body, body(messages=misplaced)) == {("messages.0.tool_calls", "tool_calls_only_on_assistant")}


# ---------------------------------------------------------------------------------------------- tools


def test_tools_good() -> None:
    out = ok(tools=[GET_WEATHER, {"function": {"name": "clock"}}])["tools"]
    assert out[0] == GET_WEATHER
    assert out[1] == {"type": "function", "function": {"name": "clock", "parameters": {"type": "object", "properties": {}}}}


@pytest.mark.parametrize("name", ["a" * 65, "", "get weather", "naïve", "a.b"])
def test_tool_name_pattern_bad(name: str) -> None:
    assert bad(tools=[{"function": {"name": name}}]) == {("tools.0.function.name", "tool_name")}


@pytest.mark.parametrize("name", ["a", "a" * 64, "get_weather", "Get-Weather-2"])
def test_tool_name_pattern_good(name: str) -> None:
    assert ok(tools=[{"function": {"name": name}}])["tools"][0]["function"]["name"] == name


def test_tool_parameters_must_be_valid_object_schema() -> None:
    assert bad(tools=[{"function": {"name": "f", "parameters": {"type": "strin"}}}]) == {
        ("tools.0.function.parameters.type", "meta_schema")
    }
    assert bad(tools=[{"function": {"name": "f", "parameters": {"type": "object", "required": "city"}}}]) == {
        ("tools.0.function.parameters.required", "meta_schema")
    }
    assert bad(tools=[{"function": {"name": "f", "parameters": {"type": "array"}}}]) == {
        ("tools.0.function.parameters", "parameters_not_object")
    }
    assert bad(tools=[{"function": {"name": "f", "parameters": []}}]) == {("tools.0.function.parameters", "dict_type")}


def test_both_name_and_parameters_reported() -> None:
    assert bad(tools=[{"function": {"name": "a b", "parameters": {"type": 1}}}]) == {
        ("tools.0.function.name", "tool_name"),
        ("tools.0.function.parameters.type", "meta_schema"),
    }


def test_each_problem_of_a_tools_list_is_one_error_naming_its_field_as_the_builder_says_it() -> None:
    """One check per rule (schema.tool_list_problems): the request reports what the tool builder shows on its rows."""
    with pytest.raises(RequestError) as info:
        validate_body(body(tools=BAD_TOOLS))
    found = [(e.field, e.code) for e in info.value.errors]
    assert sorted(found) == [
        ("tools.0.function.name", "tool_name"),
        ("tools.0.function.parameters.days.minimum", "meta_schema"),
        ("tools.0.function.parameters.unit.type", "meta_schema"),
        ("tools.2.function.name", "duplicate_tool_name"),
    ]
    messages = {e.field: e.message for e in info.value.errors}
    assert messages["tools.0.function.name"].startswith("Tool 1 name: The name `get weather` may use only letters")
    assert "unit" in messages["tools.0.function.parameters.unit.type"]
    assert "days" in messages["tools.0.function.parameters.days.minimum"]
    assert messages["tools.2.function.name"].startswith("Tool 3 name: Tool 2 is also named `lookup`")
    on_rows = {(p.path, p.code) for p in validate_tools(parse_tools(BAD_TOOLS))}
    assert on_rows == {(field.replace(".function", ""), code) for field, code in found}


def test_tools_unique_and_at_most_128() -> None:
    assert bad(tools=[GET_WEATHER, GET_WEATHER]) == {("tools.1.function.name", "duplicate_tool_name")}
    many = [{"function": {"name": f"t{i}"}} for i in range(F.MAX_TOOLS)]
    assert len(ok(tools=many)["tools"]) == F.MAX_TOOLS
    assert bad(tools=[*many, {"function": {"name": "one_more"}}]) == {("tools", "too_many_tools")}


def test_tool_unknown_keys_and_type() -> None:
    assert bad(tools=[{"type": "retrieval", "function": {"name": "f"}}]) == {("tools.0.type", "literal_error")}
    assert bad(tools=[{"function": {"name": "f", "params": {}}}]) == {("tools.0.function.params", "extra_forbidden")}


# ---------------------------------------------------------------------------------------------- tool choice


@pytest.mark.parametrize("mode", ["auto", "none", "required"])
def test_tool_choice_modes(mode: str) -> None:
    assert ok(tools=[GET_WEATHER], tool_choice=mode)["tool_choice"] == mode


def test_tool_choice_named() -> None:
    named = {"type": "function", "function": {"name": "get_weather"}}
    assert ok(tools=[GET_WEATHER], tool_choice=named)["tool_choice"] == named
    assert isinstance(validate_body(body(tools=[GET_WEATHER], tool_choice=named)).tool_choice, NamedToolChoice)
    assert bad(tools=[GET_WEATHER], tool_choice={"type": "function", "function": {"name": "other"}}) == {
        ("tool_choice.function.name", "unknown_tool_choice")
    }
    assert bad(tools=[GET_WEATHER], tool_choice={"type": "function", "function": {}}) == {
        ("tool_choice.function.name", "missing")
    }


def test_tool_choice_needs_tools() -> None:
    assert bad(tool_choice="required") == {("tool_choice", "tool_choice_needs_tools")}
    assert bad(tool_choice="auto") == {("tool_choice", "tool_choice_needs_tools")}
    assert bad(tool_choice={"type": "function", "function": {"name": "f"}}) == {("tool_choice", "tool_choice_needs_tools")}
    assert ok(tool_choice="none")["tool_choice"] == "none"  # "none" without tools asks for nothing


@pytest.mark.parametrize("value", ["sometimes", 3, None])
def test_tool_choice_bad_values(value: Any) -> None:
    if value is None:
        assert "tool_choice" not in ok(tools=[GET_WEATHER], tool_choice=None)
    else:
        assert bad(tools=[GET_WEATHER], tool_choice=value) == {("tool_choice", "literal_error")}


# ---------------------------------------------------------------------------------------------- response format


def test_response_format_good() -> None:
    assert ok(response_format={"type": "text"})["response_format"] == {"type": "text"}
    assert ok(response_format={"type": "json_object"})["response_format"] == {"type": "json_object"}
    spec = {"name": "weather", "schema": WEATHER_SCHEMA, "strict": True}
    assert ok(response_format={"type": "json_schema", "json_schema": spec})["response_format"] == {
        "type": "json_schema",
        "json_schema": spec,
    }


def test_response_format_bad() -> None:
    assert bad(response_format={"type": "yaml"}) == {("response_format.type", "literal_error")}
    assert bad(response_format={"type": "json_schema"}) == {("response_format.json_schema", "json_schema_missing")}
    assert bad(response_format={"type": "text", "json_schema": {"schema": WEATHER_SCHEMA}}) == {
        ("response_format.json_schema", "json_schema_unexpected")
    }
    assert bad(response_format={"type": "json_schema", "json_schema": {"schema": {"type": "strin"}}}) == {
        ("response_format.json_schema.schema.type", "meta_schema")
    }
    assert bad(response_format={"type": "json_schema", "json_schema": {"name": "a b", "schema": {}}}) == {
        ("response_format.json_schema.name", "tool_name")
    }
    # The seed's short form is not the API's: the strict gateway path names the stray keys.
    fields_ = {f for f, _ in bad(response_format={"type": "json_schema", "json_schema": WEATHER_SCHEMA})}
    assert "response_format.json_schema.schema" in fields_ and "response_format.json_schema.properties" in fields_


def test_schema_null_values_survive_to_body() -> None:
    schema = {"type": "object", "properties": {"a": {"type": ["string", "null"], "default": None}}}
    out = ok(response_format={"type": "json_schema", "json_schema": {"schema": schema}})
    assert out["response_format"]["json_schema"] == {"name": "response", "schema": schema}


# ---------------------------------------------------------------------------------------------- other fields


def test_deferred_user_and_extras() -> None:
    out = ok(deferred=True, user="u-1", parallel_tool_calls=False, reasoning_effort="low")
    assert out["deferred"] is True and out["user"] == "u-1"
    assert out["parallel_tool_calls"] is False and out["reasoning_effort"] == "low"
    assert ok(stream=True, stream_options={"include_usage": True})["stream_options"] == {"include_usage": True}
    assert bad(stream_options={"include_usage": True}) == {("stream_options", "stream_options_needs_stream")}
    assert bad(deferred=True, stream=True) == {("stream", "deferred_with_stream")}
    assert bad(user=5) == {("user", "string_type")}
    assert bad(deferred="later") == {("deferred", "bool_parsing")}


def test_unknown_keys_named() -> None:
    assert bad(search_parameters={}, temprature=1) == {
        ("search_parameters", "extra_forbidden"),
        ("temprature", "extra_forbidden"),
    }
    with pytest.raises(RequestError) as info:
        validate_body(body(temprature=1))
    assert "temprature" in info.value.errors[0].message


def test_max_tokens_legacy_alias() -> None:
    out = ok(max_tokens=50)
    assert out["max_completion_tokens"] == 50 and "max_tokens" not in out
    assert ok(max_tokens=50, max_completion_tokens=50)["max_completion_tokens"] == 50
    assert bad(max_tokens=50, max_completion_tokens=60) == {("max_tokens", "max_tokens_conflict")}
    assert bad(max_tokens=0) == {("max_tokens", "greater_than_equal")}


def test_validate_body_requires_an_object() -> None:
    assert errors_of(validate_body, ["not", "a", "body"]) == {("body", "body_not_object")}


def test_to_body_omits_unset() -> None:
    assert ok() == {"model": "grok-3", "messages": [USER]}
    assert "null" not in json.dumps(ok(seed=None, user=None, tools=None))


def test_body_round_trips() -> None:
    full = body(
        messages=tool_round(),
        temperature=0.3,
        top_p=0.9,
        frequency_penalty=0.5,
        presence_penalty=-0.5,
        seed=7,
        logit_bias={"42": -100},
        max_completion_tokens=64,
        n=2,
        stop=["END"],
        logprobs=True,
        top_logprobs=3,
        response_format={"type": "json_object"},
        tools=[GET_WEATHER],
        tool_choice="auto",
        deferred=False,
        user="me",
    )
    out = validate_body(full).to_body()
    assert out == {**full, "messages": [USER, {"role": "assistant", "tool_calls": [CALL]}, full["messages"][2]]}
    assert validate_body(out).to_body() == out


def test_errors_map_all_at_once() -> None:
    found = bad(temperature=3, top_p=-1, n=0, stop=["", "x"])
    assert found == {
        ("temperature", "less_than_equal"),
        ("top_p", "greater_than_equal"),
        ("n", "greater_than_equal"),
        ("stop.0", "string_too_short"),
    }


def test_request_error_for_field() -> None:
    with pytest.raises(RequestError) as info:
        validate_body(body(messages=[{"role": "bot"}], temperature=9))
    assert {e.field for e in info.value.for_field("messages")} == {"messages.0.role"}


def test_message_model_direct() -> None:
    with pytest.raises(ValidationError):
        Message(role="tool", content="x")
    assert Message(role="user", content="x").role == "user"


# ---------------------------------------------------------------------------------------------- build_request


def build(settings: dict[str, Any] | None = None, messages: list[Any] | None = None) -> Built:
    return build_request({"model": "grok-3", **(settings or {})}, messages or [USER])


def build_bad(settings: dict[str, Any] | None = None, messages: list[Any] | None = None) -> set[tuple[str, str]]:
    return errors_of(build_request, {"model": "grok-3", **(settings or {})}, messages or [USER])


def test_build_minimal() -> None:
    built = build()
    assert built.request.to_body() == {"model": "grok-3", "messages": [USER]} and built.notes == []


def test_build_omits_defaults_and_empties() -> None:
    settings = {k: F.FIELDS[k].default for k in F.SIDEBAR_KEYS}
    settings.update(
        seed="",
        user="  ",
        stop="",
        logit_bias="",
        response_format="none",
        tool_choice="auto",
        tools=[],
        max_completion_tokens=None,
    )
    assert build(settings).request.to_body() == {"model": "grok-3", "messages": [USER]}


def test_build_keeps_non_defaults() -> None:
    out = build({"temperature": 0.2, "n": 3, "logprobs": True, "deferred": True}).request.to_body()
    assert (out["temperature"], out["n"], out["logprobs"], out["deferred"]) == (0.2, 3, True, True)


def test_build_text_inputs() -> None:
    out = build(
        {
            "seed": " 42 ",
            "temperature": "0.5",
            "max_completion_tokens": "100",
            "stop": r"END, a\,b, \n",
            "logit_bias": '{"9240": 50}',
        }
    ).request.to_body()
    assert out["seed"] == 42 and out["temperature"] == 0.5 and out["max_completion_tokens"] == 100
    assert out["stop"] == ["END", "a,b", "\n"] and out["logit_bias"] == {"9240": 50}


def test_build_bad_text_inputs() -> None:
    assert build_bad({"seed": "forty", "temperature": "hot"}) == {("seed", "int_parsing"), ("temperature", "float_parsing")}
    assert build_bad({"logit_bias": "{9240: 50}"}) == {("logit_bias", "invalid_json")}
    assert build_bad({"stop": "a,b,c,d,e"}) == {("stop", "too_long")}
    assert build_bad({"top_logprobs": 2}) == {("top_logprobs", "top_logprobs_needs_logprobs")}
    assert build_bad({"model": ""}) == {("model", "string_too_short")}


def test_build_reports_conversion_and_validation_errors_together() -> None:
    assert build_bad({"logit_bias": "nope", "temperature": 9}) == {
        ("logit_bias", "invalid_json"),
        ("temperature", "less_than_equal"),
    }


def test_build_response_format_short_form_is_wrapped_with_note() -> None:
    built = build({"response_format": {"type": "json_schema", "json_schema": WEATHER_SCHEMA}})
    assert built.request.to_body()["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": WEATHER_SCHEMA, "strict": True},
    }
    assert len(built.notes) == 1 and "json_schema" in built.notes[0]


def test_build_response_format_other_forms() -> None:
    assert build({"response_format": "json_object"}).request.to_body()["response_format"] == {"type": "json_object"}
    text = json.dumps({"type": "json_schema", "json_schema": {"name": "w", "schema": WEATHER_SCHEMA}})
    built = build({"response_format": text})
    assert built.request.to_body()["response_format"]["json_schema"]["name"] == "w" and built.notes == []
    assert build_bad({"response_format": "json_schema"}) == {("response_format.json_schema", "json_schema_missing")}
    assert build_bad({"response_format": {"type": "json_schema", "json_schema": {"type": "strin"}}}) == {
        ("response_format.json_schema.schema.type", "meta_schema")
    }


def test_build_tool_choice_forms() -> None:
    built = build({"tools": [GET_WEATHER], "tool_choice": "get_weather"})
    assert built.request.to_body()["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert len(built.notes) == 1
    assert build({"tools": [GET_WEATHER], "tool_choice": "required"}).request.to_body()["tool_choice"] == "required"
    assert build_bad({"tools": [GET_WEATHER], "tool_choice": "get_time"}) == {
        ("tool_choice.function.name", "unknown_tool_choice")
    }
    assert build_bad({"tool_choice": "required"}) == {("tool_choice", "tool_choice_needs_tools")}
    assert "tool_choice" not in build({"tool_choice": "none"}).request.to_body()


def test_build_tools_as_json_text_and_bare_functions() -> None:
    built = build({"tools": json.dumps([GET_WEATHER["function"]])})
    assert built.request.to_body()["tools"] == [GET_WEATHER] and len(built.notes) == 1
    assert build_bad({"tools": "[{"}) == {("tools", "invalid_json")}


SEED_TOOL_CONVERSATION = [
    {"role": "system", "content": "You are an AI that provides weather information."},
    {"role": "user", "content": "Tell me the weather in Seoul."},
    {"role": "tool", "tool_call_id": "123456", "name": "get_weather", "arguments": {"city": "Seoul", "unit": "metric"}},
    {"role": "assistant", "content": "The current weather in Seoul is clear, with a temperature of 12°C."},
]


def test_build_converts_seed_tool_message() -> None:
    built = build({"tools": [GET_WEATHER]}, SEED_TOOL_CONVERSATION)
    msgs = built.request.to_body()["messages"]
    args = json.dumps({"city": "Seoul", "unit": "metric"})
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "tool", "assistant"]
    assert msgs[2] == {
        "role": "assistant",
        "tool_calls": [{"id": "123456", "type": "function", "function": {"name": "get_weather", "arguments": args}}],
    }
    assert msgs[3] == {"role": "tool", "tool_call_id": "123456", "content": args}
    assert len(built.notes) == 1 and "Message 3" in built.notes[0]


def test_build_seed_tool_message_with_result_and_parallel_calls() -> None:
    msgs = [
        USER,
        {"role": "tool", "tool_call_id": "a", "name": "get_weather", "arguments": {"city": "Seoul"}, "result": {"temp": 12}},
        {"role": "tool", "tool_call_id": "b", "name": "get_weather", "arguments": '{"city": "Busan"}', "content": "14°C"},
        {"role": "tool", "name": "clock", "arguments": {}},
    ]
    out = build(messages=msgs).request.to_body()["messages"]
    assert [m["role"] for m in out] == ["user", "assistant", "tool", "tool", "tool"]
    assert [c["id"] for c in out[1]["tool_calls"]] == ["a", "b", "call_3"]
    assert out[2]["content"] == '{"temp": 12}' and out[3]["content"] == "14°C" and out[4]["content"] == "{}"


def test_build_seed_tool_message_joins_existing_assistant_call() -> None:
    msgs = [
        USER,
        {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "arguments": {"city": "Seoul"}},
    ]
    out = build(messages=msgs).request.to_body()["messages"]
    assert [m["role"] for m in out] == ["user", "assistant", "tool"] and out[1]["tool_calls"] == [CALL]


def test_build_error_paths_point_at_messages_as_written() -> None:
    msgs = [USER, {"role": "tool", "tool_call_id": "1", "name": "bad name", "arguments": {}}, {"role": "robot", "content": "x"}]
    assert build_bad(messages=msgs) == {("messages.1.name", "string_pattern_mismatch"), ("messages.2.role", "literal_error")}
    nameless = [USER, {"role": "tool", "tool_call_id": "1", "arguments": {}}]
    assert ("messages.1.name", "tool_message_needs_name") in build_bad(messages=nameless)


def test_build_message_models_and_blank_optional_keys() -> None:
    msgs = [Message(role="user", content="Hi"), {"role": "user", "content": "x", "name": "", "tool_call_id": ""}]
    out = build(messages=msgs).request.to_body()["messages"]
    assert out == [{"role": "user", "content": "Hi"}, {"role": "user", "content": "x"}]


def test_build_unknown_setting_named() -> None:
    assert build_bad({"temprature": 0.5}) == {("temprature", "extra_forbidden")}


@given(
    temperature=st.floats(0, 2) | st.none(),
    top_p=st.floats(0, 1) | st.none(),
    seed=st.integers(0, 2**32 - 1) | st.none(),
    stop=st.lists(
        st.text(st.characters(codec="utf-8", exclude_characters="\\,"), min_size=1).map(str.strip).filter(bool), max_size=4
    ),
)
@settings(max_examples=60, deadline=None)
def test_build_property_valid_settings_round_trip(
    temperature: float | None, top_p: float | None, seed: int | None, stop: list[str]
) -> None:
    out = build({"temperature": temperature, "top_p": top_p, "seed": seed, "stop": ", ".join(stop)}).request.to_body()
    for key, value, default in (("temperature", temperature, 1.0), ("top_p", top_p, 1.0), ("seed", seed, None)):
        if value is None or value == default:
            assert key not in out
        else:
            assert out[key] == value
    assert out.get("stop", []) == stop
    assert validate_body(out).to_body() == out


def test_cross_field_rules_reported_beside_unrelated_errors() -> None:
    assert bad(temperature=9, top_logprobs=2) == {
        ("temperature", "less_than_equal"),
        ("top_logprobs", "top_logprobs_needs_logprobs"),
    }
    found = bad(
        response_format={"type": "yaml"},
        tools=[GET_WEATHER],
        tool_choice="get_time_x",
        messages=[USER, {"role": "tool", "tool_call_id": "x", "content": "r"}],
    )
    assert found == {
        ("response_format.type", "literal_error"),
        ("tool_choice", "literal_error"),
        ("messages.1.tool_call_id", "unknown_tool_call_id"),
    }
    found = bad(n=0, tools=[GET_WEATHER, GET_WEATHER], tool_choice={"type": "function", "function": {"name": "zz"}})
    assert found == {("n", "greater_than_equal"), ("tools.1.function.name", "duplicate_tool_name")}


def test_messages_name_their_field() -> None:
    with pytest.raises(RequestError) as info:
        validate_body(
            body(
                temperature=9,
                messages=[USER, {"role": "bot", "content": "x"}],
                tools=[{"function": {"name": "a b"}}],
                stop=["a", ""],
                logit_bias={"7": 500},
            )
        )
    said = {e.field: e.message for e in info.value.errors}
    assert "Temperature" in said["temperature"]
    assert said["messages.1.role"].startswith("Message 2 role")
    assert said["tools.0.function.name"].startswith("Tool 1 name")
    assert said["stop.1"].startswith("Stop sequence 2")
    assert "token 7" in said["logit_bias.7"] and "-100" in said["logit_bias.7"]


def test_a_seed_tool_message_merged_into_earlier_calls_gets_its_own_errors() -> None:
    messages = [
        {"role": "user", "content": "hi"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "1"},
        {"role": "tool", "name": "bad name!", "arguments": "nope"},
    ]
    with pytest.raises(RequestError) as info:
        build_request({"model": "m"}, messages)
    assert {e.field for e in info.value.errors} == {"messages.3.name", "messages.3.arguments"}


def test_a_seed_tool_message_without_a_name_is_one_mistake_one_error() -> None:
    with pytest.raises(RequestError) as info:
        build_request({"model": "m"}, [{"role": "user", "content": "hi"}, {"role": "tool", "arguments": {"city": "Seoul"}}])
    assert [(e.field, e.code) for e in info.value.errors] == [("messages.1.name", "tool_message_needs_name")]


def test_a_tool_schema_holding_a_lone_surrogate_is_a_message_on_its_parameters() -> None:
    """Found by the generated inputs: the schema error quoted the surrogate and pydantic could not render it."""
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"properties": {"\ud800": None}}}}]
    with pytest.raises(RequestError) as info:
        build_request({"tools": tools}, [{"role": "user", "content": "hi"}])
    fields_named = {e.field for e in info.value.errors}
    assert "tools.0.function.parameters" in fields_named
    assert all(e.message.encode("utf-8") for e in info.value.errors)  # every message can be shown and sent


@pytest.mark.parametrize("where", ["tools", "response_format"])
def test_a_schema_nested_too_deeply_is_a_message_not_a_crash(where: str) -> None:
    """Found by the generated inputs: 256 levels passed the checks, then serialising the body raised ValueError."""
    deep: dict[str, Any] = {}
    for _ in range(128):
        deep = {"a": [deep]}
    settings: dict[str, Any] = (
        {"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", **deep}}}]}
        if where == "tools"
        else {"response_format": {"type": "json_schema", "json_schema": deep}}
    )
    with pytest.raises(RequestError) as info:
        build_request(settings, [{"role": "user", "content": "hi"}])
    assert any("levels deep" in e.message and e.field.startswith(where) for e in info.value.errors), info.value.errors


def test_check_fields_names_only_the_fields_asked_about() -> None:
    from playground.request import check_fields

    found = check_fields({"temperature": 5.0, "top_p": 3.0}, ["temperature"])
    assert [(e.field, e.code) for e in found] == [("temperature", "less_than_equal")]
    assert check_fields({"temperature": 0.5}, ["temperature"]) == []
    assert [e.code for e in check_fields({"top_logprobs": 3}, ["top_logprobs"])] == ["top_logprobs_needs_logprobs"]


def test_a_message_validated_before_is_not_validated_again_and_a_new_bad_one_is_still_named() -> None:
    """A page checks its whole conversation on every rerun: unchanged messages are taken as validated before."""
    conv = [{"role": "user", "content": f"Question {i}"} for i in range(3)]
    first = build_request({"model": "m", "temperature": 0.5}, conv)
    again = build_request({"model": "m", "temperature": 0.7}, [dict(m) for m in conv])
    assert all(a is b for a, b in zip(again.request.messages, first.request.messages, strict=True))
    assert again.request.temperature == 0.7
    bad = [*conv, {"role": "tool", "content": "42"}, {"role": "user", "content": "Question 0"}]
    with pytest.raises(RequestError) as caught:
        build_request({"model": "m"}, bad)
    assert [(e.field, e.code) for e in caught.value.errors] == [("messages.3.tool_call_id", "tool_message_needs_tool_call_id")]
