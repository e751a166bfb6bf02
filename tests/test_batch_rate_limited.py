"""Issue 10, point 8: rate-limited is not "in doubt"; a cancel keeps the true attempts.

* An item every request of which was answered 429 was never processed (429s come before the
  idempotency layer): it is journalled ``rate_limited`` with its key, counted on its own, not
  finished, and a resume sends it again with the same key.
* As soon as one of its requests may have reached processing (a drop after the commit, a cut
  body, a timeout, a 5xx, an earlier run that left it in doubt), the 429 at the end settles
  nothing: the item is in doubt.
* A call cancelled in flight is journalled with the requests it really sent, and its latency
  (the wait for the cancel) stays out of the percentiles.

Every test checks the mock's ledger as well as the journal.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from batch_support import (
    PAYMENTS,
    SECRET,
    assert_ledger_matches_journal,
    client_for,
    item_records,
    last_records,
    payment_items,
    wait_until,
)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from plexy_async import PlexyClient, RetryPolicy, Timeouts, cli, errors
from plexy_async.batch import Batch, Outcome, idempotency_key_for, read_journal
from plexy_async.batch._outcomes import ItemTries, outcome_of
from plexy_async.cli._demo import DemoInput, reconcile
from plexy_async.cli._progress import counts_text
from plexy_async.testing import Fault, MockPlexy

RETRY = RetryPolicy(max_attempts=3, initial_delay=0.0, max_delay=0.0, jitter=False)
MAX_RESENDS = 1
EVERY_ATTEMPT = RETRY.max_attempts * (MAX_RESENDS + 1)  # requests of an item 429'd throughout
LIMITED = Fault.status(429, retry_after=0.01)


def ref(i: int) -> str:
    return f"order-{i:05d}"


def requests_with(mock: MockPlexy, key: str) -> list[Any]:
    return [r for r in mock.ledger.requests if r.idempotency_key == key]


def batch(batch_id: str, journal: Path | None, **options: Any) -> Batch:
    options.setdefault("max_resends", MAX_RESENDS)
    return Batch(batch_id=batch_id, secret=SECRET, journal=journal, **options)


# --- rate-limited on every attempt -------------------------------------------------------------


async def test_items_429d_on_every_attempt_are_rate_limited_then_resent_with_their_key(
    mock_plexy: MockPlexy, tmp_path: Path
) -> None:
    # concurrency 1: items 2 and 6 get every one of their requests answered 429
    mock_plexy.faults.add(*PAYMENTS, LIMITED, times=EVERY_ATTEMPT, after=2)
    mock_plexy.faults.add(*PAYMENTS, LIMITED, times=EVERY_ATTEMPT, after=3)
    journal = tmp_path / "journal.jsonl"
    first = batch("b-rl", journal, concurrency=1)
    async with client_for(mock_plexy, first, RETRY) as plexy:
        summary = await first.run(plexy, payment_items(10), "payments.create")

        limited = {ref(2), ref(6)}
        keys = {i: idempotency_key_for(SECRET, "b-rl", i) for i in limited}
        assert summary.counts[Outcome.RATE_LIMITED] == 2
        assert summary.counts[Outcome.IN_DOUBT] == 0
        assert summary.counts[Outcome.SUCCEEDED] == 8
        assert not summary.all_settled  # a rate-limited item is not finished
        assert re.search(r"rate-limited\s+2\n", summary.format())
        assert summary.to_dict()["counts"]["rate_limited"] == 2
        last = last_records(journal)
        for item_id, key in keys.items():
            record = last[item_id]
            assert record["outcome"] == "rate_limited"
            assert record["key"] == key
            assert record["attempts"] == EVERY_ATTEMPT
            assert record["error"]["type"] == "RateLimitError"
            assert record["error"]["status"] == 429
            sent = requests_with(mock_plexy, key)
            assert len(sent) == EVERY_ATTEMPT and {r.status for r in sent} == {429}
            assert mock_plexy.ledger.charges_for(item_id) == []  # never processed
        state = read_journal(journal)
        assert state.rate_limited_keys == keys and state.in_doubt_keys == {}
        assert not any(state.finished(i) for i in limited)
        requests_before = len(mock_plexy.ledger.requests)

        resumed = batch("b-rl", journal, concurrency=1, resume=True)
        again = await resumed.run(plexy, payment_items(10), "payments.create")

    assert again.skipped == 8
    assert again.counts[Outcome.SUCCEEDED] == 2
    assert again.all_settled
    resent = mock_plexy.ledger.requests[requests_before:]
    assert sorted(str(r.idempotency_key) for r in resent) == sorted(keys.values())
    assert not any(r.replayed for r in resent)  # nothing was stored for them: charged now
    for item_id, key in keys.items():
        charges = mock_plexy.ledger.charges_for(item_id)
        assert [c.idempotency_key for c in charges] == [key]
    assert assert_ledger_matches_journal(mock_plexy, journal, "b-rl") == 10
    assert read_journal(journal).counts()[Outcome.RATE_LIMITED] == 0


async def test_rate_limited_at_full_concurrency_nothing_charged_then_all_settled(
    mock_plexy: MockPlexy, tmp_path: Path
) -> None:
    mock_plexy.faults.add(*PAYMENTS, LIMITED, times=None)  # the server refuses everything
    journal = tmp_path / "journal.jsonl"
    first = batch("b-rl-all", journal, concurrency=5)
    async with client_for(mock_plexy, first, RETRY) as plexy:
        summary = await first.run(plexy, payment_items(20), "payments.create")
        assert summary.counts[Outcome.RATE_LIMITED] == 20
        assert summary.processed == 20 and summary.rate_limit_pauses >= 1
        assert mock_plexy.ledger.charges == []
        for record in item_records(journal):
            assert record["outcome"] == "rate_limited"
            assert record["attempts"] == len(requests_with(mock_plexy, record["key"]))
        mock_plexy.faults.clear()
        resumed = batch("b-rl-all", journal, concurrency=5, resume=True)
        again = await resumed.run(plexy, payment_items(20), "payments.create")
    assert again.counts[Outcome.SUCCEEDED] == 20
    assert assert_ledger_matches_journal(mock_plexy, journal, "b-rl-all") == 20


async def test_without_the_trace_hooks_one_429_per_call_is_still_rate_limited(
    mock_plexy: MockPlexy, tmp_path: Path
) -> None:
    # No hooks: the client's errors are all there is; one attempt per call, each a 429.
    mock_plexy.faults.add(*PAYMENTS, LIMITED, times=MAX_RESENDS + 1, after=1)
    journal = tmp_path / "journal.jsonl"
    first = batch("b-rl-bare", journal, concurrency=1)
    async with client_for(mock_plexy, first, RetryPolicy.disabled(), trace=False) as plexy:
        summary = await first.run(plexy, payment_items(3), "payments.create")
    assert summary.counts[Outcome.RATE_LIMITED] == 1
    record = last_records(journal)[ref(1)]
    assert record["outcome"] == "rate_limited" and record["attempts"] == MAX_RESENDS + 1
    assert mock_plexy.ledger.charges_for(ref(1)) == []
    assert len(mock_plexy.ledger.charges) == 2


# --- the kind: a request that may have been processed, among 429s ------------------------------

MAYBE_PROCESSED = {
    "drop after commit": Fault.drop_after_commit(),
    "truncated body": Fault.truncated(),
    "unreadable 200": Fault.garbled_after_commit(),
    "dropped unanswered": Fault.drop_before(),
    "503": Fault.status(503),
    "504 text": Fault.status(504, shape="text"),
    "500 html": Fault.status(500, shape="html"),
    "408": Fault.status(408),
}
FAULTS = {**MAYBE_PROCESSED, "429": LIMITED}
# a request that times out; processed once the client has left. Only first: a later one would
# reach the idempotency layer after a commit and get the stored answer back, a success.
TIMEOUT = Fault.delay(5.0)
# the faults an item's first requests meet; every later request is answered 429
FAULTS_FIRST = st.tuples(st.booleans(), st.lists(st.sampled_from(sorted(FAULTS)), max_size=4)).map(
    lambda t: (["timeout"] if t[0] else []) + t[1]
)
SHORT_ATTEMPTS = Timeouts(connect=2.0, read=0.3, attempt=0.3, deadline=30.0)


def short_attempts_client(mock: MockPlexy, run: Batch) -> PlexyClient:
    return PlexyClient(
        api_key=mock.api_key,
        base_url=mock.url,
        retry=RETRY,
        timeouts=SHORT_ATTEMPTS,
        pool=run.pool_limits(),
        trace_configs=[run.trace_config()],
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(before=FAULTS_FIRST)
@example(before=[])
@example(before=["429"])
@example(before=["503"])
@example(before=["429", "408"])
@example(before=["drop after commit"])
@example(before=["dropped unanswered"])
@example(before=["timeout"])
async def test_rate_limited_only_if_no_request_may_have_been_processed(before: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        journal = Path(tmp) / "journal.jsonl"
        async with MockPlexy() as mock:
            mock.faults.add(*PAYMENTS, Fault.delay(0), times=1)  # item 0 passes untouched
            for name in before:
                fault = TIMEOUT if name == "timeout" else FAULTS[name]
                mock.faults.add(*PAYMENTS, fault, times=1)
            mock.faults.add(*PAYMENTS, LIMITED, times=None)
            first = batch("b-kind", journal, concurrency=1)
            async with short_attempts_client(mock, first) as plexy:
                await first.run(plexy, payment_items(2), "payments.create")
                record = last_records(journal)[ref(1)]
                key = idempotency_key_for(SECRET, "b-kind", ref(1))
                assert record["key"] == key
                sent = requests_with(mock, key)
                assert record["attempts"] == len(sent)
                charges = len(mock.ledger.charges_for(ref(1)))
                assert charges <= 1
                if not any(name == "timeout" or FAULTS[name].processes for name in before):
                    assert charges == 0
                if any(name != "429" for name in before):
                    assert record["outcome"] == "in_doubt", (before, record)
                else:
                    assert record["outcome"] == "rate_limited", record
                    assert {r.status for r in sent} == {429}
                    assert mock.ledger.charges_for(ref(1)) == []

                mock.faults.clear()
                await wait_until(lambda: mock.ledger.in_flight == 0)  # a timed-out call ends
                resumed = batch("b-kind", journal, concurrency=1, resume=True)
                again = await resumed.run(plexy, payment_items(2), "payments.create")
            assert again.counts[Outcome.SUCCEEDED] == 1 and again.skipped == 1
            later = requests_with(mock, key)[len(sent) :]
            assert later and {r.idempotency_key for r in later} == {key}
            assert assert_ledger_matches_journal(mock, journal, "b-kind") == 2


async def test_a_drop_after_the_commit_then_429s_is_in_doubt_and_charged_once(
    mock_plexy: MockPlexy, tmp_path: Path
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.drop_after_commit(), times=1, after=1)
    mock_plexy.faults.add(*PAYMENTS, LIMITED, times=RETRY.max_attempts - 1)
    journal = tmp_path / "journal.jsonl"
    first = batch("b-mixed", journal, concurrency=1)
    async with client_for(mock_plexy, first, RETRY) as plexy:
        summary = await first.run(plexy, payment_items(3), "payments.create")
        assert summary.counts[Outcome.IN_DOUBT] == 1
        assert summary.counts[Outcome.RATE_LIMITED] == 0
        record = last_records(journal)[ref(1)]
        assert record["outcome"] == "in_doubt"
        assert record["error"]["type"] == "OutcomeUnknownError"  # the client's own verdict
        assert record["attempts"] == RETRY.max_attempts
        assert len(mock_plexy.ledger.charges_for(ref(1))) == 1  # the dropped one committed
        resumed = batch("b-mixed", journal, concurrency=1, resume=True)
        again = await resumed.run(plexy, payment_items(3), "payments.create")
    assert again.counts[Outcome.SUCCEEDED] == 1
    assert [r.replayed for r in requests_with(mock_plexy, record["key"])][-1] is True
    assert assert_ledger_matches_journal(mock_plexy, journal, "b-mixed") == 3


async def test_an_item_in_doubt_from_an_earlier_run_stays_in_doubt_when_resent_into_429s(
    mock_plexy: MockPlexy, tmp_path: Path
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.drop_after_commit(), times=1, after=1)
    journal = tmp_path / "journal.jsonl"
    first = batch("b-sticky", journal, concurrency=1)
    async with client_for(mock_plexy, first, RetryPolicy.disabled()) as plexy:
        await first.run(plexy, payment_items(3), "payments.create")
        assert last_records(journal)[ref(1)]["outcome"] == "in_doubt"
        assert len(mock_plexy.ledger.charges_for(ref(1))) == 1

        mock_plexy.faults.add(*PAYMENTS, LIMITED, times=None)
        second = batch("b-sticky", journal, concurrency=1, resume=True)
        limited = await second.run(plexy, payment_items(3), "payments.create")
        # every request of this run got a 429, but the first run may have charged it
        assert limited.counts[Outcome.IN_DOUBT] == 1
        assert limited.counts[Outcome.RATE_LIMITED] == 0
        assert last_records(journal)[ref(1)]["outcome"] == "in_doubt"

        mock_plexy.faults.clear()
        third = batch("b-sticky", journal, concurrency=1, resume=True)
        settled = await third.run(plexy, payment_items(3), "payments.create")
    assert settled.counts[Outcome.SUCCEEDED] == 1
    assert requests_with(mock_plexy, last_records(journal)[ref(1)]["key"])[-1].replayed
    assert assert_ledger_matches_journal(mock_plexy, journal, "b-sticky") == 3


@pytest.mark.parametrize(
    ("tries", "outcome"),
    [
        (dict(sent=3, answers=[429, 429, 429]), Outcome.RATE_LIMITED),
        # a refused connection (no answer, the client says not delivered), then a 429
        (dict(sent=2, answers=[429]), Outcome.RATE_LIMITED),
        (dict(sent=3, answers=[503, 429, 429]), Outcome.IN_DOUBT),
        (dict(sent=2, answers=[409, 429]), Outcome.IN_DOUBT),
        (dict(sent=2, answers=[200, 429]), Outcome.IN_DOUBT),  # a custom operation's two calls
        (dict(sent=1, answers=[429], in_doubt_before=True), Outcome.IN_DOUBT),
        # without the hooks: one attempt per call is known to be the 429; more is not
        (dict(sent=0, answers=[], attempts=1), Outcome.RATE_LIMITED),
        (dict(sent=0, answers=[], attempts=3), Outcome.IN_DOUBT),
    ],
)
def test_item_tries_tell_rate_limited_from_in_doubt(
    tries: dict[str, Any], outcome: Outcome
) -> None:
    item = ItemTries(in_doubt_before=tries.get("in_doubt_before", False))
    for _ in range(tries["sent"]):
        item.request_sent(object())
    for status in tries["answers"]:
        item.request_answered(object(), status)
    error = errors.RateLimitError("429", status=429, attempts=tries.get("attempts", 1))
    item.ended(error)
    assert item.outcome(error) is outcome
    assert item.attempts == max(tries["sent"], tries.get("attempts", 1))


def test_a_429_the_client_reports_as_possibly_delivered_is_in_doubt() -> None:
    assert outcome_of(errors.RateLimitError("429", status=429)) is Outcome.RATE_LIMITED
    assert outcome_of(errors.OutcomeUnknownError("dropped, then 429")) is Outcome.IN_DOUBT
    item = ItemTries()
    item.ended(errors.OutcomeUnknownError("dropped, then 429", attempts=3))
    assert item.reached


def test_a_request_seen_by_two_batches_hooks_counts_once() -> None:
    item, request = ItemTries(), object()
    for _ in range(2):
        item.request_sent(request)
        item.request_answered(request, 503)
    assert (item.sent, item.answered) == (1, 1)


# --- cancelled in flight -----------------------------------------------------------------------


@pytest.mark.parametrize("attempt", [1, 2, 3])
async def test_a_cancel_in_flight_journals_the_attempts_sent_and_not_the_latency(
    mock_plexy: MockPlexy, tmp_path: Path, attempt: int
) -> None:
    # concurrency 1: items 0 and 1 pass; item 2 gets 503s, then hangs on attempt ``attempt``
    if attempt > 1:
        mock_plexy.faults.add(*PAYMENTS, Fault.status(503), times=attempt - 1, after=2)
    mock_plexy.faults.add(*PAYMENTS, Fault.delay(30), times=1, after=0 if attempt > 1 else 2)
    journal = tmp_path / "journal.jsonl"
    first = batch("b-cancel", journal, concurrency=1)
    key = idempotency_key_for(SECRET, "b-cancel", ref(2))
    async with client_for(mock_plexy, first, RETRY) as plexy:
        task = asyncio.create_task(first.run(plexy, payment_items(5), "payments.create"))
        await wait_until(lambda: any(r.fault == "delay" for r in mock_plexy.ledger.requests))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        record = last_records(journal)[ref(2)]
        assert record["outcome"] == "in_doubt"
        assert record["error"]["type"] == "CancelledError"
        assert record["attempts"] == attempt == len(requests_with(mock_plexy, key))
        stats = first.stats
        assert stats.counts[Outcome.SUCCEEDED] == 2 and stats.counts[Outcome.IN_DOUBT] == 1
        assert stats.latency.count == 2  # the cancelled item's wait is not a latency
        assert stats.retries == attempt - 1
        end = json.loads(journal.read_text().splitlines()[-1])
        assert end["event"] == "end" and end["interrupted"] is True

        await wait_until(lambda: mock_plexy.ledger.in_flight == 0)
        resumed = batch("b-cancel", journal, concurrency=1, resume=True)
        again = await resumed.run(plexy, payment_items(5), "payments.create")
    assert again.counts[Outcome.SUCCEEDED] == 3 and again.skipped == 2
    # the hung request was processed once the client left; the resume replays it or charges
    assert [c.idempotency_key for c in mock_plexy.ledger.charges_for(ref(2))] == [key]
    assert assert_ledger_matches_journal(mock_plexy, journal, "b-cancel") == 5


async def test_a_cancel_in_flight_without_the_hooks_journals_unknown_attempts_not_zero(
    mock_plexy: MockPlexy, tmp_path: Path
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.status(503), times=1, after=1)
    mock_plexy.faults.add(*PAYMENTS, Fault.delay(30), times=1)
    journal = tmp_path / "journal.jsonl"
    first = batch("b-cancel-bare", journal, concurrency=1)
    async with client_for(mock_plexy, first, RETRY, trace=False) as plexy:
        task = asyncio.create_task(first.run(plexy, payment_items(3), "payments.create"))
        await wait_until(lambda: any(r.fault == "delay" for r in mock_plexy.ledger.requests))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await wait_until(lambda: mock_plexy.ledger.in_flight == 0)
    record = last_records(journal)[ref(1)]
    assert record["outcome"] == "in_doubt" and record["attempts"] is None
    assert first.stats.latency.count == 1
    assert len(mock_plexy.ledger.charges_for(ref(1))) <= 1


async def test_a_cancel_while_waiting_out_a_429_journals_the_item_rate_limited(
    mock_plexy: MockPlexy, tmp_path: Path
) -> None:
    # The 429 closes the gate for 30 s: the item waits to be sent again when the cancel comes.
    mock_plexy.faults.add(*PAYMENTS, Fault.status(429, retry_after=30), times=1, after=1)
    journal = tmp_path / "journal.jsonl"
    first = batch("b-cancel-gate", journal, concurrency=1)
    async with client_for(mock_plexy, first, RetryPolicy.disabled()) as plexy:
        task = asyncio.create_task(first.run(plexy, payment_items(3), "payments.create"))
        await wait_until(lambda: first.stats.rate_limit_pauses == 1 and first.stats.done == 1)
        await wait_until(lambda: first.stats.in_flight == 0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    record = last_records(journal)[ref(1)]
    assert record["outcome"] == "rate_limited"
    assert record["attempts"] == 1 and record["error"]["cancelled"] is True
    assert first.stats.latency.count == 1
    assert mock_plexy.ledger.charges_for(ref(1)) == []


# --- old journals, the command line, the demo's checks ----------------------------------------


async def test_a_version_1_journal_is_resumed_as_before(
    mock_plexy: MockPlexy, tmp_path: Path
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.drop_after_commit(), times=1, after=2)
    journal = tmp_path / "journal.jsonl"
    first = batch("b-v1", journal, concurrency=1)
    async with client_for(mock_plexy, first, RetryPolicy.disabled()) as plexy:
        await first.run(plexy, payment_items(6), "payments.create")
        # as version 1 wrote it: no rate_limited, and a 429 at the end journalled in doubt
        lines = [json.loads(x) for x in journal.read_text().splitlines()]
        key4 = idempotency_key_for(SECRET, "b-v1", ref(4))
        old_429 = {
            "event": "item",
            "id": ref(4),
            "line": 5,
            "outcome": "in_doubt",
            "key": key4,
            "attempts": 3,
            "ms": 1.0,
            "error": {"type": "RateLimitError", "status": 429},
        }
        for record in lines:
            if record["event"] == "run":
                record["version"] = 1
        journal.write_text("".join(json.dumps(r) + "\n" for r in [*lines, old_429]))
        state = read_journal(journal)
        assert state.unreadable_lines == 0
        assert state.in_doubt_keys == {
            ref(2): idempotency_key_for(SECRET, "b-v1", ref(2)),
            ref(4): key4,
        }
        charged = len(mock_plexy.ledger.charges)

        resumed = batch("b-v1", journal, concurrency=1, resume=True)
        again = await resumed.run(plexy, payment_items(6), "payments.create")
    assert again.skipped == 4 and again.counts[Outcome.SUCCEEDED] == 2
    assert len(mock_plexy.ledger.charges) == charged == 6  # both replayed, nobody charged twice
    assert assert_ledger_matches_journal(mock_plexy, journal, "b-v1") == 6


async def test_the_command_line_counts_rate_limited_items_and_exits_1_until_resumed(
    mock_plexy: MockPlexy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLEXY_API_KEY", mock_plexy.api_key)
    monkeypatch.setenv("PLEXY_BASE_URL", mock_plexy.url)
    monkeypatch.setenv("PLEXY_BATCH_SECRET", SECRET)
    monkeypatch.delenv("PLEXY_ENVIRONMENT", raising=False)
    path = tmp_path / "payments.csv"
    path.write_text(
        "reference,amount,currency,card_number,cvc,expiry_month,expiry_year,merchant_account\n"
        + "".join(f"order-{i},1000,KZT,4242424242424242,737,03,2030,M\n" for i in range(4))
    )
    journal = tmp_path / "out.jsonl"
    mock_plexy.faults.add(*PAYMENTS, LIMITED, times=None)

    async def run_cli(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        args = cli.build_parser().parse_args(
            ["batch", str(path), "--journal", str(journal), "--progress", "plain", *argv]
        )
        return await cli.run(args, out, err), out.getvalue(), err.getvalue()

    status, out, err = await run_cli()
    assert status == cli.EXIT_ITEMS
    assert re.search(r"rate-limited\s+4\n", out)
    assert "4 item(s) rate-limited on every attempt, never processed" in out
    assert "rate-limited 4" in err  # the progress line
    assert mock_plexy.ledger.charges == []

    mock_plexy.faults.clear()
    status, out, _ = await run_cli("--resume")
    assert status == cli.EXIT_OK
    assert "rate limited 0" in out  # the journal's totals over every run
    charges = mock_plexy.ledger.charges
    assert sorted(c.reference for c in charges) == [f"order-{i}" for i in range(4)]
    keys = {r["id"]: r["key"] for r in item_records(journal) if r["outcome"] == "rate_limited"}
    assert {c.reference: c.idempotency_key for c in charges} == keys


def test_the_progress_line_counts_rate_limited_items() -> None:
    first = batch("b-progress", None)
    first.stats.counts[Outcome.RATE_LIMITED] = 3
    assert "rate-limited 3" in counts_text(first.stats)
    assert "in doubt 0" in counts_text(first.stats)


async def test_the_demo_reconciliation_flags_rate_limited_items(
    mock_plexy: MockPlexy, tmp_path: Path
) -> None:
    mock_plexy.faults.add(*PAYMENTS, LIMITED, times=EVERY_ATTEMPT, after=1)
    journal = tmp_path / "journal.jsonl"
    run = batch("b-demo", journal, concurrency=1)
    async with client_for(mock_plexy, run, RETRY) as plexy:
        await run.run(plexy, payment_items(3), "payments.create")
    demo = DemoInput(tmp_path / "in.jsonl", frozenset(ref(i) for i in range(3)), frozenset(), 0)
    out = io.StringIO()
    assert reconcile(mock_plexy.ledger, journal, demo, out) is False
    assert re.search(r"items rate-limited\s+1\s+MISMATCH", out.getvalue())
    assert re.search(r"items in doubt\s+0\s+ok", out.getvalue())
