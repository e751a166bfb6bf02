"""Send webhooks the way Plexy does, to test a receiver end to end.

::

    delivery = await mock.send_webhook(
        "http://127.0.0.1:8000/webhooks/plexy", checkout_event("payment.succeeded"),
        scheme="checkout", secret="whsec_test",
    )
    assert delivery.status == 200

``scheme`` picks the signing: ``"checkout"`` (``Plexy-Signature: t=...,v1=...``, ``secret`` is
the ``whsec_`` secret), ``"pay"`` (``Authorization: Bearer <secret>``) or ``"notification"``
(every item's ``additionalData.hmacSignature``, ``secret`` is the hex HMAC key).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import Any, Literal

import aiohttp
import attrs

from plexy_async.webhooks import (
    CHECKOUT_SIGNATURE_HEADER,
    PAY_AUTHORIZATION_HEADER,
    pay_authorization_header,
    sign_checkout_payload,
    sign_notification_item,
)

WebhookScheme = Literal["checkout", "pay", "notification"]

_RECEIVER_TIMEOUT = aiohttp.ClientTimeout(total=30.0)  # Plexy's: answer within 30 seconds


@attrs.frozen
class WebhookDelivery:
    """The receiver's answer (``status``, ``body``) and what was sent.

    Attributes:
        status: The receiver's HTTP status.
        body: The receiver's answer body.
        sent_body: The body sent.
        sent_headers: The headers sent (they hold the signature or token: not for logs).
    """

    status: int
    body: bytes
    sent_body: bytes = attrs.field(repr=False)
    sent_headers: dict[str, str] = attrs.field(repr=False)  # holds the signature or token

    @property
    def ok(self) -> bool:
        """Whether the receiver answered 2xx (Plexy counts the delivery as done)."""
        return 200 <= self.status < 300


def checkout_event(
    type: str = "payment.succeeded",
    data: Mapping[str, Any] | None = None,
    *,
    id: str | None = None,
    created: int | None = None,
) -> dict[str, Any]:
    """A Checkout v2 event body.

    Args:
        type: The event type, such as ``payment.succeeded``.
        data: The event's object; default a payment with a random id.
        id: The event id (``evt_`` and random hex by default): repeat it to test deduplication.
        created: When the event happened, in Unix seconds; default now.
    """
    return {
        "id": id or "evt_" + os.urandom(8).hex(),
        "type": type,
        "created": int(time.time()) if created is None else created,
        "data": dict(data) if data is not None else {"id": "pay_" + os.urandom(6).hex()},
    }


def pay_event(
    name: str = "transaction.charged",
    transaction: Mapping[str, Any] | None = None,
    *,
    merchant_id: str = "merchant_mock",
) -> dict[str, Any]:
    """A Pay API event body.

    Args:
        name: The event name, such as ``transaction.charged``.
        transaction: The transaction object; an ``id`` is added when it has none.
        merchant_id: The ``merchantId`` field.
    """
    data = dict(transaction) if transaction is not None else {}
    data.setdefault("id", "txn_" + os.urandom(6).hex())
    return {"name": name, "merchantId": merchant_id, "data": data}


def notification_item(
    psp_reference: str,
    *,
    event_code: str = "AUTHORISATION",
    value: int = 1000,
    currency: str = "KZT",
    success: bool = True,
    merchant_account: str = "TestMerchant",
    merchant_reference: str = "order-1",
    original_reference: str | None = None,
) -> dict[str, Any]:
    """One ``NotificationRequestItem`` (unsigned: ``send_webhook`` signs it).

    Args:
        psp_reference: The payment's ``pspReference``.
        event_code: Such as ``AUTHORISATION``, ``CAPTURE`` or ``REFUND``.
        value: The amount, in minor units.
        currency: The ISO 4217 currency code.
        success: Whether the event succeeded.
        merchant_account: The ``merchantAccountCode``.
        merchant_reference: The merchant's reference.
        original_reference: The original payment's ``pspReference`` (captures, refunds).
    """
    item: dict[str, Any] = {
        "pspReference": psp_reference,
        "merchantAccountCode": merchant_account,
        "merchantReference": merchant_reference,
        "amount": {"value": value, "currency": currency},
        "eventCode": event_code,
        "success": "true" if success else "false",
        "additionalData": {},
    }
    if original_reference is not None:
        item["originalReference"] = original_reference
    return item


def notification(*items: Mapping[str, Any], live: bool = False) -> dict[str, Any]:
    """An Adyen-style notification body holding ``items``.

    Args:
        *items: The ``NotificationRequestItem`` objects (see ``notification_item``).
        live: The ``live`` flag (sent as ``"true"`` / ``"false"``).

    Example:
        ::

            body = notification(notification_item("8815658961765250"))
            delivery = await mock.send_webhook(url, body, scheme="notification", secret=key_hex)
    """
    return {
        "live": "true" if live else "false",
        "notificationItems": [{"NotificationRequestItem": dict(item)} for item in items],
    }


def signed_request(
    event: Mapping[str, Any] | bytes,
    *,
    scheme: WebhookScheme,
    secret: str,
    timestamp: int | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The body and headers Plexy would send for ``event``.

    Args:
        event: The event as a JSON-ready mapping, or a body already encoded.
        scheme: The signing scheme: ``"checkout"``, ``"pay"`` or ``"notification"``.
        secret: The ``whsec_`` secret, the bearer token, or the hex HMAC key, per scheme.
        timestamp: A Checkout v2 signature's time, in Unix seconds; default now.

    Returns:
        The body's bytes and the headers to send with it.

    Raises:
        ValueError: An unknown scheme.
        ConfigurationError: An empty secret, or an HMAC key that is not hex.

    Example:
        ::

            body, headers = signed_request(checkout_event(), scheme="checkout", secret="whsec_t")
            response = await test_client.post("/webhooks", content=body, headers=headers)
    """
    if scheme == "notification":
        doc = json.loads(event) if isinstance(event, bytes) else event
        event = _sign_items(doc, secret)
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    headers = {"Content-Type": "application/json"}
    if scheme == "checkout":
        signature = sign_checkout_payload(body, secret, timestamp=timestamp)
        headers[CHECKOUT_SIGNATURE_HEADER] = signature
    elif scheme == "pay":
        headers[PAY_AUTHORIZATION_HEADER] = pay_authorization_header(secret)
    elif scheme != "notification":
        raise ValueError(f"unknown webhook scheme {scheme!r}")
    return body, headers


def _sign_items(doc: Mapping[str, Any], hmac_key: str) -> dict[str, Any]:
    wrappers = []
    for wrapper in doc["notificationItems"]:
        item = dict(wrapper["NotificationRequestItem"])
        additional = dict(item.get("additionalData") or {})
        additional["hmacSignature"] = sign_notification_item(item, hmac_key)
        item["additionalData"] = additional
        wrappers.append({**wrapper, "NotificationRequestItem": item})
    return {**doc, "notificationItems": wrappers}


async def send_webhook(
    url: str,
    event: Mapping[str, Any] | bytes,
    *,
    scheme: WebhookScheme = "checkout",
    secret: str,
    timestamp: int | None = None,
    sign: bool = True,
    headers: Mapping[str, str] | None = None,
) -> WebhookDelivery:
    """POST ``event`` to ``url`` signed as ``scheme``; return the receiver's answer.

    ``timestamp`` backdates (or postdates) a Checkout v2 signature; ``sign=False`` sends the body
    with only ``headers`` (to test a receiver against forged or unsigned deliveries). Like Plexy,
    it gives the receiver 30 seconds to answer.

    Args:
        url: The receiver's URL.
        event: The event as a JSON-ready mapping, or a body already encoded.
        scheme: The signing scheme: ``"checkout"``, ``"pay"`` or ``"notification"``.
        secret: The ``whsec_`` secret, the bearer token, or the hex HMAC key, per scheme.
        timestamp: A Checkout v2 signature's time, in Unix seconds; default now.
        sign: False to send the body unsigned, with only ``headers``.
        headers: Headers to add (or to replace the signature's).

    Returns:
        The receiver's answer and what was sent.

    Raises:
        ValueError: An unknown scheme.
        ConfigurationError: An empty secret, or an HMAC key that is not hex.
        aiohttp.ClientError: The receiver could not be reached.
        asyncio.TimeoutError: The receiver took more than 30 seconds.

    Example:
        ::

            delivery = await send_webhook(
                "http://127.0.0.1:8000/webhooks", pay_event(), scheme="pay", secret="tok_test"
            )
            assert delivery.ok
    """
    if sign:
        body, sent = signed_request(event, scheme=scheme, secret=secret, timestamp=timestamp)
    else:
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        sent = {"Content-Type": "application/json"}
    sent.update(headers or {})
    async with (
        aiohttp.ClientSession(timeout=_RECEIVER_TIMEOUT) as session,
        session.post(url, data=body, headers=sent, allow_redirects=False) as resp,
    ):
        answer = await resp.read()
        return WebhookDelivery(resp.status, answer, body, sent)
