"""ISO 4217 currency codes and their minor-unit exponents: the one source for the whole library.

The data is the ``iso4217`` package's copy of the ISO 4217 "list one" (current codes), so the
list is updated by upgrading a dependency, never by editing a table here: a code retired from
ISO 4217 (``BGN`` from 2026, when Bulgaria took the euro) stops being accepted, a new one
(``XCG``) starts. Everything is computed once, at import; a check is one frozenset look-up.

Who asks what:

- Every request the client sends (an ``Amount`` in ``payments.create``, a ``currency`` field of
  the Pay API), the batch input and the mock server accept a code only when ``is_iso_currency``
  says so (upper case only: ``"kzt"`` is refused).
- ``Amount(...)`` itself, and so a code in a response, only needs the shape of a code
  (``is_currency_code_shape``): a server that knows a currency before our data does must not
  make a response fail to parse.
- ``minor_unit_exponent`` gives the decimals of a code (KZT 2, JPY 0, KWD 3, CLF 4) for display
  and for converting major units to minor units.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import iso4217

from plexy_async.errors import InvalidRequestError


def _exponents() -> dict[str, int]:
    table: dict[str, int] = {}
    for currency in iso4217.Currency:
        exponent = currency.exponent
        # "N.A." in ISO 4217 (gold XAU, the SDR XDR, the testing code XTS, "no currency" XXX):
        # there is no minor unit, so an amount of these counts whole units, as with JPY.
        table[currency.code] = 0 if exponent is None else exponent
    return table


#: Every current ISO 4217 code mapped to its minor-unit exponent (0 where ISO says "N.A.").
MINOR_UNIT_EXPONENTS: Final[Mapping[str, int]] = MappingProxyType(_exponents())

#: Every current ISO 4217 alphabetic code, such as ``"KZT"``: upper case, three letters.
CURRENCY_CODES: Final[frozenset[str]] = frozenset(MINOR_UNIT_EXPONENTS)

#: The publication date of the ISO 4217 list in use (from the ``iso4217`` package).
ISO_4217_PUBLISHED: Final[datetime.date] = iso4217.__published__


def is_iso_currency(code: object) -> bool:
    """Whether ``code`` is a current ISO 4217 code, exactly as written: ``"KZT"`` is one;
    ``"kzt"``, ``"XYZ"``, ``"BGN"`` (retired) and ``b"KZT"`` are not. Never raises."""
    # The exact str type first: a str subclass could answer the look-up with its own __eq__.
    return code.__class__ is str and code in CURRENCY_CODES


def is_currency_code_shape(code: object) -> bool:
    """Whether ``code`` is three upper-case ASCII letters (``"XYZ"`` is; ``"kzt"`` is not):
    what a response may carry, whether or not ISO 4217 (as we know it) has it."""
    if not isinstance(code, str) or code.__class__ is not str:
        return False
    if code in CURRENCY_CODES:  # nearly always, in a response: one look-up
        return True
    return len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()


def minor_unit_exponent(code: str) -> int:
    """The number of decimals of ISO 4217 currency ``code``: KZT 2, USD 2, JPY 0, KWD 3, CLF 4;
    0 for a code without a minor unit (XAU, XDR, XXX). An ``Amount`` of ``code`` holds
    ``major * 10 ** minor_unit_exponent(code)``.

    Raises ``InvalidRequestError`` (a ``ValueError``) for a code ISO 4217 does not have.
    """
    exponent = MINOR_UNIT_EXPONENTS.get(code) if code.__class__ is str else None
    if exponent is None:
        raise InvalidRequestError(currency_problem("currency", code))
    return exponent


def currency_problem(name: str, code: object) -> str:
    """Why ``code`` is not a currency code we send, for field ``name``: names the field, what is
    expected and what was given."""
    expected = f"{name} must be an ISO 4217 currency code such as 'KZT'"
    if not isinstance(code, str):
        return f"{expected}, got {type(code).__name__}"
    shown = repr(code[:10] + "..." if len(code) > 10 else code)
    if len(code) == 3 and code.isascii() and code.isalpha() and not code.isupper():
        return f"{expected} (upper case), got {shown}"
    if is_currency_code_shape(code):
        return f"{expected}, got {shown}, which ISO 4217 (of {ISO_4217_PUBLISHED}) does not have"
    return f"{expected} (three upper-case letters), got {shown}"


__all__ = [
    "CURRENCY_CODES",
    "ISO_4217_PUBLISHED",
    "MINOR_UNIT_EXPONENTS",
    "is_currency_code_shape",
    "is_iso_currency",
    "minor_unit_exponent",
]
