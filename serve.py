"""The page as served: Streamlit running app.py behind a Content-Security-Policy.

`streamlit run serve.py` (what `make run` and the browser tests do) finds `app` below. The policy is the second
wall behind components/text.py: if an untrusted string ever slipped through as Markdown, the browser still loads
images, scripts, styles, fonts, frames and connections only from the page's own origin (plus data:/blob: images,
which cannot reach a network). Further routes (e.g. the embedded gateway at /v1) go in `ROUTES`.
"""

from __future__ import annotations

import streamlit as st
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


ROUTES: list[BaseRoute] = []

app = st.App("app.py", routes=ROUTES, middleware=[Middleware(ContentSecurityPolicy)])
