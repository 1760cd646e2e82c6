"""The embedded backend: llama.cpp (`engine`) behind an xAI-compatible gateway (`server`).

Modules, one idea each:
- `engine`: loads the GGUF into llama.cpp (xllamacpp) and holds its server;
- `server`: the Starlette app (`create_app`) and `Gateway`, its endpoints and n-choice fan-out;
- `settings`: `GatewaySettings`, every knob with its bounds;
- `limits`: what one request may cost (body size and time, nesting, schema cost, lengths);
- `slots`: llama.cpp's parallel slots shared fairly among requests;
- `deferred`: deferred requests, each result fetched once;
- `memory`: free heap handed back to the OS once idle;
- `upstream`: one choice's body and events from llama.cpp (in-process or over its HTTP server);
- `shapes`: OpenAI/xAI answer shapes (error body, usage, logprobs, tokenize items);
- `tools`: tool calling translated into a grammar-constrained answer.

- `guard`: who may use the gateway when it is served beside the page (this machine, or with the gateway key).

Served beside the page (`make run`): serve.py builds a `MountedGateway`, mounts its `app` at the page's own /v1,
starts it in the page server's lifespan and registers it with `mount()`; `shared_gateway()` then returns it, so the
page, its exported code and any OpenAI/xAI client use one address (http://localhost:8501/v1).
Elsewhere (AppTest, the tests, benchmarks) `start_gateway()` loads the model in the calling thread, so a bad GGUF
fails loudly right there, then serves the gateway with uvicorn on a free 127.0.0.1 port from a daemon thread.
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from starlette.types import ASGIApp

from playground.local import server
from playground.local.engine import Engine, find_gguf, model_id_for
from playground.local.guard import KeyGuard
from playground.local.server import create_app
from playground.local.settings import GatewaySettings, page_settings

__all__ = [
    "Engine",
    "Gateway",
    "GatewaySettings",
    "MountedGateway",
    "create_app",
    "find_gguf",
    "model_id_for",
    "mount",
    "shared_gateway",
    "start_gateway",
]


class Gateway:
    """A running gateway: `.base_url` ("http://127.0.0.1:PORT/v1"), `.engine`, `.app`, `.close()`.

    With `engine`, it serves that already loaded model (and leaves it running on close): a test that needs
    other gateway settings gets its own gateway without a second model load.
    """

    def __init__(
        self,
        settings: GatewaySettings,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        startup_timeout_s: float = 60.0,
        engine: Engine | None = None,
    ) -> None:
        self.settings = settings
        self._owns_engine = engine is None
        self.engine = engine or Engine(
            settings.gguf, n_parallel=settings.n_parallel, n_ctx=settings.n_ctx, threads=settings.threads
        )
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            self.host, self.port = sock.getsockname()[:2]
            self.app = app = create_app(settings, engine=self.engine)
            config = uvicorn.Config(
                app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=3, ws="none"
            )
            self._server = uvicorn.Server(config)
            self._thread = threading.Thread(
                target=self._server.run, kwargs={"sockets": [sock]}, name="playground-gateway", daemon=True
            )
            self._thread.start()
            deadline = time.monotonic() + startup_timeout_s
            while not self._server.started:
                if not self._thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError("The embedded gateway did not start")
                time.sleep(0.02)
        except BaseException:
            if self._owns_engine:
                self.engine.close()
            raise
        self._sock = sock

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def model_id(self) -> str:
        return self.settings.model_id or self.engine.model_id

    def close(self) -> None:
        """Stop serving, then unload the model. Safe to call twice."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
        if self._owns_engine:
            self.engine.close()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_gateway(
    settings: GatewaySettings | None = None, *, host: str = "127.0.0.1", port: int = 0, engine: Engine | None = None
) -> Gateway:
    """Load the model (unless `engine` is given) and serve the gateway in the background; returns once it answers."""
    return Gateway(settings or GatewaySettings(), host=host, port=port, engine=engine)


class MountedGateway:
    """The gateway served by another app's server (the page's, at its /v1): `.app` to mount, `start()`/`stop()` from
    that server's lifespan, `.base_url` the address people and the page use."""

    def __init__(self, base_url: str, *, key: str | None = None, settings: GatewaySettings | None = None) -> None:
        self.base_url = base_url
        self.gateway = server.Gateway(settings or page_settings(), None)
        self.app: ASGIApp = KeyGuard(server.create_api(self.gateway), key)

    async def start(self) -> None:
        """Load the model (in a worker thread) and get ready to answer."""
        await self.gateway.startup()

    async def stop(self) -> None:
        await self.gateway.shutdown()

    @property
    def model_id(self) -> str:
        return self.gateway.model_id


_shared: Gateway | MountedGateway | None = None
_shared_lock = threading.Lock()


def mount(gateway: MountedGateway | None) -> None:
    """Make `gateway` (started) the process's embedded gateway, or forget it (None) when its server stops."""
    global _shared
    with _shared_lock:
        _shared = gateway


def shared_gateway() -> Gateway | MountedGateway:
    """The process's one embedded gateway: the one mounted beside the page, else one started by the first caller
    (later callers wait for it)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = start_gateway(page_settings())
        return _shared
