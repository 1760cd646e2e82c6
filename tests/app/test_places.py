"""Typed text stays when a run lands: what comes and goes under a field (its problems, its notes, a box only some
choices have) sits in a place drawn on every run (components/errors.py `slot`), so the boxes after it keep their
place in the page, and the browser keeps what a person is still typing there when the run their last Enter started
lands (a box that moves is drawn anew, empty). A place is the widget's path in AppTest's element tree, which is the
delta path the browser gets."""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from components import state as keys
from tests.markdown import readable

pytestmark = pytest.mark.apptest

TOOL = keys.sidebar_tool(0)


def k(setting: str, *path: int | str) -> str:
    return keys.builder_key(TOOL, path, setting)


def ok(app: AppTest) -> AppTest:
    assert not app.exception, app.exception
    return app


def place(app: AppTest, key: str) -> tuple[int, ...]:
    """Where the widget with `key` is drawn: its index in each block from the page down."""
    found: list[tuple[int, ...]] = []

    def walk(node: Any, path: tuple[int, ...]) -> None:
        for i, child in getattr(node, "children", {}).items():
            try:
                mine = child.key == key
            except AttributeError:  # blocks and plain elements have no key
                mine = False
            if mine:
                found.append((*path, i))
            walk(child, (*path, i))

    walk(app._tree, ())
    assert len(found) == 1, (key, found)
    return found[0]


def errors(app: AppTest) -> str:
    return "\n".join(readable(e.value) for e in app.error)


def test_a_rows_problems_and_a_bad_number_come_and_go_without_moving_the_boxes_after_them(at: AppTest) -> None:
    at.button(key=keys.TOOLS_NEW).click().run()
    at.button(key=k("add")).click().run()
    ok(at)
    after_name = [k("description", 0), k("enum", 0)]
    before = [place(at, key) for key in after_name]
    assert "name" in errors(at).lower(), errors(at)  # the new row's empty name is said under its first line
    at.text_input(key=k("name", 0)).set_value("unit").run()
    ok(at)
    assert errors(at) == ""
    assert [place(at, key) for key in after_name] == before

    row = place(at, k("name", 0))
    at.text_input(key=k("name")).set_value("get weather").run()  # a problem under the tool's name
    assert "may use only letters" in errors(at), errors(at)
    assert place(at, k("name", 0)) == row

    longest = place(at, k("max_length", 0))
    at.text_input(key=k("min_length", 0)).set_value("two").run()  # in the row's More menu
    assert "whole number" in errors(at), errors(at)
    assert place(at, k("max_length", 0)) == longest


def test_a_sidebar_fields_notes_and_problems_do_not_move_the_next_field(at: AppTest) -> None:
    after = place(at, keys.field("n"))
    at.number_input(key=keys.field("max_completion_tokens")).set_value(60).run()
    ok(at)
    assert any("Changed from the default" in c.value for c in at.sidebar.caption)
    assert place(at, keys.field("n")) == after
    at.number_input(key=keys.field("max_completion_tokens")).set_value(-3).run()
    assert errors(at), "a negative token count is said under its box"
    assert place(at, keys.field("n")) == after


def test_a_message_made_a_tool_result_keeps_its_text_box_in_place(at: AppTest) -> None:
    at.button_group(key=keys.VIEW).set_value("Form").run()
    at.button(key=keys.ADD_MESSAGE).click().run()
    ok(at)
    text = place(at, keys.message_content(0))
    at.selectbox(key=keys.message_role(0)).set_value("tool").run()  # brings the tool call id's box
    ok(at)
    assert at.text_input(key=keys.message_tool_call_id(0))
    assert place(at, keys.message_content(0)) == text
