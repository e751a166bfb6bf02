"""Pay API payouts end to end against the mock server: save card, process, list; the merchant
balance is checked after every money move."""

from __future__ import annotations

from typing import Any

import pytest

from plexy_async import PlexyClient, errors
from plexy_async.models.payouts import PayoutStatus, SaveCardRequest
from plexy_async.testing import Fault, MockPlexy
from plexy_async.testing._pay import _merchant

PAYOUTS = ("POST", "/v1/payouts")


async def saved_card(client: PlexyClient, number: str = "4242424242424242") -> str:
    card = await client.payouts.save_card(
        card_number=number, expiry_month="12", expiry_year="2030", holder_name="A. SEITOV"
    )
    return card.id


def balance(mock: MockPlexy) -> int:
    return _merchant.merchant_balance(mock.pay)


async def test_save_card_returns_a_token(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    card = await client.payouts.save_card(
        card_number="4242 4242 4242 4242", expiry_month="7", expiry_year="31"
    )
    assert card.id.startswith("ct_") and card.meta.status == 201
    assert (card.last4, card.brand, card.expiry_month, card.expiry_year) == (
        "4242", "visa", "07", "2031",
    )  # fmt: skip
    assert card.customer_id is None
    assert "4242424242424242" not in str(mock_plexy.pay.card_tokens)


def test_save_card_request_repr_masks_the_number() -> None:
    request = SaveCardRequest(card_number="4242424242424242", expiry_month="12", expiry_year="30")
    assert "4242424242424242" not in repr(request) and "424242******4242" in repr(request)


@pytest.mark.parametrize(
    ("number", "month", "year", "param"),
    [
        ("4242424242424241", "12", "2030", "cardNumber"),  # Luhn-invalid
        ("4242424242424242", "01", "2020", "expiryYear"),  # expired
        ("4242424242424242", "13", "2030", "expiryMonth"),
    ],
)
async def test_save_card_refuses_bad_cards_with_422(
    mock_plexy: MockPlexy, client: PlexyClient, number: str, month: str, year: str, param: str
) -> None:
    with pytest.raises(errors.UnprocessableEntityError) as caught:
        await client.payouts.save_card(card_number=number, expiry_month=month, expiry_year=year)
    assert caught.value.detail.param == param and caught.value.detail.code == "5"
    assert mock_plexy.pay.card_tokens == {}


async def test_save_card_for_an_unknown_customer_is_404(client: PlexyClient) -> None:
    with pytest.raises(errors.NotFoundError):
        await client.payouts.save_card(
            card_number="4242424242424242", expiry_month="12", expiry_year="2030",
            customer_id="cus_missing",
        )  # fmt: skip


async def test_payout_debits_the_merchant_balance(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    _merchant.set_merchant_balance(mock_plexy.pay, 100_000)
    token = await saved_card(client)
    payout = await client.payouts.process(
        amount=30_000, currency="KZT", card_token_id=token,
        order_reference="withdrawal-1", description="seller withdrawal",
    )  # fmt: skip
    assert payout.id.startswith("po_")
    assert payout.status is PayoutStatus.PAID
    assert (payout.amount, payout.currency, payout.last4) == (30_000, "KZT", "4242")
    assert payout.order_reference == "withdrawal-1" and payout.processed_at is not None
    assert balance(mock_plexy) == 70_000
    assert (await client.merchant.retrieve()).balance == 70_000
    assert mock_plexy.pay.payouts[payout.id]["cardTokenId"] == token


async def test_payout_above_the_balance_is_422_and_moves_nothing(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    _merchant.set_merchant_balance(mock_plexy.pay, 10_000)
    token = await saved_card(client)
    with pytest.raises(errors.UnprocessableEntityError) as caught:
        await client.payouts.process(amount=10_001, currency="KZT", card_token_id=token)
    assert caught.value.detail.type == "validationError"
    assert "insufficient merchant balance" in (caught.value.detail.message or "")
    assert caught.value.attempts == 1  # a 422 is final
    assert balance(mock_plexy) == 10_000 and mock_plexy.pay.payouts == {}
    # the whole balance is fine
    await client.payouts.process(amount=10_000, currency="KZT", card_token_id=token)
    assert balance(mock_plexy) == 0


async def test_payout_wrong_state_errors(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    _merchant.set_merchant_balance(mock_plexy.pay, 50_000)
    token = await saved_card(client)
    with pytest.raises(errors.NotFoundError) as missing:
        await client.payouts.process(amount=100, currency="KZT", card_token_id="ct_missing")
    assert missing.value.detail.param == "cardTokenId"
    with pytest.raises(errors.UnprocessableEntityError) as currency:
        await client.payouts.process(amount=100, currency="USD", card_token_id=token)
    assert currency.value.detail.param == "currency"
    mock_plexy.pay.merchant["settings"]["payoutsEnabled"] = False
    with pytest.raises(errors.UnprocessableEntityError):
        await client.payouts.process(amount=100, currency="KZT", card_token_id=token)
    assert balance(mock_plexy) == 50_000 and mock_plexy.pay.payouts == {}


@pytest.mark.parametrize("amount", [0, -5, 10.5, True])
async def test_bad_amounts_are_refused_before_sending(
    mock_plexy: MockPlexy, client: PlexyClient, amount: Any
) -> None:
    with pytest.raises(errors.InvalidRequestError, match="amount"):
        await client.payouts.process(amount=amount, currency="KZT", card_token_id="ct_x")
    with pytest.raises(errors.InvalidRequestError, match="unexpected keyword"):
        await client.payouts.process(amount=1, currency="KZT", card_token_id="ct_x", amout=2)
    assert mock_plexy.ledger.requests == []


async def test_a_retried_payout_pays_once(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    _merchant.set_merchant_balance(mock_plexy.pay, 100_000)
    token = await saved_card(client)
    mock_plexy.faults.add(*PAYOUTS, Fault.drop_after_commit())
    payout = await client.payouts.process(amount=40_000, currency="KZT", card_token_id=token)
    posts = mock_plexy.ledger.requests_to(*PAYOUTS)
    assert len(posts) == 2 and posts[0].idempotency_key == posts[1].idempotency_key
    assert posts[1].replayed
    assert payout.meta.attempts == 2
    assert list(mock_plexy.pay.payouts) == [payout.id]
    assert balance(mock_plexy) == 60_000  # debited once


async def test_same_key_twice_replays_the_payout(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    _merchant.set_merchant_balance(mock_plexy.pay, 100_000)
    token = await saved_card(client)
    first = await client.payouts.process(
        amount=1_000, currency="KZT", card_token_id=token, idempotency_key="payout-order-7"
    )
    again = await client.payouts.process(
        amount=1_000, currency="KZT", card_token_id=token, idempotency_key="payout-order-7"
    )
    assert again.id == first.id and balance(mock_plexy) == 99_000
    with pytest.raises(errors.ConflictError):  # same key, other amount
        await client.payouts.process(
            amount=2_000, currency="KZT", card_token_id=token, idempotency_key="payout-order-7"
        )
    assert balance(mock_plexy) == 99_000


async def test_list_payout_transactions(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    _merchant.set_merchant_balance(mock_plexy.pay, 100_000)
    token = await saved_card(client)
    made = [
        (await client.payouts.process(amount=a, currency="KZT", card_token_id=token)).id
        for a in (100, 200, 300)
    ]
    paginator = client.payouts.list(page_size=2)
    assert [p.id async for p in paginator] == made and paginator.pages_fetched == 2
    paid = await client.payouts.list(status=PayoutStatus.PAID).page()
    assert paid.total == 3 and [p.amount for p in paid.data] == [100, 200, 300]
    assert (await client.payouts.list(status="failed").page()).total == 0
