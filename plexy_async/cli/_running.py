"""What every command shares: exit codes, the progress-watched run, and Ctrl-C handling.

Exit status, the one table (``EXIT_CODES``; ``exit_status_help()`` renders it for ``--help``),
the same for ``batch`` and ``demo``:

====  =====================================================================================
code  meaning
====  =====================================================================================
0     every item succeeded or was declined (a decline is an answer, not an error); for the
      demo, its reconciliation of the mock's ledger against the journal matched too
1     some items failed, are in doubt, were rate-limited or were rejected (their reasons
      are printed, all of them: ``plexy-async journal JOURNAL --failures``); for the demo,
      or its reconciliation found a mismatch
2     usage or configuration error: a bad flag, a missing environment variable, an input or
      journal that cannot be read; nothing was sent
130   interrupted (Ctrl-C, SIGTERM): ``--resume`` continues the batch
====  =====================================================================================

``plexy-async journal`` only reads: 0 when it read the journal, 2 when it cannot.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import textwrap
from collections.abc import Callable, Iterable
from typing import IO, Final

from plexy_async._client import PlexyClient
from plexy_async.batch import Batch, BatchSummary, Item, Operation
from plexy_async.cli._progress import Display, follow

EXIT_OK: Final = 0
"""Every item succeeded or was declined (the demo: and its reconciliation matched)."""
EXIT_ITEMS: Final = 1
"""Some items failed, are in doubt, were rate-limited or were rejected: see the journal."""
EXIT_USAGE: Final = 2
"""A usage or configuration error (bad flags, no API key, no batch secret): nothing was sent."""
EXIT_INTERRUPTED: Final = 130
"""Interrupted by Ctrl-C: ``--resume`` continues the batch."""

EXIT_CODES: Final = (
    (EXIT_OK, "every item succeeded or was declined (demo: and its reconciliation matched)"),
    (
        EXIT_ITEMS,
        "some items failed, are in doubt, were rate-limited or were rejected (demo: or its "
        "reconciliation found a mismatch); all reasons: plexy-async journal JOURNAL --failures",
    ),
    (
        EXIT_USAGE,
        "usage or configuration error (a bad flag, a missing environment variable, an input "
        "or journal that cannot be read): nothing was sent",
    ),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C): --resume continues the batch"),
)
"""The exit status table of ``batch`` and ``demo``: (code, meaning). ``--help`` shows it."""
JOURNAL_EXIT_NOTE: Final = (
    f"plexy-async journal only reads: {EXIT_OK} when it read the journal, {EXIT_USAGE} when it "
    "cannot"
)
"""The exit status of ``plexy-async journal``, a subset of the table."""


def exit_status_help(title: str = "exit status (batch and demo):") -> str:
    """``EXIT_CODES`` as preformatted ``--help`` lines (at most 79 characters each)."""
    lines = [title]
    for code, meaning in EXIT_CODES:
        wrapped = textwrap.wrap(meaning, width=79 - 8, break_on_hyphens=False)
        lines.append(f"  {code:<4}  {wrapped[0]}")
        lines.extend(f"{'':8}{more}" for more in wrapped[1:])
    return "\n".join(lines)


ENV_MERCHANT_ACCOUNT = "PLEXY_MERCHANT_ACCOUNT"
"""The merchant account for CSV rows without a ``merchant_account`` column."""


async def run_with_progress(
    batch: Batch,
    client: PlexyClient,
    items: Iterable[Item],
    operation: str | Operation,
    display: Display,
    err: IO[str],
) -> BatchSummary:
    """Run the batch with a progress display; Ctrl-C stops it gently, twice stops it now."""
    task = asyncio.create_task(batch.run(client, items, operation))
    watcher = asyncio.create_task(follow(batch.stats, display))
    restore = on_interrupt(_interrupter(batch, task, err))
    try:
        return await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if not task.cancelled() or (current is not None and current.cancelling()):
            raise
        return batch.summary(interrupted=True)
    finally:
        restore()
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        display.close(batch.stats)


def _interrupter(
    batch: Batch, task: asyncio.Task[BatchSummary], err: IO[str]
) -> Callable[[], None]:
    presses = 0

    def interrupt() -> None:
        nonlocal presses
        presses += 1
        if presses == 1:
            batch.stop()
            print(
                "\nstopping: the calls in flight may end (Ctrl-C again to stop now; they are "
                "then journalled as in doubt)",
                file=err,
                flush=True,
            )
        else:
            task.cancel()

    return interrupt


def on_interrupt(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` on SIGINT and SIGTERM; returns a function that restores the default.

    Where the loop cannot take signal handlers (Windows, a thread), Ctrl-C stays a
    KeyboardInterrupt, which cancels the run: the calls in flight are journalled as in doubt.
    """
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, callback)
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        installed.append(sig)

    def restore() -> None:
        for sig in installed:
            loop.remove_signal_handler(sig)

    return restore


def positive_int(text: str) -> int:
    """An ``argparse`` type: a whole number of at least 1 (a usage error otherwise)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def journal_path_problem(input_path: str, journal: str) -> str | None:
    """Why ``journal`` cannot be the journal of a batch reading ``input_path`` (None: it can):
    it is the input file itself (it would be written to while read), or a folder."""
    if (
        os.path.exists(input_path)
        and os.path.exists(journal)
        and os.path.samefile(input_path, journal)
    ):
        return (
            f"--journal {journal} is the input file itself: the journal is written to; give it "
            "another path"
        )
    if os.path.isdir(journal):
        return f"--journal {journal} is a directory: give a file's path"
    return None
