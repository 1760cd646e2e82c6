"""The conversation editor: one role + content per message, add and delete.

The conversation itself lives under the non-widget key `state.MESSAGES` (a list of plain dicts),
so it survives errors, reruns and page switches; widgets are seeded from it and written back.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import streamlit as st

from components import errors as error_view
from components import state as keys
from playground import errors, fields

Message = dict[str, Any]


def blank(role: str = "user", content: str = "") -> Message:
    return {"role": role, "content": content, "name": "", "tool_call_id": ""}


def conversation(ss: MutableMapping[str, Any]) -> list[Message]:
    """The conversation list, created with one empty user message on first use."""
    if keys.MESSAGES not in ss:
        ss[keys.MESSAGES] = [blank()]
    return ss[keys.MESSAGES]


def _forget_widgets(ss: MutableMapping[str, Any], start: int, stop: int) -> None:
    """Drop message widget state from `start` on, so widgets re-seed from the list."""
    for i in range(start, stop):
        for k in keys.message_keys(i):
            ss.pop(k, None)


def append(ss: MutableMapping[str, Any], *messages: Message) -> None:
    """Add messages at the end (used by "Add message" and "Add answer to conversation")."""
    conv = conversation(ss)
    _forget_widgets(ss, len(conv), len(conv) + len(messages))
    conv.extend(messages)


def _delete(i: int) -> None:
    conv = conversation(st.session_state)
    if 0 <= i < len(conv):
        n = len(conv)
        conv.pop(i)
        _forget_widgets(st.session_state, i, n)


def _add() -> None:
    conv = conversation(st.session_state)
    last = conv[-1]["role"] if conv else "assistant"
    append(st.session_state, blank("assistant" if last == "user" else "user"))


def as_request_messages(conv: list[Message]) -> list[Message]:
    """The conversation in the shape `request.build_request` takes (empty optional keys dropped)."""
    out: list[Message] = []
    for m in conv:
        item: Message = {"role": m["role"], "content": m.get("content", "")}
        if m["role"] == "tool":
            item["tool_call_id"] = m.get("tool_call_id") or ""
        if m.get("tool_calls"):
            item["tool_calls"] = m["tool_calls"]
        if (m.get("name") or "").strip():
            item["name"] = m["name"].strip()
        out.append(item)
    return out


def render(request_error: errors.RequestError | None = None,
           upstream: errors.PlaygroundError | None = None) -> list[Message]:
    """Draw the editor and return the conversation as edited."""
    ss = st.session_state
    conv = conversation(ss)
    mk = fields.MESSAGE_KEYS
    st.markdown(f"**{fields.field('messages').label}**", help=fields.field("messages").help)
    error_view.show_field(request_error, "messages", exact=True, upstream=upstream)
    for i, m in enumerate(conv):
        role_key, content_key, name_key, tcid_key = keys.message_keys(i)
        ss.setdefault(role_key, m["role"])
        ss.setdefault(content_key, m.get("content") or "")
        ss.setdefault(name_key, m.get("name") or "")
        with st.container(border=True):
            left, middle, right = st.columns([3, 2, 1], vertical_alignment="bottom")
            with left:
                role = st.selectbox(f"{mk['role'].label} of message {i + 1}", fields.ROLES, key=role_key,
                                    help=mk["role"].help)
            with middle:
                m["name"] = st.text_input(mk["name"].label, key=name_key, help=mk["name"].help,
                                          placeholder="optional")
            with right:
                st.button("Delete", key=keys.message_delete(i), on_click=_delete, args=(i,),
                          help="Remove this message", icon=":material/delete:")
            m["role"] = role
            if m.get("tool_calls"):
                calls = ", ".join(f"{c['function']['name']}({c['function']['arguments']}) id={c['id']}"
                                  for c in m["tool_calls"])
                st.caption(f"Calls tools: {calls}")
            if role == "tool":
                ss.setdefault(tcid_key, m.get("tool_call_id") or "")
                m["tool_call_id"] = st.text_input(mk["tool_call_id"].label, key=tcid_key,
                                                  help=mk["tool_call_id"].help)
            m["content"] = st.text_area(f"{mk['content'].label} of message {i + 1}", key=content_key,
                                        help=mk["content"].help, height=100,
                                        placeholder="The tool's result" if role == "tool" else "Type here")
            error_view.show_field(request_error, f"messages.{i}", upstream=upstream)
    st.button("Add message", key=keys.ADD_MESSAGE, on_click=_add, icon=":material/add:")
    return conv
