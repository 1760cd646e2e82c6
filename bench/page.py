"""Script time of the Playground page after a widget change, with a notebook of many cells.

Notebooks with 50 and 200 finished cells (a 40-token answer each) are stored, opened by their URL under
Streamlit's AppTest, and the temperature slider is moved; each rerun is timed, the page's script only (AppTest
runs it in this process), against the same page with an empty notebook, side by side in alternating rounds.
Goals: under 150 ms of script time with 50 cells (issues 6 and 7), and 200 cells no slower than 50 (issue 18).
Prints figures only.
Run: `uv run python -m bench.page` (part of `make bench`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._apptest import measure, medians  # noqa: E402
from components import state as keys  # noqa: E402
from playground.notebook import Cell, ChatMessage, Notebook  # noqa: E402
from playground.response import from_chat_completion  # noqa: E402

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


def _move_temperature(at: Any, n: int) -> None:
    at.slider(key=keys.field("temperature")).set_value(0.5 + n * 0.05)


def main() -> None:
    notebooks = {"empty": Notebook(title="empty", conversation=[ChatMessage(content="Hi")])}
    notebooks |= {f"{n} cells": _notebook(n) for n in CELLS}
    results = measure(notebooks, _move_temperature, rounds=ROUNDS)
    print(f"{'notebook':>12} {'median ms':>10} {'p90 ms':>8} {'min ms':>8} {'CPU ms':>8}")
    median, cpu = medians(results)
    for name, measured in results.items():
        ordered = sorted(wall for wall, _ in measured)
        p90 = ordered[int(0.9 * (len(ordered) - 1))]
        print(f"{name:>12} {median[name] * 1000:>10.0f} {p90 * 1000:>8.0f} {ordered[0] * 1000:>8.0f} {cpu[name] * 1000:>8.0f}")
    few, many = (f"{n} cells" for n in CELLS)
    print(f"{few} / empty: {median[few] / median['empty']:.2f}x (goal: {few} under 150 ms of script time)")
    print(
        f"{many} / {few}: {median[many] / median[few]:.2f}x wall, {cpu[many] / cpu[few]:.2f}x CPU "
        f"(goal: {many} no slower than {few})"
    )


if __name__ == "__main__":
    main()
