"""The page as served: Streamlit running app.py behind a Content-Security-Policy, and the embedded model's
xAI-compatible API at the page's own /v1.

`streamlit run serve.py` (what `make run` and the browser tests do) finds `app` below. The policy is the second
wall behind components/text.py: if an untrusted string ever slipped through as Markdown, the browser still loads
images, scripts, styles, fonts, frames and connections only from the page's own origin (plus data:/blob: images,
which cannot reach a network). Further routes go in `ROUTES` and get the same header.

Unless PLAYGROUND_BASE_URL names a gateway elsewhere, the embedded gateway is mounted at /v1 (`ROUTES`): one
process, one port for the page and the API. The lifespan loads the model and imports the pages' modules before
the server answers anything, so the health check (/_stcore/health) answers once a first view will be quick.
Requests to /v1 from other machines need PLAYGROUND_GATEWAY_KEY (playground/local/guard.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
from collections.abc import AsyncIterator

import anyio.to_thread
import streamlit as st
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from streamlit import config

from playground import backends
from playground.local import MountedGateway, mount
from playground.local.guard import ENV_GATEWAY_KEY

# Streamlit's frontend needs inline styles and scripts, and Vega's expression compiler needs eval.
POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' data: blob:",
        "connect-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "frame-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    )
)


class ContentSecurityPolicy:
    """ASGI middleware: every HTTP response carries `POLICY` (the page, its scripts and the API alike)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Content-Security-Policy"] = POLICY
            await send(message)

        await self.app(scope, receive, with_policy)


# What the pages import (pandas and Altair among them), in the order they import it (compare_setup before compare_view,
# as views/compare.py does): the slowest part of a first view after the model.
PAGE_MODULES = (
    "views.shared",
    "components.cells",
    "components.charts",
    "components.chart_views",
    "components.controls",
    "components.tool_form",
    "components.compare_setup",
    "components.compare_view",
)


def page_base_url() -> str:
    """The API's address as people use it on this machine: http://localhost:<the page's port>/v1, or the host the
    page was told to serve on when that is a name or address of its own (not a wildcard)."""
    address = (config.get_option("server.address") or "").strip()
    host = "localhost" if address in ("", "0.0.0.0", "::", "127.0.0.1", "localhost") else address
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{config.get_option('server.port')}/v1"


def warm_pages() -> None:
    for name in PAGE_MODULES:
        importlib.import_module(name)


GATEWAY: MountedGateway | None = (
    None if os.environ.get(backends.ENV_BASE_URL) else MountedGateway(page_base_url(), key=os.environ.get(ENV_GATEWAY_KEY))
)
ROUTES: list[BaseRoute] = [] if GATEWAY is None else [Mount("/v1", app=GATEWAY.app)]


@contextlib.asynccontextmanager
async def lifespan(_app: st.App) -> AsyncIterator[None]:
    """Before the server answers: the pages' modules imported and the model loaded (side by side); after: unloaded."""
    if GATEWAY is None:
        await anyio.to_thread.run_sync(warm_pages)
        yield
        return
    await asyncio.gather(GATEWAY.start(), anyio.to_thread.run_sync(warm_pages))
    mount(GATEWAY)
    try:
        yield
    finally:
        mount(None)
        await GATEWAY.stop()


app = st.App("app.py", routes=ROUTES, middleware=[Middleware(ContentSecurityPolicy)], lifespan=lifespan)
