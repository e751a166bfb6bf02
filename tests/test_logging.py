"""All log output of a full run at DEBUG: no API key, card number, CVC, webhook secret or signature.

The run uses every surface of the client (Checkout v2 and the Pay API, card data included),
retries and every fault, errors logged with their tracebacks the way applications log them,
the webhook helpers (accepting and rejecting), the mock's webhook sender, the aiohttp.web example
app and the tracing example. Every logger is captured (the root at DEBUG), and each record is
formatted in full: message, arguments, exception chain.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

import aiohttp
import pytest
from aiohttp import web

from examples.aiohttp_app import Settings, create_app
from examples.tracing import AttemptStats, stats_trace_config
from plexy_async import (
    Amount,
    CardDetails,
    PlexyClient,
    PoolLimits,
    RequestOptions,
    RetryPolicy,
    Timeouts,
    errors,
    webhooks,
)
from plexy_async.models.direct_payments import CardData
from plexy_async.testing import (
    Fault,
    MockPlexy,
    checkout_event,
    notification,
    notification_item,
    pay_event,
)

T = TypeVar("T")

KEY = "sk_test_LOGCAPTURE_7c1d9e2f4a6b8c0d"
WEBHOOK_SECRET = "whsec_LOGSECRET_1a2b3c4d5e6f"
PAY_TOKEN = "tok_LOGTOKEN_6f5e4d3c2b1a"
HMAC_KEY = "5EC12E75EC12E75EC12E75EC12E75EC12E75EC12E75EC12E75EC12E75EC12E7F"
CVC = "7391"
CARDS = {
    "visa": "4242424242424242",
    "mastercard": "5555555555554444",
    "amex": "378282246310005",
    "three_ds": "4000002500003155",
    "declined": "4000000000000002",
    "insufficient": "4000000000009995",
    "luhn_invalid": "4242424242424241",
}
SECRETS = (KEY, WEBHOOK_SECRET, PAY_TOKEN, HMAC_KEY, HMAC_KEY.lower())
# The CVC as a value of its own: not inside a hex id, a UUID, a duration or a longer number.
CVC_ALONE = re.compile(rf"(?<![\w.\-]){CVC}(?![\w.\-])")
FAST = RetryPolicy(initial_delay=0.001, max_delay=0.005)

log = logging.getLogger("tests.test_logging")  # what an application logs, errors included


def card(kind: str = "visa") -> CardDetails:
    return CardDetails(
        number=CARDS[kind], cvc=CVC, expiry_month="03", expiry_year="2030", holder_name="A. B"
    )


async def logged(call: Awaitable[T]) -> T | None:
    """Await ``call``; log any PlexyError with its traceback, as an application would."""
    try:
        result = await call
    except errors.PlexyError as exc:
        log.exception("call failed: %s (%r)", exc, exc)
        return None
    log.debug("call returned %r", result)
    return result


@contextmanager
def rejected() -> Iterator[None]:
    """Log a webhook error (message and traceback) instead of raising it."""
    try:
        yield
    except errors.PlexyError as exc:
        log.warning("webhook rejected: %s (%r)", exc, exc, exc_info=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def example_app(settings: Settings) -> AsyncIterator[str]:
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def checkout_calls(client: PlexyClient, mock: MockPlexy) -> None:
    def pay(reference: str, kind: str = "visa", **kwargs: Any) -> Awaitable[Any]:
        return client.payments.create(
            amount=Amount(10000, "KZT"),
            reference=reference,
            merchant_account="TestMerchant",
            payment_method=card(kind),
            return_url="https://shop.example/return",
            **kwargs,
        )

    await logged(client.payment_methods.list(merchant_account="TestMerchant", country_code="KZ"))
    for kind in CARDS:
        await logged(pay(f"card-{kind}"))
    started = await pay("3ds-2", "three_ds")
    assert started.psp_reference is not None
    redirect = mock.redirect_result_for(started.psp_reference)
    await logged(client.payments.details(details={"redirectResult": redirect}))
    session = await client.sessions.create(
        amount=Amount(7000, "KZT"),
        merchant_account="TestMerchant",
        reference="session-1",
        return_url="https://shop.example/return",
    )
    mock.complete_session(session.id, card=CARDS["mastercard"])
    await logged(client.sessions.result(session.id, session_result="opaque-result"))
    await logged(client.sessions.result("CS_missing", session_result="x"))

    # Retries and every fault, on a card payment each time.
    route = ("POST", "/v2/payments")
    faults = [
        (Fault.status(503), 2),
        (Fault.status(429, retry_after=0), 1),
        (Fault.status(500, shape="html"), 1),
        (Fault.drop_before(), 1),
        (Fault.drop_after_commit(), 1),
        (Fault.truncated(), 1),
        (Fault.invalid_json(), 1),
        (Fault.oversize(5 * 1024 * 1024), 1),
        (Fault.redirect("http://127.0.0.1:9/elsewhere"), 1),
        (Fault.status(402, shape="checkout"), 1),
        (Fault.status(422, shape="problem"), 1),
        (Fault.status(409, shape="adyen"), 1),
        (Fault.status(403, shape="message"), 1),
        (Fault.status(502, shape="text"), 3),
        (Fault.status(504, shape="empty"), 3),
    ]
    for index, (fault, times) in enumerate(faults):
        mock.faults.add(*route, fault, times=times)
        await logged(pay(f"fault-{index}"))
    mock.faults.add(*route, Fault.drop_after_commit())
    await logged(pay("unknown-1", options=RequestOptions(retry=RetryPolicy.disabled())))
    mock.faults.add(*route, Fault.delay(1.0))
    await logged(
        pay("slow-1", options=RequestOptions(timeouts=Timeouts(attempt=0.05, deadline=0.2)))
    )


async def pay_api_calls(client: PlexyClient, mock: MockPlexy) -> None:
    await logged(client.merchant.retrieve())
    await logged(client.direct_payments.keys())
    for kind in ("visa", "declined", "luhn_invalid"):
        data = CardData(number=CARDS[kind], expiry_month="03", expiry_year="2030", cvc=CVC)
        await logged(client.direct_payments.create(amount=1500, currency="KZT", card=data))
    saved = await logged(
        client.payouts.save_card(card_number=CARDS["visa"], expiry_month="12", expiry_year="2030")
    )
    invalid = CARDS["luhn_invalid"]
    await logged(
        client.payouts.save_card(card_number=invalid, expiry_month="12", expiry_year="2030")
    )
    if saved is not None:
        await logged(client.payouts.process(amount=100, currency="KZT", card_token_id=saved.id))
    link = await client.payment_links.create(amount=10000, currency="KZT", auto_clearing=False)
    txn = mock.pay_link(link.id, card=CARDS["amex"], cvc=CVC)
    await logged(client.payments.capture(txn))
    await logged(client.payments.refund(txn, amount=100))
    await logged(client.transactions.retrieve(txn))
    await logged(client.transactions.history(txn))
    await logged(client.transactions.by_payment_link(link.id))
    log.debug("transactions: %r", [t async for t in client.transactions.list()])
    await logged(client.transactions.retrieve("txn_missing"))
    customer = await logged(client.customers.create(name="A. B", email="a@example.com"))
    if customer is not None:
        await logged(client.customers.card_tokens(customer.id))
    mock.faults.add("POST", "/v1/payments/direct", Fault.status(503, shape="pay"), times=1)
    data = CardData(number=CARDS["mastercard"], expiry_month="03", expiry_year="2030", cvc=CVC)
    await logged(client.direct_payments.create(amount=700, currency="KZT", card=data))


def webhook_helpers() -> None:
    body = json.dumps(checkout_event("payment.succeeded")).encode()
    header = webhooks.sign_checkout_payload(body, WEBHOOK_SECRET)
    log.debug("event %r", webhooks.construct_checkout_event(body, header, WEBHOOK_SECRET))
    forged = webhooks.sign_checkout_payload(body, "whsec_other")
    for args in (
        (body, None, WEBHOOK_SECRET),
        (body, "t=1,v1", WEBHOOK_SECRET),
        (body, forged, WEBHOOK_SECRET),
        (body + b" ", header, [WEBHOOK_SECRET, "whsec_old"]),
        (body, webhooks.sign_checkout_payload(body, WEBHOOK_SECRET, timestamp=1), WEBHOOK_SECRET),
        (b"{", webhooks.sign_checkout_payload(b"{", WEBHOOK_SECRET), WEBHOOK_SECRET),
        (body, header, []),
    ):
        with rejected():
            webhooks.construct_checkout_event(*args)
    pay = json.dumps(pay_event()).encode()
    log.debug("event %r", webhooks.construct_pay_event(pay, f"Bearer {PAY_TOKEN}", PAY_TOKEN))
    for authorization in (None, PAY_TOKEN, f"Basic {PAY_TOKEN}", f"Bearer {PAY_TOKEN}x"):
        with rejected():
            webhooks.construct_pay_event(pay, authorization, PAY_TOKEN)
    item = notification_item("PSP1")
    item["additionalData"] = {"hmacSignature": webhooks.sign_notification_item(item, HMAC_KEY)}
    good = json.dumps(notification(item)).encode()
    log.debug("notification %r", webhooks.construct_notification(good, HMAC_KEY))
    for key in ("00" * 32, "not hex", HMAC_KEY):
        with rejected():
            forged_batch = notification(item, {**item, "pspReference": "PSP2"})
            webhooks.construct_notification(json.dumps(forged_batch).encode(), key)


async def example_app_and_sender(mock: MockPlexy, stats: AttemptStats) -> list[str]:
    """Payments and webhooks through the aiohttp.web example; returns the signatures sent."""
    settings = Settings(
        api_key=KEY,
        base_url=mock.url,
        merchant_account="TestMerchant",
        webhook_secrets=(WEBHOOK_SECRET,),
        hmac_keys=(HMAC_KEY,),
        retry=FAST,
        trace_configs=(stats_trace_config(stats),),
    )
    sent: list[str] = []
    async with example_app(settings) as url, aiohttp.ClientSession() as http:
        for kind in ("visa", "declined", "luhn_invalid"):
            order = {
                "order_id": f"app-{kind}",
                "amount": 500,
                "currency": "KZT",
                "card": {
                    "number": CARDS[kind],
                    "cvc": CVC,
                    "expiry_month": "03",
                    "expiry_year": "2030",
                },
            }
            async with http.post(f"{url}/payments", json=order) as resp:
                log.debug("example app answered %d: %s", resp.status, await resp.text())
        event = checkout_event("payment.succeeded")
        for secret in (WEBHOOK_SECRET, "whsec_forger"):
            delivery = await mock.send_webhook(f"{url}/webhooks/plexy", event, secret=secret)
            sent.append(delivery.sent_headers["Plexy-Signature"].partition("v1=")[2])
            log.debug("delivery %r answered %s", delivery, delivery.body)
        batch = notification(notification_item("PSP7"), notification_item("PSP8"))
        for key in (HMAC_KEY, "ab" * 32):
            delivery = await mock.send_webhook(
                f"{url}/webhooks/notifications", batch, scheme="notification", secret=key
            )
            for wrapper in json.loads(delivery.sent_body)["notificationItems"]:
                sent.append(wrapper["NotificationRequestItem"]["additionalData"]["hmacSignature"])
            log.debug("delivery %r answered %s", delivery, delivery.body)
    return sent


async def test_a_full_debug_run_logs_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: every library's records reach it
    stats = AttemptStats()
    async with MockPlexy(api_key=KEY) as mock:
        async with PlexyClient(
            api_key=KEY,
            base_url=mock.url,
            retry=FAST,
            pool=PoolLimits(max_response_bytes=1024 * 1024),
            trace_configs=[stats_trace_config(stats)],
        ) as client:
            await checkout_calls(client, mock)
            await pay_api_calls(client, mock)
        async with PlexyClient(api_key=KEY + "x", base_url=mock.url) as wrong_key:
            await logged(wrong_key.payment_methods.list(merchant_account="TestMerchant"))
        async with PlexyClient(api_key=KEY, base_url=f"http://127.0.0.1:{free_port()}") as gone:
            await logged(gone.payment_methods.list(merchant_account="TestMerchant"))
        webhook_helpers()
        signatures = await example_app_and_sender(mock, stats)
    await asyncio.sleep(0)

    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    lines = [formatter.format(record) for record in caplog.records]
    text = "\n".join(lines)
    # The capture saw the whole run: attempts, retries, failures, webhooks, the example app.
    attempts = [
        line for line in lines if line.startswith("plexy_async DEBUG") and "attempt=" in line
    ]
    assert len(attempts) >= stats.attempts > 60
    assert "retrying in" in text and "OutcomeUnknownError" in text
    assert "-> 503 attempt=1" in text and "Traceback" in text
    assert "webhook rejected" in text and "rejected a Checkout webhook" in text
    assert "examples.tracing DEBUG" in text and "examples.aiohttp_app" in text
    assert len(signatures) == 6 and "aiohttp.access INFO" in text
    # ... and nothing secret.
    for index, secret in enumerate((*SECRETS, *signatures)):
        assert secret not in text, f"secret #{index} was logged"
    for name, number in CARDS.items():
        assert number not in text, f"the {name} card number was logged"
        assert " ".join(re.findall(".{1,4}", number)) not in text, f"the {name} card was logged"
    assert not CVC_ALONE.search(text), "the CVC was logged"
