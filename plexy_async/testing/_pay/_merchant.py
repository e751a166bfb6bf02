"""Mock Pay API: the merchant (``GET /merchant``) and its balance, plus the money helpers the
payout, beneficiary and settlement modules share.

The merchant holds one ``balance`` in minor units of its ``currency`` (KZT). Payouts and
settlement payment orders debit it; transfers from a beneficiary credit it. Tests seed it with
``set_merchant_balance(mock.pay, 100_000)``.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from aiohttp import web

from ...models.currency import currency_problem, is_iso_currency
from ._common import PayError, PayState, Record, add, need, now_iso, ok

MERCHANT_CURRENCY: Final = "KZT"


def merchant(pay: PayState) -> Record:
    """The merchant record, filled in with defaults the first time (keys others set are kept)."""
    record = pay.merchant
    if "id" not in record:
        record.setdefault("id", str(uuid.uuid4()))
        record.setdefault("name", "Mock Merchant")
        record.setdefault("status", "active")
        record.setdefault("currency", MERCHANT_CURRENCY)
        record.setdefault("balance", 0)
        record.setdefault(
            "settings",
            {
                "autoClearing": True,
                "webhookUrl": None,
                "successUrl": "https://merchant.example/success",
                "failureUrl": "https://merchant.example/failure",
                "cancelUrl": "https://merchant.example/cancel",
                "payoutsEnabled": True,
            },
        )
        record.setdefault("createdAt", now_iso())
    return record


def set_merchant_balance(pay: PayState, amount: int) -> Record:
    """Test helper: set the merchant balance (minor units); returns the merchant record."""
    record = merchant(pay)
    record["balance"] = amount
    return record


def merchant_balance(pay: PayState) -> int:
    balance: int = merchant(pay)["balance"]
    return balance


def debit_merchant(pay: PayState, amount: int, currency: str, what: str) -> None:
    """Take ``amount`` off the merchant balance, or a 422 when it is not there."""
    record = merchant(pay)
    if currency != record["currency"]:
        raise PayError(
            422, f"{what}: currency {currency} differs from the balance's {record['currency']}",
            "currency",
        )  # fmt: skip
    if amount > record["balance"]:
        raise PayError(
            422, f"{what}: insufficient merchant balance ({record['balance']} < {amount})",
            "amount",
        )  # fmt: skip
    record["balance"] -= amount


def credit_merchant(pay: PayState, amount: int) -> None:
    merchant(pay)["balance"] += amount


# --- request checks shared by the Pay API money modules -----------------------------------------


def amount_of(body: Record, name: str = "amount") -> int:
    """A required positive integer amount: 400 when missing or not an int, 422 when <= 0."""
    value: int = need(body, name, int)
    if value <= 0:
        raise PayError(422, f"{name} must be positive, got {value}", name)
    return value


def currency_of(body: Record, default: str | None = None) -> str:
    """``currency`` from the body (or ``default``): 400 when missing or not a string, 422 when
    not a current ISO 4217 code in upper case (the client's own rule, ``models.currency``)."""
    if body.get("currency") is None and default is not None:
        return default
    value: str = need(body, "currency", str)
    if not is_iso_currency(value):
        raise PayError(422, currency_problem("currency", value), "currency")
    return value


def optional(body: Record, name: str, kind: type | tuple[type, ...] = str) -> Any:
    """An optional field: ``None`` when absent or null, 400 when present with the wrong type."""
    value = body.get(name)
    if value is None:
        return None
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        raise PayError(400, f"invalid request params: {name} has the wrong type", name)
    return value


def register(router: web.UrlDispatcher, pay: PayState) -> None:
    merchant(pay)

    async def retrieve(request: web.Request) -> web.Response:
        return ok(merchant(pay))

    add(router, "merchant.retrieve", retrieve)
