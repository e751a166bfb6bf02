"""Pay API payment links in the mock, and ``pay_link``: the shopper paying one.

Lifecycle: ``active`` -> ``paid`` (``pay_link`` with a card that pays), ``cancelled`` (cancel) or
``expired`` (its ``expiresAt`` passed; checked whenever the link is read). Cancelling a paid or
expired link, or moving the expiration of a paid or cancelled one, answers 422 in the Pay API
shape (``{"code": 5, "message", "source", "type": "validationError"}``). Cancelling a cancelled
link returns it unchanged (a retried DELETE is harmless).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from aiohttp import web

from ._common import (
    PayError,
    PayState,
    Record,
    add,
    found,
    new_id,
    now_iso,
    ok,
    page_of,
    read_object,
)
from ._transactions import card_decline, money, new_transaction

CHECKOUT_URL: Final = "https://checkout.plexypay.com/"
_OPTIONAL: Final = {  # optional create fields and the JSON type each must have
    "description": str,
    "orderReference": str,
    "customerId": str,
    "autoClearing": bool,
    "metadata": dict,
    "recurring": dict,
}


def _parse_time(value: object, name: str) -> datetime:
    if not isinstance(value, str):
        raise PayError(400, f"invalid request params: {name} must be an ISO 8601 time", name)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise PayError(400, f"invalid request params: {name} is not ISO 8601", name) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _future(body: Record) -> str:
    expires = _parse_time(body.get("expiresAt"), "expiresAt")
    if expires <= datetime.now(UTC):
        raise PayError(422, "expiresAt must be in the future", "expiresAt")
    return expires.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def refresh(link: Record) -> Record:
    """Expire an active link whose ``expiresAt`` has passed; returns the link."""
    expires = link.get("expiresAt")
    if (
        link["status"] == "active"
        and expires is not None
        and _parse_time(expires, "expiresAt") <= datetime.now(UTC)
    ):
        link.update(status="expired", updatedAt=now_iso())
    return link


def new_link(pay: PayState, body: Record) -> Record:
    """Validate a create request body (wire format) and store the new ``active`` link."""
    amount, currency = money(body)
    for name, kind in _OPTIONAL.items():
        if body.get(name) is not None and not isinstance(body[name], kind):
            raise PayError(400, f"invalid request params: {name} has the wrong type", name)
    link_id, now = new_id("pl"), now_iso()
    link: Record = {
        "id": link_id,
        "status": "active",
        "amount": amount,
        "currency": currency,
        "url": CHECKOUT_URL + link_id,
        **{name: body.get(name) for name in _OPTIONAL},
        "expiresAt": None if body.get("expiresAt") is None else _future(body),
        "createdAt": now,
        "updatedAt": now,
    }
    pay.links[link_id] = link
    return link


def pay_link(pay: PayState, link_id: str, card: str = "4242424242424242", cvc: str = "123") -> str:
    """Pay the active link ``link_id`` with the test card ``card``; returns the transaction id.

    A card that pays makes the link ``paid`` and the transaction ``charged`` (``autoClearing``
    true or absent) or ``authorized`` (false), with a ledger charge; a declining test card
    (4000000000000002...) makes a ``rejected`` transaction and leaves the link active.
    Raises ``KeyError`` for an unknown link, ``ValueError`` for one that is not active.
    """
    link = refresh(pay.links[link_id])
    if link["status"] != "active":
        raise ValueError(f"payment link {link_id} is {link['status']}, not active")
    txn = new_transaction(
        pay,
        amount=link["amount"],
        currency=link["currency"],
        last4=card[-4:],
        decline=card_decline(card, cvc),
        auto_clearing=link.get("autoClearing") is not False,
        order_reference=link.get("orderReference"),
        description=link.get("description"),
        payment_link_id=link_id,
        customer_id=link.get("customerId"),
        recurring_type=(link.get("recurring") or {}).get("type"),
    )
    if txn["status"] != "rejected":
        link.update(status="paid", updatedAt=now_iso())
    return str(txn["id"])


class _Handlers:
    def __init__(self, pay: PayState) -> None:
        self.pay = pay

    def _link(self, request: web.Request) -> Record:
        return refresh(found(self.pay.links, request.match_info["link_id"], "paymentLink"))

    async def create(self, request: web.Request) -> web.Response:
        return ok(new_link(self.pay, await read_object(request)), 201)

    async def list(self, request: web.Request) -> web.Response:
        status = request.query.get("status")
        links = [refresh(link) for link in self.pay.links.values()]
        return ok(page_of([k for k in links if status in (None, k["status"])], request))

    async def statistics(self, request: web.Request) -> web.Response:
        since, until = request.query.get("from"), request.query.get("to")
        start = None if since is None else _parse_time(since, "from")
        end = None if until is None else _parse_time(until, "to")
        groups: dict[tuple[str, str], Record] = {}
        count = 0
        for link in self.pay.links.values():
            created = _parse_time(refresh(link)["createdAt"], "createdAt")
            if (start and created < start) or (end and created >= end):
                continue
            count += 1
            key = (link["status"], link["currency"])
            item = groups.setdefault(key, {"status": key[0], "currency": key[1], "count": 0})
            item["count"] += 1
            item["amount"] = item.get("amount", 0) + link["amount"]
        return ok({"count": count, "items": [groups[key] for key in sorted(groups)]})

    async def retrieve(self, request: web.Request) -> web.Response:
        return ok(self._link(request))

    async def by_order_reference(self, request: web.Request) -> web.Response:
        reference = request.match_info["order_reference"]
        for link in reversed(self.pay.links.values()):
            if link.get("orderReference") == reference:
                return ok(refresh(link))
        raise PayError(404, "payment link not found", "paymentLink")

    async def cancel(self, request: web.Request) -> web.Response:
        link = self._link(request)
        if link["status"] in ("paid", "expired"):
            raise PayError(422, f"cannot cancel a payment link that is {link['status']}", "status")
        if link["status"] != "cancelled":
            link.update(status="cancelled", updatedAt=now_iso())
        return ok(link)

    async def update_expiration(self, request: web.Request) -> web.Response:
        body = await read_object(request)
        link = self._link(request)
        if link["status"] in ("paid", "cancelled"):
            message = f"cannot update the expiration of a payment link that is {link['status']}"
            raise PayError(422, message, "status")
        link.update(expiresAt=_future(body), status="active", updatedAt=now_iso())
        return ok(link)


def register(router: web.UrlDispatcher, pay: PayState) -> None:
    h = _Handlers(pay)
    add(router, "payment_links.create", h.create)
    add(router, "payment_links.list", h.list)
    add(router, "payment_links.statistics", h.statistics)  # before {link_id} would match it
    add(router, "payment_links.retrieve_by_order_reference", h.by_order_reference)
    add(router, "payment_links.retrieve", h.retrieve)
    add(router, "payment_links.cancel", h.cancel)
    add(router, "payment_links.update_expiration", h.update_expiration)
