"""Plain words next to a widget: the person's name for a field and the rule, in one sentence."""

from __future__ import annotations

from playground.wording import say


def test_bounds_name_the_field_by_its_label_and_the_rule() -> None:
    message = say(["temperature"], "less_than_equal", {"le": 2})
    assert "Temperature" in message and "2" in message


def test_message_paths_count_from_one_as_a_person_does() -> None:
    assert say(["messages", 2, "role"], "literal_error", {"expected": "'user'"}).startswith("Message 3")


def test_an_unknown_code_still_says_which_field() -> None:
    assert say(["seed"], "some_new_code", {}, raw="whatever pydantic said").startswith("Seed")


def test_a_path_inside_a_schema_is_named_as_the_form_counts_its_properties() -> None:
    from playground.wording import subject

    assert subject(["response_format", "schema", "#1", "name"]) == "Response format: property 2 name"
    assert subject(["tools", 0, "function", "parameters", "unit", "enum"]) == "Tool 1: unit enum"
    assert subject(["response_format", "schema"]) == "Response format schema"
