"""The distributed batch's taskiq worker: ``taskiq worker plexy_async.distributed.worker:broker``.

Or ``plexy-async worker --broker redis://...``, which runs that command with its flags turned
into the environment below. Each worker process reads (see ``_broker`` for the broker's own):

* ``PLEXY_API_KEY``, ``PLEXY_BASE_URL`` / ``PLEXY_ENVIRONMENT``: the API, as for any client;
* ``PLEXY_BATCH_SECRET``: the batch secret, from this machine's environment only (it never
  travels through Redis; a worker with another secret refuses the batch's chunks);
* ``PLEXY_WORKER_CHUNKS`` (default 2) and ``PLEXY_WORKER_CONCURRENCY`` (default 64): chunks at
  once and calls in flight per process. Pass ``--max-async-tasks`` equal to the chunks to
  ``taskiq worker`` too, so that it takes no more messages than it runs.

Each process holds one ``PlexyClient`` for its whole life (opened on taskiq's worker startup
event, closed on its shutdown event), and one Redis client for the outcome store, the shared
pause, ``--max-rate`` and the heartbeats (``_broker``): a bounded pool (16 connections) whose
callers wait for a free connection, so a chunk whose lines all end at once records them all
(``_store.worker_redis``).

Acknowledgement: the chunk's message is labelled ``ack_type=manual``; the task acknowledges it
after its last line is recorded and the chunk marked done. A task that raises (Redis down, the
file unreadable, another secret) leaves it unacknowledged: another worker claims it after the
idle timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Any, Final

from redis.asyncio import Redis
from redis.exceptions import RedisError
from taskiq import Context, TaskiqDepends, TaskiqEvents, TaskiqState

from plexy_async._client import PlexyClient
from plexy_async._core.config import PoolLimits
from plexy_async._core.protocol import mask_card_numbers
from plexy_async.distributed._broker import (
    DEFAULT_URL,
    DEFAULT_WORKER_CHUNKS,
    DEFAULT_WORKER_CONCURRENCY,
    ENV_BROKER_URL,
    ENV_WORKER_CHUNKS,
    ENV_WORKER_CONCURRENCY,
    HEARTBEAT_EVERY,
    TASK_LABELS,
    TASK_NAME,
    ChunkBroker,
    broker_from_env,
    env_int,
    heartbeat,
    leave,
)
from plexy_async.distributed._chunks import Chunk
from plexy_async.distributed._gate import BatchGate, trace_config
from plexy_async.distributed._store import OutcomeStore, worker_redis
from plexy_async.distributed._work import BatchSettings, SecretMismatchError, run_chunk

__all__ = ["broker", "run_chunk_task"]

log: Final = logging.getLogger("plexy_async.distributed")

broker: ChunkBroker = broker_from_env()
"""The broker ``taskiq worker`` loads; configured from the environment when imported."""


class _WorkerState:
    """What one worker process holds for its life."""

    def __init__(self, url: str) -> None:
        chunks = env_int(ENV_WORKER_CHUNKS, DEFAULT_WORKER_CHUNKS)
        concurrency = env_int(ENV_WORKER_CONCURRENCY, DEFAULT_WORKER_CONCURRENCY)
        self.url = url
        self.chunk_concurrency = max(concurrency // chunks, 1)
        self.slots = asyncio.Semaphore(chunks)
        self.redis: Redis = worker_redis(url)  # callers wait for a connection, never fail
        self.client = PlexyClient(
            pool=PoolLimits(limit=concurrency, limit_per_host=concurrency),
            trace_configs=[trace_config()],
        )
        self._batches: dict[str, tuple[BatchSettings, OutcomeStore, BatchGate]] = {}
        self._beat = asyncio.create_task(self._beats())

    async def batch(self, batch_id: str) -> tuple[BatchSettings, OutcomeStore, BatchGate]:
        known = self._batches.get(batch_id)
        if known is None:
            store = OutcomeStore(self.redis, batch_id)
            settings = BatchSettings.from_meta(batch_id, await store.meta())
            store.ttl = settings.ttl
            known = settings, store, BatchGate(store, settings.max_rate)
            self._batches[batch_id] = known
        return known

    async def _beats(self) -> None:
        """Tell the coordinators this process runs (``_broker.heartbeat``), every 2 s."""
        while True:
            try:
                await heartbeat(self.redis, broker.queue_name, broker.consumer_name)
            except RedisError as exc:  # Redis away: the reads fail too, and say so
                log.debug("heartbeat failed: %s", exc)
            await asyncio.sleep(HEARTBEAT_EVERY)

    async def close(self) -> None:
        self._beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._beat
        with contextlib.suppress(RedisError):
            await leave(self.redis, broker.queue_name, broker.consumer_name)
        await self.client.aclose()
        await self.redis.aclose()


_STATE_KEY: Final = "plexy_worker"


@broker.on_event(TaskiqEvents.WORKER_STARTUP)
async def _startup(state: TaskiqState) -> None:
    setattr(state, _STATE_KEY, _WorkerState(os.environ.get(ENV_BROKER_URL) or DEFAULT_URL))


@broker.on_event(TaskiqEvents.WORKER_SHUTDOWN)
async def _shutdown(state: TaskiqState) -> None:
    worker: _WorkerState | None = getattr(state, _STATE_KEY, None)
    if worker is not None:
        await worker.close()


_CONTEXT: Final[Any] = TaskiqDepends()


@broker.task(task_name=TASK_NAME, **TASK_LABELS)
async def run_chunk_task(
    batch_id: str, chunk: dict[str, Any], context: Context = _CONTEXT
) -> dict[str, Any]:
    """Run one chunk of batch ``batch_id`` and acknowledge its message once every line of it
    is recorded (see ``plexy_async.distributed._work.run_chunk``).

    Args:
        batch_id: The batch.
        chunk: The chunk's byte range and counts (``Chunk.to_payload()``): no item data.
        context: taskiq's context (the message, to acknowledge).

    Returns:
        What the run did: ``skipped``, ``recorded``, ``lost``, ``unsettled``.
    """
    worker: _WorkerState = getattr(context.state, _STATE_KEY)
    part = Chunk.from_payload(chunk)
    async with worker.slots:
        settings, store, gate = await worker.batch(batch_id)
        try:
            result = await run_chunk(
                worker.client,
                store,
                settings,
                part,
                gate,
                max_concurrency=worker.chunk_concurrency,
            )
        except SecretMismatchError as exc:
            await store.add_error(f"chunk {part.index}: {exc}")
            log.error("batch %s chunk %d refused: %s", batch_id, part.index, exc)
            raise
        except Exception as exc:
            await store.add_error(
                mask_card_numbers(f"chunk {part.index}: {type(exc).__name__}: {exc}")
            )
            raise
    if context.is_ackable:
        await context.ack()
    return {
        "skipped": result.skipped,
        "recorded": result.recorded,
        "lost": result.lost,
        "unsettled": result.unsettled,
    }
