"""When a call to a server is tried again, and for how long a call may take in all.

A POST, which can start a generation or a deferred job, is retried only where the server cannot have acted
on it (the connection failed, 429, 503 with Retry-After); reads also after 5xx and connection failures.
Each call has one `Deadline`: attempts, the waits between them and the reading of a body all fit in it,
and a wait that would cross it is not taken. A server's Retry-After is capped at `RETRY_AFTER_CAP` and,
with a `WaitHook`, counted down second by second so a page can show it.
"""

from __future__ import annotations

import http
import random
import time
from collections.abc import Callable
from typing import Any

import httpx
import stamina

from playground.errors import NetworkError, RateLimitError, RequestTimeout, ServerError

__all__ = ["RETRY_AFTER_CAP", "Deadline", "WaitHook", "never_reached", "retry_post_hook", "retry_read_hook", "retrying", "within"]

RETRY_AFTER_CAP = 30.0  # seconds: never sleep longer than this on a server's Retry-After
_RETRY_WAIT_INITIAL = 0.5
_RETRY_WAIT_MAX = 8.0

WaitHook = Callable[[float, str], None]
"""Told (seconds left, why) about once a second while the client waits on a server's Retry-After, then (0, why)."""


def never_reached(exc: Exception) -> bool:
    """The request could not have reached the server: the connection itself failed."""
    return isinstance(exc, NetworkError | RequestTimeout) and isinstance(exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout)


def retry_read_hook(exc: Exception) -> bool | float:
    """stamina backoff hook for reads (GET): retry 429/5xx/connection failures; a number means 'wait this long'."""
    if isinstance(exc, RateLimitError):
        return min(exc.retry_after, RETRY_AFTER_CAP) if exc.retry_after is not None else True
    if isinstance(exc, ServerError | NetworkError):
        return True
    if isinstance(exc, RequestTimeout):
        return isinstance(exc.__cause__, httpx.ConnectTimeout)  # the request never reached the server
    return False


def retry_post_hook(exc: Exception) -> bool | float:
    """For POST, which can start a generation or a deferred job: retry only where the server cannot have acted on
    it — the connection failed, 429, or 503 with Retry-After. A 500 or a read error may mean it ran."""
    if isinstance(exc, RateLimitError):
        return min(exc.retry_after, RETRY_AFTER_CAP) if exc.retry_after is not None else True
    if isinstance(exc, ServerError) and exc.status == 503 and exc.retry_after is not None:
        return min(exc.retry_after, RETRY_AFTER_CAP)
    return never_reached(exc)


class Deadline:
    """When a call must be over (monotonic clock)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        return self.at - time.monotonic()

    def check(self) -> float:
        """Seconds left; RequestTimeout when none are."""
        left = self.left()
        if left <= 0:
            raise RequestTimeout(f"The call did not finish within its deadline of {self.seconds:g} s.")
        return left

    def timeout(self, config_timeout: float) -> httpx.Timeout:
        """httpx timeouts for the next attempt: none longer than what is left."""
        left = min(config_timeout, self.check())
        return httpx.Timeout(left, connect=min(left, 15.0))


def _wait_reason(exc: Exception) -> str:
    """ "429 Too Many Requests": what the server said, for a person waiting on it."""
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        try:
            return f"{status} {http.HTTPStatus(status).phrase}"
        except ValueError:
            return f"HTTP {status}"
    return type(exc).__name__


def _count_down(seconds: float, reason: str, on_wait: WaitHook) -> None:
    """Wait `seconds`, telling `on_wait` what is left about once a second (the page redraws its live line)."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        on_wait(left, reason)
        time.sleep(min(1.0, left))
    on_wait(0.0, reason)


def within(
    deadline: Deadline, hook: Callable[[Exception], bool | float], on_wait: WaitHook | None = None
) -> Callable[[Exception], bool | float]:
    """`hook`, but a retry whose wait (Retry-After, or the next backoff) would end past the deadline is not made.
    With `on_wait`, a server's Retry-After is waited out here, counted down, and stamina waits no more."""
    backoffs = 0

    def decide(exc: Exception) -> bool | float:
        nonlocal backoffs
        decision = hook(exc)
        if decision is False:
            return False
        if decision is True:  # exponential backoff with jitter, as stamina would, so it can be checked here
            wait = min(_RETRY_WAIT_INITIAL * 2**backoffs, _RETRY_WAIT_MAX) + random.uniform(0, _RETRY_WAIT_INITIAL)
            backoffs += 1
        else:
            wait = float(decision)
            if on_wait is not None and wait < deadline.left():
                _count_down(wait, _wait_reason(exc), on_wait)
                return 0.0
        return wait if wait < deadline.left() else False

    return decide


def retrying(method: str, deadline: Deadline, *, attempts: int, timeout: float, on_wait: WaitHook | None = None) -> Any:
    """stamina's retry context for one call: `retry_post_hook` for POST, `retry_read_hook` otherwise, within `deadline`."""
    return stamina.retry_context(
        on=within(deadline, retry_post_hook if method == "POST" else retry_read_hook, on_wait),
        attempts=attempts,
        timeout=timeout,
        wait_initial=_RETRY_WAIT_INITIAL,
        wait_max=_RETRY_WAIT_MAX,
    )
