"""Where a request may go: one normal form for base URLs, and the addresses the playground never calls.

Why its own module: a base URL is user input (typed, or named by an imported notebook), so two walls stand
between it and the network. `normalise_base_url` is the one spelling every comparison, allow-list, stored cell
and exported snippet uses; it refuses what could make the URL mean something else than it shows (user:password@,
`?`, `#`, `.`/`..` path segments). `refusal` says whether an IP address is link-local or a cloud's metadata
service, in any spelling (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo). `CheckedTransport` applies it to
the address each connection actually uses, after DNS, so a name that resolves to such an address is refused too,
and the connection goes to the very address that was checked (no second lookup to rebind); `CheckedAsyncTransport`
does the same for httpx2, the HTTP client the MCP SDK uses.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
import ssl
from collections.abc import Callable, Iterable
from typing import Any, NoReturn
from urllib.parse import unquote, urlsplit

import anyio.to_thread
import httpcore
import httpcore2
import httpx
import httpx2

from playground.errors import FieldError, RequestError

__all__ = [
    "BASE_URL_FIELD",
    "CheckedAsyncTransport",
    "CheckedTransport",
    "Resolver",
    "check_host",
    "ip_literal",
    "normalise_base_url",
    "refusal",
]

BASE_URL_FIELD = "base_url"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
"""(host, port) -> the IP addresses a connection to it would use (the test seam for DNS)."""

# Metadata services that are not link-local: Alibaba, Azure's wire server, Oracle's legacy one, AWS's IPv6 one.
_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("100.100.100.200", "168.63.129.16", "192.0.0.192", "fd00:ec2::254", "169.254.169.254")
)
_METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data", "instance-data.ec2.internal"})
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NUMERIC_V4 = re.compile(r"[0-9a-fA-FxX.]+")  # 2852039166, 0xa9fea9fe, 169.254.43518, 0xa9.0xfe.0xa9.0xfe


_UP_TO_V1 = "give the address up to /v1, e.g. http://127.0.0.1:8000/v1."


def _refuse(message: str, code: str) -> NoReturn:
    raise RequestError([FieldError(BASE_URL_FIELD, message, code)])


# ------------------------------------------------------------------------------------ the URL


def normalise_base_url(url: str) -> str:
    """The one spelling of a base URL: scheme and host in lower case, no default port, no trailing slash.

    Raises RequestError on `base_url`, in plain words, for anything else than http(s)://host[:port]/path, and
    for what would make the URL mean something else than it shows: user:password@, a query (`?`), a fragment
    (`#`), `.` or `..` path segments (also percent-encoded), backslashes, spaces and control characters.
    """
    text = url.strip()
    if not text.lower().startswith(("http://", "https://")):
        _refuse("The base URL must start with http:// or https://.", "url_scheme")
    if any(c.isspace() or not c.isprintable() or c == "\\" for c in text):
        _refuse("The base URL cannot contain spaces, control characters or backslashes.", "url_invalid")
    try:
        parts = urlsplit(text)
        parsed = httpx.URL(text)
    except (httpx.InvalidURL, ValueError) as exc:
        _refuse(f"This base URL cannot be read ({exc}); it looks like http://127.0.0.1:8000/v1.", "url_invalid")
    if "@" in parts.netloc:
        _refuse("A base URL cannot carry a user name or password (user:pass@): put the key in the API key box.", "url_userinfo")
    if "?" in text:
        _refuse(f"A base URL cannot have a query (?…): {_UP_TO_V1}", "url_query")
    if "#" in text:
        _refuse(f"A base URL cannot have a fragment (#…): {_UP_TO_V1}", "url_fragment")
    if any(unquote(segment) in (".", "..") for segment in parts.path.split("/")):
        _refuse(
            "A base URL cannot contain . or .. path segments (they change which path is called): write the path out.",
            "url_dot_segment",
        )
    host = parsed.host
    if not host:
        _refuse("The base URL needs a host name, e.g. http://127.0.0.1:8000/v1.", "url_invalid")
    netloc = f"[{host}]" if ":" in host else host
    if parsed.port is not None:
        netloc += f":{parsed.port}"
    return f"{parsed.scheme}://{netloc}{parts.path.rstrip('/')}"


# ------------------------------------------------------------------------------------ the address


def _embedded_v4(address: IPAddress) -> Iterable[IPAddress]:
    """The address, and every IPv4 address an IPv6 one carries (mapped, compatible, NAT64, 6to4, Teredo)."""
    yield address
    if not isinstance(address, ipaddress.IPv6Address):
        return
    if address.ipv4_mapped is not None:
        yield address.ipv4_mapped
    if address.sixtofour is not None:
        yield address.sixtofour
    if address.teredo is not None:
        yield from address.teredo
    plain = ipaddress.IPv6Address(int(address))  # without a scope id, for network membership
    if any(plain in net for net in _NAT64) or (plain in _IPV4_COMPATIBLE and int(plain) > 1):
        yield ipaddress.IPv4Address(int(plain) & 0xFFFFFFFF)


def refusal(address: IPAddress) -> str | None:
    """Why the playground never calls `address` ("… , a link-local address" or "…, a cloud's metadata service"),
    or None."""
    for a in _embedded_v4(address):
        plain = ipaddress.IPv6Address(int(a)) if isinstance(a, ipaddress.IPv6Address) else a  # without a scope id
        name = str(address) if a is address else f"{address} (that is {a})"
        if plain in _METADATA:
            return f"{name}, a cloud's metadata service"
        if plain.is_link_local:
            return f"{name}, a link-local address"
    return None


def ip_literal(host: str) -> IPAddress | None:
    """The IP address a host written as one names, in every spelling the system's resolver accepts, or None."""
    bare = host.strip("[]")
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    if _NUMERIC_V4.fullmatch(bare):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(bare))
        except OSError:
            return None
    return None


def check_host(host: str) -> None:
    """Refuse a host that is, as written, a link-local or metadata address or a metadata host name (no DNS)."""
    address = ip_literal(host)
    reason = refusal(address) if address is not None else None
    if reason is None and host.lower().rstrip(".") in _METADATA_HOSTS:
        reason = f"{host}, a cloud's metadata service"
    if reason is not None:
        _refuse(f"The playground never calls {reason}.", "url_forbidden")


# ------------------------------------------------------------------------------------ the connection


def _system_resolver(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def _checked_addresses(host: str, port: int, resolve: Resolver) -> list[str]:
    """The addresses `host` resolves to, every one of them checked: one bad answer refuses the name, since DNS may
    hand out any of them. Raises RequestError on `base_url` for a refused one, OSError when there is none."""
    check_host(host)
    addresses = [ipaddress.ip_address(a) for a in dict.fromkeys(resolve(host, port))]
    for address in addresses:
        if (reason := refusal(address)) is not None:
            _refuse(f"The playground never calls {host}: it resolves to {reason}.", "url_forbidden")
    if not addresses:
        raise OSError("it resolves to no address")
    return [str(a) for a in addresses]


class _CheckedBackend(httpcore.NetworkBackend):
    """httpcore's own sockets, but every address a name resolves to is checked first, and the connection is made
    to a checked address (TLS still verifies the host name of the URL)."""

    def __init__(self, resolve: Resolver) -> None:
        self._resolve = resolve
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = _checked_addresses(host, port, self._resolve)
        except OSError as exc:
            raise httpcore.ConnectError(f"{host} does not resolve: {exc}") from exc
        last: Exception | None = None
        for address in addresses:
            try:
                return self._backend.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        return self._backend.connect_unix_socket(path, timeout, socket_options)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _CheckedAsyncBackend(httpcore2.AsyncNetworkBackend):
    """`_CheckedBackend` for httpcore2's async sockets (the MCP SDK's HTTP client): the same check, the lookup in
    a worker thread."""

    def __init__(self, resolve: Resolver) -> None:
        self._resolve = resolve
        self._backend = httpcore2.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        try:
            addresses = await anyio.to_thread.run_sync(_checked_addresses, host, port, self._resolve)
        except OSError as exc:
            raise httpcore2.ConnectError(f"{host} does not resolve: {exc}") from exc
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._backend.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore2.ConnectError as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore2.AsyncNetworkStream:
        return await self._backend.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)


@functools.cache
def _tls() -> ssl.SSLContext:
    """The TLS context (certificates and host names checked) every `CheckedTransport` shares: loading the CA
    bundle is the costliest part of building a client, and each page session builds its own."""
    return httpx.create_ssl_context()


@functools.cache
def _tls2() -> ssl.SSLContext:
    """`_tls` for httpx2's transports."""
    return httpx2.create_ssl_context()


class CheckedTransport(httpx.HTTPTransport):
    """httpx's own transport whose connections go only to addresses `refusal` lets through.

    `resolve` is the DNS seam (default: the system's resolver); a refused address raises RequestError on
    `base_url` before any byte is sent.
    """

    def __init__(self, *, resolve: Resolver | None = None) -> None:
        super().__init__(verify=_tls())
        self._pool = httpcore.ConnectionPool(
            ssl_context=_tls(),
            max_connections=_LIMITS.max_connections,
            max_keepalive_connections=_LIMITS.max_keepalive_connections,
            keepalive_expiry=_LIMITS.keepalive_expiry,
            network_backend=_CheckedBackend(resolve or _system_resolver),
        )


class CheckedAsyncTransport(httpx2.AsyncHTTPTransport):
    """`CheckedTransport` for httpx2's async client, the one the MCP SDK speaks streamable HTTP with: the same
    check of every address a connection uses, the same RequestError on `base_url`."""

    def __init__(self, *, resolve: Resolver | None = None) -> None:
        super().__init__(verify=_tls2())
        self._pool = httpcore2.AsyncConnectionPool(
            ssl_context=_tls2(),
            max_connections=_LIMITS.max_connections,
            max_keepalive_connections=_LIMITS.max_keepalive_connections,
            keepalive_expiry=_LIMITS.keepalive_expiry,
            network_backend=_CheckedAsyncBackend(resolve or _system_resolver),
        )
