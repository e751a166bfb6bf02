"""The batch runner: ``Batch`` pulls items, calls the client, and journals every outcome."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import inspect
import os
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import aiohttp
import attrs

from plexy_async._core import protocol as _protocol
from plexy_async._core.config import PoolLimits
from plexy_async._core.protocol import mask_card_numbers
from plexy_async.batch._flow import Gate, Source
from plexy_async.batch._items import BatchItem, InvalidItem, Item, Operation
from plexy_async.batch._journal import (
    FINISHED,
    JOURNAL_VERSION,
    JournalState,
    JournalWriter,
    Outcome,
    journal_amount,
    read_journal,
)
from plexy_async.batch._outcomes import (
    CANCELLED,
    CURRENT,
    ItemTries,
    error_fields,
    in_flight_conflict,
    result_fields,
    result_outcome,
)
from plexy_async.batch._stats import BatchStats, BatchSummary
from plexy_async.errors import ConfigurationError, RateLimitError

if TYPE_CHECKING:
    from plexy_async._client import PlexyClient

ENV_BATCH_SECRET: Final = "PLEXY_BATCH_SECRET"
"""The environment variable that holds the batch secret when ``Batch(secret=...)`` is not given."""


def idempotency_key_for(secret: str | bytes, batch_id: str, item_id: str) -> str:
    """The item's idempotency key: ``pb_`` and 48 hex digits of an HMAC-SHA256 (51 characters).

    The same secret, batch id and item id always give the same key; without the secret the key
    cannot be guessed.

    Args:
        secret: The batch secret (``PLEXY_BATCH_SECRET``).
        batch_id: The batch's id.
        item_id: The item's id.

    Returns:
        The key, such as ``pb_3f1c...`` (51 characters).

    Example:
        ::

            key = idempotency_key_for(secret, "payouts-2024-06-01", "order-17")
    """
    message = f"{len(batch_id)}:{batch_id}:{item_id}".encode()
    return "pb_" + hmac.new(_secret_bytes(secret), message, hashlib.sha256).hexdigest()[:48]


def _key_check(secret: bytes, batch_id: str) -> str:
    """Written to the journal to notice a resume with another secret; reveals nothing about it."""
    message = b"plexy_async.batch key check\x00" + batch_id.encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:16]


def _secret_bytes(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


class Batch:
    """One batch job: configure it, then ``await batch.run(client, items, operation)`` once.

    ``secret`` (or ``PLEXY_BATCH_SECRET``) keys the HMAC of the idempotency keys; it is never
    written anywhere. Resume with the same ``batch_id`` and secret, or the keys would differ:
    both are checked against the journal.

    Args:
        batch_id: The batch's stable id: the same one to resume it.
        secret: The HMAC secret of the idempotency keys; default ``$PLEXY_BATCH_SECRET``.
        concurrency: Calls in flight at most (the number of worker tasks).
        journal: The JSON Lines journal's path; None for no journal (no resume).
        resume: Continue the journal's batch: skip finished items, re-send those in doubt or
            rate-limited with their keys.
        retry_failed: With ``resume``, send failed items again too (with the same keys).
        max_resends: How many times an item that ended on a 429 (or a 409 in flight) is sent
            again.
        max_pause: The longest wait, in seconds, a ``Retry-After`` may close the gate for.
        fsync: ``os.fsync`` the journal after every line (slower; survives a power cut).

    Attributes:
        stats: Live counters (``BatchStats``), for a progress display.

    Raises:
        ConfigurationError: An empty ``batch_id``, ``concurrency`` below 1, no secret, or
            ``resume`` without a journal.

    Example:
        ::

            batch = Batch(batch_id="refunds-june", concurrency=16, journal="refunds.jsonl")
            summary = await batch.run(plexy, items, "payments.refund")
    """

    def __init__(
        self,
        *,
        batch_id: str,
        secret: str | bytes | None = None,
        concurrency: int = 32,
        journal: str | os.PathLike[str] | None = None,
        resume: bool = False,
        retry_failed: bool = False,
        max_resends: int = 5,
        max_pause: float = 60.0,
        fsync: bool = False,
    ) -> None:
        if not isinstance(batch_id, str) or not batch_id.strip():
            raise ConfigurationError("batch_id must be a non-empty string")
        if concurrency < 1:
            raise ConfigurationError(f"concurrency must be at least 1, got {concurrency}")
        secret = secret if secret else os.environ.get(ENV_BATCH_SECRET)
        if not secret:
            raise ConfigurationError(
                f"no batch secret: pass secret=... or set {ENV_BATCH_SECRET}; the idempotency "
                "keys are an HMAC under it, and a resumed run needs the same one"
            )
        if resume and journal is None:
            raise ConfigurationError("resume=True needs the journal to resume from")
        self.batch_id = batch_id
        self.concurrency = concurrency
        self.journal = None if journal is None else os.fspath(journal)
        self.resume = resume
        self.retry_failed = retry_failed
        self.max_resends = max_resends
        self.fsync = fsync
        self.stats = BatchStats()
        self._secret = _secret_bytes(secret)
        self._gate = Gate(self.stats, max_pause)
        self._state = JournalState()
        self._writer: JournalWriter | None = None
        self._source: Source | None = None
        self._stopping = False
        self._ran = False

    def __repr__(self) -> str:  # never the secret
        return f"<Batch {self.batch_id!r} concurrency={self.concurrency} journal={self.journal!r}>"

    # -- for the client ----------------------------------------------------------------------

    def pool_limits(self, base: PoolLimits | None = None) -> PoolLimits:
        """``base`` (or the defaults) with a connection pool sized to the concurrency.

        aiohttp's default pool (100) would make calls past it queue for a connection, and the
        attempt's timeout counts that wait.

        Args:
            base: The pool settings to start from; default ``PoolLimits()``.

        Returns:
            ``base`` with ``limit`` (and a non-zero ``limit_per_host``) at least ``concurrency``.
        """
        base = base or PoolLimits()
        per_host = base.limit_per_host
        return attrs.evolve(
            base,
            limit=max(base.limit, self.concurrency),
            limit_per_host=per_host and max(per_host, self.concurrency),
        )

    def trace_config(self) -> aiohttp.TraceConfig:
        """Pass to ``PlexyClient(trace_configs=[...])``: any 429, even one the client retries
        by itself, then closes the batch's gate for the server's ``Retry-After``.

        Its hooks also follow each item's requests: the journal then has the true number of
        attempts of a call cancelled in flight, and an item is rate-limited only if no request
        it sent got an answer other than 429 (a 503 before the 429s leaves it in doubt).
        """

        async def on_request_start(
            session: aiohttp.ClientSession,
            context: Any,
            params: aiohttp.TraceRequestStartParams,
        ) -> None:
            tries = CURRENT.get()
            if tries is not None:
                tries.request_sent(context.trace_request_ctx)

        async def on_request_end(
            session: aiohttp.ClientSession,
            context: Any,
            params: aiohttp.TraceRequestEndParams,
        ) -> None:
            status = params.response.status
            tries = CURRENT.get()
            if tries is not None:
                tries.request_answered(context.trace_request_ctx, status)
            if status == 429:
                retry_after = params.response.headers.get("Retry-After")
                self._gate.pause(_protocol.parse_retry_after(retry_after))

        config = aiohttp.TraceConfig()
        config.on_request_start.append(on_request_start)
        config.on_request_end.append(on_request_end)
        return config

    def key_for(self, item_id: str) -> str:
        """The idempotency key this batch sends for ``item_id``."""
        return idempotency_key_for(self._secret, self.batch_id, item_id)

    def stop(self) -> None:
        """Take no more items; ``run()`` returns once the calls in flight have ended."""
        self._stopping = True
        if self._source is not None:
            self._source.closed = True

    # -- running -----------------------------------------------------------------------------

    async def run(
        self,
        client: PlexyClient,
        items: Iterable[Item] | AsyncIterable[Item],
        operation: str | Operation,
    ) -> BatchSummary:
        """Run every item through ``operation`` and return the summary.

        ``operation`` is a service call by name, such as ``"payments.create"`` (called with the
        item's ``params`` as keyword arguments and ``idempotency_key=``), or an async callable
        ``(item, idempotency_key) -> response``.

        An item's error never stops the batch: it is counted and journalled.

        Args:
            client: The client to call; its pool must hold ``concurrency`` connections (see
                ``pool_limits``), and ``trace_configs=[batch.trace_config()]`` is recommended.
            items: ``BatchItem`` (or ``InvalidItem``) objects, read lazily.
            operation: A service call by name, or an async callable.

        Returns:
            The counts, throughput and latency percentiles (seconds) of the run.

        Raises:
            RuntimeError: This batch already ran.
            ConfigurationError: An unknown operation, one that takes no idempotency key, a pool
                smaller than ``concurrency``, or a journal of another batch, operation or secret.
            Exception: Whatever reading ``items`` raised (the calls in flight end first).
        """
        if self._ran:
            raise RuntimeError("a Batch runs once; create another to run again or to resume")
        self._ran = True
        call, name = _resolve(client, operation)
        self._check_pool(client)
        self._open_journal(name)
        self._gate.bind()  # the gate belongs to this run's loop
        source = self._source = Source(items)
        if self._stopping:
            source.closed = True
        self.stats.started = time.monotonic()
        workers = [asyncio.create_task(self._worker(source, call)) for _ in range(self.concurrency)]
        interrupted = True
        try:
            await asyncio.gather(*workers)
            interrupted = self._stopping or source.error is not None
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            await source.aclose()
            self._gate.close()
            self.stats.ended = time.monotonic()
            self._close_journal(interrupted)
        if source.error is not None:
            raise source.error
        return self.summary(interrupted=interrupted)

    def summary(self, *, interrupted: bool = False) -> BatchSummary:
        """The summary so far (``run()`` returns the final one)."""
        return BatchSummary.of(
            self.stats,
            batch_id=self.batch_id,
            operation=self._state.operation or "",
            concurrency=self.concurrency,
            interrupted=interrupted,
            journal=self.journal,
        )

    def _check_pool(self, client: PlexyClient) -> None:
        pool = client.config.pool
        if 0 < pool.limit < self.concurrency or 0 < pool.limit_per_host < self.concurrency:
            raise ConfigurationError(
                f"the client's connection pool (limit={pool.limit}, "
                f"limit_per_host={pool.limit_per_host}) is smaller than the batch's concurrency "
                f"({self.concurrency}): calls would queue for a connection and time out; create "
                "the client with pool=batch.pool_limits()"
            )

    def _open_journal(self, operation: str) -> None:
        key_check = _key_check(self._secret, self.batch_id)
        if self.journal is None:
            self._state = JournalState(batch_id=self.batch_id, operation=operation)
            return
        exists = os.path.exists(self.journal) and os.path.getsize(self.journal) > 0
        if exists and not self.resume:
            raise ConfigurationError(
                f"the journal {self.journal} already exists: pass resume=True to continue that "
                "batch, or choose another journal"
            )
        state = read_journal(self.journal) if exists else JournalState()
        if exists and state.batch_id is None:  # a CSV, the input itself, another file
            raise ConfigurationError(
                f"{self.journal} is not a batch journal (it has no run line): resuming would "
                "append to it; give the journal a batch wrote, or another path"
            )
        _check_resume(state, self.batch_id, operation, key_check)
        state.batch_id, state.operation = self.batch_id, operation
        self._state = state
        self._writer = JournalWriter(self.journal, fsync=self.fsync)
        self._writer.write(
            {
                "event": "run",
                "version": JOURNAL_VERSION,
                "batch_id": self.batch_id,
                "operation": operation,
                "key_check": key_check,
                "concurrency": self.concurrency,
                "resume": exists,
                "at": _now(),
            }
        )

    def _close_journal(self, interrupted: bool) -> None:
        if self._writer is None or self._writer.closed:
            return
        summary = self.summary(interrupted=interrupted).to_dict()
        self._writer.write({"event": "end", "at": _now(), **summary})
        self._writer.close()

    async def _worker(self, source: Source, call: Operation) -> None:
        while not self._stopping:
            item = await source.next()
            if item is None or self._stopping:
                return  # an item taken but not started is not journalled: a resume sends it
            if isinstance(item, InvalidItem):
                earlier = self._sent_before(item)
                if earlier is None:
                    self._record_invalid(item)
                elif earlier in FINISHED:  # a line read otherwise now: its outcome stands
                    self.stats.skipped += 1
                else:
                    self._record_unsent(item, earlier)
            elif self.resume and self._state.finished(item.id, retry_failed=self.retry_failed):
                self.stats.skipped += 1
            else:
                await self._process(item, call)

    def _sent_before(self, item: InvalidItem) -> Outcome | None:
        """How a resumed batch's earlier run left this line's item, if it sent it (None: it
        did not). A line read differently now (other flags, an edited file) must not be
        journalled as rejected over a charge."""
        if not self.resume or item.id is None:
            return None
        earlier = self._state.outcomes.get(item.id)
        return None if earlier is Outcome.REJECTED else earlier

    async def _process(self, item: BatchItem, call: Operation) -> None:
        state = self._state
        key = state.resend_key(item.id) or self.key_for(item.id)
        tries = ItemTries(in_doubt_before=state.outcomes.get(item.id) is Outcome.IN_DOUBT)
        token = CURRENT.set(tries)  # for the trace hooks: they run in this task
        try:
            await self._send_item(item, call, key, tries)
        finally:
            CURRENT.reset(token)

    async def _send_item(
        self, item: BatchItem, call: Operation, key: str, tries: ItemTries
    ) -> None:
        """Call ``call`` for the item until it ends (sent again at most ``max_resends`` times
        after a 429 or a 409 in flight), and journal how it ended."""
        started = time.monotonic()

        def end(outcome: Outcome, attempts: int | None, **fields: Any) -> None:
            self._end(item, key, outcome, started, attempts, **fields)

        error: Exception | None = None
        waiting = False  # between two calls: the item waits to be sent again after ``error``
        try:
            for round_ in range(self.max_resends + 1):
                await self._gate.wait()
                waiting = False
                self.stats.in_flight += 1
                try:
                    result = await call(item, key)
                except asyncio.CancelledError:
                    # without the trace hooks nothing counts the requests of a call cut short
                    attempts = tries.attempts if tries.sent else None
                    end(Outcome.IN_DOUBT, attempts, error=CANCELLED, cancelled=True)
                    raise
                except Exception as exc:
                    tries.ended(exc)
                    error = exc
                else:
                    tries.ended(result)
                    end(result_outcome(result), tries.attempts, result=result_fields(result))
                    return
                finally:
                    self.stats.in_flight -= 1
                waiting = True
                if round_ == self.max_resends or not await self._resend_later(error, round_):
                    break
        except asyncio.CancelledError:
            if waiting and error is not None:  # it ends as its last call did
                fields = error_fields(error) | {"cancelled": True}
                end(tries.outcome(error), tries.attempts, error=fields, cancelled=True)
            raise
        assert error is not None
        end(tries.outcome(error), tries.attempts, error=error_fields(error))

    async def _resend_later(self, exc: Exception, round_: int) -> bool:
        """Whether to send the item again: after a 429 (the gate waits), or while the server
        is still busy with the same key (409 in flight)."""
        if isinstance(exc, RateLimitError):
            self._gate.pause(exc.retry_after)
            return True
        if in_flight_conflict(exc):
            await asyncio.sleep(min(0.25 * 2**round_, 5.0))
            return True
        return False

    def _end(
        self,
        item: BatchItem,
        key: str,
        outcome: Outcome,
        started: float,
        attempts: int | None,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
        cancelled: bool = False,
    ) -> None:
        """Count and journal the item's end. ``attempts`` is None when it is not known (a call
        cancelled in flight without the trace config's hooks). The latency of a cancelled item
        is journalled, but kept out of the percentiles: it measures the wait for the cancel."""
        seconds = time.monotonic() - started
        self.stats.add_item(outcome, attempts, seconds, cancelled=cancelled)
        if self._writer is None:
            return
        record: dict[str, Any] = {
            "event": "item",
            "id": item.id,
            "line": item.line,
            "outcome": outcome.value,
            "key": key,
            "attempts": attempts,
            "ms": round(seconds * 1000, 2),
            "at": _now(),
        }
        amount = journal_amount(item.params)
        if amount is not None:
            record["amount"] = amount
        if result is not None:
            record["result"] = result
        if error is not None:
            record["error"] = error
        self._writer.write(record)

    def _record_unsent(self, item: InvalidItem, earlier: Outcome) -> None:
        """An item left in doubt or rate-limited whose line no longer reads: it stays so, with
        its key (counted and journalled as such, not skipped), to be sent once the line is
        fixed."""
        self.stats.counts[earlier] += 1
        if self._writer is not None:
            reason = mask_card_numbers(item.reason)
            self._writer.write(
                {
                    "event": "item",
                    "id": item.id,
                    "line": item.line,
                    "outcome": earlier.value,
                    "key": self._state.resend_key(item.id or ""),
                    "attempts": 0,
                    "error": {
                        "type": "InvalidInput",
                        "message": f"{reason}: not sent again; it was sent before and stays "
                        f"{earlier.value.replace('_', ' ')} until the line reads again",
                    },
                    "at": _now(),
                }
            )

    def _record_invalid(self, item: InvalidItem) -> None:
        self.stats.counts[Outcome.REJECTED] += 1
        if self._writer is not None:
            self._writer.write(
                {
                    "event": "item",
                    "id": item.id,
                    "line": item.line,
                    "outcome": Outcome.REJECTED.value,
                    "error": {"type": "InvalidInput", "message": mask_card_numbers(item.reason)},
                    "at": _now(),
                }
            )


def _check_resume(state: JournalState, batch_id: str, operation: str, key_check: str) -> None:
    if state.batch_id is None:
        return
    if state.batch_id != batch_id:
        raise ConfigurationError(
            f"the journal belongs to batch {state.batch_id!r}, not {batch_id!r}"
        )
    if state.operation is not None and state.operation != operation:
        raise ConfigurationError(
            f"the journal was written by operation {state.operation!r}, not {operation!r}"
        )
    if state.key_check is not None and not hmac.compare_digest(state.key_check, key_check):
        raise ConfigurationError(
            "the batch secret differs from the one this journal was written with: the items "
            "in doubt would be sent with new idempotency keys and could be charged twice"
        )


def operation_for(client: PlexyClient, name: str) -> Operation:
    """The service call ``name`` (such as ``"payments.create"``) as a batch operation.

    Args:
        client: The client whose service is called.
        name: ``service.method``, such as ``"payments.create"``.

    Returns:
        An async callable ``(item, idempotency_key) -> response``.

    Raises:
        ConfigurationError: An unknown call, or one that takes no idempotency key.

    Example:
        ::

            call = operation_for(plexy, "payments.create")
            response = await call(BatchItem("order-1", params), batch.key_for("order-1"))
    """
    return _resolve(client, name)[0]


@attrs.frozen
class _ServiceCall:
    """A service method by name, called with an item's params and its idempotency key."""

    name: str
    method: Callable[..., Awaitable[object]]

    async def __call__(self, item: BatchItem, key: str) -> object:
        return await self.method(**item.params, idempotency_key=key)


def _resolve(client: PlexyClient, operation: str | Operation) -> tuple[Operation, str]:
    if isinstance(operation, _ServiceCall):
        return operation, operation.name
    if not isinstance(operation, str):
        if not callable(operation):
            raise ConfigurationError(
                "operation must be a name such as 'payments.create' or a callable"
            )
        return operation, getattr(operation, "__qualname__", type(operation).__name__)
    from plexy_async.resources._base import Service

    service_name, _, method_name = operation.partition(".")
    service = None
    if service_name.isidentifier() and not service_name.startswith("_"):
        service = getattr(client, service_name, None)
    method = getattr(service, method_name, None) if isinstance(service, Service) else None
    if method is None or method_name.startswith("_") or not inspect.iscoroutinefunction(method):
        raise ConfigurationError(f"unknown operation {operation!r}; expected 'service.method'")
    if "idempotency_key" not in inspect.signature(method).parameters:
        raise ConfigurationError(
            f"{operation} takes no idempotency key: only calls that create or move money run "
            "in a batch"
        )
    return _ServiceCall(operation, method), operation


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def run_batch(
    client: PlexyClient,
    items: Iterable[Item] | AsyncIterable[Item],
    operation: str | Operation,
    **options: Any,
) -> BatchSummary:
    """``Batch(**options).run(client, items, operation)`` in one call.

    Args:
        client: The client to call.
        items: ``BatchItem`` (or ``InvalidItem``) objects, read lazily.
        operation: A service call by name, or an async callable.
        **options: ``Batch``'s keyword arguments (``batch_id`` is required).

    Returns:
        The run's summary.

    Raises:
        ConfigurationError: As ``Batch()`` and ``Batch.run()`` raise it.

    Example:
        ::

            summary = await run_batch(plexy, items, "payments.create", batch_id="june", secret=s)
    """
    return await Batch(**options).run(client, items, operation)
