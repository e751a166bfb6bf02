"""An input cell's amount as an ``int`` of minor units: read as minor units (the default, as the
API) or as major units converted with the currency's ISO 4217 exponent.

Minor units (``--amount-unit minor``): ASCII digits only, ``10050`` is 100.50 KZT.

Major units (``--amount-unit major``): digits, then optionally the declared decimal separator
(``--decimal-separator``, ``.`` by default, or ``,``) and decimals. The currency's exponent
comes from ``plexy_async.models.currency.minor_unit_exponent`` (the ``iso4217`` package, the
same data the client checks currencies with): ``100.50`` KZT (2) is 10050, ``1500`` JPY (0) is
1500, ``12.345`` KWD (3) is 12345. The arithmetic is ``decimal.Decimal`` with every inexact or
rounded operation trapped; no float is involved.

Declared, not guessed. Each of these raises ``RowError`` saying why:

* more decimals than the currency has, trailing zeros included: ``100.005`` and ``100.000``
  KZT, ``10.5`` and ``1500.00`` JPY (a spreadsheet formatting every amount with two decimals
  is refused for JPY rather than read by a guess);
* a grouping separator or the other separator: ``1,000`` or ``1 000`` with ``.`` declared,
  ``1.000,50`` with either (the value is never reinterpreted);
* a sign, zero, exponent notation (``1e3``), ``NaN``, ``Infinity``, ``.5``, ``5.``, more than
  30 digits.
"""

from __future__ import annotations

import decimal
import re
from typing import Final

from plexy_async.batch._input_errors import RowError
from plexy_async.models.currency import minor_unit_exponent

AMOUNT_UNITS: Final = ("minor", "major")
"""``--amount-unit`` values: ``minor`` (the default, as the API) or ``major``."""
DECIMAL_SEPARATORS: Final = (".", ",")
"""``--decimal-separator`` values: ``.`` (the default) or ``,``."""

MAX_DIGITS: Final = 30
"""The most digits an amount may have (before the decimal separator)."""

_GROUPING: Final = frozenset(" '_\u00a0\u202f\u2009")  # spaces, apostrophe, underscore
_PATTERNS: Final = {
    sep: re.compile(r"([0-9]+)(?:" + re.escape(sep) + r"([0-9]+))?") for sep in DECIMAL_SEPARATORS
}
# Wide enough for MAX_DIGITS + 4 decimals many times over; any rounding would raise.
_EXACT: Final = decimal.Context(
    prec=80,
    traps=[decimal.Inexact, decimal.Rounded, decimal.InvalidOperation, decimal.Overflow],
)


def _shown(raw: str) -> str:
    return repr(raw[:20] + "..." if len(raw) > 20 else raw)


def parse_minor(raw: str) -> int:
    """A whole, positive number of minor units written in ASCII digits: ``"10050"`` -> 10050.

    Raises:
        RowError: Anything else (a hint names ``--amount-unit major`` when it holds ``.``/``,``).
    """
    if not (raw.isascii() and raw.isdigit()):
        hint = " (major units? see --amount-unit major)" if any(c in raw for c in ".,") else ""
        raise RowError(f"amount must be a whole number of minor units, got {_shown(raw)}{hint}")
    if len(raw.lstrip("0")) > MAX_DIGITS:
        raise RowError(f"amount has more than {MAX_DIGITS} digits")
    value = int(raw)
    if value <= 0:
        raise RowError("amount must be positive")
    return value


def parse_major(raw: str, currency: str, decimal_separator: str = ".") -> int:
    """Major units of ISO 4217 ``currency`` as minor units: ``("100.50", "KZT")`` -> 10050,
    ``("100,50", "KZT", ",")`` -> 10050, ``("1500", "JPY")`` -> 1500, ``("12.345", "KWD")`` ->
    12345.

    Args:
        raw: The cell's text, surrounding spaces already stripped.
        currency: A current ISO 4217 code, upper case (checked by the caller).
        decimal_separator: ``.`` or ``,``: the declared one; the other is never read.

    Raises:
        RowError: The text is not a plain positive decimal number in the declared form, or it has
            more decimals than the currency's exponent.
        InvalidRequestError: ``currency`` is not an ISO 4217 code.
    """
    if decimal_separator not in _PATTERNS:
        raise ValueError(f"decimal_separator must be one of {DECIMAL_SEPARATORS}")
    exponent = minor_unit_exponent(currency)
    if raw.startswith("-"):
        raise RowError(f"amount must be positive, got {_shown(raw)}")
    other = "," if decimal_separator == "." else "."
    stray = other if other in raw else next((c for c in raw if c in _GROUPING), None)
    if stray is not None and any(c.isdigit() for c in raw):
        raise RowError(
            f"amount {_shown(raw)} holds {stray!r}, which is not the decimal separator "
            f"({decimal_separator!r}, see --decimal-separator); grouping separators are not read"
        )
    match = _PATTERNS[decimal_separator].fullmatch(raw)
    if match is None:
        raise RowError(
            f"amount must be a plain decimal number of major units (digits, {decimal_separator!r}"
            f" and decimals; no sign, exponent or grouping), got {_shown(raw)}"
        )
    whole, decimals = match.group(1), match.group(2) or ""
    if len(whole.lstrip("0")) > MAX_DIGITS:
        raise RowError(f"amount has more than {MAX_DIGITS} digits")
    if len(decimals) > exponent:
        raise RowError(
            f"amount {_shown(raw)} has {len(decimals)} decimals; {currency} has {exponent} "
            "(ISO 4217)"
        )
    value = decimal.Decimal(f"{whole}.{decimals}" if decimals else whole)  # exact, any length
    minor = value.scaleb(exponent, _EXACT)
    if minor != minor.to_integral_value(context=_EXACT):  # unreachable: checked above
        raise RowError(f"amount {_shown(raw)} is not a whole number of {currency} minor units")
    result = int(minor)
    if result <= 0:
        raise RowError(f"amount must be positive, got {_shown(raw)}")
    return result
