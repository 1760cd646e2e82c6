"""A fake chat-completions server on 127.0.0.1 that remembers every request it gets (method, path, headers).

For tests that must prove what reached a server (or that nothing did), and for faults a real model never makes
(a stream cut off mid-answer). `answer(handler)` decides each response; the default answers 404.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]


Reply = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class FakeServer:
    base_url: str  # ".../v1"
    seen: list[Seen] = field(default_factory=list)
    reply: Reply | None = None


def not_found(handler: BaseHTTPRequestHandler) -> None:
    body = json.dumps({"error": {"message": "nothing here", "type": "not_found"}}).encode()
    handler.send_response(404)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def cut_stream(text: str) -> Reply:
    """Start a streamed answer with `text`, then close the connection without finishing it."""

    def reply(handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        handler.rfile.read(length)
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = {
            "id": "c1",
            "object": "chat.completion.chunk",
            "model": "m",
            "choices": [{"index": 0, "delta": {"content": text}}],
        }
        data = f"data: {json.dumps(chunk)}\n\n".encode()
        handler.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        handler.wfile.flush()
        handler.close_connection = True  # no terminating chunk: the client sees the body end early

    return reply


def deferred(request_id: str) -> Reply:
    """A deferred-completion server that never finishes: POST answers `{"request_id"}`, every poll 202."""

    def reply(handler: BaseHTTPRequestHandler) -> None:
        handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        body = json.dumps({"request_id": request_id}).encode() if handler.command == "POST" else b""
        handler.send_response(200 if handler.command == "POST" else 202)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return reply


XAI_USAGE = {
    "prompt_tokens": 1000,
    "completion_tokens": 50,
    "total_tokens": 1150,
    "prompt_tokens_details": {"cached_tokens": 200},
    "completion_tokens_details": {"reasoning_tokens": 100},
}


def xai_like(model: str = "grok-3-mini", text: str = "Hello from the stand-in.", inputs: tuple[str, ...] = ("text",)) -> Reply:
    """A stand-in for api.x.ai: lists `model` (and in /language-models, that it reads `inputs`), and answers every chat
    request with `text` and `XAI_USAGE` (streamed when asked, as xAI sends it: the usage in a last chunk without
    choices)."""

    def send(handler: BaseHTTPRequestHandler, body: bytes, kind: str) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def reply(handler: BaseHTTPRequestHandler) -> None:
        if handler.command == "GET" and handler.path.rstrip("/").endswith("/language-models"):
            entry = {"id": model, "input_modalities": list(inputs), "output_modalities": ["text"]}
            send(handler, json.dumps({"models": [entry]}).encode(), "application/json")
            return
        if handler.command == "GET" and handler.path.rstrip("/").endswith("/models"):
            send(handler, json.dumps({"object": "list", "data": [{"id": model, "object": "model"}]}).encode(), "application/json")
            return
        if handler.command != "POST" or not handler.path.endswith("/chat/completions"):
            not_found(handler)
            return
        asked = json.loads(handler.rfile.read(int(handler.headers.get("Content-Length") or 0)) or b"{}")
        envelope = {"id": "4f1c2b9e-0000-4000-8000-000000000001", "created": 1, "model": model, "system_fingerprint": "fp_x"}
        if not asked.get("stream"):
            message = {"role": "assistant", "content": text}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            whole = {**envelope, "object": "chat.completion", "choices": [choice], "usage": XAI_USAGE}
            send(handler, json.dumps(whole).encode(), "application/json")
            return
        chunk = {**envelope, "object": "chat.completion.chunk"}
        events = [
            {**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": text}}]},
            {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
            {**chunk, "choices": [], "usage": XAI_USAGE},
        ]
        stream = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
        send(handler, stream.encode(), "text/event-stream")

    return reply


def repeats_words(*, continues: bool) -> Reply:
    """A server asked to repeat words (the user's message after its colon): one that `continues` a last, unfinished
    assistant message answers with the words after it, as llama.cpp does; one that does not starts the words over,
    as a server that only ever begins a new answer does."""

    def reply(handler: BaseHTTPRequestHandler) -> None:
        asked = json.loads(handler.rfile.read(int(handler.headers.get("Content-Length") or 0)) or b"{}")
        messages = asked.get("messages") or []
        words = next((m["content"] for m in messages if m.get("role") == "user"), "").rpartition(":")[2].strip()
        last = messages[-1] if messages else {}
        if continues and last.get("role") == "assistant" and words.startswith(last.get("content", "")):
            words = words[len(last["content"]) :]
        choice = {"index": 0, "message": {"role": "assistant", "content": words}, "finish_reason": "stop"}
        body = json.dumps({"id": "r1", "object": "chat.completion", "created": 1, "model": "m", "choices": [choice]}).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return reply


def refuses(status: int, message: str) -> Reply:
    """Every request answered with `status` and `message` in OpenAI's error shape."""

    def reply(handler: BaseHTTPRequestHandler) -> None:
        handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        body = json.dumps({"error": {"message": message, "type": "invalid_request_error"}}).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return reply


@contextmanager
def fake_server() -> Iterator[FakeServer]:
    """A FakeServer listening on a free 127.0.0.1 port until the block ends."""
    server_box: list[FakeServer] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            fake = server_box[0]
            fake.seen.append(Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
            (fake.reply or not_found)(self)

        do_GET = do_POST = _handle

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet test output
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_box.append(FakeServer(base_url=f"http://127.0.0.1:{httpd.server_address[1]}/v1"))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_box[0]
    finally:
        httpd.shutdown()
        httpd.server_close()
