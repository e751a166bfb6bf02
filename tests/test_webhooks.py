"""Webhook verification and parsing for every scheme, and the mock's sender end to end."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from plexy_async import webhooks
from plexy_async.errors import ConfigurationError, PlexyError
from plexy_async.models.transactions import TransactionStatus
from plexy_async.testing import (
    MockPlexy,
    checkout_event,
    notification,
    notification_item,
    pay_event,
)
from plexy_async.webhooks import (
    MalformedSignatureError,
    MissingSignatureError,
    NoMatchingSignatureError,
    TimestampOutsideToleranceError,
    WebhookPayloadError,
    WebhookVerificationError,
)

SECRET = "whsec_CURRENT_5f0c1a2b3c4d"
OLD_SECRET = "whsec_PREVIOUS_9e8d7c6b5a"
TOKEN = "tok_PAYHOOK_0a1b2c3d4e5f"
HMAC_KEY = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
NOW = 1_700_000_000
BODY = json.dumps(
    {"id": "evt_1", "type": "payment.succeeded", "created": NOW, "data": {"id": "pay_1"}}
).encode()


def v1(secret: str, body: bytes = BODY) -> str:
    """The documented signature, computed independently of the library."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def no_secret_in(exc: BaseException, *secrets: str) -> None:
    for text in (str(exc), repr(exc)):
        for secret in secrets:
            assert secret not in text, text


# --- Checkout v2 --------------------------------------------------------------------------------


def test_valid_signature_gives_the_typed_event() -> None:
    header = f"t={NOW},v1={v1(SECRET)}"
    assert webhooks.verify_checkout_signature(BODY, header, SECRET, now=NOW) == NOW
    event = webhooks.construct_checkout_event(BODY, header, SECRET, now=NOW + 299)
    assert event.id == "evt_1" and event.event_id == "evt_1"
    assert event.type is webhooks.CheckoutEventType.PAYMENT_SUCCEEDED
    assert event.data == {"id": "pay_1"}
    assert event.created_at.timestamp() == NOW


def test_sign_checkout_payload_is_the_documented_header() -> None:
    assert webhooks.sign_checkout_payload(BODY, SECRET, timestamp=NOW) == f"t={NOW},v1={v1(SECRET)}"


def test_wrong_secret_is_no_matching_signature_and_echoes_nothing() -> None:
    signature = v1("whsec_someone_else")
    with pytest.raises(NoMatchingSignatureError) as caught:
        webhooks.verify_checkout_signature(BODY, f"t={NOW},v1={signature}", SECRET, now=NOW)
    no_secret_in(caught.value, SECRET, signature)
    assert "1 configured webhook secret" in str(caught.value)


def test_tampered_body_is_rejected() -> None:
    header = f"t={NOW},v1={v1(SECRET)}"
    tampered = BODY.replace(b"pay_1", b"pay_2")
    with pytest.raises(NoMatchingSignatureError):
        webhooks.construct_checkout_event(tampered, header, SECRET, now=NOW)
    # Re-serialised JSON is not the raw body either.
    reserialised = json.dumps(json.loads(BODY), indent=2).encode()
    with pytest.raises(NoMatchingSignatureError):
        webhooks.verify_checkout_signature(reserialised, header, SECRET, now=NOW)


@pytest.mark.parametrize(
    ("now", "words"),
    [(NOW + 301, "301s old"), (NOW + 86_400, "86400s old"), (NOW - 301, "301s in the future")],
)
def test_timestamp_outside_tolerance_either_way(now: int, words: str) -> None:
    header = f"t={NOW},v1={v1(SECRET)}"
    with pytest.raises(TimestampOutsideToleranceError) as caught:
        webhooks.verify_checkout_signature(BODY, header, SECRET, now=now)
    assert words in str(caught.value)
    assert caught.value.timestamp == NOW and caught.value.tolerance == 300
    assert caught.value.age == now - NOW
    no_secret_in(caught.value, SECRET, v1(SECRET))


def test_tolerance_is_configurable_and_inclusive() -> None:
    header = f"t={NOW},v1={v1(SECRET)}"
    assert webhooks.verify_checkout_signature(BODY, header, SECRET, now=NOW - 300) == NOW
    assert webhooks.verify_checkout_signature(BODY, header, SECRET, tolerance=10, now=NOW + 10)
    with pytest.raises(TimestampOutsideToleranceError):
        webhooks.verify_checkout_signature(BODY, header, SECRET, tolerance=10, now=NOW + 11)


def test_a_forged_signature_is_reported_before_a_stale_timestamp() -> None:
    with pytest.raises(NoMatchingSignatureError):
        webhooks.verify_checkout_signature(BODY, f"t={NOW},v1={'0' * 64}", SECRET, now=NOW + 999)


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_header(header: str | None) -> None:
    with pytest.raises(MissingSignatureError, match="Plexy-Signature header is missing"):
        webhooks.verify_checkout_signature(BODY, header, SECRET, now=NOW)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (f"v1={v1(SECRET)}", "no t= timestamp"),
        (f"t={NOW}", "no v1= signature"),
        (f"t={NOW},v0={v1(SECRET)}", "no v1= signature"),
        (f"t=yesterday,v1={v1(SECRET)}", "not a unix timestamp"),
        (f"t=-5,v1={v1(SECRET)}", "not a unix timestamp"),
        (f"t=１２３,v1={v1(SECRET)}", "not a unix timestamp"),  # full-width digits  # noqa: RUF001
        (f"t={NOW},t={NOW},v1={v1(SECRET)}", "more than one t="),
        (f"t={NOW};v1={v1(SECRET)}", "not a unix timestamp"),
        (v1(SECRET), "key=value pairs"),
        (f"t={NOW},=abc,v1={v1(SECRET)}", "key=value pairs"),
    ],
)
def test_malformed_header(header: str, reason: str) -> None:
    with pytest.raises(MalformedSignatureError) as caught:
        webhooks.verify_checkout_signature(BODY, header, SECRET, now=NOW)
    assert reason in str(caught.value)
    no_secret_in(caught.value, SECRET, v1(SECRET))


def test_several_v1_values_any_one_may_match() -> None:
    header = f"t={NOW}, v1={'ab' * 32}, v0=ignored, v1={v1(SECRET).upper()} ,v1=not-hex-é"
    assert webhooks.verify_checkout_signature(BODY, header, SECRET, now=NOW) == NOW
    assert webhooks.parse_signature_header(header) == (
        NOW,
        ["ab" * 32, v1(SECRET).upper(), "not-hex-é"],
    )


def test_rotated_secrets_accept_either_signature() -> None:
    # During a rotation Plexy may sign with the old secret, the new one, or both.
    rotating = [SECRET, OLD_SECRET]
    for header in (
        f"t={NOW},v1={v1(OLD_SECRET)}",
        f"t={NOW},v1={v1(SECRET)}",
        f"t={NOW},v1={v1(OLD_SECRET)},v1={v1(SECRET)}",
    ):
        assert webhooks.verify_checkout_signature(BODY, header, rotating, now=NOW) == NOW
    # Once the old secret is dropped, its signatures stop matching.
    old_only = f"t={NOW},v1={v1(OLD_SECRET)}"
    with pytest.raises(NoMatchingSignatureError, match="any of the 2 configured"):
        webhooks.verify_checkout_signature(BODY, old_only, [SECRET, "whsec_next"], now=NOW)


@pytest.mark.parametrize("secrets", [[], [""], [SECRET, ""]])
def test_bad_configuration_is_a_configuration_error(secrets: list[str]) -> None:
    with pytest.raises(ConfigurationError):
        webhooks.verify_checkout_signature(BODY, f"t={NOW},v1={v1(SECRET)}", secrets, now=NOW)


def test_zero_tolerance_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="tolerance"):
        webhooks.verify_checkout_signature(BODY, "t=1,v1=ab", SECRET, tolerance=0)


def test_unknown_event_type_is_kept_and_bad_bodies_are_payload_errors() -> None:
    body = json.dumps({"id": "evt_2", "type": "payout.paid", "created": NOW, "new": 1}).encode()
    event = webhooks.construct_checkout_event(
        body, f"t={NOW},v1={v1(SECRET, body)}", SECRET, now=NOW
    )
    assert event.type == "payout.paid" and not event.type.is_known
    for bad, words in ((b"{not json", "not valid JSON"), (b'{"id": "evt_3"}', "type")):
        with pytest.raises(WebhookPayloadError, match=words):
            webhooks.construct_checkout_event(bad, f"t={NOW},v1={v1(SECRET, bad)}", SECRET, now=NOW)


def test_str_payload_is_its_utf8_bytes() -> None:
    header = f"t={NOW},v1={v1(SECRET)}"
    assert webhooks.construct_checkout_event(BODY.decode(), header, SECRET, now=NOW).id == "evt_1"


# --- Pay API v1 ---------------------------------------------------------------------------------

PAY_BODY = b"""{
  "name": "transaction.charged",
  "merchantId": "m_42",
  "data": {
    "id": {"Value": "txn_1"},
    "amount": 5000,
    "currency": "KZT",
    "status": "charged",
    "paymentLinkId": {"Value": "pl_1"},
    "customerId": {"Value": null},
    "createdAt": "2025-03-14T00:00:00Z",
  },
}"""


def test_pay_bearer_token_and_lenient_body() -> None:
    event = webhooks.construct_pay_event(PAY_BODY, f"Bearer {TOKEN}", TOKEN)
    assert event.name is webhooks.PayEventName.TRANSACTION_CHARGED
    assert event.merchant_id == "m_42"
    assert event.data.id == "txn_1" and event.data.payment_link_id == "pl_1"
    assert event.data.customer_id is None
    assert event.data.status is TransactionStatus.CHARGED
    assert event.data.amount == 5000 and event.data.created_at is not None
    assert event.event_id == "transaction.charged:txn_1"


def test_pay_unknown_names_and_statuses_are_kept() -> None:
    body = json.dumps(pay_event("transaction.disputed", {"id": "txn_2", "status": "held"}))
    event = webhooks.construct_pay_event(body, f"bearer  {TOKEN} ", [TOKEN])
    assert event.name == "transaction.disputed" and not event.name.is_known
    assert event.data.status == "held"


def test_pay_token_failures() -> None:
    with pytest.raises(MissingSignatureError, match="Authorization header is missing"):
        webhooks.verify_pay_token(None, TOKEN)
    for malformed in (TOKEN, f"Basic {TOKEN}", "Bearer", "Bearer   "):
        with pytest.raises(MalformedSignatureError) as caught:
            webhooks.verify_pay_token(malformed, TOKEN)
        no_secret_in(caught.value, TOKEN)
    for wrong in (f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer tok_é"):
        with pytest.raises(NoMatchingSignatureError) as mismatch:
            webhooks.verify_pay_token(wrong, TOKEN)
        no_secret_in(mismatch.value, TOKEN)


def test_pay_rotated_tokens() -> None:
    webhooks.verify_pay_token("Bearer tok_old", [TOKEN, "tok_old"])
    webhooks.verify_pay_token(f"Bearer {TOKEN}", [TOKEN, "tok_old"])
    with pytest.raises(NoMatchingSignatureError, match="2 configured"):
        webhooks.verify_pay_token("Bearer tok_older", [TOKEN, "tok_old"])


def test_pay_body_that_is_not_json_even_leniently() -> None:
    with pytest.raises(WebhookPayloadError, match="not valid JSON"):
        webhooks.construct_pay_event(b'{"name": transaction.charged}', f"Bearer {TOKEN}", TOKEN)
    # A comma inside a string is data, not a trailing comma.
    body = b'{"name": "a,}", "data": {"id": "txn_3", "description": "x, ]",},}'
    assert webhooks.parse_pay_event(body).data.description == "x, ]"


# --- Adyen-style notifications ------------------------------------------------------------------

# Adyen's published known-answer test: no originalReference, so it signs an empty field.
ADYEN_KEY = "DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00"
ADYEN_ITEM = {
    "pspReference": "7914073381342284",
    "merchantAccountCode": "TestMerchant",
    "merchantReference": "TestPayment-1407325143704",
    "amount": {"value": 1130, "currency": "EUR"},
    "eventCode": "AUTHORISATION",
    "success": "true",
}
ADYEN_SIGNATURE = "Ny9gS2veKo5E4w8/OL6xz1/wvT/hYkAXy1xNc/QvO4I="


def signed(item: dict[str, Any], key: str = HMAC_KEY) -> dict[str, Any]:
    message = webhooks.notification_signing_string(item).encode()
    digest = hmac.new(bytes.fromhex(key), message, hashlib.sha256).digest()
    return {**item, "additionalData": {"hmacSignature": base64.b64encode(digest).decode()}}


def batch(*items: dict[str, Any]) -> bytes:
    return json.dumps(notification(*items)).encode()


def test_adyen_known_answer_with_an_empty_original_reference() -> None:
    assert webhooks.notification_signing_string(ADYEN_ITEM) == (
        "7914073381342284::TestMerchant:TestPayment-1407325143704:1130:EUR:AUTHORISATION:true"
    )
    assert webhooks.sign_notification_item(ADYEN_ITEM, ADYEN_KEY) == ADYEN_SIGNATURE
    item = {**ADYEN_ITEM, "additionalData": {"hmacSignature": ADYEN_SIGNATURE}}
    webhooks.verify_notification_item(item, ADYEN_KEY)
    webhooks.verify_notification_item(item, ADYEN_KEY.lower())
    # An explicit empty or null originalReference signs the same as a missing one.
    for original in ("", None):
        webhooks.verify_notification_item({**item, "originalReference": original}, ADYEN_KEY)


def test_a_valid_batch_parses_into_typed_items() -> None:
    refund = notification_item(
        "PSP2", event_code="REFUND", success=False, original_reference="PSP1", value=500
    )
    note = webhooks.construct_notification(
        batch(signed(notification_item("PSP1")), signed(refund)), HMAC_KEY
    )
    assert note.live is False
    first, second = note.items
    assert first.event_code is webhooks.NotificationEventCode.AUTHORISATION and first.success
    assert first.original_reference is None and first.amount is not None
    assert second.original_reference == "PSP1" and second.success is False
    assert second.amount is not None and second.amount.value == 500
    assert [i.event_id for i in note.items] == ["PSP1:AUTHORISATION:true", "PSP2:REFUND:false"]


def test_a_batch_where_only_the_second_item_is_forged_is_rejected() -> None:
    good = signed(notification_item("PSP1"))
    forged = signed(notification_item("PSP2", value=100))
    forged["amount"] = {"value": 999_999, "currency": "KZT"}  # changed after signing
    with pytest.raises(NoMatchingSignatureError) as caught:
        webhooks.construct_notification(batch(good, forged), HMAC_KEY)
    assert caught.value.item_index == 1
    assert "notificationItems[1]" in str(caught.value) and "PSP2" in str(caught.value)
    no_secret_in(caught.value, HMAC_KEY, forged["additionalData"]["hmacSignature"])
    with pytest.raises(NoMatchingSignatureError):
        webhooks.verify_notification(batch(good, forged), HMAC_KEY)
    # A second item signed with another key is forged too.
    other = signed(notification_item("PSP3"), key="00" * 32)
    with pytest.raises(NoMatchingSignatureError) as caught:
        webhooks.construct_notification(batch(good, other), HMAC_KEY)
    assert caught.value.item_index == 1


def test_adyen_missing_and_malformed_signatures() -> None:
    good = signed(notification_item("PSP1"))
    unsigned = notification_item("PSP2")
    with pytest.raises(MissingSignatureError) as missing:
        webhooks.construct_notification(batch(good, unsigned), HMAC_KEY)
    assert missing.value.item_index == 1
    bad_base64 = {**unsigned, "additionalData": {"hmacSignature": "%%%not-base64%%%"}}
    with pytest.raises(MalformedSignatureError, match="not base64"):
        webhooks.construct_notification(batch(bad_base64), HMAC_KEY)
    with pytest.raises(MissingSignatureError, match="no items"):
        webhooks.construct_notification(batch(), HMAC_KEY)
    with pytest.raises(WebhookPayloadError, match="notificationItems"):
        webhooks.construct_notification(b'{"live": "false"}', HMAC_KEY)


def test_adyen_key_rotation_and_bad_keys() -> None:
    body = batch(signed(notification_item("PSP1"), key="ab" * 32))
    assert webhooks.construct_notification(body, [HMAC_KEY, "ab" * 32]).items[0].success
    with pytest.raises(ConfigurationError, match="#2 is not hexadecimal") as caught:
        webhooks.construct_notification(body, [HMAC_KEY, "not-hex-SECRETISH"])
    no_secret_in(caught.value, "not-hex-SECRETISH", HMAC_KEY)


def test_unknown_event_codes_are_kept() -> None:
    body = batch(signed(notification_item("PSP9", event_code="NEW_THING")))
    (item,) = webhooks.construct_notification(body, HMAC_KEY).items
    assert item.event_code == "NEW_THING" and not item.event_code.is_known


# --- duplicates ---------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_duplicate_filter_drops_repeats_and_forgets_failures() -> None:
    seen = webhooks.DuplicateFilter()
    event = webhooks.parse_checkout_event(BODY)
    assert seen.first_time(event) is True
    assert seen.first_time(event) is False
    assert seen.first_time("evt_1") is False and event in seen
    seen.forget(event)
    assert seen.first_time(event) is True


def test_duplicate_filter_expires_and_is_bounded() -> None:
    clock = FakeClock()
    seen = webhooks.DuplicateFilter(max_size=2, ttl=60, clock=clock)
    assert seen.first_time("a") and seen.first_time("b") and seen.first_time("c")
    assert len(seen) == 2 and "a" not in seen  # the oldest made room
    clock.now = 61
    assert "b" not in seen and seen.first_time("b")


def test_duplicate_filter_on_a_batch_with_a_repeated_item() -> None:
    item = signed(notification_item("PSP1"))
    body = batch(item, item, signed(notification_item("PSP2")))
    note = webhooks.construct_notification(body, HMAC_KEY)
    seen = webhooks.DuplicateFilter()
    assert [seen.first_time(i) for i in note.items] == [True, False, True]
    assert [seen.first_time(i) for i in note.items] == [False, False, False]


def test_every_failure_is_a_plexy_error_and_a_value_error() -> None:
    for cls in (
        MissingSignatureError,
        MalformedSignatureError,
        TimestampOutsideToleranceError,
        NoMatchingSignatureError,
    ):
        assert issubclass(cls, WebhookVerificationError)
    assert issubclass(WebhookVerificationError, PlexyError)
    assert issubclass(WebhookPayloadError, ValueError)


# --- the mock's sender, end to end --------------------------------------------------------------


class Receiver:
    """A loopback webhook endpoint that verifies each delivery with ``verify``."""

    def __init__(self) -> None:
        self.url = ""
        self.received: list[Any] = []
        self.verify: Callable[[bytes, web.Request], Any] = lambda body, request: None

    async def handle(self, request: web.Request) -> web.Response:
        try:
            self.received.append(self.verify(await request.read(), request))
        except WebhookVerificationError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.Response(text="[accepted]")


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        hook.url = f"http://{host}:{port}/hook"
        yield hook
    finally:
        await runner.cleanup()


async def test_send_webhook_checkout_end_to_end(mock_plexy: MockPlexy, receiver: Receiver) -> None:
    url, received = receiver.url, receiver.received
    receiver.verify = lambda body, request: webhooks.construct_checkout_event(
        body, request.headers.get("Plexy-Signature"), [SECRET, OLD_SECRET]
    )
    event = checkout_event("payment.succeeded", {"id": "pay_9", "amount": 5000})
    delivery = await mock_plexy.send_webhook(url, event, scheme="checkout", secret=SECRET)
    assert delivery.ok and delivery.body == b"[accepted]"
    assert received[0].id == event["id"] and received[0].data["amount"] == 5000
    assert SECRET not in repr(delivery)
    # The same delivery again is accepted by the signature check (dedupe is the app's job).
    again = await mock_plexy.send_webhook(url, delivery.sent_body, secret=OLD_SECRET)
    assert again.ok and received[1].event_id == received[0].event_id
    stale = await mock_plexy.send_webhook(url, event, secret=SECRET, timestamp=NOW)
    assert stale.status == 400 and b"outside the 300s tolerance" in stale.body
    forged = await mock_plexy.send_webhook(url, event, secret="whsec_forger")
    assert forged.status == 400 and b"no v1 signature" in forged.body
    unsigned = await mock_plexy.send_webhook(url, event, secret=SECRET, sign=False)
    assert unsigned.status == 400 and b"header is missing" in unsigned.body
    assert len(received) == 2


async def test_send_webhook_pay_end_to_end(mock_plexy: MockPlexy, receiver: Receiver) -> None:
    url, received = receiver.url, receiver.received
    receiver.verify = lambda body, request: webhooks.construct_pay_event(
        body, request.headers.get("Authorization"), TOKEN
    )
    event = pay_event("transaction.refunded", {"id": {"Value": "txn_7"}, "amount": 100})
    assert (await mock_plexy.send_webhook(url, event, scheme="pay", secret=TOKEN)).ok
    assert received[0].data.id == "txn_7"
    wrong = await mock_plexy.send_webhook(url, event, scheme="pay", secret="tok_wrong")
    assert wrong.status == 400 and TOKEN.encode() not in wrong.body
    assert len(received) == 1


async def test_send_webhook_notification_end_to_end(
    mock_plexy: MockPlexy, receiver: Receiver
) -> None:
    url, received = receiver.url, receiver.received
    receiver.verify = lambda body, request: webhooks.construct_notification(body, HMAC_KEY)
    body = notification(notification_item("PSP1"), notification_item("PSP2", event_code="CAPTURE"))
    delivery = await mock_plexy.send_webhook(url, body, scheme="notification", secret=HMAC_KEY)
    assert delivery.ok
    assert [i.psp_reference for i in received[0].items] == ["PSP1", "PSP2"]
    # Forge the second item of what the mock signed and send it unsigned-as-is.
    doc = json.loads(delivery.sent_body)
    doc["notificationItems"][1]["NotificationRequestItem"]["amount"]["value"] = 1
    forged = await mock_plexy.send_webhook(url, json.dumps(doc).encode(), secret="", sign=False)
    assert forged.status == 400 and b"notificationItems[1]" in forged.body
    assert len(received) == 1
