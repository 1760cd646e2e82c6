"""An Evaluate column that holds an image per row (AppTest): `{{photo}}` put where an image goes on the Playground
page, each row's image uploaded or given by address under the table, a missing or bad one said on its row with
Run off; the embedded model refuses each result in plain words, and an xAI model (tests/fake_server.py standing in
for api.x.ai) is sent each row's image as a content part."""

from __future__ import annotations

import hashlib

import pytest
from streamlit.testing.v1 import AppTest

from components import state as keys
from playground import fields
from tests.app.conftest import evaluated
from tests.app.test_images import ROOT, notebook, png, said
from tests.fake_server import FakeServer
from tests.markdown import readable

pytestmark = pytest.mark.apptest

CAT = "https://example.com/cat.png"


def table(app: AppTest) -> list[dict[str, str]]:
    """The test cases as the table editor holds them."""
    return next(d for d in app.dataframe if d.key == keys.EV_TABLE).value.fillna("").to_dict("records")


def run_evaluation(app: AppTest) -> dict:
    return evaluated(app.button(key=keys.EV_RUN).click().run(), within=240)


def test_each_row_gives_its_image_checked_on_its_row_and_sent_as_a_content_part(xai: tuple[FakeServer, list[dict]]) -> None:
    _, bodies = xai
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.run()
    app.number_input(key=keys.field("max_completion_tokens")).set_value(4)
    app.button_group(key=keys.VIEW).set_value("Form").run()
    app.button(key=keys.ADD_MESSAGE).click().run()
    app.text_area(key=keys.message_content(0)).set_value("What is in {{label}}?").run()
    app.text_input(key=keys.message_image(0, "url")).set_value("{{photo}}").run()
    app.button(key=keys.message_image(0, "add_url")).click().run()
    assert [i.url for i in notebook(app).conversation[0].images] == ["{{photo}}"]
    assert any("the variable {{photo}}" in readable(c.value) for c in app.caption)

    app.switch_page("views/evaluate.py").run()
    assert not app.exception, app.exception
    app.text_area(key=keys.EV_PASTE).set_value("the file\nthe address")
    app.button(key=keys.EV_PASTE_ADD).click().run()
    assert notebook(app).evaluation["cases"]["columns"] == ["label", "photo"]
    problems = said(app, "error")
    assert "Row 1 has no image for photo." in problems and "Row 2 has no image for photo." in problems
    assert app.button(key=keys.EV_RUN).disabled

    uploader = next(u for u in app.file_uploader if u.key == keys.ev_image_upload(0))
    assert uploader.proto.max_upload_size_mb == fields.IMAGE_MAX_BYTES // (1024 * 1024)  # the uploader says the image cap
    uploader.set_value(("red.png", png(), "image/png")).run()
    assert not app.exception, app.exception
    assert len(app.main.image) == 1  # row 1's thumbnail
    photo = notebook(app).evaluation["cases"]["rows"][0]["photo"]
    digest = hashlib.sha256(png()).hexdigest()
    assert table(app)[0]["photo"] == f"image/png, {len(png())} bytes, sha256 {digest[:12]}…"  # a label, not the data URL
    app.number_input(key=keys.EV_IMAGE_ROW).set_value(2).run()
    app.text_input(key=keys.EV_IMAGE_URL).set_value("https://169.254.169.254/cat.png").run()
    app.button(key=keys.EV_IMAGE_URL_ADD).click().run()
    assert any("Row 2's photo is unchanged" in e and "169.254.169.254" in e for e in said(app, "error"))
    assert app.button(key=keys.EV_RUN).disabled
    app.text_input(key=keys.EV_IMAGE_URL).set_value(CAT).run()
    app.button(key=keys.EV_IMAGE_URL_ADD).click().run()
    rows = notebook(app).evaluation["cases"]["rows"]
    assert rows[0]["photo"] == photo and photo.startswith("data:image/png;base64,") and rows[1]["photo"] == CAT
    assert [r["photo"] for r in table(app)] == [table(app)[0]["photo"], CAT]  # an address shows as itself
    assert not app.button(key=keys.EV_RUN).disabled, said(app, "error")

    # the embedded model reads text only: every result says so, in plain words
    app.text_input(key=keys.EV_SEEDS).set_value("1").run()
    ev = run_evaluation(app)
    assert [r["status"] for r in ev["results"]] == ["error", "error"]
    assert all("reads text only" in (r["error"] or "") for r in ev["results"]), [r["error"] for r in ev["results"]]

    # an xAI model that reads images is sent each row's own image as a content part
    app.selectbox(key=keys.BACKEND).set_value("xai").run()
    app.selectbox(key=keys.MODEL).set_value("grok-4 · reads images").run()
    ev = run_evaluation(app)
    assert [r["status"] for r in ev["results"]] == ["done", "done"], [r["error"] for r in ev["results"]]
    sent = sorted((b["messages"][0]["content"] for b in bodies), key=lambda parts: parts[0]["text"])
    assert sent == [
        [{"type": "text", "text": "What is in the address?"}, {"type": "image_url", "image_url": {"url": CAT, "detail": "auto"}}],
        [
            {"type": "text", "text": "What is in the file?"},
            {"type": "image_url", "image_url": {"url": rows[0]["photo"], "detail": "auto"}},
        ],
    ]
