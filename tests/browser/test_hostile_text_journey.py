"""A notebook file and a model server that put remote images in every text they control (the title, messages, tool
names and call ids, request ids, model names, stop reasons, reasoning, cell notes, errors and their codes, library
tool names): a person imports the notebook, opens every run's details and runs against the server, and the browser
fetches none of the images. Two walls: components/text.py shows the text as text, and the page's
Content-Security-Policy (serve.py) refuses an image from elsewhere even when one slips through.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from components import state as keys
from playground.notebook import NotebookFile
from tests.browser.pagekit import LONG, cells, css, import_file, ready, say, settle
from tests.hostile import hostile, hostile_notebook, one_line

pytestmark = pytest.mark.browser


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _json(self, status: int, data: object) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Pixel(_Quiet):
    """Records every request: a 1×1 PNG to whoever asks."""

    def do_GET(self) -> None:
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        png = bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4a30000000049454e44ae426082"
        )
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(png)))
        self.end_headers()
        self.wfile.write(png)


class _Model(_Quiet):
    """An OpenAI-compatible server whose every string is hostile: the first chat request streams an answer with
    reasoning and a tool call, the second is refused with an error body, the third stream is cut half way."""

    def do_GET(self) -> None:
        px = self.server.px  # type: ignore[attr-defined]
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": one_line(px, "listed"), "object": "model", "owned_by": "x"}]})
        else:
            self._json(404, {"error": {"message": hostile(px, "notfound"), "type": "x", "param": None, "code": "x"}})

    def do_POST(self) -> None:
        px = self.server.px  # type: ignore[attr-defined]
        asked = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        seen: list[dict] = self.server.chats  # type: ignore[attr-defined]
        seen.append(asked)
        if len(seen) == 2:
            error = {"message": hostile(px, "errmessage"), "type": hostile(px, "errtype"), "param": one_line(px, "errparam")}
            self._json(400, {"error": {**error, "code": hostile(px, "errcode")}})
            return
        base = {"id": one_line(px, "chunkid"), "object": "chat.completion.chunk", "created": 1, "model": one_line(px, "model")}
        base["system_fingerprint"] = one_line(px, "fingerprint")
        call = {"index": 0, "id": one_line(px, "callid"), "type": "function"}
        call["function"] = {"name": one_line(px, "toolname"), "arguments": json.dumps({"q": hostile(px, "arguments")})}
        deltas = [
            {"role": "assistant", "reasoning_content": hostile(px, "reasoning")},
            {"content": hostile(px, "content")},
            {"tool_calls": [call]},
        ]
        events = [{**base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
        final = {"index": 0, "delta": {}, "finish_reason": one_line(px, "finish")}
        events.append({**base, "choices": [final], "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        cut = len(seen) == 3
        for event in events[:2] if cut else events:
            self._chunk(f"data: {json.dumps(event)}\n\n".encode())
        if cut:  # half a chunk, then the connection drops
            self.wfile.write(b"ff\r\ndata: {")
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self._chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


@contextmanager
def _serve(handler: type[BaseHTTPRequestHandler], **attrs: object) -> Iterator[tuple[ThreadingHTTPServer, str]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    for name, value in attrs.items():
        setattr(server, name, value)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _open_everything(page: Page) -> None:
    """Every run's actions and details, then every tab of every run."""
    for _ in range(20):
        closed = cells(page).get_by_role("checkbox", name=re.compile(r"^(Actions and details|Details)"), checked=False)
        if closed.count() == 0:
            break
        closed.first.click()
        settle(page)
    i = 0  # only the open tab is drawn: each click reruns, and the Code tab brings tabs of its own
    while i < (tabs := cells(page).get_by_role("tab")).count():
        tabs.nth(i).click()
        settle(page)
        i += 1


def test_remote_images_in_every_untrusted_text_are_never_fetched(page: Page, browser: Browser, tmp_path: Path) -> None:
    with _serve(_Pixel, hits=[]) as (pixel, px_base), _serve(_Model, px=f"{px_base}/px.png", chats=[]) as (model, base):
        px = f"{px_base}/px.png"
        # The second wall alone: an image that reaches a document of the page's server anyway is refused by the
        # browser. The document is the server's health check, which carries the page's own policy (checked below):
        # opening the whole app again for it would cost a page load.
        health = urljoin(page.url, "/_stcore/health")
        other = browser.new_context().new_page()  # not the journeys' context: its refusals would fail the journey
        refusals: list[str] = []
        other.on("console", lambda m: refusals.append(m.text) if "Content Security Policy" in m.text else None)
        other.goto(health)
        other.evaluate(  # resolves once the browser has settled the image (the policy refuses it: an error)
            "src => new Promise(done => { const i = new Image(); i.onload = i.onerror = done; i.src = src; })",
            f"{px}?csp=injected",
        )
        other.context.close()
        assert refusals, "the policy did not refuse an image from elsewhere"

        # Import the notebook on the Notebooks page, as a person would, and open it.
        ready(page)
        file = tmp_path / "hostile.notebook.json"
        file.write_text(NotebookFile.dump(hostile_notebook(px, f"{base}/v1")))
        page.get_by_role("link", name="All notebooks").click()
        import_file(page, file)
        expect(page.get_by_text("Imported “title")).to_be_visible(timeout=LONG)
        row = page.locator(f"[class*='{css(keys.NB_PAGE)[1:]}-row-']").filter(
            has_text=re.compile(r"title(?!d)")
        )  # not "Untitled"
        row.get_by_role("link").first.click()
        ready(page)
        expect(cells(page)).to_have_count(3, timeout=LONG)
        _open_everything(page)
        expect(page.get_by_text("answer ![answer]").first).to_be_visible(timeout=LONG)  # shown as the text it is
        page.wait_for_function("() => [...document.images].every(i => i.complete)")  # each image loaded or refused

        # A library tool whose name is an image (refused or kept, its name is shown).
        page.get_by_role("link", name="Tools & schemas").click()
        page.get_by_text("Paste JSON").click()
        page.locator(f"{css(keys.TP_PASTE)} textarea").fill(
            json.dumps([{"type": "function", "function": {"name": one_line(px, "library"), "parameters": {"type": "object"}}}])
        )
        page.get_by_role("button", name="Add to the library").click()
        settle(page)

        # Run against the hostile server: an answer, a refusal, a cut stream.
        page.get_by_role("link", name="Playground").click()
        ready(page)
        page.get_by_role("button", name="New").click()
        settle(page)
        page.locator(css(keys.BACKEND)).get_by_role("combobox").click()
        page.get_by_role("option", name="OpenAI-compatible server").click()
        settle(page)
        url = page.locator(f"{css(keys.BASE_URL)} input")
        url.fill(f"{base}/v1")
        url.press("Enter")
        settle(page)
        page.locator(css(keys.AUTO_APPEND)).get_by_text("Add answers to the conversation").click()
        settle(page)
        for n, text in enumerate(("Hello", "Again", "Once more"), start=1):
            say(page, text)
            expect(cells(page)).to_have_count(n, timeout=LONG)
            settle(page)
        assert len(model.chats) == 3
        _open_everything(page)
        page.wait_for_function("() => [...document.images].every(i => i.complete)")  # each image loaded or refused
        assert pixel.hits == []  # each names the field that leaked (and csp=injected: the policy let an image in)
        policy = httpx.get(page.url, timeout=10).headers.get("content-security-policy", "")
        assert "img-src 'self' data: blob:" in policy and "default-src 'self'" in policy
        assert httpx.get(health, timeout=10).headers.get("content-security-policy") == policy
