"""The producer and coordinator: ``plexy-async batch INPUT --broker redis://...``.

``Coordinator.prepare()`` checks the input and the batch's settings in Redis (a batch id run
again must have the same input file, operation, chunk size and secret), ``produce()`` reads the
input once, lazily, and kicks one task per chunk that needs one, ``follow()`` waits for the
workers while it reports progress, re-kicking chunks left with lines in doubt or rate-limited
(``settle_rounds`` times), and ``finish()`` writes the journal and returns the summary.

A chunk is kicked when it has no state yet (never kicked), when its worker finished it but left
lines without a final outcome, or when it is queued but its message is gone from the stream
(the coordinator died between noting the kick and sending it, or Redis lost the stream). A
chunk queued with its message in the stream is not kicked again: a worker will get it, or claim
it after the idle timeout. A chunk whose lines all have final outcomes is never kicked again:
so a coordinator killed and restarted picks the batch up where it was.

Every kick gives the shared stream the batch's ttl as its expiry (never shortening a longer
one), and ``follow()`` refreshes it with the batch's keys once a minute.

No worker: when the batch's counters have not moved for ``no_worker_after`` seconds (default
10) and no worker process has beaten for as long (``_broker``'s heartbeats: every worker notes
itself every 2 s), ``follow()`` calls ``on_no_worker`` (then again every minute while it
lasts). A shared 429 pause is not mistaken for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from redis.asyncio import Redis
from taskiq.kicker import AsyncKicker

from plexy_async.batch._input import InputFile
from plexy_async.batch._journal import JOURNAL_VERSION, Outcome, journal_line
from plexy_async.batch._shared import key_check, now_iso
from plexy_async.batch._stats import BatchStats, BatchSummary
from plexy_async.distributed._broker import (
    DEFAULT_QUEUE,
    TASK_NAME,
    ChunkBroker,
    chunk_labels,
    extend_expiry,
    live_workers,
)
from plexy_async.distributed._chunks import Chunk, Layout, layout_of, scan_chunks
from plexy_async.distributed._store import (
    DEFAULT_TTL,
    DONE,
    OutcomeStore,
    decode_record,
)
from plexy_async.errors import ConfigurationError

DEFAULT_CHUNK_SIZE: Final = 100
DEFAULT_SETTLE_ROUNDS: Final = 2
DEFAULT_NO_WORKER_AFTER: Final = 10.0  # seconds without progress nor a reading worker
NO_WORKER_REPEAT: Final = 60.0  # seconds between two "no worker" notices
# settings a batch id run again must keep: the chunks and the keys depend on them
_FIXED: Final = ("operation", "input", "format", "key_check", "chunk_size", "options")


class Coordinator:
    """One distributed batch, from the coordinator's side.

    Args:
        url: The Redis URL of the broker and the outcome store.
        batch_id: The batch's id (the same one to pick it up again).
        input: The input file; its absolute path must be the same on every worker.
        operation: The service call, such as ``payments.create``.
        options: ``InputFile``'s keyword arguments (``fmt``, ``defaults``, ...), JSON-ready.
        secret: The batch secret (only its ``key_check`` goes to Redis).
        chunk_size: Records per chunk.
        concurrency: Calls in flight per chunk.
        max_rate: Requests per second for the whole batch across workers; None for no limit.
        ttl: Seconds every key of the batch lives after its last write.
        queue: The stream's key (the workers' ``PLEXY_BROKER_QUEUE``).
        settle_rounds: Times chunks with lines in doubt or rate-limited are kicked again.
        no_worker_after: Seconds without progress nor a reading worker before ``follow()``
            calls ``on_no_worker``.

    Attributes:
        stats: Counters for a progress display, this run's only: ``counts`` are the outcomes
            recorded since this coordinator started (``skipped`` stays 0), so with a display
            whose total is ``total - done_before`` the share and the counts agree.
        total: Input records (known once ``produce()`` returned).
        done_before: Lines with an outcome when this coordinator started (a picked-up batch).
        kicked: Chunks this coordinator kicked.

    Raises:
        ConfigurationError: Bad settings (see ``prepare``).
    """

    def __init__(
        self,
        *,
        url: str,
        batch_id: str,
        input: str | os.PathLike[str],
        operation: str,
        options: Mapping[str, Any],
        secret: str,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        concurrency: int = 32,
        max_rate: int | None = None,
        ttl: int = DEFAULT_TTL,
        queue: str = DEFAULT_QUEUE,
        settle_rounds: int = DEFAULT_SETTLE_ROUNDS,
        no_worker_after: float = DEFAULT_NO_WORKER_AFTER,
    ) -> None:
        if chunk_size < 1 or concurrency < 1 or ttl < 60:
            raise ConfigurationError("chunk size and concurrency must be >= 1, ttl >= 60 s")
        if max_rate is not None and max_rate < 1:
            raise ConfigurationError(f"--max-rate must be at least 1, got {max_rate}")
        self.url = url
        self.batch_id = batch_id
        self.input = str(Path(input).resolve())
        self.operation = operation
        self.options = dict(options)
        self.chunk_size = chunk_size
        self.concurrency = concurrency
        self.max_rate = max_rate
        self.ttl = ttl
        self.settle_rounds = settle_rounds
        self.no_worker_after = no_worker_after
        self.stats = BatchStats()
        self.total: int | None = None
        self.done_before = 0
        self.kicked = 0
        self._key_check = key_check(secret, batch_id)
        self._redis: Any = Redis.from_url(url, decode_responses=True)
        self.store = OutcomeStore(self._redis, batch_id, ttl)
        self.broker = ChunkBroker(url, queue_name=queue)
        self._layout: Layout | None = None
        self._started = time.time()
        self._base: dict[Outcome, int] = dict.fromkeys(Outcome, 0)

    def __repr__(self) -> str:  # never the secret
        return f"<Coordinator {self.batch_id!r} input={self.input!r}>"

    async def __aenter__(self) -> Coordinator:
        await self.broker.startup()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.broker.shutdown()
        await self._redis.aclose()

    # -- the steps ---------------------------------------------------------------------------

    async def prepare(self) -> bool:
        """Check the input and the batch's settings; store them for the workers.

        Returns:
            Whether the batch already existed in Redis (this run picks it up).

        Raises:
            InputError: The input file is unusable as a whole (checked like a local run).
            ConfigurationError: The batch id exists with another input, operation, chunk size,
                input options or secret.
            redis.RedisError: Redis cannot be reached.
        """
        source = InputFile(self.input, self.operation, **self.options)
        self._layout = layout_of(self.input, source.format)
        mine: dict[str, Any] = {
            "operation": self.operation,
            "input": self.input,
            "format": self._layout.fmt,
            "header_end": self._layout.header_end,
            "options": json.dumps(self.options, sort_keys=True),
            "key_check": self._key_check,
            "chunk_size": self.chunk_size,
            "concurrency": self.concurrency,
            "max_rate": self.max_rate or 0,
            "ttl": self.ttl,
        }
        meta = await self.store.meta()
        existed = bool(meta.get("operation"))
        if existed:
            for name in _FIXED:
                if str(meta.get(name)) != str(mine[name]):
                    what = "secret" if name == "key_check" else name.replace("_", " ")
                    raise ConfigurationError(
                        f"batch {self.batch_id!r} exists in Redis with another {what}: "
                        "choose another --batch-id, or run it with the same settings"
                    )
            self._started = float(meta.get("started") or self._started)
        else:
            mine["started"] = self._started
        await self.store.set_meta(mine)
        progress = await self.store.progress()
        self._base = dict(progress.counts)
        self.done_before = progress.lines
        self.stats.started = time.monotonic()
        return existed

    async def produce(self) -> int:
        """Read the input once and kick each chunk that needs it (see the module docstring).

        Returns:
            The number of chunks kicked.

        Raises:
            ConfigurationError: The input's chunks differ from those stored for the batch (the
                file changed).
            OSError: The input cannot be read.
        """
        assert self._layout is not None, "prepare() first"
        state, final, _ = await self.store.chunk_view()
        message_ids = await self.store.message_ids()
        kicked = chunks = total = 0
        for chunk in scan_chunks(self.input, self._layout, self.chunk_size):
            chunks += 1
            total += chunk.records
            known = await self.store.known_chunk(chunk)
            if known is not None and known != chunk:
                raise ConfigurationError(
                    f"the input file changed since batch {self.batch_id!r} was produced "
                    f"(chunk {chunk.index} differs): run it under another --batch-id"
                )
            if known is None:
                await self.store.save_chunk(chunk)
            if await self._needs_kick(chunk, state, final, message_ids):
                await self.kick(chunk)
                kicked += 1
        await self.store.set_meta({"chunks": chunks, "records": total, "produced": 1})  # touches
        self.total = total
        return kicked

    async def _needs_kick(
        self,
        chunk: Chunk,
        state: Mapping[int, str],
        final: Mapping[int, int],
        message_ids: Mapping[int, str],
    ) -> bool:
        current = state.get(chunk.index)
        if current is None:
            return True
        if current == DONE:
            return final.get(chunk.index, 0) < chunk.records
        # queued: kicked before; kick again only if its message is not in the stream
        message_id = message_ids.get(chunk.index)
        if message_id is None:
            return True
        found = await self._redis.xrange(self.broker.queue_name, message_id, message_id)
        return not found

    async def kick(self, chunk: Chunk) -> None:
        """Note the kick (state queued, one more kick), then send the chunk's task."""
        await self._redis.hdel(self.store.keys.msgids, str(chunk.index))
        await self.store.mark_kicked(chunk.index)
        kicker: AsyncKicker[Any, Any] = AsyncKicker(
            TASK_NAME, self.broker, chunk_labels(self.batch_id, chunk.index, self.ttl)
        )
        await kicker.kiq(batch_id=self.batch_id, chunk=chunk.to_payload())
        self.kicked += 1

    async def follow(
        self,
        on_progress: Callable[[], None] | None = None,
        *,
        on_error: Callable[[str], None] | None = None,
        on_no_worker: Callable[[], None] | None = None,
        interval: float = 0.25,
    ) -> None:
        """Wait until every chunk is done, re-kicking chunks left with lines in doubt or
        rate-limited up to ``settle_rounds`` times; call ``on_progress`` after each poll,
        ``on_error`` with each new worker error (a refused chunk: another secret, another file),
        and ``on_no_worker`` when no worker reads the stream (see the module's docstring).

        Raises:
            redis.RedisError: Redis failed.
        """
        meta = await self.store.meta()
        chunks = int(meta.get("chunks") or 0)
        rounds = 0
        touched = time.monotonic()
        seen = set(await self.store.errors())
        polls = 0
        moved = time.monotonic()  # when the counters last changed
        last: tuple[int, int] | None = None
        notified = -NO_WORKER_REPEAT
        while True:
            if time.monotonic() - touched > 60:
                await self.store.touch()
                await extend_expiry(self._redis, self.broker.queue_name, self.ttl)
                touched = time.monotonic()
            polls += 1
            if on_error is not None and polls % 4 == 0:
                for error in reversed(await self.store.errors()):
                    if error not in seen:
                        seen.add(error)
                        on_error(error)
            await self.poll()
            if on_progress is not None:
                on_progress()
            progress = await self.store.progress()
            now = time.monotonic()
            if (progress.lines, progress.chunks_done) != last:
                last, moved = (progress.lines, progress.chunks_done), now
            elif (
                on_no_worker is not None
                and now - moved >= self.no_worker_after
                and now - notified >= NO_WORKER_REPEAT
                and not await self.store.paused_for()
                and not await self.workers_reading()
            ):
                notified = now
                on_no_worker()
            if progress.chunks_done >= chunks:
                unsettled = await self._unsettled()
                if not unsettled or rounds >= self.settle_rounds:
                    return
                rounds += 1
                for chunk in unsettled:
                    await self.kick(chunk)
            await asyncio.sleep(interval)

    async def poll(self) -> None:
        """Bring ``stats`` up to date from Redis."""
        progress = await self.store.progress()
        for outcome in Outcome:
            # a line in doubt before this run and settled now counts once, under its new outcome
            self.stats.counts[outcome] = max(progress.counts[outcome] - self._base[outcome], 0)
        self.stats.rate_limit_pauses = progress.pauses

    async def workers_reading(self, within: float | None = None) -> bool:
        """Whether a worker process of the stream beat in the last ``within`` seconds (default
        ``no_worker_after``; see ``_broker``'s heartbeats).

        Raises:
            redis.RedisError: Redis failed.
        """
        seconds = self.no_worker_after if within is None else within
        return await live_workers(self._redis, self.broker.queue_name, seconds) > 0

    async def _unsettled(self) -> list[Chunk]:
        state, final, _ = await self.store.chunk_view()
        return [
            chunk
            async for chunk in self.store.chunks()
            if state.get(chunk.index) == DONE and final.get(chunk.index, 0) < chunk.records
        ]

    async def kicks(self) -> dict[int, int]:
        """Chunk index -> times it was kicked, by every coordinator run of the batch."""
        return (await self.store.chunk_view())[2]

    async def finish(self, journal: str | os.PathLike[str]) -> BatchSummary:
        """Write the journal (replacing the file) and return the batch's summary.

        The journal is a local run's: a ``run`` line (with ``key_check``), one ``item`` line per
        input line (its latest outcome, in file order), and an ``end`` line with the summary.
        When every line has a final outcome, the batch's messages are deleted from the stream
        (the store's keys stay until their expiry, so a later run finds the batch finished).

        Returns:
            The summary: counts over every line of the batch, latency percentiles over the
            items' last calls, elapsed from the batch's first start.

        Raises:
            OSError: The journal cannot be written.
        """
        self.stats.ended = time.monotonic()
        stats = BatchStats()
        stats.started = self._started
        path = Path(journal)
        fd, temp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        settled = True
        kicks = await self.kicks()
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                _write(out, self._run_line(len(kicks), sum(kicks.values())))
                async for chunk in self.store.chunks():
                    records = await self.store.chunk_records(chunk.index)
                    if len(records) < chunk.records:
                        settled = False
                    for line in sorted(records):
                        record = decode_record(records[line])
                        _count(stats, record)
                        if record["outcome"] in (Outcome.IN_DOUBT, Outcome.RATE_LIMITED):
                            settled = False
                        _write(out, record)
                stats.ended = time.time()
                stats.rate_limit_pauses = (await self.store.progress()).pauses
                summary = BatchSummary.of(
                    stats,
                    batch_id=self.batch_id,
                    operation=self.operation,
                    concurrency=self.concurrency,
                    interrupted=False,
                    journal=os.fspath(journal),
                )
                _write(out, {"event": "end", "at": now_iso(), **summary.to_dict()})
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        if settled:
            await self._drop_messages()
        await self.store.touch()
        await extend_expiry(self._redis, self.broker.queue_name, self.ttl)
        return summary

    def _run_line(self, chunks: int, kicks: int) -> dict[str, Any]:
        return {
            "event": "run",
            "version": JOURNAL_VERSION,
            "batch_id": self.batch_id,
            "operation": self.operation,
            "key_check": self._key_check,
            "concurrency": self.concurrency,
            "resume": False,
            "at": now_iso(),
            "distributed": {"chunks": chunks, "chunk_size": self.chunk_size, "kicks": kicks},
        }

    async def _drop_messages(self) -> None:
        ids = list((await self.store.message_ids()).values())
        for start in range(0, len(ids), 500):
            await self._redis.xdel(self.broker.queue_name, *ids[start : start + 500])

    async def errors(self) -> list[str]:
        """The workers' latest errors (refused chunks), newest first."""
        return await self.store.errors()


def _write(out: Any, record: Mapping[str, Any]) -> None:
    out.write(journal_line(record))


def _count(stats: BatchStats, record: Mapping[str, Any]) -> None:
    attempts, ms = record.get("attempts"), record.get("ms")
    seconds = ms / 1000 if isinstance(ms, (int, float)) else None
    cancelled = seconds is None or bool(record.get("error", {}).get("cancelled"))
    stats.add_item(
        Outcome(record["outcome"]),
        attempts if isinstance(attempts, int) else None,
        seconds or 0.0,
        cancelled=cancelled,
    )
