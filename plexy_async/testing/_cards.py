"""Card checks the mock's surfaces share. Card numbers never leave this process's memory."""

from __future__ import annotations

from plexy_async._mask import luhn_valid


def valid_card_number(number: str) -> bool:
    """12 to 19 digits that pass the Luhn check."""
    return number.isascii() and number.isdigit() and 12 <= len(number) <= 19 and luhn_valid(number)


def card_brand(number: str) -> str:
    """The scheme, in Checkout v2's (Adyen-style) codes: visa, mc, amex, discover, unknown."""
    if number.startswith("4"):
        return "visa"
    if number[:2] in ("34", "37"):
        return "amex"
    if 51 <= int(number[:2]) <= 55 or 2221 <= int(number[:4]) <= 2720:
        return "mc"
    if number.startswith(("6011", "65")):
        return "discover"
    return "unknown"
