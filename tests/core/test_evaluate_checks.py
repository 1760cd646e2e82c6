"""Every check kind on valid, invalid and odd answers, the checks' own problems, and a property over all of them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from playground.compare import RunResult
from playground.evaluate import checks as c
from tests.core.evaluate_answers import RESPONSE_FORMAT, SCHEMA, answer
from tests.fuzz import examples

ROW = {"city": "Paris", "expected": "It is sunny in Paris.", "other": "Lima"}
WEATHER = answer("", calls=[("get_weather", '{"city": "paris", "unit": "metric"}')], finish="tool_calls")


def _grade(check: c.Check, result: RunResult | None = None, row: dict[str, str] = ROW, **kw: Any) -> tuple[bool, str]:
    out = c.evaluate(check, result or answer(), row, **kw)
    assert out.reason
    return out.passed, out.reason


def test_valid_json_passes_json_and_names_the_problem_otherwise() -> None:
    assert _grade(c.ValidJson(), answer('{"a": [1, 2]}'))[0]
    passed, reason = _grade(c.ValidJson(), answer("{'a': 1}"))
    assert not passed and "not valid JSON" in reason
    assert not _grade(c.ValidJson(), answer('{"a": 1, "a": 2}'))[0]  # a repeated key is ambiguous
    assert not _grade(c.ValidJson(), WEATHER)[0]  # a tool call has no text


def test_response_schema_uses_the_runs_own_response_format() -> None:
    body = {"messages": [], "response_format": RESPONSE_FORMAT}
    assert _grade(c.ResponseSchema(), answer('{"city": "Paris"}', body=body))[0]
    passed, reason = _grade(c.ResponseSchema(), answer('{"town": "Paris"}', body=body))
    assert not passed and "city" in reason
    assert _grade(c.ResponseSchema(), answer('{"city": "Paris"}')) == (False, "This run asked for no response schema.")


def test_library_schema_is_the_copy_kept_in_the_check() -> None:
    check = c.LibrarySchema(name="place", json_schema=SCHEMA)
    assert _grade(check, answer('{"city": "Oslo"}')) == (True, "The answer matches the schema place.")
    assert not _grade(check, answer('{"city": 3}'))[0]
    assert not _grade(check, answer("not json"))[0]


def test_calls_tool_and_calls_no_tool() -> None:
    assert _grade(c.CallsTool(tool="get_weather"), WEATHER) == (True, "The model called get_weather.")
    passed, reason = _grade(c.CallsTool(tool="get_time"), WEATHER)
    assert not passed and "“get_weather”, not get_time" in reason
    assert _grade(c.CallsTool(tool="get_weather")) == (False, "The model answered in text instead of calling get_weather.")
    assert _grade(c.CallsNoTool()) == (True, "The model called no tool.")
    assert not _grade(c.CallsNoTool(), WEATHER)[0]


def test_arguments_valid_against_the_tools_schema() -> None:
    assert _grade(c.ArgumentsValid(), WEATHER)[0]
    bad = answer("", calls=[("get_weather", '{"unit": "kelvin"}')], finish="tool_calls")
    passed, reason = _grade(c.ArgumentsValid(), bad)
    assert not passed and "(and 1 more)" in reason  # no city, and kelvin is not an allowed unit
    broken = answer("", calls=[("get_weather", '{"city": ')], finish="tool_calls")
    assert not _grade(c.ArgumentsValid(), broken)[0]
    unknown = answer("", calls=[("launch", "{}")], finish="tool_calls")
    assert "not one of the tools offered" in _grade(c.ArgumentsValid(), unknown)[1]
    assert _grade(c.ArgumentsValid()) == (False, "The model made no tool call.")


def test_an_argument_equals_a_column() -> None:
    check = c.ArgumentEquals(tool="get_weather", argument="city", column="city")
    assert _grade(check, WEATHER)[0]  # case ignored by default
    assert not _grade(check.model_copy(update={"ignore_case": False}), WEATHER)[0]
    passed, reason = _grade(check.model_copy(update={"column": "other"}), WEATHER)
    assert not passed and reason == "city is “paris”; the column other says “Lima”."
    assert _grade(check.model_copy(update={"argument": "days"}), WEATHER) == (False, "No call has an argument days.")
    assert _grade(check) == (False, "The model made no call to get_weather.")
    numeric = answer("", calls=[("add", '{"a": 12, "ok": true}')], finish="tool_calls")
    assert _grade(c.ArgumentEquals(argument="a", column="n"), numeric, {"n": "12"})[0]
    assert _grade(c.ArgumentEquals(argument="ok", column="n"), numeric, {"n": "true"})[0]


def test_contains_and_does_not_contain_text_or_a_column() -> None:
    assert _grade(c.Contains(column="city")) == (True, "The answer contains “Paris” (column city).")
    assert _grade(c.Contains(text="paris")) == (False, "The answer does not contain “paris”.")
    assert _grade(c.Contains(text="paris", ignore_case=True))[0]
    assert _grade(c.NotContains(column="other")) == (True, "The answer does not contain “Lima” (column other).")
    assert not _grade(c.NotContains(text="sunny"))[0]
    assert _grade(c.Contains(column="city"), row={"city": ""}) == (False, "There is no text to look for (column city).")
    long = _grade(c.Contains(text="x" * 500))[1]
    assert len(long) < 120 and "…" in long


def test_a_pattern_is_searched_and_a_bad_one_is_a_reason_not_a_crash() -> None:
    assert _grade(c.MatchesPattern(pattern=r"sunny in [A-Z]\w+")) == (True, "Found “sunny in Paris”.")
    assert not _grade(c.MatchesPattern(pattern=r"^\d+$"))[0]
    assert _grade(c.MatchesPattern(pattern="SUNNY", ignore_case=True))[0]
    passed, reason = _grade(c.MatchesPattern(pattern="(unclosed"))
    assert not passed and reason.startswith("The pattern does not compile")


def test_a_pattern_that_backtracks_without_end_is_a_cross_with_a_plain_reason() -> None:
    # (a|aa)+$ tries every way to split the a's before it meets the b: Python's re spends seconds on 34 a's
    passed, reason = _grade(c.MatchesPattern(pattern="(a|aa)+$"), answer("a" * 34 + "b"))
    assert not passed
    assert reason.startswith("The pattern took longer than") and "simplify it" in reason
    assert _grade(c.MatchesPattern(pattern="(a|aa)+$"), answer("a" * 34)) == (True, f"Found “{'a' * 34}”.")


_pieces = st.sampled_from(["a", "aa", "a+", "a*", "(a|aa)", "(a+)+", "(a*)*", "(a|a)*", "b", ".", "\\w+", "(a|b)?"])


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(_pieces, min_size=1, max_size=4), st.sampled_from(["", "$", "b$", "c"]), st.integers(0, 40), st.booleans())
def test_any_pattern_on_any_answer_ends_with_a_found_text_or_a_reason(
    pieces: list[str], end: str, length: int, ignore_case: bool
) -> None:
    pattern = "".join(pieces) + end
    text = "a" * length + "b"
    out = c.evaluate(c.MatchesPattern(pattern=pattern, ignore_case=ignore_case), answer(text), ROW)
    assert c.check_problems(c.MatchesPattern(pattern=pattern), []) == []
    if out.passed:
        assert out.reason.startswith("Found “")
    else:
        assert out.reason.startswith(("Nothing in the answer matches", "The pattern took longer than"))


def test_equals_expected_trims_and_ignores_case_unless_asked() -> None:
    assert _grade(c.EqualsExpected(), answer("  it is SUNNY in paris.\n"))[0]
    assert not _grade(c.EqualsExpected(ignore_case=False), answer("it is sunny in paris."))[0]
    assert _grade(c.EqualsExpected(), row={"city": "Paris"}) == (False, "The table has no expected column.")


def test_max_tokens_and_ended_by_itself() -> None:
    assert _grade(c.MaxTokens(tokens=6)) == (True, "6 tokens (at most 6).")
    assert not _grade(c.MaxTokens(tokens=5))[0]
    assert _grade(c.EndedByItself()) == (True, "Finished by itself (stop).")
    assert _grade(c.EndedByItself(), WEATHER)[0]
    assert _grade(c.EndedByItself(), answer(finish="length")) == (False, "The token limit cut the answer off.")
    assert not _grade(c.EndedByItself(), answer(finish=None))[0]
    with pytest.raises(ValidationError):
        c.MaxTokens(tokens=0)


def test_times_under_a_limit_use_the_runners_timings() -> None:
    assert _grade(c.TimeToFirstToken(ms=250)) == (True, "The first token took 200 ms (limit 250 ms).")
    assert not _grade(c.TimeToFirstToken(ms=200))[0]
    assert _grade(c.TotalTime(ms=1000))[0] and not _grade(c.TotalTime(ms=900))[0]
    assert _grade(c.TotalTime(ms=1000), answer(total_s=None)) == (False, "The whole answer's time was not measured.")


def test_a_persons_mark_counts_only_once_given() -> None:
    out = c.evaluate(c.PersonMark(), answer(), ROW)
    assert (out.passed, out.counted) == (False, False)
    assert _grade(c.PersonMark(), mark=c.Mark(up=True)) == (True, "Marked 👍")
    assert _grade(c.PersonMark(), answer(status="error"), mark=c.Mark(up=False, note="rude")) == (False, "Marked 👎: “rude”")


def test_a_failed_run_fails_every_other_check_with_its_error() -> None:
    passed, reason = _grade(c.Contains(text="x"), answer(status="error"))
    assert not passed and reason == "There is no answer (the run is error: NetworkError: refused)."


def test_the_checks_own_problems() -> None:
    columns = ["city"]
    assert c.check_problems(c.Contains(column="city"), columns) == []
    assert c.check_problems(c.Contains(), columns) == ["Give the text to look for, or choose a column."]
    assert c.check_problems(c.NotContains(column="town", text="x"), columns) == [
        "The table has no column town.",
        "Give a text or a column, not both.",
    ]
    assert c.check_problems(c.MatchesPattern(pattern="(a"), columns)[0].startswith("The pattern does not compile")
    assert c.check_problems(c.MatchesPattern(), columns) != []
    assert c.check_problems(c.ArgumentEquals(tool="bad name", column=""), columns) == [
        "Give the argument's name, e.g. city.",
        "Choose the column it must equal.",
        "A tool name is 1 to 64 letters, digits, _ or -.",
    ]
    assert c.check_problems(c.CallsTool(), columns) != [] and c.check_problems(c.CallsTool(tool="get_weather"), columns) == []
    assert c.check_problems(c.LibrarySchema(), columns) == ["Choose a schema from the library."]
    assert "not a JSON Schema type" in c.check_problems(c.LibrarySchema(json_schema={"type": "text"}), columns)[0]
    assert c.check_problems(c.EqualsExpected(), columns) == ["Add an expected column to the table first."]
    assert c.check_problems(c.EqualsExpected(), [*columns, "expected"]) == []


def test_checks_round_trip_through_json_by_kind() -> None:
    made = [
        c.Contains(column="city"),
        c.NotContains(text="x"),
        c.CallsTool(tool="get_weather"),
        c.PersonMark(),
        c.TotalTime(ms=5),
    ]
    back = c.parse_checks(json.loads(json.dumps([m.model_dump() for m in made])))
    assert back == made and [type(b) for b in back] == [type(m) for m in made]
    assert set(c.KINDS) == {t.model_fields["kind"].default for t in c.Check.__origin__.__args__}  # type: ignore[attr-defined]
    assert [c.describe(m) for m in made] == [
        "contains city",
        "does not contain “x”",
        "calls get_weather",
        "a person's 👍/👎",
        "total < 5 ms",
    ]
    with pytest.raises(ValidationError):
        c.parse_checks([{"kind": "telepathy"}])


_text = st.text(max_size=30)
_column = st.sampled_from(["city", "expected", "missing", ""])
_checks = st.one_of(
    st.builds(c.ValidJson),
    st.builds(c.ResponseSchema),
    st.builds(c.LibrarySchema, json_schema=st.sampled_from([{}, SCHEMA, {"type": "text"}])),
    st.builds(c.CallsTool, tool=st.sampled_from(["get_weather", "add", ""])),
    st.builds(c.CallsNoTool),
    st.builds(c.ArgumentsValid),
    st.builds(
        c.ArgumentEquals, tool=st.sampled_from(["", "get_weather"]), argument=st.sampled_from(["city", "a", ""]), column=_column
    ),
    st.builds(c.Contains, text=_text, column=_column, ignore_case=st.booleans()),
    st.builds(c.NotContains, text=_text, column=_column, ignore_case=st.booleans()),
    st.builds(c.MatchesPattern, pattern=_text, ignore_case=st.booleans()),
    st.builds(c.EqualsExpected, ignore_case=st.booleans()),
    st.builds(c.MaxTokens, tokens=st.integers(1, 50)),
    st.builds(c.EndedByItself),
    st.builds(c.TimeToFirstToken, ms=st.integers(1, 5000)),
    st.builds(c.TotalTime, ms=st.integers(1, 5000)),
    st.builds(c.PersonMark),
)
_results = st.builds(
    answer,
    text=st.one_of(st.none(), _text, st.sampled_from(['{"city": "Paris"}', "[1", "{}"])),
    calls=st.lists(
        st.tuples(st.sampled_from(["get_weather", "add", "x y"]), st.sampled_from(['{"city": "Paris"}', "{", "[]", ""])),
        max_size=2,
    ),
    finish=st.sampled_from(["stop", "length", "tool_calls", None]),
    tokens=st.integers(0, 60),
    body=st.sampled_from([None, {"messages": [], "response_format": RESPONSE_FORMAT}, {"tools": "not a list"}]),
    ttft_s=st.one_of(st.none(), st.floats(0, 10)),
    status=st.sampled_from(["done", "done", "error", "cancelled"]),
)
_rows = st.dictionaries(_column, _text, max_size=3)


@settings(max_examples=examples(500), deadline=None)
@given(_checks, _results, _rows, st.one_of(st.none(), st.builds(c.Mark, up=st.booleans(), note=_text)))
def test_any_check_on_any_answer_and_row_gives_a_reason_and_never_raises(
    check: c.Check, result: RunResult, row: dict[str, str], mark: c.Mark | None
) -> None:
    out = c.evaluate(check, result, row, mark=mark)
    assert out.reason.strip()
    assert out.counted or isinstance(check, c.PersonMark)
    assert c.check_problems(check, list(row)) is not None
    assert c.parse_checks([check.model_dump()]) == [check]
    if isinstance(check, c.Contains) and not isinstance(check, c.NotContains) and result.status == "done":
        twin = c.NotContains(**check.model_dump(exclude={"kind"}))
        assert c.evaluate(twin, result, row).passed != out.passed or "no text to look for" in out.reason
