"""Batch throughput: the batch runner against the load target, journal on, one JSON line.

``python -m benchmarks.batch_throughput --url http://127.0.0.1:PORT --items 10000
[--concurrency 100] [--loop asyncio] [--cpu N]``

What a user of ``plexy_async.batch`` runs, in a fresh process: one ``PlexyClient`` with the
batch's pool limits and trace config, ``Batch(..., journal=<a temporary file>)``, and
``batch.run(plexy, items, "payments.create")`` over a lazily generated iterable of payments
(every item its own reference and its own ``Amount`` and ``CardDetails``, as a file read line by
line would give). The load target is ``benchmarks.server``, the same raw responder the client
variants measure against, so items/s compares with their requests/s.

A warm-up batch (its own id and journal, on the same client) opens the connections and builds
the converter's hooks first, as the client variants' warm-up does. Then the measured batch:
items/s (the summary's, start of ``run()`` to its end), client CPU per item, latency, how the
items ended, the journal's item lines, and the process's peak RSS after the warm-up and at the
end (``resource.getrusage``): run it at two item counts to see that memory does not grow with
them. Bounded by ``--max-seconds``: the batch stops gently when it is reached, and the result
says ``interrupted``. Exits non-zero if a warm-up item does not succeed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .clients import runner_for
from .payload import API_KEY, REQUEST
from .server import pin_to

#: Any secret will do: the keys only need to differ per item, and the responder ignores them.
SECRET = "benchmark-batch-secret-0123456789"


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)  # KiB on Linux


def items(count: int, prefix: str) -> Iterator[Any]:
    """``count`` payments, generated one at a time as the batch pulls them."""
    from plexy_async import Amount, CardDetails
    from plexy_async.batch import BatchItem

    card = REQUEST["paymentMethod"]
    merchant, return_url = REQUEST["merchantAccount"], REQUEST["returnUrl"]
    for i in range(count):
        reference = f"{prefix}-{i:07d}"
        yield BatchItem(
            reference,
            {
                "amount": Amount(1000 + i % 50_000, "KZT"),
                "reference": reference,
                "merchant_account": merchant,
                "payment_method": CardDetails(
                    number=card["number"],
                    expiry_month=card["expiryMonth"],
                    expiry_year=card["expiryYear"],
                    cvc=card["cvc"],
                    holder_name=card["holderName"],
                ),
                "return_url": return_url,
            },
            line=i + 1,
        )


def _counts(summary: Any) -> dict[str, int]:
    counts: dict[str, int] = summary.to_dict()["counts"]
    return counts


def _first_error(journal: Path) -> str:
    with journal.open() as lines:
        for line in lines:
            record = json.loads(line)
            if record.get("event") == "item" and record.get("outcome") != "succeeded":
                return json.dumps(record.get("error") or record.get("outcome"))
    return "none in the journal"


def _item_lines(journal: Path) -> int:
    with journal.open() as lines:
        return sum(1 for line in lines if json.loads(line).get("event") == "item")


async def measure(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    from plexy_async import PlexyClient
    from plexy_async.batch import Batch

    concurrency = args.concurrency
    warm_journal, journal = folder / "warmup.jsonl", folder / "journal.jsonl"
    warm = Batch(
        batch_id="bench-warmup", secret=SECRET, concurrency=concurrency, journal=warm_journal
    )
    batch = Batch(batch_id="bench-batch", secret=SECRET, concurrency=concurrency, journal=journal)
    async with PlexyClient(
        api_key=API_KEY,
        base_url=args.url,
        pool=batch.pool_limits(),
        trace_configs=[batch.trace_config()],
    ) as plexy:
        warmed = await warm.run(plexy, items(args.warmup_items, "warm"), "payments.create")
        if _counts(warmed).get("succeeded") != args.warmup_items:
            raise SystemExit(
                f"batch warm-up: not every item succeeded: {_counts(warmed)}; "
                f"first error: {_first_error(warm_journal)}"
            )
        baseline = peak_rss_mb()
        stopper = asyncio.get_running_loop().call_later(args.max_seconds, batch.stop)
        cpu = time.process_time()
        summary = await batch.run(plexy, items(args.items, "item"), "payments.create")
        cpu = time.process_time() - cpu
        stopper.cancel()
    counts = _counts(summary)
    processed = summary.processed
    return {
        "variant": "batch",
        "loop": args.loop,
        "concurrency": concurrency,
        "items": args.items,
        "processed": processed,
        "counts": counts,
        "all_succeeded": counts.get("succeeded") == args.items,
        "interrupted": summary.interrupted,
        "journal_item_lines": _item_lines(journal),
        "journal_mb": round(journal.stat().st_size / (1024 * 1024), 2),
        "first_error": None if counts.get("succeeded") == processed else _first_error(journal),
        "seconds": summary.elapsed,
        "items_per_s": summary.throughput,
        "cpu_us": cpu / processed * 1e6 if processed else float("nan"),
        "p50_ms": summary.latency_ms["p50"],
        "p99_ms": summary.latency_ms["p99"],
        "peak_rss_mb_before": round(baseline, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="batch runner throughput, one measured run")
    parser.add_argument("--url", required=True)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--warmup-items", type=int, default=500)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--cpu", type=int, default=None, help="pin to this core")
    args = parser.parse_args(argv)
    pin_to(args.cpu)
    with (
        tempfile.TemporaryDirectory(prefix="plexy-bench-batch-") as folder,
        runner_for(args.loop) as runner,
    ):
        result = runner.run(measure(args, Path(folder)))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
