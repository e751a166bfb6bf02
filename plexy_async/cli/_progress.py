"""Progress of a running batch: a rich bar on a terminal, plain periodic lines otherwise.

Plain lines: a ``started`` line at once, the first progress line ``PLAIN_FIRST_LINE`` seconds
later, then one every ``PLAIN_INTERVAL`` seconds and a last one at the end. Every count has
thousands separators (``10,000/10,000``), in the bar too.

``rich`` is optional (the ``cli`` extra) and imported only here, only when a bar is drawn.
"""

from __future__ import annotations

import asyncio
import time
from typing import IO, Any, Final, Protocol

from plexy_async.batch._journal import Outcome
from plexy_async.batch._stats import BatchStats

MODES = ("auto", "rich", "plain", "none")
PLAIN_FIRST_LINE: Final = 0.25
"""Seconds from the start to the first plain progress line (``follow`` polls every 0.1 s)."""
PLAIN_INTERVAL: Final = 2.0
"""Seconds between two plain progress lines after the first."""
FOLLOW_INTERVAL: Final = 0.1
"""Seconds between two reads of the batch's counters by ``follow``."""


class Display(Protocol):
    def update(self, stats: BatchStats) -> None: ...

    def close(self, stats: BatchStats) -> None: ...


def counts_text(stats: BatchStats) -> str:
    c = stats.counts
    return (
        f"ok {c[Outcome.SUCCEEDED]:,}  declined {c[Outcome.DECLINED]:,}  "
        f"failed {c[Outcome.FAILED]:,}  in doubt {c[Outcome.IN_DOUBT]:,}  "
        f"rate-limited {c[Outcome.RATE_LIMITED]:,}  rejected {c[Outcome.REJECTED]:,}"
    )


def _eta(stats: BatchStats, total: int | None) -> str:
    rate = stats.throughput
    if total is None or rate <= 0 or stats.done >= total:
        return "-"
    return f"{(total - stats.done) / rate:,.0f}s"


def share_text(done: int, total: int | None) -> str:
    """``1,234/10,000`` (or ``1,234`` when the total is unknown)."""
    return f"{done:,}/{total:,}" if total is not None else f"{done:,}"


class PlainDisplay:
    """A ``started`` line at once, the first progress line after ``first`` seconds, then one
    every ``interval`` seconds, and a last one at the end."""

    def __init__(
        self,
        stream: IO[str],
        total: int | None,
        *,
        interval: float = PLAIN_INTERVAL,
        first: float = PLAIN_FIRST_LINE,
        label: str = "",
    ) -> None:
        self._stream = stream
        self._total = total
        self._interval = interval
        self._next = time.monotonic() + min(first, interval)
        what = f"{total:,} items" if total is not None else "items"
        name = f"{label}: " if label else ""
        print(f"started {name}{what}", file=stream, flush=True)

    def _line(self, stats: BatchStats) -> str:
        if self._total:
            share = f"{stats.done:,}/{self._total:,} ({100 * stats.done / self._total:.0f}%)"
        else:
            share = f"{stats.done:,}"
        return (
            f"[{stats.elapsed:6.1f}s] {share}  {stats.throughput:,.0f} items/s  "
            f"eta {_eta(stats, self._total)}  in flight {stats.in_flight:,}  | "
            f"{counts_text(stats)}"
        )

    def update(self, stats: BatchStats) -> None:
        now = time.monotonic()
        if now >= self._next:
            self._next = now + self._interval
            print(self._line(stats), file=self._stream, flush=True)

    def close(self, stats: BatchStats) -> None:
        print(self._line(stats), file=self._stream, flush=True)


class RichDisplay:
    """A progress bar with rate and ETA, the outcome counts on a line below it."""

    def __init__(self, stream: IO[str], total: int | None, label: str) -> None:
        from rich.console import Console, Group
        from rich.live import Live
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        console = Console(file=stream)
        self._group, self._text = Group, Text
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[share]}"),  # MofNCompleteColumn has no separators
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]} items/s"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
            auto_refresh=False,
        )
        self._total = total
        self._task = self._progress.add_task(
            label, total=total, rate="0", share=share_text(0, total)
        )
        # Drawn from update() only: no refresh thread, stdout and stderr left alone.
        self._live = Live(
            console=console, auto_refresh=False, redirect_stdout=False, redirect_stderr=False
        )
        self._live.start()

    def update(self, stats: BatchStats) -> None:
        self._progress.update(
            self._task,
            completed=stats.done,
            rate=f"{stats.throughput:,.0f}",
            share=share_text(stats.done, self._total),
        )
        counts = self._text(f"  {counts_text(stats)}  (in flight {stats.in_flight:,})", style="dim")
        self._live.update(self._group(self._progress, counts), refresh=True)

    def close(self, stats: BatchStats) -> None:
        self.update(stats)
        self._live.stop()


class NoDisplay:
    def update(self, stats: BatchStats) -> None:
        pass

    def close(self, stats: BatchStats) -> None:
        pass


def make_display(mode: str, stream: IO[str], *, total: int | None, label: str) -> Display:
    """``auto``: a rich bar when ``stream`` is a terminal and rich is installed, else lines."""
    if mode == "none":
        return NoDisplay()
    if mode in ("auto", "rich"):
        terminal = stream.isatty()
        if mode == "rich" or terminal:
            try:
                return RichDisplay(stream, total, label)
            except ImportError:
                if mode == "rich":
                    print(
                        "rich is not installed (pip install 'plexy_async[cli]'); "
                        "showing plain progress lines",
                        file=stream,
                    )
    return PlainDisplay(stream, total, label=label)


async def follow(stats: BatchStats, display: Display, interval: float = FOLLOW_INTERVAL) -> Any:
    """Update ``display`` from ``stats`` until cancelled."""
    while True:
        display.update(stats)
        await asyncio.sleep(interval)
