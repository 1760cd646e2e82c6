"""Untrusted text (model output, tool arguments, server messages) shown as Markdown without surprises.

Markdown keeps lists, code and tables readable, but a dollar sign must not start LaTeX ("$5 and $10"), an
image must not make the browser fetch a URL, and raw HTML is never enabled (Streamlit escapes it). Code
spans and fences are left exactly as written, since Markdown shows them literally anyway.
"""

from __future__ import annotations

import json
import re

_CODE = re.compile(r"(```.*?(?:```|$)|`[^`\n]*`)", re.DOTALL)
_IMAGE = re.compile(r"!(?=\[)")


def _escape(prose: str) -> str:
    prose = prose.replace("\\", "\\\\").replace("$", "\\$")
    return _IMAGE.sub("\\\\!", prose).replace("\n", "  \n")


def safe_markdown(text: str) -> str:
    """`text` for st.markdown: line breaks kept, `$` literal, `![…](…)` shown as text instead of loaded."""
    if not text:
        return "_(no text)_"
    parts = _CODE.split(text)
    return "".join(part if n % 2 else _escape(part) for n, part in enumerate(parts))


_MD_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character


def plain(text: str) -> str:
    """`text` for st.markdown, shown exactly as written: every ASCII punctuation character is
    backslash-escaped (CommonMark allows it for all of them), so nothing becomes a link, an image,
    emphasis, LaTeX (`$`) or a Streamlit directive (`:red[…]`); line breaks are kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


STOP_WORDS = {
    "stop": "ended by itself",
    "end_turn": "ended by itself",
    "length": "hit the token limit",
    "max_tokens": "hit the token limit",
    "tool_calls": "called a tool",
    "tool_use": "called a tool",
    "function_call": "called a tool",
    "content_filter": "held back by the server's content filter",
    "stop_sequence": "stopped at a stop sequence",
}


def stop_words(reason: str | None, sequence: str | None = None) -> str:
    """Why an answer ended, in plain words for st.markdown: "hit the token limit", 'stopped at "###"'."""
    if sequence:
        return f"stopped at {plain(json.dumps(sequence, ensure_ascii=False))}"
    if not reason:
        return ""
    return STOP_WORDS.get(reason, f"ended ({plain(reason)})")


def usage_words(input_tokens: int, output_tokens: int) -> str:
    """A run's token counts as one phrase: "52 tokens in, 12 out"."""
    return f"{input_tokens:,} tokens in, {output_tokens:,} out"


def speed_words(ttft_s: float | None, total_s: float | None, tokens_per_s: float | None) -> str:
    """A run's timing as one line: "first token 0.21 s · total 1.30 s · 52.0 tokens/s" (unknown parts left out)."""
    parts = []
    if ttft_s is not None:
        parts.append(f"first token {ttft_s:.2f} s")
    if total_s is not None:
        parts.append(f"total {total_s:.2f} s")
    if tokens_per_s is not None:
        parts.append(f"{tokens_per_s:.1f} tokens/s")
    return " · ".join(parts)
