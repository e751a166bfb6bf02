"""Pay API transactions in the mock: records, the state machine, reads, capture/cancel/refund.

A transaction is a wire-format dict in ``PayState.transactions`` (``txn_...``); every transition
appends an event to ``PayState.history[id]``. ``paymentLinkId`` and ``customerId`` are stored
wrapped as ``{"Value": ...}``, as the real API sometimes sends them (``unwrap`` reads them).

States: ``authorized`` -> ``charged`` (capture) or ``cancelled`` (cancel); ``charged`` ->
``refunded`` once refunds used up the balance (a partial refund keeps it ``charged`` with a
smaller ``balance``); ``rejected`` is final. A refund is a transaction of its own (``type``
``refund``, ``parentTransactionId`` the refunded one). Operations in the wrong state answer 422
(code 5, ``validationError``), never 500.
"""

from __future__ import annotations

import secrets
from typing import Any, Final

from aiohttp import web

from .._cards import CVC_DECLINED, REFUSALS, valid_card_number
from .._ledger import Charge
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
from ._merchant import currency_of

# Statuses a payment can be charged again from (recurring) or looked up as the order's payment.
SUCCESSFUL: Final = frozenset({"authorized", "charged", "refunded"})
APPROVED: Final = ("00", "Approved")


def unwrap(value: Any) -> Any:
    """``{"Value": x}`` -> ``x``; anything else as is."""
    return value["Value"] if isinstance(value, dict) and "Value" in value else value


def card_decline(number: str, cvc: str | None = None) -> tuple[str, str] | None:
    """``(responseCode, message)`` when the Checkout test card ``number`` declines, else None."""
    refusal = REFUSALS.get(number)
    if refusal is None and cvc == "000":
        refusal = CVC_DECLINED
    if refusal is None:
        return None
    code, _, message = refusal[2].partition(" : ")
    return code, message


def card_number(body: Record, name: str = "card") -> tuple[str, str | None]:
    """The ``(number, cvc)`` of the card object ``body[name]``, or a 400 naming the bad field."""
    card = need(body, name, dict)
    number = need(card, "number")
    number = number.replace(" ", "")
    if not valid_card_number(number):
        raise PayError(400, "invalid request params: card number is not valid", f"{name}.number")
    for field in ("expiryMonth", "expiryYear"):
        if not isinstance(card.get(field), str):
            raise PayError(400, f"invalid request params: {name}.{field} is required", field)
    cvc = card.get("cvc")
    if cvc is not None and not (isinstance(cvc, str) and cvc.isdigit() and 3 <= len(cvc) <= 4):
        raise PayError(400, "invalid request params: cvc must be 3 or 4 digits", f"{name}.cvc")
    return number, cvc


def money(body: Record) -> tuple[int, str]:
    """A positive ``amount`` in minor units (else a 400) and a ``currency``: 400 when missing,
    422 when not a current ISO 4217 code (``currency_of``)."""
    amount = need(body, "amount", int)
    if amount <= 0:
        raise PayError(400, "invalid request params: amount must be positive", "amount")
    return amount, currency_of(body)


def event(pay: PayState, txn: Record, name: str, amount: int, message: str | None = None) -> None:
    """Append ``transaction.<name>`` to the history, with the transaction as it is now."""
    pay.history.setdefault(txn["id"], []).append(
        {
            "id": new_id("evt"),
            "name": f"transaction.{name}",
            "createdAt": now_iso(),
            "data": {
                "status": txn["status"],
                "amount": amount,
                "balance": txn["balance"],
                "currency": txn["currency"],
                "message": message,
            },
        }
    )


def new_transaction(
    pay: PayState,
    *,
    amount: int,
    currency: str,
    last4: str | None,
    decline: tuple[str, str] | None,
    auto_clearing: bool = True,
    type: str = "payment",
    order_reference: str | None = None,
    description: str | None = None,
    payment_link_id: str | None = None,
    customer_id: str | None = None,
    parent_transaction_id: str | None = None,
    recurring_type: str | None = None,
    idempotency_key: str | None = None,
) -> Record:
    """Record a card payment: ``rejected`` when declined, else ``charged`` (auto clearing) or
    ``authorized``; a successful one also commits a ledger charge."""
    now = now_iso()
    status = "rejected" if decline else "charged" if auto_clearing else "authorized"
    code, message = decline or APPROVED
    txn: Record = {
        "id": new_id("txn"),
        "amount": amount,
        "balance": 0 if decline else amount,
        "currency": currency,
        "status": "created",
        "type": type,
        "last4": last4,
        "paymentMethod": "card",
        "merchantReference": order_reference,
        "orderReference": order_reference,
        "description": description,
        "createdAt": now,
        "updatedAt": now,
        "authedAt": None if decline else now,
        "confirmedAt": now if status == "charged" else None,
        "processedAt": now,
        "processedAmount": amount if status == "charged" else 0,
        "secure3d": False,
        "parentTransactionId": parent_transaction_id,
        "recurringType": recurring_type,
        "paymentLinkId": {"Value": payment_link_id},
        "customerId": {"Value": customer_id},
        "cardTokenId": None,
        "responseCode": code,
        "authCode": None if decline else f"{secrets.randbelow(10**6):06d}",
        "message": message,
    }
    pay.transactions[txn["id"]] = txn
    event(pay, txn, "created", amount)
    txn["status"] = status
    event(pay, txn, status, amount, message)
    if not decline:
        pay.shared.ledger.commit(
            Charge(
                txn["id"], idempotency_key, order_reference or txn["id"], amount, currency, last4
            )
        )
    return txn


def result(txn: Record, **extra: Any) -> Record:
    """What a payment operation answers: the transaction's outcome."""
    return {
        "id": txn["id"],
        "status": txn["status"],
        "success": txn["status"] in SUCCESSFUL,
        "amount": txn["amount"],
        "currency": txn["currency"],
        "orderReference": txn.get("orderReference"),
        "last4": txn.get("last4"),
        "responseCode": txn.get("responseCode"),
        "authCode": txn.get("authCode"),
        "message": txn.get("message"),
        **extra,
    }


def latest_payment(pay: PayState, field: str, value: str) -> Record:
    """The latest payment (refunds excluded) whose ``field`` (unwrapped) is ``value``, or 404."""
    for txn in reversed(pay.transactions.values()):
        if txn.get("type") != "refund" and unwrap(txn.get(field)) == value:
            return txn
    raise PayError(404, "transaction not found", "transaction")


def _wrong_state(operation: str, txn: Record) -> PayError:
    return PayError(422, f"cannot {operation} a transaction that is {txn['status']}", "status")


class _Handlers:
    def __init__(self, pay: PayState) -> None:
        self.pay = pay

    def _txn(self, request: web.Request) -> Record:
        return found(self.pay.transactions, request.match_info["transaction_id"], "transaction")

    # -- reads --------------------------------------------------------------------------------

    async def list(self, request: web.Request) -> web.Response:
        status = request.query.get("status")
        records = [t for t in self.pay.transactions.values() if status in (None, t["status"])]
        return ok(page_of(records, request))

    async def retrieve(self, request: web.Request) -> web.Response:
        return ok(self._txn(request))

    async def history(self, request: web.Request) -> web.Response:
        txn = self._txn(request)
        return ok({"transactionId": txn["id"], "events": self.pay.history.get(txn["id"], [])})

    async def by_payment_link(self, request: web.Request) -> web.Response:
        return ok(latest_payment(self.pay, "paymentLinkId", request.match_info["link_id"]))

    async def by_order_reference(self, request: web.Request) -> web.Response:
        return ok(latest_payment(self.pay, "orderReference", request.match_info["order_reference"]))

    # -- payment management -------------------------------------------------------------------

    def _answer(self, txn: Record, amount: int, message: str, **extra: Any) -> web.Response:
        return ok(
            {
                "id": txn["id"],
                "responseCode": APPROVED[0],
                "authCode": txn.get("authCode"),
                "amount": amount,
                "orderReference": txn.get("orderReference"),
                "remainingBalance": txn["balance"],
                "success": True,
                "message": message,
                **extra,
            }
        )

    async def capture(self, request: web.Request) -> web.Response:
        txn = self._txn(request)
        if txn["status"] != "authorized":
            raise _wrong_state("capture", txn)
        now = now_iso()
        txn.update(
            status="charged",
            processedAmount=txn["amount"],
            confirmedAt=now,
            processedAt=now,
            updatedAt=now,
        )
        event(self.pay, txn, "charged", txn["amount"], "captured")
        return self._answer(txn, txn["amount"], "captured")

    async def cancel(self, request: web.Request) -> web.Response:
        txn = self._txn(request)
        if txn["status"] != "authorized":
            raise _wrong_state("cancel", txn)
        txn.update(status="cancelled", balance=0, updatedAt=now_iso())
        event(self.pay, txn, "cancelled", txn["amount"], "cancelled")
        return self._answer(txn, txn["amount"], "cancelled")

    async def refund(self, request: web.Request) -> web.Response:
        body = await read_object(request)
        txn = self._txn(request)
        if "amount" not in body:
            raise PayError(400, "invalid request params: amount is required (null: all)", "amount")
        full = body["amount"] is None
        amount = txn["balance"] if full else need(body, "amount", int)
        if not full and amount <= 0:
            raise PayError(400, "invalid request params: amount must be positive", "amount")
        if txn.get("type") == "refund" or txn["status"] not in ("charged", "refunded"):
            raise _wrong_state("refund", txn)
        if full and amount == 0:
            raise PayError(422, "nothing left to refund: the transaction is refunded", "amount")
        if amount > txn["balance"]:
            message = f"refund amount {amount} exceeds the remaining balance {txn['balance']}"
            raise PayError(422, message, "amount")
        now = now_iso()
        txn["balance"] -= amount
        txn.update(status="refunded" if txn["balance"] == 0 else "charged", updatedAt=now)
        refund: Record = {
            **txn,
            "id": new_id("txn"),
            "type": "refund",
            "status": "refunded",
            "amount": amount,
            "balance": 0,
            "processedAmount": amount,
            "parentTransactionId": txn["id"],
            "createdAt": now,
            "updatedAt": now,
            "confirmedAt": now,
            "processedAt": now,
            "message": "refunded",
        }
        self.pay.transactions[refund["id"]] = refund
        event(self.pay, txn, "refunded", amount, f"refund {refund['id']}")
        event(self.pay, refund, "refunded", amount)
        return self._answer(
            refund,
            amount,
            "refunded",
            originalTransactionId=txn["id"],
            remainingBalance=txn["balance"],
        )


def register(router: web.UrlDispatcher, pay: PayState) -> None:
    h = _Handlers(pay)
    add(router, "transactions.list", h.list)
    add(router, "transactions.by_payment_link", h.by_payment_link)
    add(router, "transactions.by_order_reference", h.by_order_reference)
    add(router, "transactions.retrieve", h.retrieve)
    add(router, "transactions.history", h.history)
    add(router, "payments.capture", h.capture)
    add(router, "payments.cancel", h.cancel)
    add(router, "payments.refund", h.refund)
