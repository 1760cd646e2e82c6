"""An evaluation's results and how to read them: every answer graded by every check, pass rates per check,
per grid column (setting set × seed) and per row, identical answers grouped within a row, the tool-calling
matrix, and a CSV of it all."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Mapping
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, Field

from playground.analysis import csv_bytes
from playground.compare import Group, RunResult, group_identical, group_summary
from playground.evaluate.checks import CallsTool, Mark, Outcome, describe, evaluate
from playground.evaluate.plan import Plan
from playground.jobs import Progress
from playground.schema import check_tool_calls

__all__ = [
    "AnswerGroup",
    "Evaluation",
    "PassRate",
    "ToolStats",
    "answer_groups",
    "answer_text",
    "graded",
    "mark_words",
    "newest",
    "signs",
    "verdict",
    "pass_rates",
    "pass_rates_by_column",
    "pass_rates_by_row",
    "row_groups",
    "to_csv",
    "tool_matrix",
]


class Evaluation(Progress, BaseModel):
    """A plan and its results, one per planned run (pending ones included, so a page can draw the grid while it
    fills in); `finals` holds the answer after the demo tools ran (by run index), `marks` a person's 👍/👎."""

    id: str = Field(default_factory=lambda: secrets.token_hex(6))
    created: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))
    plan: Plan
    results: list[RunResult]
    finals: dict[int, RunResult] = Field(default_factory=dict)
    marks: dict[int, Mark] = Field(default_factory=dict)
    wall_s: float | None = None

    def outcomes(self, index: int, *, final: bool = False) -> list[Outcome]:
        """Each check of the plan on run `index`'s answer (or on its final answer, after the tools ran)."""
        result = self.finals.get(index) if final else self.results[index]
        if result is None:
            return []
        row = self.plan.cases.rows[self.plan.runs[index].row]
        values = {c: row.get(c, "") for c in self.plan.cases.columns}
        return [evaluate(check, result, values, mark=self.marks.get(index)) for check in self.plan.checks]

    def mark(self, index: int, up: bool, note: str = "") -> Evaluation:
        """This evaluation with run `index` marked 👍 (`up`) or 👎."""
        return self.model_copy(update={"marks": {**self.marks, index: Mark(up=up, note=note)}})

    def unmark(self, index: int) -> Evaluation:
        return self.model_copy(update={"marks": {k: v for k, v in self.marks.items() if k != index}})


def newest(kept: Mapping[str, Any]) -> Evaluation | None:
    """The newest evaluation a notebook keeps (`Notebook.evaluation`, its "runs" oldest first); None when it keeps
    none. pydantic's ValidationError when it cannot be read."""
    runs = kept.get("runs") or []
    return Evaluation.model_validate(runs[-1]) if runs else None


def signs(ev: Evaluation, index: int) -> str:
    """A run's checks as ✓/✗ in the plan's order ("·" for one not graded); "…" while it runs, its status ("error",
    "cancelled") when it gave no answer."""
    r = ev.results[index]
    if not r.finished:
        return "…"
    if r.status != "done":
        return r.status
    return " ".join(("✓" if o.passed else "✗") if o.counted else "·" for o in ev.outcomes(index)) or "done"


def verdict(text: str) -> Literal["waiting", "pass", "partly", "fail"]:
    """What a grid cell's `signs` (or a group's) come to: nothing graded yet, all passed, some, none."""
    if text in ("…", "", "·"):
        return "waiting"
    if "✗" not in text and text not in ("error", "cancelled"):
        return "pass"
    return "partly" if "✓" in text else "fail"


def mark_words(ev: Evaluation, index: int) -> str:
    """A person's mark on run `index` as read: "👍 good", "👎 bad: too long" (with its note); "" when unmarked."""
    mark = ev.marks.get(index)
    if mark is None:
        return ""
    return ("👍 good" if mark.up else "👎 bad") + (f": {mark.note}" if mark.note else "")


class PassRate(BaseModel):
    """How many graded answers passed. `rate` is None when none was graded (pending, or nobody marked)."""

    label: str
    passed: int = 0
    counted: int = 0

    @property
    def rate(self) -> float | None:
        return self.passed / self.counted if self.counted else None

    @property
    def words(self) -> str:
        """ "83% (5/6)", or "not graded"."""
        return "not graded" if self.rate is None else f"{self.rate:.0%} ({self.passed}/{self.counted})"


def graded(ev: Evaluation) -> dict[int, list[Outcome]]:
    """Every finished run's outcomes (one per check), graded once: what the grid and the pass rates read."""
    return {i: ev.outcomes(i) for i, r in enumerate(ev.results) if r.finished}


def _tally(outcomes: dict[int, list[Outcome]], indices: list[int], label: str, check: int | None) -> PassRate:
    out = PassRate(label=label)
    for i in indices:
        row = outcomes.get(i, [])
        for o in row if check is None else row[check : check + 1]:
            if o.counted:
                out.counted += 1
                out.passed += o.passed
    return out


def pass_rates(ev: Evaluation, outcomes: dict[int, list[Outcome]] | None = None) -> list[PassRate]:
    """One pass rate per check, over every finished answer, labelled as `describe` says the check. `outcomes`:
    what `graded(ev)` gave, to grade once for several views."""
    outcomes = graded(ev) if outcomes is None else outcomes
    every = list(range(len(ev.results)))
    return [_tally(outcomes, every, describe(check), n) for n, check in enumerate(ev.plan.checks)]


def pass_rates_by_column(ev: Evaluation, outcomes: dict[int, list[Outcome]] | None = None) -> list[PassRate]:
    """All checks together, per grid column (setting set × seed)."""
    outcomes = graded(ev) if outcomes is None else outcomes
    runs = ev.plan.runs
    return [_tally(outcomes, [i for i, r in enumerate(runs) if r.column == c], c, None) for c in ev.plan.columns]


def pass_rates_by_row(ev: Evaluation, outcomes: dict[int, list[Outcome]] | None = None) -> list[PassRate]:
    """All checks together, per test case (labelled "row 1", …)."""
    outcomes = graded(ev) if outcomes is None else outcomes
    rows = range(len(ev.plan.cases.rows))
    runs = ev.plan.runs
    return [_tally(outcomes, [i for i, r in enumerate(runs) if r.row == row], f"row {row + 1}", None) for row in rows]


def answer_text(result: RunResult) -> str:
    """What the answer said: its text, or its tool calls as `name(arguments)` when it made calls."""
    calls = result.completion.tool_uses(0) if result.completion is not None else []
    if calls:
        return "; ".join(f"{c.name}({json.dumps(c.input or {}, ensure_ascii=False)})" for c in calls)
    return result.text


def row_groups(ev: Evaluation, row: int) -> list[Group]:
    """The row's finished answers grouped when identical (text, or the same calls); members are run indices."""
    indices = [i for i, r in enumerate(ev.plan.runs) if r.row == row and ev.results[i].status == "done"]
    groups = group_identical([answer_text(ev.results[i]) for i in indices])
    return [g.model_copy(update={"members": [indices[m] for m in g.members]}) for g in groups]


class AnswerGroup(BaseModel):
    """One distinct answer of a row: the runs that gave it (indices, and their grid columns), how many answers the row
    has (`of`), and each check's tally over those runs (a check can differ within a group, e.g. a time limit)."""

    row: int
    answer: str
    runs: list[int]
    columns: list[str]
    of: int
    checks: list[PassRate]
    summary: str  # the row's answers in words: "all 2 identical", "all 2 different", "3 of 4 identical"


def answer_groups(ev: Evaluation, outcomes: dict[int, list[Outcome]] | None = None) -> list[AnswerGroup]:
    """Every row's distinct answers (`row_groups`), row by row, each with its checks tallied over its runs."""
    outcomes = graded(ev) if outcomes is None else outcomes
    out = []
    for row in range(len(ev.plan.cases.rows)):
        groups = row_groups(ev, row)
        of, summary = sum(g.count for g in groups), group_summary(groups)
        for g in groups:
            checks = [_tally(outcomes, g.members, describe(check), n) for n, check in enumerate(ev.plan.checks)]
            columns = [ev.plan.runs[i].column for i in g.members]
            out.append(
                AnswerGroup(row=row, answer=g.text, runs=g.members, columns=columns, of=of, checks=checks, summary=summary)
            )
    return out


class ToolStats(BaseModel):
    """For one row or grid column: of its finished answers, the share that called the right tool, whose calls' arguments
    were all valid, and that answered in text instead of calling a tool (0–1; None when no answer finished)."""

    label: str
    answers: int = 0
    right_tool: float | None = None
    valid_arguments: float | None = None
    text_instead: float | None = None


def _tool_stats(ev: Evaluation, indices: list[int], label: str, tool: str | None) -> ToolStats:
    done = [ev.results[i] for i in indices if ev.results[i].status == "done" and ev.results[i].completion is not None]
    if not done:
        return ToolStats(label=label)
    right = valid = text = 0
    for result in done:
        calls = result.completion.tool_uses(0) if result.completion is not None else []
        if not calls:
            text += 1
            continue
        right += any(c.name == tool for c in calls) if tool else 1
        tools = result.body.get("tools")
        offered = [t for t in tools if isinstance(t, dict)] if isinstance(tools, list) else []
        valid += all(c.ok for c in check_tool_calls(calls, offered))
    n = len(done)
    return ToolStats(label=label, answers=n, right_tool=right / n, valid_arguments=valid / n, text_instead=text / n)


def tool_matrix(ev: Evaluation, tool: str | None = None) -> tuple[list[ToolStats], list[ToolStats]]:
    """The tool-calling matrix: (per row, per grid column). The right tool is `tool`, else the first "calls tool"
    check's, else any call counts as right."""
    if tool is None:
        tool = next((c.tool for c in ev.plan.checks if isinstance(c, CallsTool)), None)
    runs = ev.plan.runs
    by_row = [
        _tool_stats(ev, [i for i, r in enumerate(runs) if r.row == row], f"row {row + 1}", tool)
        for row in range(len(ev.plan.cases.rows))
    ]
    by_column = [_tool_stats(ev, [i for i, r in enumerate(runs) if r.column == c], c, tool) for c in ev.plan.columns]
    return by_row, by_column


def _mark_text(outcome: Outcome) -> str:
    return ("✓ " if outcome.passed else "✗ ") + outcome.reason if outcome.counted else outcome.reason


def to_csv(ev: Evaluation) -> bytes:
    """Every result with its checks, one line per run, as UTF-8 CSV (formula-like text kept as text)."""
    cases, checks = ev.plan.cases, ev.plan.checks
    names = [describe(c) for c in checks]
    header = ["row", *cases.columns, "run", "status", "answer", "output tokens", "ttft ms", "total ms", *names]
    with_finals = bool(ev.finals)
    if with_finals:
        header += ["final answer", *(f"final: {n}" for n in names)]
    header += ["mark", "note", "error"]
    lines = []
    for i, run in enumerate(ev.plan.runs):
        r = ev.results[i]
        line = [run.row + 1, *(cases.value(run.row, c) for c in cases.columns), run.column, r.status, answer_text(r)]
        line += ["" if r.usage is None else r.usage.output_tokens, _ms(r.ttft_s), _ms(r.total_s)]
        line += [_mark_text(o) for o in ev.outcomes(i)] if r.finished else [""] * len(checks)
        if with_finals:
            final = ev.finals.get(i)
            line += [answer_text(final) if final else ""]
            line += [_mark_text(o) for o in ev.outcomes(i, final=True)] if final and final.finished else [""] * len(checks)
        mark = ev.marks.get(i)
        line += ["" if mark is None else "👍" if mark.up else "👎", "" if mark is None else mark.note, r.error or ""]
        lines.append(line)
    frame = pd.DataFrame(lines, columns=_unique(header), dtype=object)
    return csv_bytes(frame)


def _ms(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds * 1000:.0f}"


def _unique(names: list[str]) -> list[str]:
    """Column names made unique (two checks can read alike): "contains city", "contains city (2)"."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out
