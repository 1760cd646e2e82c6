"""A person asks for logprobs, opens a run's probabilities, picks a token and reads what else the model
considered; then finds the usage chart across two runs, and downloads the report, which opens offline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from components import state as keys
from tests.browser.pagekit import LONG, cells, css, number, open_section, ready, say, wait_done
from tests.browser.test_report_offline import open_offline

pytestmark = pytest.mark.browser


def test_token_probabilities_alternatives_and_usage_across_runs(page: Page, browser: Browser, tmp_path: Path) -> None:
    ready(page)
    number(page, "max_completion_tokens", 8)
    open_section(page, "logprobs")
    page.locator(css(keys.field("logprobs"))).get_by_text("Logprobs", exact=True).click()
    number(page, "top_logprobs", 5)
    say(page, "Name a colour.")
    wait_done(page, 1)
    page.locator(css(keys.RUN)).get_by_role("button").click()  # the model continues its answer
    newest = wait_done(page, 2)
    newest.get_by_text("Details", exact=True).click()
    newest.get_by_role("tab", name="Probabilities").click()
    expect(newest.get_by_text("Perplexity")).to_be_visible(timeout=LONG)
    expect(newest.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()  # the coloured strip
    expect(newest.get_by_text(re.compile(r"Alternatives at position \d+ \(chosen"))).to_be_visible(timeout=LONG)
    # the view starts on the least likely token: its alternatives are listed with their probabilities
    expect(newest.get_by_text(re.compile(r"\d[\d.]*%\s+← chosen")).first).to_be_visible()
    page.get_by_text("Usage and speed across runs", exact=True).click()
    expect(page.locator("[data-testid='stVegaLiteChart']")).not_to_have_count(0)
    expect(cells(page)).to_have_count(2)
    # a setting changes (the run is marked as answering an earlier version): the Details tab chosen stays chosen
    number(page, "max_completion_tokens", 9)
    expect(newest.get_by_text("earlier version")).to_be_visible(timeout=LONG)
    expect(newest.get_by_role("tab", name="Probabilities")).to_have_attribute("aria-selected", "true")

    # the report: one HTML file with both answers and their charts, opened with the network blocked
    bubbles = page.locator("[class*='st-key-playground-bubble-'][class*='-assistant'] [data-testid='stMarkdownContainer']")
    answers = [" ".join(a.inner_text().split()) for a in bubbles.all()]
    with page.expect_download() as download:
        page.get_by_role("button", name="Download report").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    shown, requested, refused = open_offline(browser, path, shot="report-notebook.png")
    assert requested == [] and refused == [], (requested, refused)
    assert shown.evaluate("document.querySelectorAll('svg').length") >= 7  # 2 × (strip, alternatives, along) + usage
    text = " ".join(shown.locator("body").inner_text().split())
    assert "Name a colour." in text and "Run 1" in text and "Run 2" in text and "Stop reason: length" in text
    assert answers and all(a in text for a in answers), answers
    shown.context.close()
