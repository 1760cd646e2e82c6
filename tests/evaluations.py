"""The weather evaluation that `tests/integration/test_evaluate_runs.py` runs and `tests/data/record_evaluation.py`
records: three cities × two seeds with the weather tool offered, a "contains the city" check and a "calls get_weather"
check."""

from __future__ import annotations

from typing import Any

from playground.evaluate import TestCases
from playground.evaluate import checks as c
from playground.evaluate.plan import Plan, make_plan
from playground.examples import GET_WEATHER

__all__ = ["WEATHER_CASES", "weather_plan"]

WEATHER_CASES = TestCases(columns=["city"], rows=[{"city": "Paris"}, {"city": "Tokyo"}, {"city": "Lima"}])


def weather_plan(model: str, **fields: Any) -> Plan:
    """The plan for `model`; `fields` are added to the request (e.g. a tool choice; the default is auto)."""
    body = {
        "model": model,
        "messages": [{"role": "user", "content": "What is the weather in {{city}}?"}],
        "tools": [GET_WEATHER],
        **fields,
        "max_completion_tokens": 40,
    }
    checks = [c.Contains(column="city", ignore_case=True), c.CallsTool(tool="get_weather")]
    return make_plan(body, WEATHER_CASES, checks, seeds="1-2")
