"""Pay API merchant details, and the mock's error discipline on every route of this half of the
Pay API: bad input gets the Pay API error shape and a 4xx, never a 500."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from plexy_async import PlexyClient, errors
from plexy_async._core.routes import route
from plexy_async.models.merchant import MerchantStatus
from plexy_async.testing import MockPlexy
from plexy_async.testing._pay import _beneficiaries, _merchant


async def test_retrieve_merchant_details(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    _merchant.set_merchant_balance(mock_plexy.pay, 123_456)
    merchant = await client.merchant.retrieve()
    assert merchant.id == mock_plexy.pay.merchant["id"]
    assert merchant.name == "Mock Merchant" and merchant.status is MerchantStatus.ACTIVE
    assert (merchant.balance, merchant.currency) == (123_456, "KZT")
    assert merchant.settings is not None and merchant.settings.auto_clearing is True
    assert merchant.settings.payouts_enabled is True
    assert merchant.meta.idempotency_key is None and merchant.meta.status == 200


async def test_the_pay_api_takes_the_raw_key(mock_plexy: MockPlexy) -> None:
    async with PlexyClient(api_key="sk_wrong", base_url=mock_plexy.url) as wrong:
        with pytest.raises(errors.AuthenticationError) as caught:
            await wrong.merchant.retrieve()
    assert caught.value.detail.type == "apiError"  # the Pay API shape, not Checkout's
    async with aiohttp.ClientSession() as session:
        bearer = {"Authorization": f"Bearer {mock_plexy.api_key}"}
        async with session.get(mock_plexy.url + "/v1/merchant", headers=bearer) as response:
            assert response.status == 401
        raw = {"Authorization": mock_plexy.api_key}
        async with session.get(mock_plexy.url + "/v1/merchant", headers=raw) as response:
            assert response.status == 200


#: Bodies every write of this half refuses (``{}`` is a valid manual settlement: all of it).
COMMON_BAD: list[Any] = [
    "not json",
    [],
    None,
    {},
    {"amount": "100", "currency": "KZT"},
    {"amount": 100.5, "currency": "KZT"},
    {"amount": True, "currency": "KZT"},
    {"amount": -1, "currency": "kzt"},
]


def route_bad(name: str, ben: str) -> list[Any]:
    """Bodies that get past the common checks of route ``name`` but are still wrong."""
    money = {"amount": 1, "currency": "KZT"}
    return {
        "customers.create": [{"name": 5}, {"name": " "}, {"name": "x", "metadata": "x"},
                             {"name": "x", "email": "nope"}],
        "payouts.save_card": [
            {"cardNumber": "4242", "expiryMonth": "12", "expiryYear": "2030"},
            {"cardNumber": "4242424242424242", "expiryMonth": "ab", "expiryYear": "2030"},
            {"cardNumber": 4242424242424242, "expiryMonth": "12", "expiryYear": "2030"},
        ],
        "payouts.process": [{**money, "cardTokenId": 1}, {**money, "cardTokenId": "ct_x"},
                            {**money, "cardTokenId": "ct_x", "currency": "KZ"}],
        "split_requests.create": [
            {**money, "shares": "all"},
            {**money, "shares": [1, None]},
            {**money, "shares": [{"beneficiaryId": 7, "amount": 1}]},
            {**money, "shares": [{"beneficiaryId": ben, "amount": 1, "percentage": 5}]},
            {**money, "shares": [{"beneficiaryId": ben, "percentage": "5"}]},
            {**money, "shares": [{"beneficiaryId": ben, "amount": 2}]},
            {**money, "shares": [{"beneficiaryId": ben, "amount": 1}], "transactionId": 5},
        ],
        "split_requests.update": [{"shares": "all"}, {"orderReference": 1},
                                  {"shares": [{"beneficiaryId": ben, "amount": 101}]}],
        "beneficiaries.create": [{"name": 5, "iban": "x"}, {"name": "x", "iban": None},
                                 {"name": "x", "iban": "KZ86125KZT5004100100", "currency": 1}],
        "beneficiaries.update": [{"status": 3}, {"status": "frozen"}, {"metadata": "x"},
                                 {"iban": "bad"}, {"name": 5}],
        "beneficiaries.transfer_to_merchant": [{"amount": 1, "description": 5},
                                               {"amount": 1_001}, {**money, "currency": "USD"}],
        "beneficiaries.manual_settlement": [{"amount": 1_001}, {"description": 5},
                                            {"currency": "USD"}, {"requestId": 9}],
        "settlement_orders.create": [{**money, "beneficiaryId": "ben_x"},
                                     {**money, "beneficiaryId": ben, "requestId": 9},
                                     {**money, "beneficiaryId": ben}],  # merchant balance 0
    }[name]  # fmt: skip


WRITES = [
    "customers.create",
    "payouts.save_card",
    "payouts.process",
    "split_requests.create",
    "split_requests.update",
    "beneficiaries.create",
    "beneficiaries.update",
    "beneficiaries.transfer_to_merchant",
    "beneficiaries.manual_settlement",
    "settlement_orders.create",
]


@pytest.mark.parametrize("name", WRITES)
async def test_bad_bodies_get_4xx_in_the_pay_shape(mock_plexy: MockPlexy, name: str) -> None:
    pay = mock_plexy.pay
    ben = _beneficiaries.add_beneficiary(pay, balance=1_000)["id"]
    spl = "spl_x"
    pay.splits[spl] = {"id": spl, "amount": 100, "currency": "KZT", "status": "pending",
                       "shares": []}  # fmt: skip
    before = {key: dict(value) for key, value in pay.beneficiaries.items()}
    spec = route(name)
    path = spec.format(split_id=spl, beneficiary_id=ben) if "{" in spec.path else spec.full_path
    bodies = [*COMMON_BAD, *route_bad(name, ben)]
    if name == "beneficiaries.manual_settlement":
        bodies.remove({})
    headers = {"Authorization": mock_plexy.api_key}
    async with aiohttp.ClientSession() as session:
        for body in bodies:
            data = body if isinstance(body, str) else json.dumps(body)
            async with session.request(
                spec.method, mock_plexy.url + path, data=data, headers=headers
            ) as response:
                doc = await response.json()
                assert response.status in (400, 404, 409, 422), (body, response.status, doc)
                assert set(doc) == {"code", "message", "source", "type"}, doc
                assert doc["code"] == {400: 3, 404: 4, 409: 3, 422: 5}[response.status]
    assert pay.beneficiaries == before  # nothing was created, changed or moved
    assert _merchant.merchant_balance(pay) == 0
    assert pay.customers == {} and pay.card_tokens == {} and pay.payouts == {}
    assert pay.settlement_orders == {} and list(pay.splits) == [spl]
    assert pay.splits[spl]["shares"] == []


@pytest.mark.parametrize(
    "path",
    ["/v1/customers", "/v1/payouts/transactions", "/v1/split-requests",
     "/v1/payment-beneficiaries", "/v1/merchants/settlement-payment-orders"],
)  # fmt: skip
async def test_bad_page_parameters_are_400(mock_plexy: MockPlexy, path: str) -> None:
    headers = {"Authorization": mock_plexy.api_key}
    async with aiohttp.ClientSession() as session:
        for query in ("page=0", "size=0", "size=501", "page=x"):
            async with session.get(f"{mock_plexy.url}{path}?{query}", headers=headers) as r:
                assert r.status == 400 and (await r.json())["code"] == 3
