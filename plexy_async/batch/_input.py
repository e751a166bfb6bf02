"""Batch input files: CSV or JSON Lines, read lazily, one ``BatchItem`` or ``InvalidItem`` a line.

A bad line (malformed JSON, a missing amount, an unknown currency, an amount with more decimals
than its currency has) becomes an ``InvalidItem`` naming its line number and what is wrong; it
never stops the batch. Messages name fields, never card data. A bad file as a whole (an unknown
column, a required one missing, a batch journal given as input) raises ``InputError`` before
anything runs.

Rows are flat. The columns of ``payments.create`` and ``sessions.create`` are described in one
table, ``batch/_columns.py``, which ``plexy-async batch --help`` prints. For example::

    Id;Amount;Currency;Card Number;CVC;Expiry Month;Expiry Year;Reference
    order-1;100.50;KZT;4242 4242 4242 4242;737;03;2030;order-1

read with ``amount_unit="major"`` is 10050 minor units of KZT. The header is read in any case,
spaces and hyphens as underscores; the delimiter is told from the header line (``,`` ``;`` or
tab) unless given; a UTF-8 BOM and CRLF line ends are fine. ``id`` defaults to ``reference``;
``amount`` is a whole number of minor units, or of major units with ``amount_unit="major"``
(``batch/_amounts.py``); ``currency`` a current ISO 4217 code, in any case (``kzt`` is read as
``KZT``), checked by the client's own rule (``models.currency``); ``merchant_account`` may be a
column or a default.

JSON Lines objects take the same names as keys, exactly (no header normalisation). An amount
may be a JSON string (read like a CSV cell) or a JSON number, read from its exact text (never
through a float): ``100.5`` is 10050 KZT minor units with ``amount_unit="major"``, and is
rejected in minor units; a JSON number always uses ``.`` as its decimal separator. Any other
operation takes JSON Lines whose objects are passed as keyword arguments as they are (``id``
aside).
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import attrs

from plexy_async.batch._amounts import AMOUNT_UNITS, DECIMAL_SEPARATORS, parse_major, parse_minor
from plexy_async.batch._columns import (
    DELIMITERS,
    PAYMENT_COLUMNS,
    SESSION_COLUMNS,
    Column,
    column_names,
    detect_delimiter,
    did_you_mean,
    split_header,
)
from plexy_async.batch._input_errors import InputError, RowError
from plexy_async.batch._items import BatchItem, InvalidItem, Item
from plexy_async.models.checkout import CardDetails, StoredPaymentMethodDetails
from plexy_async.models.common import Amount
from plexy_async.models.currency import is_iso_currency

FORMATS: Final = ("csv", "jsonl")
_SUFFIXES: Final = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}

__all__ = [
    "FORMATS",
    "SPECS",
    "InputError",
    "InputFile",
    "Reading",
    "RowSpec",
    "count_rows",
    "detect_format",
]


# --- one operation's rows ----------------------------------------------------------------------


@attrs.frozen
class Reading:
    """How the cells of a row are read.

    Attributes:
        defaults: Values for rows without them (``merchant_account``, ``return_url``).
        amount_unit: ``minor`` (whole minor units, as the API) or ``major``.
        decimal_separator: The decimal separator of major amounts, ``.`` or ``,``.
    """

    defaults: Mapping[str, str] = attrs.field(factory=dict)
    amount_unit: str = "minor"
    decimal_separator: str = "."


@attrs.frozen
class RowSpec:
    """How the rows of one operation become keyword arguments.

    Attributes:
        columns: The columns, documented (``batch/_columns.py``): the one source of the names.
        example: An example header line and data line (minor units, ``,`` delimiter).
        build: Turns a row (column name -> stripped text, empty cells included) into the
            operation's keyword arguments; raises ``RowError``.
    """

    columns: tuple[Column, ...]
    example: tuple[str, str]
    build: Callable[[dict[str, str], Reading], dict[str, Any]]

    @property
    def required(self) -> frozenset[str]:
        return frozenset(column.name for column in self.columns if column.required)

    @property
    def optional(self) -> frozenset[str]:
        return self.fields - self.required - {"id"}

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(column.name for column in self.columns) | {"id"}


def _amount(row: dict[str, str], reading: Reading) -> Amount:
    raw = row.pop("amount", "")
    currency = row.pop("currency", "").upper()
    if not raw:
        raise RowError("missing amount")
    if not currency:
        raise RowError("missing currency")
    if not is_iso_currency(currency):  # the client's and the mock's rule (models.currency)
        raise RowError(f"unknown currency {currency[:10]!r}")
    if reading.amount_unit == "major":
        return Amount(parse_major(raw, currency, reading.decimal_separator), currency)
    return Amount(parse_minor(raw), currency)


def _merchant(row: dict[str, str], reading: Reading) -> str:
    merchant = row.pop("merchant_account", "") or reading.defaults.get("merchant_account", "")
    if not merchant:
        raise RowError(
            "missing merchant_account (a column, or --merchant-account / $PLEXY_MERCHANT_ACCOUNT)"
        )
    return merchant


def _reference(row: dict[str, str]) -> str:
    reference = row.pop("reference", "")
    if not reference:
        raise RowError("missing reference")
    return reference


def _payment(row: dict[str, str], reading: Reading) -> dict[str, Any]:
    params: dict[str, Any] = {
        "reference": _reference(row),
        "amount": _amount(row, reading),
        "merchant_account": _merchant(row, reading),
    }
    stored = row.pop("stored_payment_method_id", "")
    number = row.pop("card_number", "").replace(" ", "")
    if stored and number:
        raise RowError("give card_number or stored_payment_method_id, not both")
    if stored:
        params["payment_method"] = StoredPaymentMethodDetails(stored_payment_method_id=stored)
    elif not number:
        raise RowError("missing card_number (or stored_payment_method_id)")
    elif not number.isdigit():
        raise RowError("card_number must be digits")
    else:
        params["payment_method"] = CardDetails(
            number=number,
            cvc=row.pop("cvc", "") or None,
            expiry_month=row.pop("expiry_month", "") or None,
            expiry_year=row.pop("expiry_year", "") or None,
            holder_name=row.pop("holder_name", "") or None,
        )
    params.update((name, value) for name, value in row.items() if value)
    return params


def _session(row: dict[str, str], reading: Reading) -> dict[str, Any]:
    params: dict[str, Any] = {
        "reference": _reference(row),
        "amount": _amount(row, reading),
        "merchant_account": _merchant(row, reading),
    }
    return_url = row.pop("return_url", "") or reading.defaults.get("return_url", "")
    if not return_url:
        raise RowError("missing return_url (a column)")
    params["return_url"] = return_url
    params.update((name, value) for name, value in row.items() if value)
    return params


SPECS: Final[dict[str, RowSpec]] = {
    "payments.create": RowSpec(
        columns=PAYMENT_COLUMNS,
        example=(
            "reference,amount,currency,card_number,cvc,expiry_month,expiry_year",
            "order-1,10050,KZT,4242424242424242,737,03,2030",
        ),
        build=_payment,
    ),
    "sessions.create": RowSpec(
        columns=SESSION_COLUMNS,
        example=(
            "reference,amount,currency,return_url",
            "order-1,10050,KZT,https://shop.example/back",
        ),
        build=_session,
    ),
}
"""The operations that read CSV, and how their rows become keyword arguments."""


# --- reading files -----------------------------------------------------------------------------


def detect_format(path: str | os.PathLike[str], given: str | None = None) -> str:
    if given is not None:
        if given not in FORMATS:
            raise InputError(f"unknown input format {given!r}: --format csv or jsonl")
        return given
    fmt = _SUFFIXES.get(Path(path).suffix.lower())
    if fmt is None:
        raise InputError(f"cannot tell the format of {os.fspath(path)!r}: pass --format csv|jsonl")
    return fmt


#: Excel's first line naming the delimiter, ``sep=;`` (any one character but a quote).
_EXCEL_SEPARATOR: Final = re.compile(r"sep=([^\"'\r\n])")


def count_rows(path: str | os.PathLike[str], fmt: str) -> int:
    """Data lines in the file (for a progress bar's total): non-blank lines, less a CSV header."""
    count = 0
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                count += 1
    return max(count - 1, 0) if fmt == "csv" else count


def _journal_batch(path: Path) -> str | None:
    """The batch id (or ``""``) when the file is a plexy batch journal: its first non-blank
    line is a JSON object with ``"event": "run"`` and a ``batch_id`` (``batch/_journal.py``
    writes one first); else None."""
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        first = next((line.strip() for line in f if line.strip()), "")
    if not first.startswith("{"):
        return None
    try:
        record = json.loads(first)
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("event") != "run" or "batch_id" not in record:
        return None
    batch_id = record.get("batch_id")
    return batch_id if isinstance(batch_id, str) else ""


class InputFile:
    """An input file for one operation; the CSV header is checked when it is opened.

    Args:
        path: The file.
        operation: The service call, ``payments.create`` say (CSV for those in ``SPECS``).
        fmt: ``csv`` or ``jsonl``; None: from the file name's suffix (``--format``).
        defaults: Values for rows without them: ``merchant_account``, ``return_url``.
        delimiter: The CSV delimiter, ``,`` ``;`` ``tab`` (or ``\\t``) or ``|``; None: told
            from the header line among ``,`` ``;`` and tab (``--delimiter``). JSON Lines
            ignore it.
        amount_unit: ``minor`` (whole minor units, as the API) or ``major`` (``--amount-unit``).
        decimal_separator: ``.`` or ``,``, for major units (``--decimal-separator``).

    Raises:
        InputError: No such file, an unknown format or option value, a journal given as input,
            CSV for an operation that reads JSON Lines only, a bad CSV header.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        operation: str,
        *,
        fmt: str | None = None,
        defaults: Mapping[str, str] | None = None,
        delimiter: str | None = None,
        amount_unit: str = "minor",
        decimal_separator: str = ".",
    ) -> None:
        self.path = Path(path)
        self.format = detect_format(path, fmt)
        self.operation = operation
        self.defaults = dict(defaults or {})
        self.spec = SPECS.get(operation)
        if amount_unit not in AMOUNT_UNITS:
            raise InputError(f"unknown amount unit {amount_unit!r}: --amount-unit minor|major")
        if decimal_separator not in DECIMAL_SEPARATORS:
            raise InputError(
                f"unknown decimal separator {decimal_separator!r}: --decimal-separator . or ,"
            )
        if decimal_separator != "." and amount_unit != "major":
            raise InputError(
                "--decimal-separator goes with --amount-unit major (minor units are whole numbers)"
            )
        if delimiter is not None and delimiter not in DELIMITERS:
            raise InputError(f"unknown delimiter {delimiter!r}: --delimiter , ; tab or |")
        self.reading = Reading(self.defaults, amount_unit, decimal_separator)
        if not self.path.is_file():
            raise InputError(f"no such input file: {os.fspath(path)}")
        journal_of = _journal_batch(self.path)
        if journal_of is not None:
            of = f" of batch {journal_of!r}" if journal_of else ""
            raise InputError(
                f"{os.fspath(path)} is a batch journal{of}, not an input file: to see what it "
                f"holds, run plexy-async journal {os.fspath(path)}"
            )
        if self.spec is None and self.format == "csv":
            raise InputError(
                f"{operation} reads JSON Lines only; CSV is supported for {', '.join(SPECS)}"
            )
        self.delimiter = DELIMITERS[delimiter] if delimiter is not None else None
        self._names: list[str] = []
        self._preamble = 0  # lines before the header: Excel's "sep=;"
        if self.format == "csv":
            self._names = self._read_header()

    def _read_header(self) -> list[str]:
        assert self.spec is not None
        with open(self.path, encoding="utf-8-sig", errors="replace", newline="") as f:
            line = f.readline()
            excel = _EXCEL_SEPARATOR.fullmatch(line.rstrip("\r\n"))
            if excel is not None:  # Excel's "sep=;" first line names the delimiter
                self._preamble = 1
                line = f.readline()
        if self.delimiter is None:
            self.delimiter = (
                excel[1] if excel is not None else detect_delimiter(line, self.spec.fields)
            )
        header = split_header(line, self.delimiter)
        return column_names(header, self.operation, self.spec.columns, delimiter=self.delimiter)

    def count(self) -> int:
        return max(count_rows(self.path, self.format) - self._preamble, 0)

    def __iter__(self) -> Iterator[Item]:
        rows = self._csv_rows() if self.format == "csv" else self._jsonl_rows()
        for line, row in rows:
            if isinstance(row, str):
                yield InvalidItem(line, f"line {line}: {row}")
            else:
                yield self._item(line, row)

    def _item(self, line: int, row: dict[str, Any]) -> Item:
        item_id = row.get("id") or row.get("reference")
        item_id = str(item_id) if isinstance(item_id, (str, int)) and item_id != "" else None
        try:
            if item_id is None:
                raise RowError("missing id and reference")
            params = self._params(row)
            return BatchItem(item_id, params, line)
        except (RowError, ValueError, TypeError) as exc:
            return InvalidItem(line, f"line {line}: {exc}", item_id)

    def _params(self, row: dict[str, Any]) -> dict[str, Any]:
        row = dict(row)
        row.pop("id", None)
        if self.spec is None:
            return row
        unknown = sorted(set(row) - self.spec.fields)
        if unknown:
            raise RowError(f"unknown field(s): {_suggest(unknown, self.spec.fields)}")
        reading = self.reading
        amount = row.get("amount")
        if isinstance(amount, (int, Decimal)) and not isinstance(amount, bool):
            reading = attrs.evolve(reading, decimal_separator=".")  # a JSON number's own form
        return self.spec.build({k: _text(k, v) for k, v in row.items()}, reading)

    def _csv_rows(self) -> Iterator[tuple[int, dict[str, Any] | str]]:
        names = self._names
        with open(self.path, encoding="utf-8-sig", errors="replace", newline="") as f:
            reader = csv.reader(f, delimiter=self.delimiter or ",")
            for _ in range(self._preamble + 1):  # the header, read when the file was opened
                next(reader, None)
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    yield reader.line_num, f"malformed CSV: {exc}"
                    continue
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) != len(names):
                    yield reader.line_num, f"{len(cells)} fields, the header has {len(names)}"
                    continue
                row = {name: cell.strip() for name, cell in zip(names, cells, strict=True) if name}
                yield reader.line_num, row

    def _jsonl_rows(self) -> Iterator[tuple[int, dict[str, Any] | str]]:
        # An operation with columns reads numbers exactly (an amount in major units); any other
        # gets its JSON as it is, floats included.
        parse_float: Callable[[str], Any] = Decimal if self.spec is not None else float
        with open(self.path, encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line.strip(), parse_float=parse_float)
                except ValueError as exc:
                    yield number, f"malformed JSON ({_json_reason(exc)})"
                    continue
                if not isinstance(row, dict):
                    yield number, "not a JSON object"
                    continue
                yield number, row


def _suggest(unknown: list[str], known: frozenset[str]) -> str:
    return ", ".join(did_you_mean(name, name, known) for name in unknown)


def _text(name: str, value: Any) -> str:
    """A JSON value as the text a CSV cell would hold: strings and integers, and for ``amount``
    a JSON number with decimals, as its exact text (``Decimal``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if name == "amount" and isinstance(value, Decimal):
        return str(value)  # the number's own digits: 100.50 stays "100.50", 1e2 is "1E+2"
    if name == "amount" and isinstance(value, float):  # NaN or Infinity: no Decimal parses them
        raise RowError(f"amount must be a finite number, got {value}")
    raise RowError(f"{name} must be a string or an integer")


def _json_reason(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at column {exc.colno}"
    return type(exc).__name__
