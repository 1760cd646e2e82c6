"""An evaluation's plan: rows × setting sets × seeds as compare Variants, and every problem on the path of its input."""

from __future__ import annotations

from typing import Any

import pytest

from playground.evaluate import TestCases
from playground.evaluate import checks as c
from playground.evaluate.plan import PlanError, make_plan, problems
from playground.fields import EVAL_CONCURRENCY, EVAL_MAX_RESULTS
from playground.local.settings import GatewaySettings

BODY: dict[str, Any] = {
    "model": "m",
    "messages": [{"role": "system", "content": "Answer in {{unit}}."}, {"role": "user", "content": "Weather in {{city}}?"}],
    "temperature": 0.7,
}
CASES = TestCases(columns=["city", "unit", "expected"], rows=[{"city": c, "unit": "metric"} for c in ("Paris", "Tokyo", "Lima")])


def test_rows_times_seeds_with_each_rows_variables_filled_in() -> None:
    plan = make_plan(BODY, CASES, [c.Contains(column="city")], seeds="1-2")
    assert plan.variables == ["unit", "city"]
    assert [(r.row, r.column) for r in plan.runs] == [
        (0, "seed 1"),
        (0, "seed 2"),
        (1, "seed 1"),
        (1, "seed 2"),
        (2, "seed 1"),
        (2, "seed 2"),
    ]
    assert plan.columns == ["seed 1", "seed 2"]
    tokyo = plan.runs[plan.index(1, "seed 2")].variant  # type: ignore[index]
    assert tokyo.body["messages"][1]["content"] == "Weather in Tokyo?" and tokyo.body["seed"] == 2
    assert tokyo.body["messages"][0]["content"] == "Answer in metric." and tokyo.body["temperature"] == 0.7
    assert plan.base_body == BODY and plan.index(3, "seed 1") is None


def test_setting_sets_and_no_seeds() -> None:
    sets = [{"label": "cool", "fields": {"temperature": 0.1}}, {"label": "hot", "fields": {"temperature": 1.5}}]
    plan = make_plan(BODY, CASES, [], settings_sets=sets, seeds=[7])
    assert plan.columns == ["cool · seed 7", "hot · seed 7"]
    assert [r.variant.body["temperature"] for r in plan.runs[:2]] == [0.1, 1.5]
    once = make_plan(BODY, CASES, [])
    assert once.columns == ["run"] and len(once.runs) == 3 and "seed" not in once.runs[0].variant.body


def test_a_field_sweep_times_seeds_and_setting_sets_times_seeds() -> None:
    plan = make_plan(BODY, CASES, [], seeds="1-2", sweep=("temperature", "0, 1.2"))
    assert plan.columns == [
        "temperature 0 · seed 1",
        "temperature 0 · seed 2",
        "temperature 1.2 · seed 1",
        "temperature 1.2 · seed 2",
    ]
    assert len(plan.runs) == 12 and [r.variant.body["temperature"] for r in plan.runs[:4]] == [0, 0, 1.2, 1.2]
    assert plan.sweep is not None and plan.sweep.field == "temperature"
    assert [(e.field, e.code) for e in problems(BODY, CASES, [], sweep=("temperature", "0, 9"))] == [
        ("temperature", "out_of_range")
    ]


def test_the_runs_per_test_case_cap_names_itself() -> None:
    [too_many] = problems(BODY, CASES, [], seeds="1-20", sweep=("temperature", "0, 1"))
    assert too_many.code == "too_many" and too_many.message.startswith("That makes 40 runs")
    assert "at most 32 per test case" in too_many.message
    rows = TestCases(columns=["city", "unit"], rows=[{"city": "x", "unit": "y"}] * 101)
    [results] = problems(BODY, rows, [], seeds="1-2", sweep=("temperature", "0, 1"))
    assert results.code == "too_many_results" and "101 rows × 4 runs each make 404 results" in results.message


def test_every_problem_is_on_the_path_of_its_input_and_nothing_is_planned() -> None:
    body = {**BODY, "messages": [*BODY["messages"], {"role": "user", "content": "and {{my day}}"}]}
    cases = TestCases(columns=["city", "unit", "extra"], rows=[{"city": "Paris", "unit": ""}])
    checks = [c.Contains(column="city"), c.MatchesPattern(pattern="(")]
    found = problems(body, cases, checks, seeds="3-1")
    assert [(e.field, e.code) for e in found] == [
        ("messages.2.content", "bad_name"),
        ("cases", "unknown_column"),
        ("cases.0.unit", "missing_value"),
        ("checks.1", "check"),
        ("seed", "range_reversed"),
    ]
    with pytest.raises(PlanError) as caught:
        make_plan(body, cases, checks, seeds="3-1")
    assert caught.value.for_field("checks") == [found[3]]


def test_the_cap_on_results_names_itself() -> None:
    rows = EVAL_MAX_RESULTS // 4 + 1
    cases = TestCases(columns=["city", "unit"], rows=[{"city": "x", "unit": "y"}] * rows)
    [too_many] = problems(BODY, cases, [], seeds="1-4")
    assert too_many.code == "too_many_results" and str(EVAL_MAX_RESULTS) in too_many.message
    assert [e.code for e in problems(BODY, cases, [], seeds="1-40")] == ["too_many"]  # a row's columns: compare's cap


def test_runs_at_once_defaults_to_the_embedded_models_slots() -> None:
    assert EVAL_CONCURRENCY.default == GatewaySettings().n_parallel
