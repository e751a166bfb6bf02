"""The CSV columns each operation reads, documented in one table, and how a header line becomes
column names.

``PAYMENT_COLUMNS`` and ``SESSION_COLUMNS`` are the one description of the columns: the input
reader takes its required and optional names from them, ``plexy-async batch --help`` and the
README print them (``cli/_input_flags.py``). JSON Lines objects use the same names as keys.

A header is read as a spreadsheet writes it: each name is taken in any case, with surrounding
spaces stripped and runs of spaces or hyphens read as one underscore (``Card Number`` is
``card_number``, ``Expiry-Month`` is ``expiry_month``, ``Id`` is ``id``). An empty header cell
is ignored with its column. The delimiter, unless given, is the one of ``,`` ``;`` and tab that
splits the header line into the most known column names.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Collection, Sequence
from typing import Final

import attrs

from plexy_async.batch._input_errors import InputError


@attrs.frozen
class Column:
    """One input column.

    Attributes:
        name: Its name, as normalised headers and JSON Lines keys spell it: ``card_number``.
        required: Whether every row must give it (a column that is one of two, such as
            ``card_number`` or ``stored_payment_method_id``, is optional and says so).
        meaning: What it holds, with its units and an example value.
    """

    name: str
    required: bool
    meaning: str


_ID: Final = Column(
    "id",
    False,
    "the item's own stable id (its idempotency key derives from it); default: reference",
)
_REFERENCE: Final = Column("reference", True, "your reference for the payment: the order number")
_AMOUNT: Final = Column(
    "amount",
    True,
    "a whole number of minor units: 10050 is 100.50 KZT; with --amount-unit major, major "
    "units (100.50, decimal separator per --decimal-separator), at most as many decimals "
    "as the currency has",
)
_CURRENCY: Final = Column(
    "currency", True, "ISO 4217 code, any case: KZT (2 decimals), JPY (0), KWD (3)"
)
_MERCHANT: Final = Column(
    "merchant_account", False, "default: --merchant-account or $PLEXY_MERCHANT_ACCOUNT"
)
_CHANNEL: Final = Column("channel", False, "Web, iOS or Android")
_COUNTRY: Final = Column("country_code", False, "the shopper's country, ISO 3166-1: KZ")
_LOCALE: Final = Column("shopper_locale", False, "language and country: ru-KZ")
_SHOPPER: Final = Column("shopper_reference", False, "your id for the shopper")
_EMAIL: Final = Column("shopper_email", False, "the shopper's e-mail address")

PAYMENT_COLUMNS: Final[tuple[Column, ...]] = (
    _ID,
    _REFERENCE,
    _AMOUNT,
    _CURRENCY,
    _MERCHANT,
    Column(
        "card_number",
        False,
        "the card number, digits (spaces are dropped); give it or stored_payment_method_id",
    ),
    Column("cvc", False, "the card's security code: 737"),
    Column("expiry_month", False, "the card's expiry month, two digits: 03"),
    Column("expiry_year", False, "the card's expiry year, four digits: 2030"),
    Column("holder_name", False, "the name on the card"),
    Column("stored_payment_method_id", False, "a stored card's id, instead of card_number"),
    Column("return_url", False, "where a 3-D Secure step sends the shopper back"),
    _CHANNEL,
    Column("origin", False, "the origin of the shopper's page: https://shop.example"),
    _COUNTRY,
    _LOCALE,
    _SHOPPER,
    _EMAIL,
    Column("shopper_ip", False, "the shopper's IP address"),
    Column("shopper_interaction", False, "Ecommerce, ContAuth or Moto"),
    Column(
        "recurring_processing_model", False, "CardOnFile, Subscription or UnscheduledCardOnFile"
    ),
)
"""``payments.create``'s columns (``POST /v2/payments``), in the order help lists them."""

SESSION_COLUMNS: Final[tuple[Column, ...]] = (
    _ID,
    _REFERENCE,
    _AMOUNT,
    _CURRENCY,
    _MERCHANT,
    Column("return_url", False, "where the shopper comes back to; every row needs one"),
    _CHANNEL,
    _COUNTRY,
    _LOCALE,
    _SHOPPER,
    _EMAIL,
    Column("mode", False, "embedded or hosted"),
)
"""``sessions.create``'s columns (``POST /v2/sessions``)."""


# --- headers -----------------------------------------------------------------------------------

DETECTED_DELIMITERS: Final = (",", ";", "\t")
"""The delimiters told from the header line, in order of preference on a tie."""
DELIMITERS: Final = {",": ",", ";": ";", "tab": "\t", "\\t": "\t", "\t": "\t", "|": "|"}
"""``--delimiter`` values and the character each means."""

_SPACES_AND_HYPHENS: Final = re.compile(r"[\s\-]+")


def normalise(name: str) -> str:
    """A header cell as a column name: ``" Card Number "`` -> ``card_number``,
    ``Expiry-Month`` -> ``expiry_month``, ``Id`` -> ``id``."""
    return _SPACES_AND_HYPHENS.sub("_", name.strip().lower())


def delimiter_name(delimiter: str) -> str:
    """How a message shows a delimiter: ``','``, ``';'``, ``tab``."""
    return "tab" if delimiter == "\t" else repr(delimiter)


def split_header(line: str, delimiter: str) -> list[str]:
    """A header line's cells, read as CSV with ``delimiter`` (quotes honoured)."""
    return next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), [])


def detect_delimiter(line: str, known: Collection[str]) -> str:
    """Of ``,`` ``;`` and tab, the delimiter splitting header ``line`` into the most names in
    ``known`` (normalised); on a tie, the one giving more cells, then the first in that order.
    ``,`` when nothing tells them apart."""
    best, best_score = ",", (-1, -1)
    for delimiter in DETECTED_DELIMITERS:
        names = [normalise(cell) for cell in split_header(line, delimiter)]
        score = (sum(name in known for name in names), len(names))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def column_names(
    header: Sequence[str],
    operation: str,
    columns: Sequence[Column],
    *,
    delimiter: str = ",",
) -> list[str]:
    """The header's cells as column names, in order (``""`` for an empty cell: ignored).

    Raises:
        InputError: Two cells read as the same name; a name the operation does not take (the
            message lists the accepted ones and suggests the closest); a required one missing.
    """
    accepted = [column.name for column in columns]
    names = [normalise(cell) for cell in header]
    first: dict[str, str] = {}
    for cell, name in zip(header, names, strict=True):
        if not name:
            continue
        if name in first:
            raise InputError(
                f"the CSV header has {first[name].strip()!r} and {cell.strip()!r}, which both "
                f"read as column {name}: keep one"
            )
        first[name] = cell
    unknown = [(cell, name) for cell, name in zip(header, names, strict=True) if name]
    unknown = [(cell, name) for cell, name in unknown if name not in accepted]
    if unknown:
        listed = ", ".join(_unknown(cell, name, accepted) for cell, name in unknown)
        hint = ""
        if not set(names) & set(accepted):
            hint = (
                f" (read with the delimiter {delimiter_name(delimiter)}: if the file uses "
                "another, give it with --delimiter)"
            )
        raise InputError(
            f"unknown CSV column(s) for {operation}: {listed}{hint}. The columns are "
            f"{', '.join(accepted)} (plexy-async batch --help describes them)"
        )
    missing = [column.name for column in columns if column.required and column.name not in first]
    if missing:
        raise InputError(
            f"the CSV header lacks {', '.join(missing)}, required for {operation} "
            "(plexy-async batch --help describes the columns)"
        )
    return names


def _unknown(cell: str, name: str, accepted: list[str]) -> str:
    return did_you_mean(repr(cell.strip()[:40]), name, accepted)


def did_you_mean(shown: str, name: str, accepted: Collection[str]) -> str:
    """``shown``, and the accepted name closest to ``name`` if one is close enough."""
    close = difflib.get_close_matches(name, sorted(accepted), n=1)
    return f"{shown} (did you mean {close[0]}?)" if close else shown
