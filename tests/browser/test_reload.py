"""A person runs a request, presses F5, and finds the conversation, the setting and the answer still there."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from components import state as keys

pytestmark = pytest.mark.browser


def css(key: str) -> str:
    """Streamlit gives a keyed element the class `st-key-<key>` (dots become dashes)."""
    return ".st-key-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)


def test_reload_keeps_the_conversation_settings_and_answer(page: Page) -> None:
    expect(page.get_by_text("Chat Completions Playground").first).to_be_visible(timeout=60_000)
    box = page.locator(f"{css(keys.message_content(0))} textarea")
    box.fill("Name two fruits.")
    box.press("Tab")
    limit = page.locator(f"{css(keys.field('max_completion_tokens'))} input")
    limit.fill("16")
    limit.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]draft=[0-9a-f]{16}"))
    page.locator(css(keys.RUN)).get_by_role("button").click()
    answer = page.locator(css(keys.ANSWER))
    expect(answer.get_by_text(re.compile(r"stop reason: (stop|length)"))).to_be_visible(timeout=120_000)
    text = answer.locator("[data-testid='stMarkdownContainer']").first.inner_text().strip()
    assert text and text != "(no text)"
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)  # the run finished, so the draft is saved
    url = page.url

    page.reload()

    expect(page.get_by_text("Chat Completions Playground").first).to_be_visible(timeout=60_000)
    assert page.url == url
    expect(page.locator(f"{css(keys.message_content(0))} textarea")).to_have_value("Name two fruits.")
    expect(page.locator(f"{css(keys.field('max_completion_tokens'))} input")).to_have_value("16")
    answer = page.locator(css(keys.ANSWER))
    expect(answer.get_by_text(re.compile(r"stop reason: (stop|length)"))).to_be_visible()
    expect(answer.locator("[data-testid='stMarkdownContainer']").first).to_have_text(text)
