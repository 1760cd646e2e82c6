"""Script time of the Playground page after a widget change, with a notebook of many cells.

A notebook with 50 finished cells (a 40-token answer each) is stored, opened by its URL under Streamlit's
AppTest, and the temperature slider is moved; each rerun is timed, the page's script only (AppTest runs it
in this process), against the same page with an empty notebook, side by side in alternating rounds.
Goal (issues 6 and 7): under 150 ms of script time with 50 cells. Prints figures only.
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
CELLS = 50
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
        full = store.save(_notebook(CELLS))
        empty = store.save(Notebook(title="empty", conversation=[ChatMessage(content="Hi")]))
        results: dict[str, list[tuple[float, float]]] = {"empty": [], f"{CELLS} cells": []}
        for _ in range(2):  # alternate, so both see the same machine
            results["empty"] += _rerun_times(empty.id)
            results[f"{CELLS} cells"] += _rerun_times(full.id)
    print(f"{'notebook':>12} {'median ms':>10} {'p90 ms':>8} {'min ms':>8} {'CPU ms':>8}")
    for name, measured in results.items():
        times = [wall for wall, _ in measured]
        ordered = sorted(times)
        p90 = ordered[int(0.9 * (len(ordered) - 1))]
        cpu = statistics.median(c for _, c in measured)
        print(
            f"{name:>12} {statistics.median(times) * 1000:>10.0f} {p90 * 1000:>8.0f} {min(times) * 1000:>8.0f} {cpu * 1000:>8.0f}"
        )
    ratio = statistics.median(w for w, _ in results[f"{CELLS} cells"]) / statistics.median(w for w, _ in results["empty"])
    print(f"{CELLS} cells / empty: {ratio:.2f}x (goal: 50 cells under 150 ms of script time)")


if __name__ == "__main__":
    main()
