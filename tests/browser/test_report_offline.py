"""The downloadable report opened in Chromium with the network blocked: every request is counted (and refused), and
so is every load the file's own Content-Security-Policy had to stop. A report of the hostile notebook (script tags,
remote images in Markdown and HTML, javascript: links in every field) makes none of either and shows its text.

The report downloaded from the real page after real runs is checked in test_probability_journey.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from components import report
from playground import images
from playground.evaluate.results import Evaluation
from playground.notebook import AttachedImage
from tests.app.test_report import DATA, PX, _hostile, _png
from tests.browser.conftest import ARTIFACTS
from tests.hostile import with_html

pytestmark = pytest.mark.browser


def open_offline(browser: Browser, path: Path, *, shot: str | None = None) -> tuple[Page, list[str], list[str]]:
    """`path` opened in a fresh context whose every request is aborted; returns the page, the URLs requested (the
    file itself left out) and the policy violations Chromium reported."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    requested: list[str] = []
    refused: list[str] = []

    def abort(route):  # type: ignore[no-untyped-def]
        if route.request.url == path.as_uri():  # the file itself, from the disk
            route.continue_()
            return
        requested.append(route.request.url)
        route.abort()

    context.route("**/*", abort)
    page = context.new_page()
    page.on("request", lambda r: requested.append(r.url) if r.url != path.as_uri() else None)  # what no route saw
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    page.wait_for_function("() => [...document.images].every(i => i.complete)")  # each image drawn or refused
    if shot:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / shot), full_page=False)
    return page, requested, refused


def test_a_hostile_report_opened_offline_makes_no_request_and_shows_the_text(browser: Browser, tmp_path: Path) -> None:
    """The hostile notebook, with an attached image, an image address and an evaluation recorded from the embedded
    model (a hostile note on one result): the thumbnail is the one image, inside the file; the address is text."""
    nb = _hostile()
    nb.conversation[1].images = [
        AttachedImage(url=images.data_url(_png(900, 600), "teal.png"), name="teal.png"),
        AttachedImage(url=f"{PX}?image=address", name=f"{PX}?image=address"),
    ]
    ev = Evaluation.model_validate_json((DATA / "evaluation_weather.json").read_text(encoding="utf-8"))
    nb.evaluation = {"runs": [ev.mark(5, up=False, note=with_html(PX, "note")).model_dump(mode="json")]}
    path = tmp_path / "hostile-report.html"
    path.write_text(report.notebook_report(nb), encoding="utf-8")
    page, requested, refused = open_offline(browser, path, shot="report-hostile.png")
    assert requested == [] and refused == [], (requested, refused)
    assert page.evaluate("document.querySelectorAll('script, iframe, a, link, object, embed').length") == 0
    sources = page.evaluate("[...document.images].map(i => [i.src.slice(0, 22), i.complete && i.naturalWidth])")
    assert sources == [["data:image/png;base64,", report.IMAGE_PX]], sources  # drawn, from inside the file
    assert page.evaluate("document.querySelectorAll('svg').length") >= 3  # the token strip, alternatives, along the answer
    expect(page.get_by_text(f'<script src="{PX}?answer=script">', exact=False).first).to_be_visible()
    expect(page.get_by_text(f"{PX}?image=address").first).to_be_visible()
    expect(page.get_by_text(f'<script src="{PX}?note=script">', exact=False).first).to_be_visible()
    expect(page.get_by_text("83% (5/6)").first).to_be_visible()  # the evaluation's pass rate for calls get_weather
    assert f'<script src="{PX}?title=script">' in page.title()  # the title is its text too
    page.context.close()
