"""Images in messages on the Playground page (AppTest): attached from a file, the chat input or an address; checked,
reordered, removed; the embedded model's "reads text only" said before Run and by its gateway after; an xAI model
(tests/fake_server.py standing in for api.x.ai) is sent the image as a content part."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from components import state as keys
from playground import examples
from playground.notebook import Notebook
from tests.fake_server import FakeServer
from tests.markdown import readable

pytestmark = pytest.mark.apptest

ROOT = Path(__file__).resolve().parents[2]


def png(colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format="PNG")
    return out.getvalue()


def notebook(app: AppTest) -> Notebook:
    return app.session_state[keys.NOTEBOOK]


def said(app: AppTest, kind: str) -> list[str]:
    return [readable(e.value) for e in getattr(app.main, kind)]


def upload(app: AppTest, i: int, *files: tuple[str, bytes, str]) -> None:
    taken = (
        app.session_state[keys.IMAGE_UPLOADS].get(i, 0) if keys.IMAGE_UPLOADS in app.session_state else 0
    )  # a fresh uploader after each
    uploader = next(u for u in app.file_uploader if u.key == keys.message_image(i, f"upload.{taken}"))
    uploader.set_value(list(files)).run()
    assert not app.exception, app.exception


def test_attach_check_reorder_and_remove_images_then_run_on_the_embedded_model(at: AppTest) -> None:
    at.button_group(key=keys.VIEW).set_value("Form").run()
    at.button(key=keys.ADD_MESSAGE).click().run()
    at.text_area(key=keys.message_content(0)).set_value("What colour is this?").run()
    upload(at, 0, ("red.png", png(), "image/png"))
    (image,) = notebook(at).conversation[0].images
    assert image.name == "red.png" and image.url.startswith("data:image/png;base64,") and image.detail == "auto"
    assert len(at.main.image) == 1  # the thumbnail, served by the page itself

    upload(at, 0, ("fake.png", b"GIF89a" + b"\x00" * 20, "image/png"))
    assert any("fake.png is not a PNG or JPEG image" in e for e in said(at, "error"))
    assert len(notebook(at).conversation[0].images) == 1  # nothing lost

    at.text_input(key=keys.message_image(0, "url")).set_value("https://10.0.0.7/cat.png").run()
    at.button(key=keys.message_image(0, "add_url")).click().run()
    assert any("10.0.0.7, not a public address" in e for e in said(at, "error"))
    assert at.text_input(key=keys.message_image(0, "url")).value == "https://10.0.0.7/cat.png"  # kept, to correct

    at.text_input(key=keys.message_image(0, "url")).set_value("https://example.com/cat.png").run()
    at.button(key=keys.message_image(0, "add_url")).click().run()
    assert [i.name for i in notebook(at).conversation[0].images] == ["red.png", "https://example.com/cat.png"]
    at.button(key=keys.message_image(0, "1.up")).click().run()
    assert [i.name for i in notebook(at).conversation[0].images] == ["https://example.com/cat.png", "red.png"]
    at.selectbox(key=keys.message_image(0, "1.detail")).set_value("low").run()
    at.button(key=keys.message_image(0, "0.remove")).click().run()
    assert [(i.name, i.detail) for i in notebook(at).conversation[0].images] == [("red.png", "low")]
    assert notebook(at).conversation[0].content == "What colour is this?"  # typed text survived every click

    assert any("smollm2-135m-instruct reads text only" in w for w in said(at, "warning"))  # said before Run
    at.button(key=keys.RUN).click().run()
    assert not at.exception
    (cell,) = notebook(at).cells
    assert cell.status == "error" and cell.error is not None and cell.error.status == 400
    assert "Message 1, part 2 is an image: smollm2-135m-instruct reads text only" in (cell.error.server_message or "")
    assert any("reads text only" in e for e in said(at, "error"))
    assert [(i.name, i.detail) for i in notebook(at).conversation[0].images] == [("red.png", "low")]  # nothing lost


def test_the_seeds_image_example_loads_from_the_page_and_the_embedded_model_says_it_reads_text_only(at: AppTest) -> None:
    at.selectbox(key=keys.EXAMPLE_CONVERSATION).set_value("A question about a picture (text and an image)")
    at.button(key=keys.LOAD_EXAMPLE).click().run()
    assert not at.exception, at.exception
    (asked,) = notebook(at).conversation
    assert asked.content == "What colour is this square?" and [i.url for i in asked.images] == [examples.RED_SQUARE_PNG]
    assert len(at.main.image) == 1  # the square drawn in the bubble, from the request itself
    assert any("smollm2-135m-instruct reads text only" in w for w in said(at, "warning"))
    at.button(key=keys.RUN).click().run()
    assert not at.exception, at.exception
    (cell,) = notebook(at).cells
    assert cell.status == "error" and "Message 1, part 2 is an image" in (cell.error.server_message or "")  # type: ignore[union-attr]
    assert cell.body["messages"] == examples.IMAGE_MESSAGES  # what the code export of this run shows
    assert [i.url for i in notebook(at).conversation[0].images] == [examples.RED_SQUARE_PNG]  # nothing lost


def test_an_image_in_the_chat_input_reaches_an_xai_model_as_a_content_part(xai: tuple[FakeServer, list[dict]]) -> None:
    server, bodies = xai
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.run()
    app.selectbox(key=keys.BACKEND).set_value("xai").run()
    assert "grok-4 · reads images" in app.selectbox(key=keys.MODEL).options  # the model list says so
    assert not any("reads text only" in w for w in said(app, "warning"))
    app.chat_input(key=keys.CHAT_INPUT).set_value("Describe it.").upload("blue.png", png("blue"), "image/png")
    app.run()
    assert not app.exception, app.exception
    [sent] = bodies
    image = {"type": "image_url", "image_url": {"url": notebook(app).conversation[0].images[0].url, "detail": "auto"}}
    assert sent["model"] == "grok-4"
    assert sent["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Describe it."}, image]}]
    assert image["image_url"]["url"].startswith("data:image/png;base64,")
    assert notebook(app).cells[0].status == "done"
    assert ("GET", "/v1/language-models") in {(s.method, s.path) for s in server.seen}

    # a file that is no image keeps the message back, open for editing, and says why; nothing is sent
    app.chat_input(key=keys.CHAT_INPUT).set_value("And this?").upload("notes.png", b"just text", "image/png")
    app.run()
    assert not app.exception and len(bodies) == 1
    assert any("notes.png is not a PNG or JPEG image" in e for e in said(app, "error"))
    assert (
        notebook(app).conversation[-1].content == "And this?" and app.text_area(key=keys.message_content(2)).value == "And this?"
    )
