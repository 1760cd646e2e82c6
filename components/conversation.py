"""The conversation as chat bubbles (or as a form), each editable in place, movable and removable.

The conversation is the open notebook's `conversation` (a list of `ChatMessage`), kept under the
non-widget key `state.NOTEBOOK`, so it survives errors, reruns and page switches; widgets are seeded
from it and written back each run. Between messages the page draws the cells that answered them
(`after_message`). Nothing here does HTTP.

A long conversation opens at its latest `LATEST` messages, with a button revealing earlier ones `EARLIER_STEP` at a
time, and a very long message shows its first `LONG_CHARS` characters until "Show all": what is drawn is cut,
never what is kept or sent, so the page's cost does not grow with the notebook.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from components import attachments
from components import errors as error_view
from components import state as keys
from components.text import inline_code, plain, safe_markdown
from playground import errors, examples, fields, untrusted
from playground.notebook import ChatMessage, Notebook, ToolCallRow, conversation_from_json, conversation_to_json

AVATARS = {
    "system": ":material/settings:",
    "user": ":material/person:",
    "assistant": ":material/smart_toy:",
    "tool": ":material/build:",
}
VIEWS = ("Chat", "Form")
LATEST = 30  # messages drawn when a notebook opens
EARLIER_STEP = 100  # messages each "Show earlier messages" click adds
LONG_CHARS = 20_000  # characters of a message drawn until "Show all"


def _notebook() -> Notebook:
    return st.session_state[keys.NOTEBOOK]


def forget_widgets(start: int = 0, stop: int | None = None) -> None:
    """Drop message widget state from `start` on, so widgets re-seed from the conversation."""
    ss = st.session_state
    stop = len(_notebook().conversation) + 2 if stop is None else stop
    for i in range(start, stop):
        for k in keys.message_keys(i):
            ss.pop(k, None)
    ss.pop(keys.SYSTEM, None)
    attachments.forget(range(start, stop))
    if whole := ss.get(keys.SHOWN_WHOLE):
        ss[keys.SHOWN_WHOLE] = {i for i in whole if i < start}


def append(*messages: ChatMessage) -> None:
    """Add messages at the end (the chat input, Continue, tool results)."""
    conv = _notebook().conversation
    forget_widgets(len(conv), len(conv) + len(messages))
    conv.extend(messages)


def replace(messages: list[ChatMessage]) -> None:
    """Put a whole conversation in (Fork, import)."""
    forget_widgets(0, max(len(_notebook().conversation), len(messages)) + 1)
    _notebook().conversation[:] = messages
    st.session_state[keys.EDITING] = set()


# ------------------------------------------------------------------------------------ callbacks (no HTTP)


def _commit_typed() -> None:
    """Copy what the message widgets hold into the conversation before a button acts on it.

    A text area hands its value over when it loses focus, and a click on a button (✓, Move, Delete…) arrives in
    the same rerun: the button's callback runs before any widget is drawn, so without this the text typed just
    before the click would be dropped with the widget.
    """
    ss = st.session_state
    conv = _notebook().conversation
    for i, m in enumerate(conv):
        role_key, content_key, name_key, tcid_key, _ = keys.message_keys(i)
        if role_key in ss:
            m.role = ss[role_key]
        if content_key in ss:
            m.content = ss[content_key]
        if name_key in ss:
            m.name = ss[name_key]
        if tcid_key in ss and m.role == "tool":
            m.tool_call_id = ss[tcid_key]
    if conv and conv[0].role == "system" and keys.SYSTEM in ss:
        conv[0].content = ss[keys.SYSTEM]


def _move(i: int, by: int) -> None:
    _commit_typed()
    conv = _notebook().conversation
    j = i + by
    if 0 <= i < len(conv) and 0 <= j < len(conv):
        conv[i], conv[j] = conv[j], conv[i]
        forget_widgets(min(i, j))


def _duplicate(i: int) -> None:
    _commit_typed()
    conv = _notebook().conversation
    conv.insert(i + 1, conv[i].model_copy(deep=True))
    forget_widgets(i)


def _insert(i: int) -> None:
    _commit_typed()
    conv = _notebook().conversation
    role = "assistant" if conv[i].role == "user" else "user"
    conv.insert(i + 1, ChatMessage(role=role))
    forget_widgets(i)
    st.session_state.setdefault(keys.EDITING, set()).add(i + 1)


def _delete(i: int) -> None:
    _commit_typed()
    conv = _notebook().conversation
    if 0 <= i < len(conv):
        conv.pop(i)
        forget_widgets(i)
        st.session_state[keys.EDITING] = {e if e < i else e - 1 for e in st.session_state.get(keys.EDITING, set()) if e != i}


def _toggle_edit(i: int) -> None:
    _commit_typed()
    editing: set[int] = st.session_state.setdefault(keys.EDITING, set())
    editing.symmetric_difference_update({i})


def _add_message() -> None:
    conv = _notebook().conversation
    last = conv[-1].role if conv else "assistant"
    append(ChatMessage(role="assistant" if last == "user" else "user"))


def ends_with_answer() -> bool:
    """Whether the conversation ends with the model's message (no tool calls): Run then continues that message."""
    conv = _notebook().conversation
    return bool(conv) and conv[-1].role == "assistant" and not conv[-1].tool_calls


def _add_user() -> None:
    _commit_typed()
    append(ChatMessage(role="user"))
    st.session_state.setdefault(keys.EDITING, set()).add(len(_notebook().conversation) - 1)


def add_user_button() -> None:
    """A button adding an empty user message at the end, open for typing."""
    st.button(
        "Add a user message",
        key=keys.ADD_USER,
        on_click=_add_user,
        icon=":material/person_add:",
        help="Add an empty user message at the end, to ask something new before running",
    )


def _show_earlier() -> None:
    ss = st.session_state
    ss[keys.SHOWN_MESSAGES] = ss.get(keys.SHOWN_MESSAGES, LATEST) + EARLIER_STEP


def _toggle_whole(i: int) -> None:
    st.session_state.setdefault(keys.SHOWN_WHOLE, set()).symmetric_difference_update({i})


def _add_system() -> None:
    conv = _notebook().conversation
    conv.insert(0, ChatMessage(role="system", content="You are a helpful assistant."))
    forget_widgets(0)


# ------------------------------------------------------------------------------------ drawing


def _toolbar(i: int, n: int, *, editing: bool) -> None:
    """Edit, and while editing: move, duplicate, insert, delete (one button per message otherwise, so a long
    conversation stays quick to redraw)."""
    if not editing:
        st.button(
            "",
            key=keys.message_action(i, "edit"),
            icon=":material/edit:",
            help="Edit, move, copy or delete this message",
            on_click=_toggle_edit,
            args=(i,),
            type="tertiary",
        )
        return
    with st.container(horizontal=True, gap="small"):
        tools: list[tuple[str, str, str, Callable[..., None], tuple[Any, ...], bool]] = [
            ("edit", ":material/check:", "Done editing", _toggle_edit, (i,), False),
            ("up", ":material/arrow_upward:", "Move up", _move, (i, -1), i == 0),
            ("down", ":material/arrow_downward:", "Move down", _move, (i, 1), i == n - 1),
            ("duplicate", ":material/content_copy:", "Duplicate", _duplicate, (i,), False),
            ("insert", ":material/add:", "Insert a message below", _insert, (i,), False),
            ("delete", ":material/delete:", "Delete this message", _delete, (i,), False),
        ]
        for action, icon, help_text, callback, args, disabled in tools:
            st.button(
                "",
                key=keys.message_action(i, action),
                icon=icon,
                help=help_text,
                on_click=callback,
                args=args,
                disabled=disabled,
                type="tertiary",
            )


def _tool_call_rows(i: int, m: ChatMessage) -> None:
    """An assistant's tool calls as rows (id, name, arguments) a person can edit."""
    frame = pd.DataFrame([c.model_dump() for c in m.tool_calls], columns=["id", "name", "arguments"]).astype("string")
    edited = st.data_editor(
        frame,
        key=keys.message_tool_calls(i),
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config={
            "id": st.column_config.TextColumn("Call id"),
            "name": st.column_config.TextColumn("Tool name"),
            "arguments": st.column_config.TextColumn("Arguments (JSON)"),
        },
    )
    rows = []
    for r in edited.to_dict("records"):
        values = {k: "" if pd.isna(r.get(k)) else str(r.get(k)) for k in ("id", "name", "arguments")}
        if any(values.values()):
            rows.append(ToolCallRow(**values))
    m.tool_calls = rows


def _editor(i: int, m: ChatMessage) -> None:
    ss = st.session_state
    mk = fields.MESSAGE_KEYS
    role_key, content_key, name_key, tcid_key, _ = keys.message_keys(i)
    ss.setdefault(role_key, m.role)
    ss.setdefault(content_key, m.content)
    ss.setdefault(name_key, m.name)
    left, right = st.columns([1, 1])
    with left:
        m.role = st.selectbox(f"{mk['role'].label} of message {i + 1}", fields.ROLES, key=role_key, help=mk["role"].help)
    with right:
        m.name = st.text_input(mk["name"].label, key=name_key, help=mk["name"].help, placeholder="optional")
    with error_view.slot():  # a role changed to or from "tool" moves nothing below: the text box keeps what is typed
        if m.role == "tool":
            ss.setdefault(tcid_key, m.tool_call_id)
            m.tool_call_id = st.text_input(mk["tool_call_id"].label, key=tcid_key, help=mk["tool_call_id"].help)
    m.content = st.text_area(
        f"{mk['content'].label} of message {i + 1}",
        key=content_key,
        help=mk["content"].help,
        height="content" if m.content else 100,
        placeholder="The tool's result" if m.role == "tool" else "Type here",
    )
    attachments.editor(i, m, _commit_typed)
    if m.role == "assistant":
        st.caption("Tool calls this message makes (add a row to call a tool):")
        _tool_call_rows(i, m)


def _shown_text(i: int, text: str) -> tuple[str, bool]:
    """What of message i's text to draw, and whether it is cut: a long one, its first `LONG_CHARS` characters until
    the person asks for all of it."""
    long = len(text) > LONG_CHARS
    if long and i not in st.session_state.get(keys.SHOWN_WHOLE, set()):
        return text[:LONG_CHARS], True
    return text, False


def _show_all_button(i: int, text: str, cut: bool) -> None:
    if len(text) <= LONG_CHARS:
        return
    if cut:
        st.caption(
            f"Showing the first {LONG_CHARS:,} of {len(text):,} characters. The whole message is kept, and sent with each Run."
        )
    st.button(
        f"Show all ({len(text):,} characters)" if cut else "Show less",
        key=keys.message_action(i, "show_all"),
        on_click=_toggle_whole,
        args=(i,),
        type="tertiary",
        icon=":material/unfold_more:" if cut else ":material/unfold_less:",
    )


def _show(i: int, m: ChatMessage) -> None:
    """A message as read: its text (a long one cut until "Show all"), tool calls as code (tool names and arguments
    are untrusted)."""
    text, cut = _shown_text(i, m.content)
    if m.role == "tool":
        st.caption(f"Result of tool call {inline_code(m.tool_call_id or '?')}" + (f" ({plain(m.name)})" if m.name else ""))
        st.code(text or "(empty: fill in the tool's result)", language="json", wrap_lines=True)
        _show_all_button(i, m.content, cut)
        return
    if m.name:
        st.caption(f"name: {plain(m.name)}")
    if m.content:
        st.markdown(safe_markdown(text))
        _show_all_button(i, m.content, cut)
    elif not m.tool_calls and not m.images:
        st.caption("(empty)")
    attachments.show(m)
    for c in m.tool_calls:
        st.caption(f"Calls tool (id {plain(c.id or '?')}):")
        st.code(f"{c.name}({c.arguments})", language=None, wrap_lines=True)


def _bubble(
    i: int,
    m: ChatMessage,
    n: int,
    *,
    editing: bool,
    request_error: errors.RequestError | None,
    upstream: errors.PlaygroundError | None,
) -> None:
    with st.container(key=keys.bubble(i, m.role)), st.chat_message(m.role, avatar=AVATARS[m.role]):
        if editing:
            _editor(i, m)
        else:
            _show(i, m)
        attachments.refused(m)
        error_view.show_field(request_error, f"messages.{i}", upstream=upstream)
        _toolbar(i, n, editing=editing)


def _system_box(m: ChatMessage, request_error: errors.RequestError | None, upstream: errors.PlaygroundError | None) -> None:
    ss = st.session_state
    ss.setdefault(keys.SYSTEM, m.content)
    with st.container(border=True):
        m.content = st.text_area(
            "System prompt",
            key=keys.SYSTEM,
            height="content",
            help="Instructions the model reads before the conversation (a system message).",
        )
        error_view.show_field(request_error, "messages.0", upstream=upstream)
        st.button(
            "Remove the system prompt",
            key=keys.message_delete(0),
            on_click=_delete,
            args=(0,),
            type="tertiary",
            icon=":material/delete:",
        )


def render(
    *, request_error: errors.RequestError | None, upstream: errors.PlaygroundError | None, after_message: Callable[[int], None]
) -> bool:
    """Draw the conversation; `after_message(k)` draws what answered the first k messages. Returns the form view."""
    ss = st.session_state
    conv = _notebook().conversation
    form_view = (
        st.segmented_control(
            "View",
            VIEWS,
            key=keys.VIEW,
            default="Chat",
            required=True,
            label_visibility="collapsed",
            help="Chat: read and edit messages as bubbles. Form: every field of every message at once (name, tool call id).",
        )
        == "Form"
    )
    error_view.show_field(request_error, "messages", exact=True, upstream=upstream)
    editing: set[int] = ss.setdefault(keys.EDITING, set())
    start = 0
    if conv and conv[0].role == "system" and not form_view:
        _system_box(conv[0], request_error, upstream)
        after_message(1)
        start = 1
    elif not form_view:
        st.button("Add a system prompt", key=keys.ADD_SYSTEM, on_click=_add_system, type="tertiary", icon=":material/settings:")
    first = max(start, len(conv) - ss.get(keys.SHOWN_MESSAGES, LATEST))
    if first > start:
        st.button(
            f"Show earlier messages ({first - start:,})",
            key=keys.SHOW_EARLIER,
            on_click=_show_earlier,
            icon=":material/expand_less:",
            type="tertiary",
            help=f"Draw up to {EARLIER_STEP} more of the messages above. Every message is sent with each Run, shown or not.",
        )
        after_message(first)
    for i in range(first, len(conv)):
        _bubble(i, conv[i], len(conv), editing=form_view or i in editing, request_error=request_error, upstream=upstream)
        after_message(i + 1)
    if form_view:
        st.button("Add message", key=keys.ADD_MESSAGE, on_click=_add_message, icon=":material/add:")
    return form_view


def show(conv: Sequence[ChatMessage], *, after_message: Callable[[int], None]) -> None:
    """The conversation read-only (a shared view): every message as a bubble, nothing to edit; `after_message(k)` draws
    what answered the first k messages."""
    after_message(0)
    for i, m in enumerate(conv):
        with st.container(key=keys.bubble(i, m.role)), st.chat_message(m.role, avatar=AVATARS[m.role]):
            _show(i, m)
        after_message(i + 1)


def _load_example() -> None:
    name = st.session_state.get(keys.EXAMPLE_CONVERSATION)
    messages, _ = conversation_from_json(json.dumps(examples.CONVERSATIONS[name]))
    replace(messages)
    st.session_state[keys.NOTES] = [f"The example “{name}” is in place of the conversation: Run it, or edit it first."]


def import_export() -> None:
    """Start from one of the seed's example conversations, import one from JSON (the seed document's shapes too), or
    download it."""
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.selectbox(
            "Start from an example",
            list(examples.CONVERSATIONS),
            key=keys.EXAMPLE_CONVERSATION,
            help="The seed document's example messages, or a question about a small picture sent inside the request. "
            "Loading one replaces the conversation.",
        )
        st.button("Load example", key=keys.LOAD_EXAMPLE, on_click=_load_example, icon=":material/lightbulb:")
    conv = _notebook().conversation
    st.download_button(
        "Export conversation (JSON)",
        lambda: conversation_to_json(conv),  # written when clicked, not on every rerun of the page
        file_name="conversation.json",
        mime="application/json",
        key=keys.EXPORT_CONVERSATION,
        icon=":material/download:",
        on_click="ignore",
    )
    upload = st.file_uploader(
        "Import a conversation (JSON)",
        type=["json"],
        key=keys.IMPORT_CONVERSATION,
        max_upload_size=untrusted.LIMITS.megabytes,
        help='A messages array, or an object with "messages" (the seed document\'s example shapes are converted).',
    )
    if upload is None:
        return
    marker = f"{upload.file_id}"
    if st.session_state.get(keys.IMPORTED) == marker:
        return
    try:
        messages, notes = conversation_from_json(upload.getvalue())
    except ValueError as exc:
        st.error(f"Nothing was imported: {plain(str(exc))}", icon=":material/warning:")
        return
    replace(messages)
    st.session_state[keys.IMPORTED] = marker
    st.session_state[keys.NOTES] = [f"Imported {len(messages)} message(s).", *notes]
    st.rerun()
