"""Card checks the mock's surfaces share, and its test cards. Card numbers never leave this
process's memory, except the public test numbers below (listed in ``plexy-async mock --help``)."""

from __future__ import annotations

from typing import Final

import attrs

from plexy_async._mask import luhn_valid

THREE_DS_CARD: Final = "4000002500003155"
"""Answers ``RedirectShopper`` (3-D Secure); the charge commits on ``/payments/details``."""

# card number -> (refusalReason, refusalReasonCode, refusalReasonRaw)
REFUSALS: Final[dict[str, tuple[str, str, str]]] = {
    "4000000000000002": ("Refused", "2", "05 : Do not honor"),
    "4000000000009995": ("Not enough balance", "12", "51 : Insufficient funds"),
    "4000000000009987": ("Blocked Card", "5", "41 : Lost card"),
    "4000000000009979": ("Blocked Card", "5", "43 : Stolen card"),
    "4000000000000069": ("Expired Card", "6", "54 : Expired card"),
    "4000000000000127": ("CVC Declined", "24", "N7 : CVV2 failure"),
    "4000000000000119": ("Acquirer Error", "4", "96 : System malfunction"),
}
"""The declining test cards: a ``Refused`` payment (Pay API: a ``rejected`` transaction)."""

CVC_DECLINED: Final = REFUSALS["4000000000000127"]
"""What any card with CVC ``000`` is refused with."""


@attrs.frozen
class MockCard:
    """One test card and what the mock answers for it.

    Attributes:
        number: The card number (a public test number).
        outcome: ``"Authorised"``, ``"Refused"``, ``"RedirectShopper"`` or ``"invalid"`` (422).
        detail: The refusal reason, or what else to know.
    """

    number: str
    outcome: str
    detail: str


def mock_cards() -> tuple[MockCard, ...]:
    """Every test card the mock knows, authorising ones first, then 3-D Secure, declines, invalid.

    Any other Luhn-valid number of 12 to 19 digits authorises too; any card with CVC ``000`` is
    refused with "CVC Declined".
    """
    authorising = (
        MockCard("4242424242424242", "Authorised", "visa; any Luhn-valid number authorises"),
        MockCard("5555555555554444", "Authorised", "mc"),
        MockCard("378282246310005", "Authorised", "amex"),
    )
    three_ds = MockCard(
        THREE_DS_CARD, "RedirectShopper", "3-D Secure: charged on /payments/details"
    )
    declines = tuple(
        MockCard(number, "Refused", f"{reason} ({raw})")
        for number, (reason, _, raw) in REFUSALS.items()
    )
    invalid = MockCard("4242424242424241", "invalid", "422 parameter_invalid: fails the Luhn check")
    return (*authorising, three_ds, *declines, invalid)


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
