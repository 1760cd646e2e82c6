"""Running a comparison: every variant streamed through `runner.stream` on a bounded thread pool, with
progress, cancellation, and a background job a page can poll."""

from __future__ import annotations

import copy
import datetime as dt
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from pydantic import BaseModel, Field

from playground import runner
from playground.client import ChatClient
from playground.compare.setup import Mode, Variant, base_body_of, mode_of
from playground.jobs import Job, Progress
from playground.notebook import Cell
from playground.response import Completion, TextDelta, Usage

UPDATE_EVERY_S = 0.2  # at most this often per run, `on_update` hears about streamed text
RunStatus = Literal["pending", "running", "done", "error", "cancelled"]


class RunResult(BaseModel):
    """One column's outcome. `text` grows while the run streams; `completion` is set once it is done."""

    index: int
    label: str
    key: str = ""
    attempt: int = 1
    body: dict[str, Any]
    status: RunStatus = "pending"
    text: str = ""
    thinking: str = ""
    completion: Completion | None = None
    error: str | None = None
    ttft_s: float | None = None
    total_s: float | None = None
    tokens_per_s: float | None = None
    usage: Usage | None = None
    system_fingerprint: str | None = None
    backend: str | None = None  # the kind of server it went to ("embedded", "xai", "openai"): what prices it

    @property
    def finished(self) -> bool:
        return self.status in ("done", "error", "cancelled")

    @classmethod
    def pending(cls, index: int, v: Variant) -> RunResult:
        """Run `index` of `v` before it started."""
        return cls(index=index, label=v.label, key=v.key, attempt=v.attempt, body=copy.deepcopy(v.body))


class Comparison(Progress, BaseModel):
    """A whole comparison as it is kept in a notebook: what was asked, every variant, every result."""

    id: str = Field(default_factory=lambda: secrets.token_hex(6))
    created: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))
    base_body: dict[str, Any] = Field(default_factory=dict)
    mode: Mode = "single"
    variants: list[Variant] = Field(default_factory=list)
    results: list[RunResult] = Field(default_factory=list)
    wall_s: float | None = None
    # where the variants without a backend of their own went (no key); None on comparisons kept before it was recorded
    backend: str | None = None
    base_url: str | None = None


def _slim(completion: Completion) -> Completion:
    """The normalised completion without its raw chunk list (all of it is in the normalised fields),
    so a notebook holding 32 streamed runs with logprobs stays small."""
    return completion.model_copy(update={"raw": {}})


def _run_one(
    index: int,
    variant: Variant,
    client_for: Callable[[Variant], ChatClient],
    cancel: threading.Event,
    report: Callable[[RunResult, bool], None],
) -> RunResult:
    """Stream one variant as a cell through `runner.stream`, so a run here is timed and ends as it does on the
    Playground page; its text is what streamed for choice 0 until the answer came (or `cancel` was set)."""
    result = RunResult.pending(index, variant)
    if cancel.is_set():
        result.status = "cancelled"
        report(result, True)
        return result
    result.status = "running"
    report(result, True)
    cell: Cell | None = None
    text: list[str] = []
    thinking: list[str] = []
    deltas = None
    try:
        client = client_for(variant)
        cell = Cell(backend=client.config.kind, base_url=client.config.base_url, body=variant.body)
        result.backend = client.config.kind
        deltas = runner.stream(client, cell)
        for event in deltas:
            if cancel.is_set():
                break
            if event.choice == 0:
                (text if isinstance(event, TextDelta) else thinking).append(event.text)
                result.text, result.thinking = "".join(text), "".join(thinking)
                report(result, False)
    except Exception as exc:  # one broken run must not take the other columns down
        result.status, result.error = "error", f"{type(exc).__name__}: {exc}"
    finally:
        if deltas is not None:
            deltas.close()  # a cancelled stream's HTTP response is closed, so the gateway frees its slot
    if cell is not None:
        result.ttft_s, result.total_s, result.tokens_per_s = cell.timings.ttft_s, cell.timings.total_s, cell.timings.tokens_per_s
    if result.status == "running" and cell is not None:
        if cell.status == "done" and cell.completion is not None:
            result.status = "done"
            result.completion = _slim(cell.completion)
            result.usage = cell.completion.usage
            result.system_fingerprint = cell.completion.system_fingerprint
            try:
                result.text = cell.completion.text(0)
            except IndexError:
                pass  # no choice 0 in the answer: keep what streamed
        elif cell.status == "error" and cell.error is not None:
            result.status, result.error = "error", cell.error.message
        elif cancel.is_set():
            result.status = "cancelled"
        else:  # the stream ended without an answer and without raising
            result.status, result.error = "error", "The stream ended without an answer."
    report(result, True)
    return result


def of_cells(cells: Sequence[tuple[str, Cell]]) -> Comparison:
    """Runs already made, side by side as if compared here (a run and its branches: "Continue from here"), each
    under its label; nothing is sent. Each is a set of its own, so the comparison reads "Run 1 vs Branch 2"."""
    variants: list[Variant] = []
    results: list[RunResult] = []
    for index, (label, cell) in enumerate(cells):
        variants.append(Variant(label=label, body=copy.deepcopy(cell.body), set_label=label, key=cell.id))
        done = cell.status == "done" and cell.completion is not None
        results.append(
            RunResult(
                index=index,
                label=label,
                key=cell.id,
                body=copy.deepcopy(cell.body),
                status="done" if done else "error",
                text=cell.text(),
                completion=_slim(cell.completion) if cell.completion is not None else None,
                error=None if done else (cell.error.message if cell.error is not None else "This run has no whole answer."),
                ttft_s=cell.timings.ttft_s,
                total_s=cell.timings.total_s,
                tokens_per_s=cell.timings.tokens_per_s,
                usage=cell.completion.usage if cell.completion is not None else None,
                system_fingerprint=cell.completion.system_fingerprint if cell.completion is not None else None,
                backend=cell.backend,
            )
        )
    first = cells[0][1] if cells else None
    return Comparison(
        base_body=copy.deepcopy(first.body) if first is not None else {},
        mode="sets",
        variants=variants,
        results=results,
        backend=first.backend if first is not None else None,
        base_url=first.base_url if first is not None else None,
    )


def run_comparison(
    variant_list: Sequence[Variant],
    client_for: Callable[[Variant], ChatClient],
    *,
    concurrency: int = 4,
    on_update: Callable[[RunResult], None] | None = None,
    cancel: threading.Event | None = None,
    base_body: Mapping[str, Any] | None = None,
    mode: Mode | None = None,
    update_every_s: float = UPDATE_EVERY_S,
) -> Comparison:
    """Stream every variant, at most `concurrency` at once, and return all results in variant order.

    `client_for(variant)` gives the client for a run (e.g. `runner.Clients.get(...)`); the clients stay
    the caller's (they are not closed here). `on_update` gets a copy of a run's result when it starts,
    as text arrives (at most every `update_every_s` per run) and when it ends; calls come from worker
    threads but never two at once. A failed run keeps its error (`str()` of the PlaygroundError) and the
    others go on. Setting `cancel` stops running streams (keeping their text) and skips the rest; they
    are marked "cancelled", finished runs keep their result.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    cancel = cancel or threading.Event()
    lock = threading.Lock()
    last_sent: dict[int, float] = {}

    def report(result: RunResult, always: bool) -> None:
        if on_update is None:
            return
        now = time.monotonic()
        if not always and now - last_sent.get(result.index, 0.0) < update_every_s:
            return
        last_sent[result.index] = now
        snapshot = result.model_copy(deep=False)
        with lock:
            on_update(snapshot)

    items = list(variant_list)
    if base_body is None:
        base_body = base_body_of(items)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(items) or 1)), thread_name_prefix="compare") as pool:
        futures = [pool.submit(_run_one, i, v, client_for, cancel, report) for i, v in enumerate(items)]
        results = [f.result() for f in futures]
    return Comparison(
        base_body=copy.deepcopy(dict(base_body)),
        mode=mode or mode_of(items),
        variants=[v.model_copy(deep=True) for v in items],
        results=results,
        wall_s=time.perf_counter() - started,
    )


class ComparisonJob(Job[Comparison]):
    """A comparison running on a background thread, for a page that polls (see `jobs.Job`).

    `snapshot()` is the comparison so far (pending and running columns included). Every delta updates the snapshot
    (storing it is cheap; the page's own poll interval is the throttle), and `on_update` hears each one too.
    """

    def __init__(
        self,
        variant_list: Sequence[Variant],
        client_for: Callable[[Variant], ChatClient],
        *,
        concurrency: int = 4,
        base_body: Mapping[str, Any] | None = None,
        on_update: Callable[[RunResult], None] | None = None,
        where: tuple[str | None, str | None] = (None, None),
    ) -> None:
        super().__init__()
        self._where = {"backend": where[0], "base_url": where[1]}
        self._variants = [v.model_copy(deep=True) for v in variant_list]
        self._latest = [RunResult.pending(i, v) for i, v in enumerate(self._variants)]
        self._on_update = on_update
        self._base_body = copy.deepcopy(dict(base_body)) if base_body is not None else base_body_of(self._variants)
        self._id = secrets.token_hex(6)
        self._created = dt.datetime.now(dt.UTC)
        self._start("compare-job", lambda: self._run(client_for, concurrency))

    def _update(self, result: RunResult) -> None:
        with self._lock:
            self._latest[result.index] = result
        if self._on_update is not None:
            self._on_update(result)

    def _run(self, client_for: Callable[[Variant], ChatClient], concurrency: int) -> Comparison:
        comparison = run_comparison(
            self._variants,
            client_for,
            concurrency=concurrency,
            on_update=self._update,
            update_every_s=0,
            cancel=self._cancel,
            base_body=self._base_body,
        )
        return comparison.model_copy(update={"id": self._id, "created": self._created, **self._where})

    def snapshot(self) -> Comparison:
        if self.result is not None:
            return self.result
        with self._lock:
            results = list(self._latest)
        return Comparison(
            id=self._id,
            created=self._created,
            base_body=self._base_body,
            mode=mode_of(self._variants),
            variants=list(self._variants),
            results=results,
            **self._where,
        )


def start_comparison(
    variant_list: Sequence[Variant],
    client_for: Callable[[Variant], ChatClient],
    *,
    concurrency: int = 4,
    base_body: Mapping[str, Any] | None = None,
    on_update: Callable[[RunResult], None] | None = None,
    where: tuple[str | None, str | None] = (None, None),
) -> ComparisonJob:
    """`run_comparison` on a background thread; poll the returned job. `where`: the backend and base URL (no key) the
    variants without a server of their own go to, kept with the result."""
    return ComparisonJob(variant_list, client_for, concurrency=concurrency, base_body=base_body, on_update=on_update, where=where)
