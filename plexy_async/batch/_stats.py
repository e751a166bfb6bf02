"""Live counters of a running batch, its final summary, and a constant-memory latency histogram."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

import attrs

from plexy_async.batch._journal import JournalRun, Outcome

_MIN_SECONDS: Final = 1e-4  # bucket 0 holds everything up to 0.1 ms
_GROWTH: Final = 1.02  # each bucket is 2% wider than the one before: percentiles within 2%
_LOG_GROWTH: Final = math.log(_GROWTH)
PERCENTILES: Final = (50.0, 90.0, 99.0)
#: Outcomes that leave a batch unsettled (the command line exits 1).
UNSETTLED: Final = (Outcome.FAILED, Outcome.IN_DOUBT, Outcome.RATE_LIMITED, Outcome.REJECTED)


class LatencyHistogram:
    """Log-scaled buckets: percentiles within 2% in constant memory, whatever the item count.

    Attributes:
        count: Latencies added.
        max: The largest latency added, in seconds.
    """

    __slots__ = ("_buckets", "count", "max")

    def __init__(self) -> None:
        self._buckets: dict[int, int] = {}
        self.count = 0
        self.max = 0.0

    def add(self, seconds: float) -> None:
        """Count one latency, in seconds."""
        index = (
            0
            if seconds <= _MIN_SECONDS
            else int(math.log(seconds / _MIN_SECONDS) / _LOG_GROWTH) + 1
        )
        self._buckets[index] = self._buckets.get(index, 0) + 1
        self.count += 1
        if seconds > self.max:
            self.max = seconds

    def percentile(self, p: float) -> float:
        """The ``p``-th percentile in seconds (the upper edge of its bucket, at most the max).

        Args:
            p: The percentile, 0 to 100.

        Returns:
            Seconds; 0.0 when nothing was added.

        Raises:
            ValueError: ``p`` outside 0 to 100.
        """
        if not 0 <= p <= 100:
            raise ValueError(f"percentile must be within 0..100, got {p}")
        if self.count == 0:
            return 0.0
        rank = max(1, math.ceil(self.count * p / 100))
        seen = 0
        for index in sorted(self._buckets):
            seen += self._buckets[index]
            if seen >= rank:
                return min(_MIN_SECONDS * _GROWTH**index, self.max)
        return self.max  # pragma: no cover - the ranks always add up


@attrs.define(eq=False)
class BatchStats:
    """Counters a running batch updates as items end; a progress display reads them.

    Attributes:
        counts: Items ended in this run, per outcome.
        skipped: Items finished in an earlier run, not sent again.
        in_flight: Items being sent now.
        retries: Extra HTTP attempts, plus items the batch sent again itself.
        rate_limit_pauses: How many times a 429 closed the batch's gate.
        latency: Per item, from its start to its end, in seconds; items cancelled in flight
            are left out.
        started: When the run started, in ``time.monotonic()`` seconds.
        ended: When it ended, in ``time.monotonic()`` seconds (None while running).
    """

    counts: dict[Outcome, int] = attrs.field(factory=lambda: dict.fromkeys(Outcome, 0))
    skipped: int = 0  # finished in an earlier run, not sent again
    in_flight: int = 0
    retries: int = 0  # extra HTTP attempts, plus items the batch sent again itself
    rate_limit_pauses: int = 0
    # per item, from its start to its end; items cancelled in flight are left out
    latency: LatencyHistogram = attrs.field(factory=LatencyHistogram)
    started: float | None = None
    ended: float | None = None

    def add_item(
        self, outcome: Outcome, attempts: int | None, seconds: float, *, cancelled: bool
    ) -> None:
        """Count an item's end: its outcome, its extra attempts (``attempts`` None: unknown)
        and, unless it was cancelled in flight (that measures the wait for the cancel), its
        latency in seconds."""
        self.counts[outcome] += 1
        if attempts is not None:
            self.retries += max(attempts - 1, 0)
        if not cancelled:
            self.latency.add(seconds)

    @property
    def processed(self) -> int:
        """Items that ended in this run (skipped ones not included)."""
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        """Items dealt with so far: processed plus skipped."""
        return self.processed + self.skipped

    @property
    def elapsed(self) -> float:
        """Seconds since the run started (until it ended)."""
        if self.started is None:
            return 0.0
        return (self.ended if self.ended is not None else time.monotonic()) - self.started

    @property
    def throughput(self) -> float:
        """Processed items per second."""
        elapsed = self.elapsed
        return self.processed / elapsed if elapsed > 0 else 0.0


@attrs.frozen(kw_only=True)
class BatchSummary:
    """The outcome of one run of a batch.

    Attributes:
        batch_id: The batch's id.
        operation: The operation it called.
        concurrency: Calls in flight at most.
        counts: Items ended in this run, per outcome.
        skipped: Items finished in an earlier run, not sent again.
        retries: Extra HTTP attempts, plus items the batch sent again itself.
        rate_limit_pauses: How many times a 429 closed the batch's gate.
        elapsed: The run's duration, in seconds.
        latency_ms: ``p50``, ``p90``, ``p99`` and ``max`` per item, in milliseconds;
            items cancelled in flight are left out.
        interrupted: Whether the run was stopped or cancelled before the end of its items.
        journal: The journal's path, if any.

    Example:
        ::

            summary = await batch.run(plexy, items, "payments.create")
            print(summary.format())
            if not summary.all_settled:
                ...  # resume: Batch(..., resume=True)
    """

    batch_id: str
    operation: str
    concurrency: int
    counts: Mapping[Outcome, int]
    skipped: int
    retries: int
    rate_limit_pauses: int
    elapsed: float
    latency_ms: Mapping[str, float]  # p50, p90, p99, max; cancelled items left out
    interrupted: bool
    journal: str | None

    @property
    def processed(self) -> int:
        """Items that ended in this run (skipped ones not included)."""
        return sum(self.counts.values())

    @property
    def throughput(self) -> float:
        """Processed items per second."""
        return self.processed / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def all_settled(self) -> bool:
        """True when every item succeeded or was declined: nothing failed, is in doubt, was
        rate-limited (not finished: a resume sends it) or was rejected."""
        return not any(self.counts[o] for o in UNSETTLED)

    @classmethod
    def of(
        cls,
        stats: BatchStats,
        *,
        batch_id: str,
        operation: str,
        concurrency: int,
        interrupted: bool,
        journal: str | None,
    ) -> BatchSummary:
        """The summary of ``stats`` (``Batch.summary()`` calls it)."""
        latency = {f"p{p:g}": stats.latency.percentile(p) * 1000 for p in PERCENTILES}
        latency["max"] = stats.latency.max * 1000
        return cls(
            batch_id=batch_id,
            operation=operation,
            concurrency=concurrency,
            counts=dict(stats.counts),
            skipped=stats.skipped,
            retries=stats.retries,
            rate_limit_pauses=stats.rate_limit_pauses,
            elapsed=stats.elapsed,
            latency_ms=latency,
            interrupted=interrupted,
            journal=journal,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, journal: str | None = None) -> BatchSummary:
        """The summary a journal's ``end`` line holds (what ``to_dict()`` wrote), read leniently.

        Unknown outcomes are ignored and missing numbers read as 0 (a version 1 journal has no
        ``rate_limited``).
        """
        counts = dict.fromkeys(Outcome, 0)
        raw_counts = data.get("counts")
        if isinstance(raw_counts, Mapping):
            for outcome in Outcome:
                counts[outcome] = _int(raw_counts.get(outcome.value))
        raw_latency = data.get("latency_ms")
        latency = raw_latency if isinstance(raw_latency, Mapping) else {}
        return cls(
            batch_id=str(data.get("batch_id") or ""),
            operation=str(data.get("operation") or ""),
            concurrency=_int(data.get("concurrency")),
            counts=counts,
            skipped=_int(data.get("skipped")),
            retries=_int(data.get("retries")),
            rate_limit_pauses=_int(data.get("rate_limit_pauses")),
            elapsed=_number(data.get("elapsed_s")),
            latency_ms={k: _number(latency.get(k)) for k in ("p50", "p90", "p99", "max")},
            interrupted=data.get("interrupted") is True,
            journal=journal,
        )

    @classmethod
    def of_run(cls, run: JournalRun, *, journal: str | None = None) -> BatchSummary:
        """The summary of one run read back from a journal (``read_runs``).

        From its ``end`` line when it has one; else (the process stopped before writing it)
        counted from its item lines, with latencies from their ``ms``, the duration from the
        ``run`` line's ``at`` to the last line's, no skipped count, and ``interrupted`` set.
        """
        start = run.start
        if run.end is not None:
            merged = {
                "batch_id": start.get("batch_id"),
                "operation": start.get("operation"),
                "concurrency": start.get("concurrency"),
                **run.end,
            }
            return cls.from_dict(merged, journal=journal)
        histogram = LatencyHistogram()
        for ms in run.latencies_ms:
            histogram.add(ms / 1000)
        latency = {f"p{p:g}": histogram.percentile(p) * 1000 for p in PERCENTILES}
        latency["max"] = histogram.max * 1000
        return cls(
            batch_id=str(start.get("batch_id") or ""),
            operation=str(start.get("operation") or ""),
            concurrency=_int(start.get("concurrency")),
            counts=dict(run.counts),
            skipped=0,
            retries=0,
            rate_limit_pauses=0,
            elapsed=_seconds_between(start.get("at"), run.last_at),
            latency_ms=latency,
            interrupted=True,
            journal=journal,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (durations in seconds as ``elapsed_s``, latencies in ms)."""
        return {
            "batch_id": self.batch_id,
            "operation": self.operation,
            "concurrency": self.concurrency,
            "counts": {str(k): v for k, v in self.counts.items()},
            "skipped": self.skipped,
            "retries": self.retries,
            "rate_limit_pauses": self.rate_limit_pauses,
            "elapsed_s": round(self.elapsed, 3),
            "throughput_per_s": round(self.throughput, 1),
            "latency_ms": {k: round(v, 2) for k, v in self.latency_ms.items()},
            "interrupted": self.interrupted,
        }

    def format(self) -> str:
        """A readable multi-line summary."""
        state = "interrupted after" if self.interrupted else "finished"
        lines = [
            f"batch {self.batch_id!r} ({self.operation}, concurrency {self.concurrency:,}): "
            f"{state} {self.processed:,} items in {self.elapsed:.2f} s "
            f"({self.throughput:,.0f} items/s)"
        ]
        width = max(len(_LABELS[o]) for o in Outcome)
        lines.append(format_counts(self.counts))
        if self.skipped:
            lines.append(
                f"  {'skipped':<{width}}  {self.skipped:>9,}  (finished in an earlier run)"
            )
        lines.append(f"  retries: {self.retries:,}   rate-limit pauses: {self.rate_limit_pauses:,}")
        lat = self.latency_ms
        lines.append(
            "  latency ms: "
            + "  ".join(f"{name} {lat[name]:.1f}" for name in ("p50", "p90", "p99", "max"))
        )
        return "\n".join(lines)


def format_counts(counts: Mapping[Outcome, int], *, indent: str = "  ") -> str:
    """One line per outcome, as ``BatchSummary.format()`` shows them."""
    width = max(len(_LABELS[o]) for o in Outcome)
    return "\n".join(f"{indent}{_LABELS[o]:<{width}}  {counts.get(o, 0):>9,}" for o in Outcome)


def outcome_label(outcome: Outcome) -> str:
    """``in doubt``, ``rate-limited``, ...: an outcome as the console shows it."""
    return _LABELS[outcome]


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _number(value: object) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return 0.0


def _seconds_between(start: object, end: object) -> float:
    """Seconds from one journal ``at`` timestamp to another (0.0 when either is unreadable)."""
    try:
        first = datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        last = datetime.fromisoformat(str(end).replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    return max((last - first).total_seconds(), 0.0)


_LABELS: Final = {
    Outcome.SUCCEEDED: "succeeded",
    Outcome.DECLINED: "declined",
    Outcome.FAILED: "failed",
    Outcome.IN_DOUBT: "in doubt",
    Outcome.RATE_LIMITED: "rate-limited",
    Outcome.REJECTED: "rejected",
}
