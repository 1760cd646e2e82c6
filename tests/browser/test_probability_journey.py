"""A person asks for logprobs, opens a run's probabilities, picks a token and reads what else the model
considered; then finds the usage chart across two runs, and downloads the report, which opens offline. A long
answer's strip is paged: the person moves to a later window and picks a token there."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from components import chart_views
from components import state as keys
from playground.notebook import Cell, ChatMessage, Notebook, NotebookFile
from playground.response import from_chat_completion
from tests.browser.pagekit import (
    LONG,
    cells,
    choose,
    css,
    greedy,
    import_file,
    number,
    open_section,
    ready,
    say,
    settle,
    tick,
    wait_done,
)
from tests.browser.test_report_offline import open_offline

DATA = Path(__file__).resolve().parents[1] / "data"

pytestmark = pytest.mark.browser


def test_token_probabilities_alternatives_and_usage_across_runs(page: Page, browser: Browser, tmp_path: Path) -> None:
    ready(page)
    number(page, "max_completion_tokens", 8)
    open_section(page, "logprobs")
    tick(page, "logprobs")
    number(page, "top_logprobs", 5)
    say(page, "Name a colour.")
    wait_done(page, 1)
    page.locator(css(keys.RUN)).get_by_role("button").click()  # the model continues its answer
    newest = wait_done(page, 2)
    newest.get_by_text("Details", exact=True).click()
    newest.get_by_role("tab", name="Probabilities").click()
    expect(newest.get_by_text("Perplexity")).to_be_visible(timeout=LONG)
    expect(newest.locator("[data-testid='stVegaLiteChart']").first).to_be_visible(timeout=LONG)  # the coloured strip
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
    assert "Name a colour." in text and "Run 1" in text and "Run 2" in text and re.search(r"Stop reason: (length|stop)", text)
    assert answers and all(a in text for a in answers), answers
    shown.context.close()


def _any_view(key: str) -> str:
    """A CSS selector for the widget `key` (a probability view's key with an empty prefix) in any probability view."""
    return f"[class*='{css(key).removeprefix('.st-key-')}']"


def _long_answer_notebook(tokens: int) -> Notebook:
    """A notebook whose one run answered with `tokens` tokens: a recorded answer of the embedded model (top-8
    alternatives at every token) repeated (the model writes a few tokens a second on a busy machine)."""
    payload = json.loads((DATA / "logprobs_top8_cafe.json").read_text(encoding="utf-8"))
    entries = payload["choices"][0]["logprobs"]["content"]
    payload["choices"][0]["logprobs"]["content"] = [entries[i % len(entries)] for i in range(tokens)]
    payload["choices"][0]["message"]["content"] = "".join(e["token"] for e in payload["choices"][0]["logprobs"]["content"])
    question = [ChatMessage(role="user", content="Write a long story about a café.")]
    cell = Cell(backend="embedded", model=payload["model"], body={}, conversation=question, status="done")
    cell.completion = from_chat_completion(payload)
    return Notebook(title="A long answer", conversation=question, cells=[cell])


def test_a_long_answer_is_paged_and_a_token_of_a_later_window_is_picked(page: Page, tmp_path: Path) -> None:
    """An answer longer than one window: the strip shows 250 tokens at a time; the person moves to the next window,
    picks a token there and reads its alternatives; the CSV still holds every token; one of the least likely tokens,
    picked from their list, brings its own window back."""
    ready(page)
    file = tmp_path / "long.notebook.json"
    file.write_text(NotebookFile.dump(_long_answer_notebook(270)), encoding="utf-8")
    page.get_by_role("link", name="All notebooks").click()
    import_file(page, file)
    expect(page.get_by_text("Imported “A long answer")).to_be_visible(timeout=LONG)
    page.locator(f"[class*='{css(keys.NB_PAGE)[1:]}-row-']").filter(has_text="A long answer").get_by_role("link").first.click()
    ready(page)
    cell = cells(page).first
    cell.get_by_text("Details", exact=True).click()
    cell.get_by_role("tab", name="Probabilities").click()
    window = cell.get_by_role("slider", name=re.compile(r"Tokens shown \(of 270\)"))
    expect(window).to_be_visible(timeout=LONG)
    window.focus()
    window.press("Home")  # the first window, as a person drags the slider to its start
    expect(window).to_have_attribute("aria-valuetext", "1–250", timeout=LONG)
    expect(cell.get_by_role("button", name="Previous")).to_be_disabled()
    cell.get_by_role("button", name="Next").click()
    expect(window).to_have_attribute("aria-valuetext", "251–270", timeout=LONG)
    expect(cell.get_by_role("button", name="Next")).to_be_disabled()
    # the token box offers only the window's tokens; the person picks token 260 in it
    box = cell.locator(_any_view(chart_views.keys_for("").token(0))).get_by_role("combobox")
    expect(box).to_have_value(re.compile(r"^2[5-6]\d · "), timeout=LONG)
    box.click()
    page.keyboard.type("260 · ")
    page.keyboard.press("Enter")
    expect(cell.get_by_text(re.compile(r"^Alternatives at position 260 \(chosen"))).to_be_visible(timeout=LONG)
    expect(cell.get_by_text(re.compile(r"\d[\d.]*%\s+← chosen")).first).to_be_visible()
    # the strip's CSV holds the whole answer, not only the window shown
    with page.expect_download() as download:
        cell.locator(_any_view(chart_views.keys_for("").download("strip", "csv"))).get_by_role("button").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert [int(r["position"]) for r in rows] == list(range(270))
    # a pick in the list of the whole answer's least likely tokens goes back to that token's window
    cell.locator(_any_view(chart_views.keys_for("").lowest(0))).get_by_text(re.compile(r"^position 20 · ")).click()
    expect(window).to_have_attribute("aria-valuetext", "1–250", timeout=LONG)
    expect(cell.get_by_text(re.compile(r"^Alternatives at position 20 \(chosen"))).to_be_visible(timeout=LONG)


def test_continue_from_the_second_alternative_at_a_token(page: Page) -> None:
    """Continue from here: the person picks a token, then the second alternative the model considered there, and
    continues from it; a new run (a branch beside the first) answers with the first answer up to that token, then the
    chosen alternative, then what the model wrote on; the two open side by side in Compare."""
    ready(page)
    number(page, "max_completion_tokens", 16)
    greedy(page)
    open_section(page, "logprobs")
    tick(page, "logprobs")
    number(page, "top_logprobs", 5)
    say(page, "Tell me a short story about a cat.")
    cell = wait_done(page, 1)
    cell.get_by_text("Details", exact=True).click()
    box = cell.locator(_any_view(chart_views.keys_for("").token(0))).get_by_role("combobox")
    for _ in range(60):  # a tab clicked while the page still redraws the cell is lost with it: click again
        cell.get_by_role("tab", name="Probabilities").click()
        try:
            expect(box).to_be_visible(timeout=3_000)
            break
        except AssertionError:
            pass
    expect(box).to_be_visible(timeout=LONG)
    for _ in range(60):  # a click while the tab's own rerun redraws the box is lost with the old box: click again
        settle(page)
        box.click()
        try:
            expect(page.get_by_role("option").first).to_be_visible(timeout=3_000)
            break
        except AssertionError:
            page.keyboard.press("Escape")
    shown = [o.inner_text() for o in page.get_by_role("option").all()]  # "3 · ␣a · 41.2 %": position, token, chance
    page.keyboard.press("Escape")
    choose(page, box, re.compile(r"^3 · "))
    expect(cell.get_by_text(re.compile(r"^Alternatives at position 3 \(chosen"))).to_be_visible(timeout=LONG)
    tokens = [o.split(" · ")[1].replace("␣", " ").replace("↵", "\n") for o in shown]
    instead = cell.get_by_role("combobox", name="Put in place of the token at position 3")
    expect(instead).to_have_value(re.compile(r" · "), timeout=LONG)  # the most likely token the model did not choose
    go = cell.get_by_role("button", name=re.compile(r"^Continue from here with "))
    chosen = go.inner_text().partition("Continue from here with ")[2].replace("␣", " ")
    go.click()
    branch = cells(page).first
    expect(branch.get_by_text(re.compile(r"^Branch 2 of 2 · done"))).to_be_visible(timeout=LONG)
    expect(branch.get_by_text(re.compile(r"Branched from Run 1 of 2 at position 3"))).to_be_visible()
    answer = branch.get_by_test_id("stChatMessage").get_by_test_id("stMarkdownContainer").filter(has_text=tokens[0].strip())
    text = " ".join(answer.first.inner_text().split())
    expected = " ".join(("".join(tokens[:3]) + chosen).split())
    assert text.startswith(expected), (text, expected)
    # the run and its branch, side by side in Compare
    branch.get_by_role("button", name="Compare branches").click()
    expect(page.get_by_role("heading", name="Compare")).to_be_visible(timeout=LONG)
    expect(page.get_by_text(re.compile(r"^Branch 2: .+ at position 3$")).first).to_be_visible(timeout=LONG)
