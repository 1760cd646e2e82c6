"""A person compares answers: three seeds side by side at temperature 1 with logprobs on, where and why they
diverge, and whether one seed gives the same answer twice. The page is reached through the sidebar link, as a
person would."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import FloatRect, Locator, Page, expect

from components import state as keys
from tests.browser.pagekit import LONG, css, number, open_section, ready, settle, tick

pytestmark = pytest.mark.browser
ARTIFACTS_DIR = Path(__file__).resolve().parents[2] / "test-artifacts"  # screenshots to look at (not in git)


def columns(page: Page) -> Locator:
    """The runs of the comparison shown, one bordered column each."""
    return page.locator("[class*='st-key-compare-runs-']")


def open_compare(page: Page) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Compare").click()
    expect(page.get_by_role("heading", name="Compare")).to_be_visible(timeout=LONG)


def press_compare(page: Page) -> None:
    button = page.locator(css(keys.CMP_RUN)).get_by_role("button")
    expect(button).to_be_enabled(timeout=LONG)
    button.click()


def wait_shown(page: Page, runs: int, *, saved: int) -> None:
    """Wait until the notebook holds `saved` comparisons and the reading of one with `runs` runs is on the page."""
    expect(page.get_by_text(f"Comparisons in this notebook ({saved})")).to_be_visible(timeout=LONG)
    expect(page.locator(css(keys.CMP_CANCEL))).to_have_count(0)
    expect(page.locator(css(keys.CMP_CSV))).to_be_visible(timeout=LONG)
    expect(columns(page)).to_have_count(runs)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=LONG)


def fits_a_narrow_window(page: Page) -> None:
    """What a person sees of a finished comparison in an 800-pixel window: each card wide enough for its words,
    each row of cards as wide as the page (no half-empty row), and the Runs table's columns without scrolling
    sideways."""
    runs = page.get_by_role("heading", name="Runs", exact=True)
    table = runs.locator("xpath=following::*[@data-testid='stDataFrame'][1]").locator(".dvn-scroller")
    for _ in range(20):  # the grid and the table follow the new width a frame or two after it
        width = (runs.bounding_box() or {"width": 0.0})["width"]
        cards = [box for column in columns(page).all() if (box := column.bounding_box()) is not None]
        rows: dict[int, list[FloatRect]] = {}
        for box in cards:
            rows.setdefault(round(box["y"]), []).append(box)
        spans = [max(b["x"] + b["width"] for b in row) - min(b["x"] for b in row) for row in rows.values()]
        scroll, shown = table.evaluate("e => [e.scrollWidth, e.clientWidth]")
        if min(b["width"] for b in cards) >= 200 and min(spans) >= width - 2 and scroll <= shown:
            return
        page.wait_for_timeout(100)
    assert min(b["width"] for b in cards) >= 200, f"cards {cards} at 800 px wide: their words would be squeezed"
    assert min(spans) >= width - 2, f"rows of cards span {spans} of the page's {width} px"
    assert scroll <= shown, f"the Runs table is {scroll} px wide in {shown}: it scrolls sideways"


def test_three_seeds_side_by_side_then_one_seed_twice(page: Page) -> None:
    ready(page)
    expect(page.locator(css(keys.field("temperature")))).to_contain_text("1.00")
    open_section(page, "logprobs")
    tick(page, "logprobs")
    number(page, "top_logprobs", 5)
    number(page, "max_completion_tokens", 12)
    settle(page)
    open_compare(page)

    page.locator(f"{css(keys.CMP_PROMPT)} textarea").fill("Name a colour and say why you like it.")
    seeds = page.locator(f"{css(keys.CMP_SEEDS)} input")
    seeds.fill("1, 2, 3")
    seeds.press("Enter")
    press_compare(page)
    expect(page.get_by_text(re.compile(r"\d of 3 runs finished"))).to_be_visible(timeout=LONG)  # progress while it runs
    wait_shown(page, 3, saved=1)

    for n, column in enumerate(columns(page).all(), start=1):
        expect(column).to_contain_text(f"seed {n}")
        expect(column).to_contain_text("first token")
        answer = column.get_by_test_id("stMarkdownContainer").last.inner_text().strip()
        assert answer, f"seed {n} shows no answer"
    markers = page.get_by_text(re.compile(r"Diverges at token \d+: '"))  # the model's own tokens, from logprobs
    expect(markers.first).to_be_visible()
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    why = page.get_by_role("heading", name="Why the answers diverged")
    expect(why).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Every run took the same token at \d+ of \d+ positions"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^First divergence per pair: seed 1 and seed 2 "))).to_be_visible()
    fork = page.get_by_text(re.compile(r"At token \d+, .*: seed \d took .+ \(\d+(\.\d+)?%\)")).first
    expect(fork).to_be_visible()
    expect(page.get_by_text(re.compile(r"(A|Not a) coin toss: the top two alternatives there were")).first).to_be_visible()
    why.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS_DIR / "compare-why.png"))
    marked = columns(page).first.get_by_test_id("stMarkdownContainer").last.locator("span")  # the highlighted token
    expect(marked.first).to_be_visible()
    with page.expect_download() as download:
        page.locator(css(keys.CMP_CSV)).get_by_role("button").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert [r["label"] for r in rows] == ["seed 1", "seed 2", "seed 3"]
    assert all(r["status"] == "done" and r["text"] for r in rows)
    page.set_viewport_size({"width": 800, "height": 900})
    fits_a_narrow_window(page)
    page.screenshot(path=str(ARTIFACTS_DIR / "compare-seeds-800.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1500})
    page.screenshot(path=str(ARTIFACTS_DIR / "compare-seeds.png"))

    seeds.fill("1")
    seeds.press("Enter")
    page.locator(css(keys.CMP_REPEAT)).get_by_text("Run each twice").click()
    expect(page.locator(f"{css(keys.CMP_REPEAT)} input")).to_be_checked()
    press_compare(page)
    wait_shown(page, 2, saved=2)
    expect(columns(page).nth(0)).to_contain_text("seed 1 · run 1")
    expect(columns(page).nth(1)).to_contain_text("seed 1 · run 2")
    verdict = page.get_by_test_id("stAlertContentSuccess")
    expect(verdict).to_contain_text("Reproducible: 1 of 1 repeat matched token for token")
    expect(page.get_by_text("seed 1 · run 2 matched seed 1 · run 1 token for token.")).to_be_visible()
    expect(page.get_by_text("xAI documents seeds as best effort")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Every run took the same token at (\d+) of \1 positions \(100\.0%\)"))).to_be_visible()
    page.screenshot(path=str(ARTIFACTS_DIR / "compare-reproducibility.png"))

    # both comparisons are kept in the notebook: the first one reopens from the list
    shown = page.locator(css(keys.CMP_SHOWN))
    shown.click()
    page.get_by_role("option", name=re.compile(r"seeds 1, 2, 3 · 3 runs")).click()
    wait_shown(page, 3, saved=2)
    expect(columns(page).nth(2)).to_contain_text("seed 3")
