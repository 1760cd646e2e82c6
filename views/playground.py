"""Playground page: a notebook. Write a conversation, set fields, run; each run is a cell under what it answered.

Wiring only: widgets come from components/, every request goes through `playground.runner` (streamed and polled
by `views.running`), the notebook is opened and autosaved under `?notebook=<id>` (`views.session`), so a reload
loses nothing.
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from components import branching, cells, controls, conversation, sidebar, tool_review, variables_form
from components import state as keys
from playground import backends, branch, errors, runner, tool_calls
from playground.client import ClientConfig
from playground.notebook import Cell
from playground.request import Built
from views import running, shared

ss = st.session_state


# ------------------------------------------------------------------------------------ running


def _execute(cell: Cell, config: ClientConfig) -> None:
    """Run a prepared cell: deferred (queued, polled later) or streamed; then redraw everything in place."""
    nb = shared.notebook()
    nb.cells.append(cell)
    client = shared.clients().get(config)
    if cell.body.get("deferred"):
        runner.submit_deferred(client, cell)
    else:
        running.stream(client, cell)
        answers_the_end = cell.conversation == shared.notebook().conversation  # not a rerun of an earlier point
        if cell.status == "done" and ss.get(keys.AUTO_APPEND, True) and answers_the_end:
            cells.continue_with(cell)
    if cell.error is not None:
        ss[keys.UPSTREAM_ERROR] = _upstream(cell)
    st.rerun()


def _upstream(cell: Cell) -> errors.PlaygroundError:
    e = cell.error
    assert e is not None
    return e.error()


def _run_now(
    values: sidebar.Values,
    model: str | None,
    choice: sidebar.Backend,
    config: ClientConfig | None,
    *,
    step_of: str | None = None,
    settings: dict[str, Any] | None = None,
    built: Built | None = None,
) -> None:
    """Run the sidebar's request (`built` when the live check already built it), or with `settings` instead."""
    try:
        if built is None:
            built = shared.prepare(values, model, choice, config, shared.notebook().conversation, settings=settings)
    except errors.RequestError as exc:
        ss[keys.REQUEST_ERROR] = exc
        st.rerun()
    except errors.PlaygroundError as exc:  # looking tokens up for logit bias failed
        ss[keys.UPSTREAM_ERROR] = exc
        st.rerun()
    assert config is not None
    shared.confirm(shared.server_slot(choice.id, choice.base_url))  # the person ran it: the sidebar's server
    ss[keys.NOTES] = list(built.notes)
    _, used = shared.filled(shared.notebook().conversation)
    cell = runner.new_cell(
        built,
        backend=choice.id,
        base_url=config.base_url,
        conversation=shared.notebook().conversation,
        settings=dict(shared.notebook().settings),
        step_of=step_of,
        variables=used,
    )
    _execute(cell, config)


def _tools_step(
    cell_id: str,
    values: sidebar.Values,
    model: str | None,
    choice: sidebar.Backend,
    config: ClientConfig | None,
    *,
    reviewed: bool = False,
) -> None:
    """Add a cell's tool calls to the conversation and answer them: as the person chose in the review
    (`reviewed`), at once when every call's source is approved for this notebook, else ask for the review."""
    nb = shared.notebook()
    cell = nb.cell(cell_id)
    ss.pop(keys.REVIEW, None)
    if cell is None or cell.completion is None:
        return
    if not cell.continued:
        conversation.append(*runner.continuation(cell.completion))
        cell.continued = True
    calls = tool_calls.waiting(nb.conversation, tool_calls.servers_of(cell.settings))
    if reviewed:
        tool_review.remember(nb.id, calls)
    chosen = tool_calls.to_run(calls, tool_review.approved(nb.id), tool_review.decisions(calls) if reviewed else None)
    if chosen is None:
        if calls:
            ss[keys.REVIEW] = cell.id
            st.rerun()  # the cells are drawn already: draw the review under the cell's button
        return
    with st.spinner(f"Running {', '.join(sorted({c.name for c in calls}))}…"):
        conversation.replace(tool_calls.decided(nb.conversation, calls, chosen, os.environ, shared.app_secrets()))
    ss[keys.PENDING] = ("step", cell.id)
    st.rerun()  # draw the results in their bubbles first, then answer them (the transcript above is already drawn)


def _pending(
    values: sidebar.Values, model: str | None, choice: sidebar.Backend, config: ClientConfig | None, ready: Built | None
) -> None:
    """Do what a button asked for in its callback (callbacks never do HTTP); `ready` is the live check's request."""
    action = ss.pop(keys.PENDING, None)
    if action is None:
        return
    kind, cell_id = action
    if kind == "run":
        _run_now(values, model, choice, config, built=ready)
    elif kind == "tools":
        _tools_step(cell_id, values, model, choice, config)
    elif kind == "review":
        _tools_step(cell_id, values, model, choice, config, reviewed=True)
    elif kind == "step" and (cell := shared.notebook().cell(cell_id)) is not None:
        settings = runner.next_step_settings(shared.notebook(), cell, values.settings)
        _run_now(values, model, choice, config, step_of=cell.id, settings=settings)
    elif kind == "rerun" and (cell := shared.notebook().cell(cell_id)) is not None:
        if shared.to_confirm(cell.backend, cell.base_url) is not None:
            ss[keys.CONFIRM_RERUN] = cell.id  # a server this session never chose: ask first (see _confirm_rerun)
            return
        try:
            config_then = shared.client_config(cell.backend, cell.base_url)
        except errors.RequestError as exc:
            ss[keys.REQUEST_ERROR] = exc
            return
        _execute(runner.rerun_of(cell), config_then)
    elif kind == "branch" and (cell := shared.notebook().cell(cell_id)) is not None:
        _branch(cell, ss.pop(keys.BRANCH_PICK, None))


def _branch(cell: Cell, pick: branch.Pick | None) -> None:
    """Continue from a token of `cell`'s answer (its server asked once whether it continues an unfinished answer)."""
    try:
        chosen = shared.to_confirm(cell.backend, cell.base_url) is None  # else nothing goes to that server
        config = shared.client_config(cell.backend, cell.base_url) if chosen else None
        new = branching.probes().start(shared.clients().get(config) if config else None, cell, pick)
    except (ValueError, errors.PlaygroundError) as exc:
        ss[keys.BRANCH_ERROR] = (cell.id, str(exc))
        st.rerun()  # the cells are drawn already: show why under the button
    assert config is not None  # `start` refused a server not chosen
    _execute(new, config)


# ------------------------------------------------------------------------------------ drawing


def _confirm_rerun() -> None:
    """Rerun of a cell whose server this session never chose: ask first; send only on yes."""
    cell_id = ss.get(keys.CONFIRM_RERUN)
    cell = shared.notebook().cell(cell_id) if cell_id else None
    slot = shared.to_confirm(cell.backend, cell.base_url) if cell is not None else None
    if cell is None or slot is None:
        ss.pop(keys.CONFIRM_RERUN, None)
        return

    def yes() -> None:
        shared.confirm(slot)
        ss[keys.PENDING] = ("rerun", cell.id)

    controls.confirm_rerun(cell, backends.server_words(slot), yes)


def main() -> None:
    shared.open_notebook()
    running.after_stop()
    shown: errors.RequestError | None = ss.get(keys.CHECK)
    with st.sidebar:
        choice, config, model, values = shared.sidebar_panel(shown, ss.get(keys.UPSTREAM_ERROR))
    shared.show_notice()
    controls.header(shared.notebook())
    cells.render_notebook(shared.notebook(), request_error=shown, upstream=ss.get(keys.UPSTREAM_ERROR), prices=shared.prices())
    variables_form.form(shared.names_in(shared.notebook().conversation), shown)
    check, ready = shared.checked_run(values, model, choice)
    if (check.errors if check else None) != (shown.errors if shown else None):
        ss[keys.CHECK] = check
        st.rerun()  # show the mistakes next to their fields (and take them away once fixed)
    _pending(values, model, choice, config, ready)
    controls.run_button(shown)
    _confirm_rerun()
    controls.outcome(shared.notebook())
    with st.expander("Import or export the conversation", icon=":material/swap_vert:"):
        conversation.import_export()
    if len(shared.notebook().cells) > 1 and st.toggle("Usage and speed across runs", key=keys.USAGE):
        cells.usage_across(shared.notebook().cells)
    controls.chat_input(disabled=shown is not None)
    if any(c.status == "pending" for c in shared.notebook().cells):
        running.poll_deferred()
    shared.show_saved(shared.save())


main()
