"""A person demoing tool calling in the browser, typing no JSON: defines get_weather in the tool's form (a dialog
as wide as the page, opened from the sidebar), runs it with tool choice "required" on the embedded model and reads
the call marked valid. A developer pastes two tools as JSON and finds both in the form, and adds a parameter typing
as fast as a person does. At 800 px nothing in the editors is cut. (The response schema is built in the same form:
tests/app/test_tool_builder.py builds one, reads its example and has a real answer checked against it.)"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, WebSocketRoute, expect

from components import state as keys
from playground import examples
from tests.browser.pagekit import LONG, css, number, open_section, ready, say, settle, wait_done

pytestmark = pytest.mark.browser

TOOL = keys.sidebar_tool(0)


def k(scope: str, setting: str, *path: int | str) -> str:
    return keys.builder_key(scope, path, setting)


def sidebar(page: Page) -> Locator:
    return page.locator("section[data-testid='stSidebar']")


def type_in(page: Page, key: str, text: str) -> None:
    """Type into a text box and press Enter (Streamlit sends it then)."""
    box = page.locator(f"{css(key)} input")
    expect(box).to_be_visible(timeout=LONG)
    box.fill(text)
    box.press("Enter")
    settle(page)
    expect(box).to_have_value(text)


class Replies:
    """The page's connection to its server, with the server's replies held back on demand (fault injection): a run
    that lands while a person is still typing, as on a loaded machine, made to land at the same moment every time.
    Routes the connection of a tab that has not opened the page yet, then opens `url` in it."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.holding = False
        self.held: list[tuple[WebSocketRoute, str | bytes]] = []
        page.route_web_socket(re.compile(r"/_stcore/stream"), self._route)
        page.goto(url)

    def _route(self, ws: WebSocketRoute) -> None:
        def relay(message: str | bytes) -> None:
            if self.holding or self.held:
                self.held.append((ws, message))
            else:
                ws.send(message)

        ws.connect_to_server().on_message(relay)

    def hold(self) -> None:
        self.holding = True

    def release(self) -> None:
        """Once the server has finished its run (nothing more for 300 ms), hand the page all it said at once."""
        seen = -1
        for _ in range(LONG // 300):
            if self.held and len(self.held) == seen:
                break
            seen = len(self.held)
            self.page.wait_for_timeout(300)
        self.holding = False
        held, self.held = self.held, []
        for ws, message in held:
            ws.send(message)


def click(page: Page, key: str) -> None:
    settle(page)
    page.locator(css(key)).get_by_role("button").first.click()
    settle(page)


def check(page: Page, key: str, label: str) -> None:
    settle(page)
    page.locator(css(key)).get_by_text(label, exact=True).click()
    expect(page.locator(css(key)).get_by_role("checkbox")).to_be_checked()
    settle(page)


def choose(page: Page, key: str, option: str) -> None:
    """Pick an option of a select box: click it, type the option's first letters, pick it."""
    box = page.locator(css(key)).get_by_role("combobox")
    expect(box).to_be_enabled(timeout=LONG)
    box.click()
    box.press_sequentially(option[:4], delay=40)
    page.get_by_role("option", name=option, exact=True).click()
    expect(box).to_have_value(option)
    settle(page)


FAST_EMPTY_TOOL = """async () => {
  const inside = (where, text) => [...document.querySelectorAll(`${where} button`)].find(b => b.innerText.includes(text));
  inside('[data-testid=stSidebar]', 'Add a tool').click();
  for (let frame = 0; frame < 100; frame++) {
    await new Promise(done => requestAnimationFrame(done));
    const empty = inside('[data-testid=stPopoverBody]', 'Empty tool');
    if (empty) { empty.click(); return true; }
  }
  return false;
}"""


def add_row(page: Page, scope: str, index: int) -> None:
    click(page, k(scope, "add"))
    expect(page.locator(f"{css(k(scope, 'name', index))} input")).to_be_visible(timeout=LONG)


def test_define_a_tool_in_the_form_run_it_and_read_the_check(page: Page) -> None:
    ready(page)
    number(page, "max_completion_tokens", 60)

    # A tool, from the form.
    open_section(page, "tools")
    settle(page)
    # "Empty tool" clicked the moment the menu shows, before the page has heard back that it opened (as a person
    # does on a loaded machine): the menu closes and the tool's form opens.
    clicked = page.evaluate(FAST_EMPTY_TOOL)
    assert clicked, "the Add a tool menu did not show Empty tool"
    expect(page.locator(f"{css(k(TOOL, 'name'))} input")).to_have_value("new_tool", timeout=LONG)
    settle(page)
    expect(page.get_by_test_id("stPopoverBody")).to_have_count(0)
    type_in(page, k(TOOL, "name"), "get_weather")
    add_row(page, TOOL, 0)
    type_in(page, k(TOOL, "name", 0), "city")
    check(page, k(TOOL, "required", 0), "Required")
    add_row(page, TOOL, 1)
    type_in(page, k(TOOL, "name", 1), "unit")
    type_in(page, k(TOOL, "enum", 1), "celsius, fahrenheit")
    click(page, keys.BUILDER_DONE)
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(sidebar(page).get_by_text("get_weather", exact=True)).to_be_visible()  # the tool's switch says its name
    sidebar(page).get_by_role("tab", name="JSON").first.click()  # the JSON it made
    area = page.locator(f"{css(keys.field('tools'))} textarea")
    expect(area).to_have_value(re.compile(r'"enum": \[\s*"celsius",\s*"fahrenheit"'), timeout=LONG)
    tools = json.loads(area.input_value())
    assert tools[0]["function"]["parameters"] == {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["city"],
    }
    form = sidebar(page).get_by_role("tab", name="Form").first
    form.click()
    expect(form).to_have_attribute("aria-selected", "true")
    choose(page, keys.field("tool_choice"), "required")

    say(page, "What is the weather in Paris?")
    first = wait_done(page, 1)
    expect(first.get_by_text("✅ Valid")).to_be_visible()
    expect(first.get_by_text("get_weather").first).to_be_visible()
    expect(first.get_by_text("❌")).to_have_count(0)
    page.screenshot(path=str(_shots() / "tools-call-valid.png"), full_page=True)


def test_paste_two_tools_as_json_and_find_both_in_the_form(blank_page: Page, app_url: str) -> None:
    page = blank_page
    replies = Replies(page, app_url)
    ready(page)
    open_section(page, "tools")
    sidebar(page).get_by_role("tab", name="JSON").first.click()
    convert = {
        "type": "function",
        "function": {
            "name": "convert_units",
            "parameters": {
                "type": "object",
                "properties": {"value": {"type": "number"}, "from_unit": {"type": "string", "enum": ["meter", "foot"]}},
                "required": ["value", "from_unit"],
            },
        },
    }
    area = page.locator(f"{css(keys.field('tools'))} textarea")
    area.fill(json.dumps([examples.GET_WEATHER, convert], indent=2))
    area.press("Control+Enter")
    settle(page)
    form = sidebar(page).get_by_role("tab", name="Form").first
    form.click()
    expect(form).to_have_attribute("aria-selected", "true")
    expect(page.locator(css(k(keys.sidebar_tool(0), "on"))).get_by_text("get_weather", exact=True)).to_be_visible(timeout=LONG)
    expect(page.locator(css(k(keys.sidebar_tool(1), "on"))).get_by_text("convert_units", exact=True)).to_be_visible()
    second = keys.sidebar_tool(1)
    click(page, k(second, "edit"))
    expect(page.locator(f"{css(k(second, 'name'))} input")).to_have_value("convert_units")
    expect(page.locator(f"{css(k(second, 'name', 1))} input")).to_have_value("from_unit")
    expect(page.locator(f"{css(k(second, 'enum', 1))} input")).to_have_value("meter, foot")

    # A new row's name and Enter, then straight on to its allowed values: the run the Enter started (which takes the
    # row's "name is empty" away) lands halfway through the typing, and what was typed stays.
    add_row(page, second, 2)
    name, values = (page.locator(f"{css(k(second, setting, 2))} input") for setting in ("name", "enum"))
    replies.hold()
    name.fill("to_unit")
    name.press("Enter")
    values.click()
    page.keyboard.type("meter, ", delay=40)
    replies.release()
    page.keyboard.type("foot", delay=40)
    settle(page)
    expect(values).to_have_value("meter, foot")
    expect(name).to_have_value("to_unit")
    page.screenshot(path=str(_shots() / "tools-pasted.png"), full_page=True)

    # On a narrow screen the editor is as wide as the page, and nothing in it is cut.
    page.set_viewport_size({"width": 800, "height": 900})
    settle(page)
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    assert dialog.bounding_box()["width"] > 700  # type: ignore[index]
    assert _cut_text(page) == []
    page.screenshot(path=str(_shots() / "tools-editor-800.png"))
    click(page, keys.BUILDER_DONE)
    assert _cut_text(page) == []
    names = page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=stSidebar] button, [role=dialog] button')]"
        ".map(b => b.getAttribute('aria-label') || b.innerText)"
    )
    assert not [n for n in names if re.search(r"\b(delete|tune|edit|add|refresh|restart_alt) icon\b", n or "")], names


def _cut_text(page: Page) -> list[Any]:
    """In the sidebar and the dialog: placeholders wider than their box, and labels cut short with an ellipsis."""
    return page.evaluate(
        """() => { const c = document.createElement('canvas').getContext('2d'); const out = [];
        const where = '[role=dialog], [data-testid=stSidebar]';
        for (const i of document.querySelectorAll(`:is(${where}) input`)) {
          if (!i.placeholder || !i.offsetParent || i.getAttribute('role') === 'combobox') continue;
          const st = getComputedStyle(i); c.font = st.font;
          const room = i.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight);
          if (c.measureText(i.placeholder).width > room) out.push(i.placeholder); }
        for (const e of document.querySelectorAll(`:is(${where}) :is(button, label, div, p, span)`)) {
          if (e.offsetParent && getComputedStyle(e).textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1)
            out.push(e.innerText); }
        return out; }"""
    )


def _shots():  # type: ignore[no-untyped-def]
    """Screenshots of the journeys, for a person to look at (test-artifacts/ is printed by CI)."""
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
