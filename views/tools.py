"""Tools & schemas page: the library of saved tools and response schemas, presets, and the full builder.

Wiring over `playground.library.Library` and `components.tool_form`: pick an item to edit it in the form
(saved as you go), duplicate or delete it (with Undo), add presets or pasted JSON, and switch a tool on for
the open notebook's next run (its settings, which the Playground sidebar shows).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from components import prices, tool_form, tools_field
from components import state as keys
from components.text import counted, plain, safe_inline, safe_markdown
from playground import builder
from playground.errors import StoreError
from playground.library import Library, LibraryItem
from playground.mcp import McpTool
from playground.presets import Preset, presets
from playground.price_store import PriceStore
from playground.schema import (
    InputError,
    parse_response_schema,
    parse_tools,
    tool_to_json,
    validate_response_schema,
    validate_tools,
)
from views import shared

ss = st.session_state
LIST_WIDTH = 230  # pixels: the least width of the library column and of each third of the page; two never fit 800 px


# ------------------------------------------------------------------------------------ callbacks


def _select(item_id: str | None) -> None:
    ss[keys.TP_SELECTED] = item_id


def _add(kind: str, value: dict[str, Any]) -> LibraryItem:
    item = Library().add(kind, value)  # type: ignore[arg-type]
    _select(item.id)
    return item


def _add_preset(preset: Preset) -> None:
    value = preset.value if preset.kind == "tool" else {"name": preset.name, "schema": preset.value, "strict": True}
    item = _add(preset.kind, value)
    ss[keys.TP_NOTICE] = f"Added {item.name} to your library."


def _new(kind: str) -> None:
    if kind == "tool":
        _add("tool", {"type": "function", "function": {"name": "new_tool", "parameters": {"type": "object", "properties": {}}}})
    else:
        _add("schema", {"name": "new_schema", "strict": True, "schema": {"type": "object", "properties": {}}})


def _paste() -> None:
    """Pasted JSON: one tool or an array of tools, else a response schema; each becomes a library item."""
    text = ss.get(keys.TP_PASTE, "")
    if not text.strip():
        return
    try:
        tools = parse_tools(text)
    except InputError as tool_error:
        try:
            schema = parse_response_schema(text)
        except InputError:
            ss[keys.TP_NOTICE] = "Not added: " + " ".join(p.message for p in tool_error.problems)
            return
        item = _add("schema", builder.response_schema_json(schema) or {})
        ss[keys.TP_NOTICE] = f"Added the schema {item.name}."
        ss[keys.TP_PASTE] = ""
        return
    items = [Library().add("tool", tool_to_json(t)) for t in tools]
    _select(items[0].id)
    ss[keys.TP_NOTICE] = f"Added {counted(len(items), 'tool')}: {', '.join(i.name for i in items)}."
    ss[keys.TP_PASTE] = ""


def _copy_mcp(tool: McpTool) -> None:
    item = _add("tool", tool.definition())
    ss[keys.TP_NOTICE] = f"Copied {item.name} from {tool.server} into your library: edit it there."


def _duplicate(item_id: str) -> None:
    copy = Library().duplicate(item_id)
    if copy is not None:
        _select(copy.id)


def _delete(item_id: str) -> None:
    ss[keys.TP_UNDO] = Library().delete(item_id)
    if ss.get(keys.TP_SELECTED) == item_id:
        _select(None)


def _undo() -> None:
    item: LibraryItem | None = ss.pop(keys.TP_UNDO, None)
    if item is not None:
        Library().restore(item)
        _select(item.id)


def _switch(item: LibraryItem) -> None:
    """A library tool on or off for the open notebook's next run."""
    builder.use_in_run(ss[keys.SETTINGS], item, bool(ss.get(keys.tp_item(item.id, "on"))))


# ------------------------------------------------------------------------------------ drawing


def _library(items: list[LibraryItem]) -> None:
    with st.container(horizontal=True):
        st.button("New tool", key=keys.TP_NEW_TOOL, icon=":material/add:", on_click=_new, args=("tool",))
        st.button("New schema", key=keys.TP_NEW_SCHEMA, icon=":material/add:", on_click=_new, args=("schema",))
    with st.expander("Presets", icon=":material/auto_awesome:"):
        for preset in presets():
            st.button(
                preset.name,
                key=keys.tp_preset(preset.name),
                on_click=_add_preset,
                args=(preset,),
                icon=":material/build:" if preset.kind == "tool" else ":material/data_object:",
                help=f"Add to your library: {preset.description}",
            )
    with st.expander("Paste JSON", icon=":material/content_paste:"):
        st.text_area(
            "One tool, an array of tools, or a response schema",
            key=keys.TP_PASTE,
            height=160,
            placeholder='[{"type": "function", "function": {"name": …, "parameters": {…}}}, …]',
        )
        st.button("Add to the library", key=keys.TP_PASTE_ADD, on_click=_paste, icon=":material/library_add:")
    servers = shared.mcp_servers()
    with st.expander("MCP servers", icon=":material/hub:", expanded=bool(servers.tools or servers.errors)):
        st.caption("A server's tools with their JSON Schemas; a click copies one into your library to edit.")
        tools_field.mcp_menu(servers, on_add=_copy_mcp, verb="Copy ", schemas=True)
    undone: LibraryItem | None = ss.get(keys.TP_UNDO)
    if undone is not None:
        with st.container(horizontal=True, vertical_alignment="center"):
            st.caption(f"Deleted {plain(undone.name)}.")
            st.button("Undo", key=keys.TP_UNDO_BUTTON, on_click=_undo, icon=":material/undo:", type="tertiary")
    selected = ss.get(keys.TP_SELECTED)
    settings = ss[keys.SETTINGS]
    for kind, heading in (("tool", "Tools"), ("schema", "Response schemas")):
        st.subheader(heading, divider="gray")
        mine = [i for i in items if i.kind == kind]
        if not mine:
            st.caption("None saved yet: start one above, or add a preset.")
        for item in mine:
            _item(item, selected=item.id == selected, settings=settings)


def _item(item: LibraryItem, *, selected: bool, settings: dict[str, Any]) -> None:
    """One library item: its name (opens it in the form), then switch for the next run, duplicate, delete."""
    with st.container(border=True, gap="small"):
        st.button(
            plain(item.name) or "(no name)",
            key=keys.tp_item(item.id, "open"),
            on_click=_select,
            args=(item.id,),
            type="primary" if selected else "tertiary",
            icon=":material/build:" if item.kind == "tool" else ":material/data_object:",
            help="Edit it in the form",
        )
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            if item.kind == "tool":
                on_key = keys.tp_item(item.id, "on")
                ss[on_key] = builder.in_run(settings, item)
                st.toggle(
                    "Use",
                    key=on_key,
                    on_change=_switch,
                    args=(item,),
                    help="Send this tool with the next run of the open notebook (the Playground's sidebar shows it)",
                )
            st.button(
                "",
                key=keys.tp_item(item.id, "duplicate"),
                icon=":material/content_copy:",
                type="tertiary",
                on_click=_duplicate,
                args=(item.id,),
                help="Duplicate",
            )
            st.button(
                "",
                key=keys.tp_item(item.id, "delete"),
                icon=":material/delete:",
                type="tertiary",
                on_click=_delete,
                args=(item.id,),
                help="Delete (you can undo)",
            )


def _slot(item: LibraryItem) -> tool_form.Slot | None:
    """Where the form of the item being edited lives: loaded once per selection (then the widgets hold the edits),
    kept as plain data (`builder.dump`)."""
    held = ss.get(keys.TP_MODEL)
    if held is None or held[0] != item.id:
        try:
            model: Any = parse_tools(item.value)[0] if item.kind == "tool" else parse_response_schema(item.value)
        except InputError as exc:
            st.error("This saved item cannot be read: " + safe_inline(" ".join(p.message for p in exc.problems)))
            return None
        tool_form.forget(keys.TP_EDIT + ".")
        ss[keys.TP_MODEL] = (item.id, builder.dump(model))
    return tool_form.Slot(
        lambda: builder.load(item.kind, ss[keys.TP_MODEL][1]),
        lambda v: ss.__setitem__(keys.TP_MODEL, (item.id, builder.dump(v))),
    )


def _editor(item: LibraryItem) -> None:
    slot = _slot(item)
    if slot is None:
        return
    if item.kind == "tool":
        st.subheader(f"Tool: {plain(item.name)}", divider="gray")
        edited: Any = tool_form.tool_editor(slot, scope=keys.TP_EDIT, problems=lambda tool: validate_tools([tool]))
        value = builder.tool_json(edited)
    else:
        st.subheader(f"Response schema: {plain(item.name)}", divider="gray")
        edited = tool_form.schema_editor(slot, scope=keys.TP_EDIT, problems=validate_response_schema)
        value = builder.response_schema_json(edited)
    if value is None:
        st.caption(":material/cloud_off: Not saved while two rows share a name.")
        return
    if value != item.value:
        saved = Library().save(item.model_copy(update={"value": value}))
        if saved.kind == "tool":
            builder.refresh_in_run(ss[keys.SETTINGS], saved)
        if saved.name != item.name:
            st.rerun()  # the list shows the new name
    st.caption(":material/cloud_done: Saved in your library as you type.")


def _prices() -> None:
    """The price table and its form; a price set or reset is kept in the store at once."""
    notice = ss.pop(keys.PR_NOTICE, None)
    if notice:
        st.success(plain(notice), icon=":material/check:")
    try:
        store = PriceStore()
        edit = prices.editor(store.saved())
        if edit is None:
            return
        if edit.action == "reset":
            store.reset(edit.backend, edit.model)
            ss[keys.PR_NOTICE] = f"{edit.model} is back to its default price."
        else:
            assert edit.price is not None
            store.set(edit.backend, edit.model, edit.price)
            ss[keys.PR_NOTICE] = f"Saved the price of {edit.model}."
    except StoreError as exc:
        st.error(f"Prices cannot be read or kept: {plain(str(exc))}", icon=":material/error:")
        return
    st.rerun()  # the table shows what is now kept


def main() -> None:
    shared.open_notebook()
    st.title("Tools & schemas")
    st.caption(
        "Define a tool, or the JSON shape of an answer, in a form: the JSON is written for you. Switch a tool "
        "on to use it in the Playground's next run; pick a schema there under Response format → JSON schema."
    )
    shared.show_notice()
    notice = ss.pop(keys.TP_NOTICE, None)
    if notice:
        st.info(safe_markdown(notice), icon=":material/info:")
    try:
        items = Library().list()
    except StoreError as exc:
        st.error(f"The library cannot be read: {plain(str(exc))}")
        return
    # The library beside the editor (a third and two thirds) where both fit at LIST_WIDTH or more a column, the
    # library above the editor on a narrow window (fixed columns squeezed the library to a sliver there).
    split = st.grid(3, min_column_width=LIST_WIDTH, gap="small")
    with split.cell():
        _library(items)
    with split.cell(column_span=2):
        chosen = next((i for i in items if i.id == ss.get(keys.TP_SELECTED)), None)
        if chosen is None:
            st.info("Pick a tool or schema in your library to edit it, or start a new one.", icon=":material/edit:")
        else:
            _editor(chosen)
    _prices()
    saved = shared.save()
    if saved.error:
        st.warning(f"The notebook's settings are not being saved: {plain(str(saved.error))}", icon=":material/warning:")


main()
