"""A person opens the page, writes a message, presses Run and reads the model's answer."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from components import state as keys
from tests.browser.pagekit import STOPPED, css, message_box, run, write

pytestmark = pytest.mark.browser


def test_type_a_message_run_and_read_the_answer(page: Page) -> None:
    write(page, "Name three colours.", max_tokens=24)
    answer = run(page)

    expect(answer.get_by_text(STOPPED)).to_be_visible(timeout=120_000)
    expect(answer.get_by_text("Output tokens")).to_be_visible()
    text = answer.locator("[data-testid='stMarkdownContainer']").first.inner_text()
    assert len(text.strip()) > 0 and text.strip() != "(no text)"
    # The conversation survived the run.
    expect(message_box(page)).to_have_value("Name three colours.")


def test_a_bad_value_shows_next_to_its_field_and_keeps_the_conversation(page: Page) -> None:
    write(page, "Hello there")
    stop = page.locator(f"{css(keys.field('stop'))} input")
    stop.fill("a, b, c, d, e")
    stop.press("Enter")
    run(page)
    sidebar = page.locator("section[data-testid='stSidebar']")
    expect(sidebar.locator("[data-testid='stAlert']").filter(has_text="at most 4")).to_be_visible()
    expect(page.get_by_text("Nothing was sent")).to_be_visible()
    expect(message_box(page)).to_have_value("Hello there")
