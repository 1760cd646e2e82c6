"""A background job a page polls: work on a thread of its own, how far it is, cancelling it, and the notebook its
result goes into when it ends (`workspace.deliver`).

A comparison (`compare.ComparisonJob`) and an evaluation (`evaluate.EvaluationJob`) are both such jobs; the pages
poll them with one fragment (components/job_view.py).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["Job", "Progress", "Started"]

T = TypeVar("T")


class Progress:
    """How far a model's `results` are (each with `finished`), mixed into a comparison and an evaluation."""

    @property
    def finished_count(self) -> int:
        return sum(r.finished for r in self.results)  # type: ignore[attr-defined]

    @property
    def progress(self) -> float:
        """0–1, for a progress bar."""
        results = self.results  # type: ignore[attr-defined]
        return self.finished_count / len(results) if results else 1.0


class Job(ABC, Generic[T]):
    """Work on a background thread, for a page that polls (`st.fragment(run_every=…)`): `snapshot()` is the work so
    far, `cancel()` stops it keeping what finished, `result` is what it made (None until it ended, or when it failed:
    then `failure` holds why)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._done = threading.Event()
        self.result: T | None = None
        self.failure: BaseException | None = None

    def _start(self, name: str, work: Callable[[], T]) -> None:
        """Run `work` on its own thread; its return value becomes `result`."""

        def run() -> None:
            try:
                made = work()
                with self._lock:
                    self.result = made
            except BaseException as exc:  # kept for the page to show; the thread must end cleanly
                self.failure = exc
            finally:
                self._done.set()

        self._thread = threading.Thread(target=run, name=name, daemon=True)
        self._thread.start()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> T | None:
        self._done.wait(timeout)
        return self.result

    @abstractmethod
    def snapshot(self) -> T:
        """The work so far (the result once it ended)."""


@dataclass
class Started:
    """A job a page started, and the notebook its result goes into."""

    job: Job[Any]
    notebook_id: str
