"""A person names a notebook, finds it again on the Notebooks page, opens it by its link, exports it to a file
and imports it back; and copies a run as curl and runs it in a terminal."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from components import state as keys
from tests.browser.pagekit import LONG, bubbles, cells, css, number, ready, say, settle, wait_done

pytestmark = pytest.mark.browser


def _rename(page: Page, title: str) -> None:
    box = page.get_by_label("Notebook", exact=True)
    box.fill(title)
    box.press("Enter")
    settle(page)


def test_rename_reload_find_on_the_notebooks_page_and_open_by_url(page: Page) -> None:
    ready(page)
    number(page, "max_completion_tokens", 8)
    say(page, "Name a planet.")
    wait_done(page, 1)
    _rename(page, "Planets notebook")
    url = page.url
    assert re.search(r"notebook=[0-9a-f]{16}", url)
    page.reload()
    ready(page)
    expect(page.get_by_label("Notebook", exact=True)).to_have_value("Planets notebook")

    page.get_by_role("link", name="All notebooks").click()
    expect(page.get_by_role("heading", name="Notebooks")).to_be_visible(timeout=LONG)
    search = page.get_by_label("Search")
    search.fill("planets notebook")  # the title: other journeys' answers may well mention a planet
    search.press("Enter")
    rows = page.locator(f"[class*='{css(keys.NB_PAGE)[1:]}-row-']")
    expect(rows).to_have_count(1)  # the search has applied: other tests' notebooks are gone
    link = rows.get_by_role("link", name="Planets notebook")
    expect(link).to_be_visible()
    expect(rows.get_by_text(re.compile(r"1 run"))).to_be_visible()
    link.click()
    ready(page)
    expect(page.get_by_label("Notebook", exact=True)).to_have_value("Planets notebook")
    expect(bubbles(page, "user").first).to_contain_text("Name a planet.")

    other = page.context.new_page()  # the link alone opens it, in a new session
    other.goto(url)
    ready(other)
    expect(other.get_by_label("Notebook", exact=True)).to_have_value("Planets notebook")
    expect(cells(other)).to_have_count(1)
    other.close()


def test_export_a_notebook_file_and_import_it_back(page: Page, tmp_path: Path) -> None:
    ready(page)
    number(page, "max_completion_tokens", 8)
    say(page, "Name a river.")
    wait_done(page, 1)
    _rename(page, "Rivers")
    page.get_by_role("link", name="All notebooks").click()
    row = page.locator("[class*='st-key-notebooks-row-']").filter(has_text="Rivers")
    expect(row).to_be_visible(timeout=LONG)
    with page.expect_download() as download:
        row.get_by_role("button", name="Export").click()
    saved = tmp_path / "rivers.notebook.json"
    download.value.save_as(saved)
    data = json.loads(saved.read_text())
    assert data["format"] == "chat-completions-playground/notebook" and data["notebook"]["title"] == "Rivers"

    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(saved))
    expect(page.get_by_text("Imported “Rivers”.")).to_be_visible(timeout=LONG)
    expect(page.locator("[class*='st-key-notebooks-row-']").filter(has_text="Rivers")).to_have_count(2)

    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(bad))
    expect(page.get_by_text(re.compile("Nothing was imported: This is not a notebook file"))).to_be_visible()
    expect(page.locator("[class*='st-key-notebooks-row-']").filter(has_text="Rivers")).to_have_count(2)


def test_a_run_exported_as_curl_gives_the_same_answer(page: Page) -> None:
    ready(page)
    number(page, "max_completion_tokens", 12)
    number(page, "seed", 7)
    temperature = page.locator(css(keys.field("temperature")))
    temperature.get_by_role("slider").focus()
    page.keyboard.press("Home")  # temperature 0
    say(page, "Name a mountain.")
    cell = wait_done(page, 1)
    answer = bubbles(page, "assistant").first.locator("[data-testid='stMarkdownContainer']").first.inner_text().strip()
    cell.get_by_text("Details").click()
    cell.get_by_role("tab", name="Code").click()
    code = cell.locator("[data-testid='stCode']").filter(has_text="curl").first.inner_text()
    assert "XAI_API_KEY" not in code and "Authorization" not in code and "chat/completions" in code  # embedded: no key
    result = subprocess.run(["bash", "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    text = json.loads(result.stdout)["choices"][0]["message"]["content"]
    assert " ".join(text.split()) == " ".join(answer.split())
