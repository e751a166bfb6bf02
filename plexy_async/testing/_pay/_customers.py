"""Mock Pay API: customers (``cus_...``), their card tokens (``ct_...``) and transactions.

A card token keeps the last four digits, brand and expiry: never a card number. A customer's
transactions are the records in ``pay.transactions`` whose ``customerId`` is the customer's id
(payment links fill that dict; tests add records with ``add_customer_transaction``).

Test helpers: ``add_customer``, ``add_card_token``, ``add_customer_transaction``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from .._cards import card_brand, valid_card_number
from ._common import (
    PayError,
    PayState,
    Record,
    add,
    found,
    need,
    new_id,
    now_iso,
    ok,
    page_of,
    read_object,
)
from ._merchant import MERCHANT_CURRENCY, optional

#: Card tokens saved for payouts without a customer are kept under this key of ``card_tokens``.
NO_CUSTOMER = ""


# --- cards --------------------------------------------------------------------------------------


# The Pay API spells the schemes out where Checkout v2 uses Adyen-style codes.
_PAY_BRAND_NAMES = {"mc": "mastercard"}


def pay_card_brand(number: str) -> str:
    brand = card_brand(number)
    return _PAY_BRAND_NAMES.get(brand, brand)


def _expiry(month: str, year: str) -> tuple[int, int]:
    """``(year, month)`` of a card expiry, or a 422."""
    if not (month.isdigit() and year.isdigit() and len(year) in (2, 4)):
        raise PayError(422, "expiry must be digits: MM and YY or YYYY", "expiryMonth")
    m, y = int(month), int(year)
    if not 1 <= m <= 12:
        raise PayError(422, f"expiry month must be 1 to 12, got {month}", "expiryMonth")
    return (2000 + y if len(year) == 2 else y), m


def is_expired(token: Record) -> bool:
    year, month = _expiry(str(token["expiryMonth"]), str(token["expiryYear"]))
    now = datetime.now(UTC)
    return (year, month) < (now.year, now.month)


def tokenize(
    pay: PayState,
    number: str,
    expiry_month: str,
    expiry_year: str,
    *,
    customer_id: str | None = None,
    holder_name: str | None = None,
) -> Record:
    """Check a card and keep a token of it (the number itself is dropped here)."""
    if not valid_card_number(number):
        raise PayError(422, "cardNumber is not a valid card number", "cardNumber")
    year, month = _expiry(expiry_month, expiry_year)
    now = datetime.now(UTC)
    if (year, month) < (now.year, now.month):
        raise PayError(422, "the card has expired", "expiryYear")
    token: Record = {
        "id": new_id("ct"),
        "customerId": customer_id,
        "last4": number[-4:],
        "brand": pay_card_brand(number),
        "expiryMonth": f"{month:02d}",
        "expiryYear": str(year),
        "holderName": holder_name,
        "createdAt": now_iso(),
    }
    pay.card_tokens.setdefault(customer_id or NO_CUSTOMER, []).append(token)
    return token


def find_card_token(pay: PayState, token_id: str) -> Record | None:
    for tokens in pay.card_tokens.values():
        for token in tokens:
            if token["id"] == token_id:
                return token
    return None


# --- test helpers -------------------------------------------------------------------------------


def add_customer(pay: PayState, name: str = "Test Customer", **fields: Any) -> Record:
    """Test helper: store a customer record (``fields`` in wire format, e.g. ``email=...``)."""
    now = now_iso()
    record: Record = {"id": new_id("cus"), "name": name, "metadata": {}, **fields}
    record.setdefault("createdAt", now)
    record.setdefault("updatedAt", now)
    pay.customers[record["id"]] = record
    return record


def add_card_token(
    pay: PayState,
    customer_id: str,
    number: str = "4242424242424242",
    expiry_month: str = "12",
    expiry_year: str = "2030",
) -> Record:
    """Test helper: save a card for a customer, as a payment with ``storePaymentMethod`` would."""
    found(pay.customers, customer_id, "customer")
    return tokenize(pay, number, expiry_month, expiry_year, customer_id=customer_id)


def add_customer_transaction(
    pay: PayState,
    customer_id: str,
    amount: int,
    currency: str = MERCHANT_CURRENCY,
    status: str = "charged",
    **fields: Any,
) -> Record:
    """Test helper: a transaction of ``customer_id`` in ``pay.transactions`` (wire format)."""
    now = now_iso()
    record: Record = {
        "id": new_id("txn"),
        "amount": amount,
        "balance": amount,
        "currency": currency,
        "status": status,
        "type": "payment",
        "customerId": {"Value": customer_id},  # as the Pay API sends nullable ids
        "createdAt": now,
        "updatedAt": now,
        **fields,
    }
    pay.transactions[record["id"]] = record
    return record


def _customer_of(transaction: Record) -> Any:
    value = transaction.get("customerId")
    return value.get("Value") if isinstance(value, dict) else value


# --- handlers -----------------------------------------------------------------------------------


def register(router: web.UrlDispatcher, pay: PayState) -> None:
    async def create(request: web.Request) -> web.Response:
        body = await read_object(request)
        name = need(body, "name", str)
        if not name.strip():
            raise PayError(422, "name must not be blank", "name")
        fields = {
            key: optional(body, key)
            for key in ("email", "phone", "externalId", "description")
        }  # fmt: skip
        if fields["email"] is not None and "@" not in fields["email"]:
            raise PayError(422, "email is not an email address", "email")
        metadata = optional(body, "metadata", dict) or {}
        record = add_customer(pay, name, **fields, metadata=metadata)
        return ok(record, 201)

    async def list_(request: web.Request) -> web.Response:
        email = request.query.get("email")
        records = [
            c for c in pay.customers.values() if email is None or c.get("email") == email
        ]  # fmt: skip
        return ok(page_of(records, request))

    async def retrieve(request: web.Request) -> web.Response:
        return ok(found(pay.customers, request.match_info["customer_id"], "customer"))

    async def card_tokens(request: web.Request) -> web.Response:
        customer_id = request.match_info["customer_id"]
        found(pay.customers, customer_id, "customer")
        return ok({"data": pay.card_tokens.get(customer_id, [])})

    async def transactions(request: web.Request) -> web.Response:
        customer_id = request.match_info["customer_id"]
        found(pay.customers, customer_id, "customer")
        records = [t for t in pay.transactions.values() if _customer_of(t) == customer_id]
        return ok(page_of(records, request))

    add(router, "customers.create", create)
    add(router, "customers.list", list_)
    add(router, "customers.retrieve", retrieve)
    add(router, "customers.card_tokens", card_tokens)
    add(router, "customers.transactions", transactions)
