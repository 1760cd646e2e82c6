"""Backends: capability flags and resolving a choice + env + secrets + typed key into a ClientConfig."""

from __future__ import annotations

import pytest

from playground import backends
from playground.backends import BACKENDS, XAI_BASE_URL, default_backend, resolve, server_slot
from playground.errors import RequestError

GATEWAY = "http://127.0.0.1:9999/v1"


def _never() -> str:
    raise AssertionError("the embedded gateway must not be started")


def test_three_backends_with_capability_flags() -> None:
    assert set(BACKENDS) == {"embedded", "xai", "openai"}
    for b in BACKENDS.values():
        assert set(b.capabilities.model_dump()) == {
            "streams",
            "tools",
            "logprobs",
            "deferred",
            "tokenize",
            "logit_bias",
            "continues",
        }
    assert BACKENDS["xai"].capabilities.logit_bias is False  # xAI marks it unsupported
    assert BACKENDS["xai"].capabilities.deferred and BACKENDS["embedded"].capabilities.deferred
    assert BACKENDS["openai"].capabilities.deferred is False
    assert BACKENDS["embedded"].capabilities.continues and BACKENDS["xai"].capabilities.continues is None  # xAI: asked
    assert BACKENDS["xai"].needs_key and BACKENDS["openai"].needs_base_url


def test_xai_base_url() -> None:
    assert XAI_BASE_URL == "https://api.x.ai/v1"
    assert BACKENDS["xai"].base_url == XAI_BASE_URL


@pytest.mark.parametrize(
    ("env", "secrets", "expected"),
    [
        ({}, {}, "embedded"),
        ({"XAI_API_KEY": "xai-abc"}, {}, "xai"),
        ({}, {"XAI_API_KEY": "xai-abc"}, "xai"),
        ({"XAI_API_KEY": "  "}, {}, "embedded"),
        ({"XAI_API_KEY": "xai-abc", "PLAYGROUND_BASE_URL": GATEWAY}, {}, "embedded"),
    ],
)
def test_default_backend(env: dict[str, str], secrets: dict[str, str], expected: str) -> None:
    assert default_backend(env, secrets) == expected


def test_embedded_uses_base_url_from_env_without_starting_a_gateway() -> None:
    config = resolve("embedded", env={"PLAYGROUND_BASE_URL": GATEWAY + "/"}, start_embedded=_never)
    assert config.base_url == GATEWAY
    assert config.kind == "embedded"
    assert config.api_key is None


def test_embedded_starts_the_gateway_only_when_needed() -> None:
    started: list[bool] = []

    def start() -> str:
        started.append(True)
        return GATEWAY

    assert resolve("embedded", env={}, start_embedded=start).base_url == GATEWAY
    assert started == [True]


def test_embedded_without_url_or_starter_names_the_base_url() -> None:
    with pytest.raises(RequestError) as info:
        resolve("embedded", env={})
    assert [e.field for e in info.value.errors] == [backends.BASE_URL_FIELD]


def test_xai_key_order_typed_then_env_then_secrets() -> None:
    env = {"XAI_API_KEY": "from-env"}
    secrets = {"XAI_API_KEY": "from-secrets"}
    assert resolve("xai", api_key="typed", env=env, secrets=secrets).api_key.get_secret_value() == "typed"
    assert resolve("xai", env=env, secrets=secrets).api_key.get_secret_value() == "from-env"
    assert resolve("xai", env={}, secrets=secrets).api_key.get_secret_value() == "from-secrets"
    config = resolve("xai", api_key=" typed ", env={})
    assert config.base_url == XAI_BASE_URL and config.kind == "xai"
    assert config.api_key.get_secret_value() == "typed"


def test_xai_ignores_playground_base_url() -> None:
    config = resolve("xai", api_key="k", env={"PLAYGROUND_BASE_URL": GATEWAY})
    assert config.base_url == XAI_BASE_URL


def test_only_the_operator_moves_xai_to_a_stand_in_and_its_key_goes_there() -> None:
    env = {"PLAYGROUND_XAI_BASE_URL": "http://127.0.0.1:9/v1/", "XAI_API_KEY": "k"}
    config = resolve("xai", env=env)
    assert (config.base_url, config.api_key.get_secret_value()) == ("http://127.0.0.1:9/v1", "k")
    assert server_slot("xai", None, env) == "xai|http://127.0.0.1:9/v1"
    assert resolve("xai", api_key="k", base_url="http://elsewhere/v1", env={}).base_url == XAI_BASE_URL  # typed: ignored
    with pytest.raises(RequestError):
        resolve("xai", env={**env, "PLAYGROUND_XAI_BASE_URL": "http://169.254.169.254/v1"})


def test_xai_without_key_is_an_error_on_the_key_field() -> None:
    with pytest.raises(RequestError) as info:
        resolve("xai", api_key="", env={}, secrets={})
    (err,) = info.value.errors
    assert (err.field, err.code) == (backends.API_KEY_FIELD, "missing")


def test_key_never_appears_in_repr_or_errors() -> None:
    config = resolve("xai", api_key="xai-SECRET-123", env={})
    assert "xai-SECRET-123" not in repr(config)
    assert "xai-SECRET-123" not in str(config)


def test_openai_compatible() -> None:
    config = resolve("openai", base_url="http://localhost:8000/v1/", api_key="sk-1", env={})
    assert (config.base_url, config.kind) == ("http://localhost:8000/v1", "openai")
    assert config.api_key.get_secret_value() == "sk-1"
    assert resolve("openai", base_url="http://h/v1", env={}).api_key is None
    assert resolve("openai", env={"PLAYGROUND_BASE_URL": GATEWAY}).base_url == GATEWAY
    # an operator's key without its base URL goes nowhere a visitor types (DESIGN: bound to its own URL)
    assert resolve("openai", base_url="http://h/v1", env={"PLAYGROUND_API_KEY": "k2"}).api_key is None


@pytest.mark.parametrize(("url", "code"), [("", "missing"), ("ftp://x/v1", "url_scheme"), ("localhost:8000", "url_scheme")])
def test_openai_compatible_bad_base_url(url: str, code: str) -> None:
    with pytest.raises(RequestError) as info:
        resolve("openai", base_url=url, env={})
    assert [(e.field, e.code) for e in info.value.errors] == [(backends.BASE_URL_FIELD, code)]


def test_configured_key() -> None:
    assert backends.configured_key("xai", None, {"XAI_API_KEY": "k"}, {})
    assert backends.configured_key("xai", None, {}, {"XAI_API_KEY": "k"})
    assert not backends.configured_key("xai", None, {}, {})
    assert not backends.configured_key("embedded", None, {"XAI_API_KEY": "k"}, {})


def test_an_operator_key_counts_as_configured_only_for_its_own_base_url() -> None:
    env = {"PLAYGROUND_BASE_URL": "http://10.0.0.5:8000/v1", "PLAYGROUND_API_KEY": "operator-secret"}
    assert backends.configured_key("openai", "http://10.0.0.5:8000/v1/", env, {})
    assert backends.configured_key("openai", "", env, {})  # an empty field means the operator's URL
    assert not backends.configured_key("openai", "http://elsewhere.example/v1", env, {})
    assert not backends.configured_key("openai", "http://10.0.0.5:8000/v1", {"PLAYGROUND_API_KEY": "k"}, {})


def test_a_server_named_by_a_notebook_needs_confirming_unless_it_is_the_page_s_own() -> None:
    env = {"PLAYGROUND_BASE_URL": "http://10.0.0.5:8000/v1"}
    assert backends.to_confirm("openai", "http://attacker.example/v1/", set(), env) == "openai|http://attacker.example/v1"
    assert backends.to_confirm("openai", "HTTP://Attacker.example/v1", {"openai|http://attacker.example/v1"}, env) is None
    assert backends.to_confirm("openai", "http://10.0.0.5:8000/v1", set(), env) is None  # the operator's server
    assert backends.to_confirm("embedded", "http://attacker.example/v1", set(), env) is None  # goes to our own gateway
    assert backends.to_confirm("xai", "http://attacker.example/v1", set(), env) == "xai|https://api.x.ai/v1"
    assert backends.server_slot("openai", "http://a/v1/../x") is None


def test_timeout_passes_through() -> None:
    assert resolve("embedded", env={"PLAYGROUND_BASE_URL": GATEWAY}, timeout=5.0).timeout == 5.0


def test_unknown_backend() -> None:
    with pytest.raises(KeyError):
        resolve("nope", env={})


def test_backends_module_does_not_import_streamlit() -> None:
    import playground.backends as mod

    source = open(mod.__file__, encoding="utf-8").read()
    assert "import streamlit" not in source and "from streamlit" not in source


def test_an_operator_key_goes_only_to_its_own_base_url() -> None:
    env = {"PLAYGROUND_BASE_URL": "http://10.0.0.5:8000/v1", "PLAYGROUND_API_KEY": "operator-secret"}
    own = resolve("openai", base_url="http://10.0.0.5:8000/v1/", env=env)
    assert own.api_key is not None and own.api_key.get_secret_value() == "operator-secret"
    other = resolve("openai", base_url="http://attacker.example/v1", env=env)
    assert other.api_key is None
    typed = resolve("openai", base_url="http://attacker.example/v1", api_key="my-own", env=env)
    assert typed.api_key is not None and typed.api_key.get_secret_value() == "my-own"


def test_a_key_with_a_character_no_header_can_carry_is_a_message_on_the_key_field() -> None:
    with pytest.raises(RequestError) as info:
        resolve("xai", api_key="xai-abc\u00e9def", env={})
    (error,) = info.value.errors
    assert error.field == "api_key" and "\u00e9" not in error.message and "abc" not in error.message


def test_an_operator_allow_list_limits_the_servers_a_visitor_may_type() -> None:
    env = {
        "PLAYGROUND_ALLOWED_BASE_URLS": "http://10.0.0.7:8080/v1, https://models.example.com/v1/",
        "PLAYGROUND_BASE_URL": "http://10.0.0.5:8000/v1",
    }
    for ok in (
        "http://10.0.0.7:8080/v1",
        "https://models.example.com/v1/",
        "http://10.0.0.5:8000/v1",
        "http://10.0.0.7:8080/v1/x",
    ):
        assert resolve("openai", base_url=ok, env=env).base_url.startswith(ok.rstrip("/"))
    for refused in (
        "http://10.0.0.7:8080/v10",
        "http://127.0.0.1:8000/v1",
        "https://models.example.com",
        "http://10.0.0.7:8081/v1",
    ):
        with pytest.raises(RequestError) as info:
            resolve("openai", base_url=refused, env=env)
        (error,) = info.value.errors
        assert error.field == "base_url" and error.code == "url_not_allowed" and "http://10.0.0.7:8080/v1" in error.message
    assert resolve("openai", base_url="http://127.0.0.1:8000/v1", env={}).base_url == "http://127.0.0.1:8000/v1"  # no list: open
