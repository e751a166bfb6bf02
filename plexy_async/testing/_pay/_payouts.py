"""Mock Pay API: payouts (``po_...``) from the merchant balance to a saved card.

``POST /payouts/cards`` checks a card (Luhn, expiry) and keeps only a card token; ``POST
/payouts`` pays to a card token: an unknown token is a 404, an expired card, another currency or
more than the merchant balance a 422. A paid payout debits the merchant balance at once.
"""

from __future__ import annotations

from aiohttp import web

from ._common import PayError, PayState, add, found, need, new_id, now_iso, ok, page_of, read_object
from ._customers import find_card_token, is_expired, tokenize
from ._merchant import amount_of, currency_of, debit_merchant, merchant, optional


def register(router: web.UrlDispatcher, pay: PayState) -> None:
    async def save_card(request: web.Request) -> web.Response:
        body = await read_object(request)
        number = need(body, "cardNumber", str).replace(" ", "")
        month = need(body, "expiryMonth", str)
        year = need(body, "expiryYear", str)
        customer_id = optional(body, "customerId")
        if customer_id is not None:
            found(pay.customers, customer_id, "customer")
        token = tokenize(
            pay, number, month, year,
            customer_id=customer_id, holder_name=optional(body, "holderName"),
        )  # fmt: skip
        return ok(token, 201)

    async def process(request: web.Request) -> web.Response:
        body = await read_object(request)
        amount = amount_of(body)
        currency = currency_of(body)
        token_id = need(body, "cardTokenId", str)
        token = find_card_token(pay, token_id)
        if token is None:
            raise PayError(404, f"card token {token_id} not found", "cardTokenId")
        if is_expired(token):
            raise PayError(422, f"card token {token_id} has expired", "cardTokenId")
        if not merchant(pay)["settings"].get("payoutsEnabled", True):
            raise PayError(422, "payouts are disabled for this merchant", "merchant")
        now = now_iso()
        record = {
            "id": new_id("po"),
            "amount": amount,
            "currency": currency,
            "status": "paid",
            "cardTokenId": token_id,
            "customerId": optional(body, "customerId") or token.get("customerId"),
            "last4": token["last4"],
            "brand": token["brand"],
            "orderReference": optional(body, "orderReference"),
            "description": optional(body, "description"),
            "metadata": optional(body, "metadata", dict) or {},
            "createdAt": now,
            "processedAt": now,
        }
        debit_merchant(pay, amount, currency, "payout")  # last: nothing below can fail
        pay.payouts[record["id"]] = record
        return ok(record, 201)

    async def list_(request: web.Request) -> web.Response:
        status = request.query.get("status")
        records = [p for p in pay.payouts.values() if status is None or p["status"] == status]
        return ok(page_of(records, request))

    add(router, "payouts.save_card", save_card)
    add(router, "payouts.process", process)
    add(router, "payouts.list", list_)
