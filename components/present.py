"""A notebook as slides: one run at a time in large type, the tool calls and the answer side by side.

`slide` draws one run: what was asked, then the tool calls (the ones it made and the ones whose results it was
given, each with its result) beside the answer (`response_view.answer`, as on the Playground). `STYLE` is the page's
own CSS: no sidebar, large type. Untrusted text goes through components/text.py or `st.code`, as everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from components import conversation, response_view
from components import state as keys
from components.cells import status_words
from components.text import plain, safe_markdown, stop_words, usage_words
from playground.notebook import Cell, ChatMessage, Notebook

__all__ = ["STYLE", "ToolCall", "slide", "tool_calls"]

# Streamlit's own test ids: the sidebar and the buttons that open it; the slide (its st-key class) in large type
STYLE = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stSidebarNav"] { display: none !important; }
.st-key-present-slide [data-testid="stMarkdownContainer"] p, .st-key-present-slide [data-testid="stMarkdownContainer"] li
  { font-size: 1.55rem; line-height: 1.45; }
.st-key-present-slide [data-testid="stCaptionContainer"] p { font-size: 1.05rem; }
.st-key-present-slide pre, .st-key-present-slide code { font-size: 1.15rem; }
.st-key-present-slide h3 { font-size: 1.6rem; }
</style>"""


@dataclass(frozen=True)
class ToolCall:
    """One tool call on a slide: its name, id and arguments (JSON text), and its result when the notebook has one."""

    name: str
    id: str
    arguments: str
    result: str | None


def _results(messages: Sequence[ChatMessage]) -> dict[str, str]:
    return {m.tool_call_id: m.content for m in messages if m.role == "tool" and m.tool_call_id}


def tool_calls(cell: Cell, nb: Notebook) -> list[ToolCall]:
    """The calls whose results this run was given (after the last user message it answered), then the calls it made,
    each with the result the notebook's conversation holds for it (None: not answered yet)."""
    last_user = max((i for i, m in enumerate(cell.conversation) if m.role == "user"), default=-1)
    answered = cell.conversation[last_user + 1 :]
    results = _results(nb.conversation) | _results(answered)
    calls = [ToolCall(c.name, c.id, c.arguments, results.get(c.id)) for m in answered for c in m.tool_calls]
    if cell.completion is not None:
        for use in cell.completion.tool_uses(0):
            arguments = json.dumps(use.input or {}, ensure_ascii=False)
            calls.append(ToolCall(use.name or "", use.id or "", arguments, results.get(use.id or "")))
    return calls


def _question(cell: Cell) -> None:
    asked = next((m for m in reversed(cell.conversation) if m.role == "user"), None)
    if asked is None:
        return
    with st.chat_message("user", avatar=conversation.AVATARS["user"]):
        st.markdown(safe_markdown(asked.content))


def _calls(calls: Sequence[ToolCall]) -> None:
    st.subheader("Tool calls", anchor=False)
    for call in calls:
        st.caption(plain(f"Call {call.id}" if call.id else "Call"))
        st.code(f"{call.name}({call.arguments})", language=None, wrap_lines=True)
        if call.result is None:
            st.caption("No result yet.")
        else:
            st.caption("Result")
            st.code(call.result, language=None, wrap_lines=True)


def _answer(cell: Cell) -> None:
    st.subheader("Answer", anchor=False)
    if cell.completion is not None:
        response_view.answer(cell.completion, key=f"present-{cell.id}")
    elif cell.text():
        st.markdown(safe_markdown(cell.text()))
    else:
        st.caption("No answer arrived.")
    if cell.error is not None:
        st.error(plain(cell.error.message), icon=":material/error:")


def slide(nb: Notebook, index: int) -> None:
    """Run `index` (0-based) of the notebook as one slide."""
    cell = nb.cells[index]
    facts = [f"Run {index + 1} of {len(nb.cells)}", status_words(cell), plain(cell.model)]
    if cell.completion is not None:
        facts.append(stop_words(cell.completion.stop_reason, cell.completion.stop_sequence))
        facts.append(usage_words(cell.completion.usage.input_tokens, cell.completion.usage.output_tokens))
    with st.container(key=keys.PRESENT_SLIDE):
        st.caption(" · ".join(f for f in facts if f))
        _question(cell)
        calls = tool_calls(cell, nb)
        if calls:
            left, right = st.columns(2, gap="large")
            with left:
                _calls(calls)
            with right:
                _answer(cell)
        else:
            _answer(cell)
