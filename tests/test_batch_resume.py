"""Cancelling, stopping and resuming a batch: the ledger ends with one charge per item."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import pytest
from batch_support import (
    INVALID,
    PAYMENTS,
    SECRET,
    assert_ledger_matches_journal,
    client_for,
    item_records,
    last_records,
    payment_item,
    payment_items,
    wait_until,
)

from plexy_async import RetryPolicy, errors
from plexy_async.batch import Batch, BatchItem, InvalidItem, Outcome, read_journal
from plexy_async.testing import Fault, MockPlexy


async def test_cancel_halfway_then_resume_charges_each_item_once(
    mock_plexy: MockPlexy, tmp_path: Path
) -> None:
    # Some calls are slow, so the cancel finds calls in flight on the server too.
    mock_plexy.faults.add(*PAYMENTS, Fault.delay(0.5), times=20, after=450)
    journal = tmp_path / "journal.jsonl"
    first = Batch(batch_id="b-cancel", secret=SECRET, concurrency=50, journal=journal)
    async with client_for(mock_plexy, first) as plexy:
        task = asyncio.create_task(first.run(plexy, payment_items(1000), "payments.create"))
        await wait_until(lambda: first.stats.done >= 500)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

        halfway = last_records(journal)
        in_doubt = {i: r["key"] for i, r in halfway.items() if r["outcome"] == "in_doubt"}
        finished = {i for i, r in halfway.items() if r["outcome"] == "succeeded"}
        assert 0 < len(in_doubt) <= 50  # the calls in flight, journalled with their keys
        assert 500 <= len(finished) < 1000
        assert all(
            r["error"]["type"] == "CancelledError" for r in halfway.values() if r["id"] in in_doubt
        )
        charged_before = len(mock_plexy.ledger.charges)
        requests_before = len(mock_plexy.ledger.requests)

        second = Batch(
            batch_id="b-cancel", secret=SECRET, concurrency=50, journal=journal, resume=True
        )
        summary = await second.run(plexy, payment_items(1000), "payments.create")

    assert summary.skipped == len(finished)
    assert summary.counts[Outcome.SUCCEEDED] == 1000 - len(finished)
    assert summary.counts[Outcome.IN_DOUBT] == 0
    # the in-doubt items went out again with their original keys
    resent = Counter(r.idempotency_key for r in mock_plexy.ledger.requests[requests_before:])
    assert all(resent[key] >= 1 for key in in_doubt.values())
    # in doubt were both calls the server had committed (now replayed, not charged again) and
    # calls it had not (the slow ones: charged now, once)
    assert len(finished) < charged_before < len(finished) + len(in_doubt)
    assert sum(r.replayed for r in mock_plexy.ledger.requests) == charged_before - len(finished)
    assert assert_ledger_matches_journal(mock_plexy, journal, "b-cancel") == 1000
    assert read_journal(journal).counts()[Outcome.SUCCEEDED] == 1000


async def test_resume_sends_in_doubt_items_again_with_their_key_and_skips_the_rest(
    mock_plexy: MockPlexy, tmp_path: Path
) -> None:
    # Without retries, a connection dropped after the commit leaves the item in doubt.
    mock_plexy.faults.add(*PAYMENTS, Fault.drop_after_commit(), times=3, after=5)
    journal = tmp_path / "journal.jsonl"
    first = Batch(batch_id="b-doubt", secret=SECRET, concurrency=4, journal=journal)
    async with client_for(mock_plexy, first, RetryPolicy.disabled()) as plexy:
        summary = await first.run(plexy, payment_items(30), "payments.create")
        assert summary.counts[Outcome.IN_DOUBT] == 3
        assert len(mock_plexy.ledger.charges) == 30  # the server committed all three
        doubt = {
            i: r["key"] for i, r in last_records(journal).items() if r["outcome"] == "in_doubt"
        }

        resumed = Batch(
            batch_id="b-doubt", secret=SECRET, concurrency=4, journal=journal, resume=True
        )
        again = await resumed.run(plexy, payment_items(30), "payments.create")

    assert again.skipped == 27
    assert again.counts[Outcome.SUCCEEDED] == 3
    replays = [r for r in mock_plexy.ledger.requests if r.replayed]
    assert sorted(str(r.idempotency_key) for r in replays) == sorted(doubt.values())
    assert assert_ledger_matches_journal(mock_plexy, journal, "b-doubt") == 30
    runs = [json.loads(x) for x in journal.read_text().splitlines() if '"event":"run"' in x]
    assert [r["resume"] for r in runs] == [False, True]


async def test_resume_after_stop_finishes_the_rest(mock_plexy: MockPlexy, tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    first = Batch(batch_id="b-stop", secret=SECRET, concurrency=8, journal=journal)
    async with client_for(mock_plexy, first) as plexy:
        task = asyncio.create_task(first.run(plexy, payment_items(400), "payments.create"))
        await wait_until(lambda: first.stats.done >= 100)
        first.stop()
        stopped = await task
        assert stopped.interrupted and stopped.counts[Outcome.IN_DOUBT] == 0
        second = Batch(
            batch_id="b-stop", secret=SECRET, concurrency=8, journal=journal, resume=True
        )
        rest = await second.run(plexy, payment_items(400), "payments.create")
    assert rest.skipped == stopped.processed
    assert stopped.processed + rest.processed == 400
    assert assert_ledger_matches_journal(mock_plexy, journal, "b-stop") == 400


async def test_retry_failed_sends_failed_items_again(mock_plexy: MockPlexy, tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    items = [payment_item(0), payment_item(1, INVALID)]
    first = Batch(batch_id="b-failed", secret=SECRET, concurrency=2, journal=journal)
    async with client_for(mock_plexy, first) as plexy:
        assert (await first.run(plexy, items, "payments.create")).counts[Outcome.FAILED] == 1
        plain = Batch(batch_id="b-failed", secret=SECRET, journal=journal, resume=True)
        assert (await plain.run(plexy, items, "payments.create")).skipped == 2
        retry = Batch(
            batch_id="b-failed", secret=SECRET, journal=journal, resume=True, retry_failed=True
        )
        fixed = [payment_item(0), payment_item(1)]  # the card number was corrected
        summary = await retry.run(plexy, fixed, "payments.create")
    assert summary.skipped == 1
    assert summary.counts[Outcome.SUCCEEDED] == 1
    assert assert_ledger_matches_journal(mock_plexy, journal, "b-failed") == 2


async def test_rejected_lines_are_read_again_on_resume(
    mock_plexy: MockPlexy, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.jsonl"
    bad: list[BatchItem | InvalidItem] = [
        payment_item(0),
        InvalidItem(line=2, reason="line 2: missing amount", id="order-00001"),
        InvalidItem(line=3, reason="line 3: malformed JSON"),
    ]
    first = Batch(batch_id="b-rejected", secret=SECRET, concurrency=2, journal=journal)
    async with client_for(mock_plexy, first) as plexy:
        summary = await first.run(plexy, bad, "payments.create")
        assert summary.counts[Outcome.REJECTED] == 2
        assert read_journal(journal).counts()[Outcome.REJECTED] == 2
        second = Batch(batch_id="b-rejected", secret=SECRET, journal=journal, resume=True)
        fixed = [payment_item(0), payment_item(1), payment_item(2)]
        again = await second.run(plexy, fixed, "payments.create")
    assert again.skipped == 1
    assert again.counts[Outcome.SUCCEEDED] == 2
    rejected = [r for r in item_records(journal) if r["outcome"] == "rejected"]
    assert [(r["id"], r["line"]) for r in rejected] == [("order-00001", 2), (None, 3)]
    assert assert_ledger_matches_journal(mock_plexy, journal, "b-rejected") == 3


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"secret": "another secret"}, "secret differs"),
        ({"batch_id": "b-other"}, "belongs to batch"),
        ({"operation": "sessions.create"}, "written by operation"),
        ({"resume": False}, "already exists"),
    ],
)
async def test_a_resume_that_does_not_match_the_journal_is_refused(
    mock_plexy: MockPlexy, tmp_path: Path, changes: dict[str, object], message: str
) -> None:
    journal = tmp_path / "journal.jsonl"
    first = Batch(batch_id="b-check", secret=SECRET, concurrency=2, journal=journal)
    async with client_for(mock_plexy, first) as plexy:
        await first.run(plexy, payment_items(3), "payments.create")
        options: dict[str, object] = {
            "batch_id": "b-check",
            "secret": SECRET,
            "journal": journal,
            "resume": True,
        }
        operation = str(changes.pop("operation", "payments.create"))
        options.update(changes)
        again = Batch(**options)  # type: ignore[arg-type]
        with pytest.raises(errors.ConfigurationError, match=message):
            await again.run(plexy, payment_items(3), operation)
    assert len(mock_plexy.ledger.requests) == 3


def test_a_journal_cut_off_by_a_crash_is_continued_on_a_new_line(tmp_path: Path) -> None:
    from plexy_async.batch._journal import JournalWriter

    journal = tmp_path / "journal.jsonl"
    journal.write_text(
        '{"event":"run","batch_id":"b","operation":"payments.create","key_check":"x"}\n'
        '{"event":"item","id":"a","outcome":"succeeded","key":"k1"}\n'
        '{"event":"item","id":"b","outcome":"in_doubt","key":"k2"}\n'
        '{"event":"item","id":"c","outco'
    )
    writer = JournalWriter(journal)
    writer.write({"event": "item", "id": "d", "outcome": "failed", "key": "k4"})
    writer.close()
    state = read_journal(journal)
    assert state.batch_id == "b"
    assert state.outcomes == {"a": Outcome.SUCCEEDED, "b": Outcome.IN_DOUBT, "d": Outcome.FAILED}
    assert state.in_doubt_keys == {"b": "k2"}
    assert state.unreadable_lines == 1
    assert state.finished("a") and state.finished("d") and not state.finished("b")
    assert not state.finished("d", retry_failed=True)
