"""Draws a `Completion` as the seed's Response Datas: content blocks, stop reason, usage, raw JSON.

`live` shows text while it streams (the page feeds it deltas); `render` shows the finished answer.
Only drawing here; the page does the HTTP.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from playground.response import Choice, Completion, ContentBlock


class Live:
    """Text of every choice as it arrives, redrawn in one placeholder (st.write_stream takes one stream only)."""

    def __init__(self) -> None:
        self.placeholder = st.empty()
        self.texts: dict[int, str] = {}
        self.thinking: dict[int, str] = {}

    def add(self, choice: int, text: str, *, thinking: bool = False) -> None:
        target = self.thinking if thinking else self.texts
        target[choice] = target.get(choice, "") + text
        self.draw(cursor=True)

    def draw(self, *, cursor: bool = False, note: str | None = None) -> None:
        with self.placeholder.container():
            many = len(set(self.texts) | set(self.thinking)) > 1
            for i in sorted(set(self.texts) | set(self.thinking)):
                if many:
                    st.markdown(f"**Choice {i + 1}**")
                if self.thinking.get(i):
                    st.caption(self.thinking[i])
                st.markdown(as_markdown(self.texts.get(i, "")) + (" ▌" if cursor else ""))
            if note:
                st.warning(note)


def as_markdown(text: str) -> str:
    """Model text shown as written: keep line breaks, no accidental Markdown headings from '#'."""
    return text.replace("\n", "  \n") if text else "_(no text)_"


def _block(block: ContentBlock, n: int) -> None:
    if block.type == "text":
        st.markdown(as_markdown(block.text or ""))
    elif block.type == "thinking":
        with st.expander("Thinking", icon=":material/psychology:"):
            st.markdown(as_markdown(block.thinking or ""))
            if block.signature:
                st.caption(f"signature: `{block.signature}`")
    elif block.type == "tool_use":
        st.markdown(f":material/build: Tool call **`{block.name}`**" + (f" · id `{block.id}`" if block.id else ""))
        st.json(block.input or {}, expanded=True)


def _choice(content: list[ContentBlock], stop_reason: str | None, stop_sequence: str | None) -> None:
    if not content:
        st.markdown("_(the model returned no content)_")
    for n, block in enumerate(content):
        _block(block, n)
    facts = [f"stop reason: **{stop_reason or '—'}**"]
    if stop_sequence:
        facts.append(f"stop sequence: **{json.dumps(stop_sequence)}**")
    st.caption(" · ".join(facts))


def render(completion: Completion) -> None:
    """The whole answer: choices (tabs when n > 1), usage metrics, ids and the raw JSON."""
    choices: list[Choice] = completion.choices or [
        Choice(index=0, content=completion.content, stop_reason=completion.stop_reason,
               stop_sequence=completion.stop_sequence, logprobs=None)]
    if len(choices) > 1:
        tabs = st.tabs([f"Choice {c.index + 1}" for c in choices])
        for tab, c in zip(tabs, choices, strict=True):
            with tab:
                _choice(c.content, c.stop_reason, c.stop_sequence)
    else:
        _choice(choices[0].content, choices[0].stop_reason, choices[0].stop_sequence)
    u = completion.usage
    cols = st.columns(4)
    cols[0].metric("Input tokens", u.input_tokens)
    cols[1].metric("Output tokens", u.output_tokens)
    cols[2].metric("Cache read input tokens", u.cache_read_input_tokens)
    cols[3].metric("Reasoning tokens", u.reasoning_tokens)
    ids = [f"id `{completion.id}`", f"model `{completion.model}`"]
    if completion.created:
        ids.append(f"created {completion.created}")
    if completion.request_id:
        ids.append(f"request_id `{completion.request_id}`")
    if completion.system_fingerprint:
        ids.append(f"fingerprint `{completion.system_fingerprint}`")
    st.caption(" · ".join(ids))
    with st.expander("Response Datas (normalised JSON)"):
        st.json(completion.model_dump(exclude={"raw"}, exclude_none=True), expanded=2)
    with st.expander("Raw JSON from the server"):
        st.json(_jsonable(completion.raw), expanded=1)


def _jsonable(raw: Any) -> Any:
    try:
        json.dumps(raw)
        return raw
    except TypeError:
        return str(raw)
