"""The sidebar's response schema (json_schema format): what it holds in a line, its form in a dialog, "Start
from…" presets, the library or empty, and a JSON tab. Kept in session state as plain data (`builder.dump`)
and in the notebook's settings (`response_format.schema` / `.rows`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import streamlit as st

from components import state as keys
from components import tool_form
from components.text import plain, safe_markdown
from playground import builder
from playground.presets import presets
from playground.schema import InputError, SchemaForm, parse_response_schema, response_content_problems, validate_response_schema

ss = st.session_state


def _schema_slot() -> tool_form.Slot:
    return tool_form.Slot(
        lambda: builder.load("schema", ss[keys.BUILDER_SCHEMA]), lambda v: ss.__setitem__(keys.BUILDER_SCHEMA, builder.dump(v))
    )


def load_schema(value: dict[str, Any] | None) -> None:
    """Callback: put a preset, a library schema or an empty one in the sidebar's response schema."""
    entry = SchemaForm(strict=True) if value is None else parse_response_schema(value)
    ss[keys.BUILDER_SCHEMA] = builder.dump(entry)
    ss[keys.BUILDER_SCHEMA_DRAFT] = None
    tool_form.forget(keys.SIDEBAR_SCHEMA + ".")
    ss[keys.SCHEMA_LOAD] = False
    if value is None:
        tool_form.open_editor("schema")  # an empty schema is filled in its form


def _schema_json_edited() -> None:
    text = ss.get(keys.RESPONSE_SCHEMA, "")
    try:
        entry = parse_response_schema(text)
    except InputError as exc:
        current = tool_form.read(_schema_slot(), "schema", keys.SIDEBAR_SCHEMA)
        ss[keys.BUILDER_SCHEMA_DRAFT] = builder.Draft(
            text=text, problems=builder.json_problems(exc, "response_format"), model=builder.signature(builder.dump(current))
        )
        return
    ss[keys.BUILDER_SCHEMA] = builder.dump(entry)
    ss[keys.BUILDER_SCHEMA_DRAFT] = None
    tool_form.forget(keys.SIDEBAR_SCHEMA + ".")


def _sync_schema(settings: dict[str, Any]) -> None:
    seen = builder.signature({k: settings.get(k) for k in ("response_format.schema", "response_format.rows")})
    if keys.BUILDER_SCHEMA in ss and ss.get(keys.BUILDER_SCHEMA_SEEN) == seen:
        return
    entry, draft = builder.schema_from_settings(settings)
    ss[keys.BUILDER_SCHEMA] = builder.dump(entry)
    ss[keys.BUILDER_SCHEMA_DRAFT] = draft
    ss.pop(keys.RESPONSE_SCHEMA, None)
    tool_form.forget(keys.SIDEBAR_SCHEMA + ".")
    ss[keys.BUILDER_SCHEMA_SEEN] = seen


@st.dialog("Edit the response schema", width="large", on_dismiss=tool_form.close_editor)
def _schema_dialog() -> None:
    """The sidebar's response schema in a dialog: the form across the page's width, its JSON folded under it."""
    tool_form.schema_editor(_schema_slot(), scope=keys.SIDEBAR_SCHEMA, problems=validate_response_schema, beside=False)
    tool_form.done_button()


def schema_field(settings: dict[str, Any], *, library_schemas: Sequence[Any] = ()) -> builder.BuilderValue:
    """The sidebar's response schema (json_schema format): what it holds in a line, its form in a dialog ("Edit
    the schema"), "Start from…" presets, the library or empty, and a JSON tab. Keeps `response_format.schema` / `.rows` in the
    settings. Returns `{"type": "json_schema", "json_schema": {name, schema, strict?}}` (or None while it
    cannot be written) and the problems that block Run."""
    _sync_schema(settings)
    form_tab, json_tab = st.tabs(["Form", "JSON"])
    with form_tab:
        editing = tool_form.open_editor_of("schema") is not None  # off while the form is open: see tools_field._add_menu
        with st.popover("Start from…", key=keys.SCHEMA_LOAD, on_change="rerun", disabled=editing):
            st.button("Empty schema", key=keys.SCHEMA_EMPTY, on_click=load_schema, args=(None,))
            st.caption("Presets")
            for preset in presets():
                if preset.kind == "schema":
                    st.button(
                        preset.name,
                        key=keys.schema_preset(preset.name),
                        help=preset.description or None,
                        on_click=load_schema,
                        args=({"name": preset.name, "schema": preset.value, "strict": True},),
                    )
            st.caption("Your library")
            if not library_schemas:
                st.caption("Nothing saved yet.")
            for item in library_schemas:
                st.button(plain(item.name), key=keys.schema_from_library(item.id), on_click=load_schema, args=(item.value,))
        if tool_form.open_editor_of("schema") is not None:
            _schema_dialog()
        entry = tool_form.read(_schema_slot(), "schema", keys.SIDEBAR_SCHEMA)
        st.caption(safe_markdown(builder.schema_words(entry)))
        st.button(
            "Edit the schema",
            key=keys.builder_key(keys.SIDEBAR_SCHEMA, (), "edit"),
            on_click=tool_form.open_editor,
            args=("schema",),
            help="Open the form: the answer's fields, their types and allowed values",
        )
    spec = builder.response_schema_json(entry)
    problems = response_content_problems(entry)  # the request reports the API's rules (response_format_problems)
    with json_tab:
        draft = tool_form.json_tab(
            keys.RESPONSE_SCHEMA,
            keys.BUILDER_SCHEMA_DRAFT,
            json.dumps(spec, indent=2, ensure_ascii=False) if spec else "",
            builder.signature(builder.dump(entry)),
            on_change=_schema_json_edited,
            label="JSON schema",
            help='The schema (or {"name", "schema", "strict"}, or the whole response_format). Paste one here; the form follows.',
        )
    settings["response_format.schema"] = spec
    settings["response_format.rows"] = builder.dump(entry)
    ss[keys.BUILDER_SCHEMA_SEEN] = builder.signature(
        {k: settings.get(k) for k in ("response_format.schema", "response_format.rows")}
    )
    named = [
        p.model_copy(update={"message": f"{w}: {p.message}"}) if (w := builder.place(p.path.split(".")[2:-1])) else p
        for p in problems
    ]
    value = {"type": "json_schema", "json_schema": spec} if spec is not None else None
    return builder.BuilderValue(value=value, problems=(draft.problems if draft else []) + named)
