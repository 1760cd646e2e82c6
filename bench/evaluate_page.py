"""Script time of the Evaluate page after a widget change, with a finished evaluation of 400 results on it.

A notebook whose conversation asks about {{city}} holds 100 test cases, three checks and an evaluation of those rows
× seeds 1–4 (400 finished answers, made here: no server involved). It is opened by its URL under Streamlit's AppTest
on the Evaluate page, and the "Runs at once" input is changed; each rerun is timed (the page's script only: AppTest
runs it in this process), against the same notebook without the evaluation, side by side in alternating rounds.
Goal (issue 20): the 400-result grid redraws in under 300 ms of script time after a widget change. Prints figures only.
Run: `uv run python -m bench.evaluate_page` (part of `make bench`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._apptest import measure, medians  # noqa: E402
from components import state as keys  # noqa: E402
from playground.compare import RunResult  # noqa: E402
from playground.evaluate import TestCases, parse_checks  # noqa: E402
from playground.evaluate.plan import make_plan  # noqa: E402
from playground.evaluate.results import Evaluation  # noqa: E402
from playground.notebook import ChatMessage, Notebook  # noqa: E402
from playground.response import from_chat_completion  # noqa: E402

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


def _change_concurrency(at: Any, n: int) -> None:
    at.number_input(key=keys.EV_CONCURRENCY).set_value(2 + n % 2)


def main() -> None:
    notebooks = {nb.title: nb for nb in (_notebook(False), _notebook(True))}
    results = measure(notebooks, _change_concurrency, rounds=ROUNDS, page="views/evaluate.py")
    print(f"{'notebook':>12} {'median ms':>10} {'min ms':>8} {'CPU ms':>8}")
    wall, median = medians(results)
    for name, measured in results.items():
        fastest = min(w for w, _ in measured)
        print(f"{name:>12} {wall[name] * 1000:>10.0f} {fastest * 1000:>8.0f} {median[name] * 1000:>8.0f}")
    print(
        f"400 results: {median['400 results'] * 1000:.0f} ms CPU per rerun, {median['400 results'] / median['no results']:.2f}x "
        "the page without them (goal: under 300 ms of script time)"
    )


if __name__ == "__main__":
    main()
