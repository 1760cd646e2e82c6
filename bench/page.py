"""Script time of the Playground page after a widget change, with a notebook of many cells.

Notebooks with 50 and 200 finished cells (a 40-token answer each) are stored, opened by their URL under
Streamlit's AppTest, and the temperature slider is moved; each rerun is timed, the page's script only (AppTest
runs it in this process), against the same page with an empty notebook, side by side in alternating rounds.
Goals: under 150 ms of script time with 50 cells (issues 6 and 7), and 200 cells no slower than 50 (issue 18).
Prints figures only.
Run: `uv run python -m bench.page` (part of `make bench`).
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
from playground.notebook import Cell, ChatMessage, Notebook  # noqa: E402
from playground.response import from_chat_completion  # noqa: E402
from playground.store import NotebookStore  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CELLS = (50, 200)
ROUNDS = 7


def finished_cell(conversation: list[ChatMessage], i: int, answer: str) -> Cell:
    """A finished run `i` of the embedded model answering `conversation` with `answer` (no server involved)."""
    completion = from_chat_completion(
        {
            "id": f"c{i}",
            "model": "smollm2",
            "created": 1_700_000_000 + i,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 20 + i, "completion_tokens": 40, "total_tokens": 60 + i},
        }
    )
    return Cell(
        backend="embedded",
        base_url="http://127.0.0.1:8000/v1",
        model="smollm2",
        body={"model": "smollm2", "messages": [m.to_request() for m in conversation]},
        conversation=[m.model_copy() for m in conversation],
        status="done",
        completion=completion,
        continued=True,
    )


def _notebook(cells: int) -> Notebook:
    conversation: list[ChatMessage] = []
    made: list[Cell] = []
    for i in range(cells):
        conversation.append(ChatMessage(role="user", content=f"Question {i}: name a colour and say why."))
        answer = " ".join(["Blue is calm and deep like the sea."] * 5)
        made.append(finished_cell(conversation, i, answer))
        conversation.append(ChatMessage(role="assistant", content=answer))
    return Notebook(title=f"{cells} cells", conversation=conversation, cells=made)


def _rerun_times(notebook_id: str) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of each rerun after a widget change; CPU time (this process's threads) is what
    other programs on a shared machine inflate least."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params[keys.NOTEBOOK_PARAM] = notebook_id
    at.run()
    assert not at.exception, at.exception
    times = []
    for n in range(ROUNDS):
        at.slider(key=keys.field("temperature")).set_value(0.5 + n * 0.05)
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
        notebooks = {"empty": store.save(Notebook(title="empty", conversation=[ChatMessage(content="Hi")])).id}
        notebooks |= {f"{n} cells": store.save(_notebook(n)).id for n in CELLS}
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in notebooks}
        for _ in range(2):  # alternate, so all see the same machine
            for name, notebook_id in notebooks.items():
                results[name] += _rerun_times(notebook_id)
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'notebook':>12} {'median ms':>10} {'p90 ms':>8} {'min ms':>8} {'CPU ms':>8}")
    for name, measured in results.items():
        times = [wall for wall, _ in measured]
        ordered = sorted(times)
        p90 = ordered[int(0.9 * (len(ordered) - 1))]
        cpu = statistics.median(c for _, c in measured)
        print(
            f"{name:>12} {statistics.median(times) * 1000:>10.0f} {p90 * 1000:>8.0f} {min(times) * 1000:>8.0f} {cpu * 1000:>8.0f}"
        )
    median = {name: statistics.median(w for w, _ in measured) for name, measured in results.items()}
    cpu = {name: statistics.median(c for _, c in measured) for name, measured in results.items()}
    few, many = (f"{n} cells" for n in CELLS)
    print(f"{few} / empty: {median[few] / median['empty']:.2f}x (goal: {few} under 150 ms of script time)")
    print(
        f"{many} / {few}: {median[many] / median[few]:.2f}x wall, {cpu[many] / cpu[few]:.2f}x CPU "
        f"(goal: {many} no slower than {few})"
    )


if __name__ == "__main__":
    main()
