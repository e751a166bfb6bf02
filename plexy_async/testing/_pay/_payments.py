"""Pay API recurring and direct payments in the mock.

* ``GET /payments/direct/keys``: a public key (a made-up PEM, stable for the mock's lifetime).
* ``POST /payments/direct``: host-to-host card payment; the Checkout test cards decide the outcome
  (4242... pays, 4000000000000002 declines, CVC 000 declines). A decline is a 200 with a
  ``rejected`` transaction; a payment is ``charged`` (or ``authorized`` with ``autoClearing``
  false) and commits a ledger charge.
* ``POST /payments/recurring/merchant/initiated``: charges the card of a parent transaction again:
  a ``charged`` transaction of ``type`` ``recurring`` and a ledger charge. An unknown parent is a
  404; a parent that never succeeded, or another currency, a 422.
"""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta

from aiohttp import web

from ._common import PayError, PayState, add, found, new_id, ok, read_object
from ._transactions import (
    SUCCESSFUL,
    card_decline,
    card_number,
    money,
    new_transaction,
    result,
    unwrap,
)

_PARENT = "parentTransactionId"


def _optional_str(body: dict[str, object], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise PayError(400, f"invalid request params: {name} must be a string", name)
    return value


class _Handlers:
    def __init__(self, pay: PayState) -> None:
        self.pay = pay
        der = base64.encodebytes(os.urandom(294)).decode().strip()
        self.key = {
            "keyId": new_id("key"),
            "publicKey": f"-----BEGIN PUBLIC KEY-----\n{der}\n-----END PUBLIC KEY-----\n",
            "algorithm": "RSA-OAEP-256",
            "expiresAt": (datetime.now(UTC) + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    async def keys(self, request: web.Request) -> web.Response:
        return ok(self.key)

    async def direct(self, request: web.Request) -> web.Response:
        body = await read_object(request)
        amount, currency = money(body)
        number, cvc = card_number(body)
        auto_clearing = body.get("autoClearing")
        if auto_clearing is not None and not isinstance(auto_clearing, bool):
            raise PayError(400, "invalid request params: autoClearing is a boolean", "autoClearing")
        txn = new_transaction(
            self.pay,
            amount=amount,
            currency=currency,
            last4=number[-4:],
            decline=card_decline(number, cvc),
            auto_clearing=auto_clearing is not False,
            order_reference=_optional_str(body, "orderReference"),
            description=_optional_str(body, "description"),
            customer_id=_optional_str(body, "customerId"),
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        return ok(result(txn))

    async def merchant_initiated(self, request: web.Request) -> web.Response:
        body = await read_object(request)
        amount, currency = money(body)
        parent_id = body.get("parentTransactionId")
        if not isinstance(parent_id, str) or not parent_id:
            raise PayError(
                400,
                "invalid request params: parentTransactionId is required",
                "parentTransactionId",
            )
        parent = found(self.pay.transactions, parent_id, "parentTransactionId")
        if parent.get("type") == "refund" or parent["status"] not in SUCCESSFUL:
            raise PayError(
                422,
                f"parent transaction is {parent['status']}: no card to charge",
                "parentTransactionId",
            )
        if parent["currency"] != currency:
            raise PayError(422, f"currency must be the parent's {parent['currency']}", "currency")
        txn = new_transaction(
            self.pay,
            amount=amount,
            currency=currency,
            last4=parent.get("last4"),
            decline=None,
            type="recurring",
            order_reference=_optional_str(body, "orderReference"),
            description=_optional_str(body, "description"),
            customer_id=unwrap(parent.get("customerId")),
            parent_transaction_id=parent_id,
            recurring_type="mit",
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        return ok(result(txn, parentTransactionId=parent_id))


def register(router: web.UrlDispatcher, pay: PayState) -> None:
    h = _Handlers(pay)
    add(router, "direct_payments.keys", h.keys)
    add(router, "direct_payments.create", h.direct)
    add(router, "recurring.merchant_initiated", h.merchant_initiated)
