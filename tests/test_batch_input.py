"""Batch input files: CSV and JSON Lines rows, and bad lines rejected with their line number;
spreadsheet headers, delimiters and amounts in major units; the column table and its help."""

from __future__ import annotations

import argparse
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plexy_async import Amount, CardDetails
from plexy_async.batch import BatchItem, InvalidItem
from plexy_async.batch._amounts import DECIMAL_SEPARATORS, parse_major, parse_minor
from plexy_async.batch._columns import DETECTED_DELIMITERS, detect_delimiter, normalise
from plexy_async.batch._input import SPECS, InputError, InputFile, count_rows, detect_format
from plexy_async.batch._input_errors import RowError
from plexy_async.cli._input_flags import (
    HELP_WIDTH,
    add_input_arguments,
    columns_help,
    columns_markdown,
    input_options,
)
from plexy_async.models.currency import MINOR_UNIT_EXPONENTS

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
        (
            7,
            "o-7",
            "line 7: amount must be a whole number of minor units, got '12.5' "
            "(major units? see --amount-unit major)",
        ),
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


# --- spreadsheet headers -------------------------------------------------------------------------

PAYMENT_FIELDS = sorted(SPECS["payments.create"].fields)
SPREADSHEET = "Id;Amount;Currency;Card Number;CVC;Expiry Month;Expiry Year;Reference"


@st.composite
def spelled(draw: st.DrawFn, name: str) -> str:
    """``name`` as a spreadsheet may spell it: any case, ``_`` as spaces or hyphens, padded."""
    cased = "".join(draw(st.sampled_from((c.lower(), c.upper()))) for c in name)
    parts = cased.split("_")
    joined = parts[0]
    for part in parts[1:]:
        joined += draw(st.sampled_from(("_", " ", "-", "  ", " - "))) + part
    pad = st.sampled_from(("", " ", "  "))
    return draw(pad) + joined + draw(pad)


@settings(max_examples=60)
@given(st.data())
def test_header_names_are_read_in_any_spreadsheet_spelling(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(PAYMENT_FIELDS))
    assert normalise(data.draw(spelled(name))) == name


def test_header_normalisation_examples() -> None:
    assert normalise("Card Number") == "card_number"
    assert normalise("Expiry-Month") == "expiry_month"
    assert normalise(" Id ") == "id"
    assert normalise("CVC") == "cvc"
    assert normalise("Recurring Processing-Model") == "recurring_processing_model"


@settings(max_examples=60)
@given(st.data())
def test_the_delimiter_is_told_from_the_header_line(data: st.DataObject) -> None:
    names = data.draw(st.lists(st.sampled_from(PAYMENT_FIELDS), min_size=2, unique=True))
    delimiter = data.draw(st.sampled_from(DETECTED_DELIMITERS))
    line = delimiter.join(data.draw(spelled(name)) for name in names) + data.draw(
        st.sampled_from(("", "\n", "\r\n"))
    )
    assert detect_delimiter(line, SPECS["payments.create"].fields) == delimiter


def spreadsheet(tmp_path: Path, lines: list[str], name: str = "sheet.csv") -> Path:
    """A file as a spreadsheet saves it: a UTF-8 BOM and CRLF line ends."""
    path = tmp_path / name
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode())
    return path


def amounts(items: list[BatchItem | InvalidItem]) -> dict[str, Amount]:
    return {i.id: i.params["amount"] for i in items if isinstance(i, BatchItem)}


def rejected(items: list[BatchItem | InvalidItem]) -> dict[int | None, str]:
    return {i.line: i.reason for i in items if isinstance(i, InvalidItem)}


def test_a_semicolon_spreadsheet_in_major_units(tmp_path: Path) -> None:
    card = "4242 4242 4242 4242;737;03;2030"
    path = spreadsheet(
        tmp_path,
        [
            SPREADSHEET,
            f"kzt-1;100.50;KZT;{card};order-1",
            f"jpy-1;1500;jpy;{card};order-2",
            f"kwd-1;12.345;KWD;{card};order-3",
            f"kzt-2;100.005;KZT;{card};order-4",
            f"kzt-3;1,000;KZT;{card};order-5",
        ],
    )
    items = list(InputFile(path, "payments.create", defaults=MERCHANT, amount_unit="major"))
    assert amounts(items) == {
        "kzt-1": Amount(10050, "KZT"),
        "jpy-1": Amount(1500, "JPY"),
        "kwd-1": Amount(12345, "KWD"),
    }
    assert rejected(items) == {
        5: "line 5: amount '100.005' has 3 decimals; KZT has 2 (ISO 4217)",
        6: "line 6: amount '1,000' holds ',', which is not the decimal separator ('.', see "
        "--decimal-separator); grouping separators are not read",
    }
    first = items[0]
    assert isinstance(first, BatchItem) and first.params["reference"] == "order-1"
    assert first.params["payment_method"].number == "4242424242424242"


def test_a_decimal_comma_and_a_given_delimiter(tmp_path: Path) -> None:
    path = spreadsheet(
        tmp_path,
        [
            "Reference|Amount|Currency|Card-Number",
            "o-1|100,50|KZT|4242424242424242",
            "o-2|1.000,50|KZT|4242424242424242",
            "o-3|0,5|KWD|4242424242424242",
        ],
    )
    with pytest.raises(InputError, match="--delimiter"):  # | is not detected
        InputFile(path, "payments.create")
    items = list(
        InputFile(
            path,
            "payments.create",
            defaults=MERCHANT,
            delimiter="|",
            amount_unit="major",
            decimal_separator=",",
        )
    )
    assert amounts(items) == {"o-1": Amount(10050, "KZT"), "o-3": Amount(500, "KWD")}
    assert rejected(items) == {
        3: "line 3: amount '1.000,50' holds '.', which is not the decimal separator (',', see "
        "--decimal-separator); grouping separators are not read"
    }


def test_a_tab_separated_file_in_minor_units(tmp_path: Path) -> None:
    path = spreadsheet(
        tmp_path,
        [
            "REFERENCE\tAMOUNT\tCURRENCY\tCARD NUMBER",
            "o-1\t10050\tKZT\t4242424242424242",
            "o-2\t100.50\tKZT\t4242424242424242",
        ],
    )
    items = list(InputFile(path, "payments.create", defaults=MERCHANT))
    assert amounts(items) == {"o-1": Amount(10050, "KZT")}
    assert rejected(items) == {
        3: "line 3: amount must be a whole number of minor units, got '100.50' "
        "(major units? see --amount-unit major)"
    }


def test_two_headers_that_read_as_one_name_are_refused(tmp_path: Path) -> None:
    path = spreadsheet(tmp_path, ["Reference,Amount,Currency,Card Number,card_number"])
    with pytest.raises(InputError) as caught:
        InputFile(path, "payments.create")
    assert str(caught.value) == (
        "the CSV header has 'Card Number' and 'card_number', which both read as column "
        "card_number: keep one"
    )


def test_an_unknown_column_lists_the_accepted_ones_and_the_closest(tmp_path: Path) -> None:
    path = spreadsheet(tmp_path, ["Reference,Amout,Currency,Card Number,Colour"])
    with pytest.raises(InputError) as caught:
        InputFile(path, "payments.create")
    message = str(caught.value)
    assert message.startswith(
        "unknown CSV column(s) for payments.create: 'Amout' (did you mean amount?), 'Colour'. "
        "The columns are id, reference, amount, currency, merchant_account, card_number,"
    )
    for name in SPECS["payments.create"].fields:
        assert name in message
    assert "plexy-async batch --help" in message


def test_a_missing_required_column_is_named(tmp_path: Path) -> None:
    path = spreadsheet(tmp_path, ["Reference;Currency;Card Number"])
    with pytest.raises(InputError, match=r"lacks amount, required for payments\.create"):
        InputFile(path, "payments.create")


def test_a_journal_given_as_input_is_refused(tmp_path: Path) -> None:
    journal = tmp_path / "payments.csv.journal.jsonl"
    journal.write_text(
        "\n"
        + json.dumps({"event": "run", "batch_id": "b-1", "operation": "payments.create"})
        + "\n"
        + json.dumps({"event": "item", "id": "o-1", "line": 2, "outcome": "succeeded"})
        + "\n"
    )
    for fmt in (None, "csv"):
        with pytest.raises(InputError) as caught:
            InputFile(journal, "payments.create", fmt=fmt)
        assert str(caught.value) == (
            f"{journal} is a batch journal of batch 'b-1', not an input file: to see what it "
            f"holds, run plexy-async journal {journal}"
        )
    other = jsonl(tmp_path, {"event": "run", "id": "r-1"})  # no batch_id: an input
    assert len(list(InputFile(other, "payments.refund"))) == 1


def test_input_options_are_checked(tmp_path: Path) -> None:
    path = jsonl(tmp_path, {"reference": "o-1", "amount": 100, "currency": "KZT", **CARD})
    with pytest.raises(InputError, match="goes with --amount-unit major"):
        InputFile(path, "payments.create", decimal_separator=",")
    with pytest.raises(InputError, match=re.escape("--amount-unit minor|major")):
        InputFile(path, "payments.create", amount_unit="cents")
    with pytest.raises(InputError, match="--delimiter"):
        InputFile(path, "payments.create", delimiter=":")


# --- amounts in major units ----------------------------------------------------------------------

CURRENCIES = sorted(MINOR_UNIT_EXPONENTS)


def test_every_currency_converts_with_its_iso_4217_exponent() -> None:
    assert set(MINOR_UNIT_EXPONENTS.values()) == {0, 2, 3, 4}
    for code, exponent in MINOR_UNIT_EXPONENTS.items():
        decimals = "0" * (exponent - 1) + "7" if exponent else ""
        text = f"12.{decimals}" if exponent else "12"
        assert parse_major(text, code) == 12 * 10**exponent + (7 if exponent else 0), code
        with pytest.raises(RowError, match=f"{code} has {exponent} "):
            parse_major(f"12.{'0' * exponent}1", code)


@settings(max_examples=150)
@given(
    st.sampled_from(CURRENCIES),
    st.integers(1, 10**20),
    st.sampled_from(DECIMAL_SEPARATORS),
    st.data(),
)
def test_major_units_with_at_most_the_exponents_decimals_convert_exactly(
    currency: str, digits: int, separator: str, data: st.DataObject
) -> None:
    exponent = MINOR_UNIT_EXPONENTS[currency]
    places = data.draw(st.integers(0, exponent))
    value = Decimal(digits).scaleb(-places)  # exactly `places` decimals
    text = f"{value:f}".replace(".", separator)
    assert parse_major(text, currency, separator) == digits * 10 ** (exponent - places)


@settings(max_examples=150)
@given(
    st.sampled_from(CURRENCIES),
    st.integers(1, 10**20).filter(lambda d: d % 10 != 0),
    st.sampled_from(DECIMAL_SEPARATORS),
)
def test_one_decimal_more_than_the_exponent_is_rejected(
    currency: str, digits: int, separator: str
) -> None:
    exponent = MINOR_UNIT_EXPONENTS[currency]
    text = f"{Decimal(digits).scaleb(-(exponent + 1)):f}".replace(".", separator)
    with pytest.raises(RowError, match=rf"has {exponent + 1} decimals; {currency} has {exponent}"):
        parse_major(text, currency, separator)


@pytest.mark.parametrize(
    ("text", "currency", "separator", "minor"),
    [
        ("100.50", "KZT", ".", 10050),
        ("100,50", "KZT", ",", 10050),
        ("100", "KZT", ".", 10000),
        ("1500", "JPY", ".", 1500),
        ("12.345", "KWD", ".", 12345),
        ("0.5", "KWD", ".", 500),
        ("1.0001", "CLF", ".", 10001),
        ("007.10", "KZT", ".", 710),
        ("9" * 30 + ".99", "KZT", ".", int("9" * 32)),
    ],
)
def test_major_units_examples(text: str, currency: str, separator: str, minor: int) -> None:
    assert parse_major(text, currency, separator) == minor


@pytest.mark.parametrize(
    ("text", "currency", "separator", "reason"),
    [
        ("100.005", "KZT", ".", "has 3 decimals; KZT has 2"),
        ("100.000", "KZT", ".", "has 3 decimals; KZT has 2"),
        ("1500.00", "JPY", ".", "has 2 decimals; JPY has 0"),
        ("1500.0", "JPY", ".", "has 1 decimals; JPY has 0"),
        ("10.5", "JPY", ".", "has 1 decimals; JPY has 0"),
        ("1.0005", "KWD", ".", "has 4 decimals; KWD has 3"),
        ("1,000", "KZT", ".", "holds ','"),
        ("1.000,50", "KZT", ".", "holds ','"),
        ("1.000,50", "KZT", ",", "holds '.'"),
        ("100.50", "KZT", ",", "holds '.'"),
        ("1 000", "KZT", ".", "holds ' '"),
        ("1'000.50", "KZT", ".", 'holds "\'"'),
        ("-1.00", "KZT", ".", "must be positive"),
        ("0.00", "KZT", ".", "must be positive"),
        ("0", "JPY", ".", "must be positive"),
        ("1e3", "KZT", ".", "plain decimal number"),
        ("1E+2", "KZT", ".", "plain decimal number"),
        ("NaN", "KZT", ".", "plain decimal number"),
        ("Infinity", "KZT", ".", "plain decimal number"),
        ("+5", "KZT", ".", "plain decimal number"),
        (".5", "KZT", ".", "plain decimal number"),
        ("5.", "KZT", ".", "plain decimal number"),
        ("1.2.3", "KZT", ".", "plain decimal number"),
        ("\u0661\u0660\u0660", "KZT", ".", "plain decimal number"),  # Arabic-Indic digits
        ("1" * 31, "KZT", ".", "more than 30 digits"),
    ],
)
def test_major_units_refused(text: str, currency: str, separator: str, reason: str) -> None:
    with pytest.raises(RowError, match=re.escape(reason)):
        parse_major(text, currency, separator)


def test_minor_units_stay_whole_numbers() -> None:
    assert parse_minor("10050") == 10050
    for text, reason in [
        ("0", "must be positive"),
        ("-5", "whole number of minor units, got '-5'"),
        ("100.50", "(major units? see --amount-unit major)"),
        ("1e3", "whole number of minor units"),
        ("\u0661\u0660", "whole number of minor units"),
    ]:
        with pytest.raises(RowError, match=re.escape(reason)):
            parse_minor(text)


def test_json_lines_amounts_in_major_units(tmp_path: Path) -> None:
    card = '"card_number": "4242424242424242"'
    path = jsonl(
        tmp_path,
        f'{{"reference": "o-1", "amount": 100.50, "currency": "KZT", {card}}}',
        {"reference": "o-2", "amount": "100,5", "currency": "KZT", **CARD},
        {"reference": "o-3", "amount": 100, "currency": "JPY", **CARD},
        f'{{"reference": "o-4", "amount": 1e2, "currency": "KZT", {card}}}',
        f'{{"reference": "o-5", "amount": NaN, "currency": "KZT", {card}}}',
        f'{{"reference": "o-6", "amount": 0.125, "currency": "KZT", {card}}}',
        f'{{"reference": "o-7", "amount": 0.125, "currency": "KWD", {card}}}',
    )
    items = list(
        InputFile(
            path, "payments.create", defaults=MERCHANT, amount_unit="major", decimal_separator=","
        )
    )
    assert amounts(items) == {
        "o-1": Amount(10050, "KZT"),  # a JSON number: its own "." whatever the declared one
        "o-2": Amount(10050, "KZT"),
        "o-3": Amount(100, "JPY"),
        "o-7": Amount(125, "KWD"),
    }
    reasons = rejected(items)
    assert "plain decimal number" in reasons[4] and "'1E+2'" in reasons[4]
    assert reasons[5] == "line 5: amount must be a finite number, got nan"
    assert reasons[6] == "line 6: amount '0.125' has 3 decimals; KZT has 2 (ISO 4217)"


def test_other_operations_keep_json_floats(tmp_path: Path) -> None:
    path = jsonl(tmp_path, '{"id": "r-1", "transaction_id": "t", "amount": 12.5}')
    [item] = InputFile(path, "payments.refund")
    assert isinstance(item, BatchItem) and item.params["amount"] == 12.5
    assert type(item.params["amount"]) is float


# --- the flags and the column table ----------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(prog="batch")
    add_input_arguments(result)
    return result


def test_the_input_flags_become_input_file_options(tmp_path: Path) -> None:
    assert input_options(parser().parse_args([])) == {
        "fmt": None,
        "delimiter": None,
        "amount_unit": "minor",
        "decimal_separator": ".",
    }
    args = parser().parse_args(
        [
            *("--format", "csv", "--delimiter", "tab"),
            *("--amount-unit", "major", "--decimal-separator", ","),
        ]
    )
    options = input_options(args)
    assert options == {
        "fmt": "csv",
        "delimiter": "tab",
        "amount_unit": "major",
        "decimal_separator": ",",
    }
    path = tmp_path / "sheet.txt"
    path.write_text("Reference\tAmount\tCurrency\tCard Number\no-1\t1,5\tKWD\t4242424242424242\n")
    [item] = InputFile(path, "payments.create", defaults=MERCHANT, **options)
    assert isinstance(item, BatchItem) and item.params["amount"] == Amount(1500, "KWD")
    for value in (",", ";", "|", "\\t", "\t"):
        assert parser().parse_args(["--delimiter", value]).delimiter == value


@pytest.mark.parametrize(
    "argv",
    [
        ["--delimiter", ":"],
        ["--amount-unit", "cents"],
        ["--decimal-separator", "'"],
        ["--format", "xlsx"],
    ],
)
def test_bad_input_flag_values_are_usage_errors(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        parser().parse_args(argv)
    assert caught.value.code == 2
    assert argv[0] in capsys.readouterr().err


def test_the_help_lists_every_column_from_the_one_table(tmp_path: Path) -> None:
    """``batch --help``'s epilog against ``SPECS``: every column with its meaning, ``*`` on the
    required ones, lines that fit a terminal, and an example that reads as a valid item.
    (The README's section is ``columns_markdown()``, rendered from the same table.)"""
    text = columns_help()
    lines = text.splitlines()
    assert all(len(line) <= HELP_WIDTH for line in lines), max(lines, key=len)
    flat = " ".join(line.strip() for line in lines)
    markdown = columns_markdown()
    for operation, spec in SPECS.items():
        assert f"{operation} (* required):" in lines
        for column in spec.columns:
            mark = " *" if column.required else ""
            assert re.search(rf"^  {re.escape(column.name + mark)}\s{{2,}}\S", text, re.M), column
            assert column.meaning in flat or column.meaning.replace("-", "- ") in flat, column
            need = "required" if column.required else "optional"
            assert f"| `{column.name}` | {need} | {column.meaning} |" in markdown
        path = tmp_path / f"{operation}.csv"
        path.write_text("\n".join(spec.example) + "\n")
        defaults = {**MERCHANT, "return_url": "https://shop.example/back"}
        [item] = InputFile(path, operation, defaults=defaults)
        assert isinstance(item, BatchItem), item
        assert "\n".join(f"    {line}" for line in spec.example) in text
    for flag in ("--amount-unit major", "--decimal-separator", "--delimiter"):
        assert flag in flat
