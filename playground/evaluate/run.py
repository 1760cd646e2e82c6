"""Running an evaluation: the plan's runs streamed by compare's thread pool (`compare.run_comparison`: progress,
cancellation, one client per backend), results filling in as they arrive, on a background job a page polls.

With `plan.continue_tools`, every answer that called tools gets a second round: the demo tools answer the calls
(`runner.continuation` and `tool_calls.run_all`, as the Playground's "Run tools and continue") and the model
answers again; that final answer is kept in `Evaluation.finals` and checked too. A rerun (`indices`) runs some
runs again and keeps every other result of the evaluation it started from.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from typing import Any

from playground import runner, tool_calls
from playground.client import ChatClient
from playground.compare import RunResult, Variant, run_comparison
from playground.evaluate.plan import Plan
from playground.evaluate.results import Evaluation
from playground.fields import EVAL_CONCURRENCY
from playground.jobs import Job

__all__ = ["EvaluationJob", "failed_indices", "follow_up", "row_indices", "run_evaluation", "start_evaluation"]

ClientFor = Callable[[Variant], ChatClient]


def row_indices(plan: Plan, row: int) -> list[int]:
    """The runs of one test case (its row), for "rerun this row"."""
    return [i for i, r in enumerate(plan.runs) if r.row == row]


def failed_indices(ev: Evaluation) -> list[int]:
    """Runs that ended without an answer, or whose answer failed a counted check."""
    return [
        i
        for i, r in enumerate(ev.results)
        if r.finished and (r.status != "done" or any(o.counted and not o.passed for o in ev.outcomes(i)))
    ]


def follow_up(result: RunResult) -> Variant | None:
    """The request that continues a finished answer's tool calls with the demo tools' results, or None when it made
    no call. A call no demo tool answers is sent with an error as its result, so the model can say so. A forced
    tool choice becomes "none" for this round, as the Playground does, or the model would call again."""
    if result.completion is None or not result.completion.tool_uses(0):
        return None
    added = runner.continuation(result.completion)
    calls = tool_calls.waiting(added, {})
    messages = tool_calls.run_all(added, [c for c in calls if c.source == tool_calls.DEMO], {}, {})
    unanswered = [c.name or f"(a call with no name, id {c.id})" for c in calls if c.source != tool_calls.DEMO]
    for m in messages:
        if m.role == "tool" and not m.content:
            m.content = '{"error": "No demo tool answers this call."}'
    body = copy.deepcopy(result.body)
    body["messages"] = [*body.get("messages", []), *(m.to_request() for m in messages)]
    if body.get("tool_choice") not in (None, "auto", "none"):
        body["tool_choice"] = "none"
    label = result.label + " · after tools" + (f" ({', '.join(unanswered)} unanswered)" if unanswered else "")
    return Variant(label=label, body=body, key=result.key)


class EvaluationJob(Job[Evaluation]):
    """An evaluation running on a background thread (see `jobs.Job`). `snapshot()` is the evaluation so far, pending
    runs included."""

    def __init__(
        self,
        plan: Plan,
        client_for: ClientFor,
        *,
        concurrency: int = EVAL_CONCURRENCY.default,
        indices: Sequence[int] | None = None,
        previous: Evaluation | None = None,
    ) -> None:
        super().__init__()
        todo = list(range(len(plan.runs))) if indices is None else sorted(set(indices))
        start = previous or Evaluation(plan=plan, results=[RunResult.pending(i, r.variant) for i, r in enumerate(plan.runs)])
        results = list(start.results)
        for i in todo:
            results[i] = RunResult.pending(i, plan.runs[i].variant)
        self._evaluation = start.model_copy(
            update={
                "results": results,
                "finals": {k: v for k, v in start.finals.items() if k not in todo},
                "marks": {k: v for k, v in start.marks.items() if k not in todo},  # a mark was on the old answer
            }
        )
        self._start("evaluate-job", lambda: self._run(client_for, concurrency, todo))

    def _store(self, where: str, index: int, result: RunResult) -> None:
        with self._lock:
            if where == "results":
                results = list(self._evaluation.results)
                results[index] = result.model_copy(update={"index": index})
                self._evaluation = self._evaluation.model_copy(update={"results": results})
            else:
                finals = {**self._evaluation.finals, index: result.model_copy(update={"index": index})}
                self._evaluation = self._evaluation.model_copy(update={"finals": finals})

    def _batch(self, where: str, indices: list[int], batch: list[Variant], client_for: ClientFor, concurrency: int) -> None:
        if not batch:
            return
        run_comparison(
            batch,
            client_for,
            concurrency=concurrency,
            on_update=lambda r: self._store(where, indices[r.index], r),
            update_every_s=0,
            cancel=self._cancel,
        )

    def _run(self, client_for: ClientFor, concurrency: int, todo: list[int]) -> Evaluation:
        started = time.perf_counter()
        plan = self._evaluation.plan
        self._batch("results", todo, [plan.runs[i].variant for i in todo], client_for, concurrency)
        if plan.continue_tools and not self._cancel.is_set():
            with self._lock:
                pairs = [(i, follow_up(self._evaluation.results[i])) for i in todo]
            more = [(i, v) for i, v in pairs if v is not None]
            self._batch("finals", [i for i, _ in more], [v for _, v in more], client_for, concurrency)
        with self._lock:
            return self._evaluation.model_copy(update={"wall_s": time.perf_counter() - started})

    def snapshot(self) -> Evaluation:
        with self._lock:
            return self.result or self._evaluation


def start_evaluation(
    plan: Plan,
    client_for: ClientFor,
    *,
    concurrency: int = EVAL_CONCURRENCY.default,
    indices: Sequence[int] | None = None,
    previous: Evaluation | None = None,
) -> EvaluationJob:
    """Run the plan (or only runs `indices` of `previous`, for a rerun) on a background thread; poll the job."""
    return EvaluationJob(plan, client_for, concurrency=concurrency, indices=indices, previous=previous)


def run_evaluation(plan: Plan, client_for: ClientFor, **kw: Any) -> Evaluation:
    """`start_evaluation` and wait for it; raises what the job raised."""
    job = start_evaluation(plan, client_for, **kw)
    result = job.wait()
    if job.failure is not None:
        raise job.failure
    assert result is not None
    return result
