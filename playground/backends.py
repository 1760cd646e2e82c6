"""Where requests go: the embedded model, xAI, or any OpenAI-compatible server.

Backends are small records with capability flags (after simonw/llm) so the UI can say what a
backend supports before a run fails. `resolve` turns a backend choice plus what the person
typed, the environment and Streamlit secrets (passed in as a plain mapping: this module never
imports Streamlit) into a `client.ClientConfig`. The API key only ever lives in that config's
`SecretStr`; no message here contains it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping
from typing import Literal

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from playground import addresses
from playground.client import ClientConfig
from playground.errors import FieldError, RequestError

BackendId = Literal["embedded", "xai", "openai"]

XAI_BASE_URL = "https://api.x.ai/v1"
ENV_XAI_API_KEY = "XAI_API_KEY"
ENV_BASE_URL = "PLAYGROUND_BASE_URL"
ENV_API_KEY = "PLAYGROUND_API_KEY"  # key for an OpenAI-compatible server given by PLAYGROUND_BASE_URL
ENV_ALLOWED_BASE_URLS = "PLAYGROUND_ALLOWED_BASE_URLS"  # comma-separated: the only servers a visitor may type
ENV_XAI_BASE_URL = "PLAYGROUND_XAI_BASE_URL"  # the operator's stand-in for api.x.ai (a proxy, or a test server)

# Field paths used in RequestErrors raised here, so the UI can show them next to the right widget.
API_KEY_FIELD = "api_key"
BASE_URL_FIELD = addresses.BASE_URL_FIELD


class Capabilities(BaseModel):
    """What a backend can do; the UI greys out or annotates the rest."""

    model_config = ConfigDict(frozen=True)

    streams: bool = True
    tools: bool = True
    logprobs: bool = True
    deferred: bool = False
    tokenize: bool = False
    logit_bias: bool = True
    continues: bool | None = None  # continues a last, unfinished assistant message (None: ask the server, branch.Probes)


class Backend(BaseModel):
    """One kind of server the playground can talk to."""

    model_config = ConfigDict(frozen=True)

    id: BackendId
    label: str
    description: str
    capabilities: Capabilities
    needs_key: bool = False
    needs_base_url: bool = False
    base_url: str | None = None  # fixed URL, when the backend has one


BACKENDS: dict[BackendId, Backend] = {
    b.id: b
    for b in (
        Backend(
            id="embedded",
            label="Embedded model (offline)",
            description="SmolLM2-135M running on this machine through llama.cpp; no key, no internet.",
            capabilities=Capabilities(deferred=True, tokenize=True, continues=True),
        ),
        Backend(
            id="xai",
            label="xAI (api.x.ai)",
            description="xAI's hosted Grok models; needs an API key from console.x.ai.",
            capabilities=Capabilities(deferred=True, tokenize=True, logit_bias=False),
            needs_key=True,
            base_url=XAI_BASE_URL,
        ),
        Backend(
            id="openai",
            label="OpenAI-compatible server",
            description="Any server speaking /v1/chat/completions (vLLM, llama.cpp, Ollama, ...).",
            capabilities=Capabilities(),
            needs_base_url=True,
        ),
    )
}


def backend(backend_id: str) -> Backend:
    """The backend named `backend_id`; a KeyError names it when unknown."""
    return BACKENDS[backend_id]  # type: ignore[index]


def _clean(value: object) -> str | None:
    """A non-empty stripped string, or None."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _lookup(name: str, env: Mapping[str, str], secrets: Mapping[str, object]) -> str | None:
    """A setting from the environment first, then from Streamlit secrets."""
    return _clean(env.get(name)) or _clean(secrets.get(name))


def default_backend(env: Mapping[str, str] | None = None, secrets: Mapping[str, object] | None = None) -> BackendId:
    """xAI when a key is configured and no local base URL is; the embedded model otherwise."""
    env = os.environ if env is None else env
    secrets = secrets or {}
    if _lookup(ENV_BASE_URL, env, secrets):
        return "embedded"
    if _lookup(ENV_XAI_API_KEY, env, secrets):
        return "xai"
    return "embedded"


def configured_key(
    backend_id: str,
    base_url: str | None = None,
    env: Mapping[str, str] | None = None,
    secrets: Mapping[str, object] | None = None,
) -> bool:
    """Whether a key configured outside the page (env or secrets) would go with a request to `backend_id` at
    `base_url`: xAI's to xAI; `PLAYGROUND_API_KEY` only to `PLAYGROUND_BASE_URL` (an empty `base_url` means it)."""
    env = os.environ if env is None else env
    secrets = secrets or {}
    if backend_id == "xai":
        return _lookup(ENV_XAI_API_KEY, env, secrets) is not None
    if backend_id == "openai":
        operator_url = _normal_or_none(_lookup(ENV_BASE_URL, env, secrets))
        wanted = _normal_or_none(_clean(base_url)) if _clean(base_url) else operator_url
        return _lookup(ENV_API_KEY, env, secrets) is not None and operator_url is not None and wanted == operator_url
    return False


def server_slot(
    backend_id: str, base_url: str | None, env: Mapping[str, str] | None = None, secrets: Mapping[str, object] | None = None
) -> str | None:
    """The server a typed key and a person's confirmation belong to, where `resolve` would send the request:
    "xai|https://api.x.ai/v1" or "openai|<base URL in normal form>" (an empty one means `PLAYGROUND_BASE_URL`);
    None for the embedded model (this machine's own, whatever a cell says) and for an OpenAI-compatible base URL
    that is missing or cannot be one."""
    env = os.environ if env is None else env
    if backend_id == "xai":
        return f"xai|{xai_base_url(env, secrets or {})}"
    if backend_id == "openai":
        url = _normal_or_none(_clean(base_url) or _lookup(ENV_BASE_URL, env, secrets or {}))
        return f"openai|{url}" if url else None
    return None


def server_words(slot: str) -> str:
    """A server slot as a person reads it: its base URL ("xAI" for xAI's)."""
    kind, _, url = slot.partition("|")
    return "xAI (api.x.ai)" if kind == "xai" else url


def to_confirm(
    backend_id: str,
    base_url: str | None,
    confirmed: Collection[str],
    env: Mapping[str, str] | None = None,
    secrets: Mapping[str, object] | None = None,
) -> str | None:
    """The server a person must confirm before anything is sent to `backend_id` at `base_url` (its
    `server_slot`), or None: the embedded model, a server in `confirmed`, and the operator's `PLAYGROUND_BASE_URL`
    need no confirming. A notebook from elsewhere names servers; it never chooses where a request goes by itself."""
    env = os.environ if env is None else env
    slot = server_slot(backend_id, base_url, env, secrets)
    if slot is None or slot in confirmed:
        return None
    operator_url = _normal_or_none(_lookup(ENV_BASE_URL, env, secrets or {}))
    if operator_url is not None and slot == f"openai|{operator_url}":
        return None
    return slot


def resolve(
    backend_id: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    env: Mapping[str, str] | None = None,
    secrets: Mapping[str, object] | None = None,
    start_embedded: Callable[[], str] | None = None,
    timeout: float | None = None,
) -> ClientConfig:
    """The client configuration for a backend.

    `api_key` and `base_url` are what the person typed (they win over env and secrets).
    For the embedded backend, `PLAYGROUND_BASE_URL` names an already running gateway;
    otherwise `start_embedded()` is called (lazily: only when needed) and returns one's base URL.
    Raises RequestError naming `api_key` or `base_url` when something required is missing.
    """
    env = os.environ if env is None else env
    secrets = secrets or {}
    b = backend(backend_id)
    extra = {} if timeout is None else {"timeout": timeout}

    if b.id == "embedded":
        url = _lookup(ENV_BASE_URL, env, secrets)
        if url is None:
            if start_embedded is None:
                raise RequestError(
                    [
                        FieldError(
                            BASE_URL_FIELD,
                            "The embedded model is not running and cannot be started here; set PLAYGROUND_BASE_URL.",
                            "missing",
                        )
                    ]
                )
            url = start_embedded()
        return ClientConfig(base_url=check_base_url(url), kind="embedded", **extra)

    if b.id == "xai":
        key = _clean(api_key) or _lookup(ENV_XAI_API_KEY, env, secrets)
        if key is None:
            raise RequestError(
                [
                    FieldError(
                        API_KEY_FIELD,
                        "xAI needs an API key: paste it here, or set "
                        "XAI_API_KEY in the environment or in .streamlit/secrets.toml.",
                        "missing",
                    )
                ]
            )
        url = xai_base_url(env, secrets)
        return ClientConfig(base_url=url, api_key=SecretStr(_checked_key(key)), kind="xai", **extra)

    url = _clean(base_url) or _lookup(ENV_BASE_URL, env, secrets)
    if url is None:
        raise RequestError([FieldError(BASE_URL_FIELD, "Give the server's base URL, e.g. http://127.0.0.1:8000/v1.", "missing")])
    url = check_base_url(url)
    operator_url = _normal_or_none(_lookup(ENV_BASE_URL, env, secrets))
    _check_allowed(url, _lookup(ENV_ALLOWED_BASE_URLS, env, secrets), operator_url)
    key = _clean(api_key)
    if key is None and operator_url == url:
        key = _lookup(ENV_API_KEY, env, secrets)  # an operator's key goes only to the URL it was configured for
    return ClientConfig(base_url=url, api_key=SecretStr(_checked_key(key)) if key else None, kind="openai", **extra)


def xai_base_url(env: Mapping[str, str], secrets: Mapping[str, object]) -> str:
    """Where xAI's requests (and xAI keys) go: api.x.ai, unless the operator set `PLAYGROUND_XAI_BASE_URL` (a proxy
    in front of it, or a test server); never a URL a person typed or a notebook named."""
    override = _lookup(ENV_XAI_BASE_URL, env, secrets)
    return check_base_url(override) if override else XAI_BASE_URL


def check_base_url(url: str) -> str:
    """A base URL a person typed, in its one normal form (`addresses.normalise_base_url`): http(s), nothing that
    changes what it names, and never a link-local or cloud-metadata address in any spelling (as written; the
    transport checks the address each connection resolves to). Raises RequestError on `base_url` in plain words.
    """
    normal = addresses.normalise_base_url(url)
    addresses.check_host(httpx.URL(normal).host)
    return normal


def check_visitor_url(url: str, env: Mapping[str, str], secrets: Mapping[str, object]) -> str:
    """A URL a visitor typed for a server of any kind (a model server, an MCP server): `check_base_url`'s rules,
    and on a shared deployment only a server the operator listed. Raises RequestError on `base_url`."""
    normal = check_base_url(url)
    _check_allowed(normal, _lookup(ENV_ALLOWED_BASE_URLS, env, secrets), _normal_or_none(_lookup(ENV_BASE_URL, env, secrets)))
    return normal


def _normal_or_none(url: str | None) -> str | None:
    """An operator's URL in normal form; None when it is missing or cannot be one (it then matches nothing)."""
    try:
        return addresses.normalise_base_url(url) if url else None
    except RequestError:
        return None


def _check_allowed(url: str, allowed: str | None, operator_url: str | None) -> None:
    """On a shared deployment the operator lists the servers visitors may use; `PLAYGROUND_BASE_URL` is one.

    `url` and `operator_url` are in normal form. A URL is allowed when it is a listed one or lies under it
    (`http://h:8000/v1` allows `…/v1/x`, not `…/v10` nor `…/v1/../admin`, which never gets this far).
    With no list, any URL that `check_base_url` accepts goes.
    """
    if allowed is None:
        return
    listed = [u for u in (_normal_or_none(u.strip()) for u in allowed.split(",")) if u]
    if operator_url:
        listed.append(operator_url)
    wanted = url
    if any(wanted == u or wanted.startswith(u + "/") for u in listed):
        return
    raise RequestError(
        [
            FieldError(
                BASE_URL_FIELD,
                "This playground only calls the servers its operator listed: " + ", ".join(listed) + ".",
                "url_not_allowed",
            )
        ]
    )


def _checked_key(key: str) -> str:
    """A key fit for an HTTP header: printable ASCII. The message never repeats the key."""
    if not key.isascii() or not key.isprintable():
        raise RequestError(
            [
                FieldError(
                    API_KEY_FIELD,
                    "This key has a character an API key cannot have (only plain "
                    "letters, digits and punctuation): check what was pasted.",
                    "key_invalid",
                )
            ]
        )
    return key
