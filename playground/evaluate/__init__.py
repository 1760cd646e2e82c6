"""Evaluate: `{{variables}}` in the prompt, a table of test cases, checks on every answer, run across seeds.

Streamlit-free; the Evaluate page only draws it. Modules, each usable alone:
- `variables`: `find_variables(messages)` lists `{{name}}`s in order of first appearance; `substitute(messages,
  values)` / `substitute_body(body, values)` fill them in. A bad name or a missing value raises `VariableError`
  (a RequestError whose `VariableIssue`s name the message, `messages.<i>.content`, and the variable).
  `image_variables(messages)`: the variables that stand for an image (an image whose address is `{{photo}}`).
- `cases`: `TestCases` (columns = variables + optional `expected`; rows of text; an image is a data URL or an https
  address), `.problems(variables, image_columns)` →
  `CaseProblem`s on their row and column; `size_problem(rows, runs_per_row)` for the caps; CSV / JSONL / pasted
  tab-separated text in (`from_csv`, `from_jsonl`, `from_pasted`, raising `CasesError`) and out (`to_csv`, `to_jsonl`).
- `checks`: `Check`, a pydantic union told apart by `kind` (`KINDS`: kind → label; one class per kind, e.g.
  `Contains`, `CallsTool`); `check_problems(check, columns)` for a check's own mistakes; `describe(check)`;
  `evaluate(check, result, row, mark=…) -> Outcome(passed, reason, counted)`; `Mark` (👍/👎 and a note);
  `parse_checks(json)`. Import the check classes from `playground.evaluate.checks`.

- `plan`: `make_plan(base_body, cases, checks, seeds=…, settings_sets=…, continue_tools=…)` → `Plan` (one
  `PlannedRun(row, variant)` per row × setting set × seed; `plan.columns` are the grid's columns), or `PlanError`;
  `problems(...)` lists every mistake on its input's path (`messages.<i>.content`, `cases.<row>.<column>`,
  `checks.<i>`, `seed`, `settings_sets`) without raising.
- `run`: `start_evaluation(plan, client_for, concurrency=…, indices=…, previous=…)` → `EvaluationJob` to poll
  (`snapshot()`, `cancel()`, `done`, `result`), on `compare.run_comparison`'s thread pool; `indices` + `previous`
  rerun some runs (`row_indices(plan, row)`, `failed_indices(ev)`); `run_evaluation` waits for it. Concurrency's
  field is `fields.EVAL_CONCURRENCY` (default: the embedded model's slots).
- `results`: `Evaluation` (plan, results, finals after the demo tools, marks; `.outcomes(i)`, `.mark(i, up)`),
  `pass_rates` / `pass_rates_by_column` / `pass_rates_by_row` → `PassRate`, `row_groups`, `tool_matrix` →
  `ToolStats` per row and per column, `to_csv`.
"""

from __future__ import annotations

from playground.evaluate.cases import CaseProblem, CasesError, TestCases, rows_from, size_problem
from playground.evaluate.checks import KINDS, Check, Mark, Outcome, check_problems, describe, evaluate, parse_checks
from playground.evaluate.plan import Plan, PlanError, PlannedRun, make_plan
from playground.evaluate.results import Evaluation, PassRate, ToolStats, pass_rates, pass_rates_by_column, pass_rates_by_row
from playground.evaluate.run import EvaluationJob, run_evaluation, start_evaluation
from playground.evaluate.variables import (
    VariableError,
    VariableIssue,
    find_variables,
    image_variables,
    message_name,
    scan,
    substitute,
    substitute_body,
)

__all__ = [
    "KINDS",
    "Evaluation",
    "EvaluationJob",
    "PassRate",
    "Plan",
    "PlanError",
    "PlannedRun",
    "ToolStats",
    "make_plan",
    "pass_rates",
    "pass_rates_by_column",
    "pass_rates_by_row",
    "run_evaluation",
    "start_evaluation",
    "CaseProblem",
    "Check",
    "Mark",
    "Outcome",
    "check_problems",
    "describe",
    "evaluate",
    "parse_checks",
    "CasesError",
    "TestCases",
    "VariableError",
    "VariableIssue",
    "find_variables",
    "image_variables",
    "message_name",
    "scan",
    "rows_from",
    "size_problem",
    "substitute",
    "substitute_body",
]
