"""Reading an evaluation: outcomes, pass rates per check / column / row, groups, the tool-calling matrix, CSV,
and the request that continues an answer's tool calls with the demo tools."""

from __future__ import annotations

import io
import json

import pandas as pd

from playground.compare import RunResult
from playground.evaluate import TestCases
from playground.evaluate import checks as c
from playground.evaluate.plan import make_plan
from playground.evaluate.results import (
    Evaluation,
    answer_groups,
    graded,
    pass_rates,
    pass_rates_by_column,
    pass_rates_by_row,
    row_groups,
    to_csv,
    tool_matrix,
)
from playground.evaluate.run import failed_indices, follow_up, row_indices
from playground.examples import GET_WEATHER
from tests.core.evaluate_answers import answer

BODY = {"model": "m", "messages": [{"role": "user", "content": "Weather in {{city}}?"}], "tools": [GET_WEATHER]}
CASES = TestCases(columns=["city"], rows=[{"city": "Paris"}, {"city": "=Lima"}])


def _call(city: str) -> RunResult:
    return answer("", calls=[("get_weather", json.dumps({"city": city}))], finish="tool_calls")


def _evaluation() -> Evaluation:
    plan = make_plan(
        BODY,
        CASES,
        [c.CallsTool(tool="get_weather"), c.ArgumentEquals(argument="city", column="city"), c.PersonMark()],
        seeds="1-2",
    )
    results = [_call("Paris"), _call("Paris"), answer("I cannot check the weather."), RunResult(index=3, label="seed 2", body={})]
    return Evaluation(plan=plan, results=results).mark(0, up=True, note="good")


def test_outcomes_and_pass_rates_per_check_column_and_row() -> None:
    ev = _evaluation()
    assert [o.passed for o in ev.outcomes(0)] == [True, True, True]
    assert [(o.passed, o.counted) for o in ev.outcomes(2)] == [(False, True), (False, True), (False, False)]
    assert ev.progress == 0.75
    rates = pass_rates(ev)
    assert [(r.label, r.passed, r.counted) for r in rates] == [
        ("calls get_weather", 2, 3),
        ("city = city", 2, 3),
        ("a person's 👍/👎", 1, 1),
    ]
    assert [(r.label, r.passed, r.counted) for r in pass_rates_by_column(ev)] == [("seed 1", 3, 5), ("seed 2", 2, 2)]
    once = graded(ev)
    assert sorted(once) == [0, 1, 2] and pass_rates(ev, once) == rates  # the pending run is not graded
    by_row = pass_rates_by_row(ev, once)
    assert [(r.label, r.rate) for r in by_row] == [("row 1", 1.0), ("row 2", 0.0)]
    assert ev.unmark(0).outcomes(0)[2].counted is False
    kept = ev.model_copy(update={"finals": {0: answer("Sunny in Paris.")}})
    assert Evaluation.model_validate_json(kept.model_dump_json()) == kept  # kept with the notebook as JSON


def test_identical_answers_group_within_a_row_and_failed_runs_are_found() -> None:
    ev = _evaluation()
    [group] = row_groups(ev, 0)
    assert group.members == [0, 1] and group.text == 'get_weather({"city": "Paris"})'
    assert row_groups(ev, 1)[0].members == [2]
    assert failed_indices(ev) == [2] and row_indices(ev.plan, 1) == [2, 3]


def test_each_distinct_answer_of_a_row_once_with_its_runs_and_its_checks_over_them() -> None:
    ev = _evaluation()
    first, second = answer_groups(ev)
    assert (first.row, first.answer, first.runs, first.columns, first.of) == (
        0,
        'get_weather({"city": "Paris"})',
        [0, 1],
        ["seed 1", "seed 2"],
        2,
    )
    assert [(p.label, p.passed, p.counted) for p in first.checks] == [
        ("calls get_weather", 2, 2),
        ("city = city", 2, 2),
        ("a person's 👍/👎", 1, 1),  # only run 0 was marked
    ]
    assert (second.row, second.runs, second.columns, second.of) == (1, [2], ["seed 1"], 1)  # seed 2 is still running
    assert (first.summary, second.summary) == ("all 2 identical", "1 answer")
    assert [(p.passed, p.counted) for p in second.checks] == [(0, 1), (0, 1), (0, 0)]
    ev.results[1] = _call("Lima")
    assert [(g.runs, g.summary) for g in answer_groups(ev)] == [
        ([0], "all 2 different"),
        ([1], "all 2 different"),
        ([2], "1 answer"),
    ]


def test_the_tool_calling_matrix_per_row_and_column() -> None:
    ev = _evaluation()
    ev.results[1] = answer("", calls=[("get_weather", '{"unit": "kelvin"}')], finish="tool_calls")
    by_row, by_column = tool_matrix(ev)
    assert [(s.label, s.answers, s.right_tool, s.valid_arguments, s.text_instead) for s in by_row] == [
        ("row 1", 2, 1.0, 0.5, 0.0),
        ("row 2", 1, 0.0, 0.0, 1.0),
    ]
    assert [(s.label, s.answers) for s in by_column] == [("seed 1", 2), ("seed 2", 1)]
    assert tool_matrix(ev, "get_time")[0][0].right_tool == 0.0


def test_csv_has_every_run_with_its_checks_and_keeps_formulas_as_text() -> None:
    frame = pd.read_csv(io.BytesIO(to_csv(_evaluation())), dtype=str, keep_default_na=False)
    assert list(frame.columns) == [
        "row", "city", "run", "status", "answer", "output tokens", "ttft ms", "total ms",
        "calls get_weather", "city = city", "a person's 👍/👎", "mark", "note", "error",
    ]  # fmt: skip
    assert frame["city"].tolist() == ["Paris", "Paris", "'=Lima", "'=Lima"]
    assert frame["calls get_weather"].tolist()[:3] == [
        "✓ The model called get_weather.",
        "✓ The model called get_weather.",
        "✗ The model answered in text instead of calling get_weather.",
    ]
    assert frame["mark"].tolist() == ["👍", "", "", ""] and frame["status"].tolist()[3] == "pending"


def test_a_follow_up_answers_the_calls_with_the_demo_tools() -> None:
    first = _call("Paris").model_copy(update={"body": {**BODY, "tool_choice": "required"}})
    nxt = follow_up(first)
    assert nxt is not None and nxt.body["tool_choice"] == "none"
    assistant, tool = nxt.body["messages"][1:]
    assert assistant["tool_calls"][0]["function"]["name"] == "get_weather"
    assert tool["role"] == "tool" and json.loads(tool["content"])["city"] == "Paris"
    unknown = answer("", calls=[("launch", "{}")], finish="tool_calls")
    assert "No demo tool" in follow_up(unknown).body["messages"][-1]["content"]  # type: ignore[union-attr]
    assert follow_up(answer("Sunny.")) is None
