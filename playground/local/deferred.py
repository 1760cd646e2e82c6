"""The deferred store: `deferred: true` requests run in the background, and each result is fetched once, as on xAI."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from playground.local.shapes import ApiError


@dataclass
class _Job:
    task: asyncio.Task[None]
    result: tuple[int, bytes] | None = None
    finished_at: float | None = None


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass
class DeferredStore:
    """Deferred requests by id: running or finished-not-yet-fetched. Fetch-once, like xAI.

    Results are kept as JSON bytes (an answer with many choices and logprobs is several times larger as
    Python objects), and at most `max_bytes` of them: beyond, new submissions get 429 rather than evicting one.
    """

    ttl_s: float
    max_items: int
    max_bytes: int = 128_000_000
    jobs: dict[str, _Job] = field(default_factory=dict)

    @property
    def held_bytes(self) -> int:
        return sum(len(j.result[1]) for j in self.jobs.values() if j.result is not None)

    def _purge(self) -> None:
        now = time.monotonic()
        for key in [k for k, j in self.jobs.items() if j.finished_at and now - j.finished_at > self.ttl_s]:
            del self.jobs[key]

    def submit(self, request_id: str, make: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        self._purge()
        if len(self.jobs) >= self.max_items or self.held_bytes >= self.max_bytes:
            held = f"{self.max_items} requests" if len(self.jobs) >= self.max_items else f"{self.max_bytes} bytes"
            raise ApiError(
                429,
                f"Too many deferred results held ({held}); fetch results first.",
                code="rate_limit_exceeded",
                type_="rate_limit_error",
            )
        job = _Job(task=asyncio.get_running_loop().create_task(self._run(request_id, make)))
        self.jobs[request_id] = job

    async def _run(self, request_id: str, make: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        try:
            result: tuple[int, bytes] = (200, _encode(await make()))
        except ApiError as exc:
            result = (exc.status, _encode(exc.body()))
        except Exception as exc:  # noqa: BLE001 - the poller must learn that it failed
            message = f"Deferred request failed: {exc}"
            result = (500, _encode(ApiError(500, message, type_="server_error", code="internal_error").body()))
        job = self.jobs.get(request_id)
        if job is not None:
            job.result, job.finished_at = result, time.monotonic()

    def poll(self, request_id: str) -> tuple[int, bytes | None]:
        """(202, None) while running; (status, JSON bytes) once, then forgotten; 404 when unknown."""
        self._purge()
        job = self.jobs.get(request_id)
        if job is None:
            raise ApiError(
                404,
                f"No deferred request with id {request_id!r} (unknown, expired or already fetched; results can be fetched once).",
                param="request_id",
                code="not_found",
            )
        if job.result is None:
            return 202, None
        del self.jobs[request_id]
        return job.result

    async def aclose(self) -> None:
        tasks = [j.task for j in self.jobs.values() if not j.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
