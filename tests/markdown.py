"""What a person reads in the Markdown the page hands Streamlit: components/text.py backslash-escapes every
punctuation character of untrusted text and keeps indentation as no-break spaces; tests compare the words."""

from __future__ import annotations

import re

_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def readable(markdown: str) -> str:
    """`markdown` with its backslash escapes resolved and no-break spaces as spaces."""
    return _ESCAPED.sub(r"\1", markdown).replace("\u00a0", " ")
