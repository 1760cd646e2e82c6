"""The pure helpers of components/: logit-bias rows, error paths and labels, message shapes, keys."""

from __future__ import annotations

import pytest

from components import errors as error_view
from components import sidebar
from components import state as keys
from playground import fields
from playground.errors import FieldError, RequestError
from playground.request import logit_bias_from_rows


def test_logit_bias_rows_with_ids_and_text() -> None:
    seen: list[str] = []

    def tokenize(text: str) -> list[int]:
        seen.append(text)
        return {" Cat": [9240], "dogs": [17, 18]}[text]

    rows = [{"token": "42", "bias": -100}, {"token": " Cat", "bias": 50}, {"token": "dogs", "bias": 5}]
    assert logit_bias_from_rows(rows, tokenize) == {"42": -100, "9240": 50, "17": 5, "18": 5}
    assert seen == [" Cat", "dogs"]  # ids are never looked up; text keeps its leading space


def test_logit_bias_empty_is_none() -> None:
    assert logit_bias_from_rows([], None) is None


@pytest.mark.parametrize(
    ("row", "code"),
    [
        ({"token": "cat", "bias": 1}, "tokenize_unsupported"),
        ({"token": "1", "bias": None}, "missing"),
        ({"token": "", "bias": 3}, "missing"),
    ],
)
def test_logit_bias_row_problems_name_the_field(row: dict, code: str) -> None:
    with pytest.raises(RequestError) as info:
        logit_bias_from_rows([row], None)
    assert [(e.field, e.code) for e in info.value.errors] == [("logit_bias", code)]


def test_tool_names_skip_malformed_entries() -> None:
    assert sidebar.tool_names(sidebar.EXAMPLE_TOOLS) == ["get_weather"]
    assert sidebar.tool_names([{"function": {"name": ""}}, "x", {"type": "function"}]) == []
    assert sidebar.tool_names({"not": "a list"}) == []


@pytest.mark.parametrize(
    ("param", "path"),
    [
        ("temperature", "temperature"),
        ("messages[2].role", "messages.2.role"),
        ("body.top_logprobs", "top_logprobs"),
        (None, None),
        ("", None),
    ],
)
def test_server_param_becomes_a_field_path(param: str | None, path: str | None) -> None:
    assert error_view.normalise_param(param) == path


def test_labels_for_paths() -> None:
    assert error_view.label_for("top_logprobs") == fields.field("top_logprobs").label
    assert error_view.label_for("messages.2.content") == "Message 3 content"
    assert error_view.label_for("tools.0.function.name") == "Tool 1 name"  # counted from 1, as the field's message
    assert error_view.label_for("api_key") == "API key"


def test_errors_match_their_widget_and_the_rest_go_under_run() -> None:
    err = RequestError(
        [
            FieldError("messages", "empty", "too_short"),
            FieldError("messages.1.role", "bad", "x"),
            FieldError("stop", "too many", "too_long"),
            FieldError("stream", "unknown", "extra"),
        ]
    )
    assert [e.field for e in error_view.matching(err, "messages", exact=True)] == ["messages"]
    assert [e.field for e in error_view.matching(err, "messages.1")] == ["messages.1.role"]
    assert error_view.matching(err, "messages.10") == []
    assert [e.field for e in error_view.unplaced(err, ["messages", *fields.SIDEBAR_KEYS])] == ["stream"]


def test_keys_are_namespaced_and_unique() -> None:
    names = [
        v
        for k, v in vars(keys).items()
        if k.isupper()
        and isinstance(v, str)
        and not k.endswith("PAGE")
        and k not in ("DRAFT_PARAM", "NOTEBOOK_PARAM", "VIEW_PARAM")  # page and URL names
        and k != "SIDEBAR_TOOLS"
    ]  # a prefix, equal to field("tools") on purpose
    names += [keys.field(k) for k in fields.SIDEBAR_KEYS] + list(keys.message_keys(0)) + [keys.message_delete(0)]
    assert all(n.startswith(("playground.", "notebooks.", "compare.", "tools.", "view.", "present.", "evaluate.")) for n in names)
    assert len(names) == len(set(names))
