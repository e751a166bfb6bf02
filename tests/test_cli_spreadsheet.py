"""``plexy-async batch`` on files as spreadsheets save them, run as a subprocess against the mock:
title-case headers with spaces, a ``;`` delimiter, a BOM and CRLF line ends, amounts in major
units of KZT (2 decimals), JPY (0) and KWD (3). The ledger must show the right minor-unit
charges, one per row; a bad amount is rejected with its line number and never charged."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from batch_support import SECRET, item_records
from process_support import run_to_end

from plexy_async.batch._input import SPECS
from plexy_async.testing import MockPlexy

HEADER = "Id;Amount;Currency;Card Number;CVC;Expiry Month;Expiry Year;Reference"
CARD = "4242 4242 4242 4242;737;03;2030"  # the mock's approving test card (testing/_checkout.py)
EXIT_OK, EXIT_ITEMS, EXIT_USAGE = 0, 1, 2  # cli/_running.py


async def cli(mock: MockPlexy | None, *argv: str) -> tuple[int, str, str]:
    """Run ``python -m plexy_async ARGV`` with the mock's settings in its environment; the mock
    keeps serving while it runs. Returns the exit status, stdout and stderr."""
    env = {**os.environ, "PLEXY_BATCH_SECRET": SECRET, "PLEXY_MERCHANT_ACCOUNT": "SheetMerchant"}
    env.pop("PLEXY_ENVIRONMENT", None)
    if mock is not None:
        env.update(PLEXY_API_KEY=mock.api_key, PLEXY_BASE_URL=mock.url)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "plexy_async",
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await run_to_end(process, 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def spreadsheet(path: Path, rows: list[str], header: str = HEADER) -> Path:
    """The file as a spreadsheet saves it: a UTF-8 BOM, then CRLF line ends."""
    path.write_bytes(("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode())
    return path


def journal_items(path: Path) -> dict[str, dict[str, Any]]:
    """The item lines of INPUT's default journal, by item id."""
    return {str(r["id"]): r for r in item_records(Path(f"{path}.journal.jsonl"))}


def exists(path: str) -> bool:
    return os.path.exists(path)


def read_text(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


async def test_major_units_in_kzt_jpy_and_kwd_from_a_semicolon_spreadsheet(tmp_path: Path) -> None:
    path = spreadsheet(
        tmp_path / "payments.csv",
        [
            f"kzt-1;100.50;KZT;{CARD};order-kzt-1",  # line 2
            f"kzt-2;1000;kzt;{CARD};order-kzt-2",
            f"jpy-1;1500;JPY;{CARD};order-jpy-1",
            f"jpy-2;20000;JPY;{CARD};order-jpy-2",
            f"kwd-1;12.345;KWD;{CARD};order-kwd-1",
            f"kwd-2;0.5;KWD;{CARD};order-kwd-2",
            f"bad-kzt;100.005;KZT;{CARD};order-bad-kzt",  # line 8: 3 decimals, KZT has 2
            f"bad-jpy;10.5;JPY;{CARD};order-bad-jpy",  # line 9: JPY has none
            f"bad-group;1,000;KZT;{CARD};order-bad-group",  # line 10: a grouping separator
            f"bad-zeros;1500.00;JPY;{CARD};order-bad-zeros",  # line 11: decimals JPY lacks
        ],
    )
    async with MockPlexy() as mock:
        status, out, err = await cli(
            mock, "batch", str(path), "--amount-unit", "major", "--progress", "none"
        )
        assert status == EXIT_ITEMS, (out, err)  # four lines were rejected
        charges = {c.reference: (c.value, c.currency) for c in mock.ledger.charges}
        assert charges == {
            "order-kzt-1": (10050, "KZT"),
            "order-kzt-2": (100000, "KZT"),
            "order-jpy-1": (1500, "JPY"),
            "order-jpy-2": (20000, "JPY"),
            "order-kwd-1": (12345, "KWD"),
            "order-kwd-2": (500, "KWD"),
        }
        assert Counter(c.reference for c in mock.ledger.charges).most_common(1)[0][1] == 1
        assert len(mock.ledger.requests) == 6  # nothing was sent for the rejected lines
        items = journal_items(path)
        rejected = {
            name: (item["line"], item["error"]["message"])
            for name, item in items.items()
            if item["outcome"] == "rejected"
        }
        assert rejected == {
            "bad-kzt": (8, "line 8: amount '100.005' has 3 decimals; KZT has 2 (ISO 4217)"),
            "bad-jpy": (9, "line 9: amount '10.5' has 1 decimals; JPY has 0 (ISO 4217)"),
            "bad-group": (
                10,
                "line 10: amount '1,000' holds ',', which is not the decimal separator ('.', "
                "see --decimal-separator); grouping separators are not read",
            ),
            "bad-zeros": (11, "line 11: amount '1500.00' has 2 decimals; JPY has 0 (ISO 4217)"),
        }
        assert sum(item["outcome"] == "succeeded" for item in items.values()) == 6
        assert "4242424242424242" not in read_text(f"{path}.journal.jsonl")

        # The journal given back as input is refused, pointing at the journal command.
        journal = Path(f"{path}.journal.jsonl")
        status, out, err = await cli(mock, "batch", str(journal), "--progress", "none")
        assert status == EXIT_USAGE
        assert f"plexy-async journal {journal}" in err and "is a batch journal" in err
        assert not exists(f"{journal}.journal.jsonl")
        assert len(mock.ledger.requests) == 6


async def test_a_decimal_comma_spreadsheet(tmp_path: Path) -> None:
    """What European spreadsheets write: ``;`` between cells, ``,`` before the decimals."""
    path = spreadsheet(
        tmp_path / "eu.csv",
        [
            f"kzt-1;100,50;KZT;{CARD};eu-kzt-1",
            f"kzt-2;1.000,50;KZT;{CARD};eu-kzt-2",  # line 3: "." is grouping here: refused
            f"kwd-1;1,5;KWD;{CARD};eu-kwd-1",
            f"jpy-1;2500;JPY;{CARD};eu-jpy-1",
        ],
    )
    async with MockPlexy() as mock:
        status, out, err = await cli(
            mock,
            "batch",
            str(path),
            "--delimiter",
            ";",
            "--amount-unit",
            "major",
            "--decimal-separator",
            ",",
            "--progress",
            "none",
        )
        assert status == EXIT_ITEMS, (out, err)
        charges = sorted((c.reference, c.value, c.currency) for c in mock.ledger.charges)
        assert charges == [
            ("eu-jpy-1", 2500, "JPY"),
            ("eu-kwd-1", 1500, "KWD"),
            ("eu-kzt-1", 10050, "KZT"),
        ]
        bad = journal_items(path)["kzt-2"]
        assert (bad["outcome"], bad["line"]) == ("rejected", 3)
        assert "holds '.'" in bad["error"]["message"]
        assert mock.ledger.charges_for("eu-kzt-2") == []


async def test_minor_units_stay_the_default(tmp_path: Path) -> None:
    path = spreadsheet(
        tmp_path / "minor.csv",
        [f"m-1;10050;KZT;{CARD};minor-1", f"m-2;100.50;KZT;{CARD};minor-2"],
    )
    async with MockPlexy() as mock:
        status, out, err = await cli(mock, "batch", str(path), "--progress", "none")
        assert status == EXIT_ITEMS, (out, err)
        assert [(c.reference, c.value) for c in mock.ledger.charges] == [("minor-1", 10050)]
        bad = journal_items(path)["m-2"]
        assert bad["outcome"] == "rejected"
        assert bad["error"]["message"] == (
            "line 3: amount must be a whole number of minor units, got '100.50' "
            "(major units? see --amount-unit major)"
        )


async def test_header_mistakes_and_bad_flags_are_usage_errors(tmp_path: Path) -> None:
    typo = spreadsheet(tmp_path / "typo.csv", [], header=HEADER.replace("Amount", "Amout"))
    twice = spreadsheet(tmp_path / "twice.csv", [], header=HEADER + ";card-number")
    async with MockPlexy() as mock:
        status, _, err = await cli(mock, "batch", str(typo), "--progress", "none")
        assert status == EXIT_USAGE
        assert "'Amout' (did you mean amount?)" in err
        assert "The columns are id, reference, amount, currency," in err
        status, _, err = await cli(mock, "batch", str(twice), "--progress", "none")
        assert status == EXIT_USAGE and "'Card Number' and 'card-number'" in err
        status, _, err = await cli(mock, "batch", str(typo), "--amount-unit", "cents")
        assert status == EXIT_USAGE and "--amount-unit" in err  # an argparse error
        assert mock.ledger.requests == []


async def test_batch_help_lists_the_columns() -> None:
    status, out, _ = await cli(None, "batch", "--help")
    assert status == EXIT_OK
    for spec in SPECS.values():
        for column in spec.columns:
            assert column.name in out
    for flag in ("--delimiter", "--amount-unit", "--decimal-separator", "example:"):
        assert flag in out
