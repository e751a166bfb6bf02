"""What every command shares: exit codes, the progress-watched run, and Ctrl-C handling.

Exit status, the same for ``batch`` and ``demo``: 0 when every item succeeded or was declined;
1 when some failed, are in doubt, were rate-limited or were rejected (or the demo's
reconciliation found a mismatch); 2 for a usage or configuration error; 130 when interrupted.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Iterable
from typing import IO

from plexy_async._client import PlexyClient
from plexy_async.batch import Batch, BatchSummary, Item, Operation
from plexy_async.cli._progress import Display, follow

EXIT_OK = 0
"""Every item succeeded or was declined (the demo: and its reconciliation matched)."""
EXIT_ITEMS = 1
"""Some items failed, are in doubt, were rate-limited or were rejected: see the journal."""
EXIT_USAGE = 2
"""A usage or configuration error (bad arguments, no API key, no batch secret)."""
EXIT_INTERRUPTED = 130
"""Interrupted by Ctrl-C: ``--resume`` continues the batch."""
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
