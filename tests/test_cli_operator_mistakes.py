"""What an operator's mistakes must not do (found by a fresh operations user of the CLI): a
resume read with other flags overwriting what was charged, the input written to as its own
journal, a shared id hiding a charge in the export, a journal folder that does not exist, a
key changed by the card mask, Excel's ``sep=`` line, a Bearer header on the mock's own routes.

Each is checked against the mock's ledger as well as the journal."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from batch_support import (
    DECLINE,
    INVALID,
    SECRET,
    assert_ledger_matches_journal,
    client_for,
    last_records,
    payment_item,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cli_spreadsheet import CARD, EXIT_ITEMS, EXIT_OK, EXIT_USAGE, HEADER, cli, spreadsheet

from plexy_async.batch import Batch, BatchItem, InvalidItem, Outcome
from plexy_async.cli._journal_command import export_row
from plexy_async.testing import Fault, MockLimits, MockPlexy

PAYMENTS = ("POST", "/v2/payments")


async def _first_run(mock: MockPlexy, journal: Path, items: list[BatchItem]) -> None:
    first = Batch(batch_id="b-mistake", secret=SECRET, concurrency=4, journal=journal)
    async with client_for(mock, first) as plexy:
        await first.run(plexy, items, "payments.create")


@pytest.mark.parametrize(
    ("card", "fault", "earlier"),
    [
        (None, None, Outcome.SUCCEEDED),
        (DECLINE, None, Outcome.DECLINED),
        (INVALID, None, Outcome.FAILED),
        (None, Fault.drop_after_commit(), Outcome.IN_DOUBT),
    ],
)
async def test_a_resume_that_reads_a_line_otherwise_keeps_its_outcome(
    tmp_path: Path, card: str | None, fault: Fault | None, earlier: Outcome
) -> None:
    """Resumed with the wrong --amount-unit or --decimal-separator, lines that were sent read as
    bad: they keep their outcome (never ``rejected`` over a charge), and the resume with the
    right flags sends nothing that was settled, even once the server forgot the keys."""
    journal = tmp_path / "journal.jsonl"
    item = payment_item(0, card) if card else payment_item(0)
    # Keys forgotten after 0.05 s: what a resume the next day meets on Plexy (24 hours).
    async with MockPlexy(limits=MockLimits(idempotency_ttl=0.05)) as mock:
        if fault is not None:
            mock.faults.add(*PAYMENTS, fault, times=10)
        await _first_run(mock, journal, [item])
        assert last_records(journal)[item.id]["outcome"] == earlier.value
        charges = len(mock.ledger.charges)
        mock.faults.clear()

        key = last_records(journal)[item.id].get("key")
        misread = InvalidItem(line=item.line, reason="line 1: amount has 2 decimals", id=item.id)
        wrong = Batch(batch_id="b-mistake", secret=SECRET, journal=journal, resume=True)
        async with client_for(mock, wrong) as plexy:
            summary = await wrong.run(plexy, [misread], "payments.create")
        assert summary.counts[Outcome.REJECTED] == 0
        last = last_records(journal)[item.id]
        assert last["outcome"] == earlier.value
        if earlier is Outcome.IN_DOUBT:  # still unsettled, shown as such, with its key
            assert summary.counts[Outcome.IN_DOUBT] == 1 and summary.skipped == 0
            assert last["key"] == key and "not sent again" in last["error"]["message"]
        else:
            assert summary.skipped == 1

        if earlier is not Outcome.IN_DOUBT:  # settled: the right resume leaves it alone
            right = Batch(batch_id="b-mistake", secret=SECRET, journal=journal, resume=True)
            async with client_for(mock, right) as plexy:
                again = await right.run(plexy, [item], "payments.create")
            assert again.skipped == 1
            assert len(mock.ledger.charges) == charges  # nothing charged a second time
            assert all(n == 1 for n in Counter(c.reference for c in mock.ledger.charges).values())


async def test_a_line_rejected_before_is_still_read_again_on_resume(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    async with MockPlexy() as mock:
        first = Batch(batch_id="b-mistake", secret=SECRET, concurrency=2, journal=journal)
        async with client_for(mock, first) as plexy:
            bad = InvalidItem(line=1, reason="line 1: missing amount", id="order-00000")
            await first.run(plexy, [bad], "payments.create")
        second = Batch(batch_id="b-mistake", secret=SECRET, journal=journal, resume=True)
        async with client_for(mock, second) as plexy:
            summary = await second.run(plexy, [payment_item(0)], "payments.create")
        assert summary.counts[Outcome.SUCCEEDED] == 1
        assert assert_ledger_matches_journal(mock, journal, "b-mistake") == 1


async def test_the_input_is_never_its_own_journal(tmp_path: Path) -> None:
    path = spreadsheet(tmp_path / "payments.csv", [f"a;10;KZT;{CARD};order-a"])
    before = path.read_bytes()
    other = tmp_path / "notes.csv"
    other.write_text("id,amount\nx,1\n")
    async with MockPlexy() as mock:
        for journal, resume in ((path, True), (path, False), (other, True)):
            flags = ["--journal", str(journal), *(["--resume"] if resume else [])]
            status, out, err = await cli(mock, "batch", str(path), "--progress", "none", *flags)
            assert status == EXIT_USAGE, (out, err)
            assert "input file itself" in err or "not a batch journal" in err or "exists" in err
        assert mock.ledger.requests == []
    assert path.read_bytes() == before
    assert other.read_text() == "id,amount\nx,1\n"


async def test_two_lines_with_one_id_are_two_rows_of_the_export(tmp_path: Path) -> None:
    """The second line's key is the first's: the server refuses it (409, other parameters).
    The export keeps both lines: the charge of the first is not hidden by the second."""
    path = spreadsheet(
        tmp_path / "payments.csv",
        [f"dup;10;KZT;{CARD};order-dup-1", f"dup;20;KZT;{CARD};order-dup-2"],
    )
    async with MockPlexy() as mock:
        status, _, _ = await cli(
            mock, "batch", str(path), "--progress", "none", "--concurrency", "1"
        )
        assert status == EXIT_ITEMS
        charges = mock.ledger.charges
        assert [(c.reference, c.value) for c in charges] == [("order-dup-1", 10)]
        status, out, _ = await cli(None, "journal", f"{path}.journal.jsonl", "--export", "-")
    assert status == EXIT_OK
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["id"], r["line"], r["outcome"]) for r in rows] == [
        ("dup", "2", "succeeded"),
        ("dup", "3", "failed"),
    ]
    assert rows[0]["psp_reference"] == charges[0].psp_reference
    assert rows[0]["result_code"] == "Authorised"


@settings(max_examples=60, deadline=None)
@given(st.text("0123456789abcdef", min_size=32, max_size=32))
def test_the_export_keeps_the_idempotency_key_as_it_was_sent(hexdigits: str) -> None:
    """Keys are hex HMAC outputs; a Luhn-valid run of 13-19 of their digits is not a card."""
    key = f"pb_{hexdigits}"
    record: dict[str, Any] = {"event": "item", "id": "a", "line": 2, "outcome": "succeeded"}
    assert export_row({**record, "key": key})["idempotency_key"] == key


def test_a_key_with_a_luhn_valid_run_of_digits_is_exported_whole() -> None:
    key = "pb_46384fe8716105443911" + "8b9cdc5df7f0"  # 16 digits that pass Luhn
    row = export_row({"event": "item", "id": "a", "line": 2, "outcome": "succeeded", "key": key})
    assert row["idempotency_key"] == key


async def test_excel_sep_line_names_the_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "\r\n".join(["sep=;", HEADER, f"x1;15;KZT;{CARD};order-x1"]).encode() + b"\r\n"
    )
    async with MockPlexy() as mock:
        status, out, err = await cli(mock, "batch", str(path), "--progress", "none")
        assert status == EXIT_OK, (out, err)
        assert [(c.reference, c.value) for c in mock.ledger.charges] == [("order-x1", 15)]
    assert last_records(Path(f"{path}.journal.jsonl"))["x1"]["line"] == 3  # the file's line


async def test_demo_with_a_journal_in_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    journal = tmp_path / "no" / "such" / "folder" / "journal.jsonl"
    status, _, err = await cli(None, "demo", "--count", "5", "--journal", str(journal))
    assert status == EXIT_USAGE
    assert "no folder" in err and "Traceback" not in err


async def test_the_mock_admin_routes_take_a_bearer_key_too() -> None:
    async with MockPlexy() as mock, aiohttp.ClientSession() as session:
        for headers, status in (
            ({"Authorization": f"Bearer {mock.api_key}"}, 200),
            ({"Authorization": mock.api_key}, 200),
            ({"x-api-key": mock.api_key}, 200),
            ({"Authorization": "Bearer nope"}, 401),
        ):
            async with session.get(f"{mock.url}/_mock/ledger", headers=headers) as answer:
                assert answer.status == status


async def test_resuming_another_inputs_journal_is_refused(tmp_path: Path) -> None:
    """``batch tuesday.csv --journal monday.csv.journal.jsonl --resume`` would take Tuesday's
    items for Monday's batch: a shared order number would be skipped as finished, never
    charged. Refused unless --batch-id says which batch is meant."""
    monday = spreadsheet(tmp_path / "monday.csv", [f"o-1;10;KZT;{CARD};order-1"])
    tuesday = spreadsheet(tmp_path / "tuesday.csv", [f"o-1;20;KZT;{CARD};order-1"])
    journal = f"{monday}.journal.jsonl"
    async with MockPlexy() as mock:
        status, _, _ = await cli(mock, "batch", str(monday), "--progress", "none")
        assert status == EXIT_OK and len(mock.ledger.requests) == 1
        flags = ["--journal", journal, "--resume", "--progress", "none"]
        status, _, err = await cli(mock, "batch", str(tuesday), *flags)
        assert status == EXIT_USAGE
        assert "belongs to batch 'monday.csv'" in err and "--batch-id monday.csv" in err
        assert len(mock.ledger.requests) == 1
        status, _, _ = await cli(mock, "batch", str(tuesday), *flags, "--batch-id", "monday.csv")
        assert status == EXIT_OK  # said on purpose: Monday's batch, its finished item skipped
        assert len(mock.ledger.requests) == 1


@pytest.mark.parametrize("target", ["input", "folder", "other-csv", "other-batch"])
async def test_the_coordinator_never_overwrites_what_is_not_its_journal(
    tmp_path: Path, target: str
) -> None:
    """The coordinator replaces its journal at the end: a --journal that is the input, a
    folder, an unrelated file or another batch's journal is refused before anything is kicked
    (the broker is never reached: nothing listens on port 9)."""
    path = spreadsheet(tmp_path / "payments.csv", [f"a;10;KZT;{CARD};order-a"])
    other = tmp_path / "notes.csv"
    other.write_text("id,amount\nx,1\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    another = tmp_path / "another.jsonl"
    another.write_text('{"event":"run","batch_id":"another","version":2}\n')
    journal = {"input": path, "folder": folder, "other-csv": other, "other-batch": another}[target]
    before = {p: p.read_bytes() for p in (path, other, another)}
    status, _, err = await cli(
        None, "batch", str(path), "--broker", "redis://127.0.0.1:9/0", "--journal", str(journal)
    )
    assert status == EXIT_USAGE, err
    assert "--journal" in err and "Traceback" not in err
    assert {p: p.read_bytes() for p in before} == before
