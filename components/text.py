"""Untrusted text (model output, tool arguments, server messages) shown as Markdown without surprises.

Markdown keeps lists, code and tables readable, but a dollar sign must not start LaTeX ("$5 and $10"), an
image must not make the browser fetch a URL, and raw HTML is never enabled (Streamlit escapes it). Code
spans and fences are left exactly as written, since Markdown shows them literally anyway.
"""

from __future__ import annotations

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
