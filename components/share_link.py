"""A read-only link (`?view=<id>`): its address at the origin the page was opened at, and the box to copy it."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import streamlit as st

from components import state as keys


def address(share_id: str) -> str:
    """The read-only link of a share, at the address this page was opened at (`?view=<id>`)."""
    parts = urlsplit(st.context.url or "")
    return urlunsplit((parts.scheme or "http", parts.netloc or "localhost:8501", "/", f"{keys.VIEW_PARAM}={share_id}", ""))


def show(share_id: str, what: str) -> None:
    """A link just made, to copy (the code box has a copy button)."""
    st.success(
        f"Anyone with this link can read this {what} as it is now; revoke it on the Notebooks page.", icon=":material/link:"
    )
    st.code(address(share_id), language=None)
