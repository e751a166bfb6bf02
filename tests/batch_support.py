"""Shared by the batch tests: items, a client sized for a batch, journal and ledger checks."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from plexy_async import Amount, CardDetails, PlexyClient, RetryPolicy
from plexy_async.batch import Batch, BatchItem, idempotency_key_for, iter_journal
from plexy_async.testing import MockPlexy

SECRET = "s3cr3t-for-tests-only"
PAYMENTS = ("POST", "/v2/payments")
VISA = "4242424242424242"
DECLINE = "4000000000000002"
INVALID = "4242424242424241"  # fails Luhn: the mock answers 422
CVC = "7319"
FAST = RetryPolicy(max_attempts=5, initial_delay=0.01, max_delay=0.05)


def payment_item(i: int, card: str = VISA, prefix: str = "order") -> BatchItem:
    reference = f"{prefix}-{i:05d}"
    return BatchItem(
        reference,
        {
            "amount": Amount(1000 + i, "KZT"),
            "reference": reference,
            "merchant_account": "TestMerchant",
            "payment_method": CardDetails(
                number=card, cvc=CVC, expiry_month="03", expiry_year="2030"
            ),
        },
        line=i + 1,
    )


def payment_items(n: int, *, decline_every: int = 0, prefix: str = "order") -> Iterator[BatchItem]:
    for i in range(n):
        card = DECLINE if decline_every and i % decline_every == 0 else VISA
        yield payment_item(i, card, prefix)


async def wait_until(condition: Callable[[], bool]) -> None:
    """Poll ``condition`` every 5 ms; fail after 10 seconds."""
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 - polling the batch's counters is the point
            await asyncio.sleep(0.005)


@asynccontextmanager
async def client_for(
    mock: MockPlexy, batch: Batch, retry: RetryPolicy = FAST, *, trace: bool = True
) -> AsyncIterator[PlexyClient]:
    async with PlexyClient(
        api_key=mock.api_key,
        base_url=mock.url,
        retry=retry,
        pool=batch.pool_limits(),
        trace_configs=[batch.trace_config()] if trace else [],
    ) as plexy:
        yield plexy


def item_records(journal: Path) -> list[dict[str, Any]]:
    return [r for r in iter_journal(journal) if r.get("event") == "item"]


def last_records(journal: Path) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in item_records(journal) if r.get("id") is not None}


def assert_ledger_matches_journal(mock: MockPlexy, journal: Path, batch_id: str) -> int:
    """Exactly one charge per succeeded item, with the item's key; no other charge. Returns
    the number of charges."""
    last = last_records(journal)
    succeeded = {i: r for i, r in last.items() if r["outcome"] == "succeeded"}
    charges = mock.ledger.charges
    by_reference = Counter(c.reference for c in charges)
    assert [ref for ref, n in by_reference.items() if n > 1] == []
    assert len(set(c.idempotency_key for c in charges)) == len(charges)
    assert set(by_reference) == set(succeeded)
    for charge in charges:
        record = succeeded[charge.reference]
        assert charge.idempotency_key == record["key"]
        assert record["key"] == idempotency_key_for(SECRET, batch_id, charge.reference)
        assert record["result"]["psp_reference"] == charge.psp_reference
    return len(charges)
