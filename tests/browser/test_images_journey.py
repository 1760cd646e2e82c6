"""A person shows the model a picture: attaches a PNG to a message, sees it in the bubble, is told before Run that the
embedded model reads text only, runs anyway and reads why it was refused; nothing is lost, even after a reload. Then
pastes a picture into the chat input, as one pastes a screenshot."""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from components import state as keys
from tests.browser.pagekit import LONG, bubbles, cells, css, ready, settle

pytestmark = pytest.mark.browser

TEXT_ONLY = "smollm2-135m-instruct reads text only"


def png(path: Path, colour: str) -> Path:
    Image.new("RGB", (64, 40), colour).save(path, format="PNG")
    return path


def shot(page: Page, name: str) -> None:
    """A screenshot to look at, when PLAYGROUND_SHOTS names a folder."""
    if folder := os.environ.get("PLAYGROUND_SHOTS"):
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_a_picture_for_a_text_only_model_is_refused_in_plain_words_and_kept(page: Page, tmp_path: Path) -> None:
    ready(page)
    page.get_by_role("radiogroup").get_by_role("radio", name="Form").click()
    page.locator(css(keys.ADD_MESSAGE)).get_by_role("button").click()
    box = page.locator(f"{css(keys.message_content(0))} textarea")
    box.fill("What colour is this picture?")
    box.blur()
    settle(page)
    uploader = page.locator(css(keys.message_image(0, "upload.0")))
    uploader.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(png(tmp_path / "orange.png", "orange")))
    settle(page)
    expect(page.locator(css(keys.message_image(0, "0.detail")))).to_be_visible()  # each image's detail, while editing
    shot(page, "0-editing")
    page.get_by_role("radiogroup").get_by_role("radio", name="Chat").click()
    settle(page)
    user = bubbles(page, "user").first
    expect(user.get_by_role("img")).to_have_count(1)
    expect(user.get_by_text("orange.png")).to_be_visible()
    expect(user.get_by_text(TEXT_ONLY)).to_be_visible()  # said before Run
    shot(page, "1-attached")

    page.locator(css(keys.RUN)).get_by_role("button").click()
    expect(cells(page)).to_have_count(1, timeout=LONG)
    expect(page.get_by_text(re.compile("Message 1, part 2 is an image: " + TEXT_ONLY)).first).to_be_visible(timeout=LONG)
    settle(page)
    shot(page, "2-refused")
    page.reload()
    ready(page)
    user = bubbles(page, "user").first
    expect(user).to_contain_text("What colour is this picture?")
    expect(user.get_by_role("img")).to_have_count(1)  # the image is kept with the notebook

    # a screenshot pasted into the chat input joins a new message with the text typed beside it
    data = base64.b64encode(png(tmp_path / "teal.png", "teal").read_bytes()).decode()
    chat = page.get_by_test_id("stChatInputTextArea")
    chat.fill("And this one?")
    chat.evaluate(
        """(box, data) => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const files = new DataTransfer();
            files.items.add(new File([bytes], "pasted.png", {type: "image/png"}));
            box.dispatchEvent(new ClipboardEvent("paste", {clipboardData: files, bubbles: true, cancelable: true}));
        }""",
        data,
    )
    expect(page.get_by_text("pasted.png")).to_be_visible()  # attached to the chat input, as a pasted screenshot is
    send = page.get_by_test_id("stChatInputSubmitButton")
    expect(send).to_be_enabled(timeout=LONG)  # the file is still uploading until then, and Enter does nothing
    send.click()
    expect(cells(page)).to_have_count(2, timeout=LONG)
    settle(page)
    expect(bubbles(page, "user")).to_have_count(2)
    expect(bubbles(page, "user").nth(1).get_by_role("img")).to_have_count(1)
    expect(bubbles(page, "user").nth(1)).to_contain_text("And this one?")
    shot(page, "3-pasted")
