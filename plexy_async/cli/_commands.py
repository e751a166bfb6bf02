"""The ``plexy-async`` command line (also ``python -m plexy_async``).

::

    plexy-async batch payments.csv --concurrency 64 --journal out.jsonl [--resume]
    plexy-async mock --port 8080
    plexy-async demo

Exit status: 0 when every item succeeded or was declined; 1 when some failed, are in doubt, were
rate-limited or were rejected (or the demo's reconciliation found a mismatch); 2 for a usage or
configuration error; 130 when interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from plexy_async._client import PlexyClient
from plexy_async.batch import ENV_BATCH_SECRET, Batch, operation_for
from plexy_async.batch._input import FORMATS, SPECS, InputError, InputFile
from plexy_async.batch._journal import Outcome, iter_journal, read_journal
from plexy_async.batch._stats import BatchSummary
from plexy_async.cli._progress import MODES, make_display
from plexy_async.cli._running import (
    ENV_MERCHANT_ACCOUNT,
    EXIT_INTERRUPTED,
    EXIT_ITEMS,
    EXIT_OK,
    EXIT_USAGE,
    on_interrupt,
    run_with_progress,
)
from plexy_async.errors import ConfigurationError


def build_parser() -> argparse.ArgumentParser:
    """The ``plexy-async`` argument parser, with its ``batch``, ``mock`` and ``demo`` commands.

    Returns:
        The parser; ``parse_args()`` exits with status 2 on a usage error.

    Example:
        ::

            args = build_parser().parse_args(["batch", "payments.csv", "--concurrency", "64"])
    """
    parser = argparse.ArgumentParser(
        prog="plexy-async",
        description="Command line of plexy_async, the asyncio client for the Plexy payments API.",
        epilog="Exit status: 0 all items succeeded or were declined; 1 some failed, are in "
        "doubt, were rate-limited or were rejected; 2 usage or configuration error; "
        "130 interrupted.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    batch = commands.add_parser(
        "batch",
        help="run a CSV or JSON Lines file of calls at a bounded concurrency, with a journal",
        description="Run every line of INPUT through an operation at a bounded concurrency. "
        "Each item's idempotency key is an HMAC of the batch id and the item's id under "
        f"${ENV_BATCH_SECRET} (required, never written anywhere), so a re-run cannot charge "
        "twice. The API comes from PLEXY_API_KEY, PLEXY_ENVIRONMENT and PLEXY_BASE_URL. "
        "Ctrl-C once: let the calls in flight end and stop; twice: stop now, journalling the "
        "calls in flight as in doubt. Either way, --resume continues.",
    )
    batch.add_argument("input", metavar="INPUT", help="a .csv or .jsonl file, one item a line")
    batch.add_argument(
        "--operation",
        default="payments.create",
        help=f"a service call (default payments.create; CSV for {', '.join(SPECS)}, "
        "JSON Lines for any call that takes an idempotency key)",
    )
    batch.add_argument("--concurrency", type=_positive_int, default=32, help="default 32")
    batch.add_argument("--journal", help="JSON Lines journal (default: INPUT.journal.jsonl)")
    batch.add_argument(
        "--resume",
        action="store_true",
        help="continue the journal's batch: skip finished items, re-send in-doubt and "
        "rate-limited ones with their keys",
    )
    batch.add_argument(
        "--retry-failed",
        action="store_true",
        help="with --resume, send failed items again too (with the same keys)",
    )
    batch.add_argument(
        "--batch-id", help="default: the journal's when resuming, else INPUT's file name"
    )
    batch.add_argument("--format", choices=FORMATS, help="default: from INPUT's suffix")
    batch.add_argument(
        "--merchant-account", help=f"for rows without one (default ${ENV_MERCHANT_ACCOUNT})"
    )
    batch.add_argument("--base-url", help="override PLEXY_BASE_URL")
    batch.add_argument("--progress", choices=MODES, default="auto", help="default auto")

    mock = commands.add_parser(
        "mock",
        help="run the bundled mock Plexy server in the foreground",
        description="Run the mock Plexy server (Checkout /v2, Pay API /v1) until Ctrl-C, for "
        "pointing your own services at it.",
    )
    mock.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    mock.add_argument("--port", type=int, default=8080, help="default 8080; 0 picks a free one")
    mock.add_argument("--api-key", default="sk_test_mock", help="default sk_test_mock")

    demo = commands.add_parser(
        "demo",
        help="a batch of payments against the bundled mock server, with faults, reconciled",
        description="Generate a few thousand payments, run them through the batch runner "
        "against a mock Plexy server started in this process, with injected faults (5xx, "
        "connections dropped after the commit, 429 with Retry-After, declines), then reconcile "
        "the mock's ledger against the journal. It always uses the mock, even when "
        "PLEXY_API_KEY is set: it never charges a real account unless told to with --use-api.",
    )
    demo.add_argument("--count", type=_positive_int, default=3000, help="payments (default 3000)")
    demo.add_argument("--concurrency", type=_positive_int, default=64, help="default 64")
    demo.add_argument("--journal", help="keep the journal here (default: a temporary file)")
    demo.add_argument("--progress", choices=MODES, default="auto", help="default auto")
    demo.add_argument(
        "--use-api",
        action="store_true",
        help="send the payments to the API configured by PLEXY_API_KEY / PLEXY_ENVIRONMENT / "
        "PLEXY_BASE_URL instead of the mock (refused for the live API; no faults, no ledger "
        f"to reconcile); the merchant account comes from ${ENV_MERCHANT_ACCOUNT}",
    )
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line (the ``plexy-async`` entry point) in a new event loop.

    Args:
        argv: The arguments, without the program's name; default ``sys.argv[1:]``.

    Returns:
        The exit status: ``EXIT_OK``, ``EXIT_ITEMS``, ``EXIT_USAGE`` or ``EXIT_INTERRUPTED``.

    Raises:
        SystemExit: A usage error (status 2), or ``--help``.

    Example:
        ::

            sys.exit(main(["mock", "--port", "8080"]))
    """
    args = build_parser().parse_args(argv)
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


async def run(
    args: argparse.Namespace, out: IO[str] | None = None, err: IO[str] | None = None
) -> int:
    """Run parsed arguments in the running event loop (for tests and embedding).

    Args:
        args: What ``build_parser().parse_args()`` returned.
        out: Where results and progress go; default ``sys.stdout``.
        err: Where errors go; default ``sys.stderr``.

    Returns:
        The exit status, as ``main()`` returns it.

    Example:
        ::

            status = await run(build_parser().parse_args(["demo"]), out=io.StringIO())
    """
    out = out or sys.stdout
    err = err or sys.stderr
    if args.command == "batch":
        return await batch_command(args, out, err)
    if args.command == "mock":
        return await mock_command(args, out)
    from plexy_async.cli._demo import demo_command

    return await demo_command(args, out, err)


# --- batch -------------------------------------------------------------------------------------


async def batch_command(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    journal = args.journal or f"{args.input}.journal.jsonl"
    client: PlexyClient | None = None
    try:
        if args.retry_failed and not args.resume:
            raise ConfigurationError("--retry-failed goes with --resume")
        batch_id = args.batch_id or (read_journal_id(journal) if args.resume else None)
        batch = Batch(
            batch_id=batch_id or Path(args.input).name,
            concurrency=args.concurrency,
            journal=journal,
            resume=args.resume,
            retry_failed=args.retry_failed,
        )
        client = PlexyClient(
            base_url=args.base_url, pool=batch.pool_limits(), trace_configs=[batch.trace_config()]
        )
        operation = operation_for(client, args.operation)
        merchant = args.merchant_account or os.environ.get(ENV_MERCHANT_ACCOUNT)
        defaults = {"merchant_account": merchant} if merchant else {}
        source = InputFile(args.input, args.operation, fmt=args.format, defaults=defaults)
        display = make_display(args.progress, err, total=source.count(), label=batch.batch_id)
        async with client:
            summary = await run_with_progress(batch, client, source, operation, display, err)
    except (ConfigurationError, InputError, OSError) as exc:
        if client is not None:
            await client.aclose()
        print(f"plexy-async batch: {exc}", file=err)
        return EXIT_USAGE
    print(summary.format(), file=out)
    print(f"journal: {journal}", file=out)
    if args.resume:
        totals = read_journal(journal).counts()
        print("journal totals, every run: " + _counts_line(totals), file=out)
    return _exit_status(summary, out)


def read_journal_id(path: str) -> str | None:
    """The batch id in a journal's first run line, if there is one."""
    try:
        for record in iter_journal(path):
            if record.get("event") == "run" and isinstance(record.get("batch_id"), str):
                return str(record["batch_id"])
    except OSError:
        return None
    return None


def _counts_line(counts: dict[Outcome, int]) -> str:
    return ", ".join(f"{outcome.value.replace('_', ' ')} {n:,}" for outcome, n in counts.items())


def _exit_status(summary: BatchSummary, out: IO[str]) -> int:
    counts = summary.counts
    if counts[Outcome.IN_DOUBT]:
        print(
            f"{counts[Outcome.IN_DOUBT]:,} item(s) in doubt: run again with --resume to settle "
            "them with their original idempotency keys",
            file=out,
        )
    if counts[Outcome.RATE_LIMITED]:
        print(
            f"{counts[Outcome.RATE_LIMITED]:,} item(s) rate-limited on every attempt, never "
            "processed: run again with --resume (later, or at a lower --concurrency) to send "
            "them with the same idempotency keys",
            file=out,
        )
    if counts[Outcome.FAILED]:
        print("failures are in the journal; --resume --retry-failed sends them again", file=out)
    if summary.interrupted:
        print("interrupted: run again with --resume to continue", file=out)
        return EXIT_INTERRUPTED
    return EXIT_OK if summary.all_settled else EXIT_ITEMS


# --- mock --------------------------------------------------------------------------------------


async def mock_command(args: argparse.Namespace, out: IO[str]) -> int:
    from plexy_async.testing import MockPlexy

    async with MockPlexy(api_key=args.api_key, host=args.host, port=args.port) as mock:
        print(f"mock Plexy listening on {mock.url} (Checkout /v2, Pay API /v1)", file=out)
        print(f"  export PLEXY_BASE_URL={mock.url}", file=out)
        print(f"  export PLEXY_API_KEY={mock.api_key}", file=out)
        print("Ctrl-C to stop.", file=out, flush=True)
        stop = asyncio.Event()
        restore = on_interrupt(stop.set)
        try:
            await stop.wait()
        finally:
            restore()
        ledger = mock.ledger
        print(
            f"stopped after {len(ledger.requests):,} requests and {len(ledger.charges):,} charges",
            file=out,
            flush=True,
        )
    return EXIT_OK
