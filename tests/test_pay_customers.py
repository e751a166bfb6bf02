"""Pay API customers end to end against the mock server: create, list, retrieve, card tokens,
transactions."""

from __future__ import annotations

import json

import pytest

from plexy_async import PlexyClient, errors
from plexy_async.models.customers import CardToken, Customer
from plexy_async.models.transactions import TransactionStatus
from plexy_async.testing import MockPlexy
from plexy_async.testing._pay import _customers


async def test_create_and_retrieve(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    created = await client.customers.create(
        name="Aigerim N.", email="aigerim@example.kz", phone="+77001234567",
        external_id="user-42", metadata={"tier": "gold"},
    )  # fmt: skip
    assert created.id.startswith("cus_")
    assert created.meta.status == 201
    assert created.meta.idempotency_key  # a create carries a key
    assert mock_plexy.pay.customers[created.id]["externalId"] == "user-42"
    fetched = await client.customers.retrieve(created.id)
    assert fetched == created
    assert fetched.metadata == {"tier": "gold"} and fetched.created_at is not None
    [post] = mock_plexy.ledger.requests_to("POST", "/v1/customers")
    assert post.idempotency_key == created.meta.idempotency_key


async def test_bad_arguments_are_refused_before_sending(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    with pytest.raises(errors.InvalidRequestError, match="name"):
        await client.customers.create(name="  ")
    with pytest.raises(errors.InvalidRequestError, match="customer_id"):
        await client.customers.retrieve("")
    assert mock_plexy.ledger.requests == []


async def test_mock_refuses_a_bad_email_with_422(client: PlexyClient) -> None:
    with pytest.raises(errors.UnprocessableEntityError) as caught:
        await client.customers.create(name="X", email="not-an-email")
    assert caught.value.detail.code == "5" and caught.value.detail.type == "validationError"
    assert caught.value.detail.param == "email"


async def test_unknown_customer_is_404_in_the_pay_shape(client: PlexyClient) -> None:
    with pytest.raises(errors.NotFoundError) as caught:
        await client.customers.retrieve("cus_missing")
    assert caught.value.status == 404
    assert caught.value.detail.code == "4" and caught.value.detail.type == "apiError"
    with pytest.raises(errors.NotFoundError):
        await client.customers.card_tokens("cus_missing")
    with pytest.raises(errors.NotFoundError):
        await client.customers.transactions("cus_missing").page()


async def test_list_is_lazy_and_paginated(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    for i in range(5):
        await client.customers.create(name=f"c{i}", email=f"c{i}@example.kz")
    mock_plexy.ledger.reset()
    paginator = client.customers.list(page_size=2)
    assert mock_plexy.ledger.requests == []  # nothing is fetched before iterating
    names = [c.name async for c in paginator]
    assert names == ["c0", "c1", "c2", "c3", "c4"]
    assert paginator.pages_fetched == 3
    gets = mock_plexy.ledger.requests_to("GET", "/v1/customers")
    assert len(gets) == 3 and all(r.idempotency_key is None for r in gets)
    page = await client.customers.list(page_size=2).page(3)
    assert (page.page, page.size, page.total) == (3, 2, 5)
    assert [c.name for c in page.data] == ["c4"] and not page.has_more
    assert all(isinstance(c, Customer) for c in page.data)


async def test_list_filters_by_email(client: PlexyClient) -> None:
    await client.customers.create(name="a", email="a@example.kz")
    b = await client.customers.create(name="b", email="b@example.kz")
    found = [c async for c in client.customers.list(email="b@example.kz")]
    assert [c.id for c in found] == [b.id]


async def test_card_tokens_never_hold_the_number(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    customer = await client.customers.create(name="Card Holder")
    assert len(await client.customers.card_tokens(customer.id)) == 0
    saved = await client.payouts.save_card(
        card_number="5555555555554444", expiry_month="03", expiry_year="2031",
        holder_name="CARD HOLDER", customer_id=customer.id,
    )  # fmt: skip
    _customers.add_card_token(mock_plexy.pay, customer.id, "4242424242424242")
    tokens = await client.customers.card_tokens(customer.id)
    assert next(iter(tokens)).id == saved.id
    assert [(t.last4, t.brand) for t in tokens] == [("4444", "mastercard"), ("4242", "visa")]
    assert all(isinstance(t, CardToken) and t.customer_id == customer.id for t in tokens)
    assert tokens.meta.status == 200
    state = json.dumps(mock_plexy.pay.card_tokens)
    assert "5555555555554444" not in state and "4242424242424242" not in state


async def test_transactions_are_the_customers_own(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    mine = await client.customers.create(name="Mine")
    other = await client.customers.create(name="Other")
    ids = [
        _customers.add_customer_transaction(mock_plexy.pay, mine.id, amount)["id"]
        for amount in (1000, 2500, 990)
    ]
    _customers.add_customer_transaction(mock_plexy.pay, other.id, 5000)
    _customers.add_customer_transaction(
        mock_plexy.pay,
        mine.id,
        700,
        status="refunded",
        customerId=mine.id,  # not wrapped
    )
    seen = [t async for t in client.customers.transactions(mine.id, page_size=2)]
    assert [t.id for t in seen[:3]] == ids
    assert [t.amount for t in seen] == [1000, 2500, 990, 700]
    assert [t.status for t in seen] == [TransactionStatus.CHARGED] * 3 + [
        TransactionStatus.REFUNDED
    ]
    assert all(t.customer_id == mine.id for t in seen)  # {"Value": ...} unwrapped
    assert all(t.currency == "KZT" for t in seen)
