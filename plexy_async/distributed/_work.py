"""What a worker does with one chunk: read it, run it as a small batch, record every line.

``run_chunk`` is the body of the taskiq task (``plexy_async.distributed.worker``):

1. Read the batch's settings from Redis and check the batch secret: this worker's
   ``PLEXY_BATCH_SECRET`` must give the ``key_check`` the coordinator stored (an HMAC output),
   or its idempotency keys would differ from the other workers'. A worker with another secret
   refuses the chunk without acknowledging it (a worker with the right one gets it later) and
   leaves the reason in the batch's ``errors`` list.
2. Skip the lines that already have a final outcome; a chunk whose lines all have one is not
   sent at all (a redelivered chunk whose worker died after recording its last line).
3. Run the other lines through ``Batch`` (the local runner: HMAC keys, outcomes, 429 and 409
   resends) at the chunk's concurrency, over the worker's one client; each line's outcome goes
   to Redis as it ends (the store's set-if-absent script: the first final outcome wins).
4. Lines left in doubt or rate-limited are sent once more with their keys (``settle_passes``).
5. Mark the chunk done. The caller acknowledges the message only then: a worker that dies
   before leaves the message pending, and another worker claims it after the idle timeout.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
from collections.abc import Mapping
from typing import Any, Final

import attrs

from plexy_async._client import PlexyClient
from plexy_async.batch._items import BatchItem, InvalidItem, Item
from plexy_async.batch._journal import JournalWriter, Outcome
from plexy_async.batch._runner import ENV_BATCH_SECRET, Batch, operation_for
from plexy_async.batch._shared import key_check
from plexy_async.distributed._chunks import Chunk, Layout, read_chunk
from plexy_async.distributed._gate import CURRENT_GATE, BatchGate, gated
from plexy_async.distributed._store import FINAL, OutcomeStore, is_final
from plexy_async.errors import ConfigurationError

SETTLE_PASSES: Final = 1


class SecretMismatchError(ConfigurationError):
    """This worker's batch secret is not the coordinator's: it refuses the batch's chunks."""


@attrs.frozen
class BatchSettings:
    """What the coordinator stored in ``plexy:{batch}:meta`` for the workers.

    Attributes:
        batch_id: The batch.
        operation: The service call, such as ``payments.create``.
        input: The input file's absolute path (the same on every machine).
        layout: Its format and header extent.
        options: ``InputFile``'s keyword arguments.
        key_check: An HMAC of the batch id under the batch secret.
        concurrency: Calls in flight per chunk.
        max_rate: Requests per second for the whole batch, or None.
        ttl: Seconds the batch's keys live after their last write.
    """

    batch_id: str
    operation: str
    input: str
    layout: Layout
    options: Mapping[str, Any]
    key_check: str
    concurrency: int
    max_rate: int | None
    ttl: int

    @classmethod
    def from_meta(cls, batch_id: str, meta: Mapping[str, str]) -> BatchSettings:
        """Read them back.

        Raises:
            ConfigurationError: The batch has no settings (expired, or never produced).
        """
        if not meta.get("operation"):
            raise ConfigurationError(
                f"batch {batch_id!r} has no settings in Redis: expired, or never produced"
            )
        max_rate = int(meta.get("max_rate") or 0)
        return cls(
            batch_id=batch_id,
            operation=meta["operation"],
            input=meta["input"],
            layout=Layout(meta["format"], int(meta["header_end"])),
            options=json.loads(meta["options"]),
            key_check=meta["key_check"],
            concurrency=int(meta["concurrency"]),
            max_rate=max_rate or None,
            ttl=int(meta["ttl"]),
        )


class _StoreSink(JournalWriter):
    """Where the chunk's ``Batch`` writes its journal lines: each item line goes to the store as
    the item ends (the run and end lines of a chunk are dropped: the coordinator writes its
    own). ``flush()`` waits for the writes and returns what each one did."""

    def __init__(self, store: OutcomeStore, chunk: int) -> None:  # no file: not JournalWriter's
        self.records: list[dict[str, Any]] = []
        self._store = store
        self._chunk = chunk
        self._writes: list[asyncio.Task[bool]] = []
        self._closed = False

    def write(self, record: dict[str, Any]) -> None:
        if record.get("event") == "item":
            self.records.append(record)
            self._writes.append(asyncio.create_task(self._store.record(self._chunk, record)))

    async def flush(self) -> list[bool]:
        """Whether each record was stored (False: a final outcome was there first).

        Raises:
            redis.RedisError: A write failed.
        """
        return list(await asyncio.gather(*self._writes))

    def close(self) -> None:
        self._closed = True

    @property
    def closed(self) -> bool:
        return self._closed


class _ChunkBatch(Batch):
    """``Batch`` whose journal lines go to a ``_StoreSink`` (a chunk has no journal file)."""

    def __init__(self, sink: _StoreSink, **options: Any) -> None:
        super().__init__(**options)
        self._writer = sink


@attrs.define
class ChunkResult:
    """What one run of a chunk did (the task's return value, as a dict).

    Attributes:
        skipped: Lines already final, not sent again.
        recorded: Lines whose outcome this run stored.
        lost: Lines whose outcome another run stored first (first final outcome wins).
        unsettled: Lines left in doubt or rate-limited.
    """

    skipped: int = 0
    recorded: int = 0
    lost: int = 0
    unsettled: int = 0


async def run_chunk(
    client: PlexyClient,
    store: OutcomeStore,
    settings: BatchSettings,
    chunk: Chunk,
    gate: BatchGate,
    *,
    max_concurrency: int,
    secret: str | None = None,
    settle_passes: int = SETTLE_PASSES,
) -> ChunkResult:
    """Run one chunk and record every line's outcome (see the module's docstring).

    Args:
        client: The worker's client (its trace configs include ``_gate.trace_config()``).
        store: The batch's store.
        settings: The batch's settings.
        chunk: The chunk to run.
        gate: The batch's shared pause and rate limit.
        max_concurrency: The most calls in flight this chunk may have (the worker's pool).
        secret: The batch secret; default ``$PLEXY_BATCH_SECRET``.
        settle_passes: Times lines left in doubt or rate-limited are sent again.

    Returns:
        The counts of what this run did.

    Raises:
        SecretMismatchError: This worker's secret is not the batch's.
        ConfigurationError: No secret, or an unknown operation.
        ChunkMismatchError: The file's bytes differ from the coordinator's.
        OSError: The input file cannot be read.
        redis.RedisError: Redis failed (the chunk is not acknowledged: it comes back).
    """
    secret = secret or os.environ.get(ENV_BATCH_SECRET)
    if not secret:
        raise ConfigurationError(f"no batch secret: set {ENV_BATCH_SECRET} in the worker")
    if not hmac.compare_digest(key_check(secret, settings.batch_id), settings.key_check):
        raise SecretMismatchError(
            f"this worker's {ENV_BATCH_SECRET} differs from the one batch "
            f"{settings.batch_id!r} was produced with: its idempotency keys would differ"
        )
    result = ChunkResult()
    existing = await store.chunk_records(chunk.index)
    done = {line for line, value in existing.items() if is_final(value)}
    if len(done) >= chunk.records:
        result.skipped = len(done)
        await store.mark_done(chunk.index)
        return result
    items = read_chunk(settings.input, settings.layout, chunk, settings.operation, settings.options)
    todo = [item for item in items if item.line not in done]
    result.skipped = len(items) - len(todo)
    token = CURRENT_GATE.set(gate)
    try:
        for round_ in range(settle_passes + 1):
            todo = await _run_items(
                client, store, settings, chunk, todo, secret, max_concurrency, result
            )
            if not todo:
                break
            if round_ == settle_passes:
                result.unsettled = len(todo)
    finally:
        CURRENT_GATE.reset(token)
    await store.mark_done(chunk.index)
    return result


async def _run_items(
    client: PlexyClient,
    store: OutcomeStore,
    settings: BatchSettings,
    chunk: Chunk,
    items: list[Item],
    secret: str,
    max_concurrency: int,
    result: ChunkResult,
) -> list[Item]:
    """One pass over ``items``; returns those left in doubt or rate-limited."""
    sink = _StoreSink(store, chunk.index)
    concurrency = max(1, min(settings.concurrency, max_concurrency, len(items)))
    batch = _ChunkBatch(sink, batch_id=settings.batch_id, secret=secret, concurrency=concurrency)
    operation = gated(operation_for(client, settings.operation))
    try:
        await batch.run(client, items, operation)
    finally:
        stored = await sink.flush()
    left: list[Item] = []
    by_line = {item.line: item for item in items}
    for record, won in zip(sink.records, stored, strict=True):
        if won:
            result.recorded += 1
        else:
            result.lost += 1
        if Outcome(record["outcome"]) not in FINAL:
            item = by_line.get(record.get("line"))
            if isinstance(item, (BatchItem, InvalidItem)):
                left.append(item)
    return left
