"""Evaluate page: the open notebook's conversation run over a table of test cases × seeds, each answer checked.

Wiring only: the table is drawn by components/evaluate_cases.py, the checks by components/evaluate_checks.py and
the results by components/evaluate_results.py; `playground.evaluate` plans the runs (`make_plan`), runs them on
compare's thread pool (`start_evaluation`, a background job a small fragment polls) and reads the results. The
table, checks, seeds, marks and finished evaluations are kept in the notebook (`Notebook.evaluation`).
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from pydantic import ValidationError

from components import errors as error_view
from components import evaluate_across, evaluate_cases, evaluate_checks, evaluate_results, job_view, sidebar
from components import state as keys
from components.text import plain
from playground import errors, fields, jobs, workspace
from playground.client import ClientConfig
from playground.compare import inputs as compare_inputs
from playground.evaluate import checks as ck
from playground.evaluate import plan as planning
from playground.evaluate import run as running_
from playground.evaluate.cases import TestCases
from playground.evaluate.results import Evaluation
from playground.evaluate.variables import image_variables
from playground.library import Library
from playground.notebook import Notebook
from views import shared

ss = st.session_state
KEEP_RUNS = 3  # finished evaluations kept in a notebook, newest last
SEEDS = "1, 2"  # what the seeds start as


def _schemas() -> dict[str, Any]:
    """The library's response schemas by name (their JSON Schema), for the check "Matches a schema from the library"."""
    try:
        items = Library().list("schema")
    except errors.StoreError:
        return {}
    return {item.name: (item.value.get("schema") or {}) for item in items}


def _shown() -> Evaluation | None:
    """The notebook's newest evaluation, read once per change (a grid of hundreds of results is not re-read per rerun)."""
    runs = shared.notebook().evaluation.get("runs") or []
    if not runs:
        return None
    cached = ss.get(keys.EV_SHOWN)
    if cached is not None and cached[0] == id(runs[-1]):
        return cached[1]
    try:
        ev = Evaluation.model_validate(runs[-1])
    except ValidationError:
        st.warning("This notebook's last evaluation could not be read; run it again.", icon=":material/warning:")
        return None
    ss[keys.EV_SHOWN] = (id(runs[-1]), ev)
    return ev


def _keep(ev: Evaluation, *, replace: bool) -> None:
    """Keep `ev` as the notebook's newest evaluation (`replace`: instead of the newest, e.g. a mark on it)."""
    runs = list(shared.notebook().evaluation.get("runs") or [])
    data = ev.model_dump(mode="json")
    runs = [*runs[:-1], data] if replace and runs else [*runs, data][-KEEP_RUNS:]
    shared.notebook().evaluation["runs"] = runs
    ss[keys.EV_SHOWN] = (id(data), ev)


def _mark(index: int, up: bool | None, note: str) -> None:
    ev = _shown()
    if ev is not None:
        _keep(ev.unmark(index) if up is None else ev.mark(index, up, note), replace=True)


# ------------------------------------------------------------------------------------ running


def _ask(indices: list[int] | None = None) -> None:
    ss.update({keys.EV_PENDING: ("all",) if indices is None else ("some", indices), keys.EV_ERROR: None})


def _start(values: Any, model: str | None, choice: Any, config: ClientConfig | None, setup: dict[str, Any]) -> None:
    """Run was pressed: plan the runs and start them on their thread, or say what is wrong."""
    asked = ss.pop(keys.EV_PENDING, None)
    if asked is None:
        return
    nb = shared.notebook()
    previous = _shown() if asked[0] == "some" else None
    try:
        if previous is not None:
            plan = previous.plan
        else:
            built = shared.prepare(values, model, choice, config, nb.conversation, fill=False)
            plan = planning.make_plan(built.request.to_body(), **setup)
        assert config is not None
        client = shared.clients().get(config)
    except errors.RequestError as exc:
        ss[keys.EV_ERROR] = "Nothing was run: " + " ".join(f"{_words(e.field)}: {e.message}" for e in exc.errors)
        st.rerun()
    except errors.PlaygroundError as exc:  # looking logit-bias text up failed
        ss[keys.EV_ERROR] = f"Nothing was run: {exc}"
        st.rerun()
    job = running_.start_evaluation(
        plan,
        lambda _variant: client,
        concurrency=int(ss.get(keys.EV_CONCURRENCY) or fields.EVAL_CONCURRENCY.default),
        indices=asked[1] if previous is not None else None,
        previous=previous,
    )
    ss[keys.EV_JOB] = jobs.Started(job=job, notebook_id=nb.id)
    st.rerun()


def _finish() -> None:
    """An evaluation that ended is saved into its notebook and shown."""
    running = job_view.ended(keys.EV_JOB, failure_key=keys.EV_ERROR, what="evaluation")
    if running is None:
        return
    ev = running.job.result

    def keep_in(nb: Notebook) -> None:
        nb.evaluation["runs"] = [*(nb.evaluation.get("runs") or []), ev.model_dump(mode="json")][-KEEP_RUNS:]

    if workspace.deliver(running.notebook_id, shared.notebook(), keep_in):
        shared.save()


def _running(job: running_.EvaluationJob) -> None:
    """Progress, Cancel and the grid filling in."""
    ev = job.snapshot()
    job_view.progress(
        ev.progress, f"{ev.finished_count} of {len(ev.results)} results", cancel_key=keys.EV_CANCEL, on_cancel=job.cancel
    )
    evaluate_results.grid(ev)


# ------------------------------------------------------------------------------------ the page


def _words(path: str) -> str:
    """What blocks Run, in the page's words: "test case 2 (city)", "check 1", "seeds", the conversation (written on
    the Playground page); else the sidebar's field."""
    head, _, rest = path.partition(".")
    if head == "messages":
        return "the conversation, on the Playground page"
    if head == "cases":
        row, _, column = rest.partition(".")
        return f"test case {int(row) + 1} ({column})" if row.isdigit() else "the test cases"
    if head == "checks" and rest.isdigit():
        return f"check {int(rest) + 1}"
    if head == "seed":
        return "seeds"
    if head == "sets":
        return compare_inputs.set_field_words(path)
    return "the sweep" if head == "sweep" else error_view.label_for(path)


def _run_inputs(nb: Any) -> tuple[str, bool]:
    """Seeds, concurrency and the demo tools' follow-up; the seeds are kept with the notebook."""
    ss.setdefault(keys.EV_SEEDS, nb.evaluation.get("seeds", SEEDS))
    f = fields.EVAL_CONCURRENCY
    with st.container(horizontal=True, vertical_alignment="bottom"):
        seeds = st.text_input(
            "Seeds", key=keys.EV_SEEDS, placeholder="1, 2 or 1-4", help="Each row runs once per seed; empty: once.", width=220
        )
        st.number_input(
            f.label, min_value=f.minimum, max_value=f.maximum, value=f.default, step=1, key=keys.EV_CONCURRENCY, help=f.help
        )
        continue_tools = st.toggle(
            "Run the demo tools and check the final answer too",
            key=keys.EV_CONTINUE,
            help="Answers that call a demo tool (weather, calculator…) get its result and answer again",
        )
    if seeds == SEEDS:  # a default is not something the person made: a visit to the page leaves the notebook empty
        nb.evaluation.pop("seeds", None)
    else:
        nb.evaluation["seeds"] = seeds
    return seeds, continue_tools


def _results(ev: Evaluation) -> None:
    evaluate_results.section(
        ev,
        failed=running_.failed_indices(ev),
        row_runs=lambda row: running_.row_indices(ev.plan, row),
        on_rerun=_ask,
        on_mark=_mark,
    )


def main() -> None:
    shared.open_notebook()
    _finish()
    shown: errors.RequestError | None = ss.get(keys.CHECK)
    with st.sidebar:
        choice, config, model, values = shared.sidebar_panel(shown, None)
    nb = shared.notebook()
    st.title("Evaluate", anchor=False)
    st.caption(
        f"The conversation of notebook “{plain(nb.title)}” run over a table of test cases, every answer checked. "
        "Write {{city}} in a message on the Playground page: each row gives the variables their values."
    )
    shared.show_notice()
    names = shared.names_in(nb.conversation)
    if not names:
        st.info("The conversation uses no {{variables}} yet: write one in a message, e.g. “Weather in {{city}}?”.")
        st.page_link("views/playground.py", label="Open the Playground", icon=":material/chat:")
    st.subheader("Test cases", anchor=False)
    cases: TestCases = evaluate_cases.table(nb, names)
    evaluate_cases.problem_words(cases.problems(names, image_variables(nb.conversation)))
    st.subheader("Checks", anchor=False)
    tools = sidebar.tool_names(values.settings.get("tools"))
    checks: list[ck.Check] = evaluate_checks.editor(nb, cases.columns, tools=tools, schemas=_schemas())
    st.subheader("Run", anchor=False)
    seeds, continue_tools = _run_inputs(nb)
    shown_across: errors.RequestError | None = ss.get(keys.EV_ACROSS_CHECK)
    inputs = evaluate_across.inputs(nb, shown_across, model_hint=model or "")
    variation, problems = planning.across(
        inputs, compare_inputs.Base({}, choice.id, None, model or "", values.settings, list(nb.conversation))
    )
    setup = {"cases": cases, "checks": checks, "seeds": seeds, "continue_tools": continue_tools, **variation}
    try:
        base = shared.prepare(values, model, choice, config, nb.conversation, lookup=False, fill=False).request.to_body()
        problems += planning.problems(base, cases, checks, seeds=seeds, **variation)
    except errors.RequestError as exc:
        problems += exc.errors
    blocked = errors.RequestError(problems) if problems else None
    swept = inputs.sweep_field if inputs.mode == "sweep" else "sweep"
    placed = [e for e in problems if e.field.split(".")[0] in ("sets", "sweep", swept, "settings_sets")]
    if placed != (shown_across.errors if shown_across else []):  # drawn under the sweep's or sets' inputs
        ss[keys.EV_ACROSS_CHECK] = errors.RequestError(placed) if placed else None
        st.rerun()
    job: jobs.Started | None = ss.get(keys.EV_JOB)
    st.button(
        "Run",
        key=keys.EV_RUN,
        type="primary",
        icon=":material/play_arrow:",
        on_click=_ask,
        disabled=job is not None or bool(problems),
    )
    if blocked is not None and all(e.code == "no_rows" for e in blocked.errors):  # a fresh table: not a mistake
        error_view.blocked("Run", blocked, where="", words=lambda _: "a test case (a row in the table)", verb="add")
    else:
        error_view.blocked("Run", blocked, where="marked above or in the sidebar", words=_words)
    error_view.show_field(blocked, "seed")
    if failure := ss.get(keys.EV_ERROR):
        st.error(plain(failure), icon=":material/error:")
    _start(values, model, choice, config, setup)
    if job is not None:
        job_view.live(keys.EV_JOB, _running)
    elif (ev := _shown()) is not None:
        _results(ev)
    shared.show_saved(shared.save())


main()
