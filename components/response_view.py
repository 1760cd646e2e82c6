"""Draws a `Completion` as the seed's Response Datas: content blocks, stop reason, usage, ids, raw JSON.

`answer` shows what the model said (text, thinking, tool calls; a tab per choice when n > 1) with a
"raw text" switch; `render` shows the rest of the Response Datas. Model text is untrusted: it goes
through `safe_markdown` or is shown as plain text, tool names and arguments as code.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components import state as keys
from components.text import plain, safe_markdown
from playground.response import SHOWN_LOGPROBS, Choice, Completion, ContentBlock

SEED_TITLE = "Response Datas"
SEED_EXPLAINED = "What the API returned, in the field names of the reference document: content blocks, stop reason, usage."


def _block(block: ContentBlock, raw: bool) -> None:
    if block.type == "text":
        if raw:
            st.text(block.text or "")
        else:
            st.markdown(safe_markdown(block.text or ""))
    elif block.type == "thinking":
        with st.expander("Thinking", icon=":material/psychology:"):
            st.text(block.thinking or "")
            if block.signature:
                st.caption("signature:")
                st.code(block.signature, language=None)
    elif block.type == "tool_use":
        st.caption(":material/build: Tool call" + (f" · id {plain(block.id)}" if block.id else ""))
        st.code(f"{block.name}({json.dumps(block.input or {}, ensure_ascii=False)})", language=None, wrap_lines=True)


def _choices(completion: Completion) -> list[Choice]:
    return completion.choices or [
        Choice(
            index=0,
            content=completion.content,
            stop_reason=completion.stop_reason,
            stop_sequence=completion.stop_sequence,
            logprobs=None,
        )
    ]


def _choice(c: Choice, raw: bool) -> None:
    if not c.content:
        st.caption("(the model returned no content)")
    for block in c.content:
        _block(block, raw)
    facts = [f"stop reason: {c.stop_reason or '—'}"]
    if c.stop_sequence:
        facts.append(f"stop sequence: {json.dumps(c.stop_sequence)}")
    st.caption(plain(" · ".join(facts)))


def answer(completion: Completion, *, key: str, read_only: bool = False) -> None:
    """What the model answered, as an assistant bubble (tabs when n > 1); `read_only`: without the raw-text switch."""
    with st.chat_message("assistant", avatar=":material/smart_toy:"):
        raw = not read_only and st.toggle(
            "Show raw text",
            key=keys.cell_action(key, "raw"),
            help="The text exactly as the model wrote it, without Markdown formatting",
        )
        choices = _choices(completion)
        if len(choices) > 1:
            for tab, c in zip(st.tabs([f"Choice {c.index + 1}" for c in choices]), choices, strict=True):
                with tab:
                    _choice(c, raw)
        else:
            _choice(choices[0], raw)


METRIC_WIDTH = 130  # pixels: the least width of a metric, room for its label and figure without "…"


def metrics(count: int) -> DeltaGenerator:
    """A row of `count` metrics (`.metric(...)` on it adds the next), as many side by side as fit at METRIC_WIDTH
    or more and wrapping onto further rows (fixed columns cut labels and figures to "…" on an 800-pixel window)."""
    return st.grid(count, min_column_width=METRIC_WIDTH)


def render(completion: Completion, *, key: str) -> None:
    """The Response Datas beside the answer: usage, ids, the normalised and the raw JSON."""
    st.caption(SEED_EXPLAINED)
    u = completion.usage
    row = metrics(4)
    row.metric("Input tokens", u.input_tokens)
    row.metric("Output tokens", u.output_tokens)
    row.metric("Cache read input tokens", u.cache_read_input_tokens)
    row.metric("Reasoning tokens", u.reasoning_tokens)
    ids = [f"id: {completion.id}", f"model: {completion.model}"]
    if completion.created:
        moment = dt.datetime.fromtimestamp(completion.created, dt.UTC)
        ids.append(f"created: {moment:%d %b %Y, %H:%M:%S} UTC ({completion.created})")
    if completion.request_id:
        ids.append(f"request_id: {completion.request_id}")
    if completion.system_fingerprint:
        ids.append(f"fingerprint: {completion.system_fingerprint}")
    st.text(" · ".join(ids))
    st.caption(f"{SEED_TITLE} (normalised JSON)")
    st.json(completion.shown(), expanded=2)
    if any(len(c.logprobs or ()) > SHOWN_LOGPROBS for c in completion.choices):
        st.download_button(
            "Whole JSON",
            completion.whole_json,  # made only when clicked: a long answer's holds every token and its alternatives
            file_name=f"response-{completion.id}.json",
            mime="application/json",
            key=keys.cell_action(key, "json"),
            icon=":material/download:",
            on_click="ignore",
            help=f"The JSON above shows each choice's first {SHOWN_LOGPROBS} tokens' probabilities; this file holds them all",
        )
    st.caption("Raw JSON from the server")
    st.json(_jsonable(completion.raw), expanded=1)


def _jsonable(raw: Any) -> Any:
    try:
        json.dumps(raw)
        return raw
    except TypeError:
        return str(raw)
