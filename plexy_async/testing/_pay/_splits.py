"""Mock Pay API: split requests (``spl_...``).

A split request divides ``amount`` among active beneficiaries in its currency; each share is a
fixed ``amount`` or a ``percentage`` (rounded down to a minor unit). Shares must add up to at most
the amount and 100 %, one per beneficiary (422 otherwise; an unknown beneficiary is a 404).

With the ``transactionId`` of a charged transaction (``pay.transactions``) the split is applied at
once: each beneficiary's balance is credited and the split is ``completed``; a transaction can be
split once. Otherwise it stays ``pending``. Only a pending split can be updated or deleted (422).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from ._beneficiaries import payable_beneficiary
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
from ._merchant import amount_of, currency_of, optional


def _shares(pay: PayState, raw: Any, total: int, currency: str) -> list[Record]:
    """Checked shares with what each comes to (``amount``), or a 400/404/422."""
    if not isinstance(raw, list) or not raw:
        raise PayError(400, "invalid request params: shares must be a non-empty list", "shares")
    shares: list[Record] = []
    percent = Decimal(0)
    for item in raw:
        if not isinstance(item, dict):
            raise PayError(400, "invalid request params: each share is an object", "shares")
        beneficiary_id = need(item, "beneficiaryId", str)
        beneficiary = payable_beneficiary(pay, beneficiary_id, "shares")
        if beneficiary["currency"] != currency:
            raise PayError(
                422, f"beneficiary {beneficiary_id} is paid in {beneficiary['currency']}",
                "shares",
            )  # fmt: skip
        amount = optional(item, "amount", int)
        percentage = optional(item, "percentage", (int, float))
        if (amount is None) == (percentage is None):
            raise PayError(422, "a share has exactly one of amount or percentage", "shares")
        if percentage is not None:
            if not 0 < percentage <= 100:
                raise PayError(422, f"percentage must be in (0, 100], got {percentage}", "shares")
            percent += Decimal(str(percentage))
            amount = int(Decimal(total) * Decimal(str(percentage)) / 100)
        elif amount <= 0:
            raise PayError(422, f"a share's amount must be positive, got {amount}", "shares")
        shares.append({"beneficiaryId": beneficiary_id, "amount": amount, "percentage": percentage})
    if len({s["beneficiaryId"] for s in shares}) != len(shares):
        raise PayError(422, "one share per beneficiary", "shares")
    if percent > 100:
        raise PayError(422, f"percentages add up to {percent} %, more than 100 %", "shares")
    claimed = sum(s["amount"] for s in shares)
    if claimed > total:
        raise PayError(422, f"shares add up to {claimed}, more than the amount {total}", "shares")
    return shares


def _charged_transaction(pay: PayState, transaction_id: str, amount: int, currency: str) -> bool:
    """Whether the split applies now; 404/422 when the transaction cannot carry it."""
    transaction = pay.transactions.get(transaction_id)
    if transaction is None:
        raise PayError(404, f"transaction {transaction_id} not found", "transactionId")
    if transaction.get("currency") != currency:
        raise PayError(422, f"transaction {transaction_id} is not in {currency}", "currency")
    if amount > transaction.get("amount", 0):
        raise PayError(422, f"amount is more than transaction {transaction_id}'s", "amount")
    for split in pay.splits.values():
        if split.get("transactionId") == transaction_id and split["status"] == "completed":
            raise PayError(422, f"transaction {transaction_id} is already split", "transactionId")
    return transaction.get("status") == "charged"


def _pending(pay: PayState, split_id: str) -> Record:
    split = found(pay.splits, split_id, "split request")
    if split["status"] != "pending":
        raise PayError(422, f"split request {split_id} is {split['status']}", "status")
    return split


def register(router: web.UrlDispatcher, pay: PayState) -> None:
    async def create(request: web.Request) -> web.Response:
        body = await read_object(request)
        amount = amount_of(body)
        currency = currency_of(body)
        shares = _shares(pay, body.get("shares"), amount, currency)
        transaction_id = optional(body, "transactionId")
        apply_now = transaction_id is not None and _charged_transaction(
            pay, transaction_id, amount, currency
        )
        now = now_iso()
        record = {
            "id": new_id("spl"),
            "amount": amount,
            "currency": currency,
            "status": "completed" if apply_now else "pending",
            "shares": shares,
            "transactionId": transaction_id,
            "orderReference": optional(body, "orderReference"),
            "description": optional(body, "description"),
            "createdAt": now,
            "updatedAt": now,
        }
        if apply_now:
            for share in shares:
                beneficiary = pay.beneficiaries[share["beneficiaryId"]]
                beneficiary["balance"] += share["amount"]
                beneficiary["updatedAt"] = now
        pay.splits[record["id"]] = record
        return ok(record, 201)

    async def list_(request: web.Request) -> web.Response:
        return ok(page_of(list(pay.splits.values()), request))

    async def retrieve(request: web.Request) -> web.Response:
        return ok(found(pay.splits, request.match_info["split_id"], "split request"))

    async def update(request: web.Request) -> web.Response:
        split = _pending(pay, request.match_info["split_id"])
        body = await read_object(request)
        changes: Record = {
            key: value
            for key in ("orderReference", "description")
            if (value := optional(body, key)) is not None
        }
        if body.get("shares") is not None:
            changes["shares"] = _shares(pay, body["shares"], split["amount"], split["currency"])
        if not changes:
            raise PayError(422, "nothing to update", "body")
        split.update(changes, updatedAt=now_iso())
        return ok(split)

    async def delete(request: web.Request) -> web.Response:
        split = _pending(pay, request.match_info["split_id"])
        del pay.splits[split["id"]]
        return web.Response(status=204)

    add(router, "split_requests.create", create)
    add(router, "split_requests.list", list_)
    add(router, "split_requests.retrieve", retrieve)
    add(router, "split_requests.update", update)
    add(router, "split_requests.delete", delete)
