"""The batch runner against the mock server: charges, journal, concurrency, rate limits."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from batch_support import (
    CVC,
    DECLINE,
    INVALID,
    PAYMENTS,
    SECRET,
    VISA,
    assert_ledger_matches_journal,
    client_for,
    item_records,
    last_records,
    payment_item,
    payment_items,
    wait_until,
)

import plexy_async
from plexy_async import PlexyClient, PoolLimits, RetryPolicy, errors
from plexy_async.batch import (
    Batch,
    BatchItem,
    InvalidItem,
    Item,
    LatencyHistogram,
    Outcome,
    idempotency_key_for,
    run_batch,
)
from plexy_async.testing import Fault, MockPlexy

FAULT_PLAN = (
    (Fault.status(503), 3),
    (Fault.drop_after_commit(), 3),
    (Fault.status(429, retry_after=0.2), 1),
    (Fault.status(500, shape="html"), 2),
    (Fault.truncated(), 2),
    (Fault.drop_before(), 1),
    (Fault.status(502, shape="text"), 2),
)


def two_thousand_payments() -> Iterator[Item]:
    for i in range(2000):
        card = DECLINE if i % 10 == 0 else VISA
        if i in (501, 1501):
            card = INVALID
        yield payment_item(i, card)
        if i in (700, 1400):
            yield InvalidItem(line=10_000 + i, reason=f"line {10_000 + i}: missing amount")


async def test_2000_payments_with_faults_one_charge_per_succeeded_item(
    mock_plexy: MockPlexy, tmp_path: Path
) -> None:
    for fault, times in FAULT_PLAN:
        mock_plexy.faults.add(*PAYMENTS, fault, times=times, after=150)
    journal = tmp_path / "journal.jsonl"
    batch = Batch(batch_id="b-2000", secret=SECRET, concurrency=50, journal=journal)
    async with client_for(mock_plexy, batch) as plexy:
        summary = await batch.run(plexy, two_thousand_payments(), "payments.create")

    # every fault was used, so the run really went through them
    assert mock_plexy.faults.pending() == 0
    faulted = [r for r in mock_plexy.ledger.requests if r.fault is not None]
    assert len(faulted) == sum(times for _, times in FAULT_PLAN)
    assert summary.counts == {
        Outcome.SUCCEEDED: 2000 - 200 - 2,
        Outcome.DECLINED: 200,
        Outcome.FAILED: 2,
        Outcome.IN_DOUBT: 0,
        Outcome.RATE_LIMITED: 0,
        Outcome.REJECTED: 2,
    }
    assert summary.retries >= len(faulted)
    assert summary.rate_limit_pauses >= 1
    assert not summary.interrupted
    # the ledger: exactly one charge per succeeded item, under the item's own key
    assert assert_ledger_matches_journal(mock_plexy, journal, "b-2000") == 1798
    # the journal: every item once, the rejected lines by number, failures with their status
    records = item_records(journal)
    ids = Counter(r["id"] for r in records if r["id"] is not None)
    assert set(ids) == {f"order-{i:05d}" for i in range(2000)}
    assert set(ids.values()) == {1}
    assert sorted(r["line"] for r in records if r["outcome"] == "rejected") == [10700, 11400]
    failed = [r for r in records if r["outcome"] == "failed"]
    assert {r["id"] for r in failed} == {"order-00501", "order-01501"}
    assert {r["error"]["status"] for r in failed} == {422}
    assert mock_plexy.ledger.peak_in_flight <= 50
    assert batch._state.outcomes == {}  # nothing kept per item: memory stays flat


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_concurrency_bound_is_reached_and_never_exceeded(
    mock_plexy: MockPlexy, kind: str
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.delay(0.03), times=None)
    batch = Batch(batch_id="b-bound", secret=SECRET, concurrency=7)
    pulled = 0
    most_tasks = 0

    def counted() -> Iterator[BatchItem]:
        nonlocal pulled, most_tasks
        for item in payment_items(70):
            # never read ahead of the workers: at most one item per worker is out
            assert pulled - batch.stats.done <= 7
            most_tasks = max(most_tasks, len(_library_tasks()))
            pulled += 1
            yield item

    async def async_counted() -> AsyncIterator[BatchItem]:
        for item in counted():
            await asyncio.sleep(0)
            yield item

    items = counted() if kind == "sync" else async_counted()
    async with client_for(mock_plexy, batch) as plexy:
        summary = await batch.run(plexy, items, "payments.create")
    assert summary.counts[Outcome.SUCCEEDED] == 70
    assert mock_plexy.ledger.peak_in_flight == 7
    assert most_tasks == 7  # the workers: never a task per item
    assert len(mock_plexy.ledger.charges) == 70


def _library_tasks() -> list[asyncio.Task[Any]]:
    """The tasks running plexy_async code (not aiohttp's, asyncio's or the test's)."""
    package = str(Path(plexy_async.__file__).parent)
    return [
        t
        for t in asyncio.all_tasks()
        if getattr(getattr(t.get_coro(), "cr_code", None), "co_filename", "").startswith(package)
    ]


async def test_a_pool_smaller_than_the_concurrency_is_refused(mock_plexy: MockPlexy) -> None:
    batch = Batch(batch_id="b", secret=SECRET, concurrency=200)
    assert batch.pool_limits().limit == 200
    assert batch.pool_limits(PoolLimits(limit=500)).limit == 500
    async with PlexyClient(api_key=mock_plexy.api_key, base_url=mock_plexy.url) as plexy:
        with pytest.raises(errors.ConfigurationError, match="pool"):
            await batch.run(plexy, payment_items(1), "payments.create")
    assert mock_plexy.ledger.requests == []


def test_idempotency_keys_are_an_hmac_of_batch_and_item() -> None:
    key = idempotency_key_for(SECRET, "batch-1", "order-1")
    assert key == idempotency_key_for(SECRET.encode(), "batch-1", "order-1")
    expected = hmac.new(SECRET.encode(), b"7:batch-1:order-1", hashlib.sha256).hexdigest()[:48]
    assert key == "pb_" + expected
    assert len(key) <= 64 and key.isascii() and key.isprintable()
    others = {
        idempotency_key_for("another secret", "batch-1", "order-1"),
        idempotency_key_for(SECRET, "batch-2", "order-1"),
        idempotency_key_for(SECRET, "batch-1", "order-2"),
    }
    assert len(others) == 3 and key not in others
    # the batch id's length is part of the message: ("ab", "c:d") and ("ab:c", "d") differ
    assert idempotency_key_for(SECRET, "ab", "c:d") != idempotency_key_for(SECRET, "ab:c", "d")


def test_a_batch_needs_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLEXY_BATCH_SECRET", raising=False)
    with pytest.raises(errors.ConfigurationError, match="PLEXY_BATCH_SECRET"):
        Batch(batch_id="b")
    monkeypatch.setenv("PLEXY_BATCH_SECRET", SECRET)
    batch = Batch(batch_id="b")
    assert batch.key_for("x") == idempotency_key_for(SECRET, "b", "x")
    assert SECRET not in repr(batch)


async def test_a_rerun_sends_the_same_keys_and_charges_nobody_twice(
    mock_plexy: MockPlexy,
) -> None:
    first = Batch(batch_id="b-rerun", secret=SECRET, concurrency=10)
    async with client_for(mock_plexy, first) as plexy:
        await first.run(plexy, payment_items(40), "payments.create")
        again = await run_batch(
            plexy,
            payment_items(40),
            "payments.create",
            batch_id="b-rerun",
            secret=SECRET,
            concurrency=10,
        )
    assert again.counts[Outcome.SUCCEEDED] == 40
    assert len(mock_plexy.ledger.charges) == 40
    assert sum(r.replayed for r in mock_plexy.ledger.requests) == 40


async def test_the_journal_holds_no_card_data_no_secret_no_api_key(
    mock_plexy: MockPlexy, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.jsonl"
    batch = Batch(batch_id="b-secrets", secret=SECRET, concurrency=4, journal=journal)
    plexy_payments: Any = None

    async def operation(item: BatchItem, key: str) -> object:
        if item.id == "order-00003":
            raise ValueError(f"card {VISA} was refused by a plug-in")
        return await plexy_payments.create(**item.params, idempotency_key=key)

    items = [*payment_items(6), payment_item(6, INVALID)]
    async with client_for(mock_plexy, batch) as plexy:
        plexy_payments = plexy.payments
        summary = await batch.run(plexy, items, operation)
    assert summary.counts[Outcome.FAILED] == 2
    text = journal.read_text()
    for secret in (VISA, INVALID, SECRET, mock_plexy.api_key):
        assert secret not in text
    values = [v for r in item_records(journal) for v in _strings(r)]
    assert CVC not in values
    assert "424242******4242" in text  # the plug-in's message, masked
    assert not any("cvc" in key.lower() or "number" in key.lower() for key in _keys(text))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _keys(text: str) -> set[str]:
    keys: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            keys.update(value)
            for v in value.values():
                walk(v)

    for line in text.splitlines():
        walk(json.loads(line))
    return keys


async def test_one_item_error_never_stops_the_batch(mock_plexy: MockPlexy, tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    batch = Batch(batch_id="b-errors", secret=SECRET, concurrency=3, journal=journal)
    calls: Any = None

    async def operation(item: BatchItem, key: str) -> object:
        number = int(item.id.split("-")[1])
        if number % 5 == 1:
            raise RuntimeError("a bug in the caller's operation")
        if number % 5 == 2:
            raise errors.InvalidRequestError("PaymentRequest: bad argument")
        return await calls.create(**item.params, idempotency_key=key)

    async with client_for(mock_plexy, batch) as plexy:
        calls = plexy.payments
        summary = await batch.run(plexy, payment_items(20), operation)
    assert summary.counts[Outcome.SUCCEEDED] == 12
    assert summary.counts[Outcome.FAILED] == 4
    assert summary.counts[Outcome.REJECTED] == 4
    errors_by_type = Counter(
        r["error"]["type"] for r in item_records(journal) if r["outcome"] != "succeeded"
    )
    assert errors_by_type == {"RuntimeError": 4, "InvalidRequestError": 4}
    assert len(mock_plexy.ledger.charges) == 12


async def test_a_429_closes_the_gate_for_every_worker(mock_plexy: MockPlexy) -> None:
    requests = await _run_with_a_429(mock_plexy, trace=True)
    assert requests["in_window"] == 0
    assert requests["after_window"] > 0


async def test_without_the_gate_workers_keep_sending_during_a_429(mock_plexy: MockPlexy) -> None:
    # The control for the test above: the window check can fail.
    requests = await _run_with_a_429(mock_plexy, trace=False)
    assert requests["in_window"] > 0


async def _run_with_a_429(mock: MockPlexy, *, trace: bool) -> dict[str, int]:
    mock.faults.add(*PAYMENTS, Fault.status(429, retry_after=0.4), after=8)
    mock.faults.add(*PAYMENTS, Fault.delay(0.01), times=None)  # then 10 ms a call, so the
    # batch is still running long after the 429, however fast the machine
    batch = Batch(batch_id="b-429", secret=SECRET, concurrency=4)
    async with client_for(mock, batch, trace=trace) as plexy:
        summary = await batch.run(plexy, payment_items(150), "payments.create")
    assert summary.counts[Outcome.SUCCEEDED] == 150
    assert summary.rate_limit_pauses == (1 if trace else 0)
    assert len(mock.ledger.charges) == 150
    limited = [r for r in mock.ledger.requests if r.status == 429]
    assert len(limited) == 1 and limited[0].ended is not None
    t0 = limited[0].ended
    starts = [r.started - t0 for r in mock.ledger.requests]
    return {
        "in_window": sum(1 for s in starts if 0.1 < s < 0.35),
        "after_window": sum(1 for s in starts if s >= 0.35),
    }


async def test_an_item_that_ends_on_a_429_waits_and_is_sent_again(
    mock_plexy: MockPlexy, tmp_path: Path
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.status(429, retry_after=0.2), after=2)
    journal = tmp_path / "journal.jsonl"
    batch = Batch(batch_id="b-429-end", secret=SECRET, concurrency=2, journal=journal)
    async with client_for(mock_plexy, batch, RetryPolicy.disabled(), trace=False) as plexy:
        summary = await batch.run(plexy, payment_items(10), "payments.create")
    assert summary.counts[Outcome.SUCCEEDED] == 10
    assert summary.rate_limit_pauses == 1
    assert summary.retries == 1
    twice = [r for r in item_records(journal) if r["attempts"] == 2]
    assert len(twice) == 1
    keys = [r.idempotency_key for r in mock_plexy.ledger.requests]
    assert keys.count(twice[0]["key"]) == 2
    assert len(mock_plexy.ledger.charges) == 10


async def test_an_error_in_the_input_stops_the_batch_after_the_calls_in_flight(
    mock_plexy: MockPlexy, tmp_path: Path
) -> None:
    def broken() -> Iterator[BatchItem]:
        yield from payment_items(25)
        raise OSError("the input file went away")

    journal = tmp_path / "journal.jsonl"
    batch = Batch(batch_id="b-broken", secret=SECRET, concurrency=5, journal=journal)
    async with client_for(mock_plexy, batch) as plexy:
        with pytest.raises(OSError, match="went away"):
            await batch.run(plexy, broken(), "payments.create")
    assert len(last_records(journal)) == 25
    assert len(mock_plexy.ledger.charges) == 25
    end = [r for r in (json.loads(x) for x in journal.read_text().splitlines())][-1]
    assert end["event"] == "end" and end["interrupted"] is True


async def test_stop_lets_the_calls_in_flight_end(mock_plexy: MockPlexy, tmp_path: Path) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.delay(0.05), times=None)
    journal = tmp_path / "journal.jsonl"
    batch = Batch(batch_id="b-stop", secret=SECRET, concurrency=5, journal=journal)
    async with client_for(mock_plexy, batch) as plexy:
        task = asyncio.create_task(batch.run(plexy, payment_items(100), "payments.create"))
        await wait_until(lambda: batch.stats.done >= 10 and batch.stats.in_flight == 5)
        batch.stop()
        summary = await task
    assert summary.interrupted
    assert summary.counts[Outcome.IN_DOUBT] == 0
    assert 10 < summary.processed < 100
    assert len(mock_plexy.ledger.charges) == summary.counts[Outcome.SUCCEEDED]
    assert len(last_records(journal)) == summary.processed


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        ("payments.nope", "unknown operation"),
        ("_pool.send", "unknown operation"),
        ("payments", "unknown operation"),
        ("sessions.result", "no idempotency key"),
    ],
)
async def test_an_unknown_or_read_only_operation_is_refused(
    client: PlexyClient, operation: str, message: str
) -> None:
    batch = Batch(batch_id="b", secret=SECRET, concurrency=2)
    with pytest.raises(errors.ConfigurationError, match=message):
        await batch.run(client, payment_items(1), operation)


async def test_a_batch_runs_once(client: PlexyClient) -> None:
    batch = Batch(batch_id="b", secret=SECRET, concurrency=2)
    await batch.run(client, [], "payments.create")
    with pytest.raises(RuntimeError, match="once"):
        await batch.run(client, [], "payments.create")


def test_the_latency_histogram_is_within_two_percent() -> None:
    histogram = LatencyHistogram()
    values = [0.001 * (1 + i % 997) for i in range(20_000)]
    for v in values:
        histogram.add(v)
    ordered = sorted(values)
    for p in (50, 90, 99):
        exact = ordered[int(len(ordered) * p / 100) - 1]
        assert exact <= histogram.percentile(p) <= exact * 1.021
    assert histogram.percentile(100) == histogram.max == max(values)
    assert LatencyHistogram().percentile(50) == 0.0
    with pytest.raises(ValueError, match="percentile"):
        histogram.percentile(101)


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (errors.OutcomeUnknownError("dropped"), Outcome.IN_DOUBT),
        (errors.APITimeoutError("read timeout", maybe_sent=True), Outcome.IN_DOUBT),
        (errors.ServerError("504", status=504), Outcome.IN_DOUBT),
        (errors.RateLimitError("429", status=429), Outcome.RATE_LIMITED),
        (errors.ResponseDecodeError("not JSON", status=200), Outcome.IN_DOUBT),
        (
            errors.ConflictError(
                "409",
                status=409,
                detail=errors.ErrorDetail(code="idempotency_key_in_flight"),
            ),
            Outcome.IN_DOUBT,
        ),
        (
            errors.ConflictError(
                "409", status=409, detail=errors.ErrorDetail(code="idempotency_key_in_use")
            ),
            Outcome.FAILED,
        ),
        (errors.ConnectError("refused"), Outcome.FAILED),
        (errors.CardError("402", status=402), Outcome.FAILED),
        (errors.UnprocessableEntityError("422", status=422), Outcome.FAILED),
        (ValueError("a bug"), Outcome.FAILED),
        (errors.InvalidRequestError("bad argument"), Outcome.REJECTED),
    ],
)
def test_errors_are_in_doubt_whenever_the_call_may_have_been_processed(
    error: Exception, outcome: Outcome
) -> None:
    from plexy_async.batch._outcomes import outcome_of

    assert outcome_of(error) is outcome
