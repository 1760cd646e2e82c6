"""The sidebar, generated from `playground.fields.sections()`.

One widget per field, chosen by its `Kind`; label, help, default and bounds all come from
fields.py. Values are remembered under the non-widget key `state.SETTINGS` so they survive page
switches. The sidebar returns raw UI values; `playground.request.build_request` validates them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from components import errors as error_view
from components import schema_field, tool_form, tools_field
from components import state as keys
from components.text import plain, safe_inline
from playground import backends, errors, examples, fields, mcp
from playground.fields import Field, Kind
from playground.notebook import Cell

EXAMPLE_SCHEMA = examples.WEATHER_SCHEMA
EXAMPLE_TOOLS = [examples.GET_WEATHER]


@dataclass
class Backend:
    """What the person chose for where requests go. `api_key` stays in this session only."""

    id: str
    api_key: str | None
    base_url: str | None


@dataclass
class Values:
    """What the sidebar holds: raw settings for build_request, plus problems found while reading them."""

    settings: dict[str, Any]
    logit_bias_rows: list[dict[str, Any]] = dc_field(default_factory=list)
    errors: list[errors.FieldError] = dc_field(default_factory=list)


@dataclass(frozen=True)
class SavedItems:
    """The tool library as the sidebar offers it ("Add a tool", "Start from…"); the view says how to read and
    keep its items, and the sidebar reads a kind only where it draws it."""

    load: Callable[[str], Sequence[Any]] = lambda kind: ()  # "tool" / "schema" -> library.LibraryItems
    save_tool: Callable[[dict[str, Any], str | None], str] | None = None  # (value, item id) -> item id
    mcp: mcp.Connections | None = None  # the MCP servers offered, and the tools this session listed


def _saved(saved: SavedItems, kind: str) -> Sequence[Any]:
    """The saved items of `kind`; none, and a word why, when the store cannot be read."""
    try:
        return saved.load(kind)
    except errors.StoreError as exc:
        st.caption(f":material/warning: Your saved {kind}s cannot be read now: {plain(str(exc))}")
        return []


def _store() -> dict[str, Any]:
    return st.session_state.setdefault(keys.SETTINGS, {})


def _seed(field_key: str, widget_key: str, default: Any) -> None:
    """Give a widget its remembered value (or the field's default) before it is drawn."""
    if widget_key not in st.session_state:
        st.session_state[widget_key] = _store().get(field_key, default)


def _remember(field_key: str, value: Any) -> Any:
    _store()[field_key] = value
    return value


# --- backend and model --------------------------------------------------------------
def confirm_server(slot: str | None) -> None:
    """The person chose this server (typed its URL or a key for it, ran on it, or confirmed it): requests may go there
    from now on in this session."""
    if slot is not None:
        st.session_state.setdefault(keys.SERVERS_CONFIRMED, set()).add(slot)


def _url_typed(backend_id: str, slot_of: Callable[[str, str | None], str | None]) -> None:
    """The person typed a base URL: that server is theirs to use. A value the browser merely sent again (the box
    was on screen while the page changed) is the one already remembered, and confirms nothing."""
    typed = (st.session_state.get(keys.BASE_URL) or "").strip()
    if typed != (_store().get("base_url") or "").strip():
        confirm_server(slot_of(backend_id, typed))


def _key_box(b: backends.Backend, base_url: str | None, slot: str | None, configured: bool) -> str | None:
    """The API key box, showing the key typed for this very server (`slot`); a key typed here is kept for it
    alone, so switching backend or base URL never carries a key to another server."""
    ss = st.session_state
    typed: dict[str, str] = ss.setdefault(keys.API_KEYS, {})
    if keys.API_KEY not in ss or ss.get(keys.API_KEY_FOR) != slot:
        ss[keys.API_KEY] = typed.get(slot, "") if slot else ""
        ss[keys.API_KEY_FOR] = slot
    server = b.base_url or (base_url or "").strip() or "this server"
    help_text = f"Sent only to {server}, kept only in this browser session, never saved or shown."
    if configured:
        help_text += " When this is empty, the key set for this server in the environment or secrets is used."
    key = st.text_input(
        "API key",
        type="password",
        key=keys.API_KEY,
        disabled=slot is None,
        help=help_text if slot is not None else "Give the base URL first: a key belongs to the server it is typed for.",
        placeholder="set in environment" if configured else ("optional" if not b.needs_key else ""),
    )
    if slot is not None:
        if key:
            typed[slot] = key
            confirm_server(slot)
        else:
            typed.pop(slot, None)
    return key or None


def _follow_page() -> None:
    """Another page drew the sidebar last: Streamlit keys a widget by its page, so the state of the same widget on
    that page does not carry over (it would fall back to the widget's default). Every sidebar widget re-seeds from
    the remembered settings instead, as after a Fork."""
    ctx = get_script_run_ctx()
    page = ctx.page_script_hash if ctx is not None else None
    if st.session_state.get(keys.SIDEBAR_PAGE, page) != page:
        forget_widgets()
        tool_form.forget(keys.SIDEBAR_TOOLS + ".")
        tool_form.forget(keys.SIDEBAR_SCHEMA + ".")
    st.session_state[keys.SIDEBAR_PAGE] = page


def render_backend(
    *,
    default: str,
    key_configured: Callable[[str, str | None], bool],
    slot_of: Callable[[str, str | None], str | None],
    request_error: errors.RequestError | None = None,
) -> Backend:
    """Backend choice, and the key / base URL it needs. `key_configured(backend, base URL)` says whether a key
    from outside the page goes there; `slot_of(backend, base URL)` names the server a typed key belongs to."""
    _follow_page()
    ids = list(backends.BACKENDS)
    _seed("backend", keys.BACKEND, default)
    chosen = st.selectbox(
        "Backend",
        ids,
        key=keys.BACKEND,
        format_func=lambda i: backends.BACKENDS[i].label,  # type: ignore[index]
        help="Where requests go. The embedded model runs on this machine without a key.",
    )
    b = backends.backend(_remember("backend", chosen))
    st.caption(b.description)
    api_key: str | None = None
    base_url: str | None = None
    if b.needs_base_url:
        _seed("base_url", keys.BASE_URL, "")
        typed_url = st.text_input(
            "Base URL",
            key=keys.BASE_URL,
            placeholder="http://127.0.0.1:8000/v1",
            on_change=_url_typed,
            args=(b.id, slot_of),
        )
        base_url = _remember("base_url", typed_url)
        error_view.show_field(request_error, backends.BASE_URL_FIELD)
    if b.needs_key or b.needs_base_url:
        api_key = _key_box(b, base_url, slot_of(b.id, base_url), key_configured(b.id, base_url))
        error_view.show_field(request_error, backends.API_KEY_FIELD)
    return Backend(id=b.id, api_key=api_key, base_url=base_url)


def render_model(
    models: Sequence[str],
    *,
    backend_id: str,
    models_error: str | None = None,
    request_error: errors.RequestError | None = None,
    upstream: errors.PlaygroundError | None = None,
    image_models: Collection[str] = (),
) -> tuple[str | None, bool]:
    """Model selectbox filled from the backend's list, free text allowed; the models the server says read images
    are marked. Returns (model, refresh clicked).

    The model is remembered per backend, so switching backends never sends one backend's model to another.
    """
    f = fields.field("model")
    options = list(models)
    slot = f"model.{backend_id}"
    ss = st.session_state
    switched = keys.MODEL_FOR in ss and ss[keys.MODEL_FOR] != backend_id
    if switched or ss.get(keys.MODEL) is None:
        ss[keys.MODEL] = _store().get(slot) or (options[0] if options else None)
    ss[keys.MODEL_FOR] = backend_id
    current = st.session_state[keys.MODEL]
    if current and current not in options:
        options.append(current)
    model = st.selectbox(
        f.label,
        options,
        key=keys.MODEL,
        help=f.help,
        accept_new_options=True,
        placeholder="Type a model name",
        format_func=lambda m: f"{m} · reads images" if m in image_models else m,
    )
    if models_error:
        st.caption(f"Could not list models: {plain(str(models_error))}")
    refresh = st.button(
        "Reload the model list",
        key=keys.REFRESH_MODELS,
        type="tertiary",
        on_click=lambda: st.session_state.pop(keys.MODELS_CACHE, None),
    )
    error_view.show_field(request_error, "model", upstream=upstream)
    _remember(slot, model)
    return model, refresh


# --- fields -------------------------------------------------------------------------
def _number(f: Field, wkey: str, default: Any) -> Any:
    """A slider for a bounded float with a default (it cannot leave its bounds), else a number box.

    A number box has no min/max of its own: Streamlit's would turn an out-of-range value red and keep the old
    one, so what was typed is kept and fields.py's bounds are checked by `request` like every other rule (the
    reason shows under the box, Run waits)."""
    is_int = f.kind is Kind.INT
    cast = int if is_int else float
    _seed(f.key, wkey, default)
    kwargs: dict[str, Any] = {"help": f.help, "key": wkey}
    if f.step is not None:
        kwargs["step"] = cast(f.step)
    if not is_int and f.minimum is not None and f.maximum is not None and f.default is not None:
        return st.slider(f.label, min_value=cast(f.minimum), max_value=cast(f.maximum), **kwargs)
    # value=None makes the box clearable (empty: left out of the body, so the API's default applies) and is what
    # the box holds if Streamlit drops its state; without a min_value the box would otherwise fall back to 0.
    placeholder = "empty" if f.default is None else f"{f.default} (the default)"
    return st.number_input(f.label, value=None, placeholder=placeholder, **kwargs)


def _response_format(f: Field, wkey: str, out: Values, saved: SavedItems) -> Any:
    _seed(f.key, wkey, fields.NO_FORMAT)
    kind = st.selectbox(
        f.label,
        f.choices,
        key=wkey,
        help=f.help,
        format_func=lambda c: {"none": "None", "text": "Text", "json_object": "JSON object", "json_schema": "JSON schema"}.get(
            c, c
        ),
    )
    _remember(f.key, kind)
    if kind == fields.NO_FORMAT:
        return None
    if kind != "json_schema":
        return {"type": kind}
    built = schema_field.schema_field(_store(), library_schemas=_saved(saved, "schema"))
    out.errors.extend(_field_errors(built.problems))
    return built.value


def _field_errors(problems: Sequence[Any]) -> list[errors.FieldError]:
    """Builder problems as FieldErrors on their row's path ("tools.0.parameters.unit.enum"), so Run waits."""
    return [errors.FieldError(p.path, p.message, p.code) for p in problems]


def _tools(f: Field, wkey: str, out: Values, saved: SavedItems) -> Any:
    built = tools_field.tools_field(_store(), library_tools=_saved(saved, "tool"), save=saved.save_tool, mcp=saved.mcp)
    out.errors.extend(_field_errors(built.problems))
    return built.value


def tool_names(tools: Any) -> list[str]:
    """Function names in a tools list, skipping malformed entries (the core reports those)."""
    names: list[str] = []
    if isinstance(tools, list):
        for t in tools:
            if isinstance(t, dict) and isinstance(t.get("function"), dict):
                name = t["function"].get("name")
                if isinstance(name, str) and name:
                    names.append(name)
    return names


def _tool_choice(f: Field, wkey: str, tools: Any) -> Any:
    names = tool_names(tools)
    options = [*f.choices, *[n for n in names if n not in f.choices]]
    _seed(f.key, wkey, f.choices[0])
    if st.session_state.get(wkey) not in options:
        st.session_state[wkey] = f.choices[0]
    choice = st.selectbox(
        f.label,
        options,
        key=wkey,
        help=f.help,
        disabled=not tools,
        format_func=lambda c: c if c in f.choices else f"function: {c}",
    )
    _remember(f.key, choice)
    if not tools:
        st.caption("Add tools to choose how they are used.")
        return None
    if choice == "auto":
        st.caption("With auto the model decides; a small model often answers in words instead of calling a tool.")
        st.button(
            _DEPENDABLE_WORDS,
            key=keys.TOOLS_DEPENDABLE,
            on_click=make_calls_dependable,
            type="tertiary",
            help="Sets the two fields above and below; change them back any time.",
        )
    return choice


_DEPENDABLE_WORDS = "Always call a tool: " + ", ".join(
    f"{fields.field(k).label} {v}" for k, v in fields.DEPENDABLE_TOOL_CALL.items()
)


def make_calls_dependable() -> None:
    """Callback: the visible settings under which the model calls a tool every time (fields.DEPENDABLE_TOOL_CALL)."""
    for key, value in fields.DEPENDABLE_TOOL_CALL.items():
        _store()[key] = value
        st.session_state[keys.field(key)] = value


def expected_a_call(cell: Cell) -> bool:
    """Tools were sent, Tool choice was auto, the run did not answer a tool's result (where words are what is
    wanted), and the answer came in words only (no choice called a tool)."""
    body, done = cell.body, cell.completion
    if cell.status != "done" or done is None or not body.get("tools") or body.get("tool_choice", "auto") != "auto":
        return False
    if (body.get("messages") or [{}])[-1].get("role") == "tool":
        return False
    return not any(done.tool_uses(c.index) for c in done.choices)


def offer_dependable_calls(cell: Cell) -> None:
    """After a text answer where a call was expected: why, and the one-click fix (while Tool choice is still auto)."""
    if not expected_a_call(cell) or _store().get("tool_choice", "auto") != "auto":
        return
    st.info(
        "The model answered in words, not with a tool call. With Tool choice auto it decides for itself, and a "
        "small model sampling at a high temperature often skips the tool. To make the call dependable, require a "
        "tool call and lower the temperature (both show in the sidebar, and the tool's answer step then replies "
        "in words).",
        icon=":material/info:",
    )
    st.button(_DEPENDABLE_WORDS, key=keys.TOOLS_DEPENDABLE_AFTER, on_click=make_calls_dependable)


def _logit_bias(f: Field, wkey: str, out: Values, caps: backends.Capabilities) -> None:
    if keys.LOGIT_BIAS_ROWS not in st.session_state:
        # The editor's base rows are set once per session (edits are kept as changes against them), from the
        # rows remembered in the settings, so a reload of the page brings them back.
        saved = _store().get(fields.LOGIT_BIAS_ROWS) or []
        st.session_state[keys.LOGIT_BIAS_ROWS] = pd.DataFrame(
            {
                "token": pd.Series([r["token"] for r in saved], dtype="string"),
                "bias": pd.Series([r["bias"] for r in saved], dtype="Int64"),
            }
        )
    st.markdown(f.label, help=f.help)
    edited = st.data_editor(
        st.session_state[keys.LOGIT_BIAS_ROWS],
        key=wkey,
        num_rows="dynamic",
        hide_index=True,
        column_config={
            # widths that fit the sidebar: wider, the Bias column sat past its right edge
            "token": st.column_config.TextColumn("Token", help='A token: text to look up (e.g. " Paris"), or its id', width=110),
            "bias": st.column_config.NumberColumn(
                "Bias", min_value=int(f.minimum or -100), max_value=int(f.maximum or 100), step=1, width=60
            ),
        },
    )
    rows = [
        {"token": "" if pd.isna(r["token"]) else str(r["token"]), "bias": None if pd.isna(r["bias"]) else int(r["bias"])}
        for r in edited.to_dict("records")
    ]
    out.logit_bias_rows = _remember(fields.LOGIT_BIAS_ROWS, [r for r in rows if r["token"].strip() or r["bias"] is not None])
    if not caps.tokenize:
        st.caption("This backend cannot look tokens up by text: enter token ids.")


def render_fields(
    *,
    backend_id: str,
    caps: backends.Capabilities,
    request_error: errors.RequestError | None = None,
    upstream: errors.PlaygroundError | None = None,
    warn: Callable[[str, Any], str | None] = lambda key, value: None,
    saved: SavedItems = SavedItems(),
) -> Values:
    """Every sidebar field of fields.py, grouped by section; `warn(field, value)` adds a warning under a field."""
    out = Values(settings={})
    values: dict[str, Any] = {}
    _follow_backend(backend_id)
    st.button(
        "Reset to defaults",
        key=keys.RESET,
        on_click=_reset,
        type="tertiary",
        help="Every field below back to its documented default (the backend and model stay)",
    )
    for section, section_fields in fields.sections().items():
        # Sampling is what people change most; a section also opens when something in it is set
        opened = section is fields.Section.SAMPLING or any(
            _changed(f, _store().get(f.key, _default(f, backend_id)), backend_id) for f in section_fields
        )
        with st.expander(section.value, expanded=opened):
            _section(
                section_fields,
                backend_id=backend_id,
                caps=caps,
                request_error=request_error,
                upstream=upstream,
                out=out,
                values=values,
                warn=warn,
                saved=saved,
            )
    out.settings = dict(values)  # a value at its default is left out by request.build_request, in one place
    return out


def _default(f: Field, backend_id: str) -> Any:
    """What a field starts as: the backend's own default where it has one, else the documented one."""
    own = fields.backend_default(backend_id, f.key)
    return own.value if own is not None else f.default


def _follow_backend(backend_id: str) -> None:
    """Another backend was chosen: a field still at the old backend's own default takes the new one's (or the
    documented default); a value the person set stays."""
    ss = st.session_state
    before, ss[keys.DEFAULTS_FOR] = ss.get(keys.DEFAULTS_FOR), backend_id
    if before is None or before == backend_id:
        return
    for key in {k for per in fields.BACKEND_DEFAULTS.values() for k in per}:
        f = fields.field(key)
        if _store().get(key, _default(f, before)) == _default(f, before):
            _store()[key] = _default(f, backend_id)
            ss.pop(keys.field(key), None)


def _reset() -> None:
    store = _store()
    for key in fields.SIDEBAR_KEYS:
        store.pop(key, None)
    for key in ("response_format.schema", fields.LOGIT_BIAS_ROWS):
        store.pop(key, None)
    forget_widgets()


def _changed(f: Field, value: Any, backend_id: str) -> bool:
    return fields.changed(f, value, backend_id, logit_bias_rows=_store().get(fields.LOGIT_BIAS_ROWS) or ())


def _section(
    section_fields: list[Field],
    *,
    backend_id: str,
    caps: backends.Capabilities,
    request_error: errors.RequestError | None,
    upstream: errors.PlaygroundError | None,
    out: Values,
    values: dict[str, Any],
    warn: Callable[[str, Any], str | None],
    saved: SavedItems,
) -> None:
    """The widgets of one sidebar section, each with its notes, its mark when changed, and its errors."""
    for f in section_fields:
        wkey = keys.field(f.key)
        value: Any
        if f.kind in (Kind.FLOAT, Kind.INT):
            value = _remember(f.key, _number(f, wkey, _default(f, backend_id)))
        elif f.kind is Kind.BOOL:
            _seed(f.key, wkey, bool(f.default))
            value = _remember(f.key, st.checkbox(f.label, key=wkey, help=f.help))
        elif f.kind in (Kind.TEXT, Kind.STOP):
            _seed(f.key, wkey, "")
            value = (
                _remember(
                    f.key,
                    st.text_input(f.label, key=wkey, help=f.help, placeholder="e.g. stop,finish" if f.kind is Kind.STOP else ""),
                ).strip()
                or None
            )
            if f.kind is Kind.STOP and value is not None:
                value = st.session_state[wkey]  # keep spaces inside sequences; the core splits
        elif f.kind is Kind.TOKEN_MAP:
            _logit_bias(f, wkey, out, caps)
            value = None  # resolved by the page (tokenizing needs the backend)
        elif f.kind is Kind.RESPONSE_FORMAT:
            value = _response_format(f, wkey, out, saved)
        elif f.kind is Kind.TOOLS:
            value = _tools(f, wkey, out, saved)
        elif f.kind is Kind.TOOL_CHOICE:
            value = _tool_choice(f, wkey, values.get("tools"))
        else:  # pragma: no cover - a new Kind must get a widget here
            raise ValueError(f"No widget for {f.kind}")
        values[f.key] = value
        with error_view.slot():  # notes and problems come and go: the next field keeps its place
            _default_note(f, value, backend_id)
            _notes(f, backend_id=backend_id, caps=caps, values=values)
            if warning := warn(f.key, value):
                st.warning(plain(warning), icon=":material/warning:")
            local = [e for e in out.errors if e.field == f.key or e.field.startswith(f.key + ".")]
            for e in local:  # found while reading the widget: shown at once, before any Run
                st.error(safe_inline(e.message), icon=":material/warning:")
            error_view.show_field(_without(request_error, local), f.key, upstream=upstream)


def _default_note(f: Field, value: Any, backend_id: str) -> None:
    """Under a field: that it holds the backend's own default and why, or that it differs from its default."""
    own = fields.backend_default(backend_id, f.key)
    backend = backends.backend(backend_id).label
    if own is not None and value == own.value:
        st.caption(f"{own.value} is the default of the backend “{backend}”, {own.why}. Empty the box to send none.")
    elif own is not None and value is None:
        st.caption(f"Empty: none is sent. The backend “{backend}” suggests {own.value}, {own.why}.")
    elif f.kind is not Kind.TOOLS and _changed(f, value, backend_id):  # a tool list shows itself
        st.caption(f"Changed from the default ({_plain_default(f, backend_id)})")


def _plain_default(f: Field, backend_id: str) -> str:
    """A field's default in words: "off", "empty", "1", "auto"."""
    if f.kind is Kind.TOOL_CHOICE:
        return "auto"
    if f.kind is Kind.RESPONSE_FORMAT:
        return "none"
    default = _default(f, backend_id)
    if f.kind is Kind.BOOL:
        return "on" if default else "off"
    if default is None:
        return "empty"
    return f"{default:g}" if isinstance(default, float) else str(default)


def _without(err: errors.RequestError | None, shown: list[errors.FieldError]) -> errors.RequestError | None:
    """`err` minus errors already on screen, so nothing is said twice."""
    if err is None or not shown:
        return err
    rest = [e for e in err.errors if e not in shown]
    return errors.RequestError(rest) if rest else None


def _notes(f: Field, *, backend_id: str, caps: backends.Capabilities, values: dict[str, Any]) -> None:
    """Small print next to a widget: xAI caveats, backend limits, unmet requirements."""
    if backend_id == "xai" and f.xai_note:
        st.caption(f":material/warning: xAI: {f.xai_note}")
    if f.key == "logit_bias" and not caps.logit_bias and not (backend_id == "xai" and f.xai_note):
        st.caption(":material/warning: This backend does not support logit bias.")
    if f.key == "deferred" and not caps.deferred:
        st.caption(":material/warning: This backend has no deferred completions; the run waits for the answer.")
    if f.requires and values.get(f.key) not in (None, "", False) and not values.get(f.requires):
        st.caption(f"Only applies with {fields.field(f.requires).label}.")


def forget_widgets() -> None:
    """Drop the sidebar's widget state, so every widget re-seeds from the remembered settings."""
    ss = st.session_state
    for key in (
        *[keys.field(k) for k in fields.SIDEBAR_KEYS],
        keys.MODEL,
        keys.MODEL_FOR,
        keys.BACKEND,
        keys.BASE_URL,
        keys.RESPONSE_SCHEMA,
        keys.LOGIT_BIAS_ROWS,
    ):
        ss.pop(key, None)


def load_settings(settings: dict[str, Any]) -> None:
    """Put other settings in the sidebar (Fork): every widget re-seeds from them."""
    store = _store()
    store.clear()
    store.update({k: v for k, v in settings.items() if k not in ("api_key",)})
    forget_widgets()
