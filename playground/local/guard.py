"""Who may use the gateway when it is served beside the page (serve.py mounts it at the page's own /v1).

The page may be served to other machines (`make run HOST=0.0.0.0`). Then its /v1 would hand the model to anyone
who can reach the port, so `KeyGuard` lets a request through when it comes from this machine (a loopback
address), or when it carries `Authorization: Bearer <PLAYGROUND_GATEWAY_KEY>`; with no key configured, only this
machine is served. A request from behind a reverse proxy on this machine counts as the address the proxy names in
X-Forwarded-For (uvicorn trusts that header from 127.0.0.1 only). The key is compared in constant time and never
appears in an answer or a log.
"""

from __future__ import annotations

import hmac
import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send

from playground.local.shapes import ApiError

ENV_GATEWAY_KEY = "PLAYGROUND_GATEWAY_KEY"


def is_loopback(host: str | None) -> bool:
    """Whether `host` (a client address as the ASGI server gives it) is this machine's loopback, in any spelling."""
    try:
        ip = ipaddress.ip_address((host or "").split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def bearer(scope: Scope) -> str | None:
    """The token of an `Authorization: Bearer …` header, or None."""
    for name, value in scope.get("headers") or []:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None


class KeyGuard:
    """ASGI middleware: this machine's requests pass; others need the gateway key (none configured: refused)."""

    def __init__(self, app: ASGIApp, key: str | None) -> None:
        self.app = app
        self.key = (key or "").strip() or None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not is_loopback((scope.get("client") or (None,))[0]):
            token = bearer(scope)
            if self.key is None:
                message = f"This API answers only requests from its own machine; set {ENV_GATEWAY_KEY} to serve others."
                await ApiError(403, message, type_="permission_error", code="local_only").response()(scope, receive, send)
                return
            if token is None or not hmac.compare_digest(token.encode(), self.key.encode()):
                message = "Incorrect or missing API key: send `Authorization: Bearer <key>` with this gateway's key."
                await ApiError(401, message, type_="authentication_error", code="invalid_api_key").response()(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)
