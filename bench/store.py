"""What a notebook costs to keep: the persisted size of one long streamed answer with probabilities, and `store.save`.

A synthetic stream shaped like the embedded gateway's (one `chat.completion.chunk` a token, each with its
logprobs and top_logprobs) goes through `StreamAccumulator`, into a done cell, into a notebook saved by
`NotebookStore` to a SQLite file in a temporary folder. The size is the stored JSON's, beside the same
notebook with the raw chunks kept whole (as notebooks saved before the probabilities were stored once;
they still open). Then the median time of `store.save` after a one-word change (the title: no cell changed), and
after one cell got a new answer (one cell changed, as when a run ends), at 2 and at 200 such cells; the same one-cell
change at 200 cells whose messages each hold an image of their own (what a save does to learn which images a cell
dropped); and a sweep of the whole store's images (`sweep_images`) over stores of a few and of many notebooks.
Goals (issue 18): the completion stored once; a save under 50 ms at 200 cells. Prints figures only; the
before/after figures are in bench/README.md.
Run: `uv run python -m bench.store` (part of `make bench`).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.analysis import synthetic_completion, timed  # noqa: E402
from playground.notebook import AttachedImage, Cell, ChatMessage, Notebook  # noqa: E402
from playground.response import Completion, StreamAccumulator  # noqa: E402
from playground.store import NotebookStore  # noqa: E402


def synthetic_chunks(tokens: int, top: int) -> list[dict[str, Any]]:
    """The stream of a `tokens`-token answer with `top` alternatives a token, as the gateway sends it."""
    body = synthetic_completion(tokens, top)
    envelope = {"id": "bench", "object": "chat.completion.chunk", "created": 0, "model": "bench", "system_fingerprint": "b0"}
    entries = body["choices"][0]["logprobs"]["content"]
    chunks = [
        {
            **envelope,
            "choices": [{"index": 0, "delta": {"content": e["token"]}, "logprobs": {"content": [e]}, "finish_reason": None}],
        }
        for e in entries
    ]
    chunks.append({**envelope, "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]})
    chunks.append({**envelope, "choices": [], "usage": body["usage"]})
    return chunks


def streamed_completion(chunks: list[dict[str, Any]]) -> Completion:
    accumulator = StreamAccumulator()
    for chunk in chunks:
        accumulator.add(chunk)
    return accumulator.completion()


def cell_of(completion: Completion, tokens: int, top: int) -> Cell:
    body = {"model": "bench", "messages": [{"role": "user", "content": "Tell me a long story."}], "stream": True}
    body |= {"logprobs": True, "top_logprobs": top, "max_completion_tokens": tokens}
    return Cell(
        backend="embedded",
        model="bench",
        body=body,
        conversation=[ChatMessage(content="Tell me a long story.")],
        status="done",
        completion=completion,
        partial={0: completion.text()},
    )


def image_url(i: int, size: int = 20_000) -> str:
    """A distinct synthetic PNG of `size` bytes as a data URL (the store reads an image's type from its first bytes)."""
    data = b"\x89PNG\r\n\x1a\n" + i.to_bytes(8, "big") + bytes(size - 16)
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def with_image(cell: Cell, i: int) -> Cell:
    """`cell` asked with an image of its own beside its text."""
    asked = ChatMessage(content="What is in this picture?", images=[AttachedImage(url=image_url(i), name=f"{i}.png")])
    return cell.model_copy(update={"conversation": [asked]})


def _kb(notebook: Notebook) -> float:
    return len(notebook.clean().model_dump_json().encode()) / 1e3


def _save_times(
    store: NotebookStore, notebook: Notebook, repeat: int, answer: Completion | None
) -> tuple[tuple[float, float, float], Notebook]:
    """`timed` figures of saving `notebook` `repeat` times, after a one-word change (its title), or with `answer`
    (a copy each time) put into one of its cells; and the notebook as last saved."""
    edits = iter(range(repeat))

    def save() -> None:
        nonlocal notebook
        edit = next(edits)
        if answer is None:
            notebook.title = f"edit {edit}"
        else:
            cell = notebook.cells[edit % len(notebook.cells)]
            cell.completion = answer.model_copy(update={"id": f"answer {edit}"})
        notebook = store.save(notebook)

    figures = timed(save, repeat)
    return figures, notebook


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, default=500)
    ap.add_argument("--top", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--sweep-small", type=int, default=5, help="notebooks in the smaller store swept")
    ap.add_argument("--sweep-large", type=int, default=50, help="notebooks in the larger store swept")
    args = ap.parse_known_args()[0]  # `make bench` runs every module with the same command line

    chunks = synthetic_chunks(args.tokens, args.top)
    completion = streamed_completion(chunks)
    stored = Notebook(cells=[cell_of(completion, args.tokens, args.top)])
    whole = Notebook(cells=[cell_of(completion.model_copy(update={"raw": chunks}), args.tokens, args.top)])
    raw_kb = len(json.dumps(completion.raw).encode()) / 1e3
    print(
        f"  one streamed answer, {args.tokens} tokens, top_logprobs={args.top}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
        flush=True,
    )
    print(f"  {'notebook as stored, raw chunks kept whole (before)':<52} {_kb(whole):8.0f} kB")
    print(f"  {'notebook as stored now (probabilities once)':<52} {_kb(stored):8.0f} kB  of which raw {raw_kb:.0f} kB")

    with tempfile.TemporaryDirectory() as tmp:
        store = NotebookStore(Path(tmp) / "bench.db")
        for cells in (2, 200):
            notebook = store.save(Notebook(cells=[cell_of(completion, args.tokens, args.top) for _ in range(cells)]))
            for change, answer in (("no cell changed", None), ("one cell changed", completion)):
                (median, best, cpu), notebook = _save_times(store, notebook, args.repeat, answer)
                note = f"(goal < 50 ms: {'met' if median < 50 else 'not met'})" if cells == 200 else ""
                _line(f"store.save, {cells} cells ({_kb(notebook) / 1e3:.1f} MB), {change}", (median, best, cpu), note)
        cells = [with_image(cell_of(completion, args.tokens, args.top), i) for i in range(200)]
        notebook = store.save(Notebook(conversation=cells[0].conversation, cells=cells))
        figures, notebook = _save_times(store, notebook, args.repeat, completion)
        _line("store.save, 200 cells with an image each, one changed", figures)
        store.dispose()

    for notebooks in (args.sweep_small, args.sweep_large):
        with tempfile.TemporaryDirectory() as tmp:
            store = NotebookStore(Path(tmp) / "bench.db")
            for n in range(notebooks):
                cells = [with_image(cell_of(completion, args.tokens, args.top), 2 * n + k) for k in range(2)]
                store.save(Notebook(conversation=cells[0].conversation, cells=cells))
            _line(f"store.sweep_images, {notebooks} notebooks of 2 cells, an image each", timed(store.sweep_images, args.repeat))
            store.dispose()


def _line(name: str, figures: tuple[float, float, float], note: str = "") -> None:
    median, best, cpu = figures
    print(f"  {name:<56} {median:8.1f} ms median {best:8.1f} ms best {cpu:8.1f} ms CPU  {note}", flush=True)


if __name__ == "__main__":
    main()
