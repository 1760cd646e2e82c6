"""A run on the Playground page as it happens: streamed into the live view (saved about once a second and however
it ends) with Stop, a run cut short by a newer run of the page, and deferred results asked for each second.

Wiring only: `playground.runner` streams and polls; the cell keeps whatever arrived.
"""

from __future__ import annotations

import functools
import time

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.exceptions import StopException

from components import cells, controls
from components import state as keys
from components.text import safe_inline
from playground import backends, errors, runner
from playground.client import ChatClient
from playground.notebook import Cell
from playground.response import TextDelta
from views import shared

ss = st.session_state


def _stop_clicked() -> None:
    ss[keys.STOP_REQUESTED] = True


def _mark_stopped(cell: Cell) -> None:
    """The person stopped the run: the cell keeps what arrived; it joins the conversation only if they ask
    ("Use this answer"), since a cut-off answer would steer every later turn."""
    cell.status = "stopped"


def _session_alive() -> bool:
    """Whether this browser tab is still connected (a Stop click) rather than closed or reloaded."""
    ctx = get_script_run_ctx()
    return ctx is not None and Runtime.exists() and Runtime.instance().is_active_session(ctx.session_id)


def after_stop() -> None:
    """This run began while the previous one streamed (Stop, a new message, any other change): that run ends on
    another thread (Streamlit's fast reruns). Wait briefly for it, so the page shows how it ended; after a Stop
    click, say it was stopped."""
    interrupted = ss.pop(keys.STREAMING, None) is not None
    stop = ss.pop(keys.STOP_REQUESTED, False)
    if not (interrupted or stop):
        return
    deadline = time.monotonic() + 3
    while any(c.status == "streaming" for c in shared.notebook().cells) and time.monotonic() < deadline:
        time.sleep(0.05)
    if not stop:
        return
    for cell in reversed(shared.notebook().cells):
        # still "streaming" when the old run waits for a slow next token: it ends at that token, already stopped
        if cell.status in ("streaming", "interrupted", "stopped"):
            _mark_stopped(cell)
            break


def stream(client: ChatClient, cell: Cell) -> None:
    """Stream into the live view, saving what arrived about once a second and whatever way the run ends."""
    live = cells.Live(on_stop=_stop_clicked, start=cell.text())
    saved_at = time.monotonic()
    ss[keys.STREAMING] = cell.id
    events = runner.stream(client, cell, on_wait=live.waiting)
    try:
        for event in events:
            if isinstance(event, TextDelta):
                live.add(event.choice, event.text)
            if time.monotonic() - saved_at > 1.0:
                shared.save()
                saved_at = time.monotonic()
        ss.pop(keys.STREAMING, None)
    except StopException:  # the chat input's Stop, a newer run of this page, or a closed tab
        events.close()
        if _session_alive():
            _mark_stopped(cell)
        raise
    finally:
        events.close()
        shared.save()


@st.fragment(run_every=1)
def poll_deferred() -> None:
    """Ask for every pending deferred result each second; save each the moment it arrives (xAI hands it out once)."""
    changed = False
    for cell in shared.notebook().cells:
        if cell.status != "pending":
            continue
        if (slot := shared.to_confirm(cell.backend, cell.base_url)) is not None:
            # a notebook from elsewhere: opening it contacts no server it names, and never with another's key
            controls.ask_for_result(cell, backends.server_words(slot), functools.partial(shared.confirm, slot))
            continue
        try:
            client = shared.clients().get(shared.client_config(cell.backend, cell.base_url))
        except errors.RequestError as exc:  # e.g. the xAI key field is empty now: wait until it is back
            st.warning(f"Cannot ask for the deferred result now: {safe_inline(exc.errors[0].message)}")
            continue
        if runner.poll(client, cell):
            # Written once: when another process (a second tab, another server) stored this result first,
            # the page shows that one, and the notebook's other edits are saved as usual below.
            if (finished := shared.finish_cell(cell.id)) is not None:
                finished.apply(shared.notebook())
            changed = True
    if changed:
        shared.save()
        st.rerun()
