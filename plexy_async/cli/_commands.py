"""The ``plexy-async`` command line (also ``python -m plexy_async``).

::

    plexy-async batch payments.csv --concurrency 64 --journal out.jsonl [--resume]
    plexy-async journal out.jsonl [--failures] [--export results.csv]
    plexy-async mock --port 8080
    plexy-async demo [--bad-lines]

Each command is a sub-parser added by one function and run by one coroutine
``(args, out, err) -> exit status``; ``COMMANDS`` maps names to them. A new command is a module
with those two functions and one line in ``build_parser`` and ``COMMANDS``.

Exit status: the one table is ``cli._running.EXIT_CODES`` (``--help`` shows it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import IO, Final, TypeAlias

from plexy_async._client import PlexyClient
from plexy_async.batch import ENV_BATCH_SECRET, Batch, operation_for
from plexy_async.batch._input import SPECS, InputError, InputFile
from plexy_async.batch._journal import Outcome, iter_journal, read_journal
from plexy_async.batch._stats import BatchSummary
from plexy_async.cli._distributed import (
    add_broker_arguments,
    add_worker_parser,
    distributed_batch_command,
    worker_command,
)
from plexy_async.cli._failures import print_run_problems
from plexy_async.cli._help import HelpFormatter
from plexy_async.cli._input_flags import add_input_arguments, columns_help, input_options
from plexy_async.cli._journal_command import add_journal_parser, journal_command
from plexy_async.cli._progress import MODES, make_display
from plexy_async.cli._running import (
    ENV_MERCHANT_ACCOUNT,
    EXIT_INTERRUPTED,
    EXIT_ITEMS,
    EXIT_OK,
    EXIT_USAGE,
    JOURNAL_EXIT_NOTE,
    exit_status_help,
    journal_path_problem,
    positive_int,
    run_with_progress,
)
from plexy_async.cli._words import cli_words
from plexy_async.errors import ConfigurationError

Command: TypeAlias = Callable[[argparse.Namespace, IO[str], IO[str]], Awaitable[int]]
"""A command: ``(parsed args, out, err) -> exit status``."""


def build_parser() -> argparse.ArgumentParser:
    """The ``plexy-async`` argument parser, with its ``batch``, ``journal``, ``mock``,
    ``worker`` and ``demo`` commands.

    Returns:
        The parser; ``parse_args()`` exits with status 2 on a usage error.

    Example:
        ::

            args = build_parser().parse_args(["batch", "payments.csv", "--concurrency", "64"])
    """
    parser = argparse.ArgumentParser(
        prog="plexy-async",
        description="Command line of plexy_async, the asyncio client for the Plexy payments API.",
        epilog=exit_status_help() + f"\n\n{JOURNAL_EXIT_NOTE}",
        formatter_class=HelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_batch_parser(commands)
    add_journal_parser(commands)
    from plexy_async.cli._mock import add_mock_parser  # it imports the mock: not on import

    add_mock_parser(commands)
    add_worker_parser(commands)
    _add_demo_parser(commands)
    return parser


def _add_batch_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    columns = columns_help()
    batch = commands.add_parser(
        "batch",
        help="run a CSV or JSON Lines file of calls at a bounded concurrency, with a journal",
        description="Run every line of INPUT through an operation at a bounded concurrency. "
        "Each item's idempotency key is an HMAC of the batch id and the item's id under "
        f"${ENV_BATCH_SECRET} (required, never written anywhere), so a re-run cannot charge "
        "twice. The API comes from PLEXY_API_KEY, PLEXY_ENVIRONMENT and PLEXY_BASE_URL. "
        "Ctrl-C once: let the calls in flight end and stop; twice: stop now, journalling the "
        "calls in flight as in doubt. Either way, --resume continues. At the end, the items "
        "that did not settle are listed with their reasons; `plexy-async journal JOURNAL` "
        "summarises, lists or exports the journal later.",
        epilog=(columns + "\n\n" if columns else "") + exit_status_help(),
        formatter_class=HelpFormatter,
    )
    batch.add_argument("input", metavar="INPUT", help="a .csv or .jsonl file, one item a line")
    batch.add_argument(
        "--operation",
        default="payments.create",
        help=f"a service call (default payments.create; CSV for {', '.join(SPECS)}, "
        "JSON Lines for any call that takes an idempotency key)",
    )
    batch.add_argument("--concurrency", type=positive_int, default=32, help="default 32")
    batch.add_argument("--journal", help="JSON Lines journal (default: INPUT.journal.jsonl)")
    batch.add_argument(
        "--resume",
        action="store_true",
        help="continue the journal's batch: skip finished items, re-send in-doubt and "
        "rate-limited ones with their keys (the journal must exist)",
    )
    batch.add_argument(
        "--retry-failed",
        action="store_true",
        help="with --resume, send failed items again too (with the same keys)",
    )
    batch.add_argument(
        "--batch-id", help="default: the journal's when resuming, else INPUT's file name"
    )
    add_input_arguments(batch)
    batch.add_argument(
        "--merchant-account", help=f"for rows without one (default ${ENV_MERCHANT_ACCOUNT})"
    )
    batch.add_argument("--base-url", help="override PLEXY_BASE_URL")
    batch.add_argument("--progress", choices=MODES, default="auto", help="default auto")
    add_broker_arguments(batch)


def _add_demo_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo",
        help="a batch of payments against the bundled mock server, with faults, reconciled",
        description="Generate a few thousand payments, run them through the batch runner "
        "against a mock Plexy server started in this process, with injected faults (5xx, "
        "connections dropped after the commit, 429 with Retry-After, declines), then reconcile "
        "the mock's ledger against the journal. It always uses the mock, even when "
        "PLEXY_API_KEY is set: it never charges a real account unless told to with --use-api. "
        "Its exit status follows the same rule as batch: 0 when every payment succeeded or "
        "was declined and the reconciliation matched; with --bad-lines some lines are "
        "rejected and some cards invalid, so it exits 1, as batch would.",
        epilog=exit_status_help(),
        formatter_class=HelpFormatter,
    )
    demo.add_argument("--count", type=positive_int, default=3000, help="payments (default 3000)")
    demo.add_argument("--concurrency", type=positive_int, default=64, help="default 64")
    demo.add_argument("--journal", help="keep the journal here (default: a temporary file)")
    demo.add_argument("--progress", choices=MODES, default="auto", help="default auto")
    demo.add_argument(
        "--bad-lines",
        action="store_true",
        help="add three bad input lines (rejected) and two invalid card numbers (failed) to "
        "show how they are reported; the demo then exits 1",
    )
    demo.add_argument(
        "--use-api",
        action="store_true",
        help="send the payments to the API configured by PLEXY_API_KEY / PLEXY_ENVIRONMENT / "
        "PLEXY_BASE_URL instead of the mock (refused for the live API; no faults, no ledger "
        f"to reconcile); the merchant account comes from ${ENV_MERCHANT_ACCOUNT}",
    )


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
    return await COMMANDS[args.command](args, out, err)


async def _mock(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from plexy_async.cli._mock import mock_command

    return await mock_command(args, out)


async def _demo(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from plexy_async.cli._demo import demo_command  # imports the mock: only when asked for

    return await demo_command(args, out, err)


# --- batch -------------------------------------------------------------------------------------


async def batch_command(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Run ``plexy-async batch``: the items of INPUT, journalled; see ``build_parser``."""
    if args.broker:  # the distributed mode: workers elsewhere run the items
        return await distributed_batch_command(args, out, err)
    journal = args.journal or f"{args.input}.journal.jsonl"
    client: PlexyClient | None = None
    try:
        _check_journal_flags(args, journal)
        batch_id = args.batch_id
        if batch_id is None and args.resume:
            batch_id = read_journal_id(journal)
            if batch_id is not None and batch_id != Path(args.input).name:
                raise ConfigurationError(
                    f"--resume: the journal {journal} belongs to batch {batch_id!r}, not to "
                    f"{Path(args.input).name} (this input's batch id): its items would be "
                    f"taken for that batch's; to resume that batch with this file, pass "
                    f"--batch-id {shlex.quote(batch_id)}"
                )
        batch = Batch(
            batch_id=Path(args.input).name if batch_id is None else batch_id,
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
        source = InputFile(args.input, args.operation, defaults=defaults, **input_options(args))
        display = make_display(args.progress, err, total=source.count(), label=batch.batch_id)
        async with client:
            summary = await run_with_progress(batch, client, source, operation, display, err)
    except (ConfigurationError, InputError, OSError) as exc:
        if client is not None:
            await client.aclose()
        print(f"plexy-async batch: {cli_words(_error_text(exc))}", file=err)
        return EXIT_USAGE
    print(summary.format(), file=out)
    print(f"journal: {journal}", file=out)
    if args.resume:
        totals = read_journal(journal).counts()
        print("journal totals, every run: " + _counts_line(totals), file=out)
    print_run_problems(journal, out)
    return _exit_status(summary, out)


def _check_journal_flags(args: argparse.Namespace, journal: str) -> None:
    """Usage errors about the journal, told before anything is read or sent.

    Raises:
        ConfigurationError: ``--retry-failed`` without ``--resume``; ``--resume`` with no
            journal to resume; a journal that exists, without ``--resume``.
    """
    if args.retry_failed and not args.resume:
        raise ConfigurationError("--retry-failed goes with --resume")
    problem = journal_path_problem(args.input, journal)
    if problem is not None:
        raise ConfigurationError(problem)
    exists = os.path.exists(journal)
    quoted = shlex.quote(journal)
    if args.resume and not exists:
        raise ConfigurationError(
            f"--resume: there is no journal at {journal} to resume; to start a fresh batch, "
            "leave out --resume (the journal is then created)"
            + ("" if args.journal else "; or give the journal's path with --journal")
        )
    if args.resume and os.path.isfile(journal) and os.path.getsize(journal) == 0:
        raise ConfigurationError(
            f"--resume: the journal {journal} is empty, there is nothing to resume; to start a "
            f"fresh batch, remove it and leave out --resume"
        )
    if not args.resume and exists and os.path.getsize(journal) > 0:
        raise ConfigurationError(
            f"the journal {journal} already exists: add --resume to continue that batch, or "
            f"choose another journal with --journal (see it with: plexy-async journal {quoted})"
        )


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc)


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


COMMANDS: Final[dict[str, Command]] = {
    "batch": batch_command,
    "journal": journal_command,
    "mock": _mock,
    "worker": worker_command,
    "demo": _demo,
}
"""Each command's coroutine, by name (``build_parser`` adds their sub-parsers)."""
