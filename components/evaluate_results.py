"""The Evaluate page's results: pass rates, the grid of rows × runs coloured by the checks (or each row's identical
answers once), every result with each check's ✓/✗ and reason, one result opened as a cell with a person's 👍/👎
and note, the tool-calling matrix and the CSV of it all. Drawing only: `playground.evaluate.results` reads the
evaluation; a mark or a rerun asked for is handed to the page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from components import cells
from components import state as keys
from components.text import plain
from playground import images
from playground.evaluate import checks as ck
from playground.evaluate import results as rs
from playground.notebook import Cell, CellError, Timings

ss = st.session_state
PASS, FAIL, PARTLY, WAITING = "#d6f5d6", "#f8d4d4", "#fbe8c0", "#eeeeee"  # the grid's cell colours
ANSWER_CHARS = 120  # an answer in the results table is cut to this


def _signs(ev: rs.Evaluation, index: int) -> str:
    return rs.signs(ev, index)


def _colour(text: str) -> str:
    if text in ("…", "", "·"):
        return f"background-color: {WAITING}"
    if "✗" not in text and text not in ("error", "cancelled"):
        return f"background-color: {PASS}"
    return f"background-color: {PARTLY if '✓' in text else FAIL}"


def row_label(ev: rs.Evaluation, row: int) -> str:
    """A test case as the grid names it: its number and its values."""
    values = ", ".join(ev.plan.cases.value(row, c) for c in ev.plan.cases.columns)
    return f"{row + 1}: {values[:60] + '…' if len(values) > 60 else values}"


def grid(ev: rs.Evaluation) -> None:
    """Rows × runs (setting set × seed), each result's checks as ✓/✗, coloured: all pass, some, none."""
    columns = ev.plan.columns
    data = [
        [_signs(ev, i) if (i := ev.plan.index(row, c)) is not None else "" for c in columns]
        for row in range(len(ev.plan.cases.rows))
    ]
    frame = pd.DataFrame(data, columns=columns, index=[row_label(ev, r) for r in range(len(data))])
    st.dataframe(frame.style.map(_colour), width="stretch")
    names = " · ".join(f"{n}. {ck.describe(c)}" for n, c in enumerate(ev.plan.checks, start=1))
    if names:
        st.caption(plain(f"Each cell lists the checks in order: {names}."))


def _over(p: rs.PassRate) -> str:
    """A check over a group's runs: ✓ all passed, ✗ none, "✓ 1 ✗ 1" some; "·" when none was graded."""
    if not p.counted:
        return "·"
    if p.passed in (0, p.counted):
        return "✓" if p.passed else "✗"
    return f"✓ {p.passed} ✗ {p.counted - p.passed}"


def groups(ev: rs.Evaluation) -> None:
    """Each row's identical answers once: the answer, how many of the row's answers it is, the runs (seeds, settings)
    that gave it, and each check over them, coloured as the grid is."""
    names = [f"{n}. {ck.describe(c)}" for n, c in enumerate(ev.plan.checks, start=1)]
    lines, found = [], rs.answer_groups(ev)
    for g in found:
        shown = g.answer if len(g.answer) <= ANSWER_CHARS else g.answer[:ANSWER_CHARS] + "…"
        lines.append([row_label(ev, g.row), shown or "(empty)", f"{len(g.runs)} of {g.of}", ", ".join(g.columns)])
        lines[-1] += [_over(p) for p in g.checks]
    if not lines:
        st.caption("No answers yet.")
        return
    frame = pd.DataFrame(lines, columns=["row", "answer", "answers", "runs", *names])
    st.dataframe(frame.style.map(_colour, subset=names), hide_index=True, width="stretch")
    rows = {row: "no answers" for row in range(len(ev.plan.cases.rows))} | {g.row: g.summary for g in found}
    st.caption(plain("Per row: " + " · ".join(f"{row + 1}: {summary}" for row, summary in rows.items()) + "."))


def _rate(p: rs.PassRate) -> str:
    return p.words


def pass_rates(ev: rs.Evaluation) -> None:
    """Pass rates per check, per grid column and per row."""
    left, middle, right = st.columns(3)
    for where, title, rates in (
        (left, "Per check", rs.pass_rates(ev)),
        (middle, "Per column", rs.pass_rates_by_column(ev)),
        (right, "Per row", rs.pass_rates_by_row(ev)),
    ):
        with where:
            frame = pd.DataFrame({"": [p.label for p in rates], "pass rate": [_rate(p) for p in rates]})
            st.caption(plain(title))
            st.dataframe(frame, hide_index=True, width="stretch")


def every_result(ev: rs.Evaluation) -> None:
    """One line per result: its row, run, a person's 👍/👎 with its note, the answer, each check's ✓/✗ with its reason."""
    names = [f"{n}. {ck.describe(c)}" for n, c in enumerate(ev.plan.checks, start=1)]
    lines = []
    for i, run in enumerate(ev.plan.runs):
        r = ev.results[i]
        answer = rs.answer_text(r) if r.finished else "…"
        outcomes = ev.outcomes(i) if r.finished else []
        marks = [(("✓ " if o.passed else "✗ ") if o.counted else "") + o.reason for o in outcomes] or [""] * len(names)
        shown = answer if len(answer) <= ANSWER_CHARS else answer[:ANSWER_CHARS] + "…"
        lines.append([run.row + 1, run.column, rs.mark_words(ev, i), r.error or shown, *marks])
    frame = pd.DataFrame(lines, columns=["row", "run", "mark", "answer", *names])  # the mark before the wide columns
    wide = {"mark": st.column_config.TextColumn(width="medium"), "answer": st.column_config.TextColumn(width="large")}
    st.dataframe(frame, hide_index=True, width="stretch", column_config=wide)


def _tool_calling(ev: rs.Evaluation) -> None:
    """The tool matrix under its caption, when the evaluation's requests offer tools."""
    if ev.plan.base_body.get("tools"):
        st.caption(
            "Tool calling: per row and per column, the share of answers calling the right tool, with valid arguments, "
            "and in text instead."
        )
        tool_matrix(ev)


def tool_matrix(ev: rs.Evaluation) -> None:
    """Per row and per grid column: the share of answers calling the right tool, with valid arguments, in text instead."""
    by_row, by_column = rs.tool_matrix(ev)

    def frame(stats: list[rs.ToolStats]) -> pd.DataFrame:
        pct = lambda v: "" if v is None else f"{v:.0%}"  # noqa: E731
        return pd.DataFrame(
            {
                "": [s.label for s in stats],
                "answers": [s.answers for s in stats],
                "right tool": [pct(s.right_tool) for s in stats],
                "valid arguments": [pct(s.valid_arguments) for s in stats],
                "text instead": [pct(s.text_instead) for s in stats],
            }
        )

    left, right = st.columns(2)
    left.dataframe(frame(by_row), hide_index=True, width="stretch")
    right.dataframe(frame(by_column), hide_index=True, width="stretch")


def _as_cell(ev: rs.Evaluation, index: int) -> Cell:
    """A result as a (read-only) cell, so it is drawn as every run is: answer, Response Datas, probabilities, code."""
    r = ev.results[index]
    return Cell(
        id=f"ev{ev.id}r{index}",
        created=ev.created.timestamp(),
        backend=r.backend or "embedded",  # type: ignore[arg-type]
        model=str(r.body.get("model", "")),
        body=r.body,
        status="done" if r.status == "done" else "error",
        completion=r.completion,
        partial={0: r.text} if r.completion is None and r.text else {},
        error=CellError(kind="TransportError", message=r.error) if r.error else None,
        timings=Timings(ttft_s=r.ttft_s, total_s=r.total_s, tokens_per_s=r.tokens_per_s),
        variables=ev.plan.cases.values(ev.plan.runs[index].row),
    )


def opened(ev: rs.Evaluation, *, on_mark: Callable[[int, bool | None, str], None]) -> None:
    """Choose a result and see it as a cell, each check's ✓/✗ with its reason, and mark it 👍/👎 with a note."""
    labels = {i: f"{row_label(ev, run.row)} · {run.column} · {_signs(ev, i)}" for i, run in enumerate(ev.plan.runs)}
    done = [i for i in labels if ev.results[i].finished]
    if not done:
        return
    if ss.get(keys.EV_OPEN) not in done:
        ss[keys.EV_OPEN] = done[0]
    index = st.selectbox("Open a result", done, key=keys.EV_OPEN, format_func=labels.__getitem__)
    for check, outcome in zip(ev.plan.checks, ev.outcomes(index), strict=True):
        sign = ":green[✓]" if outcome.passed else (":red[✗]" if outcome.counted else "·")
        st.markdown(f"{sign} {plain(ck.describe(check))}: {plain(outcome.reason)}")
    key = f"{ev.id}-{index}"
    mark = ev.marks.get(index)
    thumb_key, note_key = keys.ev_mark(key, "thumb"), keys.ev_mark(key, "note")
    if thumb_key not in ss:
        ss[thumb_key] = None if mark is None else ("👍" if mark.up else "👎")
        ss[note_key] = "" if mark is None else mark.note

    def marked() -> None:
        thumb = ss.get(thumb_key)
        on_mark(index, None if thumb is None else thumb == "👍", ss.get(note_key) or "")

    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.segmented_control(
            "Your mark", ["👍", "👎"], key=thumb_key, on_change=marked, format_func={"👍": "👍 good", "👎": "👎 bad"}.__getitem__
        )
        st.text_input("Note", key=note_key, on_change=marked, placeholder="Why (optional)")
    cells.render_cell(_as_cell(ev, index), label="Result", conv=[], settings={}, read_only=True)


def csv_download(ev: rs.Evaluation) -> None:
    st.download_button(
        "Download all results (CSV)",
        lambda: rs.to_csv(ev),
        file_name="evaluation.csv",
        mime="text/csv",
        key=keys.EV_CSV,
        on_click="ignore",
        icon=":material/download:",
        help="One line per result: its row, run, answer, every check's ✓/✗ with its reason, and your mark",
    )


def section(
    ev: rs.Evaluation,
    *,
    failed: Sequence[int],
    row_runs: Callable[[int], list[int]],
    on_rerun: Callable[[list[int]], None],
    on_mark: Callable[[int, bool | None, str], None],
) -> None:
    """The Evaluate page's results of `ev`: pass rates, the grid (or the grouped answers), the CSV, every result, the
    tool matrix and one result opened; the `failed` runs or an opened row's runs (`row_runs`) are handed to
    `on_rerun`, a mark to `on_mark`."""
    st.subheader("Results", anchor=False)
    wall = f" in {ev.wall_s:.1f} s" if ev.wall_s is not None else ""
    st.caption(f"{len(ev.results)} results{wall}, {ev.created:%d %b %Y %H:%M} UTC.")
    pass_rates(ev)
    if st.toggle(
        "Group identical answers",
        key=keys.EV_GROUP,
        help="Each row's identical answers shown once, with how many runs gave it and which, and its checks over them",
    ):
        groups(ev)
    else:
        grid(ev)
    with st.container(horizontal=True):
        csv_download(ev)
        st.button(
            f"Rerun the {len(failed)} failed",
            key=keys.EV_RERUN_FAILED,
            on_click=on_rerun,
            args=(list(failed),),
            disabled=not failed,
            icon=":material/replay:",
            help="Runs again every result that failed a check or gave no answer; the others are kept",
        )
    with st.expander("Every result with its checks' reasons", icon=":material/list:"):
        every_result(ev)
    _tool_calling(ev)
    opened(ev, on_mark=on_mark)
    index = ss.get(keys.EV_OPEN)
    if isinstance(index, int) and index < len(ev.plan.runs):
        row = ev.plan.runs[index].row
        st.button("Rerun this row", key=keys.EV_RERUN_ROW, on_click=on_rerun, args=(row_runs(row),))


def read_only(ev: rs.Evaluation, *, kept: int = 1) -> None:
    """An evaluation as a read-only link shows it: what was run (the test cases and the checks), the pass rates, the
    grid, every result with its reasons and marks, and the tool-calling matrix; nothing to run or mark."""
    wall = f" in {ev.wall_s:.1f} s" if ev.wall_s is not None else ""
    older = f" The newest of the {kept} evaluations this notebook keeps." if kept > 1 else ""
    st.caption(f"{len(ev.results)} results{wall}, {ev.created:%d %b %Y %H:%M} UTC.{older}")
    cases = ev.plan.cases
    st.caption(f"Test cases ({len(cases.rows)})")
    values = [
        [images.abbreviate(cases.value(r, c)) for c in cases.columns] for r in range(len(cases.rows))
    ]  # an image's data cut
    table = pd.DataFrame(values, columns=cases.columns)
    st.dataframe(table.set_axis(range(1, len(table) + 1)), width="stretch")
    for n, check in enumerate(ev.plan.checks, start=1):
        st.markdown(plain(f"Check {n}: {ck.describe(check)}"))
    pass_rates(ev)
    grid(ev)
    st.caption("Every result with its checks' reasons and its mark")
    every_result(ev)
    _tool_calling(ev)
