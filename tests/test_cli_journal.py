"""``plexy-async journal``: summary per run, failures and CSV export of a real journal.

The journal is written by real runs against ``MockPlexy`` with faults, so it holds every outcome:
succeeded, declined, failed (a card the mock answers 422), rejected (bad input lines, one with
an id and a card number in its reason), rate-limited (429 on every attempt) and in doubt (the
connection dropped after the commit on every attempt); a resumed second run settles some and
leaves others. ``plexy-async journal`` then runs as a subprocess, with no API key and no secret.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import attrs
import pytest
from batch_support import DECLINE, INVALID, PAYMENTS, SECRET, client_for, payment_item

from plexy_async import RetryPolicy
from plexy_async.batch import Batch, InvalidItem, Item, idempotency_key_for, read_journal
from plexy_async.batch._journal import final_items, journal_amount, read_runs
from plexy_async.batch._stats import BatchSummary
from plexy_async.cli import EXIT_OK, EXIT_USAGE
from plexy_async.cli._journal_command import EXPORT_COLUMNS
from plexy_async.testing import Fault, MockPlexy

RETRY = RetryPolicy(max_attempts=3, initial_delay=0.0, max_delay=0.0, jitter=False)
MAX_RESENDS = 1
EVERY_ATTEMPT = RETRY.max_attempts * (MAX_RESENDS + 1)  # requests of an item 429'd throughout
LIMITED = Fault.status(429, retry_after=0.01)
BATCH_ID = "journal-cli"
CARD = "4242424242424242"
MASKED = "424242******4242"


def ref(i: int) -> str:
    return f"order-{i:05d}"


def items() -> list[Item]:
    """Lines 1-16; with ``concurrency=1`` the requests go out in this order."""
    out: list[Item] = [payment_item(i) for i in range(4)]  # lines 1-4: succeeded
    out.append(payment_item(4, DECLINE))  # line 5: declined
    out.append(payment_item(5, INVALID))  # line 6: failed (the mock answers 422)
    out.append(InvalidItem(line=7, reason="line 7: missing amount"))  # rejected, no id
    out += [payment_item(i) for i in (7, 8)]  # lines 8, 9: rate-limited in run 1
    out += [payment_item(i) for i in (9, 10)]  # lines 10, 11: in doubt in run 1
    out.append(
        InvalidItem(line=12, reason=f"line 12: unknown currency 'XYZ' (card {CARD})", id=ref(11))
    )
    out += [payment_item(i) for i in range(12, 16)]  # lines 13-16: succeeded
    return out


@attrs.frozen
class Built:
    journal: Path
    mock: MockPlexy


async def build_journal(mock: MockPlexy, journal: Path) -> Built:
    """Run 1 leaves two items rate-limited and two in doubt; run 2 (resumed) settles one of
    each and leaves the others as they were."""
    # run 1: 6 requests pass (lines 1-6), lines 8 and 9 get 429s throughout, then lines 10 and
    # 11 have their connection dropped after the commit on every attempt
    mock.faults.add(*PAYMENTS, LIMITED, times=2 * EVERY_ATTEMPT, after=6)
    mock.faults.add(*PAYMENTS, Fault.drop_after_commit(), times=2 * RETRY.max_attempts)
    first = Batch(
        batch_id=BATCH_ID, secret=SECRET, concurrency=1, journal=journal, max_resends=MAX_RESENDS
    )
    async with client_for(mock, first, RETRY) as plexy:
        summary = await first.run(plexy, items(), "payments.create")
    assert dict(summary.to_dict()["counts"]) == {
        "succeeded": 8,
        "declined": 1,
        "failed": 1,
        "in_doubt": 2,
        "rate_limited": 2,
        "rejected": 2,
    }
    mock.faults.clear()
    # run 2: line 8 passes, line 9 is 429'd throughout, line 10 passes, line 11 dropped again
    mock.faults.add(*PAYMENTS, LIMITED, times=EVERY_ATTEMPT, after=1)
    mock.faults.add(*PAYMENTS, Fault.drop_after_commit(), times=RETRY.max_attempts, after=1)
    second = Batch(
        batch_id=BATCH_ID,
        secret=SECRET,
        concurrency=1,
        journal=journal,
        resume=True,
        max_resends=MAX_RESENDS,
    )
    async with client_for(mock, second, RETRY) as plexy:
        again = await second.run(plexy, items(), "payments.create")
    mock.faults.clear()
    assert again.skipped == 10
    assert again.counts["succeeded"] == 2 and again.counts["rate_limited"] == 1
    assert again.counts["in_doubt"] == 1 and again.counts["rejected"] == 2
    return Built(journal, mock)


FINAL = {
    **{ref(i): "succeeded" for i in (0, 1, 2, 3, 7, 9, 12, 13, 14, 15)},
    ref(4): "declined",
    ref(5): "failed",
    ref(8): "rate_limited",
    ref(10): "in_doubt",
    ref(11): "rejected",
}


@pytest.fixture
async def built(mock_plexy: MockPlexy, tmp_path: Path) -> Built:
    return await build_journal(mock_plexy, tmp_path / "journal.jsonl")


def journal_cli(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``plexy-async journal ...`` in its own process, with no PLEXY_* variable at all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEXY_")}
    return subprocess.run(
        [sys.executable, "-m", "plexy_async", "journal", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=cwd,
        check=False,
    )


def no_card_data(text: str) -> None:
    assert CARD not in text and "4242424242424241" not in text


async def test_the_built_journal_holds_every_outcome(built: Built) -> None:
    lines = [json.loads(x) for x in built.journal.read_text().splitlines()]
    seen = {r["outcome"] for r in lines if r["event"] == "item"}
    assert seen == {"succeeded", "declined", "failed", "in_doubt", "rate_limited", "rejected"}
    state = read_journal(built.journal)
    assert state.runs == 2
    assert {k: v.value for k, v in state.outcomes.items()} == FINAL
    assert state.rejected_lines.keys() == {7}


async def test_summary_shows_every_run_and_the_final_outcomes(built: Built) -> None:
    result = journal_cli(str(built.journal))
    assert result.returncode == EXIT_OK, result.stderr
    out = result.stdout
    assert f"batch '{BATCH_ID}' (payments.create), 2 run(s)" in out
    run1, rest = out.split("\nrun 2 (resumed", 1)
    run2, totals = rest.split("\nevery run, each item's final outcome", 1)
    assert "run 1 (first, started " in run1
    for label, n in [("succeeded", 8), ("declined", 1), ("failed", 1), ("in doubt", 2)]:
        assert re.search(rf"  {label}\s+{n}\n", run1), (label, run1)
    assert re.search(r"rate-limited\s+2\n", run1) and re.search(r"rejected\s+2\n", run1)
    assert f"batch '{BATCH_ID}' (payments.create, concurrency 1): finished 16 items" in run1
    assert re.search(r"succeeded\s+2\n", run2) and re.search(r"rate-limited\s+1\n", run2)
    assert re.search(r"skipped\s+10\s+\(finished in an earlier run\)", run2)
    assert "(16 items):" in totals  # 15 ids and one id-less rejected line
    final = Counter(FINAL.values())
    assert re.search(rf"succeeded\s+{final['succeeded']}\n", totals)
    assert re.search(r"rejected\s+2\n", totals) and re.search(r"in doubt\s+1\n", totals)
    assert re.search(r"rate-limited\s+1\n", totals) and re.search(r"failed\s+1\n", totals)
    assert f"5 not settled: plexy-async journal {built.journal} --failures" in totals
    no_card_data(out)


async def test_failures_lists_every_unsettled_item_with_its_reason(built: Built) -> None:
    result = journal_cli(str(built.journal), "--failures")
    assert result.returncode == EXIT_OK, result.stderr
    header, *rows, last = result.stdout.splitlines()
    assert header.split() == ["line", "id", "outcome", "error", "code:", "message"]
    assert len(rows) == 5
    by_line = {int(x.split()[1]): x for x in rows}
    assert sorted(by_line) == [6, 7, 9, 11, 12]  # in input line order
    assert re.match(rf"line 6\s+{ref(5)}\s+failed\s+\S+: \S", by_line[6])
    assert re.match(r"line 7\s+-\s+rejected\s+InvalidInput: line 7: missing amount", by_line[7])
    assert re.match(rf"line 9\s+{ref(8)}\s+rate-limited\s+rate_limited: HTTP 429", by_line[9])
    assert re.match(rf"line 11\s+{ref(10)}\s+in doubt\s+OutcomeUnknownError", by_line[11])
    assert re.match(rf"line 12\s+{ref(11)}\s+rejected\s+InvalidInput: .*XYZ", by_line[12])
    assert MASKED in by_line[12]
    assert last == "5 item(s) not settled"
    no_card_data(result.stdout)


async def test_export_has_one_row_per_item_matching_the_ledger(
    built: Built, tmp_path: Path
) -> None:
    target = tmp_path / "results.csv"
    result = journal_cli(str(built.journal), "--export", str(target))
    assert result.returncode == EXIT_OK, result.stderr
    assert f"wrote 16 row(s) to {target}" in result.stdout
    text = target.read_text(encoding="utf-8")
    no_card_data(text)
    reader = csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"), newline=""))
    assert tuple(reader.fieldnames or ()) == EXPORT_COLUMNS
    rows = list(reader)
    assert len(rows) == 16
    assert [int(r["line"]) for r in rows] == list(range(1, 16 + 1))
    by_id = {r["id"]: r for r in rows if r["id"]}
    assert {i: r["outcome"] for i, r in by_id.items()} == FINAL
    (anonymous,) = [r for r in rows if not r["id"]]
    assert anonymous["outcome"] == "rejected" and anonymous["line"] == "7"
    assert anonymous["message"] == "line 7: missing amount"
    assert anonymous["idempotency_key"] == ""
    charges = {c.psp_reference: c for c in built.mock.ledger.charges}
    succeeded = [r for r in rows if r["outcome"] == "succeeded"]
    assert len(succeeded) == 10
    for row in succeeded:
        charge = charges[row["psp_reference"]]  # every succeeded row is a ledger charge
        assert charge.reference == row["id"]
        assert charge.idempotency_key == row["idempotency_key"]
        assert row["idempotency_key"] == idempotency_key_for(SECRET, BATCH_ID, row["id"])
        assert row["amount"] == str(charge.value)  # minor units, as charged
        assert row["currency"] == charge.currency
    # the ledger: one charge per succeeded item, plus the one in doubt (it committed)
    by_reference = Counter(c.reference for c in built.mock.ledger.charges)
    assert set(by_reference) == {r["id"] for r in succeeded} | {ref(10)}
    assert max(by_reference.values()) == 1
    for row in rows:
        if row["outcome"] == "declined":  # a refusal has its pspReference, and no charge
            assert row["psp_reference"] and row["psp_reference"] not in charges
        elif row["outcome"] != "succeeded":
            assert row["psp_reference"] == ""
    assert by_id[ref(4)]["error_code"] and by_id[ref(4)]["outcome"] == "declined"
    assert by_id[ref(8)]["error_code"] == "rate_limited"  # the API's code
    assert by_id[ref(11)]["error_code"] == "InvalidInput" and MASKED in by_id[ref(11)]["message"]


async def test_export_to_stdout_and_only_failures(built: Built) -> None:
    result = journal_cli(str(built.journal), "--export", "-", "--failures")
    assert result.returncode == EXIT_OK, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert sorted(r["outcome"] for r in rows) == sorted(
        ["failed", "rejected", "rejected", "rate_limited", "in_doubt"]
    )
    everything = journal_cli(str(built.journal), "--export", "-")
    assert len(list(csv.DictReader(io.StringIO(everything.stdout)))) == 16


async def test_export_refuses_to_overwrite_the_journal(built: Built) -> None:
    before = built.journal.read_bytes()
    result = journal_cli(str(built.journal), "--export", str(built.journal))
    assert result.returncode == EXIT_USAGE
    assert "would overwrite the journal" in result.stderr
    assert built.journal.read_bytes() == before


async def test_a_run_cut_off_before_its_end_line_is_counted_from_its_items(
    built: Built, tmp_path: Path
) -> None:
    lines = built.journal.read_text().splitlines(keepends=True)
    assert json.loads(lines[-1])["event"] == "end"
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(lines[:-1]) + '{"event":"item","id":"order-9999')  # a torn line
    runs = read_runs(cut)
    assert [r.end is None for r in runs] == [False, True]
    summary = BatchSummary.of_run(runs[1])
    assert summary.interrupted and summary.counts["succeeded"] == 2
    assert summary.latency_ms["max"] > 0
    result = journal_cli(str(cut))
    assert result.returncode == EXIT_OK, result.stderr
    assert "(no end line: the process stopped before it; counted from the item lines)" in (
        result.stdout
    )
    assert "1 unreadable line(s) skipped" in result.stdout


def test_amounts_are_exported_when_the_journal_has_them(tmp_path: Path) -> None:
    """The optional ``amount`` field of an item line (see ``journal_amount``); a journal
    written without it exports empty cells."""
    item = payment_item(3)
    assert journal_amount(item.params) == {"value": 1003, "currency": "KZT"}
    assert journal_amount({"amount": 500, "currency": "JPY"}) == {"value": 500, "currency": "JPY"}
    assert journal_amount({"transaction_id": "t"}) is None
    journal = tmp_path / "j.jsonl"
    records: list[dict[str, Any]] = [
        {"event": "run", "version": 2, "batch_id": "b", "operation": "payments.create"},
        {"event": "item", "id": "a", "line": 1, "outcome": "succeeded", "key": "pb_a",
         "result": {"psp_reference": "P1"}, "amount": journal_amount(item.params)},
        {"event": "item", "id": "b", "line": 2, "outcome": "succeeded", "key": "pb_b",
         "result": {"psp_reference": "P2"}},
    ]  # fmt: skip
    journal.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = journal_cli(str(journal), "--export", "-")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["id"], r["amount"], r["currency"]) for r in rows] == [
        ("a", "1003", "KZT"),
        ("b", "", ""),
    ]
    assert [r["id"] for r in final_items(journal)] == ["a", "b"]


def test_a_version_1_journal_reads(tmp_path: Path) -> None:
    journal = tmp_path / "v1.jsonl"
    journal.write_text(
        '{"event":"run","version":1,"batch_id":"old","operation":"payments.create"}\n'
        '{"event":"item","id":"x","line":1,"outcome":"in_doubt","key":"k1"}\n'
        '{"event":"end","interrupted":false,"counts":{"succeeded":0,"in_doubt":1},'
        '"elapsed_s":0.5,"latency_ms":{"p50":1.0,"p90":1.0,"p99":1.0,"max":1.0}}\n'
    )
    result = journal_cli(str(journal))
    assert result.returncode == EXIT_OK, result.stderr
    assert re.search(r"in doubt\s+1\n", result.stdout)
    assert "batch 'old' (payments.create), 1 run(s)" in result.stdout


@pytest.mark.parametrize("kind", ["missing", "directory", "not a journal", "empty"])
def test_a_missing_or_unreadable_journal_exits_2(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "journal.jsonl"
    if kind == "directory":
        path.mkdir()
    elif kind == "not a journal":
        path.write_text("id,reference,amount\n,order-1,1000\n")
    elif kind == "empty":
        path.write_text("")
    result = journal_cli(str(path))
    assert result.returncode == EXIT_USAGE
    assert result.stderr.startswith("plexy-async journal: ")
    expected = {
        "missing": "no journal at",
        "directory": "is a directory",
        "not a journal": "is not a batch journal",
        "empty": "is not a batch journal",
    }[kind]
    assert expected in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_journal_needs_no_secret_and_says_so_in_help() -> None:
    result = journal_cli("--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "needs no API key and no batch secret" in text
    assert "exit status: 0 the journal was read; 2 it is missing or unreadable" in text
    assert ", ".join(EXPORT_COLUMNS) in " ".join(result.stdout.split())
    assert all(len(line) <= 79 for line in result.stdout.splitlines()[4:])
