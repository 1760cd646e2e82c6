"""Memory trimming: once the gateway has been idle a while, free heap goes back to the OS.

llama.cpp's threads build large answers in their own malloc arenas, and glibc keeps the freed pages;
`malloc_trim` hands them back (bench/README.md has the measurements).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import sys
import time
from collections.abc import Callable

import anyio.to_thread


def _find_malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    with contextlib.suppress(OSError, AttributeError):
        trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
        return trim  # type: ignore[no-any-return]
    return None


_malloc_trim = _find_malloc_trim()


def release_memory() -> int:
    """Hand free heap back to the OS with glibc's `malloc_trim`: 1 if some was released, 0 if none, -1 without
    glibc. It takes each malloc arena's lock in turn, so run it off the event loop."""
    return _malloc_trim(0) if _malloc_trim is not None else -1


class IdleTrimmer:
    """Calls `release_memory` once per idle spell: after `idle_s` without a request (0: never)."""

    def __init__(self, idle_s: float) -> None:
        self.idle_s = idle_s
        self.trims = 0  # times free heap was handed back to the OS
        self._last_request = 0.0
        self._task: asyncio.Task[None] | None = None

    def touch(self) -> None:
        """A request came: once idle `idle_s` after it, trim."""
        self._last_request = time.monotonic()
        if self.idle_s and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._trim_when_idle())

    async def _trim_when_idle(self) -> None:
        while (wait := self._last_request + self.idle_s - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        await anyio.to_thread.run_sync(release_memory)
        self.trims += 1

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task})
