"""The batch journal: JSON Lines, one line per item as it ends, appended and flushed at once.

Three kinds of line, told apart by ``event``::

    {"event": "run", "batch_id": "...", "operation": "payments.create", "key_check": "...", ...}
    {"event": "item", "id": "order-1", "line": 2, "outcome": "succeeded", "key": "pb_...",
     "attempts": 1, "ms": 21.4, "at": "...", "result": {"psp_reference": "...", ...}}
    {"event": "end", "interrupted": false, "counts": {...}, ...}

``attempts`` is the number of HTTP requests the item sent. It is ``null`` only for a call
cancelled in flight whose requests no hook counted: the client lacks ``batch.trace_config()``
(whose hooks count them as they start), so the number is unknown.

Versions (the ``version`` of each ``run`` line): 2 added the outcome ``rate_limited`` and a
``null`` ``attempts``. Version 1 journals read as before. A reader that predates version 2
skips ``rate_limited`` lines as unreadable, so it sends those items again, with the same key.

What never goes in: card numbers or CVCs (item parameters are not written at all, and every
message has card-number-like digit runs masked), the API key, the batch's HMAC secret
(``key_check`` is an HMAC output, like the idempotency keys, and reveals nothing about it).

Writes are synchronous and happen on the event loop's thread, one whole line per call: lines from
concurrent workers can never interleave. A line cut off by a crash is skipped when the journal
is read back, and the writer starts a fresh line after it.
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Final

import attrs

JOURNAL_VERSION: Final = 2


class Outcome(enum.StrEnum):
    """How an item ended."""

    SUCCEEDED = "succeeded"
    """The call returned; the journal holds the response's ids."""
    DECLINED = "declined"
    """The call returned ``result_code`` Refused: data, nothing was charged."""
    FAILED = "failed"
    """An error answer or failure: nothing was charged."""
    IN_DOUBT = "in_doubt"
    """It may or may not have been processed: re-sent with its key on resume."""
    RATE_LIMITED = "rate_limited"
    """Every request it sent was answered 429, before any processing: nothing was charged,
    and nothing was settled either; re-sent with its key on resume, like an item in doubt."""
    REJECTED = "rejected"
    """Bad input or arguments: never sent."""


FINISHED: Final = frozenset({Outcome.SUCCEEDED, Outcome.DECLINED, Outcome.FAILED})
"""Outcomes a resumed batch does not send again (``retry_failed`` re-sends FAILED too).

REJECTED is not among them: fix the input line and resume, and it goes out. IN_DOUBT and
RATE_LIMITED go out again with the key the journal holds for them.
"""
#: Outcomes whose journalled key a resumed batch sends the item with.
RESENT_WITH_KEY: Final = frozenset({Outcome.IN_DOUBT, Outcome.RATE_LIMITED})


class JournalWriter:
    """Appends one JSON line per call and flushes it (``fsync=True`` also syncs it to disk)."""

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = False) -> None:
        self.path = Path(path)
        self._fsync = fsync
        self._file: IO[str] = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115
        if self._file.tell() > 0:  # after a crash the last line may be cut off
            self._file.seek(self._file.tell() - 1)
            last = self._file.read(1)
            if last != "\n":
                self._file.write("\n")

    def write(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n")
        self._file.flush()
        if self._fsync:
            os.fsync(self._file.fileno())

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    @property
    def closed(self) -> bool:
        return self._file.closed


@attrs.define(eq=False)
class JournalState:
    """What a journal says so far: the batch it belongs to and each item's latest outcome.

    Attributes:
        batch_id: The batch the journal belongs to (None for an empty journal).
        operation: The operation its first run called.
        key_check: A check of the batch secret (an HMAC output: reveals nothing about it).
        runs: How many runs wrote to it.
        outcomes: Each item id's latest outcome.
        in_doubt_keys: The key each item in doubt was sent with.
        rate_limited_keys: The key each rate-limited item was sent with.
        rejected_lines: Input lines without an id that were rejected.
        unreadable_lines: Lines skipped as unreadable (a line cut off by a crash, say).
    """

    batch_id: str | None = None
    operation: str | None = None
    key_check: str | None = None
    runs: int = 0
    outcomes: dict[str, Outcome] = attrs.field(factory=dict)  # item id -> latest outcome
    in_doubt_keys: dict[str, str] = attrs.field(factory=dict)  # item id -> its original key
    rate_limited_keys: dict[str, str] = attrs.field(factory=dict)  # the same, rate-limited
    rejected_lines: dict[int, Outcome] = attrs.field(factory=dict)  # id-less rejected lines
    unreadable_lines: int = 0

    def finished(self, item_id: str, *, retry_failed: bool = False) -> bool:
        """Whether a resumed run skips the item (its latest outcome is in ``FINISHED``)."""
        outcome = self.outcomes.get(item_id)
        if outcome is None or outcome not in FINISHED:
            return False
        return not (retry_failed and outcome is Outcome.FAILED)

    def resend_key(self, item_id: str) -> str | None:
        """The key a rate-limited or in-doubt item was sent with, to send it again with."""
        return self.in_doubt_keys.get(item_id) or self.rate_limited_keys.get(item_id)

    def counts(self) -> dict[Outcome, int]:
        """Items per latest outcome, over every run the journal records."""
        counts = dict.fromkeys(Outcome, 0)
        for outcome in self.outcomes.values():
            counts[outcome] += 1
        counts[Outcome.REJECTED] += len(self.rejected_lines)
        return counts

    def add(self, record: dict[str, Any]) -> None:
        """Take one parsed journal line into account."""
        event = record.get("event")
        if event == "run":
            self.runs += 1
            if self.batch_id is None:
                self.batch_id = _str_or_none(record.get("batch_id"))
                self.operation = _str_or_none(record.get("operation"))
                self.key_check = _str_or_none(record.get("key_check"))
            return
        if event != "item":
            return
        try:
            outcome = Outcome(str(record.get("outcome")))
        except ValueError:
            self.unreadable_lines += 1
            return
        item_id = record.get("id")
        if not isinstance(item_id, str):
            line = record.get("line")
            if outcome is Outcome.REJECTED and isinstance(line, int):
                self.rejected_lines[line] = outcome
            return
        self.outcomes[item_id] = outcome
        self.in_doubt_keys.pop(item_id, None)
        self.rate_limited_keys.pop(item_id, None)
        key = record.get("key")
        if outcome in RESENT_WITH_KEY and isinstance(key, str):
            keys = self.in_doubt_keys if outcome is Outcome.IN_DOUBT else self.rate_limited_keys
            keys[item_id] = key


def iter_journal(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Every readable line of a journal, in order. Unreadable lines are skipped.

    Args:
        path: The journal's path.

    Yields:
        Each line's JSON object (``event`` is ``run``, ``item`` or ``end``).

    Raises:
        OSError: The file cannot be opened.

    Example:
        ::

            for record in iter_journal("out.jsonl"):
                if record.get("outcome") == "in_doubt":
                    print(record["id"], record["key"])
    """
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            record = _parse(line)
            if record is not None:
                yield record


def read_journal(path: str | os.PathLike[str]) -> JournalState:
    """The state a journal records; an absent file reads as an empty journal.

    Memory: the latest outcome of every item id is kept (about 100 bytes per item).

    Args:
        path: The journal's path.

    Returns:
        The batch id, operation and each item's latest outcome.

    Raises:
        OSError: The file exists but cannot be read.

    Example:
        ::

            state = read_journal("out.jsonl")
            print(state.counts()[Outcome.IN_DOUBT], "items in doubt")
    """
    state = JournalState()
    if not os.path.exists(path):
        return state
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.strip():
                continue
            record = _parse(line)
            if record is None:
                state.unreadable_lines += 1
            else:
                state.add(record)
    return state


def _parse(line: str) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None
