"""One rate-limit gate for every worker of a batch: the shared 429 pause and ``--max-rate``.

* **The 429 pause.** Any worker that gets a 429 sets ``plexy:{batch}:pause`` in Redis with the
  answer's ``Retry-After`` as its expiry (``PX``; never shortening a longer pause). Before each
  HTTP request every worker reads the key's time to live and waits it out.
* **``--max-rate N``.** Every request of the batch, from any worker, is spaced by the generic
  cell rate algorithm (GCRA) on Redis's own clock, in one Lua script (``plexy:{batch}:rate``
  holds the time the next request may go): one request every 1/N s across all workers, with a
  burst of ``N // 50`` (at least 1) at most. Any 1 s window then holds at most N + burst + 1
  requests as the workers send them, evenly spread, so the server sees them spread too.

  Why not the ``limits`` library's moving window: it is exact per 1 s window but lets the
  whole window's N requests go at once, then none until they leave it; the server then sees
  bursts of N, and any scheduling delay between a worker's hit and its request's arrival
  moves part of one burst into the next window (measured: up to 222 in a second for
  ``--max-rate 200`` over three workers here). ``limits`` has no window shorter than a second
  to smooth them, and throttled-py (which has GCRA) pins redis-py below the 8.x that
  taskiq-redis requires. The script is 15 lines, and Redis's clock means the workers' clocks
  need not agree.

Both are checked in two places: before each call of an item, outside the client's timeout
(the pause, and until the rate has room, taking nothing), and in the client's
``on_request_start`` trace hook, which aiohttp awaits before every request, the client's own
retries included: the pause again, then the request's turn under the rate, as close to the
request as it can be. In each worker process one waiting call at a time asks Redis (an
``asyncio.Lock``), so waiting costs Redis a call per request, not one per waiting call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, Final

import aiohttp

from plexy_async._core import protocol as _protocol
from plexy_async.batch._outcomes import CURRENT
from plexy_async.distributed._store import OutcomeStore

MAX_PAUSE: Final = 60.0  # the longest a Retry-After may pause the batch, in seconds


class BatchGate:
    """The pause and the rate limit of one batch, shared through Redis.

    Args:
        store: The batch's store (its ``pause`` and ``rate`` keys).
        max_rate: Requests per second for the whole batch (None: no limit).
    """

    def __init__(self, store: OutcomeStore, max_rate: int | None) -> None:
        self.store = store
        self.max_rate = max_rate
        self.burst = max(max_rate // 50, 1) if max_rate else 0
        self._turn = asyncio.Lock()

    async def wait_room(self) -> None:
        """Before a call: wait out the shared pause, and until the rate has room (taking
        nothing: ``take()`` does, as the request starts)."""
        await self._wait_pause()
        await self._wait_rate(take=False)

    async def take(self) -> None:
        """As a request starts: wait out the shared pause, then take the request's turn."""
        await self._wait_pause()
        await self._wait_rate(take=True)

    async def _wait_rate(self, *, take: bool) -> None:
        if not self.max_rate:
            return
        async with self._turn:  # the turn comes from Redis's clock: polled, no local event
            while (wait := await self.store.rate_wait(self.max_rate, self.burst, take=take)) > 0:  # noqa: ASYNC110
                await asyncio.sleep(wait)

    async def _wait_pause(self) -> None:
        # the pause lives in Redis, set by any worker: polled, no local event to wait on
        while (left := await self.store.paused_for()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(min(left, MAX_PAUSE))

    async def rate_limited(self, retry_after: float | None) -> None:
        """A 429 arrived: pause every worker for ``retry_after`` (1 s when not given)."""
        seconds = 1.0 if retry_after is None else min(max(retry_after, 0.0), MAX_PAUSE)
        await self.store.pause(seconds)


#: The gate of the chunk the current task runs (set by the chunk task, read by the hooks).
CURRENT_GATE: ContextVar[BatchGate | None] = ContextVar("plexy_async_batch_gate", default=None)


def gated(
    call: Callable[[Any, str], Awaitable[object]],
) -> Callable[[Any, str], Awaitable[object]]:
    """A batch operation that waits for the current chunk's gate before each call."""

    async def operation(item: Any, key: str) -> object:
        gate = CURRENT_GATE.get()
        if gate is not None:
            await gate.wait_room()
        return await call(item, key)

    operation.__qualname__ = str(
        getattr(call, "name", None) or getattr(call, "__qualname__", "operation")
    )
    return operation


def trace_config() -> aiohttp.TraceConfig:
    """The worker client's hooks: the gate before every request, a 429 pauses everyone, and
    each item's requests counted for its outcome (as ``Batch.trace_config()`` counts them)."""

    async def on_request_start(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        gate = CURRENT_GATE.get()
        if gate is not None:
            await gate.take()
        tries = CURRENT.get()
        if tries is not None:
            tries.request_sent(context.trace_request_ctx)

    async def on_request_end(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestEndParams
    ) -> None:
        status = params.response.status
        tries = CURRENT.get()
        if tries is not None:
            tries.request_answered(context.trace_request_ctx, status)
        gate = CURRENT_GATE.get()
        if status == 429 and gate is not None:
            retry_after = _protocol.parse_retry_after(params.response.headers.get("Retry-After"))
            await gate.rate_limited(retry_after)

    config = aiohttp.TraceConfig()
    config.on_request_start.append(on_request_start)
    config.on_request_end.append(on_request_end)
    return config
