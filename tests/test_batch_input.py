"""Batch input files: CSV and JSON Lines rows, and bad lines rejected with their line number."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plexy_async import Amount, CardDetails
from plexy_async.batch import BatchItem, InvalidItem
from plexy_async.batch._input import InputError, InputFile, count_rows, detect_format

CARD = {
    "card_number": "4242424242424242",
    "cvc": "737",
    "expiry_month": "03",
    "expiry_year": "2030",
}
MERCHANT = {"merchant_account": "DefaultMerchant"}


def jsonl(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "input.jsonl"
    path.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    )
    return path


def test_csv_rows_become_payment_items(tmp_path: Path) -> None:
    path = tmp_path / "payments.csv"
    path.write_text(
        "id,reference,amount,currency,card_number,cvc,expiry_month,expiry_year,shopper_email\n"
        ",order-1,10000,kzt,4242 4242 4242 4242,737,03,2030,a@example.com\n"
        "\n"
        "item-2,order-2,500,USD,5555555555554444,,,,\n"
    )
    items = list(InputFile(path, "payments.create", defaults=MERCHANT))
    first, second = items
    assert isinstance(first, BatchItem) and isinstance(second, BatchItem)
    assert (first.id, first.line, second.id, second.line) == ("order-1", 2, "item-2", 4)
    assert first.params == {
        "reference": "order-1",
        "amount": Amount(10000, "KZT"),
        "merchant_account": "DefaultMerchant",
        "payment_method": CardDetails(
            number="4242424242424242", cvc="737", expiry_month="03", expiry_year="2030"
        ),
        "shopper_email": "a@example.com",
    }
    assert second.params["payment_method"].cvc is None
    assert "4242424242424242" not in repr(first)  # params are never shown


def test_bad_lines_are_rejected_with_their_line_number(tmp_path: Path) -> None:
    path = jsonl(
        tmp_path,
        {"reference": "o-1", "amount": 100, "currency": "KZT", **CARD},
        {"reference": "o-2", "currency": "KZT", **CARD},
        {"reference": "o-3", "amount": 100, "currency": "XYZ", **CARD},
        '{"reference": "o-4", "amount": 100',
        "",
        "[1, 2]",
        {"reference": "o-7", "amount": 12.5, "currency": "KZT", **CARD},
        {"amount": 100, "currency": "KZT", **CARD},
        {"reference": "o-9", "amount": "100", "currency": "KZT", "colour": "red", **CARD},
        {"reference": "o-10", "amount": -5, "currency": "KZT", **CARD},
        {"reference": "o-11", "amount": 100, "currency": "KZT", "card_number": "4242-4242-4242"},
        {"reference": "o-12", "amount": 100, "currency": "KZT"},
        {"id": "o-13", "reference": "o-13", "amount": 100, "currency": "KZT", **CARD},
    )
    items = list(InputFile(path, "payments.create", defaults=MERCHANT))
    valid = [i.id for i in items if isinstance(i, BatchItem)]
    rejected = [(i.line, i.id, i.reason) for i in items if isinstance(i, InvalidItem)]
    assert valid == ["o-1", "o-13"]
    assert rejected == [
        (2, "o-2", "line 2: missing amount"),
        (3, "o-3", "line 3: unknown currency 'XYZ'"),
        (4, None, "line 4: malformed JSON (Expecting ',' delimiter at column 35)"),
        (6, None, "line 6: not a JSON object"),
        (7, "o-7", "line 7: amount must be a string or an integer"),
        (8, None, "line 8: missing id and reference"),
        (9, "o-9", "line 9: unknown field(s): colour"),
        (10, "o-10", "line 10: amount must be a whole number of minor units, got '-5'"),
        (11, "o-11", "line 11: card_number must be digits"),
        (12, "o-12", "line 12: missing card_number (or stored_payment_method_id)"),
    ]


def test_a_missing_merchant_account_is_rejected_per_line(tmp_path: Path) -> None:
    path = jsonl(
        tmp_path,
        {"reference": "o-1", "amount": 100, "currency": "KZT", **CARD},
        {"reference": "o-2", "amount": 100, "currency": "KZT", "merchant_account": "M", **CARD},
    )
    first, second = InputFile(path, "payments.create")
    assert isinstance(first, InvalidItem) and "merchant_account" in first.reason
    assert isinstance(second, BatchItem) and second.params["merchant_account"] == "M"


def test_a_csv_header_is_checked_before_anything_runs(tmp_path: Path) -> None:
    path = tmp_path / "payments.csv"
    path.write_text("reference,amount,currency,card_number,colour\n")
    with pytest.raises(InputError, match=r"unknown CSV column.*colour"):
        InputFile(path, "payments.create")
    path.write_text("reference,currency,card_number\n")
    with pytest.raises(InputError, match="lacks amount"):
        InputFile(path, "payments.create")


def test_a_csv_line_with_the_wrong_number_of_fields_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "payments.csv"
    path.write_text(
        'reference,amount,currency,card_number\no-1,100,KZT\no-2,100,KZT,"4242424242424242"\n'
    )
    first, second = InputFile(path, "payments.create", defaults=MERCHANT)
    assert isinstance(first, InvalidItem)
    assert first.reason == "line 2: 3 fields, the header has 4"
    assert isinstance(second, BatchItem) and second.line == 3


def test_sessions_rows_need_a_return_url(tmp_path: Path) -> None:
    path = jsonl(
        tmp_path,
        {"reference": "s-1", "amount": 100, "currency": "KZT"},
        {"reference": "s-2", "amount": 100, "currency": "KZT", "country_code": "KZ"},
    )
    defaults = {**MERCHANT, "return_url": "https://shop.example/back"}
    rejected, item = InputFile(path, "sessions.create", defaults=MERCHANT)
    assert isinstance(rejected, InvalidItem) and "return_url" in rejected.reason
    assert isinstance(item, InvalidItem)
    (_, good) = InputFile(path, "sessions.create", defaults=defaults)
    assert isinstance(good, BatchItem)
    assert good.params["return_url"] == "https://shop.example/back"
    assert good.params["country_code"] == "KZ"


def test_other_operations_take_json_lines_as_keyword_arguments(tmp_path: Path) -> None:
    path = jsonl(tmp_path, {"id": "r-1", "transaction_id": "txn_1", "amount": 500}, {"x": 1})
    item, rejected = InputFile(path, "payments.refund")
    assert isinstance(item, BatchItem)
    assert (item.id, item.params) == ("r-1", {"transaction_id": "txn_1", "amount": 500})
    assert isinstance(rejected, InvalidItem) and "missing id" in rejected.reason
    csv_path = tmp_path / "refunds.csv"
    csv_path.write_text("id,transaction_id\n")
    with pytest.raises(InputError, match="JSON Lines only"):
        InputFile(csv_path, "payments.refund")


def test_formats_and_counts(tmp_path: Path) -> None:
    assert detect_format("a.CSV") == "csv"
    assert detect_format("a.ndjson") == "jsonl"
    assert detect_format("a.txt", "csv") == "csv"
    with pytest.raises(InputError, match="--format"):
        detect_format("a.txt")
    with pytest.raises(InputError, match="unknown input format"):
        detect_format("a.csv", "xml")
    with pytest.raises(InputError, match="no such input file"):
        InputFile(tmp_path / "absent.csv", "payments.create")
    path = tmp_path / "p.csv"
    path.write_text("reference,amount,currency\n\na,1,KZT\nb,2,KZT\n")
    assert count_rows(path, "csv") == 2
    assert count_rows(path, "jsonl") == 3
