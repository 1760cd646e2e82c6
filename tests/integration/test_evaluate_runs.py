"""playground.evaluate against the real embedded model over real HTTP: three cities × two seeds with the weather
tool, a "contains" check and a "calls get_weather" check, results filling in as they arrive, and a rerun of one result.
(The demo tools continuing each call, `continue_tools`, doubles the runs; tests/core/test_evaluate_results.py builds its
request.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from playground.client import ChatClient, ClientConfig
from playground.evaluate.results import Evaluation, pass_rates, pass_rates_by_column, to_csv, tool_matrix
from playground.evaluate.run import run_evaluation, start_evaluation
from playground.fields import DEPENDABLE_TOOL_CALL
from tests.evaluations import WEATHER_CASES, weather_plan

pytestmark = pytest.mark.integration


@pytest.fixture()
def client(gateway: Any) -> Iterator[ChatClient]:
    with ChatClient(ClientConfig(base_url=gateway.base_url, kind="embedded", timeout=600.0)) as c:
        yield c


def test_three_cities_times_two_seeds_checked_then_one_result_rerun(client: ChatClient, gateway: Any) -> None:
    model = httpx.get(f"{gateway.base_url}/models", timeout=30).json()["data"][0]["id"]
    plan = weather_plan(model, **DEPENDABLE_TOOL_CALL)  # tool_choice "required": the gateway constrains every answer to a call
    seen: list[Evaluation] = []
    # two at a time: each run beside another still fills in as it arrives, and only two slots compute the prompt
    # whole (a run starting in a slot that computed one city's prompt takes the tool description from its cache)
    job = start_evaluation(plan, lambda v: client, concurrency=2)
    while not job.done:
        seen.append(job.snapshot())
        job.wait(0.05)
    ev = job.result
    assert ev is not None and job.failure is None
    assert any(0 < s.finished_count < 6 for s in seen)  # results filled in as they arrived

    assert [r.status for r in ev.results] == ["done"] * 6, [r.error for r in ev.results]
    for i, run in enumerate(plan.runs):
        city = WEATHER_CASES.value(run.row, "city")
        assert run.variant.body["messages"][0]["content"] == f"What is the weather in {city}?"
        contains, calls = ev.outcomes(i)
        assert calls.passed and calls.reason == "The model called get_weather."
        assert (
            not contains.passed and contains.reason == f"The answer does not contain “{city}” (column city)."
        )  # a call, no text
    assert [(r.passed, r.counted) for r in pass_rates(ev)] == [(0, 6), (6, 6)]
    assert [r.label for r in pass_rates_by_column(ev)] == ["seed 1", "seed 2"]
    by_row, _ = tool_matrix(ev)
    assert [(s.answers, s.right_tool, s.text_instead) for s in by_row] == [(2, 1.0, 0.0)] * 3
    assert to_csv(ev).decode().count("✓ The model called get_weather.") == 6

    again = run_evaluation(plan, lambda v: client, indices=[3], previous=ev.mark(0, up=True).mark(3, up=False))
    assert again.results[3].status == "done" and again.results[3] is not ev.results[3]
    assert again.results[:3] == ev.results[:3] and again.marks.keys() == {0}  # the rerun's old mark went with its answer
    assert again.results[3].body["seed"] == 2 and again.outcomes(3)[1].passed
