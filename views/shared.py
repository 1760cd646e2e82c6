"""Wiring the pages share: the embedded model, where requests go, the sidebar, and the open notebook.

Every page draws the same sidebar (backend, model, fields) and works on the notebook the session holds
(`views.session`, whose names are re-exported here). HTTP happens only here and
in the pages, never in components: listing a backend's models is the one request made while drawing.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from components import controls, sidebar, variables_form
from components import state as keys
from playground import backends, errors, mcp, runner
from playground.client import ChatClient, ClientConfig
from playground.evaluate import variables
from playground.library import Library
from playground.notebook import ChatMessage
from playground.price_store import PriceStore
from playground.pricing import Price, PriceKey
from playground.request import Built
from views.session import finish_cell as finish_cell
from views.session import notebook
from views.session import open_notebook as open_notebook
from views.session import save as save
from views.session import show_notice as show_notice
from views.session import show_saved as show_saved

ss = st.session_state


@st.cache_resource(show_spinner="Starting the embedded model…")
def embedded_gateway() -> Any:
    """The one embedded gateway of this process: key-free, shared by every session (already warm under `make run`)."""
    from playground.local import shared_gateway

    return shared_gateway()


def prices() -> dict[PriceKey, Price]:
    """The prices the person set (the rest are `pricing`'s defaults); none when the store cannot be read, which the
    page says where it edits them."""
    try:
        return PriceStore().saved()
    except errors.StoreError:
        return {}


def app_secrets() -> dict[str, Any]:
    """Plain values of .streamlit/secrets.toml, or {} when there is none."""
    try:
        return {k: v for k, v in st.secrets.items() if isinstance(v, str | int | float)}
    except StreamlitSecretNotFoundError:  # no secrets file: not an error here
        return {}


def clients() -> runner.Clients:
    return ss.setdefault(keys.CLIENTS, runner.Clients())


def server_slot(backend_id: str, base_url: str | None) -> str | None:
    """The server a request to `backend_id` at `base_url` goes to (see `backends.server_slot`)."""
    return backends.server_slot(backend_id, base_url, os.environ, app_secrets())


def to_confirm(backend_id: str, base_url: str | None) -> str | None:
    """The server the person must confirm before anything is sent there (a base URL a notebook named), or None."""
    return backends.to_confirm(backend_id, base_url, ss.get(keys.SERVERS_CONFIRMED, set()), os.environ, app_secrets())


confirm = sidebar.confirm_server  # the person chose or confirmed this server: requests may go there from now on


def client_config(backend_id: str, base_url: str | None) -> ClientConfig:
    """Where and how to send to `backend_id` at `base_url`, with only the key typed for that very server."""
    slot = server_slot(backend_id, base_url)
    typed: dict[str, str] = ss.get(keys.API_KEYS, {})
    return backends.resolve(
        backend_id,
        api_key=typed.get(slot) if slot is not None else None,
        base_url=base_url,
        secrets=app_secrets(),
        start_embedded=lambda: embedded_gateway().base_url,
    )


def sidebar_panel(
    shown: errors.RequestError | None, upstream: errors.PlaygroundError | None
) -> tuple[sidebar.Backend, ClientConfig | None, str | None, sidebar.Values]:
    secrets = app_secrets()
    st.subheader("Model", divider="gray")
    choice = sidebar.render_backend(
        default=backends.default_backend(os.environ, secrets),
        key_configured=lambda b, url: backends.configured_key(b, url, os.environ, secrets),
        slot_of=server_slot,
        request_error=shown,
    )
    try:
        config: ClientConfig | None = client_config(choice.id, choice.base_url)
    except errors.RequestError:
        config = None  # the missing key / URL is shown next to its field by the live check
    listed = runner.ModelList()
    unconfirmed = to_confirm(choice.id, choice.base_url) if choice.id == "openai" else None
    if config is not None and unconfirmed is not None:
        # a base URL that came with a notebook: nothing goes there (not even GET /models) until the person says so
        controls.ask_to_use_server(backends.server_words(unconfirmed), functools.partial(confirm, unconfirmed))
    if config is not None and unconfirmed is None:
        cache: dict[str, runner.ModelList] = ss.setdefault(keys.MODELS_CACHE, {})
        slot = runner.model_slot(config)
        if slot not in cache:
            with ChatClient(config.model_copy(update={"max_retries": 0, "timeout": 15.0})) as client:
                cache[slot] = runner.list_models(client)
        listed = cache[slot]
    model, _ = sidebar.render_model(
        listed.models,
        backend_id=choice.id,
        models_error=listed.error,
        request_error=shown,
        upstream=upstream,
        image_models=listed.takes_images(),
    )
    ss[keys.IMAGES_REFUSED] = listed.image_refusal(model, choice.id)
    values = sidebar.render_fields(
        backend_id=choice.id,
        caps=backends.backend(choice.id).capabilities,
        request_error=shown,
        upstream=upstream,
        warn=lambda key, value: listed.warning(model, key, value),
        saved=sidebar.SavedItems(load=lambda kind: Library().list(kind), save_tool=_save_tool, mcp=mcp_servers()),  # type: ignore[arg-type]
    )
    return choice, config, model, values


def mcp_servers() -> mcp.Connections:
    """The MCP servers offered, with the tools this session listed; lists a server's tools when a button asked."""
    conns = ss[keys.MCP] = mcp.Connections.of(os.environ, ss.get(keys.MCP))
    if (wanted := ss.pop(keys.MCP_CONNECT, None)) is not None:
        with st.spinner(f"Listing the tools of {wanted}…"):
            conns.connect(wanted, os.environ, app_secrets())
    return conns


def _save_tool(value: dict[str, Any], item_id: str | None) -> str:
    """Keep a tool in the library: update its item, or add one. Returns the item's id."""
    library = Library()
    item = library.get(item_id) if item_id else None
    if item is not None:
        return library.save(item.model_copy(update={"value": value})).id
    return library.add("tool", value).id


def names_in(conv: list[ChatMessage]) -> list[str]:
    """The variables `conv` uses, in order (a badly named one is said under its message)."""
    return variables.scan(conv)[0]


def filled(conv: list[ChatMessage]) -> tuple[list[ChatMessage], dict[str, str]]:
    """`conv` with the Variables form's values put in, and the values used (see `variables.fill_in`)."""
    return variables.fill_in(conv, variables_form.values())


def prepare(
    values: sidebar.Values,
    model: str | None,
    choice: sidebar.Backend,
    config: ClientConfig | None,
    conv: list[ChatMessage],
    *,
    settings: dict[str, Any] | None = None,
    lookup: bool = True,
    fill: bool = True,
) -> Built:
    """The request `conv` (its variables filled in, see `filled`) and the sidebar's values (or `settings`) make.
    `lookup`: look logit-bias text up with the backend's tokenizer (a request); `fill` False keeps the `{{variables}}`
    (the Evaluate page fills them per test case). Raises RequestError
    (PlaygroundError when the lookup fails)."""
    if config is None:
        client_config(choice.id, choice.base_url)  # raises the RequestError naming the key or URL
    sent = filled(conv)[0] if fill else conv
    return runner.prepare(
        values.settings if settings is None else settings,
        sent,
        model=model,
        logit_bias_rows=values.logit_bias_rows if lookup else (),
        caps=backends.backend(choice.id).capabilities,
        client=clients().get(config) if lookup and config is not None else None,
        found=values.errors,
    )


def live_check(values: sidebar.Values, model: str | None, choice: sidebar.Backend) -> errors.RequestError | None:
    """Every mistake on screen now, without sending anything (logit-bias text is looked up only on Run)."""
    return checked_run(values, model, choice)[0]


def checked_run(
    values: sidebar.Values, model: str | None, choice: sidebar.Backend
) -> tuple[errors.RequestError | None, Built | None]:
    """`live_check`'s mistakes, and the request Run sends when there is none (see `runner.check`)."""
    problems: list[errors.FieldError] = []
    try:
        client_config(choice.id, choice.base_url)
    except errors.RequestError as exc:
        problems.extend(exc.errors)
    sent = notebook().conversation
    try:
        sent = filled(sent)[0]
    except errors.RequestError as exc:
        problems.extend(exc.errors)
    return runner.check(
        values.settings,
        sent,
        model=model,
        caps=backends.backend(choice.id).capabilities,
        found=[*problems, *values.errors],
        lookup_left=bool(values.logit_bias_rows),
    )
