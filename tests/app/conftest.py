"""The Playground page under AppTest, shared by the page's test modules."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import state as keys
from tests.apptest_runtime import like_a_server
from tests.fake_server import FakeServer, fake_server, xai_like

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def apptest_like_a_server() -> Iterator[None]:
    """Every AppTest of the session shares the component registry and compiled scripts a server's sessions share."""
    with like_a_server():
        yield


@pytest.fixture
def embedded(gateway, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Pages started in this test use the session's embedded gateway, with no xAI key around."""
    monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
    monkeypatch.delenv("XAI_API_KEY", raising=False)


@pytest.fixture
def at(embedded: None) -> Iterator[AppTest]:
    """The app pointed at the session's embedded gateway, no xAI key around (a module may define its own)."""
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.run()
    assert not app.exception, app.exception
    yield app


@pytest.fixture
def xai(gateway, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeServer, list[dict]]]:  # type: ignore[no-untyped-def]
    """A stand-in for api.x.ai whose model reads images; every chat body it receives is kept."""
    bodies: list[dict] = []
    answer = xai_like(model="grok-4", inputs=("text", "image"))

    def reply(handler: BaseHTTPRequestHandler) -> None:
        if handler.command == "POST":
            raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
            bodies.append(json.loads(raw))
            handler.rfile = io.BytesIO(raw)
        answer(handler)

    with fake_server() as server:
        server.reply = reply
        monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
        monkeypatch.setenv("PLAYGROUND_XAI_BASE_URL", server.base_url)
        monkeypatch.setenv("XAI_API_KEY", "xai-test-key-0123456789")
        yield server, bodies


def job_ended(app: AppTest, key: str, *, within: float = 400) -> None:
    """Wait until the page's job under `key` has ended on its own thread (the page's fragment only draws it), then
    rerun the page, as the fragment does once it ends, until the page has taken the result off the job. One rerun,
    not one every few tenths of a second: each rerun redraws the whole page."""
    deadline = time.monotonic() + within
    while key in app.session_state and time.monotonic() < deadline:
        app.session_state[key].job.wait(max(0.0, deadline - time.monotonic()))
        app.run()
        assert not app.exception, app.exception
    assert key not in app.session_state, f"the job under {key} did not end"


def evaluated(app: AppTest, *, within: float = 400) -> dict:
    """Wait until the evaluation a button started has ended; the notebook's newest evaluation, as JSON."""
    job_ended(app, keys.EV_JOB, within=within)
    return app.session_state[keys.NOTEBOOK].evaluation["runs"][-1]
