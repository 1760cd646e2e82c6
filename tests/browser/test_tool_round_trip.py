"""A person demos tool calling without typing JSON: adds the seed's get_weather preset, asks about the weather,
and lets the demo tool answer the call with "Run tools and continue". Then presents such a round trip (imported
from a file, so the journey needs no further runs of the model) on a 1280×720 screen."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from components import state as keys
from playground.notebook import NotebookFile
from tests.app.test_present import round_trip
from tests.browser.conftest import ARTIFACTS
from tests.browser.pagekit import (
    DONE,
    LONG,
    bubbles,
    cells,
    css,
    import_file,
    number,
    open_section,
    ready,
    say,
    settle,
    wait_done,
)

pytestmark = pytest.mark.browser
SHOTS = ARTIFACTS / "mcp"


def test_run_tools_and_continue_ends_in_words_that_use_the_tools_result(page: Page) -> None:
    ready(page)
    number(page, "max_completion_tokens", 60)
    page.locator(css(keys.field("temperature"))).get_by_role("slider").focus()
    page.keyboard.press("Home")  # temperature 0: the same demo every time
    sidebar = page.get_by_test_id("stSidebar")
    open_section(page, "tools")
    sidebar.get_by_role("button", name="Add a tool").click()
    page.locator(css(keys.TOOLS_EXAMPLE)).get_by_role("button").click()
    expect(sidebar.get_by_text("get_weather").first).to_be_visible(timeout=LONG)

    say(page, "What is the weather in Paris?")
    first = wait_done(page, 1)
    expect(first.get_by_text("get_weather").first).to_be_visible()
    first.get_by_role("button", name="Run tools and continue").click()
    review = page.locator(css(keys.REVIEW_BOX))
    expect(review.get_by_text("get_weather · the built-in demo tool")).to_be_visible(timeout=LONG)
    review.get_by_role("button", name="Continue").click()  # run it, with the arguments the model wrote

    tool, stop = bubbles(page, "tool").first, page.locator(css(keys.STOP))
    deadline = time.monotonic() + LONG / 1000
    while cells(page).filter(has_text=DONE).count() < 2 and time.monotonic() < deadline:  # the step streams
        if stop.count() and stop.is_visible():  # while the answer to the result streams, the result shows
            assert "(empty" not in (shown := tool.inner_text()), shown
        page.wait_for_timeout(100)
    wait_done(page, 2)
    expect(tool).to_contain_text("demo data")
    result = json.loads(tool.locator("[data-testid='stCode']").first.inner_text())
    answer = bubbles(page, "assistant").last.locator("[data-testid='stMarkdownContainer']").first.inner_text()
    print("tool result:", result, "\nanswer:", answer)
    assert answer.strip() and "{" not in answer  # words, not another call
    assert str(result["temperature"]) in answer or result["condition"] in answer.lower()
    expect(cells(page)).to_have_count(2)
    # words are what answers a tool's result: no advice to force a tool call under that answer
    expect(page.get_by_text("The model answered in words")).to_have_count(0)
    expect(page.locator(css(keys.TOOLS_DEPENDABLE_AFTER))).to_have_count(0)


def test_a_tool_of_the_operators_mcp_server_answers_after_the_person_approves_the_call(page: Page) -> None:
    """mcp-server-time (PLAYGROUND_MCP_SERVERS, over stdio): connect it from "Add a tool", ask the time in Tokyo,
    see the call and its arguments, correct them (the 135M model asks for UTC), approve it, and read the model's
    final answer after the tool's result."""
    ready(page)
    number(page, "max_completion_tokens", 60)
    page.locator(css(keys.field("temperature"))).get_by_role("slider").focus()
    page.keyboard.press("Home")
    sidebar = page.get_by_test_id("stSidebar")
    open_section(page, "tools")
    sidebar.get_by_role("button", name="Add a tool").click()
    page.locator(css(keys.mcp_connect("time"))).get_by_role("button").click()
    add = page.locator(css(keys.mcp_tool("time", "get_current_time"))).get_by_role("button")
    expect(add).to_be_visible(timeout=LONG)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "mcp-add-a-tool.png"))
    add.click()
    expect(sidebar.get_by_text("get_current_time").first).to_be_visible(timeout=LONG)

    say(page, "What time is it in Tokyo?")
    first = wait_done(page, 1)
    expect(first.get_by_text("get_current_time").first).to_be_visible()
    first.get_by_role("button", name="Run tools and continue").click()
    review = page.locator(css(keys.REVIEW_BOX))
    expect(review.get_by_text("get_current_time · the MCP server “time”")).to_be_visible(timeout=LONG)
    arguments = review.get_by_role("textbox", name="Arguments (JSON)")
    print("arguments the model wrote:", arguments.input_value())  # {"timezone": "UTC"} at temperature 0
    arguments.fill('{"timezone": "Asia/Tokyo"}')  # the person corrects the small model before approving
    arguments.press("Control+Enter")
    page.screenshot(path=str(SHOTS / "mcp-review.png"))
    expect(review.get_by_role("button", name="Continue")).to_be_enabled()
    review.get_by_role("button", name="Continue").click()

    wait_done(page, 2)
    tool = bubbles(page, "tool").first
    expect(tool).to_contain_text("Asia/Tokyo")
    result = json.loads(tool.locator("[data-testid='stCode']").first.inner_text())
    answer = bubbles(page, "assistant").last.locator("[data-testid='stMarkdownContainer']").first.inner_text()
    page.screenshot(path=str(SHOTS / "mcp-answer.png"), full_page=True)
    print("tool result:", result, "\nanswer:", answer)
    assert result["timezone"] == "Asia/Tokyo" and result["datetime"].endswith("+09:00")  # the real server's answer
    assert answer.strip() and "{" not in answer  # a final answer in words after it
    expect(cells(page)).to_have_count(2)


def test_present_a_tool_round_trip_at_1280x720(page: Page, tmp_path: Path) -> None:
    """One run per slide in large type, no sidebar, the call and its result beside the answer, Previous and Next."""
    ready(page)
    file = tmp_path / "weather.notebook.json"
    file.write_text(NotebookFile.dump(round_trip()))
    page.get_by_role("link", name="All notebooks").click()
    import_file(page, file)
    expect(page.get_by_text("Imported “Weather demo”")).to_be_visible(timeout=LONG)
    page.locator(f"[class*='{css(keys.NB_PAGE)[1:]}-row-']").filter(has_text="Weather demo").get_by_role("link").first.click()
    ready(page)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.get_by_test_id("stMainBlockContainer").get_by_role(
        "link", name="Present"
    ).first.click()  # the header's link (the menu has one too)
    slide = page.locator(css(keys.PRESENT_SLIDE))
    expect(slide.get_by_text("Run 1 of 2")).to_be_visible(timeout=LONG)
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    expect(slide.get_by_text("What is the weather in Paris?")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(slide.get_by_text("Run 2 of 2")).to_be_visible(timeout=LONG)
    settle(page)
    expect(slide.get_by_text("It is sunny and 18 degrees in Paris.")).to_be_visible()
    expect(slide.locator("[data-testid='stCode']").filter(has_text="temperature").first).to_be_visible()  # the result
    left = slide.get_by_role("heading", name="Tool calls").bounding_box()
    right = slide.get_by_role("heading", name="Answer").bounding_box()
    assert left and right and left["x"] + left["width"] <= right["x"] and abs(left["y"] - right["y"]) < 5, (left, right)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # nothing runs off the side
    size = slide.get_by_text("It is sunny and 18 degrees in Paris.").evaluate("p => getComputedStyle(p).fontSize")
    assert float(size.removesuffix("px")) >= 24, size  # large type
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "present-1280x720.png"))
    page.get_by_role("button", name="Previous").click()
    expect(slide.get_by_text("Run 1 of 2")).to_be_visible(timeout=LONG)
