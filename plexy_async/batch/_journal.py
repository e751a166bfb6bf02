"""The batch journal: JSON Lines, one line per item as it ends, appended and flushed at once.

Three kinds of line, told apart by ``event``::

    {"event": "run", "batch_id": "...", "operation": "payments.create", "key_check": "...", ...}
    {"event": "item", "id": "order-1", "line": 2, "outcome": "succeeded", "key": "pb_...",
     "attempts": 1, "ms": 21.4, "at": "...", "result": {"psp_reference": "...", ...}}
    {"event": "end", "interrupted": false, "counts": {...}, ...}

An item line may also hold ``"amount": {"value": 1000, "currency": "KZT"}`` (minor units,
ISO 4217), what the item asked for (``journal_amount(params)`` builds it); journals written
without it read the same, and their exports leave the amount empty.

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
from collections.abc import Iterator, Mapping
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
#: Outcomes an operator has to look at: the batch is not settled while an item ends on one.
PROBLEMS: Final = frozenset(
    {Outcome.FAILED, Outcome.IN_DOUBT, Outcome.RATE_LIMITED, Outcome.REJECTED}
)


def journal_line(record: Mapping[str, Any]) -> str:
    """One journal line: compact JSON, UTF-8 as it is, ``\\n`` at its end."""
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n"


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
        self._file.write(journal_line(record))
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


# --- reading a journal back: per item, per run ------------------------------------------------


def journal_amount(params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``amount`` field of an item line: what the item's params ask for, if they say.

    Args:
        params: The item's parameters; ``amount`` is an ``Amount`` (``value`` in minor units,
            ``currency`` ISO 4217), or an int of minor units beside a ``currency``.

    Returns:
        ``{"value": 1000, "currency": "KZT"}`` (``currency`` may be absent), or None when the
        params carry no amount. Never anything else from the params (they may hold card data).
    """
    amount = params.get("amount")
    value = getattr(amount, "value", amount)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    currency = getattr(amount, "currency", None) or params.get("currency")
    fields: dict[str, Any] = {"value": value}
    if isinstance(currency, str):
        fields["currency"] = currency
    return fields


def item_amount(record: Mapping[str, Any]) -> tuple[int | None, str | None]:
    """An item line's amount in minor units and its currency, or ``(None, None)``.

    Read from the line's ``amount`` field, else from its ``result`` (a response's amount).
    """
    for holder in (record, record.get("result")):
        amount = holder.get("amount") if isinstance(holder, Mapping) else None
        if isinstance(amount, Mapping):
            value = amount.get("value")
            currency = amount.get("currency")
            return (
                value if isinstance(value, int) and not isinstance(value, bool) else None,
                currency if isinstance(currency, str) else None,
            )
    return None, None


def item_reason(record: Mapping[str, Any]) -> tuple[str, str]:
    """Why an item line ended as it did: ``(error_code, message)``, either may be empty.

    ``error_code`` is the API's error code when it gave one, else the HTTP status, else the
    error's type (``InvalidInput`` for a rejected line, ``CancelledError``, ...); for a result
    (a decline, a ``result_code`` Error) the refusal reason code or the result code. Texts come
    from the journal, where card numbers are already masked.
    """
    error = record.get("error")
    if isinstance(error, Mapping):
        code = error.get("code") or error.get("status") or error.get("type") or ""
        return str(code), str(error.get("message") or "")
    result = record.get("result")
    if isinstance(result, Mapping) and record.get("outcome") != Outcome.SUCCEEDED:
        code = result.get("refusal_reason_code") or result.get("result_code") or ""
        message = result.get("refusal_reason") or result.get("message") or ""
        return str(code), str(message)
    return "", ""


def _item_slot(record: Mapping[str, Any], offset: int) -> tuple[str, object, object]:
    """What identifies an item across runs: its id and input line (two lines with the same id
    are two items: the second is refused by the server with that key, the first may be
    charged); a line without an id by its line number."""
    item_id = record.get("id")
    line = record.get("line")
    line = line if isinstance(line, int) else None
    if isinstance(item_id, str):
        return "id", item_id, line
    return ("line", line, None) if line is not None else ("offset", offset, None)


def final_items(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Each item's last journal line (its final outcome over every run), in input line order.

    Two passes over the file: the first keeps, per item, only where its last line starts (an
    id and two ints, about 100 bytes per item), the second reads those lines back. Unreadable
    lines and lines with an unknown outcome are skipped, as ``read_journal`` skips them. An
    input line rejected without an id is one item, identified by its line number.

    Args:
        path: The journal's path.

    Yields:
        Item lines (``event`` ``item``), ordered by ``line`` (lines without one last).

    Raises:
        OSError: The file cannot be opened.
    """
    last: dict[tuple[str, object, object], tuple[float, int]] = {}
    with open(path, "rb") as f:
        offset = 0
        for raw in f:
            record = _parse(raw.decode("utf-8", errors="replace"))
            if record is not None and record.get("event") == "item" and _known(record):
                line = record.get("line")
                order = float(line) if isinstance(line, int) else float("inf")
                last[_item_slot(record, offset)] = (order, offset)
            offset += len(raw)
        for _, start in sorted(last.values()):
            f.seek(start)
            record = _parse(f.readline().decode("utf-8", errors="replace"))
            if record is not None:
                yield record


@attrs.define(eq=False)
class JournalRun:
    """One run of a batch as its journal tells it: its ``run`` line, items and ``end`` line.

    Attributes:
        number: 1 for the first run, 2 for the first resume, ...
        start: The ``run`` line (batch id, operation, concurrency, ``at``, ``resume``).
        end: The ``end`` line (its summary), or None when the run was cut off before it.
        counts: Items this run ended, per outcome, counted from its item lines.
        latencies_ms: Each item line's ``ms`` (kept only when the run has no ``end`` line).
        last_at: The ``at`` of the run's last line (an ISO 8601 UTC timestamp).
        problems: This run's first ``limit`` item lines with an outcome in ``PROBLEMS``.
        problem_count: All of this run's item lines with such an outcome.
    """

    number: int
    start: dict[str, Any]
    end: dict[str, Any] | None = None
    counts: dict[Outcome, int] = attrs.field(factory=lambda: dict.fromkeys(Outcome, 0))
    latencies_ms: list[float] = attrs.field(factory=list)
    last_at: str | None = None
    problems: list[dict[str, Any]] = attrs.field(factory=list)
    problem_count: int = 0


def read_runs(
    path: str | os.PathLike[str], *, problems: int = 0, last_only: bool = False
) -> list[JournalRun]:
    """Every run a journal records (``run`` lines start each), in order.

    Memory: constant per run, plus the ``ms`` of each item of a run cut off before its ``end``
    line (8 bytes an item) and ``problems`` item lines per run.

    Args:
        path: The journal's path.
        problems: Keep this many of each run's problem item lines (``JournalRun.problems``).
        last_only: Keep only the last run (the one a batch just wrote).

    Returns:
        The runs; item lines before the first ``run`` line (none in a journal this library
        wrote) count towards a run numbered 0.

    Raises:
        OSError: The file cannot be opened.
    """
    runs: list[JournalRun] = []
    current: JournalRun | None = None
    seen = 0
    for record in iter_journal(path):
        event = record.get("event")
        if event == "run":
            seen += 1
            current = JournalRun(number=seen, start=record)
            if last_only:
                runs.clear()
            runs.append(current)
        elif current is None:
            current = JournalRun(number=0, start={})
            runs.append(current)
        if isinstance(record.get("at"), str):
            current.last_at = record["at"]
        if event == "end":
            current.end = record
            current.latencies_ms.clear()
        elif event == "item" and _known(record):
            outcome = Outcome(str(record["outcome"]))
            current.counts[outcome] += 1
            ms = record.get("ms")
            if current.end is None and isinstance(ms, (int, float)) and not isinstance(ms, bool):
                current.latencies_ms.append(float(ms))
            if outcome in PROBLEMS:
                current.problem_count += 1
                if len(current.problems) < problems:
                    current.problems.append(record)
    return runs


def _known(record: Mapping[str, Any]) -> bool:
    return record.get("outcome") in _OUTCOME_VALUES


_OUTCOME_VALUES: Final = frozenset(o.value for o in Outcome)
