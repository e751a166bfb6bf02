"""Failure reasons on the console: the items that did not settle, with line, id and reason.

At the end of ``batch`` and ``demo`` the first ``CONSOLE_LIMIT`` items that failed, are in doubt,
were rate-limited or were rejected are printed, each as one row, then where the rest are::

    not settled (first 10 of 23):
      line 42    order-41   rejected      InvalidInput: line 42: missing amount
      line 97    order-95   failed        422 invalid_card: Invalid card number
      13 more: plexy-async journal out.jsonl --failures

Everything comes from the journal, where card numbers are already masked; every text goes
through the one mask (``plexy_async._mask``) again on its way out, all the same.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from typing import IO, Any, Final

from plexy_async._mask import mask_card_data
from plexy_async.batch._journal import (
    PROBLEMS,
    Outcome,
    final_items,
    item_reason,
    read_runs,
)
from plexy_async.batch._stats import outcome_label

CONSOLE_LIMIT: Final = 10
"""How many unsettled items the end of a run lists; ``journal --failures`` lists them all."""
_REASON_WIDTH: Final = 72  # characters of a reason on the console; --failures shows it all


def problem_row(record: Mapping[str, Any], *, shorten: bool = False) -> str:
    """One unsettled item as a console row: line, id, outcome and reason (masked)."""
    line = record.get("line")
    where = f"line {line:,}" if isinstance(line, int) else "line ?"
    item_id = mask_card_data(str(record.get("id") or "-"))
    outcome = outcome_label(Outcome(str(record.get("outcome"))))
    code, message = item_reason(record)
    reason = mask_card_data(f"{code}: {message}" if code and message else code or message)
    reason = " ".join(reason.split()) or "-"
    if shorten and len(reason) > _REASON_WIDTH:
        reason = reason[: _REASON_WIDTH - 1] + "…"
    return f"{where:<11} {item_id:<14} {outcome:<13} {reason}"


def _line_order(record: Mapping[str, Any]) -> float:
    line = record.get("line")
    return float(line) if isinstance(line, int) else float("inf")


def failures_hint(journal: str) -> str:
    """The command that lists every unsettled item of ``journal``."""
    return f"plexy-async journal {shlex.quote(journal)} --failures"


def print_problems(
    records: Iterable[Mapping[str, Any]], total: int, journal: str | None, out: IO[str], title: str
) -> None:
    """Print up to ``CONSOLE_LIMIT`` of ``records`` (of ``total``), then where the rest are."""
    if total == 0:
        return
    shown = sorted(list(records)[:CONSOLE_LIMIT], key=_line_order)
    head = f"first {len(shown)} of {total:,}" if total > len(shown) else f"{total:,}"
    print(f"\n{title} ({head}):", file=out)
    for record in shown:
        print("  " + problem_row(record, shorten=True), file=out)
    more = total - len(shown)
    if more > 0 and journal is not None:
        print(f"  {more:,} more: {failures_hint(journal)}", file=out)
    elif journal is not None:
        print(f"  details: {failures_hint(journal)}", file=out)


def print_run_problems(journal: str, out: IO[str]) -> None:
    """The unsettled items of the journal's last run (the one that just ended)."""
    runs = read_runs(journal, problems=CONSOLE_LIMIT, last_only=True)
    if runs:
        run = runs[-1]
        print_problems(run.problems, run.problem_count, journal, out, "not settled in this run")


def print_final_problems(journal: str, out: IO[str], *, hint: bool = True) -> int:
    """The items whose final outcome, over every run of the journal, is unsettled.

    Args:
        journal: The journal's path.
        out: Where to print.
        hint: Say how to list them all (False when the journal is about to be deleted).

    Returns:
        How many there are.
    """
    shown: list[dict[str, Any]] = []
    total = 0
    for record in final_items(journal):
        if record.get("outcome") in PROBLEMS:
            total += 1
            if len(shown) < CONSOLE_LIMIT:
                shown.append(record)
    print_problems(shown, total, journal if hint else None, out, "not settled")
    return total
