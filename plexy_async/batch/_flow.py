"""The batch's shared plumbing: the input its workers pull from and the rate-limit gate."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Final

from plexy_async.batch._items import BatchItem, InvalidItem, Item
from plexy_async.batch._stats import BatchStats

DEFAULT_PAUSE: Final = 1.0  # after a 429 that did not say how long to wait


class Gate:
    """Shared by every worker: closed for a while after a 429, so nobody starts a new call.

    It belongs to the event loop of the batch's run (``bind()``): its event and timer are made
    there. A 429 the client sees in any other loop (the trace config stays on the client after
    the run, and a client may serve several loops) does not touch it.
    """

    def __init__(self, stats: BatchStats, max_pause: float) -> None:
        self._stats = stats
        self._max_pause = max_pause
        self._loop: asyncio.AbstractEventLoop | None = None
        self._open = asyncio.Event()
        self._open.set()
        self._until = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def bind(self) -> None:
        """Open, and belonging to the running loop: called as the run starts, in its loop."""
        self.close()
        self._loop = asyncio.get_running_loop()
        self._open = asyncio.Event()
        self._open.set()
        self._until = 0.0

    def pause(self, seconds: float | None) -> None:
        """Close the gate for ``seconds`` (1 s when the server did not say), at most max_pause.

        Ignored outside the loop the gate is bound to.
        """
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            return
        wait = DEFAULT_PAUSE if seconds is None else seconds
        until = loop.time() + min(max(wait, 0.0), self._max_pause)
        if until <= self._until:
            return
        if self._open.is_set():
            self._stats.rate_limit_pauses += 1
            self._open.clear()
        self._until = until
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_at(until, self._open.set)

    async def wait(self) -> None:
        await self._open.wait()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._open.set()
        self._loop = None


class Source:
    """The input, pulled by the workers one item at a time; never read ahead.

    An async iterator is read by one worker at a time (an async generator refuses two). An
    exception from the input is kept in ``error``: the workers stop taking items, and the batch
    raises it once the calls in flight have ended.
    """

    def __init__(self, items: Iterable[Item] | AsyncIterable[Item]) -> None:
        self._sync: Iterator[Item] | None = None
        self._async: AsyncIterator[Item] | None = None
        if isinstance(items, AsyncIterable):
            self._async = aiter(items)
        else:
            self._sync = iter(items)
        self._lock = asyncio.Lock()
        self.closed = False
        self.error: Exception | None = None

    async def next(self) -> Item | None:
        """The next item, or None when the input is done, closed or broken."""
        if self.closed:
            return None
        try:
            if self._sync is not None:
                item = next(self._sync)
            else:
                assert self._async is not None
                async with self._lock:
                    if self.closed:
                        return None
                    item = await anext(self._async)
        except (StopIteration, StopAsyncIteration):
            self.closed = True
            return None
        except Exception as exc:
            self.error, self.closed = exc, True
            return None
        if not isinstance(item, (BatchItem, InvalidItem)):
            self.error = TypeError(f"batch items must be BatchItem or InvalidItem, not {item!r}")
            self.closed = True
            return None
        return item

    async def aclose(self) -> None:
        """Close the input if it is a generator (we consumed it); leave other iterators be."""
        self.closed = True
        with contextlib.suppress(RuntimeError):
            if inspect.isasyncgen(self._async):
                await self._async.aclose()
            elif inspect.isgenerator(self._sync):
                self._sync.close()
