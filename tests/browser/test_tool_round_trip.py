"""A person demos tool calling without typing JSON: adds the seed's get_weather preset, asks about the weather,
and lets the demo tool answer the call with "Run tools and continue"; then presents it on a 1280×720 screen."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from components import state as keys
from tests.browser.conftest import ARTIFACTS
from tests.browser.pagekit import LONG, bubbles, cells, css, number, open_section, ready, say, settle, wait_done

pytestmark = pytest.mark.browser


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

    wait_done(page, 2)
    tool = bubbles(page, "tool").first
    expect(tool).to_contain_text("demo data")
    result = json.loads(tool.locator("[data-testid='stCode']").first.inner_text())
    answer = bubbles(page, "assistant").last.locator("[data-testid='stMarkdownContainer']").first.inner_text()
    print("tool result:", result, "\nanswer:", answer)
    assert answer.strip() and "{" not in answer  # words, not another call
    assert str(result["temperature"]) in answer or result["condition"] in answer.lower()
    expect(cells(page)).to_have_count(2)

    # presenting: one run per slide in large type, no sidebar, the call and its result beside the answer
    page.set_viewport_size({"width": 1280, "height": 720})
    page.get_by_test_id("stMain").get_by_role("link", name="Present").click()  # the header's link (the menu has one too)
    slide = page.locator(css(keys.PRESENT_SLIDE))
    expect(slide.get_by_text("Run 1 of 2")).to_be_visible(timeout=LONG)
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    expect(slide.get_by_text("What is the weather in Paris?")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(slide.get_by_text("Run 2 of 2")).to_be_visible(timeout=LONG)
    settle(page)
    calls, answered = slide.get_by_role("heading", name="Tool calls"), slide.get_by_role("heading", name="Answer")
    expect(slide.locator("[data-testid='stCode']").filter(has_text="temperature").first).to_be_visible()  # the result
    left, right = calls.bounding_box(), answered.bounding_box()
    assert left and right and left["x"] + left["width"] <= right["x"] and abs(left["y"] - right["y"]) < 5, (left, right)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # nothing runs off the side
    size = slide.locator("[data-testid='stMarkdownContainer'] p").first.evaluate("p => getComputedStyle(p).fontSize")
    assert float(size.removesuffix("px")) >= 24, size  # large type
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "present-1280x720.png"))
    page.get_by_role("button", name="Previous").click()
    expect(slide.get_by_text("Run 1 of 2")).to_be_visible(timeout=LONG)
