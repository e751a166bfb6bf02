"""Peak memory of the batch runner: 100,000 payments at concurrency 100 stay flat.

``python -m benchmarks.batch_memory [--items 100000] [--concurrency 100] [--json PATH]``

The mock Plexy server runs in its own process (``python -m plexy_async mock --port 0`` on
127.0.0.1), so this process's peak RSS is the client's and the batch runner's alone. Items are
generated lazily, as a file would be read, and the journal goes to a temporary file. The peak RSS
(``resource.getrusage``) is sampled as the batch passes 10%, 50% and 100% of the items: a flat
line means memory does not grow with the item count. Bounded by ``--max-seconds`` (the batch
stops gently when it is reached). Never part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from plexy_async import Amount, CardDetails, PlexyClient
from plexy_async.batch import Batch, BatchItem

API_KEY = "sk_test_mock"


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)  # KiB on Linux


def current_rss_mb() -> float | None:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * resource.getpagesize() / (1024 * 1024)


def items(count: int) -> Iterator[BatchItem]:
    for i in range(count):
        reference = f"mem-{i:07d}"
        yield BatchItem(
            reference,
            {
                "amount": Amount(1000 + i % 50_000, "KZT"),
                "reference": reference,
                "merchant_account": "BenchMerchant",
                "payment_method": CardDetails(
                    number="4242424242424242", cvc="737", expiry_month="03", expiry_year="2030"
                ),
            },
            line=i + 1,
        )


def start_mock(extra: Sequence[str] = ()) -> tuple[subprocess.Popen[str], str]:
    """``plexy-async mock --port 0`` (and ``extra`` flags) in its own process, and its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "plexy_async", "mock", "--port", "0", "--api-key", API_KEY, *extra],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
    if match is None:
        proc.kill()
        raise SystemExit(f"the mock server did not start: {line!r}")
    return proc, match[1]


def stop_mock(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


async def measure(url: str, args: argparse.Namespace, journal: Path) -> dict[str, Any]:
    checkpoints = sorted({max(1, args.items // 10), max(1, args.items // 2), args.items})
    batch = Batch(
        batch_id="memory-benchmark",
        secret=secrets.token_hex(16),
        concurrency=args.concurrency,
        journal=journal,
    )
    samples: list[dict[str, Any]] = []
    async with PlexyClient(
        api_key=API_KEY,
        base_url=url,
        pool=batch.pool_limits(),
        trace_configs=[batch.trace_config()],
    ) as plexy:
        baseline = peak_rss_mb()
        started = time.monotonic()

        async def watch() -> None:
            pending = list(checkpoints)
            while pending:
                done = batch.stats.done
                while pending and done >= pending[0]:
                    samples.append(
                        {
                            "items": pending.pop(0),
                            "peak_rss_mb": round(peak_rss_mb(), 1),
                            "rss_mb": _round(current_rss_mb()),
                            "seconds": round(time.monotonic() - started, 1),
                        }
                    )
                if time.monotonic() - started > args.max_seconds:
                    batch.stop()
                    return
                await asyncio.sleep(0.02)

        watcher = asyncio.create_task(watch())
        summary = await batch.run(plexy, items(args.items), "payments.create")
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        if not samples or samples[-1]["items"] < batch.stats.done:
            samples.append(
                {
                    "items": batch.stats.done,
                    "peak_rss_mb": round(peak_rss_mb(), 1),
                    "rss_mb": _round(current_rss_mb()),
                    "seconds": round(time.monotonic() - started, 1),
                }
            )
    return {
        "items": args.items,
        "concurrency": args.concurrency,
        "processed": summary.processed,
        "succeeded": summary.counts["succeeded"],  # type: ignore[index]
        "seconds": round(summary.elapsed, 1),
        "throughput_per_s": round(summary.throughput),
        "baseline_peak_rss_mb": round(baseline, 1),
        "final_peak_rss_mb": round(peak_rss_mb(), 1),
        "samples": samples,
        "stopped_early": summary.interrupted,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def print_table(result: dict[str, Any]) -> None:
    print(
        f"batch runner memory: {result['processed']:,} of {result['items']:,} payments at "
        f"concurrency {result['concurrency']} in {result['seconds']} s "
        f"({result['throughput_per_s']:,}/s), mock server in another process"
    )
    print(f"  peak RSS before the batch: {result['baseline_peak_rss_mb']:.1f} MB")
    print(f"  {'items done':>10}  {'peak RSS MB':>11}  {'RSS MB':>7}  {'seconds':>7}")
    for s in result["samples"]:
        rss = "-" if s["rss_mb"] is None else f"{s['rss_mb']:.1f}"
        print(f"  {s['items']:>10,}  {s['peak_rss_mb']:>11.1f}  {rss:>7}  {s['seconds']:>7}")
    print(f"  journal: {result['journal_mb']} MB on disk")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--json", type=Path, help="also write the result as JSON here")
    args = parser.parse_args(argv)
    proc, url = start_mock()
    try:
        with tempfile.TemporaryDirectory(prefix="plexy-batch-memory-") as tmp:
            journal = Path(tmp) / "journal.jsonl"
            result = asyncio.run(measure(url, args, journal))
            result["journal_mb"] = round(journal.stat().st_size / (1024 * 1024), 1)
    finally:
        stop_mock(proc)
    print_table(result)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
