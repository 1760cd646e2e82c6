"""Compare page: the same request under many seeds or settings, side by side, and where the answers diverge.

Wiring only: the inputs and the reading are drawn by components/compare_view.py; variants, running and
analysis are `playground.compare`. Runs go on a background thread (`compare.start_comparison`) with clients
built here, in the script thread, since that thread must never touch st.session_state; a small fragment polls
it. A finished comparison is saved into the notebook, so it reopens as it was.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from components import compare_view, conversation, report
from components import errors as error_view
from components import state as keys
from components.cells import when
from components.text import plain
from playground import backends, compare, errors, fields, request, runner
from playground.client import ChatClient, ClientConfig
from playground.compare import Comparison, ComparisonJob, SettingsSet, Variant
from playground.notebook import ChatMessage, safe_base_url
from playground.store import NotebookStore
from views import shared

ss = st.session_state
CONCURRENCY = 4  # the embedded gateway serves 4 at once; xAI's 429 / Retry-After are the client's own retries


@dataclass
class Base:
    """What every run starts from, and where it goes unless a setting set says otherwise."""

    body: dict[str, Any]
    backend: str
    base_url: str | None
    model: str
    settings: dict[str, Any] = field(default_factory=dict)  # raw sidebar values a setting set is checked against
    conversation: list[ChatMessage] = field(default_factory=list)


@dataclass
class Running:
    """The comparison on its thread, and the notebook it is saved into when it ends."""

    job: ComparisonJob
    notebook_id: str
    backend: str | None = None  # where the variants without a server of their own go (kept with the result)
    base_url: str | None = None


@dataclass
class Problem:
    """Why Compare did nothing: "base" (the request itself) or "setup" (the comparison's inputs)."""

    stage: str
    error: errors.RequestError
    sets: list[compare_view.SetInputs] = field(default_factory=list)  # the set forms as they were when it was found


def _still_true(problem: Problem, sets: list[compare_view.SetInputs]) -> Problem | None:
    """The problem without what was said about a set form the person has changed since (None: nothing left)."""

    def changed(path: str) -> bool:
        head, _, rest = path.partition(".")
        index = rest.split(".", 1)[0]
        if head != "sets" or not index.isdigit():
            return False
        i = int(index)
        return i >= len(sets) or i >= len(problem.sets) or sets[i] != problem.sets[i]

    kept = [e for e in problem.error.errors if not changed(e.field)]
    return Problem(problem.stage, errors.RequestError(kept), problem.sets) if kept else None


# ------------------------------------------------------------------------------------ the base request


def _question(conv: list[ChatMessage]) -> tuple[list[ChatMessage], int]:
    """The conversation without the answers at its end (assistant messages without tool calls), and how many
    were left out: after a chat the last message is the model's answer, and comparing means answering again."""
    kept = list(conv)
    while kept and kept[-1].role == "assistant" and not kept[-1].tool_calls:
        kept.pop()
    return (kept, len(conv) - len(kept)) if kept else (list(conv), 0)


def _from_conversation(values: Any, model: str | None, choice: Any, config: ClientConfig | None, *, lookup: bool) -> Base:
    """The conversation (up to its last question) and the sidebar's settings, built as the Playground's Run builds them.

    `lookup`: look logit-bias text up with the backend's tokenizer (only on Compare: that is a request)."""
    if config is None:
        shared.client_config(choice.id, choice.base_url)  # raises the RequestError naming the key or URL
    assert config is not None
    conv, _ = _question(shared.notebook().conversation)
    built = runner.prepare(
        values.settings,
        conv,
        model=model,
        logit_bias_rows=values.logit_bias_rows if lookup else [],
        caps=backends.backend(choice.id).capabilities,
        client=shared.clients().get(config) if lookup else None,
        found=values.errors,
    )
    return Base(
        body=built.request.to_body(),
        backend=choice.id,
        base_url=config.base_url,
        model=model or "",
        settings=dict(values.settings),
        conversation=conv,
    )


def _from_cell(cell_id: str | None) -> Base:
    cell = shared.notebook().cell(cell_id or "")
    if cell is None:
        raise errors.RequestError(
            [errors.FieldError("cell", "That run is no longer in this notebook; choose another.", "missing")]
        )
    if (slot := shared.to_confirm(cell.backend, cell.base_url)) is not None:  # a notebook from elsewhere named it
        raise errors.RequestError(
            [
                errors.FieldError(
                    "cell",
                    f"That run went to {shared.server_words(slot)}, a server this notebook names: nothing is sent there "
                    "until you confirm it (Rerun it on the Playground page, or choose it in the sidebar and press "
                    "Use this server).",
                    "server_unconfirmed",
                )
            ]
        )
    return Base(
        body=copy.deepcopy(cell.body),
        backend=cell.backend,
        base_url=cell.base_url,
        model=cell.model,
        conversation=list(cell.conversation),
    )


# ------------------------------------------------------------------------------------ variants


def _settings_set(i: int, s: compare_view.SetInputs, base: Base) -> tuple[SettingsSet, list[errors.FieldError]]:
    """One set form as a SettingsSet: its fields checked by `runner.prepare` as the sidebar's would be."""
    problems: list[errors.FieldError] = []
    overrides = {k: v for k, v in s.numbers.items() if v is not None}
    removed: list[str] = []
    if s.more.strip():
        try:
            more = json.loads(s.more)
        except json.JSONDecodeError as exc:
            more = {}
            problems.append(errors.FieldError(f"sets.{i}.more", f"This is not valid JSON: {exc.msg}.", "json_invalid"))
        if not isinstance(more, dict):
            problems.append(errors.FieldError(f"sets.{i}.more", 'Give a JSON object, e.g. {"top_p": 0.9}.', "not_an_object"))
            more = {}
        for key, value in more.items():
            if key not in fields.FIELDS or key in ("model", "messages"):
                problems.append(errors.FieldError(f"sets.{i}.more", f"{key!r} is not a field a set can change.", "unknown"))
            elif value is None:
                removed.append(key)
            else:
                overrides.setdefault(key, value)
    backend = s.backend or base.backend
    model = s.model or base.model
    try:
        built = runner.prepare(
            {**base.settings, **overrides},
            base.conversation,
            model=model,
            caps=backends.backend(backend).capabilities,
            client=None,
        )
        body = built.request.to_body()
    except errors.RequestError as exc:
        problems += [errors.FieldError(f"sets.{i}.{e.field}", e.message, e.code) for e in exc.errors]
        body = {}
    changed: dict[str, Any] = {k: body.get(k) for k in overrides}
    changed.update({k: None for k in removed})
    if model != base.model:
        changed["model"] = model
    other_backend = s.backend not in (compare_view.SAME, base.backend) or bool(s.base_url)
    return (
        SettingsSet(
            label=s.label or None,
            fields=changed,
            backend=backend if other_backend else None,
            base_url=(s.base_url or None) if other_backend else None,
        ),
        problems,
    )


def _set_check(inputs: compare_view.SetupInputs, settings: dict[str, Any]) -> errors.RequestError | None:
    """Mistakes in the set forms' numbers as typed now, judged with the settings they change, nothing sent."""
    problems = []
    for i, s in enumerate(inputs.sets if inputs.mode == "sets" else []):
        typed = {k: v for k, v in s.numbers.items() if v is not None}
        problems += [
            errors.FieldError(f"sets.{i}.{e.field}", e.message, e.code)
            for e in request.check_fields({**settings, **typed}, typed)
        ]
    return errors.RequestError(problems) if problems else None


def _set_field_words(path: str) -> str:
    """ "sets.0.temperature" → "set A temperature"."""
    _, i, key = path.split(".", 2)
    return f"set {chr(ord('A') + int(i))} {fields.FIELDS[key].label.lower() if key in fields.FIELDS else key}"


def _variants(inputs: compare_view.SetupInputs, base: Base) -> list[Variant]:
    repeat = 2 if inputs.repeat else 1
    if inputs.mode == "seeds":
        return compare.variants(base.body, seeds=inputs.seeds, repeat=repeat)
    if inputs.mode == "sweep":
        return compare.variants(base.body, sweep=(inputs.sweep_field, inputs.sweep_values), repeat=repeat)
    sets, problems = [], []
    for i, s in enumerate(inputs.sets):
        the_set, found = _settings_set(i, s, base)
        sets.append(the_set)
        problems += found
    if problems:
        raise errors.RequestError(problems)
    return compare.variants(base.body, settings_sets=sets, repeat=repeat)


# ------------------------------------------------------------------------------------ clients


def _slot(v: Variant, base: Base) -> tuple[str, str | None]:
    return (base.backend, base.base_url) if v.backend is None else (v.backend, v.base_url)


def _config(slot: tuple[str, str | None], typed_for: str, index: int | None) -> ClientConfig:
    """The client config of one (backend, base URL). The key typed in the sidebar goes only to the sidebar's
    backend; another backend uses the key configured for it (environment or secrets)."""
    backend_id, base_url = slot
    try:
        if backend_id == typed_for:
            return shared.client_config(backend_id, base_url)
        return backends.resolve(
            backend_id, base_url=base_url, secrets=shared.app_secrets(), start_embedded=lambda: shared.embedded_gateway().base_url
        )
    except errors.RequestError as exc:
        if index is None:
            raise
        where = {backends.API_KEY_FIELD: "backend", backends.BASE_URL_FIELD: "base_url"}
        raise errors.RequestError(
            [errors.FieldError(f"sets.{index}.{where.get(e.field, 'backend')}", e.message, e.code) for e in exc.errors]
        ) from exc


def _clients(variant_list: list[Variant], base: Base, typed_for: str) -> dict[tuple[str, str | None], ChatClient]:
    """Every client the runs need, opened here (the script thread), keyed by `_slot`."""
    set_index = {label: i for i, label in enumerate(dict.fromkeys(v.set_label for v in variant_list))}
    out: dict[tuple[str, str | None], ChatClient] = {}
    for v in variant_list:
        slot = _slot(v, base)
        if slot not in out:
            index = set_index.get(v.set_label) if v.backend is not None else None
            out[slot] = shared.clients().get(_config(slot, typed_for, index))
    return out


# ------------------------------------------------------------------------------------ running


def _ask() -> None:
    ss.update({keys.CMP_PENDING: True, keys.CMP_ERROR: None, keys.CMP_FAILURE: None})


def _start(inputs: compare_view.SetupInputs, values: Any, model: str | None, choice: Any, config: ClientConfig | None) -> None:
    """Compare was pressed: build the runs and start them on their thread, or say what is wrong."""
    if not ss.pop(keys.CMP_PENDING, False):
        return
    try:
        if inputs.source == "cell":
            base = _from_cell(inputs.cell_id)
        else:
            if not shared.notebook().conversation and inputs.prompt.strip():
                conversation.append(ChatMessage(role="user", content=inputs.prompt.strip()))
                compare_view.forget(keys.CMP_PROMPT)
            base = _from_conversation(values, model, choice, config, lookup=True)
    except errors.RequestError as exc:
        ss[keys.CMP_ERROR] = Problem("base", exc)
        st.rerun()
    except errors.PlaygroundError as exc:  # looking logit-bias text up failed
        ss[keys.CMP_FAILURE] = f"Nothing was run: {exc}"
        st.rerun()
    try:
        variant_list = _variants(inputs, base)
        clients = _clients(variant_list, base, choice.id)
    except errors.RequestError as exc:  # CompareSetupError too
        ss[keys.CMP_ERROR] = Problem("setup", exc, list(inputs.sets))
        st.rerun()
    job = compare.start_comparison(variant_list, lambda v: clients[_slot(v, base)], concurrency=CONCURRENCY, base_body=base.body)
    ss[keys.CMP_JOB] = Running(
        job=job, notebook_id=shared.notebook().id, backend=base.backend, base_url=safe_base_url(base.base_url)
    )
    st.rerun()


def _finish() -> None:
    """A comparison that ended is saved into its notebook and shown."""
    running: Running | None = ss.get(keys.CMP_JOB)
    if running is None or not running.job.done:
        return
    del ss[keys.CMP_JOB]
    result = running.job.result
    if result is None:
        ss[keys.CMP_FAILURE] = f"The comparison stopped: {running.job.failure}"
        return
    data = result.model_copy(update={"backend": running.backend, "base_url": running.base_url}).model_dump(mode="json")
    if shared.notebook().id == running.notebook_id:
        shared.notebook().comparisons.append(data)
        shared.save()
    else:  # another notebook was opened meanwhile: the comparison goes where it was started
        store = NotebookStore()
        started_in = store.load(running.notebook_id)
        if started_in is not None:
            started_in.comparisons.append(data)
            store.save(started_in)
    ss[keys.CMP_SHOWN] = result.id


@st.fragment(run_every=0.5)
def _live() -> None:
    """Progress and the columns filling in; the whole page reruns once the comparison has ended."""
    running: Running | None = ss.get(keys.CMP_JOB)
    if running is None:
        return
    if running.job.done:
        st.rerun()
    compare_view.running(running.job.snapshot(), on_cancel=running.job.cancel)


# ------------------------------------------------------------------------------------ the page


def _saved() -> list[Comparison]:
    """This notebook's comparisons, newest first (one that cannot be read is skipped with a note)."""
    out = []
    for data in shared.notebook().comparisons:
        try:
            out.append(Comparison.model_validate(data))
        except ValueError:
            st.caption("One saved comparison could not be read and is not shown.")
    return sorted(out, key=lambda c: c.created, reverse=True)


def _delete_shown() -> None:
    shown = ss.get(keys.CMP_SHOWN)
    nb = shared.notebook()
    nb.comparisons[:] = [d for d in nb.comparisons if d.get("id") != shown]
    ss.pop(keys.CMP_SHOWN, None)


def _earlier() -> None:
    saved = _saved()
    if not saved:
        st.caption("No comparisons in this notebook yet: choose what to vary above and press Compare.")
        return
    by_id = {c.id: c for c in saved}
    if ss.get(keys.CMP_SHOWN) not in by_id:
        ss[keys.CMP_SHOWN] = saved[0].id
    with st.container(horizontal=True, vertical_alignment="bottom"):
        chosen = st.selectbox(
            f"Comparisons in this notebook ({len(saved)})",
            list(by_id),
            key=keys.CMP_SHOWN,
            format_func=lambda i: compare_view.option_label(by_id[i]),
            width=520,
        )
        st.button(
            "Delete",
            key=keys.CMP_DELETE,
            on_click=_delete_shown,
            icon=":material/delete:",
            type="tertiary",
            help="Remove this comparison from the notebook",
        )
        shown, title = by_id[chosen], shared.notebook().title
        st.download_button(
            "Download report",
            lambda: report.comparison_report(shown, notebook_title=title).encode("utf-8"),  # built on click
            file_name=report.file_name(title, "comparison"),
            mime="text/html",
            key=keys.CMP_REPORT,
            icon=":material/description:",
            on_click="ignore",
            help="The answers side by side, their charts and each request as code, as one HTML file that opens offline",
        )
    compare_view.reading(by_id[chosen])


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
        f"it start to differ? In notebook “{compare_view.plain(nb.title)}”."
    )
    shared.show_notice()
    check = shared.live_check(values, model, choice)
    if (check.errors if check else None) != (shown.errors if shown else None):
        ss[keys.CHECK] = check
        st.rerun()  # the sidebar shows the mistakes next to their fields

    problem: Problem | None = ss.get(keys.CMP_ERROR)
    base_error = problem.error if problem is not None and problem.stage == "base" else None
    setup_error = problem.error if problem is not None and problem.stage == "setup" else None
    running: Running | None = ss.get(keys.CMP_JOB)

    with st.container(border=True):
        source_is_cell = compare_view.current(keys.CMP_SOURCE) == "cell" and nb.cells
        prompt = ""
        if not source_is_cell and not nb.conversation:
            prompt = compare_view.prompt_input(base_error)
        chosen = nb.cell(ss.get(keys.CMP_CELL) or "") if source_is_cell else None
        hint = chosen.model if chosen is not None else model or ""
        set_check: errors.RequestError | None = ss.get(keys.CMP_SET_CHECK)
        inputs = compare_view.setup(nb.cells, problem=setup_error or base_error or set_check, model_hint=hint)
        inputs.prompt = prompt
        if problem is not None and problem.stage == "setup" and problem.sets:
            still = _still_true(problem, inputs.sets)
            if still is None or len(still.error.errors) != len(problem.error.errors):
                ss[keys.CMP_ERROR] = still
                st.rerun()  # what was said about a set goes once that set changes
        check_sets = _set_check(inputs, values.settings if inputs.source == "conversation" else {})
        if (check_sets.errors if check_sets else None) != (set_check.errors if set_check else None):
            ss[keys.CMP_SET_CHECK] = check_sets
            st.rerun()  # each mistake under its set's box (and gone once fixed)
        if inputs.source == "cell":
            cell = nb.cell(inputs.cell_id or "")
            if cell is not None:
                compare_view.request_summary(cell.body, where=f"as run at {when(cell.created)}")
        elif nb.conversation:
            try:
                preview = _from_conversation(values, model, choice, config, lookup=False)
                _, left_out = _question(nb.conversation)
                compare_view.request_summary(preview.body, where=backends.backend(choice.id).label, left_out=left_out)
            except errors.RequestError:
                pass  # the sidebar and the Compare button say what is wrong
        blocked = shown is not None and inputs.source == "conversation"
        st.button(
            "Compare",
            key=keys.CMP_RUN,
            type="primary",
            icon=":material/compare_arrows:",
            on_click=_ask,
            disabled=running is not None or bool(blocked) or set_check is not None,
            help="Run every variant, four at a time",
        )
        if blocked and shown is not None:
            names = ", ".join(dict.fromkeys(error_view.label_for(e.field) for e in shown.errors))
            st.caption(f":material/block: Compare is off until you fix: {plain(names)} (marked in the sidebar).")
        if set_check is not None:
            names = ", ".join(dict.fromkeys(_set_field_words(e.field) for e in set_check.errors))
            st.caption(f":material/block: Compare is off until you fix: {plain(names)} (marked above).")
        if base_error is not None:
            error_view.show_run_error(base_error, placed=["messages", "cell"])
        elif setup_error is not None:
            st.error("Nothing was run: fix what is marked above.", icon=":material/warning:")
        failure = ss.get(keys.CMP_FAILURE)
        if failure:
            st.error(compare_view.plain(failure), icon=":material/error:")

    _start(inputs, values, model, choice, config)
    if running is not None:
        _live()
    else:
        _earlier()
    shared.show_saved(shared.save())


main()
