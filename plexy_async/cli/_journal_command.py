"""``plexy-async journal JOURNAL``: summarise, list the failures of, or export a batch journal.

It only reads the journal: no API key, no batch secret, no network.

* default: for every run of the batch (a resumed batch has several; a ``run`` line starts
  each), the table a run prints at its end (``BatchSummary.format()``), then every item's final
  outcome over all runs (an item's last outcome wins);
* ``--failures``: every item whose final outcome is failed, in doubt, rate-limited or
  rejected: line, id, outcome, error code and message;
* ``--export FILE`` (``-`` for stdout): a CSV file, one row per item (its final outcome), with
  the columns of ``EXPORT_COLUMNS``; ``--failures --export`` exports only those items.

Exit status: 0 when the journal was read, 2 when it is missing or unreadable (``EXIT_USAGE``).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import textwrap
from collections.abc import Iterator, Mapping
from typing import IO, Any, Final

from plexy_async._mask import mask_card_data
from plexy_async.batch._journal import (
    JOURNAL_VERSION,
    PROBLEMS,
    final_items,
    item_amount,
    item_reason,
    read_journal,
    read_runs,
)
from plexy_async.batch._stats import BatchSummary, format_counts
from plexy_async.cli._failures import failures_hint, problem_row
from plexy_async.cli._help import HelpFormatter
from plexy_async.cli._running import EXIT_OK, EXIT_USAGE

EXPORT_COLUMNS: Final = (
    "id",
    "line",
    "outcome",
    "psp_reference",
    "result_code",
    "amount",
    "currency",
    "error_code",
    "message",
    "idempotency_key",
)
"""The ``--export`` columns. ``result_code`` is the answer's (``Authorised``, ``Refused``; a
``RedirectShopper`` payment waits for its 3-D Secure details: nothing is charged until they
come); ``amount`` is in minor units (empty when the journal did not record it);
``error_code`` is the API's error code, else the HTTP status, else the error type (for a
decline: the refusal reason code); ``idempotency_key`` is the key the item was sent with (an
HMAC output: it reveals nothing about the batch secret)."""


class JournalError(Exception):
    """The journal cannot be read: missing, unreadable, or not a batch journal."""


def add_journal_parser(commands: Any) -> None:
    """Add the ``journal`` command to the ``plexy-async`` sub-parsers."""
    parser = commands.add_parser(
        "journal",
        help="summarise a batch journal, list its failures or export it as CSV (no secret)",
        description="Read a batch journal (what `plexy-async batch` and `demo` write): by "
        "default a summary of every run of the batch (a resumed batch has several) and each "
        "item's final outcome over all runs. It needs no API key and no batch secret, and "
        "sends nothing.",
        epilog=f"exit status: {EXIT_OK} the journal was read; {EXIT_USAGE} it is missing or "
        "unreadable\n\n"
        "export columns (one row per item, its final outcome):\n"
        + textwrap.fill(", ".join(EXPORT_COLUMNS), 79, initial_indent="  ", subsequent_indent="  ")
        + "\n  amount in minor units; empty when the journal did not record it",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("journal", metavar="JOURNAL", help="the JSON Lines journal of a batch")
    parser.add_argument(
        "--failures",
        action="store_true",
        help="list every item whose final outcome is failed, in doubt, rate-limited or "
        "rejected: line, id, outcome, error code and message",
    )
    parser.add_argument(
        "--export",
        metavar="FILE",
        help="write one CSV row per item (its final outcome) to FILE, '-' for stdout; with "
        "--failures, only those items",
    )


async def journal_command(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Run ``plexy-async journal``; see the module docstring."""
    path: str = args.journal
    try:
        _check_readable(path)
        if args.export is not None:
            return _export(path, args.export, only_problems=args.failures, out=out)
        if args.failures:
            _failures(path, out)
        else:
            _summary(path, out)
    except BrokenPipeError:  # ``... --export - | head``: the reader has all it wanted
        _quiet_stdout(out)
        return EXIT_OK
    except JournalError as exc:
        print(f"plexy-async journal: {exc}", file=err)
        return EXIT_USAGE
    except OSError as exc:
        print(f"plexy-async journal: cannot read {path}: {exc.strerror or exc}", file=err)
        return EXIT_USAGE
    return EXIT_OK


def _quiet_stdout(out: IO[str]) -> None:
    """After a broken pipe on stdout, send what is left to /dev/null (Python would otherwise
    complain when it flushes stdout at exit)."""
    if out is sys.stdout:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _check_readable(path: str) -> None:
    if not os.path.exists(path):
        raise JournalError(f"no journal at {path}")
    if os.path.isdir(path):
        raise JournalError(f"{path} is a directory, not a journal")
    state = read_journal(path)
    if state.runs == 0 and not state.outcomes and not state.rejected_lines:
        raise JournalError(
            f"{path} is not a batch journal: it has no readable run or item line (a journal "
            "is the JSON Lines file `plexy-async batch --journal` writes)"
        )


def _summary(path: str, out: IO[str]) -> None:
    state = read_journal(path)
    runs = read_runs(path)
    print(
        f"journal {path}: batch {state.batch_id!r} ({state.operation or '?'}), "
        f"{state.runs:,} run(s)",
        file=out,
    )
    for run in runs:
        summary = BatchSummary.of_run(run, journal=path)
        started = run.start.get("at") or "?"
        kind = "resumed" if run.start.get("resume") else "first"
        print(f"\nrun {run.number} ({kind}, started {started}):", file=out)
        print(summary.format(), file=out)
        if run.end is None:
            print(
                "  (no end line: the process stopped before it; counted from the item lines)",
                file=out,
            )
        version = run.start.get("version")
        if isinstance(version, int) and version > JOURNAL_VERSION:
            print(f"  (journal version {version}, newer than this reader's)", file=out)
    counts = state.counts()
    print(f"\nevery run, each item's final outcome ({sum(counts.values()):,} items):", file=out)
    print(format_counts(counts), file=out)
    unsettled = sum(counts[o] for o in PROBLEMS)
    if unsettled:
        print(f"  {unsettled:,} not settled: {failures_hint(path)}", file=out)
    if state.unreadable_lines:
        print(f"  {state.unreadable_lines:,} unreadable line(s) skipped", file=out)


def _failures(path: str, out: IO[str]) -> None:
    total = 0
    for record in final_items(path):
        if record.get("outcome") in PROBLEMS:
            if total == 0:
                print(f"{'line':<11} {'id':<14} {'outcome':<13} error code: message", file=out)
            total += 1
            print(problem_row(record), file=out)
    print(
        f"{total:,} item(s) not settled" if total else "every item succeeded or was declined",
        file=out,
    )


def _export(path: str, target: str, *, only_problems: bool, out: IO[str]) -> int:
    if target != "-" and os.path.exists(target) and os.path.samefile(target, path):
        raise JournalError("--export would overwrite the journal itself: choose another file")
    rows = _rows(path, only_problems=only_problems)
    if target == "-":
        _write_csv(rows, out)
        return EXIT_OK
    try:
        with open(target, "w", encoding="utf-8", newline="") as f:
            count = _write_csv(rows, f)
    except OSError as exc:
        raise JournalError(f"cannot write {target}: {exc.strerror or exc}") from None
    print(f"wrote {count:,} row(s) to {target}", file=out)
    return EXIT_OK


def _write_csv(rows: Iterator[dict[str, str]], stream: IO[str]) -> int:
    writer = csv.DictWriter(stream, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    stream.flush()
    return count


def _rows(path: str, *, only_problems: bool) -> Iterator[dict[str, str]]:
    for record in final_items(path):
        if only_problems and record.get("outcome") not in PROBLEMS:
            continue
        yield export_row(record)


def export_row(record: Mapping[str, Any]) -> dict[str, str]:
    """One item line as an ``--export`` row (every text masked)."""
    result = record.get("result")
    result = result if isinstance(result, Mapping) else {}
    value, currency = item_amount(record)
    code, message = item_reason(record)
    line = record.get("line")
    row = {
        "id": _text(record.get("id")),
        "line": str(line) if isinstance(line, int) else "",
        "outcome": _text(record.get("outcome")),
        "psp_reference": _text(result.get("psp_reference")),
        "result_code": _text(result.get("result_code")),
        "amount": "" if value is None else str(value),
        "currency": currency or "",
        "error_code": code,
        "message": message,
    }
    masked = {name: mask_card_data(text) for name, text in row.items()}
    # The key is the batch's own HMAC output (hex), never data from the input or the server: it
    # goes out as sent (the mask would take a Luhn-valid run of its digits for a card number).
    masked["idempotency_key"] = _text(record.get("key"))
    return masked


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
