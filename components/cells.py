"""Cells on the page: each run under the message it answered, its answer, details and actions.

Buttons only change session state in callbacks (Fork, Continue, Delete) or ask the page to act
(`state.PENDING`: Rerun, Run tools and continue), since components never do HTTP. Details (Response
Datas, request body, code) are drawn only when opened, one tab at a time, in a fragment of their own (a click in
them reruns only that), so a notebook of many cells stays quick.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import streamlit as st

from components import answer_checks, branching, chart_views, conversation, response_view, sidebar, tool_review, variables_form
from components import state as keys
from components.text import inline_code, live_words, plain, safe_markdown, speed_words, stop_words, usage_words
from playground import analysis, backends, codegen, errors, pricing, runner
from playground.notebook import Cell, ChatMessage, MessageKey, Notebook, message_key

STATUS_WORDS = {
    "new": "starting",
    "streaming": "streaming",
    "stopped": "stopped by you",
    "interrupted": "interrupted",
    "pending": "waiting for the deferred result",
    "done": "done",
    "error": "failed",
}


def _notebook() -> Notebook:
    return st.session_state[keys.NOTEBOOK]


# ------------------------------------------------------------------------------------ callbacks (no HTTP)


def _ask(action: str, cell_id: str) -> None:
    st.session_state[keys.PENDING] = (action, cell_id)


def _fork(cell_id: str) -> None:
    cell = _notebook().cell(cell_id)
    if cell is None:
        return
    conversation.replace([m.model_copy(deep=True) for m in cell.conversation])
    sidebar.load_settings(cell.settings)
    variables_form.load(cell.variables)
    st.session_state[keys.NOTES] = ["Loaded the conversation and settings of that run: change one thing and run again."]


def continue_with(cell: Cell) -> None:
    """Add the cell's answer (choice 1) to the conversation, with an empty tool message per tool call; for a run
    that was cut short, the text that arrived."""
    if cell.continued:
        return
    if cell.completion is not None:
        conversation.append(*runner.continuation(cell.completion))
    elif cell.text():
        conversation.append(ChatMessage(role="assistant", content=cell.text()))
    else:
        return
    cell.continued = True


def _continue(cell_id: str) -> None:
    cell = _notebook().cell(cell_id)
    if cell is not None:
        continue_with(cell)


def _delete(cell_id: str) -> None:
    nb = _notebook()
    nb.cells[:] = [c for c in nb.cells if c.id != cell_id]


# ------------------------------------------------------------------------------------ drawing


def when(timestamp: float) -> str:
    """A timestamp as a person reads it: time today, else date and time."""
    moment = dt.datetime.fromtimestamp(timestamp)
    if moment.date() == dt.date.today():
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%d %b %Y, %H:%M")


def status_words(cell: Cell) -> str:
    if cell.stop_cause == "new_message" and cell.status in ("streaming", "stopped", "interrupted"):
        # still "streaming" while the old run waits for a slow next token: it ends at that token
        return "stopped: you sent a new message"
    return STATUS_WORDS[cell.status]


UNFINISHED = ("new", "streaming", "pending")  # no cost yet: the run may still bring its usage

COST_HELP = (
    "What this run cost at the price set for its model on the Tools & schemas page (xAI's published prices unless "
    "changed; the embedded model is free); unknown where no price is set or no usage came back."
)


def cost_words(cost: pricing.Cost) -> str:
    """A run's cost as a phrase for st.markdown: "cost $0.0012", "free", "cost unknown" (the dollar sign escaped)."""
    words = cost.words()
    return plain(words if words == "free" else f"cost {words}")


def _header(cell: Cell, label: str, prices: Mapping[pricing.PriceKey, pricing.Price]) -> None:
    """One line: the run's status, how its answer ended, its tokens in and out and its cost (no need to open Details)."""
    b = backends.BACKENDS.get(cell.backend)  # type: ignore[call-overload]
    facts = [label, status_words(cell)]
    if cell.completion is not None:
        facts.append(stop_words(cell.completion.stop_reason, cell.completion.stop_sequence))
        facts.append(usage_words(cell.completion.usage.input_tokens, cell.completion.usage.output_tokens))
    if cell.status not in UNFINISHED:
        facts.append(cost_words(pricing.cell_cost(cell, prices)))
    facts += [when(cell.created), b.label if b else plain(cell.backend), plain(cell.model)]
    timing = speed_words(cell.timings.ttft_s, cell.timings.total_s, cell.timings.tokens_per_s)
    if timing:
        facts.append(timing)
    terms = None
    if cell.completion is not None:
        terms = (
            f"How it ended is the API's stop reason (finish_reason {plain(cell.completion.stop_reason or 'none')}); "
            "tokens in and out are its usage (prompt_tokens and completion_tokens). " + COST_HELP
        )
    st.caption(" · ".join(f for f in facts if f), help=terms)
    if cell.variables:
        st.caption(plain("with " + ", ".join(f"{{{{{k}}}}} = {v}" for k, v in cell.variables.items())))


def _outdated(
    cell: Cell,
    conv: Sequence[ChatMessage] | Sequence[MessageKey],
    settings: Mapping[str, Any],
    variables: Mapping[str, str] | None,
) -> None:
    changes = cell.differences(conv, settings, variables)
    if not changes:
        return
    with st.container(horizontal=True, vertical_alignment="center"):
        st.caption(":material/history: This run answered an earlier version of the conversation or settings.")
        with st.popover("What differed", icon=":material/difference:"):
            for change in changes:
                st.text(change)


def _partial(cell: Cell) -> None:
    if cell.continued:
        st.caption("The text that arrived was added to the conversation below.")
    else:
        for i in sorted(set(cell.partial) | set(cell.partial_thinking)):
            if cell.partial_thinking.get(i):
                st.caption(safe_markdown(cell.partial_thinking[i]))
            st.markdown(safe_markdown(cell.text(i)))  # a branch's text starts with the answer it continues
    if cell.status in ("stopped", "interrupted") and not cell.continued:
        st.warning(
            f"This run was {status_words(cell)}; the text received is kept above, outside the conversation"
            + (" (Use this answer adds it)." if cell.text() else "."),
            icon=":material/pause:",
        )
    if cell.error is not None:
        st.error(plain(cell.error.message), icon=":material/error:")


def _actions(cell: Cell) -> None:
    has_answer = cell.completion is not None
    cut_short = cell.completion is None and cell.status in ("stopped", "interrupted") and bool(cell.text())
    calls = cell.completion.tool_uses(0) if cell.completion is not None else []
    with st.container(horizontal=True, gap="small"):
        st.button(
            "Rerun",
            key=keys.cell_action(cell.id, "rerun"),
            icon=":material/replay:",
            on_click=_ask,
            args=("rerun", cell.id),
            help="Send exactly the same request again",
            type="tertiary",
        )
        st.button(
            "Fork",
            key=keys.cell_action(cell.id, "fork"),
            icon=":material/call_split:",
            on_click=_fork,
            args=(cell.id,),
            help="Load this run's conversation and settings into the editor",
            type="tertiary",
        )
        if has_answer and not cell.continued:
            st.button(
                "Continue",
                key=keys.cell_action(cell.id, "continue"),
                icon=":material/reply:",
                on_click=_continue,
                args=(cell.id,),
                type="tertiary",
                help="Add this answer (and empty results for its tool calls) to the conversation",
            )
        if cut_short and not cell.continued:
            st.button(
                "Use this answer",
                key=keys.cell_action(cell.id, "use"),
                icon=":material/reply:",
                on_click=_continue,
                args=(cell.id,),
                type="tertiary",
                help="Add the text that arrived before the run ended to the conversation, as the model's message",
            )
        if calls:
            st.button(
                "Run tools and continue",
                key=keys.cell_action(cell.id, "tools"),
                icon=":material/build:",
                on_click=_ask,
                args=("tools", cell.id),
                type="secondary",
                help="Answer every tool call with its tool (a demo tool or an MCP server) once you have reviewed it; run again",
            )
        branching.compare_button(_notebook(), cell)
        st.button(
            "Delete",
            key=keys.cell_action(cell.id, "delete"),
            icon=":material/delete:",
            on_click=_delete,
            args=(cell.id,),
            type="tertiary",
        )


def _code(cell: Cell) -> None:
    try:
        snippets = codegen.export(cell.body, base_url=cell.base_url or "", backend=cell.backend)
    except ValueError as exc:
        st.caption(f"No code for this run: {plain(str(exc))}")
        return
    curl, httpx_tab, sdk = st.tabs(
        ["curl", "Python (httpx)", "Python (openai SDK)"], key=keys.cell_action(cell.id, "code_tab"), on_change="rerun"
    )
    curl.code(snippets.curl, language="bash")
    httpx_tab.code(snippets.python_httpx, language="python")
    sdk.code(snippets.python_openai, language="python")
    env = codegen.KEY_ENVS.get(cell.backend)
    st.caption(f"The key is read from ${env}; it is never written into the code." if env else "This backend needs no key.")


def run_stats(cell: Cell, number: int | None = None) -> list[analysis.RunStats]:
    """A cell's usage and timings as the charts take them (a row per choice too when n > 1), labelled "Run 3 (10:30:18)"
    by its place in the notebook."""
    label = f"Run {number} ({when(cell.created)})" if number is not None else f"This run ({when(cell.created)})"
    if cell.completion is None:
        return [
            analysis.RunStats(
                label=label,
                started=cell.created,
                input_tokens=0,
                output_tokens=0,
                cached_tokens=0,
                reasoning_tokens=0,
                ttft_s=cell.timings.ttft_s,
                total_s=cell.timings.total_s,
                tokens_per_s=cell.timings.tokens_per_s,
                choice=None,
            )
        ]
    rows = analysis.run_stats(
        cell.completion, label=label, started=cell.created, ttft_s=cell.timings.ttft_s, total_s=cell.timings.total_s
    )
    rows[0].tokens_per_s = cell.timings.tokens_per_s
    return rows


def usage_across(cells: Sequence[Cell]) -> None:
    """Usage and speed of every run of the notebook, in order: the cost of each change at a glance."""
    rows = [run_stats(c, n)[0] for n, c in enumerate(cells, start=1) if c.completion is not None]
    chart_views.usage_view(rows, key_prefix=keys.USAGE_CHARTS)


@st.fragment
def _details(cell: Cell, *, read_only: bool = False) -> None:
    """The Details toggle and its tabs, a fragment: opening them, choosing a tab or a token redraws only this, not the
    whole page (a long answer's view would otherwise wait for every cell and the sidebar to be drawn again)."""
    if read_only:  # a shared view: the details behind an expander, with nothing to switch
        with st.expander("Details", icon=":material/info:"):
            _detail_tabs(cell, read_only=True)
        return
    if st.toggle(
        "Details",
        key=keys.cell_action(cell.id, "details"),
        help="Response Datas, usage, the request body and code to send it yourself",
    ):
        _detail_tabs(cell)


def _detail_tabs(cell: Cell, *, read_only: bool = False) -> None:
    # keyed: the tab the person chose stays chosen when anything else on the page reruns it
    datas, probabilities, usage, request, code = st.tabs(
        [response_view.SEED_TITLE, "Probabilities", "Usage and speed", "Request body", "Code"],
        key=keys.cell_action(cell.id, "tab"),
        on_change="rerun",
    )
    # only the open tab is drawn (choosing another reruns): a long answer's JSON and charts cost seconds each
    if datas.open:
        with datas:
            if cell.completion is not None:
                response_view.render(cell.completion, key=cell.id)
            else:
                st.caption("No complete answer arrived.")
    if probabilities.open and cell.completion is not None:
        with probabilities:
            chart_views.probability_view(
                cell.completion,
                key_prefix=keys.cell_charts(cell.id),
                read_only=read_only,
                offer=None if read_only else functools.partial(branching.offer, cell),
            )
    if usage.open:
        with usage:
            chart_views.usage_metrics(run_stats(cell))
    if request.open:
        with request:
            for note in cell.notes:
                st.caption(plain(note))
            st.json(cell.body, expanded=1)
    if code.open:
        with code:
            _code(cell)
    if cell.completion is not None and not probabilities.open and not read_only:
        # the Probabilities tab then opens at once (a shared view draws every cell's details: nothing ahead of time)
        chart_views.prepare(cell.completion)


def render_cell(
    cell: Cell,
    *,
    label: str,
    conv: Sequence[ChatMessage] | Sequence[MessageKey],
    settings: Mapping[str, Any],
    newest: bool = True,
    read_only: bool = False,
    prices: Mapping[pricing.PriceKey, pricing.Price] | None = None,
    branched_from: str = "a run no longer in this notebook",
    variables: Mapping[str, str] | None = None,
) -> None:
    """One cell: header, outdated marker, the answer (unless it is already in the conversation), actions, details.

    Older cells keep their actions behind one toggle: a notebook of many runs stays quick to redraw. `read_only`
    (a shared view): no actions, the details behind an expander. `variables`: the values Run would put in now (a
    value that changed since the cell ran marks it outdated); None compares none.
    """
    with st.container(border=True, key=keys.cell(cell.id)):
        _header(cell, label, prices or {})
        branching.origin(cell, branched_from)
        _outdated(cell, conv, settings, variables)
        if cell.status == "pending":
            st.info(
                f"Deferred request {inline_code(cell.request_id or '')} is queued; the result appears here when it is ready "
                f"(waited {time.time() - cell.created:.0f} s).",
                icon=":material/hourglass_top:",
            )
        elif cell.completion is not None:
            if cell.continued:
                st.caption("The answer was added to the conversation below.")
            else:
                response_view.answer(cell.completion, key=cell.id, read_only=read_only)
            if answer_checks.applies(cell):  # tool calls and json_schema answers checked against what was asked
                answer_checks.render(cell)
        else:
            _partial(cell)
        if read_only:
            _details(cell, read_only=True)
        elif newest:
            _actions(cell)
            tool_review.show(_notebook(), cell)
            _details(cell)
        elif st.toggle(
            "Actions and details",
            key=keys.cell_action(cell.id, "more"),
            help="Rerun, fork, continue or delete this run; its Response Datas, request body and code",
        ):
            _actions(cell)
            tool_review.show(_notebook(), cell)
            _details(cell)


def render_group(
    cells: Sequence[Cell],
    at: int,
    *,
    conv: Sequence[ChatMessage] | Sequence[MessageKey],
    settings: Mapping[str, Any],
    newest_id: str | None = None,
    read_only: bool = False,
    prices: Mapping[pricing.PriceKey, pricing.Price] | None = None,
    variables: Mapping[str, str] | None = None,
) -> None:
    """The runs made at one point of the conversation: the newest shown, the others one click away (`read_only`: a
    shared view's; `variables`: see `render_cell`)."""
    if not cells:
        return
    shown = cells[-1]
    labels = {c.id: f"{'Branch' if c.branch else 'Run'} {n} of {len(cells)}" for n, c in enumerate(cells, start=1)}
    if len(cells) > 1:
        chosen = st.segmented_control(
            "Runs here",
            list(labels),
            key=keys.sibling(at),
            format_func=labels.__getitem__,
            default=shown.id,
            label_visibility="collapsed",
        )
        shown = next((c for c in cells if c.id == chosen), shown)
    origin = labels.get(shown.branch.of) if shown.branch else None
    render_cell(
        shown,
        label=labels[shown.id] if len(cells) > 1 else "Branch" if shown.branch else "Run",
        conv=conv,
        settings=settings,
        newest=newest_id in (None, shown.id),
        read_only=read_only,
        prices=prices,
        variables=variables,
        **({"branched_from": origin} if origin else {}),
    )


def render_notebook(
    nb: Notebook,
    *,
    request_error: errors.RequestError | None = None,
    upstream: errors.PlaygroundError | None = None,
    read_only: bool = False,
    prices: Mapping[pricing.PriceKey, pricing.Price] | None = None,
) -> None:
    """The conversation with every cell under the message it answered (`read_only`: a shared view's, nothing to edit),
    each with its cost at `prices`, then the notebook's cost."""
    by_at: dict[int, list[Cell]] = defaultdict(list)
    for cell in nb.cells:
        by_at[min(cell.at, len(nb.conversation))].append(cell)
    newest = nb.cells[-1].id if nb.cells else None
    drawn: list[MessageKey] = []  # the messages drawn so far, each keyed once (editing one happens as it is drawn)
    typed = None if read_only else variables_form.values()

    def draw(k: int) -> None:
        drawn.extend(message_key(m) for m in nb.conversation[len(drawn) : k])
        render_group(
            by_at.get(k, []),
            k,
            conv=drawn,
            settings=nb.settings,
            newest_id=newest,
            read_only=read_only,
            prices=prices,
            variables=typed,
        )

    if read_only:
        conversation.show(nb.conversation, after_message=draw)
        return
    conversation.render(request_error=request_error, upstream=upstream, after_message=draw)
    if not nb.conversation:
        st.caption("Type a message below and press Enter: the answer appears here.")
    notebook_cost(nb.cells, prices or {})


def notebook_cost(cells: Sequence[Cell], prices: Mapping[pricing.PriceKey, pricing.Price]) -> None:
    """The cost of every run in the notebook, in one line."""
    finished = [c for c in cells if c.status not in UNFINISHED]
    if not finished:
        return
    cost = pricing.total(pricing.cell_cost(c, prices) for c in finished)
    runs = "run" if cost.runs == 1 else "runs"
    st.caption(f":material/payments: This notebook's {cost.runs} {runs}: {plain(cost.words())}", help=COST_HELP)


def wait_words(seconds: float, reason: str) -> str:
    """The live line while the server has asked to wait: "…(429 Too Many Requests): retrying in 7 s…"."""
    if seconds <= 0:
        return f"The server asked to wait ({reason}): retrying now…"
    return f"The server asked to wait ({reason}): retrying in {math.ceil(seconds)} s…"


class Live:
    """The run being streamed: its text as it arrives, a live line (tokens, elapsed, tokens/s) and Stop. `start` is
    text the answer begins with before anything arrives (a branch's: the answer it continues)."""

    def __init__(self, on_stop: Callable[[], None], start: str = "") -> None:
        with st.chat_message("assistant", avatar=conversation.AVATARS["assistant"]):
            self._line = st.empty()
            self._text = st.empty()
            st.button(
                "Stop",
                key=keys.STOP,
                icon=":material/stop_circle:",
                on_click=on_stop,
                help="End this answer now and keep what arrived",
            )
        self._started = time.monotonic()
        self._texts: dict[int, str] = {0: start} if start else {}
        self._pieces = 0
        self._drawn = 0.0

    def add(self, choice: int, text: str) -> None:
        self._texts[choice] = self._texts.get(choice, "") + text
        self._pieces += 1
        now = time.monotonic()
        if now - self._drawn >= 0.05:  # redraw at most 20 times a second
            self.draw()
            self._drawn = now

    def waiting(self, seconds: float, reason: str) -> None:
        """The client is waiting out a server's Retry-After: count it down on the live line (called each second)."""
        self._line.caption(f":material/hourglass_top: {plain(wait_words(seconds, reason))}")

    def draw(self) -> None:
        self._line.caption(live_words(self._pieces, time.monotonic() - self._started))
        many = len(self._texts) > 1
        body = "\n\n".join((f"Choice {i + 1}: " if many else "") + self._texts[i] for i in sorted(self._texts))
        self._text.markdown(safe_markdown(body + " ▌"))
