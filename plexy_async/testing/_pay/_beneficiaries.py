"""Mock Pay API: payment beneficiaries (``ben_...``) with balances, transfers to the merchant
balance, manual settlements, and settlement payment orders (``spo_...``).

Money moves at once and only when every check passed:

* ``transfer-to-merchant`` moves ``amount`` from the beneficiary's balance to the merchant's;
* a manual settlement debits the beneficiary's balance (all of it without ``amount``) and creates
  a settlement payment order (``source: beneficiaryBalance``);
* creating a settlement payment order debits the merchant balance (``source: merchantBalance``);
  a ``requestId`` used before is a 409.

More than the balance, another currency or an inactive beneficiary is a 422; an unknown id a 404.
Orders stay ``created`` until a test calls ``finish_settlement_order`` (``failed`` gives the money
back to the balance it came from).

Test helpers: ``add_beneficiary``, ``credit_beneficiary``, ``finish_settlement_order``.
"""

from __future__ import annotations

import re
from typing import Any, Final

from aiohttp import web

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
from ._merchant import (
    amount_of,
    credit_merchant,
    currency_of,
    debit_merchant,
    merchant,
    optional,
)

_IBAN: Final = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_STATUSES: Final = frozenset(("active", "inactive"))
_EDITABLE: Final = ("name", "iban", "taxId", "bankName", "email", "description")


# --- test helpers -------------------------------------------------------------------------------


def add_beneficiary(
    pay: PayState,
    name: str = "Test Beneficiary",
    *,
    balance: int = 0,
    iban: str = "KZ86125KZT5004100100",
    currency: str | None = None,
    **fields: Any,
) -> Record:
    """Test helper: store a beneficiary record (``fields`` in wire format)."""
    now = now_iso()
    record: Record = {
        "id": new_id("ben"),
        "name": name,
        "iban": iban,
        "currency": currency or merchant(pay)["currency"],
        "balance": balance,
        "status": "active",
        "metadata": {},
        "createdAt": now,
        "updatedAt": now,
        **fields,
    }
    pay.beneficiaries[record["id"]] = record
    return record


def credit_beneficiary(pay: PayState, beneficiary_id: str, amount: int) -> Record:
    """Test helper: add ``amount`` to a beneficiary's balance; returns its record."""
    record = found(pay.beneficiaries, beneficiary_id, "beneficiary")
    record["balance"] += amount
    return record


def finish_settlement_order(
    pay: PayState, order_id: str, status: str = "paid", reason: str | None = None
) -> Record:
    """Test helper: the bank answered: ``paid``, or ``failed`` (the money goes back)."""
    order = found(pay.settlement_orders, order_id, "settlement payment order")
    if order["status"] != "created":
        raise ValueError(f"{order_id} is already {order['status']}")
    if status == "failed":
        if order["source"] == "merchantBalance":
            credit_merchant(pay, order["amount"])
        else:
            credit_beneficiary(pay, order["beneficiaryId"], order["amount"])
        order["failureReason"] = reason or "rejected by the beneficiary's bank"
    elif status != "paid":
        raise ValueError(f"status must be paid or failed, not {status!r}")
    order["status"] = status
    order["updatedAt"] = now_iso()
    return order


# --- shared checks ------------------------------------------------------------------------------


def check_iban(iban: str) -> str:
    compact = iban.replace(" ", "").upper()
    if not _IBAN.match(compact):
        raise PayError(422, "iban is not a valid IBAN", "iban")
    return compact


def payable_beneficiary(pay: PayState, beneficiary_id: str, source: str) -> Record:
    """An existing, active beneficiary (404 / 422 otherwise)."""
    beneficiary = pay.beneficiaries.get(beneficiary_id)
    if beneficiary is None:
        raise PayError(404, f"beneficiary {beneficiary_id} not found", source)
    if beneficiary["status"] != "active":
        raise PayError(422, f"beneficiary {beneficiary_id} is {beneficiary['status']}", source)
    return beneficiary


def _settlement_order(
    beneficiary: Record, amount: int, source: str, body: Record, merchant_id: str
) -> Record:
    now = now_iso()
    return {
        "id": new_id("spo"),
        "beneficiaryId": beneficiary["id"],
        "merchantId": merchant_id,
        "amount": amount,
        "currency": beneficiary["currency"],
        "status": "created",
        "source": source,
        "requestId": optional(body, "requestId"),
        "description": optional(body, "description"),
        "createdAt": now,
        "updatedAt": now,
    }


# --- handlers -----------------------------------------------------------------------------------


def register(router: web.UrlDispatcher, pay: PayState) -> None:
    async def create(request: web.Request) -> web.Response:
        body = await read_object(request)
        name = need(body, "name", str)
        if not name.strip():
            raise PayError(422, "name must not be blank", "name")
        iban = check_iban(need(body, "iban", str))
        currency = currency_of(body, default=merchant(pay)["currency"])
        fields = {key: optional(body, key) for key in _EDITABLE if key not in ("name", "iban")}
        metadata = optional(body, "metadata", dict) or {}
        record = add_beneficiary(
            pay, name, iban=iban, currency=currency, metadata=metadata, **fields
        )
        return ok(record, 201)

    async def update(request: web.Request) -> web.Response:
        record = found(pay.beneficiaries, request.match_info["beneficiary_id"], "beneficiary")
        body = await read_object(request)
        changes = {key: optional(body, key) for key in _EDITABLE}
        changes = {key: value for key, value in changes.items() if value is not None}
        if "iban" in changes:
            changes["iban"] = check_iban(changes["iban"])
        status = optional(body, "status")
        if status is not None:
            if status not in _STATUSES:
                raise PayError(422, f"status must be one of {sorted(_STATUSES)}", "status")
            changes["status"] = status
        metadata = optional(body, "metadata", dict)
        if metadata is not None:
            changes["metadata"] = metadata
        if not changes:
            raise PayError(422, "nothing to update", "body")
        record.update(changes, updatedAt=now_iso())
        return ok(record)

    async def retrieve(request: web.Request) -> web.Response:
        return ok(found(pay.beneficiaries, request.match_info["beneficiary_id"], "beneficiary"))

    async def list_(request: web.Request) -> web.Response:
        status = request.query.get("status")
        records = [
            b for b in pay.beneficiaries.values() if status is None or b["status"] == status
        ]  # fmt: skip
        return ok(page_of(records, request))

    async def transfer(request: web.Request) -> web.Response:
        beneficiary_id = request.match_info["beneficiary_id"]
        beneficiary = found(pay.beneficiaries, beneficiary_id, "beneficiary")
        body = await read_object(request)
        amount = amount_of(body)
        currency = currency_of(body, default=beneficiary["currency"])
        description = optional(body, "description")
        if currency != beneficiary["currency"]:
            raise PayError(
                422, f"the beneficiary's balance is in {beneficiary['currency']}", "currency"
            )
        if currency != merchant(pay)["currency"]:
            raise PayError(422, f"the merchant balance is not in {currency}", "currency")
        if amount > beneficiary["balance"]:
            raise PayError(
                422, f"insufficient beneficiary balance ({beneficiary['balance']} < {amount})",
                "amount",
            )  # fmt: skip
        beneficiary["balance"] -= amount
        credit_merchant(pay, amount)
        beneficiary["updatedAt"] = now = now_iso()
        transfer_record = {
            "id": new_id("btr"),
            "beneficiaryId": beneficiary_id,
            "amount": amount,
            "currency": currency,
            "beneficiaryBalance": beneficiary["balance"],
            "merchantBalance": merchant(pay)["balance"],
            "description": description,
            "createdAt": now,
        }
        return ok(transfer_record, 201)

    async def manual_settlement(request: web.Request) -> web.Response:
        beneficiary_id = request.match_info["beneficiary_id"]
        beneficiary = payable_beneficiary(pay, beneficiary_id, "beneficiary")
        body = await read_object(request)
        balance = beneficiary["balance"]
        amount = balance if body.get("amount") is None else amount_of(body)
        currency = currency_of(body, default=beneficiary["currency"])
        if currency != beneficiary["currency"]:
            raise PayError(
                422, f"the beneficiary's balance is in {beneficiary['currency']}", "currency"
            )
        if amount <= 0:
            raise PayError(422, "nothing to settle: the beneficiary's balance is 0", "amount")
        if amount > balance:
            raise PayError(
                422, f"insufficient beneficiary balance ({balance} < {amount})", "amount"
            )
        order = _settlement_order(
            beneficiary, amount, "beneficiaryBalance", body, merchant(pay)["id"]
        )
        beneficiary["balance"] -= amount
        beneficiary["updatedAt"] = order["createdAt"]
        pay.settlement_orders[order["id"]] = order
        return ok(order, 201)

    async def create_order(request: web.Request) -> web.Response:
        body = await read_object(request)
        beneficiary_id = need(body, "beneficiaryId", str)
        amount = amount_of(body)
        currency = currency_of(body)
        beneficiary = payable_beneficiary(pay, beneficiary_id, "beneficiaryId")
        if currency != beneficiary["currency"]:
            raise PayError(422, f"the beneficiary is paid in {beneficiary['currency']}", "currency")
        request_id = optional(body, "requestId")
        if request_id is not None:
            for other in pay.settlement_orders.values():
                if other.get("requestId") == request_id:
                    raise PayError(
                        409, f"requestId {request_id} was used by {other['id']}", "requestId"
                    )
        order = _settlement_order(beneficiary, amount, "merchantBalance", body, merchant(pay)["id"])
        debit_merchant(pay, amount, currency, "settlement payment order")
        pay.settlement_orders[order["id"]] = order
        return ok(order, 201)

    async def retrieve_order(request: web.Request) -> web.Response:
        order_id = request.match_info["order_id"]
        return ok(found(pay.settlement_orders, order_id, "settlement payment order"))

    async def list_orders(request: web.Request) -> web.Response:
        beneficiary_id = request.query.get("beneficiaryId")
        status = request.query.get("status")
        records = [
            o
            for o in pay.settlement_orders.values()
            if (beneficiary_id is None or o["beneficiaryId"] == beneficiary_id)
            and (status is None or o["status"] == status)
        ]
        return ok(page_of(records, request))

    add(router, "beneficiaries.create", create)
    add(router, "beneficiaries.update", update)
    add(router, "beneficiaries.retrieve", retrieve)
    add(router, "beneficiaries.list", list_)
    add(router, "beneficiaries.transfer_to_merchant", transfer)
    add(router, "beneficiaries.manual_settlement", manual_settlement)
    add(router, "settlement_orders.create", create_order)
    add(router, "settlement_orders.retrieve", retrieve_order)
    add(router, "settlement_orders.list", list_orders)
