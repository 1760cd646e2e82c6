"""A person chats: types into the chat input only, reads each answer in a bubble, stops a long answer,
reloads, makes a mistake and fixes it."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from components import state as keys
from tests.browser.pagekit import (
    LONG,
    LONG_ANSWER,
    bubbles,
    cells,
    css,
    greedy,
    number,
    open_section,
    ready,
    say,
    settle,
    wait_done,
)

pytestmark = pytest.mark.browser


def test_a_three_turn_chat_typed_only_into_the_chat_input(page: Page) -> None:
    ready(page)
    number(page, "max_completion_tokens", 4)  # a few words each: the check is that each turn answers
    for turn, text in enumerate(["Name a fruit.", "Name a colour.", "Name an animal."], start=1):
        say(page, text)
        newest = wait_done(page, turn)
        expect(newest.get_by_text("first token")).to_be_visible()
        expect(bubbles(page, "user")).to_have_count(turn)
        expect(bubbles(page, "assistant")).to_have_count(turn)
        expect(bubbles(page, "user").nth(turn - 1)).to_contain_text(text)
        answer = bubbles(page, "assistant").nth(turn - 1).inner_text().strip()
        assert answer and answer != "(empty)"
    expect(page).to_have_url(re.compile(r"[?&]notebook=[0-9a-f]{16}"))


def test_stop_keeps_the_text_that_arrived_and_so_does_a_reload_mid_stream(page: Page) -> None:
    """At temperature 0 this prompt runs to the token limit; should it ever end first, the person asks again."""
    ready(page)
    number(page, "max_completion_tokens", 2000)
    greedy(page)
    for attempt in range(1, 4):
        say(page, LONG_ANSWER)
        expect(page.get_by_text(re.compile(r"Answering… [1-9]\d* tokens"))).to_be_visible(timeout=LONG)
        clicked = time.monotonic()
        page.locator(css(keys.STOP)).get_by_role("button").click()
        cell = cells(page).nth(attempt - 1)
        expect(cell.get_by_text(re.compile(r"· (stopped by you|done) ·"))).to_be_visible(timeout=15_000)
        if cell.get_by_text("stopped by you").count():
            print(f"Stop to 'stopped' on screen: {time.monotonic() - clicked:.2f} s (attempt {attempt})")
            break
    else:
        pytest.fail("the model finished every answer before Stop was clicked")
    # what arrived shows once, in its cell, and joins the conversation only when the person asks
    expect(bubbles(page, "assistant")).to_have_count(attempt - 1)
    cell.get_by_role("button", name="Use this answer").click()
    expect(bubbles(page, "assistant")).to_have_count(attempt)
    expect(cell.get_by_text("added to the conversation")).to_be_visible()
    kept = bubbles(page, "assistant").last.locator("[data-testid='stMarkdownContainer']").first.inner_text().strip()
    assert kept and kept != "(empty)"

    # a reload while an answer streams keeps what had arrived (the page saves about once a second meanwhile)
    before = cells(page).count()
    for attempt in range(1, 4):
        say(page, LONG_ANSWER)
        expect(page.get_by_text(re.compile(r"Answering… [1-9]\d* tokens"))).to_be_visible(timeout=LONG)
        page.wait_for_timeout(1500)  # saved about once a second while streaming
        page.reload()
        ready(page)
        cell = cells(page).nth(before + attempt - 1)
        expect(cell.get_by_text(re.compile(r"· (interrupted|done|streaming) ·"))).to_be_visible(timeout=LONG)
        if cell.get_by_text(re.compile(r"· interrupted ·")).count():
            expect(cell.get_by_text("text received is kept above")).to_be_visible()
            break
    else:
        pytest.fail("the model finished every answer before the reload")


def test_mistakes_block_run_with_their_reasons_visible_and_an_edited_message_marks_the_answer_outdated(page: Page) -> None:
    """Five stop sequences, then -5 typed into a number box: each stays as typed, its reason shows under it (not only
    on hover), and nothing can be sent until it is fixed. Then a run; the person edits the message and clicks ✓
    straight away (no Tab): the text stays, the run is marked as answering an earlier version, and says why."""
    ready(page)
    open_section(page, "stop")
    stop = page.locator(f"{css(keys.field('stop'))} input")
    stop.fill("a, b, c, d, e")
    stop.press("Enter")
    settle(page)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("at most 4")).to_be_visible()
    expect(page.get_by_text("Run is off until you fix")).to_be_visible()
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_disabled()
    stop.fill("a, b")
    stop.press("Enter")
    settle(page)
    expect(sidebar.get_by_text("at most 4")).to_have_count(0)
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_enabled()
    # the logit bias table shows both its columns in the sidebar: the Bias column is not hidden past the right edge
    open_section(page, "logit_bias")
    grid = page.locator(f"{css(keys.field('logit_bias'))} .dvn-scroller")
    grid.scroll_into_view_if_needed()
    wide, shown = grid.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert wide <= shown, f"the logit bias table is {wide} px wide in {shown} px: its Bias column is cut off"
    stop.fill("")  # no stop sequence for the run below
    stop.press("Enter")
    settle(page)

    number(page, "max_completion_tokens", -5)
    settle(page)
    reason = sidebar.locator("[data-testid='stAlertContentError']").filter(has_text="Max completion tokens must be at least 1")
    expect(reason).to_be_visible()
    expect(page.get_by_text("Run is off until you fix")).to_be_visible()
    expect(page.locator(css(keys.RUN)).get_by_role("button")).to_be_disabled()
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_disabled()
    number(page, "max_completion_tokens", 8)
    settle(page)
    expect(reason).to_have_count(0, timeout=LONG)  # a loaded machine can take more than 5 s for that run
    say(page, "Name a fruit.")
    cell = wait_done(page, 1)
    expect(cell.get_by_text("earlier version")).to_have_count(0)

    page.locator(css(keys.message_action(0, "edit"))).get_by_role("button").click()
    box = page.locator(f"{css(keys.message_content(0))} textarea")
    box.fill("Order A1234: shipped")
    page.locator(css(keys.message_action(0, "edit"))).get_by_role("button").click()  # ✓ at once, no Tab
    settle(page)
    expect(box).to_have_count(0)
    expect(bubbles(page, "user").first).to_contain_text("Order A1234: shipped")
    expect(cell.get_by_text("earlier version")).to_be_visible()
    cell.get_by_role("button", name="What differed").click()
    expect(page.get_by_text("Message 1 changed.")).to_be_visible(timeout=LONG)


def test_a_message_sent_while_an_answer_is_written_stops_it_and_says_why(page: Page) -> None:
    """A long answer started with Run (the chat input stays open meanwhile); a message typed into the chat input
    ends it, the cell says why, and the message is sent."""
    ready(page)
    page.locator(css(keys.AUTO_APPEND)).get_by_text("Add answers to the conversation").click()
    number(page, "max_completion_tokens", 2)
    say(page, LONG_ANSWER)
    wait_done(page, 1)
    number(page, "max_completion_tokens", 2000)
    greedy(page)
    page.locator(css(keys.RUN)).get_by_role("button").click()
    expect(page.get_by_text(re.compile(r"Answering… [1-9]\d* tokens"))).to_be_visible(timeout=LONG)
    say(page, "Name a fruit.")
    long_one = cells(page).first  # "Run 2 of 2" at the first message (run 1 is one click away)
    expect(long_one.get_by_text(re.compile(r"· (stopped: you sent a new message|done) ·"))).to_be_visible(timeout=LONG)
    expect(bubbles(page, "user")).to_have_count(2, timeout=LONG)  # the message is kept and sent
    expect(bubbles(page, "user").nth(1)).to_contain_text("Name a fruit.")
    if long_one.get_by_text("· done ·").count():
        pytest.skip("the model finished the long answer before the new message was sent")
    page.locator(css(keys.STOP)).get_by_role("button").click()  # the fruit at temperature 0 could run long too
    expect(cells(page)).to_have_count(2, timeout=LONG)
    expect(cells(page).nth(1).get_by_text(re.compile(r"· (stopped by you|done) ·"))).to_be_visible(timeout=LONG)
