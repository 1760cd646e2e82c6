"""Script time of opening the Playground page on a long conversation, as large as an import accepts.

Notebooks of 1,000 and 2,000 messages (`untrusted.LIMITS.messages`), with a run every 100 messages, and two of
three messages, one of them a 2 MB or a 12 MB answer (`untrusted.LIMITS.bytes` is 16 MB), are stored and opened
by their URL under Streamlit's AppTest; the
first run of the page's script (AppTest runs it in this process) is timed, then a rerun after a widget change.
Goal (issue 18): any notebook the import accepts opens in under 3 s. Prints figures only.
Run: `uv run python -m bench.long_conversation` (part of `make bench`).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.page import finished_cell  # noqa: E402
from components import state as keys  # noqa: E402
from playground.notebook import Cell, ChatMessage, Notebook  # noqa: E402
from playground.store import NotebookStore  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 3.0
ANSWER = "Blue is calm and deep like the sea; *green* grows, and `red` warns. " * 3


def long_notebook(messages: int, run_every: int = 100) -> Notebook:
    """`messages` messages, user and assistant in turn, with a finished run answering every `run_every`th."""
    conversation: list[ChatMessage] = [ChatMessage(role="system", content="You are a helpful assistant.")]
    made: list[Cell] = []
    while len(conversation) < messages:
        i = len(conversation)
        conversation.append(ChatMessage(role="user", content=f"Question {i}: name a colour and say **why**."))
        if (i + 1) % run_every == 0:
            made.append(finished_cell(conversation, i, ANSWER))
        conversation.append(ChatMessage(role="assistant", content=ANSWER))
    return Notebook(title=f"{messages} messages", conversation=conversation[:messages], cells=made)


def huge_message_notebook(size: int) -> Notebook:
    """A short conversation whose answer is `size` characters of prose and code."""
    text = ("A line of the answer, with *stars*, [brackets] and `code`.\n" * (size // 60 + 1))[:size]
    return Notebook(
        title="one huge message",
        conversation=[
            ChatMessage(role="user", content="Write everything."),
            ChatMessage(role="assistant", content=text),
            ChatMessage(role="user", content="Thanks. Now summarise it."),
        ],
    )


def open_times(notebook_id: str) -> tuple[float, float]:
    """Seconds of the page's first run on the notebook, and of a rerun after a widget change."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.query_params[keys.NOTEBOOK_PARAM] = notebook_id
    started = time.perf_counter()
    at.run()
    first = time.perf_counter() - started
    assert not at.exception, at.exception
    at.slider(key=keys.field("temperature")).set_value(0.5)
    started = time.perf_counter()
    at.run()
    rerun = time.perf_counter() - started
    assert not at.exception, at.exception
    return first, rerun


def main() -> None:
    from playground.local import start_gateway

    with tempfile.TemporaryDirectory() as data, start_gateway() as gateway:
        os.environ["PLAYGROUND_DATA_DIR"] = data
        os.environ["PLAYGROUND_BASE_URL"] = gateway.base_url
        store = NotebookStore()
        cases = {
            "1,000 messages": long_notebook(1_000),
            "2,000 messages": long_notebook(2_000),
            "a 2 MB message": huge_message_notebook(2 * 1024 * 1024),
            "a 12 MB message": huge_message_notebook(12 * 1024 * 1024),
        }
        stored = {name: store.save(nb).id for name, nb in cases.items()}
        open_times(store.save(Notebook(title="warm-up", conversation=[ChatMessage(content="Hi")])).id)
        print(f"{'notebook':>16} {'open s':>8} {'rerun s':>8}  goal", flush=True)
        for name, notebook_id in stored.items():
            first, rerun = open_times(notebook_id)
            print(f"{name:>16} {first:>8.2f} {rerun:>8.2f}  open under {GOAL_S:.0f} s", flush=True)


if __name__ == "__main__":
    main()
