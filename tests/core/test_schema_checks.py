"""playground.schema.validate and .answers: validation located on rows, every message, and tool calls and answers checked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from playground import examples
from playground.request import validate_body
from playground.response import ContentBlock, from_chat_completion
from playground.schema import (
    FieldForm,
    JsonTool,
    ObjectForm,
    PropertyRow,
    SchemaForm,
    ToolForm,
    check_answer,
    check_schema,
    check_tool_calls,
    code,
    parse_response_schema,
    parse_tools,
    schema_to_form,
    tools_to_json,
    validate_instance,
    validate_response_schema,
    validate_schema,
    validate_tools,
)
from tests.core.schema_cases import (
    TRIP_SCHEMA,
    WEATHER_PARAMS,
)

# ---------------------------------------------------------------------------------------------- validation


def _problems(tools: list[Any]) -> set[tuple[str, str]]:
    return {(p.path, p.code) for p in validate_tools(tools)}


def test_valid_tools_have_no_problems() -> None:
    assert validate_tools(parse_tools([examples.GET_WEATHER, examples.ADD, {"name": "x", "parameters": TRIP_SCHEMA}])) == []


@pytest.mark.parametrize("name", ["", "get weather", "a" * 65, "wetter/heute", "ü"])
def test_tool_name_problem(name: str) -> None:
    [problem] = validate_tools([ToolForm(name=name)])
    assert (problem.path, problem.code) == ("tools.0.name", "tool_name")
    assert "letters, digits, _ and -, 1 to 64 characters" in problem.message


def test_duplicate_tool_names() -> None:
    [problem] = validate_tools(
        [
            ToolForm(name="a"),
            ToolForm(name="b"),
            JsonTool(name="a", tool={"type": "function", "function": {"name": "a", "x": 1}}, reasons=[]),
        ]
    )
    assert (problem.path, problem.code) == ("tools.2.name", "duplicate_tool_name")
    assert problem.message == "Tool 1 is also named `a`; tool names must be unique."


def test_too_many_tools() -> None:
    tools = [ToolForm(name=f"t{i}") for i in range(129)]
    assert [(p.path, p.code) for p in validate_tools(tools)] == [("tools", "too_many_tools")]
    assert validate_tools(tools[:128]) == []


def test_every_row_problem_is_located_on_its_row() -> None:
    unit = PropertyRow(name="unit", enum=[])
    tool = ToolForm(
        name="get_weather",
        parameters=ObjectForm(
            properties=[
                PropertyRow(name="city", required=True),
                unit,
                PropertyRow(name="count", type="integer", enum=["two", 2, 2], default="many"),
                PropertyRow(name="address", type="object", properties=[PropertyRow(name="zip", pattern="([")]),
                PropertyRow(name="tags", type="array", items=FieldForm(type="boolean", enum=["yes"])),
                PropertyRow(name="", type="number", enum=["x"]),
                PropertyRow(name="n", type="string", min_length=-1),
            ]
        ),
    )
    problems = validate_tools([ToolForm(name="other"), tool])
    by_code = {p.code: p for p in problems}
    assert {(p.path, p.code) for p in problems} == {
        ("tools.1.parameters.unit.enum", "empty_enum"),
        ("tools.1.parameters.count.enum", "enum_type"),
        ("tools.1.parameters.count.enum", "duplicate_enum"),
        ("tools.1.parameters.count.default", "default_type"),
        ("tools.1.parameters.address.zip.pattern", "pattern_invalid"),
        ("tools.1.parameters.tags.items.enum", "enum_type"),
        ("tools.1.parameters.#5.name", "empty_name"),
        ("tools.1.parameters.#5.enum", "enum_type"),
        ("tools.1.parameters.n.minLength", "meta_schema"),
    }
    assert by_code["empty_enum"].message == (
        "The list of allowed values is empty, so no value could ever match; add a value or remove the list."
    )
    assert by_code["duplicate_enum"].message == "Allowed value `2` is listed twice."
    assert by_code["default_type"].message == "The default `many` is not a whole number (the type is integer)."
    assert by_code["empty_name"].message == "Property 6 needs a name."
    assert by_code["pattern_invalid"].message.startswith("The pattern does not compile: ")
    assert by_code["meta_schema"].message == "Not valid JSON Schema: -1 is less than the minimum of 0."
    assert "Allowed value `two` is not a whole number (the type is integer)." in [p.message for p in problems]
    unit.enum = ["metric"]
    assert ("tools.1.parameters.unit.enum", "empty_enum") not in _problems([ToolForm(name="other"), tool])


def test_duplicate_property_names_problem() -> None:
    form = ObjectForm(properties=[PropertyRow(name="a"), PropertyRow(name="a", type="integer", enum=[])])
    assert [(p.path, p.code, p.message) for p in validate_tools([ToolForm(name="t", parameters=form)])] == [
        ("tools.0.parameters.#1.name", "duplicate_property", "Two properties are named `a`; names must be unique.")
    ]


def test_json_tool_problems_required_that_does_not_exist_and_meta_schema() -> None:
    tool = {
        "name": "t",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "txt", "enum": [1]}, "b": {"type": "object", "required": ["z"]}},
            "required": ["a", "ghost"],
        },
    }
    [entry] = parse_tools(tool)
    assert isinstance(entry, JsonTool)
    problems = validate_tools([entry])
    assert {(p.path, p.code) for p in problems} == {
        ("tools.0.parameters.a.type", "meta_schema"),
        ("tools.0.parameters.required", "required_missing"),
        ("tools.0.parameters.b.required", "required_missing"),
    }
    ghost = next(p for p in problems if p.path == "tools.0.parameters.required")
    assert ghost.message == "`ghost` is marked required but there is no such property; add it or unmark it."
    meta = next(p for p in problems if p.code == "meta_schema")
    assert meta.message.startswith('"txt" is not a type; use one of string, number')


def test_json_tool_parameters_must_be_an_object_schema() -> None:
    [entry] = parse_tools({"name": "t", "parameters": {"type": "array"}})
    assert _problems([entry]) == {("tools.0.parameters", "parameters_not_object")}
    [entry] = parse_tools({"name": "t", "parameters": 3})
    assert ("tools.0.parameters", "parameters_not_object") in _problems([entry])


def test_validate_response_schema() -> None:
    good = parse_response_schema({"type": "json_schema", "json_schema": examples.WEATHER_SCHEMA})
    assert validate_response_schema(good) == []
    bad = SchemaForm(name="my answer", json_schema=ObjectForm(properties=[PropertyRow(name="u", enum=[])]))
    assert {(p.path, p.code) for p in validate_response_schema(bad)} == {
        ("response_format.name", "tool_name"),
        ("response_format.schema.u.enum", "empty_enum"),
    }
    assert [p.code for p in validate_schema({"type": "object", "enum": []})] == ["empty_enum"]
    assert [p.path for p in validate_schema(3)] == ["schema"]  # type: ignore[arg-type]


def test_no_problems_means_the_request_accepts_it() -> None:
    tools = parse_tools([examples.GET_WEATHER, {"name": "trip", "parameters": TRIP_SCHEMA}])
    assert validate_tools(tools) == []
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": tools_to_json(tools)}
    assert validate_body(body).to_body()["tools"] == tools_to_json(tools)


# ---------------------------------------------------------------------------------------------- tool calls


def _call(name: str | None, arguments: Any, call_id: str = "c1") -> ContentBlock:
    """A tool_use block exactly as the response module makes one from an OpenAI answer."""
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}],
    }
    completion = from_chat_completion({"id": "x", "model": "m", "choices": [{"index": 0, "message": message}]})
    return completion.tool_uses()[0]


def test_valid_call() -> None:
    [check] = check_tool_calls([_call("get_weather", '{"city": "Seoul", "unit": "metric"}')], [examples.GET_WEATHER])
    assert check.ok and check.arguments == {"city": "Seoul", "unit": "metric"} and check.id == "c1"


def test_call_violations_in_words() -> None:
    [check] = check_tool_calls([_call("get_weather", '{"unit": "kelvin"}')], parse_tools(examples.GET_WEATHER))
    assert not check.ok
    assert [(v.path, v.rule, v.message) for v in check.violations] == [
        ("$.city", "required", "`city` is required."),
        ("$.unit", "enum", "`unit` must be one of metric, imperial."),
    ]


def test_unknown_tool_and_nameless_call() -> None:
    checks = check_tool_calls([_call("get_wether", "{}"), _call(None, "{}")], [examples.GET_WEATHER, examples.ADD])
    assert [v.rule for c in checks for v in c.violations] == ["unknown_tool", "unknown_tool"]
    assert checks[0].violations[0].message == (
        "The model called `get_wether`, which is not one of the tools offered (get_weather, add)."
    )
    assert "a tool without a name" in checks[1].violations[0].message


@pytest.mark.parametrize(
    ("arguments", "rule", "words"),
    [
        ('{"city": "Seoul"', "not_json", "The arguments are not valid JSON: Expecting"),
        ("[1, 2]", "not_object", "The arguments must be a JSON object, not an array."),
        ('"Seoul"', "not_object", "not a string"),
    ],
)
def test_arguments_that_are_not_a_json_object_keep_their_text(arguments: str, rule: str, words: str) -> None:
    [check] = check_tool_calls([_call("get_weather", arguments)], [examples.GET_WEATHER])
    assert check.arguments is None and check.raw_arguments == arguments
    [violation] = check.violations
    assert violation.rule == rule and words in violation.message


def test_a_real_raw_parameter_is_an_argument() -> None:
    tool = {"name": "echo", "parameters": {"type": "object", "properties": {"_raw": {"type": "string"}}}}
    [check] = check_tool_calls([_call("echo", '{"_raw": "hi"}')], [tool])
    assert check.ok and check.arguments == {"_raw": "hi"}


def test_nested_call_violations_and_other_blocks_skipped() -> None:
    blocks = [
        ContentBlock(type="text", text="Sure."),
        _call(
            "trip",
            json.dumps(
                {
                    "traveller": {"name": "", "age": -1, "nick": "x"},
                    "stops": [{"city": 3, "nights": 4, "tags": ["art", "art2"]}],
                    "budget": 0.3,
                    "when": "tomorrow",
                }
            ),
        ),
    ]
    [check] = check_tool_calls(blocks, [ToolForm(name="trip", parameters=schema_to_form(TRIP_SCHEMA))])
    assert check.index == 0
    assert [(v.path, v.message) for v in check.violations] == [
        ("$.budget", "`budget` must be a multiple of 0.5."),
        ("$.stops[0].city", "`stops[0].city` must be a string."),
        ("$.stops[0].nights", "`stops[0].nights` must be one of 1, 2, 3."),
        ("$.stops[0].tags[1]", "`stops[0].tags[1]` must be one of food, art."),
        ("$.traveller.age", "`traveller.age` must be at least 0."),
        ("$.traveller.name", "`traveller.name` must be at least 1 character long."),
        ("$.traveller.nick", "`traveller.nick` is not allowed here (no properties beyond those listed)."),
        ("$.when", "`when` must be a valid date."),
    ]


# ---------------------------------------------------------------------------------------------- answers


def test_answer_ok() -> None:
    answer = '{"temperature": 12.5, "condition": "Clear", "humidity": 60, "city": "Seoul"}'
    check = check_answer(answer, examples.WEATHER_SCHEMA)
    assert check.ok and check.value["city"] == "Seoul"


def test_answer_violations() -> None:
    check = check_answer('{"temperature": "warm", "humidity": 60.5, "city": "Seoul"}', examples.WEATHER_SCHEMA)
    assert not check.ok and check.parsed
    assert [(v.path, v.rule, v.message) for v in check.violations] == [
        ("$.condition", "required", "`condition` is required."),
        ("$.humidity", "type", "`humidity` must be a whole number."),
        ("$.temperature", "type", "`temperature` must be a number."),
    ]


@pytest.mark.parametrize(
    ("text", "rule", "words"),
    [
        ("The weather is nice.", "not_json", "The answer is not valid JSON: Expecting value at line 1, column 1."),
        ('{"city": "Seoul"', "not_json", "The answer is not valid JSON"),
        ("", "not_json", "The answer is empty, not JSON."),
        ('{"city": "a", "city": "b"}', "duplicate_key", "The answer repeats the key `city`"),
        ('{"temperature": NaN}', "not_json", "NaN is not valid JSON"),
    ],
)
def test_unparseable_answer_keeps_its_text(text: str, rule: str, words: str) -> None:
    check = check_answer(text, examples.WEATHER_SCHEMA)
    assert not check.ok and not check.parsed and check.text == text and check.value is None
    [violation] = check.violations
    assert violation.rule == rule and words in violation.message


@pytest.mark.parametrize(
    ("schema", "value", "message"),
    [
        ({"type": "string"}, 3, "The answer must be a string."),
        ({"type": ["string", "null"]}, 3, "The answer must be a string or null."),
        ({"const": "x"}, "y", "The answer must be x."),
        ({"enum": ["only"]}, "y", "The answer must be only."),
        ({"type": "number", "maximum": 3}, 4, "The answer must be at most 3."),
        ({"type": "number", "exclusiveMaximum": 3}, 3, "The answer must be less than 3."),
        ({"type": "number", "exclusiveMinimum": 3}, 3, "The answer must be greater than 3."),
        ({"type": "string", "maxLength": 2}, "abc", "The answer must be at most 2 characters long."),
        ({"type": "string", "pattern": "^a+$"}, "b", "The answer must match the pattern `^a+$`."),
        ({"type": "string", "format": "email"}, "nobody", "The answer must be a valid email."),
        ({"type": "array", "minItems": 2}, [1], "The answer must have at least 2 items."),
        ({"type": "array", "maxItems": 1}, [1, 2], "The answer must have at most 1 item."),
        ({"type": "array", "uniqueItems": True}, [1, 1], "The answer must not contain the same item twice."),
        ({"type": "object", "minProperties": 1}, {}, "The answer must have at least 1 property."),
        ({"anyOf": [{"type": "string"}, {"type": "null"}]}, 3, "The answer matches none of the allowed alternatives."),
        (
            {"oneOf": [{"type": "string"}, {"type": "string"}]},
            "x",
            "The answer matches more than one alternative; exactly one is allowed.",
        ),
        ({"oneOf": [{"type": "string"}, {"type": "null"}]}, 3, "The answer matches none of the allowed alternatives."),
        ({"not": {"type": "string"}}, "x", "The answer has a shape the schema excludes."),
        ({"type": "object", "properties": {"a": False}}, {"a": 1}, "`a` is not allowed here."),
        ({"type": "object", "dependentRequired": {"a": ["b"]}}, {"a": 1}, "The answer: 'b' is a dependency of 'a'."),
    ],
)
def test_every_rule_in_plain_words(schema: dict[str, Any], value: Any, message: str) -> None:
    check = check_answer(json.dumps(value), schema)
    assert [v.message for v in check.violations] == [message]


def test_answer_checked_against_any_response_format_shape() -> None:
    text = '{"temperature": 1, "condition": "x", "city": 3}'
    for shape in (
        examples.WEATHER_SCHEMA,
        {"type": "json_schema", "json_schema": examples.WEATHER_SCHEMA},
        {"type": "json_schema", "json_schema": {"name": "w", "schema": examples.WEATHER_SCHEMA, "strict": True}},
        parse_response_schema(examples.WEATHER_SCHEMA),
        schema_to_form(examples.WEATHER_SCHEMA),
    ):
        assert [v.message for v in check_answer(text, shape).violations] == ["`city` must be a string."]


def test_answer_with_an_invalid_schema() -> None:
    check = check_answer("{}", {"type": "strin"})
    assert check.parsed and [v.rule for v in check.violations] == ["invalid_schema"]


def test_names_with_backticks_cannot_break_out_of_code() -> None:
    assert code("a`b") == "``a`b``" and code("`x") == "`` `x ``" and code("") == '`""`'
    check = check_answer('{"![x](http://e/)`": 1}', {"type": "object", "additionalProperties": False})
    assert check.violations[0].message.startswith('``["![x](http://e/)`"]`` is not allowed')


def test_check_schema_valid_and_invalid() -> None:
    assert check_schema(WEATHER_PARAMS) == [] and check_schema({}) == []
    problems = check_schema({"type": "object", "properties": {"city": {"type": "txt"}}})
    assert problems and any("At properties/city/type:" in p for p in problems)
    assert len(check_schema([])) == 1


def test_validate_instance() -> None:
    assert validate_instance({"city": "Seoul"}, WEATHER_PARAMS) == []
    assert validate_instance({}, WEATHER_PARAMS) == ["At the top level: 'city' is a required property."]
    assert all(p.startswith("The schema is invalid.") for p in validate_instance({}, {"type": "strin"}))
