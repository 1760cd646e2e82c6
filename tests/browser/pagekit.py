"""What a person does on the Playground page, in the browser tests' words."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from components import state as keys
from playground import fields

DONE = re.compile(r"· done ·")
LONG = 180_000  # ms: a busy 2-core machine can be slow to answer


def css(key: str) -> str:
    """Streamlit gives a keyed element the class `st-key-<key>` (dots become dashes)."""
    return ".st-key-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)


def ready(page: Page) -> None:
    expect(page.get_by_label("Notebook", exact=True)).to_be_visible(timeout=LONG)


def settle(page: Page) -> None:
    """Wait, as a person does, until the page has finished the run a change started (so it is saved)."""
    page.wait_for_timeout(300)  # the run may not have begun yet
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=LONG)
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=LONG)


def import_file(page: Page, path: Path) -> None:
    """Import a file on the Notebooks page once it is drawn (an upload into an uploader the page is still
    drawing is dropped with it)."""
    expect(page.get_by_role("heading", name="Notebooks")).to_be_visible(timeout=LONG)
    settle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))


def tick(page: Page, field: str) -> None:
    """Tick the sidebar checkbox of `field` as a person does, again if a click landed while the page redrew it."""
    field_box = page.locator(css(keys.field(field)))
    for _ in range(20):
        if field_box.get_by_role("checkbox").is_checked():
            break
        field_box.get_by_text(fields.FIELDS[field].label, exact=True).click()
        settle(page)
    expect(field_box.get_by_role("checkbox")).to_be_checked()


def open_section(page: Page, field: str) -> None:
    """Unfold the sidebar section holding `field`, as a person clicks its header."""
    section = fields.FIELDS[field].section.value
    summary = page.get_by_test_id("stSidebar").locator("summary").filter(has_text=section).first
    details = summary.locator("xpath=..")
    if not details.evaluate("d => d.open"):
        summary.click()
    page.wait_for_function("d => d.open", arg=details.element_handle())


def number(page: Page, field: str, value: int) -> None:
    """Type a number into a sidebar field and leave it."""
    ready(page)
    open_section(page, field)
    box = page.locator(f"{css(keys.field(field))} input")
    box.fill(str(value))
    box.press("Enter")
    expect(box).to_have_value(str(value))


LONG_ANSWER = "Write a very long story about a dragon."  # at temperature 0 the model runs to the token limit


def greedy(page: Page) -> None:
    """Temperature to 0 with the slider's keyboard (Home), so the answer is the same every time."""
    open_section(page, "temperature")
    thumb = page.get_by_test_id("stSidebar").get_by_role("slider", name=re.compile(r"^Temperature"))
    thumb.focus()
    thumb.press("Home")
    expect(thumb).to_have_value("0")
    settle(page)


def say(page: Page, text: str) -> None:
    """Type into the chat input and press Enter."""
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_enabled(timeout=LONG)
    box.fill(text)
    box.press("Enter")


def cells(page: Page) -> Locator:
    """Every cell (run) on the page, oldest first."""
    return page.locator("[class*='st-key-playground-cell-']")


def wait_done(page: Page, count: int) -> Locator:
    """Wait until `count` cells exist and the newest says done; returns it."""
    expect(cells(page)).to_have_count(count, timeout=LONG)
    newest = cells(page).nth(count - 1)
    expect(newest.get_by_text(DONE)).to_be_visible(timeout=LONG)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=LONG)  # the script finished: saved
    return newest


def bubbles(page: Page, role: str) -> Locator:
    """The conversation's chat bubbles of one role, in order."""
    return page.locator(f"[class*='st-key-playground-bubble-'][class*='-{role}']")
