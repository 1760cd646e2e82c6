"""An evaluation's plan: every run it makes (rows × setting sets or swept values × seeds) and what each answer is
checked with.

`problems(...)` gathers every mistake on the path of its input, so the page can show them all at once and run
nothing until they are fixed: a bad `{{name}}` (`messages.<i>.content`), the table (`cases`, `cases.<row>.<column>`),
a check (`checks.<i>`), seeds, a sweep and setting sets (`seed`, `sweep` or the swept field, `settings_sets`), the
caps (MAX_RUNS runs per test case, as a comparison; EVAL_MAX_RESULTS in all). `make_plan(...)` returns
the `Plan` or raises `PlanError` with those problems. Each run is a compare `Variant` whose body is the row's
request (its variables filled in) with the seed and set applied by `compare.setup.variants`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from playground.compare import MAX_RUNS, CompareSetupError, SettingsSet, Sweep, Variant, parse_seeds, variants
from playground.compare.inputs import Base, SetupInputs, sets_of
from playground.errors import FieldError, RequestError
from playground.evaluate.cases import TestCases, size_problem
from playground.evaluate.checks import Check, check_problems
from playground.evaluate.variables import find_variables, image_variables, scan, substitute_body
from playground.fields import EVAL_MAX_RESULTS

__all__ = ["Plan", "PlanError", "PlannedRun", "across", "make_plan", "problems"]


class PlanError(RequestError):
    """The evaluation cannot run yet; `.errors` has each problem on the path of its input."""


class PlannedRun(BaseModel):
    """One run: the test case's row (0-based) and the compare Variant (body, seed, setting set) it sends."""

    row: int
    variant: Variant

    @property
    def column(self) -> str:
        """The grid column it falls in: its setting set and seed ("seed 2", "set A · seed 2"), "run" for neither."""
        return self.variant.key


class Plan(BaseModel):
    """What an evaluation runs and checks, kept with its results."""

    base_body: dict[str, Any]
    variables: list[str]
    cases: TestCases
    checks: list[Check] = Field(default_factory=list)
    seeds: list[int] | None = None
    sweep: Sweep | None = None
    settings_sets: list[SettingsSet] | None = None
    continue_tools: bool = False  # answer tool calls with the demo tools and run again; the final answer is checked too
    runs: list[PlannedRun] = Field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        """The grid's columns (setting set × seed), in order."""
        return list(dict.fromkeys(r.column for r in self.runs))

    def index(self, row: int, column: str) -> int | None:
        """The run at a grid cell, None when there is none."""
        return next((i for i, r in enumerate(self.runs) if r.row == row and r.column == column), None)


def _seed_list(seeds: Sequence[int] | str | None, out: list[FieldError]) -> list[int] | None:
    if seeds is None or (isinstance(seeds, str) and not seeds.strip()):
        return None
    try:
        return parse_seeds(seeds if isinstance(seeds, str) else ", ".join(str(s) for s in seeds), max_runs=EVAL_MAX_RESULTS)
    except CompareSetupError as exc:
        out.extend(exc.errors)
        return None


SweepInput = Sweep | tuple[str, Sequence[float] | str] | None


def _per_row(errors: Sequence[FieldError]) -> list[FieldError]:
    """Compare's cap on runs said as an evaluation's: per test case."""
    return [
        FieldError(e.field, f"{e.message.split(';')[0]}; an evaluation runs at most {MAX_RUNS} per test case.", e.code)
        if e.code == "too_many"
        else e
        for e in errors
    ]


def problems(
    base_body: Mapping[str, Any],
    cases: TestCases,
    checks: Sequence[Check],
    *,
    seeds: Sequence[int] | str | None = None,
    sweep: SweepInput = None,
    settings_sets: Sequence[SettingsSet | Mapping[str, Any]] | None = None,
) -> list[FieldError]:
    """Everything that stops this evaluation from running, each on the path of its input; empty when it can run."""
    out: list[FieldError] = []
    messages = base_body.get("messages") or []
    variables, issues = scan(messages)
    out.extend(issues)
    for p in cases.problems(variables, image_variables(messages)):
        path = "cases" if p.row is None else f"cases.{p.row}.{p.column}"
        out.append(FieldError(path, p.message, p.code))
    for i, check in enumerate(checks):
        out.extend(FieldError(f"checks.{i}", message, "check") for message in check_problems(check, cases.columns))
    for i, the_set in enumerate(settings_sets or []):
        if (the_set.backend if isinstance(the_set, SettingsSet) else the_set.get("backend")) is not None:
            out.append(
                FieldError(
                    f"sets.{i}.backend",
                    "An evaluation runs every set on the sidebar's backend: choose Unchanged here (Compare runs sets "
                    "on other backends).",
                    "other_backend",
                )
            )
    seed_list = _seed_list(seeds, out)
    per_row = 1
    if settings_sets is not None or seed_list or sweep is not None:
        try:
            per_row = len(variants({"messages": []}, seeds=seed_list, sweep=sweep, settings_sets=settings_sets))
        except CompareSetupError as exc:
            out.extend(_per_row(exc.errors))
    if (size := size_problem(len(cases.rows), per_row)) is not None and size.code == "too_many_results":
        out.append(FieldError("cases", size.message, size.code))
    return out


def across(inputs: SetupInputs, base: Base) -> tuple[dict[str, Any], list[FieldError]]:
    """What Compare's set-up inputs add to an evaluation beside its seeds: `{"sweep": (field, values)}` in mode
    "sweep", `{"settings_sets": [...]}` in mode "sets" (each form checked as Compare checks it, against `base`),
    nothing in mode "seeds"; and the set forms' mistakes on their paths ("sets.<i>.<field>")."""
    if inputs.mode == "sweep":
        return {"sweep": (inputs.sweep_field, inputs.sweep_values)}, []
    if inputs.mode == "sets":
        try:
            return {"settings_sets": sets_of(inputs, base)}, []
        except RequestError as exc:
            return {}, list(exc.errors)
    return {}, []


def _swept(runs: Sequence[PlannedRun]) -> Sweep | None:
    """The sweep the runs make, as read (values in order), None when they sweep nothing."""
    field = next((r.variant.sweep_field for r in runs if r.variant.sweep_field), None)
    values = dict.fromkeys(r.variant.sweep_value for r in runs if r.variant.sweep_value is not None)
    return Sweep(field=field, values=list(values)) if field else None


def make_plan(
    base_body: Mapping[str, Any],
    cases: TestCases,
    checks: Sequence[Check],
    *,
    seeds: Sequence[int] | str | None = None,
    sweep: SweepInput = None,
    settings_sets: Sequence[SettingsSet | Mapping[str, Any]] | None = None,
    continue_tools: bool = False,
) -> Plan:
    """The plan: for each row, its request with the variables filled in, under every setting set, swept value and
    seed (in that order, row by row). Raises PlanError listing every problem (see `problems`)."""
    found = problems(base_body, cases, checks, seeds=seeds, sweep=sweep, settings_sets=settings_sets)
    if found:
        raise PlanError(found)
    seed_list = _seed_list(seeds, [])
    sets = [s if isinstance(s, SettingsSet) else SettingsSet.model_validate(s) for s in settings_sets] if settings_sets else None
    runs: list[PlannedRun] = []
    for row in range(len(cases.rows)):
        body = substitute_body(base_body, cases.values(row))
        runs.extend(PlannedRun(row=row, variant=v) for v in variants(body, seeds=seed_list, sweep=sweep, settings_sets=sets))
    return Plan(
        base_body=copy.deepcopy(dict(base_body)),
        variables=find_variables(base_body.get("messages") or []),
        cases=cases.model_copy(deep=True),
        checks=list(checks),
        seeds=seed_list,
        sweep=_swept(runs),
        settings_sets=sets,
        continue_tools=continue_tools,
        runs=runs,
    )
