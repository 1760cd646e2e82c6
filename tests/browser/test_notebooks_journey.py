"""A person names a notebook, finds it again on the Notebooks page, opens it by its link, exports it to a file
and imports it back; copies a run as curl and runs it in a terminal; and imports a notebook from elsewhere whose
pending run names another server, with an xAI key typed in the page: nothing, and certainly no key, goes there."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from components import state as keys
from playground.notebook import Cell, ChatMessage, Notebook, NotebookFile
from tests.browser.conftest import ARTIFACTS
from tests.browser.pagekit import (
    LONG,
    bubbles,
    cells,
    choose,
    css,
    go,
    import_file,
    number,
    ready,
    runs_ended,
    say,
    settle,
    wait_done,
    wait_runs,
)
from tests.fake_server import FakeServer, deferred, fake_server

pytestmark = pytest.mark.browser


def _rename(page: Page, title: str) -> None:
    box = page.get_by_label("Notebook", exact=True)
    box.fill(title)
    box.press("Enter")
    settle(page)


def _shared_view(page: Page, link: str, answer: str) -> Page:
    """Open a read-only link in a new tab (a Streamlit session of its own): the answer, nothing to type into, no Run."""
    view = page.context.new_page()
    view.goto(link)
    expect(view.get_by_role("heading", name="Planets notebook")).to_be_visible(timeout=LONG)
    expect(view.get_by_text("Name a planet.")).to_be_visible()
    expect(view.get_by_text(answer.split("\n")[0].strip(), exact=False).first).to_be_visible(timeout=LONG)  # drawn last
    settle(view)
    expect(view.locator("input, textarea")).to_have_count(0)
    expect(view.get_by_role("button", name="Run")).to_have_count(0)
    expect(view.get_by_test_id("stChatInput")).to_have_count(0)
    expect(view.get_by_test_id("stSidebar")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    view.screenshot(path=str(ARTIFACTS / "shared-view.png"), full_page=True)
    return view


def test_rename_find_share_open_by_url_in_a_new_session_export_and_import(page: Page, tmp_path: Path) -> None:
    ready(page)
    number(page, "max_completion_tokens", 4)
    say(page, "Name a planet.")
    wait_done(page, 1)
    expect(page.get_by_label("Notebook", exact=True)).to_have_value("Name a planet.")  # titled from the first message
    answer = bubbles(page, "assistant").first.locator("[data-testid='stMarkdownContainer']").first.inner_text().strip()
    _rename(page, "Planets notebook")
    url = page.url
    assert re.search(r"notebook=[0-9a-f]{16}", url)

    page.get_by_role("link", name="All notebooks").click()
    expect(page.get_by_role("heading", name="Notebooks")).to_be_visible(timeout=LONG)
    search = page.get_by_label("Search")
    search.fill("planets notebook")  # the title: other journeys' answers may well mention a planet
    search.press("Enter")
    rows = page.locator(f"[class*='{css(keys.NB_PAGE)[1:]}-row-']")
    expect(rows).to_have_count(1)  # the search has applied: other tests' notebooks are gone
    link = rows.get_by_role("link", name="Planets notebook", exact=True)
    expect(link).to_be_visible()
    expect(rows.get_by_text(re.compile(r"1 run"))).to_be_visible()

    # A read-only link, opened elsewhere; a copy to edit; then revoked, and the link says so.
    rows.get_by_role("button", name="Share").click()
    shared = page.get_by_test_id("stCode").filter(has_text="?view=").first
    expect(shared).to_be_visible(timeout=LONG)
    address = shared.inner_text().strip()
    view = _shared_view(page, address, answer)
    view.get_by_role("button", name="Make a copy to edit").click()
    expect(view.get_by_label("Notebook", exact=True)).to_have_value("Copy of Planets notebook", timeout=LONG)
    expect(view.get_by_test_id("stChatInput")).to_be_visible()
    page.get_by_text(re.compile(r"Shared links")).click()
    page.get_by_role("button", name="Revoke").first.click()
    settle(page)
    view.goto(address)
    expect(view.get_by_text(re.compile("This link was revoked"))).to_be_visible(timeout=LONG)
    expect(view.get_by_text("Name a planet.")).to_have_count(0)
    view.screenshot(path=str(ARTIFACTS / "shared-view-revoked.png"), full_page=True)
    view.close()

    search.fill("planets notebook")
    search.press("Enter")
    link.click()
    ready(page)
    expect(page.get_by_label("Notebook", exact=True)).to_have_value("Planets notebook")
    expect(bubbles(page, "user").first).to_contain_text("Name a planet.")
    page.get_by_text("Import or export the conversation").click()  # its JSON is written only when asked for
    with page.expect_download() as download:
        page.get_by_role("button", name="Export conversation (JSON)").click()
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert exported[0] == {"role": "user", "content": "Name a planet."}, exported

    other = page.context.new_page()  # the link alone opens it, in a new session: the title and the run were saved
    other.goto(url)
    ready(other)
    expect(other.get_by_label("Notebook", exact=True)).to_have_value("Planets notebook")
    expect(cells(other)).to_have_count(1)
    other.close()

    # Exported to a file and imported back: a second notebook of that title; a file that is no notebook changes nothing.
    page.get_by_role("link", name="All notebooks").click()
    planets = page.locator(f"[class*='{css(keys.NB_PAGE)[1:]}-row-']").filter(
        has=page.get_by_role("link", name="Planets notebook", exact=True)
    )
    expect(planets).to_have_count(1, timeout=LONG)
    with page.expect_download() as download:
        planets.get_by_role("button", name="Export").click()
    saved = tmp_path / "planets.notebook.json"
    download.value.save_as(saved)
    data = json.loads(saved.read_text())
    assert data["format"] == "chat-completions-playground/notebook" and data["notebook"]["title"] == "Planets notebook"
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(saved))
    expect(page.get_by_text("Imported “Planets notebook”.")).to_be_visible(timeout=LONG)
    expect(planets).to_have_count(2)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(bad))
    expect(page.get_by_text(re.compile("Nothing was imported: This is not a notebook file"))).to_be_visible()
    expect(planets).to_have_count(2)


def test_a_run_exported_as_curl_or_the_openai_sdk_gives_the_same_answer_and_costs_show(
    page: Page, app_url: str, fake_xai: FakeServer
) -> None:
    """The code of an embedded cell names the page's own address (its /v1), and runs as copied; the run is free.
    Then a run on xAI (here the stand-in, tests/fake_server.py, answering grok-3-mini with xAI's usage: 1,000 tokens
    in (200 cached), 50 out, 100 reasoning) shows its cost at xAI's published grok-3-mini price."""
    ready(page)
    number(page, "max_completion_tokens", 4)  # the same few words three ways
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
    own_api = f"http://localhost:{urlsplit(app_url).port}/v1"
    assert own_api in code
    result = subprocess.run(["bash", "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    text = json.loads(result.stdout)["choices"][0]["message"]["content"]
    assert " ".join(text.split()) == " ".join(answer.split())
    cell.get_by_role("tab", name="Python (openai SDK)").click()
    sdk = cell.locator("[data-testid='stCode']").filter(has_text="from openai import OpenAI").first.inner_text()
    assert f'base_url="{own_api}"' in sdk
    env = {k: v for k, v in os.environ.items() if k not in ("XAI_API_KEY", "OPENAI_API_KEY")}
    result = subprocess.run([sys.executable, "-c", sdk], capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    assert " ".join(result.stdout.split()) == " ".join(answer.split())
    expect(cell.get_by_text(re.compile(r"tokens in, \d+ out · free"))).to_be_visible()

    _xai_key(page, "xai-key-for-the-stand-in")
    say(page, "Name a colour.")
    priced = wait_done(page, 2)
    expect(priced.get_by_text(re.compile(r"1,000 tokens in, 50 out · cost \$0\.000330"))).to_be_visible()
    expect(page.get_by_text("This notebook's 2 runs: $0.000330")).to_be_visible()
    assert any(s.path == "/v1/chat/completions" and s.headers.get("authorization") for s in fake_xai.seen)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "cost-journey.png"), full_page=True)


def _xai_key(page: Page, secret: str) -> None:
    """Choose xAI in the sidebar and type a key into its box."""
    choose(page, page.locator(css(keys.BACKEND)).get_by_role("combobox"), "xAI (api.x.ai)")
    expect(page.get_by_test_id("stSidebar").get_by_text("xAI's hosted Grok models")).to_be_visible(timeout=LONG)
    expect(page.locator(css(keys.BASE_URL))).to_have_count(0)  # the box now is xAI's, not the other server's
    settle(page)
    key_box = page.locator(css(keys.API_KEY)).locator("input")
    key_box.fill(secret)
    key_box.press("Enter")
    settle(page)


def test_the_deferred_key_notebook_sends_no_key(page: Page, tmp_path: Path) -> None:
    secret = "xai-TYPED-IN-THE-PAGE-0123456789abcdef"
    with fake_server() as server:
        server.reply = deferred("req-2")
        asked = [ChatMessage(role="user", content="Hello from elsewhere")]
        body = {"model": "m", "messages": [m.to_request() for m in asked], "deferred": True}
        pending = Cell(
            backend="openai",
            base_url=server.base_url,
            model="m",
            body=body,
            conversation=asked,
            status="pending",
            request_id="r1",
        )
        notebook = Notebook(
            title="Deferred from elsewhere",
            conversation=asked,
            settings={"backend": "openai", "base_url": server.base_url, "model.openai": "m"},
            cells=[pending],
        )
        upload = tmp_path / "elsewhere.notebook.json"
        upload.write_text(NotebookFile.dump(notebook))

        ready(page)
        _xai_key(page, secret)
        go(page, "All notebooks", "Notebooks")
        import_file(page, upload)
        expect(page.get_by_text("Imported “Deferred from elsewhere”.")).to_be_visible(timeout=LONG)
        page.get_by_role("link", name="Deferred from elsewhere").click()
        expect(page.get_by_text("Nothing is sent there until you ask")).to_be_visible(timeout=LONG)
        expect(page.get_by_text("This notebook names the server")).to_be_visible()
        _xai_key(page, secret)  # the notebook set the sidebar to its own server: back to xAI, key in the box
        wait_runs(page, runs_ended(page), 3)  # rounds of the page's deferred polling (one a second), none sends
        settle(page)
        page.screenshot(path=str(tmp_path / "deferred-key-notebook.png"), full_page=True)
        assert server.seen == [], [(r.method, r.path, r.headers.get("authorization")) for r in server.seen]

        page.get_by_role("button", name="Ask that server for the result").click()
        deadline = time.monotonic() + LONG / 1000
        while not server.seen and time.monotonic() < deadline:  # the next round of polling asks it
            page.wait_for_timeout(50)
        settle(page)
    assert [(s.method, s.path) for s in server.seen][:1] == [("GET", "/v1/chat/deferred-completion/r1")]
    assert all("authorization" not in s.headers for s in server.seen)  # asked when told to, and without the xAI key
