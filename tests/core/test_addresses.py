"""playground.addresses: one normal form for base URLs, and no link-local or metadata address in any spelling,
checked where the connection is made (after DNS). Offline: DNS answers come from the resolver seam."""

from __future__ import annotations

import httpx
import pytest

from playground import addresses, backends
from playground.addresses import CheckedTransport, normalise_base_url
from playground.client import ChatClient, ClientConfig
from playground.errors import RequestError
from tests.fake_server import fake_server

METADATA_SPELLINGS = [
    "169.254.169.254",
    "[::ffff:169.254.169.254]",
    "[::ffff:a9fe:a9fe]",
    "[::169.254.169.254]",
    "[64:ff9b::a9fe:a9fe]",
    "2852039166",
    "0xa9fea9fe",
    "169.254.43518",
    "0xa9.0xfe.0xa9.0xfe",
    "[fd00:ec2::254]",  # AWS's IPv6 metadata service
    "100.100.100.200",  # Alibaba's
    "[2002:a9fe:a9fe::1]",  # 6to4 around 169.254.169.254
    "[fe80::1]",
]


def codes(info: pytest.ExceptionInfo[RequestError]) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in info.value.errors]


@pytest.mark.parametrize("host", METADATA_SPELLINGS)
def test_every_spelling_of_a_metadata_address_is_refused_next_to_the_field(host: str) -> None:
    with pytest.raises(RequestError) as info:
        backends.resolve("openai", base_url=f"http://{host}/v1", env={})
    assert codes(info) == [("base_url", "url_forbidden")]
    assert "never calls" in info.value.errors[0].message


@pytest.mark.parametrize("host", METADATA_SPELLINGS)
def test_the_client_refuses_every_spelling_before_sending_even_past_the_field_check(host: str) -> None:
    with ChatClient(ClientConfig(base_url=f"http://{host}/v1", max_retries=0, timeout=5)) as client:
        with pytest.raises(RequestError) as info:
            client.models()
    assert codes(info) == [("base_url", "url_forbidden")]


def test_a_name_that_resolves_to_a_metadata_address_is_refused_by_the_transport() -> None:
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return ["10.1.2.3", "::ffff:169.254.169.254"]  # one bad answer among good ones is enough

    config = ClientConfig(base_url="http://models.example.test:8000/v1", max_retries=0, timeout=5)
    with ChatClient(config, transport=CheckedTransport(resolve=resolve)) as client, pytest.raises(RequestError) as info:
        client.models()
    assert asked == [("models.example.test", 8000)]
    assert codes(info) == [("base_url", "url_forbidden")]
    assert "models.example.test: it resolves to ::ffff:a9fe:a9fe (that is 169.254.169.254), a cloud's metadata" in str(info.value)


def test_the_connection_goes_to_the_address_that_was_checked() -> None:
    with fake_server() as server:
        port = int(server.base_url.rsplit(":", 1)[1].split("/")[0])
        transport = CheckedTransport(resolve=lambda host, _port: ["127.0.0.1"])
        config = ClientConfig(base_url=f"http://printer.example.test:{port}/v1", max_retries=0, timeout=5)
        with ChatClient(config, transport=transport) as client, pytest.raises(Exception, match="404"):
            client.models()
    assert [(s.path, s.headers["host"]) for s in server.seen] == [("/v1/models", f"printer.example.test:{port}")]


def test_a_name_that_does_not_resolve_is_a_network_error() -> None:
    def resolve(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    config = ClientConfig(base_url="http://nowhere.example.test/v1", max_retries=0, timeout=5)
    with ChatClient(config, transport=CheckedTransport(resolve=resolve)) as client:
        with pytest.raises(Exception, match="Could not reach the server"):
            client.models()


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://allowed:8823/v1/../admin", "url_dot_segment"),
        ("http://allowed:8823/v1/%2e%2e/admin", "url_dot_segment"),
        ("http://allowed:8823/./v1", "url_dot_segment"),
        ("http://allowed:8823/v1#frag", "url_fragment"),
        ("http://allowed:8823/v1?x=1", "url_query"),
        ("http://user:pass@allowed:8823/v1", "url_userinfo"),
        ("http://allowed:8823\\@evil/v1", "url_invalid"),
        ("ftp://allowed/v1", "url_scheme"),
    ],
)
def test_what_would_change_the_url_s_meaning_is_refused_on_the_field(url: str, code: str) -> None:
    with pytest.raises(RequestError) as info:
        backends.resolve("openai", base_url=url, env={"PLAYGROUND_ALLOWED_BASE_URLS": "http://allowed:8823/v1"})
    assert codes(info) == [("base_url", code)]


def test_dot_segments_do_not_pass_the_allow_list() -> None:
    env = {"PLAYGROUND_ALLOWED_BASE_URLS": "http://allowed:8823/v1"}
    with pytest.raises(RequestError):
        backends.resolve("openai", base_url="http://allowed:8823/v1/../admin", env=env)
    assert backends.resolve("openai", base_url="HTTP://Allowed:8823/v1/", env=env).base_url == "http://allowed:8823/v1"


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("HTTP://LocalHost:8000/v1/", "http://localhost:8000/v1"),
        ("http://h:80/v1", "http://h/v1"),
        ("https://h:443/v1", "https://h/v1"),
        ("http://[::1]:8000/v1", "http://[::1]:8000/v1"),
        (" https://api.x.ai/v1 ", "https://api.x.ai/v1"),
    ],
)
def test_the_normal_form(url: str, normal: str) -> None:
    assert normalise_base_url(url) == normal
    assert normalise_base_url(normal) == normal


def test_public_names() -> None:
    assert all(hasattr(addresses, name) for name in addresses.__all__)


def test_a_plain_address_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    for host in ("127.0.0.1", "10.0.0.5", "[::1]", "localhost", "cafe.be"):
        assert backends.check_base_url(f"http://{host}/v1") == f"http://{host}/v1"
    assert isinstance(CheckedTransport(), httpx.HTTPTransport)


def test_clients_share_one_tls_context_that_still_checks_certificates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading the CA bundle is the costliest part of building a client (each page session builds its own), so
    every checked transport, sync and async, uses one context loaded once; it still verifies certificates and
    host names."""
    import ssl

    CheckedTransport(), addresses.CheckedAsyncTransport()  # the first of each kind loads the bundle
    loads: list[object] = []
    real = ssl.SSLContext.load_verify_locations
    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", lambda self, *a, **k: loads.append(a) or real(self, *a, **k))
    sync, other = CheckedTransport(), ChatClient(ClientConfig(kind="openai", base_url="https://api.example.test/v1"))
    asynchronous = addresses.CheckedAsyncTransport()
    assert loads == []
    contexts = {id(sync._pool._ssl_context), id(other._http._transport._pool._ssl_context)}
    assert len(contexts) == 1
    for ctx in (sync._pool._ssl_context, asynchronous._pool._ssl_context):
        assert ctx.verify_mode is ssl.CERT_REQUIRED and ctx.check_hostname
