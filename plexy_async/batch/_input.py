"""Batch input files: CSV or JSON Lines, read lazily, one ``BatchItem`` or ``InvalidItem`` a line.

A bad line (malformed JSON, a missing amount, an unknown currency) becomes an ``InvalidItem``
naming its line number and what is wrong; it never stops the batch. Messages name fields, never
card data.

Rows are flat. For ``payments.create``::

    id,reference,amount,currency,card_number,cvc,expiry_month,expiry_year,holder_name
    ,order-1,10000,KZT,4242424242424242,737,03,2030,A Shopper

``id`` defaults to ``reference``; ``amount`` is an integer in minor units; ``currency`` a current
ISO 4217 code, in any case (``kzt`` is read as ``KZT``), checked by the client's own rule
(``models.currency``); ``merchant_account`` may be a column or a default. Any other operation
takes JSON Lines whose objects are passed as keyword arguments as they are (``id`` aside).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import attrs

from plexy_async.batch._items import BatchItem, InvalidItem, Item
from plexy_async.models.checkout import CardDetails, StoredPaymentMethodDetails
from plexy_async.models.common import Amount
from plexy_async.models.currency import is_iso_currency

FORMATS: Final = ("csv", "jsonl")
_SUFFIXES: Final = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}


class InputError(ValueError):
    """The input as a whole is unusable (unknown format, bad CSV header): nothing is run."""


class _BadRow(ValueError):
    pass


# --- one operation's rows ----------------------------------------------------------------------

Row = Mapping[str, Any]


@attrs.frozen
class RowSpec:
    """How the rows of one operation become keyword arguments."""

    required: frozenset[str]
    optional: frozenset[str]
    build: Callable[[dict[str, str], Mapping[str, str]], dict[str, Any]]

    @property
    def fields(self) -> frozenset[str]:
        return self.required | self.optional | {"id"}


_CARD_FIELDS: Final = frozenset(
    {"card_number", "cvc", "expiry_month", "expiry_year", "holder_name"}
)
_PAYMENT_PASSTHROUGH: Final = frozenset(
    {
        "return_url",
        "channel",
        "origin",
        "country_code",
        "shopper_locale",
        "shopper_reference",
        "shopper_email",
        "shopper_ip",
        "shopper_interaction",
        "recurring_processing_model",
    }
)
_SESSION_PASSTHROUGH: Final = frozenset(
    {"channel", "country_code", "shopper_locale", "shopper_reference", "shopper_email", "mode"}
)


def _amount(row: dict[str, str]) -> Amount:
    raw = row.pop("amount", "")
    currency = row.pop("currency", "").upper()
    if not raw:
        raise _BadRow("missing amount")
    if not raw.isdigit():
        raise _BadRow(f"amount must be a whole number of minor units, got {raw[:20]!r}")
    if not currency:
        raise _BadRow("missing currency")
    if not is_iso_currency(currency):  # the client's and the mock's rule (models.currency)
        raise _BadRow(f"unknown currency {currency[:10]!r}")
    value = int(raw)
    if value <= 0:
        raise _BadRow("amount must be positive")
    return Amount(value, currency)


def _merchant(row: dict[str, str], defaults: Mapping[str, str]) -> str:
    merchant = row.pop("merchant_account", "") or defaults.get("merchant_account", "")
    if not merchant:
        raise _BadRow("missing merchant_account (a column, or --merchant-account)")
    return merchant


def _reference(row: dict[str, str]) -> str:
    reference = row.pop("reference", "")
    if not reference:
        raise _BadRow("missing reference")
    return reference


def _payment(row: dict[str, str], defaults: Mapping[str, str]) -> dict[str, Any]:
    params: dict[str, Any] = {
        "reference": _reference(row),
        "amount": _amount(row),
        "merchant_account": _merchant(row, defaults),
    }
    stored = row.pop("stored_payment_method_id", "")
    number = row.pop("card_number", "").replace(" ", "")
    if stored and number:
        raise _BadRow("give card_number or stored_payment_method_id, not both")
    if stored:
        params["payment_method"] = StoredPaymentMethodDetails(stored_payment_method_id=stored)
    elif not number:
        raise _BadRow("missing card_number (or stored_payment_method_id)")
    elif not number.isdigit():
        raise _BadRow("card_number must be digits")
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


def _session(row: dict[str, str], defaults: Mapping[str, str]) -> dict[str, Any]:
    params: dict[str, Any] = {
        "reference": _reference(row),
        "amount": _amount(row),
        "merchant_account": _merchant(row, defaults),
    }
    return_url = row.pop("return_url", "") or defaults.get("return_url", "")
    if not return_url:
        raise _BadRow("missing return_url")
    params["return_url"] = return_url
    params.update((name, value) for name, value in row.items() if value)
    return params


SPECS: Final[dict[str, RowSpec]] = {
    "payments.create": RowSpec(
        required=frozenset({"reference", "amount", "currency"}),
        optional=_CARD_FIELDS
        | _PAYMENT_PASSTHROUGH
        | {"merchant_account", "stored_payment_method_id"},
        build=_payment,
    ),
    "sessions.create": RowSpec(
        required=frozenset({"reference", "amount", "currency"}),
        optional=_SESSION_PASSTHROUGH | {"merchant_account", "return_url"},
        build=_session,
    ),
}


# --- reading files -----------------------------------------------------------------------------


def detect_format(path: str | os.PathLike[str], given: str | None = None) -> str:
    if given is not None:
        if given not in FORMATS:
            raise InputError(f"unknown input format {given!r}; expected one of {FORMATS}")
        return given
    fmt = _SUFFIXES.get(Path(path).suffix.lower())
    if fmt is None:
        raise InputError(f"cannot tell the format of {os.fspath(path)!r}: pass --format csv|jsonl")
    return fmt


def count_rows(path: str | os.PathLike[str], fmt: str) -> int:
    """Data lines in the file (for a progress bar's total): non-blank lines, less a CSV header."""
    count = 0
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                count += 1
    return max(count - 1, 0) if fmt == "csv" else count


class InputFile:
    """An input file for one operation; the CSV header is checked when it is opened."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        operation: str,
        *,
        fmt: str | None = None,
        defaults: Mapping[str, str] | None = None,
    ) -> None:
        self.path = Path(path)
        self.format = detect_format(path, fmt)
        self.operation = operation
        self.defaults = dict(defaults or {})
        self.spec = SPECS.get(operation)
        if not self.path.is_file():
            raise InputError(f"no such input file: {os.fspath(path)}")
        if self.spec is None and self.format == "csv":
            raise InputError(
                f"{operation} reads JSON Lines only; CSV is supported for {', '.join(SPECS)}"
            )
        if self.format == "csv":
            self._check_header()

    def _check_header(self) -> None:
        assert self.spec is not None
        with open(self.path, encoding="utf-8-sig", errors="replace", newline="") as f:
            header = next(csv.reader(f), [])
        names = [name.strip() for name in header]
        unknown = sorted(set(names) - self.spec.fields - {""})
        if unknown:
            raise InputError(f"unknown CSV column(s) for {self.operation}: {', '.join(unknown)}")
        missing = sorted(self.spec.required - set(names))
        if missing:
            raise InputError(f"the CSV header lacks {', '.join(missing)}")

    def count(self) -> int:
        return count_rows(self.path, self.format)

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
                raise _BadRow("missing id and reference")
            params = self._params(row)
            return BatchItem(item_id, params, line)
        except (_BadRow, ValueError, TypeError) as exc:
            return InvalidItem(line, f"line {line}: {exc}", item_id)

    def _params(self, row: dict[str, Any]) -> dict[str, Any]:
        row = dict(row)
        row.pop("id", None)
        if self.spec is None:
            return row
        unknown = sorted(set(row) - self.spec.fields)
        if unknown:
            raise _BadRow(f"unknown field(s): {', '.join(unknown)}")
        return self.spec.build({k: _text(k, v) for k, v in row.items()}, self.defaults)

    def _csv_rows(self) -> Iterator[tuple[int, dict[str, Any] | str]]:
        with open(self.path, encoding="utf-8-sig", errors="replace", newline="") as f:
            reader = csv.reader(f)
            header = [name.strip() for name in next(reader, [])]
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
                if len(cells) != len(header):
                    yield reader.line_num, f"{len(cells)} fields, the header has {len(header)}"
                    continue
                row = {name: cell.strip() for name, cell in zip(header, cells, strict=True) if name}
                yield reader.line_num, row

    def _jsonl_rows(self) -> Iterator[tuple[int, dict[str, Any] | str]]:
        with open(self.path, encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line.strip())
                except ValueError as exc:
                    yield number, f"malformed JSON ({_json_reason(exc)})"
                    continue
                if not isinstance(row, dict):
                    yield number, "not a JSON object"
                    continue
                yield number, row


def _text(name: str, value: Any) -> str:
    """A JSON value as the text a CSV cell would hold: strings and integers only."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _BadRow(f"{name} must be a string or an integer")


def _json_reason(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at column {exc.colno}"
    return type(exc).__name__
