"""What a person does on the Playground page, in the browser tests' words."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from components import state as keys

STOPPED = re.compile(r"stop reason: (stop|length)")


def css(key: str) -> str:
    """Streamlit gives a keyed element the class `st-key-<key>` (dots become dashes)."""
    return ".st-key-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)


def message_box(page: Page, i: int = 0) -> Locator:
    return page.locator(f"{css(keys.message_content(i))} textarea")


def write(page: Page, text: str, *, max_tokens: int | None = None) -> None:
    """Type the first message (and a length cap, so a small model's answer stays short)."""
    expect(page.get_by_text("Chat Completions Playground").first).to_be_visible(timeout=60_000)
    box = message_box(page)
    box.fill(text)
    box.press("Tab")  # commit the text area's value, as a person leaving the field does
    if max_tokens is not None:
        limit = page.locator(f"{css(keys.field('max_completion_tokens'))} input")
        limit.fill(str(max_tokens))
        limit.press("Enter")


def run(page: Page) -> Locator:
    """Press Run; the answer area."""
    page.locator(css(keys.RUN)).get_by_role("button").click()
    return page.locator(css(keys.ANSWER))
