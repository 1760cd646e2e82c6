"""Running an evaluation when runs fail or are cancelled (faults injected through httpx.MockTransport; real runs are
in tests/integration/test_evaluate_runs.py): the failed result keeps its error, a rerun of it keeps the rest."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from playground.client import ChatClient, ClientConfig
from playground.compare import Variant
from playground.evaluate import TestCases
from playground.evaluate import checks as c
from playground.evaluate.plan import make_plan
from playground.evaluate.run import failed_indices, run_evaluation, start_evaluation

BODY = {"model": "m", "messages": [{"role": "user", "content": "Weather in {{city}}?"}]}
CASES = TestCases(columns=["city"], rows=[{"city": "Paris"}, {"city": "Lima"}])


def _sse(text: str) -> bytes:
    events = [{"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": "stop"}]}]
    return ("".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n").encode()


def _client(handler: Callable[[dict[str, Any]], httpx.Response]) -> Callable[[Variant], ChatClient]:
    transport = httpx.MockTransport(lambda r: handler(json.loads(r.content)))
    client = ChatClient(ClientConfig(base_url="http://127.0.0.1:9/v1", kind="openai"), transport=transport)
    return lambda variant: client


def _answer(body: dict[str, Any]) -> httpx.Response:
    text = body["messages"][0]["content"].removeprefix("Weather in ").rstrip("?") + " is sunny."
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=_sse(text))


def test_a_failed_run_keeps_its_error_and_a_rerun_of_it_keeps_the_others() -> None:
    def broken_for_lima(body: dict[str, Any]) -> httpx.Response:
        if "Lima" in body["messages"][0]["content"] and body["seed"] == 2:
            return httpx.Response(400, json={"error": {"message": "Lima is cursed", "type": "invalid_request_error"}})
        return _answer(body)

    plan = make_plan(BODY, CASES, [c.Contains(column="city")], seeds="1-2")
    ev = run_evaluation(plan, _client(broken_for_lima), concurrency=2)
    assert [r.status for r in ev.results] == ["done", "done", "done", "error"]
    assert ev.results[0].text == "Paris is sunny." and "Lima is cursed" in (ev.results[3].error or "")
    [outcome] = ev.outcomes(3)
    assert not outcome.passed and "Lima is cursed" in outcome.reason
    assert failed_indices(ev) == [3]

    again = run_evaluation(plan, _client(_answer), indices=failed_indices(ev), previous=ev.mark(1, up=True))
    assert [r.status for r in again.results] == ["done"] * 4 and again.results[3].text == "Lima is sunny."
    assert again.results[:3] == ev.results[:3] and again.results[3].index == 3 and 1 in again.marks
    assert failed_indices(again) == []


def test_cancel_stops_the_runs_and_keeps_what_finished() -> None:
    release = threading.Event()

    class Slow(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            release.wait(10)
            yield _sse("late")

    def handler(body: dict[str, Any]) -> httpx.Response:
        if "Paris" in body["messages"][0]["content"]:
            return _answer(body)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Slow())

    plan = make_plan(BODY, CASES, [c.Contains(column="city")], seeds="1")
    job = start_evaluation(plan, _client(handler), concurrency=1)
    while job.snapshot().results[0].status != "done":
        job.wait(0.01)
    job.cancel()
    release.set()
    ev = job.wait(10)
    assert ev is not None and job.done and job.failure is None
    assert [r.status for r in ev.results] == ["done", "cancelled"]
