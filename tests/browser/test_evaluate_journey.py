"""A person evaluates a prompt: a message with {{city}}, two cities pasted as test cases, a "contains" check on the
city and a "calls get_weather" check with the weather preset, seeds 1 and 2; the grid fills with four graded
results (one round of the page's four at a time), one opens as a cell, and every result downloads as CSV. More rows
than one round (and their order) are tests/app/test_evaluate_page.py's."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from components import state as keys
from tests.browser.conftest import ARTIFACTS
from tests.browser.pagekit import LONG, choose, css, go, number, open_section, ready, settle

pytestmark = pytest.mark.browser


def pick(page: Page, key: str, option: str) -> None:
    box = page.locator(css(key)).get_by_role("combobox")
    choose(page, box, option)
    expect(box).to_have_value(option)
    settle(page)


def add_check(page: Page, kind: str) -> None:
    pick(page, keys.EV_CHECK_KIND, kind)
    page.locator(css(keys.EV_CHECK_ADD)).get_by_role("button").click()
    settle(page)


def test_two_cities_times_two_seeds_graded_opened_and_downloaded(page: Page) -> None:
    ready(page)
    number(page, "max_completion_tokens", 4)  # graded either way: the grid, not the answers, is checked
    open_section(page, "tools")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("button", name="Add a tool").click()
    page.locator(css(keys.TOOLS_EXAMPLE)).get_by_role("button").click()  # the seed's get_weather
    expect(sidebar.get_by_text("get_weather").first).to_be_visible(timeout=LONG)
    page.locator(css(keys.VIEW)).get_by_text("Form").click()
    page.locator(css(keys.ADD_MESSAGE)).get_by_role("button").click()
    box = page.locator(f"{css(keys.message_content(0))} textarea")
    box.fill("What is the weather in {{city}}?")
    box.press("Tab")
    expect(page.locator(css(keys.variable("city")))).to_be_visible(timeout=LONG)  # the Playground asks for its value

    go(page, "Evaluate", "Evaluate")  # the sidebar's link, again if the page redrew as it was clicked
    page.locator(f"{css(keys.EV_PASTE)} textarea").fill("Paris\nLima")
    page.locator(css(keys.EV_PASTE_ADD)).get_by_role("button").click()
    expect(page.get_by_text("Added 2 rows")).to_be_visible(timeout=LONG)
    add_check(page, "Contains")
    column = page.locator("[class*='st-key-evaluate-checks-'][class*='-column']")
    column.get_by_role("combobox").click()
    page.get_by_role("option", name="city", exact=True).click()
    settle(page)
    add_check(page, "Calls a tool")
    expect(page.locator("[class*='st-key-evaluate-checks-'][class*='-tool']").get_by_role("combobox")).to_have_value(
        "get_weather"
    )
    expect(page.locator(f"{css(keys.EV_SEEDS)} input")).to_have_value("1, 2")

    run = page.locator(css(keys.EV_RUN)).get_by_role("button")
    expect(run).to_be_enabled(timeout=LONG)
    run.click()
    expect(page.get_by_text("results").first).to_be_visible(timeout=LONG)  # progress while it runs
    expect(page.get_by_role("heading", name="Results")).to_be_visible(timeout=LONG)  # four answers, four at a time
    settle(page)
    expect(page.get_by_text("4 results")).to_be_visible()
    expect(page.get_by_text("the checks in order: 1. contains city · 2. calls get_weather")).to_be_visible()
    expect(page.get_by_text("Per check")).to_be_visible()

    # identical answers grouped within each row: the grid gives way to one line per distinct answer
    page.locator(css(keys.EV_GROUP)).get_by_text("Group identical answers").click()
    expect(page.get_by_text(re.compile(r"^Per row: 1: .+ · 2: .+\.$"))).to_be_visible(timeout=LONG)
    expect(page.get_by_text("the checks in order")).to_have_count(0)
    expect(page.get_by_text("Per check")).to_be_visible()  # the pass rates stay
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "evaluate-grouped.png"), full_page=True)
    page.locator(css(keys.EV_GROUP)).get_by_text("Group identical answers").click()
    expect(page.get_by_text("the checks in order: 1. contains city · 2. calls get_weather")).to_be_visible(timeout=LONG)

    opened = page.locator(css(keys.EV_OPEN))
    expect(opened).to_be_visible()
    result = page.locator("[class*='st-key-playground-cell-ev']")
    expect(result).to_be_visible()
    expect(result.get_by_text("{{city}} = Paris", exact=False)).to_be_visible()  # the row it answered
    result.get_by_text("Details").click()
    expect(result.get_by_role("tab", name="Code")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "evaluate-results.png"), full_page=True)

    with page.expect_download() as download:
        page.locator(css(keys.EV_CSV)).get_by_role("button").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert [r["city"] for r in rows] == ["Paris", "Paris", "Lima", "Lima"]
    assert [r["run"] for r in rows] == ["seed 1", "seed 2"] * 2
    assert all(r["contains city"][:1] in "✓✗" and r["calls get_weather"][:1] in "✓✗" for r in rows), rows
