"""A person runs a request, presses F5, and finds the conversation, the setting and the answer still there."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from components import state as keys
from tests.browser.pagekit import STOPPED, css, message_box, run, write

pytestmark = pytest.mark.browser


def test_reload_keeps_the_conversation_settings_and_answer(page: Page) -> None:
    write(page, "Name two fruits.", max_tokens=16)
    expect(page).to_have_url(re.compile(r"[?&]draft=[0-9a-f]{16}"))
    answer = run(page)
    expect(answer.get_by_text(STOPPED)).to_be_visible(timeout=120_000)
    text = answer.locator("[data-testid='stMarkdownContainer']").first.inner_text().strip()
    assert text and text != "(no text)"
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)  # the run finished, so the draft is saved
    url = page.url

    page.reload()

    expect(page.get_by_text("Chat Completions Playground").first).to_be_visible(timeout=60_000)
    assert page.url == url
    expect(message_box(page)).to_have_value("Name two fruits.")
    expect(page.locator(f"{css(keys.field('max_completion_tokens'))} input")).to_have_value("16")
    answer = page.locator(css(keys.ANSWER))
    expect(answer.get_by_text(STOPPED)).to_be_visible()
    expect(answer.locator("[data-testid='stMarkdownContainer']").first).to_have_text(text)
