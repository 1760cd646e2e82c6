"""An evaluation whose prompt shows an image variable (`{{photo}}` as an image's address): each test case gives the
image, a PNG/JPEG file (as a data URL) or an https address; a missing or bad one is a problem on its row."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

from playground.evaluate import TestCases, VariableError, find_variables, substitute
from playground.evaluate.plan import PlanError, make_plan, problems
from playground.notebook import AttachedImage, ChatMessage
from playground.request import build_request

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PNG_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()
CAT = "https://example.com/cat.jpg"


def asked(detail: str = "low") -> list[ChatMessage]:
    return [ChatMessage(role="user", content="What is in {{label}}?", images=[AttachedImage(url="{{ photo }}", detail=detail)])]


def body() -> dict[str, Any]:
    """The base body as the Evaluate page builds it: the conversation through the request models, variables kept."""
    return build_request({"model": "grok-4"}, [m.to_request() for m in asked()]).request.to_body()


def test_an_image_variable_is_kept_through_the_request_and_listed_with_the_text_ones() -> None:
    sent = body()
    assert sent["messages"][0]["content"] == [
        {"type": "text", "text": "What is in {{label}}?"},
        {"type": "image_url", "image_url": {"url": "{{ photo }}", "detail": "low"}},
    ]
    assert find_variables(sent["messages"]) == ["label", "photo"] and find_variables(asked()) == ["label", "photo"]


def test_each_row_sends_its_own_image_a_file_or_an_address() -> None:
    cases = TestCases(columns=["label", "photo"], rows=[{"label": "the file", "photo": PNG_URL}, {"label": "it", "photo": CAT}])
    plan = make_plan(body(), cases, [], seeds="7")
    parts = [run.variant.body["messages"][0]["content"] for run in plan.runs]
    assert parts == [
        [{"type": "text", "text": "What is in the file?"}, {"type": "image_url", "image_url": {"url": PNG_URL, "detail": "low"}}],
        [{"type": "text", "text": "What is in it?"}, {"type": "image_url", "image_url": {"url": CAT, "detail": "low"}}],
    ]
    assert plan.base_body == body()


def test_a_missing_or_bad_image_is_a_problem_on_its_row_and_nothing_runs() -> None:
    rows = [
        {"label": "a", "photo": ""},
        {"label": "b", "photo": "https://169.254.169.254/latest/meta-data.png"},
        {"label": "c", "photo": "a cat"},
        {"label": "d", "photo": "data:image/png;base64,R0lGODlh"},
        {"label": "e", "photo": PNG_URL},
    ]
    cases = TestCases(columns=["label", "photo"], rows=rows)
    found = [(p.field, p.code) for p in problems(body(), cases, [])]
    assert found == [
        ("cases.0.photo", "missing_value"),
        ("cases.1.photo", "bad_image"),
        ("cases.2.photo", "bad_image"),
        ("cases.3.photo", "bad_image"),
    ]
    words = [p.message for p in problems(body(), cases, [])]
    assert words[0] == "Row 1 has no image for photo."
    assert words[2].startswith("Row 3's photo is not an image to send: An image address must start with https://")
    with pytest.raises(PlanError):
        make_plan(body(), cases, [])


def test_a_large_image_goes_out_and_back_in_csv_and_jsonl() -> None:
    big = "data:image/png;base64," + base64.b64encode(PNG + bytes(range(256)) * 800).decode()  # longer than csv's 128 KB
    cases = TestCases(columns=["label", "photo"], rows=[{"label": "big", "photo": big}, {"label": "cat", "photo": CAT}])
    assert TestCases.from_csv(cases.to_csv()) == cases
    assert TestCases.from_jsonl(cases.to_jsonl()) == cases
    assert cases.problems(["label", "photo"], ["photo"]) == []


def test_the_variables_form_fills_an_image_and_refuses_a_value_that_is_not_one() -> None:
    [filled] = substitute(asked(), {"label": "this", "photo": CAT})
    assert filled.content == "What is in this?" and [(i.url, i.detail) for i in filled.images] == [(CAT, "low")]
    with pytest.raises(VariableError) as caught:
        substitute(asked(), {"label": "this", "photo": "http://example.com/cat.jpg"})
    assert [(e.code, e.variable) for e in caught.value.errors] == [("bad_image", "photo")]
    with pytest.raises(VariableError) as caught:
        substitute(asked(), {"label": "this"})
    assert [(e.code, e.variable) for e in caught.value.errors] == [("missing_value", "photo")]


def test_the_table_shows_an_image_as_a_short_label_and_an_edit_never_puts_a_label_in_its_place() -> None:
    big = b"\x89PNG\r\n\x1a\n" + b"\x07" * 3_000_000
    big_url = "data:image/png;base64," + base64.b64encode(big).decode()
    cases = TestCases(
        columns=["label", "photo"],
        rows=[{"label": "small", "photo": PNG_URL}, {"label": "big", "photo": big_url}, {"label": "far", "photo": CAT}],
    )
    shown = cases.shown(["photo"])
    assert shown[0] == ["small", f"image/png, 40 bytes, sha256 {hashlib.sha256(PNG).hexdigest()[:12]}…"]
    assert shown[1][1].startswith("image/png, 2.9 MB, sha256 ") and len(shown[1][1]) < 60
    assert shown[2] == ["far", CAT]  # an address is its own label
    assert TestCases(columns=["photo"], rows=[{"photo": "data:image/png;base64,!!"}]).shown(["photo"]) == [
        ["data that is not an image to send (24 bytes)"]
    ]
    # the editor gives back labels: row 1 deleted, row 2's text edited (and a label typed over its image), a row added
    back = cases.edited(
        [(1, {"label": "bigger", "photo": "typed over"}), (2, {"label": "far", "photo": shown[2][1]}), (None, {"label": "new"})],
        ["photo"],
    )
    assert back.rows == [{"label": "bigger", "photo": big_url}, {"label": "far", "photo": CAT}, {"label": "new"}]
    assert cases.edited([(0, {"label": "small", "photo": None})], ["photo"]).rows == [{"label": "small", "photo": PNG_URL}]
