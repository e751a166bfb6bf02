"""Batch jobs: many calls at a bounded concurrency over one client, journalled and resumable.

::

    from plexy_async import Amount, CardDetails, PlexyClient
    from plexy_async.batch import Batch, BatchItem

    def items():  # any iterable or async iterable: read lazily, never all at once
        for row in rows:
            yield BatchItem(row["reference"], {
                "amount": Amount(row["amount"], "KZT"), "reference": row["reference"],
                "merchant_account": "YOUR_MERCHANT_ACCOUNT",
                "payment_method": CardDetails(number=row["card"], cvc=row["cvc"]),
            })

    batch = Batch(batch_id="payouts-2024-06-01", concurrency=64, journal="out.jsonl",
                  resume=True)  # the HMAC secret: secret=... or PLEXY_BATCH_SECRET
    async with PlexyClient(pool=batch.pool_limits(), trace_configs=[batch.trace_config()]) as plexy:
        summary = await batch.run(plexy, items(), "payments.create")
    print(summary.format())

How it behaves:

* ``concurrency`` worker tasks pull items from the iterator: never one task per item, never
  more than ``concurrency`` calls in flight, memory flat in the number of items.
* Each item's idempotency key is an HMAC of the batch id and the item's id under a secret, so a
  re-run, a resumed run or a repeated item sends the same key and cannot charge twice.
* The journal (JSON Lines) gets one line per item as it ends: succeeded (with the response's
  ids), declined, failed, in doubt (with its key), rate-limited (with its key) or rejected.
  With ``resume=True`` the items it already finished are skipped, and the ones in doubt or
  rate-limited are sent again with their original key.
* An item's error never stops the batch. A 429 closes a shared gate: no worker starts an item
  until the server's ``Retry-After`` has passed; an item that ended on a 429 is sent again, up
  to ``max_resends`` times. An item every request of which was answered 429 was never processed
  (a 429 comes before the idempotency layer): it ends rate-limited, not in doubt, and is not
  finished. If any of its requests may have been processed, it is in doubt.
* ``stop()`` lets the calls in flight end, then returns; cancelling ``run()`` journals the calls
  in flight as in doubt, with the number of requests each had sent (counted by the trace
  config's hooks), and leaves them out of the latency percentiles. Items not yet started are
  not journalled: a resumed run sends them.
"""

from __future__ import annotations

from plexy_async.batch._items import BatchItem, InvalidItem, Item, Operation
from plexy_async.batch._journal import FINISHED, JournalState, Outcome, iter_journal, read_journal
from plexy_async.batch._runner import (
    ENV_BATCH_SECRET,
    Batch,
    idempotency_key_for,
    operation_for,
    run_batch,
)
from plexy_async.batch._stats import BatchStats, BatchSummary, LatencyHistogram

__all__ = [
    "ENV_BATCH_SECRET",
    "FINISHED",
    "Batch",
    "BatchItem",
    "BatchStats",
    "BatchSummary",
    "InvalidItem",
    "Item",
    "JournalState",
    "LatencyHistogram",
    "Operation",
    "Outcome",
    "idempotency_key_for",
    "iter_journal",
    "operation_for",
    "read_journal",
    "run_batch",
]
