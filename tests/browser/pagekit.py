"""What a person does on the Playground page, in the browser tests' words."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import BrowserContext, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from components import state as keys
from playground import fields

DONE = re.compile(r"· done ·")
LONG = 180_000  # ms: a busy 2-core machine can be slow to answer


def css(key: str) -> str:
    """Streamlit gives a keyed element the class `st-key-<key>` (dots become dashes)."""
    return ".st-key-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)


def ready(page: Page) -> None:
    expect(page.get_by_label("Notebook", exact=True)).to_be_visible(timeout=LONG)


# Installed in every page of a context (see `watch`): notes when the page last asked the server to run the script
# (a BackMsg whose first field is rerun_script, field 11 length-delimited: byte 0x5A) and when the app last came to
# rest (Streamlit 1.67 sets data-test-script-state="notRunning" on stApp when the server says the script stopped),
# and how many times it has come to rest (a fragment's timed run counts too).
WATCH = """(() => {
  const runs = (window.__runs = {asked: 0, rested: 0, rests: 0});
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const first = data instanceof ArrayBuffer ? new Uint8Array(data, 0, 1)[0]
      : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, 1)[0] : undefined;
    if (first === 0x5a) runs.asked = performance.now();
    return send.call(this, data);
  };
  new MutationObserver(() => {
    const app = document.querySelector("[data-testid=stApp]");
    if (app && app.getAttribute("data-test-script-state") === "notRunning") {
      runs.rested = performance.now();
      runs.rests += 1;
    }
  }).observe(document, {subtree: true, attributes: true, attributeFilter: ["data-test-script-state"]});
})();"""

# True once the page is at rest after the last run it asked for: the script stopped after that ask, no element is
# stale, and that has held for 100 ms (a rerun asked for during a run shows a moment of rest between the two runs).
# A page without WATCH (or a run whose start and stop were drawn in one frame) counts as at rest 3 s after its ask.
_SETTLED = """(call) => {
  const now = performance.now(), runs = window.__runs, app = document.querySelector("[data-testid=stApp]");
  const rest = app?.getAttribute("data-test-script-state") === "notRunning"
    && !document.querySelector("[data-stale='true']")
    && (!runs || runs.rested > runs.asked || now - runs.asked > 3000);
  if (window.__settle?.call !== call || !rest || window.__settle.since === undefined)
    window.__settle = {call, since: rest ? now : undefined};
  return rest && now - window.__settle.since >= 100;
}"""
_calls = iter(range(1, 1 << 62))


def watch(context: BrowserContext) -> None:
    """Let `settle` see, in every page of `context`, when a change asked for a run and when it ended."""
    context.add_init_script(WATCH)


def settle(page: Page, timeout: float = LONG) -> None:
    """Wait, as a person does, until the page has finished the run the last change started (so it is saved): a step
    costs what the page takes, not a fixed pause."""
    page.wait_for_function(_SETTLED, arg=next(_calls), timeout=timeout, polling=50)


def runs_ended(page: Page) -> int:
    """How many runs (the script's or a fragment's) the page has seen end so far."""
    return int(page.evaluate("window.__runs.rests"))


def wait_runs(page: Page, after: int, more: int) -> None:
    """Wait until `more` runs have ended since `runs_ended` said `after` (e.g. rounds of a `run_every` fragment)."""
    page.wait_for_function("([after, more]) => window.__runs.rests >= after + more", arg=[after, more], timeout=LONG)


def import_file(page: Page, path: Path) -> None:
    """Import a file on the Notebooks page once it is drawn (an upload into an uploader the page is still
    drawing is dropped with it)."""
    expect(page.get_by_role("heading", name="Notebooks")).to_be_visible(timeout=LONG)
    settle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))


def go(page: Page, link: str, heading: str) -> None:
    """Follow a link to another page as a person does, again if the click landed while the page redrew (seen once
    in a few runs right after a sidebar change: the link took the click and the page stayed)."""
    for _ in range(3):
        settle(page)
        page.get_by_role("link", name=link).click()
        try:
            expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=15_000)
            return
        except AssertionError:
            continue
    expect(page.get_by_role("heading", name=heading)).to_be_visible()


def choose(page: Page, box: Locator, option: str | re.Pattern[str]) -> None:
    """Pick `option` in the select box `box` as a person does: open it, again if the click only focused it (Base Web,
    right after a run) or if a rerun redrew the box and closed its list before the option was clicked."""
    name = {"name": option, "exact": True} if isinstance(option, str) else {"name": option}
    for _ in range(5):
        settle(page)
        box.click()
        if box.get_attribute("aria-expanded") != "true":
            box.click()
        try:
            page.get_by_role("option", **name).click(timeout=10_000)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    page.get_by_role("option", **name).click()


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
    settle(page)  # the script finished: saved
    return newest


def bubbles(page: Page, role: str) -> Locator:
    """The conversation's chat bubbles of one role, in order."""
    return page.locator(f"[class*='st-key-playground-bubble-'][class*='-{role}']")
