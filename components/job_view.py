"""A background job on its page (a comparison, an evaluation): its progress and Cancel, redrawn by a small fragment
while it runs, and the job taken off the page once it has ended.

Drawing only: the page starts the job (`playground.jobs`) and puts its result away (`workspace.deliver`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from components.text import plain
from playground.jobs import Started

__all__ = ["ended", "live", "progress"]


def ended(key: str, *, failure_key: str, what: str) -> Started | None:
    """The job the page keeps under `key`, taken off the page once it has ended with its result; None while it runs,
    when there is none, or when it failed: then `failure_key` holds "The <what> stopped: <why>" for the page to show."""
    started: Started | None = st.session_state.get(key)
    if started is None or not started.job.done:
        return None
    del st.session_state[key]
    if started.job.result is None:
        st.session_state[failure_key] = f"The {what} stopped: {started.job.failure}"
        return None
    return started


def progress(fraction: float, text: str, *, cancel_key: str, on_cancel: Callable[[], None], help: str | None = None) -> None:
    """A progress bar saying `text` (shown as plain text), with its Cancel button beside it."""
    with st.container(horizontal=True, vertical_alignment="center"):
        st.progress(fraction, text=plain(text))
        st.button("Cancel", key=cancel_key, on_click=on_cancel, icon=":material/cancel:", help=help)


@st.fragment(run_every=0.5)
def live(key: str, draw: Callable[[Any], None]) -> None:
    """While the job under `key` runs, `draw(job)` every half second; the whole page reruns once it has ended."""
    started: Started | None = st.session_state.get(key)
    if started is None:
        return
    if started.job.done:
        st.rerun()
    draw(started.job)
