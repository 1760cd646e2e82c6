"""Fair slots: llama.cpp's parallel slots shared among requests, a freed slot going to the request holding fewest."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator


class FairSlots:
    """The llama.cpp slots, shared fairly among requests.

    A slot that frees goes to the waiting request that holds the fewest slots (first come among equals):
    with a plain FIFO semaphore one request's many choices queued ahead of everyone, and a short request sent
    behind them waited for all of them.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.free = size
        self.held: dict[object, int] = {}
        self._waiting: list[tuple[int, object, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @contextlib.asynccontextmanager
    async def slot(self, owner: object) -> AsyncIterator[None]:
        """Hold one slot for `owner` (one object per request) while the block runs."""
        await self._acquire(owner)
        try:
            yield
        finally:
            self._release(owner)

    async def _acquire(self, owner: object) -> None:
        if self.free and not self._waiting:
            self._take(owner)
            return
        entry = (next(self._order), owner, asyncio.get_running_loop().create_future())
        self._waiting.append(entry)
        try:
            await entry[2]
        except BaseException:
            if entry[2].done() and not entry[2].cancelled():
                self._release(owner)  # granted just as the waiter was cancelled: pass it on
            elif entry in self._waiting:
                self._waiting.remove(entry)
            raise

    def _take(self, owner: object) -> None:
        self.free -= 1
        self.held[owner] = self.held.get(owner, 0) + 1

    def _release(self, owner: object) -> None:
        self.free += 1
        if (left := self.held[owner] - 1) > 0:
            self.held[owner] = left
        else:
            del self.held[owner]
        while self.free and self._waiting:
            entry = min(self._waiting, key=lambda e: (self.held.get(e[1], 0), e[0]))
            self._waiting.remove(entry)
            if not entry[2].done():
                self._take(entry[1])
                entry[2].set_result(None)
