"""`{{variables}}`: found in order, filled in from a row, and every bad name or missing value named with its message."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.errors import RequestError
from playground.evaluate import VariableError, find_variables, substitute, substitute_body
from playground.evaluate.variables import fill_in
from playground.notebook import ChatMessage, ToolCallRow
from tests.fuzz import examples


def _conv(*texts: str, system: str | None = None) -> list[ChatMessage]:
    out = [ChatMessage(role="system", content=system)] if system is not None else []
    return out + [ChatMessage(role="user" if i % 2 == 0 else "assistant", content=t) for i, t in enumerate(texts)]


def test_variables_are_listed_in_order_of_first_appearance_system_prompt_included() -> None:
    conv = _conv("Weather in {{city}} on {{ day }}?", "Ask {{city}} again in {{unit}}", system="Answer in {{tone}}.")
    assert find_variables(conv) == ["tone", "city", "day", "unit"]


def test_text_without_variables_and_single_braces_find_nothing() -> None:
    assert find_variables(_conv('A JSON example: {"a": {"b": 1}} and {city}', "")) == []


def test_a_bad_name_is_reported_on_its_message_with_the_name() -> None:
    with pytest.raises(VariableError) as caught:
        find_variables(_conv("fine {{city}}", "then {{my city}} and {{1st}} and {{}}", system="ok"))
    issues = caught.value.errors
    assert [(i.field, i.code, i.variable) for i in issues] == [
        ("messages.2.content", "bad_name", "my city"),
        ("messages.2.content", "bad_name", "1st"),
        ("messages.2.content", "bad_name", ""),
    ]
    assert "message 3 (assistant)" in issues[0].message and "{{my city}}" in issues[0].message
    assert caught.value.for_field("messages.2") == issues


def test_substitute_fills_every_message_and_leaves_the_original_alone() -> None:
    conv = _conv("Weather in {{city}}?", system="Be {{tone}} about {{ city }}.")
    out = substitute(conv, {"city": "Paris", "tone": "brief"})
    assert [m.content for m in out] == ["Be brief about Paris.", "Weather in Paris?"]
    assert conv[1].content == "Weather in {{city}}?"


def test_values_are_inserted_as_they_are_never_read_again_for_variables() -> None:
    out = substitute(_conv("{{a}} and {{b}}"), {"a": "{{b}}", "b": "x\\1 $0"})
    assert out[0].content == "{{b}} and x\\1 $0"


def test_a_missing_value_names_the_message_and_the_variable() -> None:
    with pytest.raises(VariableError) as caught:
        substitute(_conv("Weather in {{city}} on {{day}}?", system="Be {{tone}}."), {"city": "Paris"})
    assert [(i.field, i.code, i.variable) for i in caught.value.errors] == [
        ("messages.0.content", "missing_value", "tone"),
        ("messages.1.content", "missing_value", "day"),
    ]
    assert caught.value.errors[0].message.startswith("The system prompt uses {{tone}}")


def test_substitute_body_fills_text_contents_and_keeps_tool_calls() -> None:
    conv = _conv("Weather in {{city}}?")
    conv.append(
        ChatMessage(role="assistant", tool_calls=[ToolCallRow(id="c1", name="get_weather", arguments='{"city":"{{city}}"}')])
    )
    body = {"model": "m", "messages": [m.to_request() for m in conv], "seed": 3}
    out = substitute_body(body, {"city": "Lima"})
    assert out["messages"][0]["content"] == "Weather in Lima?"
    assert out["messages"][1]["content"] is None and out["messages"][1]["tool_calls"] == body["messages"][1]["tool_calls"]
    assert body["messages"][0]["content"] == "Weather in {{city}}?"
    with pytest.raises(VariableError):
        substitute_body(body, {})


_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
_plain = st.text(st.characters(blacklist_characters="{}"), max_size=20)


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.tuples(_plain, _names), min_size=1, max_size=6), st.dictionaries(_names, _plain, max_size=4))
def test_any_conversation_substitutes_exactly_when_every_variable_has_a_value(
    parts: list[tuple[str, str]], values: dict[str, str]
) -> None:
    text = "".join(f"{plain}{{{{{name}}}}}" for plain, name in parts)
    conv = _conv(text)
    names = find_variables(conv)
    assert names == list(dict.fromkeys(name for _, name in parts))
    if all(n in values for n in names):
        assert substitute(conv, values)[0].content == "".join(plain + values[name] for plain, name in parts)
    else:
        with pytest.raises(VariableError) as caught:
            substitute(conv, values)
        assert {i.variable for i in caught.value.errors} == {n for n in names if n not in values}


def test_run_fills_in_the_typed_values_and_keeps_only_those_the_conversation_uses() -> None:
    conv = _conv("Weather in {{city}}?", system="Be {{tone}}.")
    sent, used = fill_in(conv, {"city": "Paris", "tone": "brief", "unused": "x", "day": ""})
    assert [m.content for m in sent] == ["Be brief.", "Weather in Paris?"]
    assert used == {"city": "Paris", "tone": "brief"}
    assert fill_in(_conv("No variables here"), {"city": "Paris"}) == (_conv("No variables here"), {})


def test_run_with_an_empty_box_names_that_box_once_and_a_bad_name_its_message() -> None:
    with pytest.raises(RequestError) as caught:
        fill_in(_conv("{{city}} and {{city}} on {{day}}"), {"city": "", "day": "Monday"})
    assert [(e.field, e.code) for e in caught.value.errors] == [("variables.city", "missing_value")]
    assert caught.value.errors[0].message == "Type a value for {{city}}: the conversation uses it."
    with pytest.raises(RequestError) as caught:
        fill_in(_conv("{{my city}} and {{day}}"), {"day": "Monday"})
    assert [(e.field, e.code) for e in caught.value.errors] == [("messages.0.content", "bad_name")]


def test_a_message_without_variables_is_not_copied() -> None:
    """A page fills its whole conversation on every rerun: only the messages holding a variable are new."""
    conv = _conv("Weather in {{city}}?", system="Be brief.")
    out = substitute(conv, {"city": "Paris"})
    assert out[0] is conv[0] and out[1] is not conv[1]
