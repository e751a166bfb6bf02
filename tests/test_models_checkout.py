"""Checkout v2 models against the documented wire shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

import plexy_async.models as models
from plexy_async._core.converter import structure, unstructure
from plexy_async.errors import InvalidRequestError, ResponseValidationError
from plexy_async.models import (
    Action,
    Amount,
    AwaitAction,
    BrowserInfo,
    CardDetails,
    CreateSessionRequest,
    LineItem,
    PaymentMethodDetails,
    PaymentMethodsResponse,
    PaymentMethodSummary,
    PaymentRequest,
    PaymentResponse,
    QrCodeAction,
    RedirectAction,
    ResultCode,
    SdkAction,
    Session,
    SessionPayment,
    SessionResult,
    SessionStatus,
    StoredPaymentMethodDetails,
    ThreeDS2Action,
    UnknownAction,
    VoucherAction,
)

# The POST /payments response from API.md, as the server sends it.
PAYMENT_RESPONSE = """{"pspReference": "BNV58BSJF9WQ5K65", "resultCode": "Authorised",
 "amount": {"currency": "KZT", "value": 10000}, "merchantReference": "order-1729012345",
 "paymentMethod": {"type": "scheme", "brand": "visa"},
 "additionalData": {"recurringProcessingModel": "CardOnFile",
                    "networkTxReference": "067781471736078"},
 "action": {"type": "redirect", "method": "GET", "paymentMethodType": "scheme", "url": "https://..."}}"""


def test_the_documented_payment_response_structures_fully() -> None:
    response = structure(json.loads(PAYMENT_RESPONSE), PaymentResponse)
    assert response == PaymentResponse(
        psp_reference="BNV58BSJF9WQ5K65",
        result_code=ResultCode.AUTHORISED,
        amount=Amount(10000, "KZT"),
        merchant_reference="order-1729012345",
        payment_method=PaymentMethodSummary(type="scheme", brand="visa"),
        additional_data={
            "recurringProcessingModel": "CardOnFile",
            "networkTxReference": "067781471736078",
        },
        action=RedirectAction(method="GET", payment_method_type="scheme", url="https://..."),
    )
    assert isinstance(response.action, RedirectAction)
    assert response.action.type == "redirect"
    assert response.refusal_reason is None


def test_the_documented_payment_response_round_trips() -> None:
    body = json.loads(PAYMENT_RESPONSE)
    assert unstructure(structure(body, PaymentResponse)) == body


def test_a_refusal_is_data() -> None:
    response = structure(
        {"pspReference": "P1", "resultCode": "Refused", "refusalReason": "Not enough balance",
         "refusalReasonCode": "12"},
        PaymentResponse,
    )  # fmt: skip
    assert response.result_code is ResultCode.REFUSED
    assert (response.refusal_reason, response.refusal_reason_code) == ("Not enough balance", "12")
    assert response.additional_data == {}


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        (
            {"type": "redirect", "url": "https://acs.example/3ds", "method": "POST",
             "data": {"PaReq": "abc", "MD": "def"}, "paymentData": "pd"},
            RedirectAction(url="https://acs.example/3ds", method="POST",
                           data={"PaReq": "abc", "MD": "def"}, payment_data="pd"),
        ),
        (
            {"type": "threeDS2", "subtype": "fingerprint", "token": "eyJ0", "authorisationToken":
             "at", "paymentData": "pd", "paymentMethodType": "scheme"},
            ThreeDS2Action(subtype="fingerprint", token="eyJ0", authorisation_token="at",
                           payment_data="pd", payment_method_type="scheme"),
        ),
        (
            {"type": "await", "paymentMethodType": "kaspi", "paymentData": "pd"},
            AwaitAction(payment_method_type="kaspi", payment_data="pd"),
        ),
        (
            {"type": "qrCode", "qrCodeData": "kaspi://pay?x=1", "url": "https://q.example"},
            QrCodeAction(qr_code_data="kaspi://pay?x=1", url="https://q.example"),
        ),
        (
            {"type": "sdk", "sdkData": {"orderId": "o1", "nested": [1]}, "paymentMethodType": "x"},
            SdkAction(sdk_data={"orderId": "o1", "nested": [1]}, payment_method_type="x"),
        ),
        (
            {"type": "voucher", "reference": "1234 5678", "expiresAt": "2025-03-14T00:00:00Z",
             "downloadUrl": "https://v.example/pdf", "instructionsUrl": "https://v.example/how",
             "totalAmount": {"currency": "KZT", "value": 500}, "merchantName": "Shop"},
            VoucherAction(reference="1234 5678", expires_at=datetime(2025, 3, 14, tzinfo=UTC),
                          download_url="https://v.example/pdf",
                          instructions_url="https://v.example/how",
                          total_amount=Amount(500, "KZT"), merchant_name="Shop"),
        ),
        (
            {"type": "wechatpaySDK", "sdkData": {"appid": "wx"}, "whatever": [1, 2]},
            UnknownAction(type="wechatpaySDK",
                          raw={"type": "wechatpaySDK", "sdkData": {"appid": "wx"},
                               "whatever": [1, 2]}),
        ),
    ],
    ids=lambda value: value["type"] if isinstance(value, dict) else "",
)  # fmt: skip
def test_every_action_type(wire: dict[str, Any], expected: Action) -> None:
    response = structure({"resultCode": "RedirectShopper", "action": wire}, PaymentResponse)
    assert response.action == expected
    assert type(response.action) is type(expected)
    assert unstructure(response)["action"] == wire


def test_unknown_action_keeps_the_whole_object() -> None:
    raw = {"type": "brandNew", "a": {"b": [1, 2]}, "c": None}
    action = structure({"resultCode": "Pending", "action": raw}, PaymentResponse).action
    assert isinstance(action, UnknownAction)
    assert action.type == "brandNew"
    assert action.raw == raw


def test_an_action_with_a_bad_field_names_it() -> None:
    with pytest.raises(ResponseValidationError, match=r"action\.url: expected str, got int"):
        structure({"resultCode": "RedirectShopper", "action": {"type": "redirect", "url": 5}},
                  PaymentResponse)  # fmt: skip


def _card() -> CardDetails:
    return CardDetails(
        number="4242424242424242",
        expiry_month="03",
        expiry_year="2030",
        cvc="737",
        holder_name="John Smith",
    )


def test_a_full_payment_request_unstructures_to_the_exact_wire_dict() -> None:
    request = PaymentRequest(
        amount=Amount(10000, "KZT"),
        reference="order-1",
        merchant_account="ShopKZ",
        payment_method=_card(),
        return_url="https://shop.example/return",
        channel="Web",
        origin="https://shop.example",
        country_code="KZ",
        shopper_locale="ru-KZ",
        shopper_reference="cust-1",
        shopper_email="john@example.com",
        shopper_ip="203.0.113.7",
        shopper_interaction="Ecommerce",
        recurring_processing_model="CardOnFile",
        store_payment_method=False,
        browser_info=BrowserInfo(
            user_agent="Mozilla/5.0",
            accept_header="text/html",
            language="ru-KZ",
            color_depth=24,
            screen_height=1080,
            screen_width=1920,
            time_zone_offset=-300,
            java_enabled=False,
        ),
        three_ds2_request_data={"deviceChannel": "browser"},
        capture_delay_hours=0,
        line_items=[LineItem(id="sku-1", description="Tea", quantity=2, amount_including_tax=5000)],
        additional_data={"allow3DS2": "true"},
        metadata={"orderId": "1"},
    )
    assert unstructure(request) == {
        "amount": {"value": 10000, "currency": "KZT"},
        "reference": "order-1",
        "merchantAccount": "ShopKZ",
        "paymentMethod": {
            "type": "scheme",
            "number": "4242424242424242",
            "expiryMonth": "03",
            "expiryYear": "2030",
            "cvc": "737",
            "holderName": "John Smith",
        },
        "returnUrl": "https://shop.example/return",
        "channel": "Web",
        "origin": "https://shop.example",
        "countryCode": "KZ",
        "shopperLocale": "ru-KZ",
        "shopperReference": "cust-1",
        "shopperEmail": "john@example.com",
        "shopperIP": "203.0.113.7",
        "shopperInteraction": "Ecommerce",
        "recurringProcessingModel": "CardOnFile",
        "storePaymentMethod": False,
        "browserInfo": {
            "userAgent": "Mozilla/5.0",
            "acceptHeader": "text/html",
            "language": "ru-KZ",
            "colorDepth": 24,
            "screenHeight": 1080,
            "screenWidth": 1920,
            "timeZoneOffset": -300,
            "javaEnabled": False,
        },
        "threeDS2RequestData": {"deviceChannel": "browser"},
        "captureDelayHours": 0,
        "lineItems": [
            {"id": "sku-1", "description": "Tea", "quantity": 2, "amountIncludingTax": 5000}
        ],
        "additionalData": {"allow3DS2": "true"},
        "metadata": {"orderId": "1"},
    }
    # The mock server reads requests with the same rules.
    assert structure(json.loads(json.dumps(unstructure(request))), PaymentRequest) == request


@pytest.mark.parametrize(
    ("method", "wire"),
    [
        (
            CardDetails(encrypted_card_number="adyenjs_0_1_25$abc", encrypted_expiry_month="e1",
                        encrypted_expiry_year="e2", encrypted_security_code="e3"),
            {"type": "scheme", "encryptedCardNumber": "adyenjs_0_1_25$abc",
             "encryptedExpiryMonth": "e1", "encryptedExpiryYear": "e2",
             "encryptedSecurityCode": "e3"},
        ),
        (
            StoredPaymentMethodDetails(stored_payment_method_id="8415995487234100"),
            {"type": "scheme", "storedPaymentMethodId": "8415995487234100"},
        ),
        (
            PaymentMethodDetails(type="kaspi", data={"phoneNumber": "+77001234567"}),
            {"type": "kaspi", "phoneNumber": "+77001234567"},
        ),
    ],
    ids=["encrypted-card", "stored", "generic"],
)  # fmt: skip
def test_payment_method_kinds_round_trip(method: Any, wire: dict[str, Any]) -> None:
    request = PaymentRequest(
        amount=Amount(1, "KZT"), reference="r", merchant_account="m", payment_method=method
    )
    sent = unstructure(request)
    assert sent["paymentMethod"] == wire
    assert structure(sent, PaymentRequest).payment_method == method


def test_generic_details_cannot_override_the_type() -> None:
    method = PaymentMethodDetails(type="kaspi", data={"type": "scheme", "x": 1})
    assert unstructure(method) == {"type": "kaspi", "x": 1}


def test_card_repr_masks_the_number_and_hides_the_cvc() -> None:
    card = _card()
    for text in (repr(card), str(card), repr(PaymentRequest(
        amount=Amount(1, "KZT"), reference="r", merchant_account="m", payment_method=card
    ))):  # fmt: skip
        assert "424242******4242" in text
        assert "4242424242424242" not in text
        assert "737" not in text
        assert "cvc" not in text
    wire = unstructure(card)
    assert wire["number"] == "4242424242424242"
    assert wire["cvc"] == "737"


def test_encrypted_card_repr_hides_the_blobs() -> None:
    card = CardDetails(encrypted_card_number="secretblob1", encrypted_security_code="secretblob2")
    assert "secretblob" not in repr(card)
    assert unstructure(card)["encryptedSecurityCode"] == "secretblob2"


def test_generic_details_repr_shows_keys_only() -> None:
    method = PaymentMethodDetails(type="kaspi", data={"phoneNumber": "+77001234567"})
    assert "phoneNumber" in repr(method)
    assert "+77001234567" not in repr(method)


@pytest.mark.parametrize(
    "kwargs", [{}, {"number": "4242424242424242", "encrypted_card_number": "blob"}]
)
def test_card_needs_exactly_one_number(kwargs: dict[str, str]) -> None:
    with pytest.raises(InvalidRequestError, match="exactly one"):
        CardDetails(**kwargs)


def test_create_session_request_wire_dict() -> None:
    request = CreateSessionRequest(
        amount=Amount(10000, "KZT"),
        merchant_account="ShopKZ",
        reference="order-1",
        return_url="https://shop.example/return",
        country_code="KZ",
        expires_at=datetime(2025, 3, 14, 12, 30, tzinfo=UTC),
        mode="hosted",
        store_payment_method_mode="askForConsent",
    )
    assert unstructure(request) == {
        "amount": {"value": 10000, "currency": "KZT"},
        "merchantAccount": "ShopKZ",
        "reference": "order-1",
        "returnUrl": "https://shop.example/return",
        "countryCode": "KZ",
        "expiresAt": "2025-03-14T12:30:00Z",
        "mode": "hosted",
        "storePaymentMethodMode": "askForConsent",
    }


def test_session_response() -> None:
    session = structure(
        {"id": "CSD9CAC34EBAE225DD", "sessionData": "Ab02b4c0!", "expiresAt":
         "2025-03-14T12:30:00+00:00", "amount": {"currency": "KZT", "value": 10000},
         "merchantAccount": "ShopKZ", "merchantId": "M1", "reference": "order-1",
         "returnUrl": "https://shop.example/return", "mode": "hosted",
         "url": "https://checkout.plexypay.com/CSD9", "shopperLocale": "ru-KZ",
         "storePaymentMethodMode": "disabled", "somethingNew": True},
        Session,
    )  # fmt: skip
    assert session.id == "CSD9CAC34EBAE225DD"
    assert session.expires_at == datetime(2025, 3, 14, 12, 30, tzinfo=UTC)
    assert session.amount == Amount(10000, "KZT")
    assert (session.merchant_id, session.mode, session.url) == (
        "M1", "hosted", "https://checkout.plexypay.com/CSD9",
    )  # fmt: skip
    assert session.store_payment_method_mode == "disabled"


def test_session_result() -> None:
    result = structure(
        {"id": "CS1", "status": "completed", "reference": "order-1",
         "payments": [{"amount": {"currency": "KZT", "value": 10000}, "paymentMethod":
                       {"type": "scheme", "brand": "mc"}, "pspReference": "P1",
                       "resultCode": "Authorised"}],
         "additionalData": {"k": "v"}},
        SessionResult,
    )  # fmt: skip
    assert result == SessionResult(
        id="CS1",
        status=SessionStatus.COMPLETED,
        reference="order-1",
        payments=[
            SessionPayment(
                amount=Amount(10000, "KZT"),
                payment_method=PaymentMethodSummary(type="scheme", brand="mc"),
                psp_reference="P1",
                result_code=ResultCode.AUTHORISED,
            )
        ],
        additional_data={"k": "v"},
    )


def test_session_status_unknown_value_is_kept() -> None:
    result = structure({"id": "CS1", "status": "archived"}, SessionResult)
    assert result.status.is_known is False
    assert result.status.value == "archived"


def test_payment_methods_response() -> None:
    response = structure(
        {"paymentMethods": [
            {"name": "Cards", "type": "scheme", "brands": ["visa", "mc"]},
            {"name": "iDEAL", "type": "ideal", "issuers": [{"id": "1121", "name": "Test Bank"}],
             "fundingSource": "debit"},
        ],
         "storedPaymentMethods": [
            {"id": "8415995487234100", "type": "scheme", "brand": "visa", "lastFour": "1111",
             "expiryMonth": "03", "expiryYear": "2030", "holderName": "John Smith",
             "supportedShopperInteractions": ["Ecommerce", "ContAuth"]},
        ]},
        PaymentMethodsResponse,
    )  # fmt: skip
    cards, ideal = response.payment_methods
    assert (cards.type, cards.name, cards.brands) == ("scheme", "Cards", ["visa", "mc"])
    assert ideal.issuers[0].id == "1121"
    assert ideal.issuers[0].disabled is False
    stored = response.stored_payment_methods[0]
    assert (stored.id, stored.last_four, stored.expiry_year) == ("8415995487234100", "1111", "2030")
    assert stored.supported_shopper_interactions == ["Ecommerce", "ContAuth"]


def test_empty_payment_methods_response() -> None:
    response = structure({}, PaymentMethodsResponse)
    assert response.payment_methods == []
    assert response.stored_payment_methods == []


def test_models_all_is_curated() -> None:
    assert sorted(models.__all__) == sorted(set(models.__all__))
    for name in models.__all__:
        assert getattr(models, name) is not None
    assert "PaymentResponse" in models.__all__
    assert "Amount" in models.__all__
