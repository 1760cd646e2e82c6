"""A person opens the page, writes a message, presses Run and reads the model's answer."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from components import state as keys

pytestmark = pytest.mark.browser


def css(key: str) -> str:
    """Streamlit gives a keyed element the class `st-key-<key>` (dots become dashes)."""
    return ".st-key-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)


def test_type_a_message_run_and_read_the_answer(page: Page) -> None:
    expect(page.get_by_text("Chat Completions Playground").first).to_be_visible(timeout=60_000)
    box = page.locator(f"{css(keys.message_content(0))} textarea")
    box.fill("Name three colours.")
    box.press("Tab")  # commit the text area's value, as a person leaving the field does
    limit = page.locator(f"{css(keys.field('max_completion_tokens'))} input")
    limit.fill("24")
    limit.press("Enter")
    page.locator(css(keys.RUN)).get_by_role("button").click()

    answer = page.locator(css(keys.ANSWER))
    expect(answer.get_by_text(re.compile(r"stop reason: (stop|length)"))).to_be_visible(timeout=120_000)
    expect(answer.get_by_text("Output tokens")).to_be_visible()
    text = answer.locator("[data-testid='stMarkdownContainer']").first.inner_text()
    assert len(text.strip()) > 0 and text.strip() != "(no text)"
    # The conversation survived the run.
    expect(box).to_have_value("Name three colours.")


def test_a_bad_value_shows_next_to_its_field_and_keeps_the_conversation(page: Page) -> None:
    box = page.locator(f"{css(keys.message_content(0))} textarea")
    box.fill("Hello there")
    box.press("Tab")
    stop = page.locator(f"{css(keys.field('stop'))} input")
    stop.fill("a, b, c, d, e")
    stop.press("Enter")
    page.locator(css(keys.RUN)).get_by_role("button").click()
    sidebar = page.locator("section[data-testid='stSidebar']")
    expect(sidebar.locator("[data-testid='stAlert']").filter(has_text="at most 4")).to_be_visible()
    expect(page.get_by_text("Nothing was sent")).to_be_visible()
    expect(box).to_have_value("Hello there")
