"""ISO 4217 currency codes: one source (the ``iso4217`` package, through ``models.currency``) for
the client, the mock server and the batch input; lenient on what a response carries."""

from __future__ import annotations

import asyncio
import json
import re
import string
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import iso4217
import pytest
import pytest_asyncio
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from plexy_async import Amount, CardDetails, PlexyClient, RetryPolicy, errors
from plexy_async._core.converter import structure
from plexy_async.batch import BatchItem, InvalidItem
from plexy_async.batch._input import InputFile
from plexy_async.models import PaymentResponse, ResultCode, currency_exponent
from plexy_async.models.currency import (
    CURRENCY_CODES,
    MINOR_UNIT_EXPONENTS,
    is_currency_code_shape,
    is_iso_currency,
    minor_unit_exponent,
)
from plexy_async.models.direct_payments import CardData
from plexy_async.testing import MockPlexy
from plexy_async.webhooks import parse_notification

ALL_CODES = sorted(CURRENCY_CODES)
FAST_RETRY = RetryPolicy(initial_delay=0.01, max_delay=0.05)
MERCHANT = "TestMerchant"
CARD = {
    "card_number": "4242424242424242",
    "cvc": "737",
    "expiry_month": "03",
    "expiry_year": "2030",
}

#: Three upper-case letters that ISO 4217 does not have: the shape of a code, but none.
non_codes = st.text(string.ascii_uppercase, min_size=3, max_size=3).filter(
    lambda code: code not in CURRENCY_CODES
)
#: Strings that are not even shaped like a code.
malformed = st.one_of(
    st.sampled_from(ALL_CODES).map(str.lower),
    st.sampled_from(ALL_CODES).map(str.title),
    st.sampled_from(ALL_CODES).map(lambda code: code + "\n"),
    st.text(string.ascii_uppercase, max_size=2),
    st.text(string.ascii_uppercase, min_size=4, max_size=8),
    st.text(min_size=3, max_size=3).filter(lambda s: re.fullmatch("[A-Z]{3}", s) is None),
)


def card(number: str = "4242424242424242") -> CardDetails:
    return CardDetails(number=number, cvc="737", expiry_month="03", expiry_year="2030")


def pay_card() -> CardData:
    return CardData(number="4242424242424242", expiry_month="03", expiry_year="2030", cvc="123")


# --- the source -----------------------------------------------------------------------------------


def test_the_codes_and_exponents_are_the_packages_for_every_code() -> None:
    package = {currency.code: currency.exponent for currency in iso4217.Currency}
    assert set(package) == CURRENCY_CODES == set(MINOR_UNIT_EXPONENTS)
    assert len(CURRENCY_CODES) > 150
    for code, exponent in package.items():
        # ISO says "N.A." (exponent None) for gold, the SDR, XXX: no minor unit, whole units.
        assert minor_unit_exponent(code) == (0 if exponent is None else exponent), code
        assert currency_exponent(code) == minor_unit_exponent(code)
        assert is_iso_currency(code) and is_currency_code_shape(code)


@pytest.mark.parametrize(
    ("code", "exponent"),
    [
        ("JPY", 0),
        ("KWD", 3),
        ("KZT", 2),
        ("USD", 2),
        ("EUR", 2),
        ("CLF", 4),
        ("XAU", 0),
        ("XXX", 0),
    ],
)
def test_known_exponents(code: str, exponent: int) -> None:
    assert minor_unit_exponent(code) == exponent


def test_amounts_show_in_major_units_by_the_exponent() -> None:
    assert str(Amount(10000, "KZT")) == "100.00 KZT"
    assert str(Amount(10000, "JPY")) == "10000 JPY"
    assert str(Amount(10005, "KWD")) == "10.005 KWD"
    assert str(Amount(7, "XAU")) == "7 XAU"
    assert str(Amount(150, "XYZ")) == "1.50 XYZ"  # unknown (from a response): 2 decimals


def test_retired_codes_are_not_codes_any_more() -> None:
    # The maintained list: Bulgaria's lev left ISO 4217 with the euro (2026), the Netherlands
    # Antillean guilder with the Caribbean guilder (XCG, 2025).
    assert not is_iso_currency("BGN") and not is_iso_currency("ANG")
    assert is_iso_currency("XCG") and is_iso_currency("EUR")


@settings(max_examples=200)
@given(st.one_of(non_codes, malformed))
def test_minor_unit_exponent_refuses_what_iso_4217_does_not_have(code: str) -> None:
    assert not is_iso_currency(code)
    with pytest.raises(errors.InvalidRequestError, match="currency") as caught:
        minor_unit_exponent(code)
    assert isinstance(caught.value, ValueError)
    assert currency_exponent(code) == 2


@settings(max_examples=300)
@given(st.text(max_size=5))
def test_the_shape_of_a_code_is_three_upper_case_ascii_letters(text: str) -> None:
    assert is_currency_code_shape(text) == (re.fullmatch(r"[A-Z]{3}", text) is not None)
    assert is_iso_currency(text) == (text in CURRENCY_CODES)


def test_only_exact_strings_are_codes() -> None:
    class Sneaky(str):
        pass

    for value in (Sneaky("KZT"), b"KZT", None, 398, ["KZT"]):
        assert not is_iso_currency(value) and not is_currency_code_shape(value)


# --- every ISO 4217 code is accepted everywhere ---------------------------------------------------


@pytest_asyncio.fixture
async def client(mock_plexy: MockPlexy) -> AsyncIterator[PlexyClient]:
    async with PlexyClient(
        api_key=mock_plexy.api_key, base_url=mock_plexy.url, retry=FAST_RETRY
    ) as plexy:
        yield plexy


async def test_every_code_is_authorised_through_the_client_and_the_mock(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    for code in ALL_CODES:
        payment = await client.payments.create(
            amount=Amount(1000, code),
            reference=f"order-{code}",
            merchant_account=MERCHANT,
            payment_method=card(),
        )
        assert payment.result_code is ResultCode.AUTHORISED, code
        assert payment.amount == Amount(1000, code)
    assert [charge.currency for charge in mock_plexy.ledger.charges] == ALL_CODES
    assert [r.status for r in mock_plexy.ledger.requests] == [200] * len(ALL_CODES)


async def test_every_code_is_taken_by_the_pay_api_too(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    for code in ALL_CODES:
        result = await client.direct_payments.create(amount=1000, currency=code, card=pay_card())
        assert result.currency == code and result.id in mock_plexy.pay.transactions, code
    held = sorted(txn["currency"] for txn in mock_plexy.pay.transactions.values())
    assert held == ALL_CODES


def test_every_code_is_accepted_by_the_batch_input(tmp_path: Path) -> None:
    path = tmp_path / "input.jsonl"
    lines = [
        {"reference": f"o-{code}", "amount": 100, "currency": code, **CARD} for code in ALL_CODES
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    items = list(InputFile(path, "payments.create", defaults={"merchant_account": MERCHANT}))
    assert all(isinstance(item, BatchItem) for item in items), items
    assert [item.params["amount"] for item in items if isinstance(item, BatchItem)] == [
        Amount(100, code) for code in ALL_CODES
    ]


def test_the_batch_input_reads_a_code_in_any_case(tmp_path: Path) -> None:
    path = tmp_path / "input.csv"
    path.write_text("reference,amount,currency,card_number\no-1,100,kzt,4242424242424242\n")
    [item] = InputFile(path, "payments.create", defaults={"merchant_account": MERCHANT})
    assert isinstance(item, BatchItem) and item.params["amount"] == Amount(100, "KZT")


# --- a code ISO 4217 does not have is refused everywhere ------------------------------------------


async def _refused_by_the_client(code: str) -> None:
    """Every call that carries an ``Amount`` refuses ``code`` before sending anything."""
    async with MockPlexy() as mock, PlexyClient(api_key=mock.api_key, base_url=mock.url) as plexy:
        amount = Amount(1000, code)  # the shape of a code: a response could carry it
        calls = [
            plexy.payments.create(
                amount=amount, reference="o-1", merchant_account=MERCHANT, payment_method=card()
            ),
            plexy.sessions.create(
                amount=amount,
                reference="o-1",
                merchant_account=MERCHANT,
                return_url="https://shop.example/return",
            ),
            plexy.payment_methods.list(merchant_account=MERCHANT, amount=amount),
            plexy.direct_payments.create(amount=1000, currency=code, card=pay_card()),
        ]
        for call in calls:
            with pytest.raises(errors.InvalidRequestError, match="ISO 4217") as caught:
                await call
            assert isinstance(caught.value, ValueError)
            assert code in str(caught.value) and "currency" in str(caught.value)
        assert mock.ledger.requests == [] and mock.ledger.charges == []


async def _refused_by_the_mock(code: Any) -> None:
    """The mock itself, sent a raw request, answers 422 in each surface's error shape."""
    async with MockPlexy() as mock, aiohttp.ClientSession() as http:
        checkout = {
            "amount": {"value": 1000, "currency": code},
            "reference": "o-1",
            "merchantAccount": MERCHANT,
            "paymentMethod": {"type": "scheme", **card_json()},
        }
        for path in ("/v2/payments", "/v2/sessions", "/v2/paymentMethods"):
            body = {**checkout, "returnUrl": "https://shop.example/return"}
            async with http.post(
                mock.url + path, json=body, headers={"x-api-key": mock.api_key}
            ) as response:
                assert response.status == 422, (path, code)
                error = (await response.json())["error"]
            assert (error["code"], error["param"]) == ("parameter_invalid", "amount.currency")
            assert "ISO 4217" in error["message"]
        pay = {"amount": 1000, "currency": code, "card": card_json()}
        async with http.post(
            mock.url + "/v1/payments/direct", json=pay, headers={"Authorization": mock.api_key}
        ) as response:
            assert response.status == 422, code
            error = await response.json()
        assert (error["code"], error["type"], error["source"]) == (5, "validationError", "currency")
        assert mock.ledger.charges == [] and mock.pay.transactions == {}


def card_json() -> dict[str, str]:
    return {"number": "4242424242424242", "expiryMonth": "03", "expiryYear": "2030", "cvc": "737"}


def _refused_by_the_batch_input(code: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.jsonl"
        line = {"reference": "o-1", "amount": 100, "currency": code, **CARD}
        path.write_text(json.dumps(line) + "\n")
        [item] = InputFile(path, "payments.create", defaults={"merchant_account": MERCHANT})
    assert isinstance(item, InvalidItem)
    assert item.reason == f"line 1: unknown currency {code!r}"


@settings(max_examples=25, deadline=None)
@given(non_codes)
def test_a_code_iso_4217_does_not_have_is_refused_everywhere(code: str) -> None:
    asyncio.run(_refused_by_the_client(code))
    asyncio.run(_refused_by_the_mock(code))
    _refused_by_the_batch_input(code)


@settings(max_examples=25, deadline=None)
@given(malformed)
def test_a_malformed_code_is_refused_by_amount_and_the_mock(code: str) -> None:
    with pytest.raises(errors.InvalidRequestError, match=r"Amount\.currency"):
        Amount(1000, code)
    asyncio.run(_refused_by_the_mock(code))


@pytest.mark.parametrize("value", [398, None, ["KZT"], {"code": "KZT"}, True])
async def test_the_mock_refuses_a_currency_that_is_no_string(value: Any) -> None:
    async with MockPlexy() as mock, aiohttp.ClientSession() as http:
        body = {
            "amount": {"value": 1000, "currency": value},
            "reference": "o-1",
            "merchantAccount": MERCHANT,
            "paymentMethod": {"type": "scheme", **card_json()},
        }
        async with http.post(
            mock.url + "/v2/payments", json=body, headers={"x-api-key": mock.api_key}
        ) as response:
            assert response.status in (400, 422)
            assert (await response.json())["error"]["param"] == "amount.currency"
        assert mock.ledger.charges == []


# --- what a response carries: the shape is enough ------------------------------------------------


async def test_a_response_in_a_currency_iso_4217_lacks_still_parses() -> None:
    """A server may support a currency before the installed ISO 4217 data lists it: the money
    already moved, so the answer must be readable."""
    answer = {"resultCode": "Authorised", "pspReference": "P1", "amount": {}}

    async def payments(request: web.Request) -> web.Response:
        body = await request.json()
        answer["amount"] = {"value": body["amount"]["value"], "currency": "QQQ"}
        return web.json_response(answer)

    app = web.Application()
    app.router.add_post("/v2/payments", payments)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        async with PlexyClient(api_key="sk_x", base_url=f"http://127.0.0.1:{port}") as plexy:
            payment = await plexy.payments.create(
                amount=Amount(1000, "KZT"),
                reference="o-1",
                merchant_account=MERCHANT,
                payment_method=card(),
            )
    finally:
        await runner.cleanup()
    assert payment.amount == Amount(1000, "QQQ") and str(payment.amount) == "10.00 QQQ"


@settings(max_examples=200)
@given(st.one_of(non_codes, st.sampled_from(ALL_CODES)), st.integers(0, 10**12))
def test_any_well_formed_code_in_a_response_parses(code: str, value: int) -> None:
    doc = {"resultCode": "Authorised", "amount": {"value": value, "currency": code}}
    assert structure(doc, PaymentResponse).amount == Amount(value, code)


@settings(max_examples=100)
@given(malformed)
def test_a_malformed_code_in_a_response_is_a_response_validation_error(code: str) -> None:
    doc = {"resultCode": "Authorised", "amount": {"value": 1, "currency": code}}
    with pytest.raises(errors.ResponseValidationError, match=r"amount\b.*currency"):
        structure(doc, PaymentResponse)


def test_a_webhook_in_a_currency_iso_4217_lacks_still_parses() -> None:
    item = {
        "pspReference": "P1",
        "merchantAccountCode": MERCHANT,
        "eventCode": "AUTHORISATION",
        "success": "true",
        "amount": {"value": 500, "currency": "QQQ"},
    }
    doc = {"live": "false", "notificationItems": [{"NotificationRequestItem": item}]}
    [parsed] = parse_notification(json.dumps(doc).encode()).items
    assert parsed.amount == Amount(500, "QQQ")
