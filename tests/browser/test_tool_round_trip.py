"""A person demos tool calling without typing JSON: adds the seed's get_weather preset, asks about the weather,
and lets the demo tool answer the call with "Run tools and continue"."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from components import state as keys
from tests.browser.pagekit import LONG, bubbles, cells, css, number, open_section, ready, say, wait_done

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
