"""Script time of the Evaluate page after a widget change, with a finished evaluation of 400 results on it.

A notebook whose conversation asks about {{city}} holds 100 test cases, three checks and an evaluation of those rows
× seeds 1–4 (400 finished answers, made here: no server involved). It is opened by its URL under Streamlit's AppTest
on the Evaluate page, and the "Runs at once" input is changed; each rerun is timed (the page's script only: AppTest
runs it in this process), against the same notebook without the evaluation, side by side in alternating rounds.
Goal (issue 20): the 400-result grid redraws in under 300 ms of script time after a widget change. Prints figures only.
Run: `uv run python -m bench.evaluate_page` (part of `make bench`).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from components import state as keys  # noqa: E402
from playground.compare import RunResult  # noqa: E402
from playground.evaluate import TestCases, parse_checks  # noqa: E402
from playground.evaluate.plan import make_plan  # noqa: E402
from playground.evaluate.results import Evaluation  # noqa: E402
from playground.notebook import ChatMessage, Notebook  # noqa: E402
from playground.response import from_chat_completion  # noqa: E402
from playground.store import NotebookStore  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ROWS, SEEDS = 100, "1-4"
ROUNDS = 5
PROMPT = "What is the weather in {{city}}? Answer in one sentence."


def _evaluation(cases: TestCases) -> Evaluation:
    checks = parse_checks([{"kind": "contains", "column": "city"}, {"kind": "max_tokens", "tokens": 30}, {"kind": "mark"}])
    plan = make_plan({"model": "smollm2", "messages": [{"role": "user", "content": PROMPT}]}, cases, checks, seeds=SEEDS)
    results = []
    for i, run in enumerate(plan.runs):
        city = cases.value(run.row, "city")
        answer = f"It is sunny in {city} today." if i % 3 else "It is sunny today."
        completion = from_chat_completion(
            {
                "id": f"r{i}",
                "model": "smollm2",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 20, "completion_tokens": 8 + i % 30, "total_tokens": 28 + i % 30},
            }
        )
        body = run.variant.body
        results.append(
            RunResult(
                index=i,
                label=run.variant.label,
                key=run.variant.key,
                body=body,
                status="done",
                text=answer,
                completion=completion,
                ttft_s=0.05,
                total_s=0.4,
                backend="embedded",
            )  # fmt: skip
        )
    return Evaluation(plan=plan, results=results)


def _notebook(with_results: bool) -> Notebook:
    cases = TestCases(columns=["city"], rows=[{"city": f"City {i}"} for i in range(ROWS)])
    nb = Notebook(title="400 results" if with_results else "no results", conversation=[ChatMessage(content=PROMPT)])
    nb.evaluation = {"cases": cases.model_dump(), "seeds": SEEDS}
    if with_results:
        ev = _evaluation(cases)
        nb.evaluation["checks"] = [c.model_dump() for c in ev.plan.checks]
        nb.evaluation["runs"] = [ev.model_dump(mode="json")]
    return nb


def _rerun_times(notebook_id: str) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of each rerun after a widget change."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params[keys.NOTEBOOK_PARAM] = notebook_id
    at.switch_page("views/evaluate.py")
    at.run()
    assert not at.exception, at.exception
    times = []
    for n in range(ROUNDS):
        at.number_input(key=keys.EV_CONCURRENCY).set_value(2 + n % 2)
        started, started_cpu = time.perf_counter(), time.process_time()
        at.run()
        times.append((time.perf_counter() - started, time.process_time() - started_cpu))
        assert not at.exception, at.exception
    return times


def main() -> None:
    from playground.local import start_gateway

    with tempfile.TemporaryDirectory() as data, start_gateway() as gateway:
        os.environ["PLAYGROUND_DATA_DIR"] = data
        os.environ["PLAYGROUND_BASE_URL"] = gateway.base_url
        store = NotebookStore()
        notebooks = {nb.title: store.save(nb).id for nb in (_notebook(False), _notebook(True))}
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in notebooks}
        for _ in range(2):  # alternate, so both see the same machine
            for name, notebook_id in notebooks.items():
                results[name] += _rerun_times(notebook_id)
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'notebook':>12} {'median ms':>10} {'min ms':>8} {'CPU ms':>8}")
    for name, measured in results.items():
        wall = [w for w, _ in measured]
        cpu = statistics.median(c for _, c in measured)
        print(f"{name:>12} {statistics.median(wall) * 1000:>10.0f} {min(wall) * 1000:>8.0f} {cpu * 1000:>8.0f}")
    median = {name: statistics.median(c for _, c in measured) for name, measured in results.items()}
    print(
        f"400 results: {median['400 results'] * 1000:.0f} ms CPU per rerun, {median['400 results'] / median['no results']:.2f}x "
        "the page without them (goal: under 300 ms of script time)"
    )


if __name__ == "__main__":
    main()
