"""The sidebar's Tools: this run's tools, each on (sent) or off (kept), edited in a dialog as wide as the page
(the ~300 px sidebar cuts a form); "Add a tool" from presets, the library or empty; and a JSON tab for
developers. The rows live in session state as plain data (`builder.ToolRow.saved`) and in the notebook's settings.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from components import state as keys
from components import tool_form
from components.text import plain
from playground import builder, examples
from playground.builder import Tool
from playground.mcp import Connections as McpConnections
from playground.mcp import McpTool
from playground.presets import Preset, presets
from playground.schema import InputError, JsonTool, ToolForm, parse_tools

ss = st.session_state


def _stored_rows() -> list[builder.ToolRow]:
    """The sidebar's rows as last stored (plain data in the session, see `builder.dump`)."""
    return [r for r in (builder.ToolRow.restored(d) for d in ss.get(keys.BUILDER_TOOLS) or []) if r is not None]


def _tools_slot(i: int) -> tool_form.Slot:
    def get() -> Tool:
        return builder.load("tool", ss[keys.BUILDER_TOOLS][i])

    def put(tool: Tool) -> None:
        rows = ss[keys.BUILDER_TOOLS]
        if i < len(rows):
            rows[i] = {**{k: v for k, v in rows[i].items() if k not in ("form", "json")}, **builder.dump(tool)}

    return tool_form.Slot(get, put)


def _current_rows() -> list[builder.ToolRow]:
    """The sidebar's rows with what their widgets hold now (for callbacks, and before drawing)."""
    rows = _stored_rows()
    out = []
    for i, row in enumerate(rows):
        scope = keys.sidebar_tool(i)
        on = ss.get(keys.builder_key(scope, (), "on"), row.on)
        out.append(row.model_copy(update={"on": bool(on), "tool": tool_form.read(_tools_slot(i), "tool", scope)}))
    return out


def _put_rows(rows: Sequence[builder.ToolRow]) -> None:
    ss[keys.BUILDER_TOOLS] = [r.saved() for r in rows]


def _set_rows(rows: list[builder.ToolRow]) -> None:
    _put_rows(rows)
    tool_form.forget(keys.SIDEBAR_TOOLS + ".")


def add_tool(value: dict[str, Any] | Tool | None, library_id: str | None = None, server: str | None = None) -> None:
    """Callback: add a tool to this run (on), from a preset, library or MCP `server`'s value, or an empty one."""
    rows = _current_rows()
    tool: Tool
    if value is None:
        tool = ToolForm(name=builder.free_name("new_tool", [r.tool.name for r in rows]))
    elif isinstance(value, ToolForm | JsonTool):
        tool = value
    else:
        tool = builder.one_tool(parse_tools(value))
    rows.append(builder.ToolRow(tool=tool, library_id=library_id, server=server))
    _set_rows(rows)
    ss[keys.TOOLS_ADD] = False  # close the menu
    if value is None:
        tool_form.open_editor("tool", len(rows) - 1)  # an empty tool is filled in its form


@st.dialog("Edit the tool", width="large", on_dismiss=tool_form.close_editor)
def _tool_dialog(i: int, save: Callable[[dict[str, Any], str | None], str] | None) -> None:
    """Tool `i` of the sidebar in a dialog: the form across the page's width, its JSON folded under it."""
    scope = keys.sidebar_tool(i)
    located = lambda tool: [  # noqa: E731
        p.model_copy(update={"path": p.path.replace("tools.0", f"tools.{i}", 1)}) for p in sum(builder.validate([tool]), [])
    ]
    tool = tool_form.tool_editor(_tools_slot(i), scope=scope, problems=located, address=f"tools.{i}", beside=False)
    with st.container(horizontal=True, vertical_alignment="center"):
        tool_form.done_button()
        if save is not None:
            st.button(
                "Update in library" if _stored_rows()[i].library_id else "Save to library",
                key=keys.builder_key(scope, (), "save"),
                on_click=_save_tool,
                args=(i, save),
                help="Keep this tool in your library (the Tools & schemas page)",
                disabled=builder.tool_json(tool) is None,
            )
        if st.button("Remove this tool", key=keys.builder_key(scope, (), "remove"), type="tertiary"):
            _remove_tool(i)
            tool_form.close_editor()
            st.rerun()


def _remove_tool(i: int) -> None:
    rows = _current_rows()
    if i < len(rows):
        del rows[i]
    _set_rows(rows)


def _tools_json_edited() -> None:
    """Callback of the JSON tab: pasted tools replace the ones that are on; unreadable JSON is kept as typed."""
    text = ss.get(keys.field("tools"), "")
    rows = _current_rows()
    off = [r for r in rows if not r.on]
    if not text.strip():
        parsed: list[Tool] = []
    else:
        try:
            parsed = parse_tools(text)
        except InputError as exc:
            ss[keys.BUILDER_TOOLS_DRAFT] = builder.Draft(
                text=text, problems=builder.json_problems(exc, "tools"), model=builder.signature(builder.settings_of(rows))
            )
            return
    was = {r.tool.name: r for r in rows if r.on}
    kept = [(t, was.get(t.name)) for t in parsed]
    _set_rows([builder.ToolRow(tool=t, library_id=w and w.library_id, server=w and w.server) for t, w in kept] + off)
    ss[keys.BUILDER_TOOLS_DRAFT] = None


def _sync_tools(settings: dict[str, Any]) -> None:
    """(Re)build the sidebar's tools from the settings when they changed elsewhere (Fork, another notebook,
    the Tools page), or on the first run of a session."""
    seen = builder.signature({k: settings.get(k) for k in ("tools", "tools.rows")})
    if keys.BUILDER_TOOLS in ss and ss.get(keys.BUILDER_TOOLS_SEEN) == seen:
        return
    rows, draft = builder.rows_from_settings(settings)
    _set_rows(rows)
    ss.pop(keys.field("tools"), None)
    ss[keys.BUILDER_TOOLS_DRAFT] = draft
    ss[keys.BUILDER_TOOLS_SEEN] = seen


def tools_field(
    settings: dict[str, Any],
    *,
    library_tools: Sequence[Any] = (),
    save: Callable[[dict[str, Any], str | None], str] | None = None,
    mcp: McpConnections | None = None,
) -> builder.BuilderValue:
    """The sidebar's Tools: this run's tools (each on or off, edited in place), "Add a tool" from presets,
    the library or empty, and a JSON tab. Keeps the settings up to date (`tools`, `tools.rows`).

    `library_tools` are `library.LibraryItem`s of kind tool; `mcp` the MCP servers. Returns the tools that are
    on (API shape) or None.
    """
    _sync_tools(settings)
    rows = _current_rows()  # what the widgets hold now, so names and problems are current
    _put_rows(rows)
    _, shown = builder.tool_problems(rows)
    form_tab, json_tab = st.tabs(["Form", "JSON"])
    with form_tab:
        if not rows:
            st.caption("Functions the model may call. None yet: add one from a preset, your library, or empty.")
        for i, row in enumerate(rows):
            scope = keys.sidebar_tool(i)
            with st.container(key=keys.builder_key(scope, (), "box")):
                head = st.container(horizontal=True, vertical_alignment="center")
                on_key = keys.builder_key(scope, (), "on")
                if on_key not in ss:
                    ss[on_key] = row.on
                head.toggle(plain(row.tool.name) or "(no name yet)", key=on_key, help="On: sent with the next run")
                if shown[i]:
                    n = len(shown[i])
                    head.caption(f":red[{n} problem{'s' * (n != 1)}]")
                head.button(
                    "Edit",
                    key=keys.builder_key(scope, (), "edit"),
                    on_click=tool_form.open_editor,
                    args=("tool", i),
                    type="tertiary",
                    help=f"Open the form of {plain(row.tool.name) or 'this tool'}: its name, description and parameters",
                )
        _add_menu(library_tools, mcp)
        if (i := tool_form.open_editor_of("tool")) is not None and i < len(rows):
            _tool_dialog(i, save)
    rows = _current_rows()
    _put_rows(rows)
    blocking, _ = builder.tool_problems(rows)
    sent = builder.enabled_json(rows)
    with json_tab:
        draft = tool_form.json_tab(
            keys.field("tools"),
            keys.BUILDER_TOOLS_DRAFT,
            json.dumps(sent, indent=2, ensure_ascii=False) if sent else "",
            builder.signature(builder.settings_of(rows)),
            on_change=_tools_json_edited,
            label="Tools as JSON",
            help="The tools that are on, as sent. Paste one tool or an array of tools (OpenAI's shape, "
            "a bare function, or {name, description, input_schema}); the form follows.",
        )
    saved = builder.settings_of(rows)
    settings.update(saved)
    ss[keys.BUILDER_TOOLS_SEEN] = builder.signature({k: settings.get(k) for k in ("tools", "tools.rows")})
    tools = [r.tool for r in rows if r.on]
    problems = [
        p.model_copy(update={"message": f"{w}: {p.message}" if (w := builder.where(tools, p)) else p.message}) for p in blocking
    ]
    return builder.BuilderValue(value=sent or None, problems=(draft.problems if draft else []) + problems)


def _add_menu(library_tools: Sequence[Any], mcp: McpConnections | None) -> None:
    """The menu is off while a tool's form is open. That also closes it in the browser when "Empty tool" opened the
    form before the browser had heard that the menu was open (a click within the run that opening the menu
    started): Streamlit 1.67's popover follows `open` from the script only when that value or the popover's
    identity changes, and `disabled` is part of its identity."""
    editing = tool_form.open_editor_of("tool") is not None
    with st.popover("Add a tool", key=keys.TOOLS_ADD, on_change="rerun", disabled=editing):
        st.button(
            "Empty tool",
            key=keys.TOOLS_NEW,
            on_click=add_tool,
            args=(None,),
            help="Start from a name and no parameters",
        )
        st.caption("Presets")
        for preset in _tool_presets():
            key = keys.TOOLS_EXAMPLE if preset.value == examples.GET_WEATHER else keys.tools_preset(preset.name)
            st.button(preset.name, key=key, help=preset.description or None, on_click=add_tool, args=(preset.value,))
        st.caption("Your library")
        if not library_tools:
            st.caption("Nothing saved yet.")
        for item in library_tools:
            st.button(
                plain(item.name),
                key=keys.tools_from_library(item.id),
                on_click=add_tool,
                args=(item.value, item.id),
                help="A copy of this saved tool, for this notebook",
            )
        if mcp is not None:
            mcp_menu(mcp, on_add=_add_mcp_tool)
        st.page_link("views/tools.py", label="Tools & schemas page")


def _tool_presets() -> list[Preset]:
    return [p for p in presets() if p.kind == "tool"]


def _save_tool(i: int, save: Callable[[dict[str, Any], str | None], str]) -> None:
    """Callback: keep tool i in the library (`save` writes it and returns the item's id)."""
    rows = _current_rows()
    if i >= len(rows) or (value := builder.tool_json(rows[i].tool)) is None:
        return
    rows[i] = rows[i].model_copy(update={"library_id": save(value, rows[i].library_id)})
    _set_rows(rows)


def _connect(name: str) -> None:
    ss[keys.MCP_CONNECT] = name


def _connect_typed() -> None:
    if url := (ss.get(keys.MCP_URL) or "").strip():
        ss[keys.MCP_CONNECT] = url


def _add_mcp_tool(tool: McpTool) -> None:
    add_tool(tool.definition(), server=tool.server)


def mcp_menu(mcp: McpConnections, *, on_add: Callable[[McpTool], None], verb: str = "", schemas: bool = False) -> None:
    """The MCP servers: Connect lists a server's tools (the page does it); each listed tool is a button calling
    `on_add(tool)`, labelled `verb` and the tool's name, with its input JSON Schema under it (read-only) when
    `schemas`; a streamable-HTTP URL may be typed (why it cannot be used shows under it)."""
    st.caption("MCP servers")
    if mcp.config_error:
        st.error(plain(mcp.config_error), icon=":material/error:")
    typed = (ss.get(keys.MCP_URL) or "").strip()
    typed_error = mcp.errors.get(typed) if typed and typed not in mcp.configured else None
    for name in mcp.names:
        tools = mcp.tools.get(name)
        if tools is None:
            st.button(
                f"Connect {plain(name)}", key=keys.mcp_connect(name), on_click=_connect, args=(name,), icon=":material/link:"
            )
        for tool in tools or []:
            st.button(
                f"{verb}{plain(tool.name)} · {plain(name)}",
                key=keys.mcp_tool(name, tool.name),
                help=plain(tool.description) or None,
                on_click=on_add,
                args=(tool,),
            )
            if schemas:
                st.code(json.dumps(tool.input_schema, indent=2, ensure_ascii=False), language="json")
        if (error := mcp.errors.get(name)) and name != typed:
            st.error(plain(error), icon=":material/error:")
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.text_input(
            "MCP server URL", key=keys.MCP_URL, placeholder="http://127.0.0.1:9000/mcp", help="A streamable-HTTP MCP server"
        )
        st.button("Connect", key=keys.MCP_URL_CONNECT, on_click=_connect_typed)
    if typed_error:  # why the address in the box cannot be used, under it
        st.error(plain(typed_error), icon=":material/error:")
