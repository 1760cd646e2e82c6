"""Compare page: the same request under many seeds or settings, side by side, and where the answers diverge.

Wiring only: the inputs are drawn by components/compare_setup.py and the reading by components/compare_view.py;
inputs become a base request and variants in `playground.compare.inputs`, and run with `playground.compare`.
Runs go on a background thread (`compare.start_comparison`) with clients built here, in the script thread,
since that thread must never touch st.session_state; a small fragment polls it. A finished comparison is saved
into the notebook, so it reopens as it was.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from components import compare_setup, compare_view, conversation, job_view, share_link
from components import errors as error_view
from components import state as keys
from components.cells import when
from components.text import plain
from playground import backends, compare, errors, jobs, workspace
from playground.client import ChatClient, ClientConfig
from playground.compare import ComparisonJob, Variant
from playground.compare import inputs as setup
from playground.compare.inputs import Base, Problem
from playground.notebook import ChatMessage, safe_base_url
from playground.shares import Shares
from views import shared

ss = st.session_state
CONCURRENCY = 4  # the embedded gateway serves 4 at once; xAI's 429 / Retry-After are the client's own retries


def _from_conversation(values: Any, model: str | None, choice: Any, config: ClientConfig | None, *, lookup: bool) -> Base:
    """The conversation (up to its last question) and the sidebar's settings, built as the Playground's Run builds them.

    `lookup`: look logit-bias text up with the backend's tokenizer (only on Compare: that is a request)."""
    conv, _ = setup.question(shared.notebook().conversation)
    built = shared.prepare(values, model, choice, config, conv, lookup=lookup)
    assert config is not None
    return setup.base_of(built, backend=choice.id, base_url=config.base_url, model=model, settings=values.settings, conv=conv)


def _from_cell(cell_id: str | None) -> Base:
    cell = shared.notebook().cell(cell_id or "")
    slot = shared.to_confirm(cell.backend, cell.base_url) if cell is not None else None
    return setup.base_of_cell(cell, backends.server_words(slot) if slot is not None else None)


# ------------------------------------------------------------------------------------ clients


def _config(slot: setup.Slot, typed_for: str) -> ClientConfig:
    """The client config of one (backend, base URL). The key typed in the sidebar goes only to the sidebar's
    backend; another backend uses the key configured for it (environment or secrets)."""
    backend_id, base_url = slot
    unconfirmed = shared.to_confirm(backend_id, base_url) if backend_id == "openai" else None  # a base URL, typed or named
    if unconfirmed is not None:
        words = backends.server_words(unconfirmed)
        message = (
            f"{words} is a server this notebook names: nothing is sent there until you confirm it. Type its address "
            "here yourself, or choose it in the sidebar and press Use this server."
        )
        raise errors.RequestError([errors.FieldError(backends.BASE_URL_FIELD, message, "server_unconfirmed")])
    if backend_id == typed_for:
        return shared.client_config(backend_id, base_url)
    return backends.resolve(
        backend_id, base_url=base_url, secrets=shared.app_secrets(), start_embedded=lambda: shared.embedded_gateway().base_url
    )


def _clients(variant_list: list[Variant], base: Base, typed_for: str) -> dict[setup.Slot, ChatClient]:
    """Every client the runs need, opened here (the script thread), keyed by `setup.slot_of`; a problem with a
    set's own backend is shown on that set's form."""
    out: dict[setup.Slot, ChatClient] = {}
    for slot, index in setup.slots(variant_list, base).items():
        try:
            out[slot] = shared.clients().get(_config(slot, typed_for))
        except errors.RequestError as exc:
            if index is None:
                raise
            raise setup.on_set(exc, index) from exc
    return out


# ------------------------------------------------------------------------------------ running


def _ask() -> None:
    ss.update({keys.CMP_PENDING: True, keys.CMP_ERROR: None, keys.CMP_FAILURE: None})


def _start(inputs: setup.SetupInputs, values: Any, model: str | None, choice: Any, config: ClientConfig | None) -> None:
    """Compare was pressed: build the runs and start them on their thread, or say what is wrong."""
    if not ss.pop(keys.CMP_PENDING, False):
        return
    try:
        if inputs.source == "cell":
            base = _from_cell(inputs.cell_id)
        else:
            if not shared.notebook().conversation and inputs.prompt.strip():
                conversation.append(ChatMessage(role="user", content=inputs.prompt.strip()))
                compare_setup.forget(keys.CMP_PROMPT)
            base = _from_conversation(values, model, choice, config, lookup=True)
    except errors.RequestError as exc:
        ss[keys.CMP_ERROR] = Problem("base", exc)
        st.rerun()
    except errors.PlaygroundError as exc:  # looking logit-bias text up failed
        ss[keys.CMP_FAILURE] = f"Nothing was run: {exc}"
        st.rerun()
    try:
        variant_list = setup.variants_of(inputs, base)
        clients = _clients(variant_list, base, choice.id)
    except errors.RequestError as exc:  # CompareSetupError too
        ss[keys.CMP_ERROR] = Problem("setup", exc, list(inputs.sets))
        st.rerun()
    job = compare.start_comparison(
        variant_list,
        lambda v: clients[setup.slot_of(v, base)],
        concurrency=CONCURRENCY,
        base_body=base.body,
        where=(base.backend, safe_base_url(base.base_url)),
    )
    ss[keys.CMP_JOB] = jobs.Started(job=job, notebook_id=shared.notebook().id)
    st.rerun()


def _finish() -> None:
    """A comparison that ended is saved into its notebook and shown."""
    running = job_view.ended(keys.CMP_JOB, failure_key=keys.CMP_FAILURE, what="comparison")
    if running is None:
        return
    result = running.job.result
    data = result.model_dump(mode="json")
    if workspace.deliver(running.notebook_id, shared.notebook(), lambda nb: nb.comparisons.append(data)):
        shared.save()
    ss[keys.CMP_SHOWN] = result.id


def _running(job: ComparisonJob) -> None:
    compare_view.running(job.snapshot(), on_cancel=job.cancel)


# ------------------------------------------------------------------------------------ the page


def _recheck(problem: Problem | None, set_check: errors.RequestError | None, inputs: setup.SetupInputs, settings: Any) -> None:
    """Rerun when what is said about the set forms changed: a mistake goes once its set changes or is fixed."""
    if problem is not None and problem.stage == "setup" and problem.sets:
        still = setup.still_true(problem, inputs.sets)
        if still is None or len(still.error.errors) != len(problem.error.errors):
            ss[keys.CMP_ERROR] = still
            st.rerun()
    check_sets = setup.set_check(inputs, settings if inputs.source == "conversation" else {})
    if (check_sets.errors if check_sets else None) != (set_check.errors if set_check else None):
        ss[keys.CMP_SET_CHECK] = check_sets
        st.rerun()


def _summary(inputs: setup.SetupInputs, values: Any, model: str | None, choice: Any, config: ClientConfig | None) -> None:
    nb = shared.notebook()
    if inputs.source == "cell":
        if (cell := nb.cell(inputs.cell_id or "")) is not None:
            compare_setup.request_summary(cell.body, where=f"as run at {when(cell.created)}")
    elif nb.conversation:
        try:
            preview = _from_conversation(values, model, choice, config, lookup=False)
        except errors.RequestError:
            return  # the sidebar and the Compare button say what is wrong
        left_out = setup.question(nb.conversation)[1]
        compare_setup.request_summary(preview.body, where=backends.backend(choice.id).label, left_out=left_out)


def _share(comparison_id: str) -> None:
    """A read-only link to that comparison as it is now (a snapshot in the store)."""
    try:
        ss[keys.CMP_SHARED] = (comparison_id, Shares().share_comparison(shared.notebook(), comparison_id).id)
    except errors.StoreError as exc:
        ss[keys.CMP_FAILURE] = f"No link was made: {exc}"


def main() -> None:
    shared.open_notebook()
    _finish()
    shown: errors.RequestError | None = ss.get(keys.CHECK)
    with st.sidebar:
        choice, config, model, values = shared.sidebar_panel(shown, None)
    nb = shared.notebook()
    st.title("Compare", anchor=False)
    st.caption(
        f"The same request under many seeds or settings, side by side: how much does the answer vary, and where does "
        f"it start to differ? In notebook “{plain(nb.title)}”."
    )
    shared.show_notice()
    check = shared.live_check(values, model, choice)
    if (check.errors if check else None) != (shown.errors if shown else None):
        ss[keys.CHECK] = check
        st.rerun()  # the sidebar shows the mistakes next to their fields

    problem: Problem | None = ss.get(keys.CMP_ERROR)
    base_error = problem.error if problem is not None and problem.stage == "base" else None
    setup_error = problem.error if problem is not None and problem.stage == "setup" else None
    running: jobs.Started | None = ss.get(keys.CMP_JOB)
    with st.container(border=True):
        source_is_cell = compare_setup.current(keys.CMP_SOURCE) == "cell" and nb.cells
        prompt = compare_setup.prompt_input(base_error) if not source_is_cell and not nb.conversation else ""
        chosen = nb.cell(ss.get(keys.CMP_CELL) or "") if source_is_cell else None
        set_check: errors.RequestError | None = ss.get(keys.CMP_SET_CHECK)
        inputs = compare_setup.setup(
            nb.cells,
            problem=setup_error or base_error or set_check,
            model_hint=chosen.model if chosen is not None else model or "",
        )
        inputs.prompt = prompt
        _recheck(problem, set_check, inputs, values.settings)
        _summary(inputs, values, model, choice, config)
        blocked = shown if inputs.source == "conversation" else None
        st.button(
            "Compare",
            key=keys.CMP_RUN,
            type="primary",
            icon=":material/compare_arrows:",
            on_click=_ask,
            disabled=running is not None or blocked is not None or set_check is not None,
            help="Run every variant, four at a time",
        )
        error_view.blocked("Compare", blocked, where="marked in the sidebar")
        error_view.blocked("Compare", set_check, where="marked above", words=setup.set_field_words)
        if base_error is not None:
            error_view.show_run_error(base_error, placed=["messages", "cell"])
        elif setup_error is not None:
            st.error("Nothing was run: fix what is marked above.", icon=":material/warning:")
        if failure := ss.get(keys.CMP_FAILURE):
            st.error(plain(failure), icon=":material/error:")

    _start(inputs, values, model, choice, config)
    if running is not None:
        job_view.live(keys.CMP_JOB, _running)
    else:
        made = ss.get(keys.CMP_SHARED)
        if made is not None and made[0] == ss.get(keys.CMP_SHOWN):
            share_link.show(made[1], "comparison")
        compare_view.saved(nb, shared.prices(), on_share=_share)
    shared.show_saved(shared.save())


main()
