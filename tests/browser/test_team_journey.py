"""A team's setup: two app processes on one PostgreSQL. What one person saves in one process, another person
finds and opens in the other from the Notebooks page; when both edit at once, neither edit is lost. (Opening a
notebook by its link alone, in a new session: tests/browser/test_notebooks_journey.py.)"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from playground.store import NotebookStore
from tests.browser.conftest import ARTIFACTS, app_env, serve_app
from tests.browser.pagekit import LONG, bubbles, number, ready, say, settle, wait_done, watch
from tests.pg import postgres_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def database() -> str:
    return postgres_server().new_database()


@pytest.fixture(scope="module")
def two_apps(app_url: str, database: str, tmp_path_factory) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Two `streamlit run` processes sharing one fresh PostgreSQL database (as behind a proxy), both answered by the
    session page's embedded model (its own /v1, as a team points its processes at one model server): no further
    model is loaded."""
    env = app_env(f"{app_url}/v1", PLAYGROUND_DATABASE_URL=database)
    env.pop("PLAYGROUND_DATA_DIR", None)
    with serve_app(env, tmp_path_factory.mktemp("team"), count=2) as (first, second):
        yield first, second


def _open(browser: Browser, url: str) -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    watch(context)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    return page


def test_a_notebook_saved_in_one_process_opens_in_the_other_and_concurrent_edits_are_both_kept(
    browser: Browser, two_apps: tuple[str, str], database: str
) -> None:
    first_url, second_url = two_apps
    alice = _open(browser, first_url)
    ready(alice)
    number(alice, "max_completion_tokens", 2)  # a word or two: what is checked is that it is saved
    say(alice, "Name a river.")
    wait_done(alice, 1)
    title = alice.get_by_label("Notebook", exact=True)
    title.fill("Rivers, shared")
    title.press("Enter")
    settle(alice)
    notebook_id = re.search(r"notebook=([0-9a-f]{16})", alice.url)
    assert notebook_id

    bob = _open(browser, second_url + "/notebooks")  # the other process: it knows this notebook only from the database
    bob.get_by_role("link", name="Rivers, shared").click(timeout=LONG)
    ready(bob)
    expect(bob).to_have_url(re.compile(f"notebook={notebook_id[1]}"), timeout=LONG)
    expect(bob.get_by_label("Notebook", exact=True)).to_have_value("Rivers, shared")
    expect(bubbles(bob, "user").first).to_contain_text("Name a river.")

    for page, words in ((alice, "Alice's question."), (bob, "Bob's question.")):  # both edit the same version
        say(page, words)
        try:
            wait_done(page, 2)
        except AssertionError:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "team-concurrent-edit.png"), full_page=True)
            raise
    # Alice saved first; Bob was told, and works on in a copy holding his question. Nothing is lost.
    expect(bob.get_by_text("changed in another tab at the same time")).to_be_visible(timeout=LONG)
    expect(bubbles(bob, "user").last).to_contain_text("Bob's question.")
    store = NotebookStore(url=database)
    stored = [store.load(s.id) for s in store.list()]
    asked = sorted(m.content for nb in stored if nb is not None for m in nb.conversation if m.role == "user")
    assert asked == ["Alice's question.", "Bob's question.", "Name a river.", "Name a river."], asked
    assert sorted(nb.title for nb in stored if nb is not None)[0] == "Rivers, shared"
