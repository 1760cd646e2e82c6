"""Evaluate: `{{variables}}` in the prompt, a table of test cases, checks on every answer, run across seeds.

Streamlit-free; the Evaluate page only draws it. Modules, each usable alone:
- `variables`: `find_variables(messages)` lists `{{name}}`s in order of first appearance; `substitute(messages,
  values)` / `substitute_body(body, values)` fill them in. A bad name or a missing value raises `VariableError`
  (a RequestError whose `VariableIssue`s name the message, `messages.<i>.content`, and the variable).
- `cases`: `TestCases` (columns = variables + optional `expected`; rows of text), `.problems(variables)` →
  `CaseProblem`s on their row and column; `size_problem(rows, runs_per_row)` for the caps; CSV / JSONL / pasted
  tab-separated text in (`from_csv`, `from_jsonl`, `from_pasted`, raising `CasesError`) and out (`to_csv`, `to_jsonl`).
- `checks`: `Check`, a pydantic union told apart by `kind` (`KINDS`: kind → label; one class per kind, e.g.
  `Contains`, `CallsTool`); `check_problems(check, columns)` for a check's own mistakes; `describe(check)`;
  `evaluate(check, result, row, mark=…) -> Outcome(passed, reason, counted)`; `Mark` (👍/👎 and a note);
  `parse_checks(json)`. Import the check classes from `playground.evaluate.checks`.

Planned (landing next, names kept):
- `plan`: `Plan` / `plan(base_body, cases, seeds=…, settings_sets=…)` → one compare `Variant` per row × seed × set.
- `run`: `start_evaluation(plan, client_for, concurrency=…)` → a job to poll (compare's thread pool), `rerun`.
- `results`: `Evaluation` (plan, results, checks, marks), pass rates per check and per column, groups of
  identical answers within a row, the tool-calling matrix, `to_csv`.
"""

from __future__ import annotations

from playground.evaluate.cases import CaseProblem, CasesError, TestCases, rows_from, size_problem
from playground.evaluate.checks import KINDS, Check, Mark, Outcome, check_problems, describe, evaluate, parse_checks
from playground.evaluate.variables import VariableError, VariableIssue, find_variables, message_name, substitute, substitute_body

__all__ = [
    "KINDS",
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
    "message_name",
    "rows_from",
    "size_problem",
    "substitute",
    "substitute_body",
]
