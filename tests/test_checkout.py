"""Checkout v2 operations end to end against the mock server."""

from __future__ import annotations

import pytest

from plexy_async import Amount, CardDetails, PlexyClient, ResultCode, errors
from plexy_async.models.checkout import RedirectAction, SessionStatus
from plexy_async.testing import MockPlexy


def card(number: str, cvc: str = "123") -> CardDetails:
    return CardDetails(number=number, cvc=cvc, expiry_month="03", expiry_year="2030")


async def test_payment_methods_list(client: PlexyClient) -> None:
    methods = await client.payment_methods.list(
        merchant_account="TestMerchant", country_code="KZ", amount=Amount(1000, "KZT")
    )
    scheme = [m for m in methods.payment_methods if m.type == "scheme"]
    assert scheme and "visa" in (scheme[0].brands or [])
    assert methods.meta.request_id and methods.meta.request_id.startswith("req_")
    assert methods.meta.idempotency_key is None  # a read sends no key


async def test_authorised_payment(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    payment = await client.payments.create(
        amount=Amount(10000, "KZT"),
        reference="order-1",
        merchant_account="TestMerchant",
        payment_method=card("4242424242424242"),
        return_url="https://shop.example/return",
    )
    assert payment.result_code is ResultCode.AUTHORISED
    assert payment.amount == Amount(10000, "KZT")
    assert payment.merchant_reference == "order-1"
    assert payment.payment_method is not None and payment.payment_method.brand == "visa"
    assert payment.meta.status == 200
    assert payment.meta.idempotency_key and payment.meta.idempotency_key.startswith("plx_")
    [charge] = mock_plexy.ledger.charges
    assert charge.psp_reference == payment.psp_reference
    assert charge.value == 10000 and charge.currency == "KZT"


@pytest.mark.parametrize(
    ("number", "cvc", "reason"),
    [
        ("4000000000000002", "123", "Refused"),
        ("4000000000009995", "123", "Not enough balance"),
        ("4000000000000069", "123", "Expired Card"),
        ("4242424242424242", "000", "CVC Declined"),
    ],
)
async def test_declines_are_data_not_errors(
    mock_plexy: MockPlexy, client: PlexyClient, number: str, cvc: str, reason: str
) -> None:
    payment = await client.payments.create(
        amount=Amount(500, "KZT"),
        reference="declined",
        merchant_account="TestMerchant",
        payment_method=card(number, cvc),
    )
    assert payment.result_code is ResultCode.REFUSED
    assert payment.refusal_reason == reason
    assert payment.refusal_reason_code
    assert mock_plexy.ledger.charges == []


async def test_three_ds_redirect_completed_by_details(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    started = await client.payments.create(
        amount=Amount(2500, "KZT"),
        reference="3ds-1",
        merchant_account="TestMerchant",
        payment_method=card("4000002500003155"),
        return_url="https://shop.example/return",
    )
    assert started.result_code is ResultCode.REDIRECT_SHOPPER
    assert isinstance(started.action, RedirectAction)
    assert started.action.url and "redirectResult=" in started.action.url
    assert mock_plexy.ledger.charges == []
    assert started.psp_reference is not None
    redirect_result = mock_plexy.redirect_result_for(started.psp_reference)
    done = await client.payments.details(details={"redirectResult": redirect_result})
    assert done.result_code is ResultCode.AUTHORISED
    assert done.psp_reference == started.psp_reference
    assert len(mock_plexy.ledger.charges) == 1


async def test_invalid_card_number_is_a_422(client: PlexyClient) -> None:
    with pytest.raises(errors.UnprocessableEntityError) as caught:
        await client.payments.create(
            amount=Amount(500, "KZT"),
            reference="bad-card",
            merchant_account="TestMerchant",
            payment_method=card("4242424242424241"),
        )
    assert caught.value.detail.param == "paymentMethod.number"


async def test_sessions_create_and_result(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    session = await client.sessions.create(
        amount=Amount(7000, "KZT"),
        merchant_account="TestMerchant",
        reference="session-1",
        return_url="https://shop.example/return",
        country_code="KZ",
    )
    assert session.id.startswith("CS")
    assert session.expires_at is not None and session.expires_at.tzinfo is not None
    assert session.session_data
    result = await client.sessions.result(session.id, session_result="opaque")
    assert result.status is SessionStatus.ACTIVE
    mock_plexy.complete_session(session.id, card="4242424242424242")
    result = await client.sessions.result(session.id, session_result="opaque")
    assert result.status is SessionStatus.COMPLETED
    assert len(result.payments) == 1
    assert result.payments[0].result_code is ResultCode.AUTHORISED


async def test_unknown_session_is_not_found(client: PlexyClient) -> None:
    with pytest.raises(errors.NotFoundError):
        await client.sessions.result("CS_missing", session_result="x")


async def test_bad_arguments_fail_before_the_wire(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    with pytest.raises(errors.InvalidRequestError, match="no_such_field"):
        await client.payments.create(
            amount=Amount(1, "KZT"),
            reference="x",
            merchant_account="m",
            payment_method=card("4242424242424242"),
            no_such_field=1,
        )
    with pytest.raises(errors.InvalidRequestError):
        await client.sessions.result("", session_result="x")
    with pytest.raises(errors.InvalidRequestError):
        await client.sessions.result("CS1", session_result="")
    with pytest.raises(ValueError, match="currency"):
        Amount(100, "kzt")
    with pytest.raises(ValueError, match="currency"):
        Amount(100, "KZT\n")
    with pytest.raises(errors.InvalidRequestError):
        Amount(10.5, "KZT")  # type: ignore[arg-type]
    assert mock_plexy.ledger.requests == []


async def test_wrong_key_is_an_authentication_error(mock_plexy: MockPlexy) -> None:
    async with PlexyClient(api_key="sk_wrong", base_url=mock_plexy.url) as client:
        with pytest.raises(errors.AuthenticationError) as caught:
            await client.payment_methods.list(merchant_account="TestMerchant")
    assert caught.value.detail.type == "authentication_error"
    assert caught.value.attempts == 1
