"""A Pay API payment end to end: payment link -> charged transaction -> refunds."""

from __future__ import annotations

import pytest

from plexy_async import PlexyClient, errors
from plexy_async._core.converter import unstructure
from plexy_async.models.payment_links import PaymentLinkStatus
from plexy_async.models.payment_management import RefundPaymentRequest
from plexy_async.models.transactions import TransactionStatus
from plexy_async.testing import MockPlexy


async def _charged(mock: MockPlexy, client: PlexyClient, amount: int = 10000) -> str:
    link = await client.payment_links.create(
        amount=amount, currency="KZT", order_reference="ORD-REFUND", description="Flow"
    )
    assert link.status is PaymentLinkStatus.ACTIVE
    mock.pay_link(link.id, card="4242424242424242")
    paid = await client.payment_links.retrieve(link.id)
    assert paid.status is PaymentLinkStatus.PAID
    txn = await client.transactions.by_payment_link(link.id)
    assert txn.status is TransactionStatus.CHARGED
    assert (txn.amount, txn.balance, txn.currency) == (amount, amount, "KZT")
    assert txn.payment_link_id == link.id
    return txn.id


async def test_link_to_charge_to_two_partial_refunds(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    txn_id = await _charged(mock_plexy, client)
    [charge] = mock_plexy.ledger.charges
    assert (charge.psp_reference, charge.value, charge.reference) == (txn_id, 10000, "ORD-REFUND")

    first = await client.payments.refund(txn_id, amount=3000)
    assert first.success and first.amount == 3000 and first.remaining_balance == 7000
    assert first.original_transaction_id == txn_id and first.id != txn_id
    assert first.id.startswith("txn_")
    after_first = await client.transactions.retrieve(txn_id)
    assert after_first.status is TransactionStatus.CHARGED  # partially refunded: still charged
    assert after_first.balance == 7000

    second = await client.payments.refund(txn_id, amount=7000)
    assert second.remaining_balance == 0 and second.amount == 7000
    final = await client.transactions.retrieve(txn_id)
    assert final.status is TransactionStatus.REFUNDED and final.balance == 0

    with pytest.raises(errors.UnprocessableEntityError) as caught:
        await client.payments.refund(txn_id, amount=1)
    exc = caught.value
    assert exc.status == 422
    assert exc.code == "5" and exc.type == "validationError"
    assert exc.detail.param == "amount"
    assert exc.detail.message == "refund amount 1 exceeds the remaining balance 0"

    refund = await client.transactions.retrieve(first.id)
    assert refund.type == "refund" and refund.parent_transaction_id == txn_id
    assert refund.amount == 3000 and refund.status is TransactionStatus.REFUNDED
    history = await client.transactions.history(txn_id)
    assert history.names == [
        "transaction.created",
        "transaction.charged",
        "transaction.refunded",
        "transaction.refunded",
    ]
    assert [e.data.balance for e in history.events if e.data] == [10000, 10000, 7000, 0]
    assert len(mock_plexy.ledger.charges) == 1  # refunds never charge


async def test_refund_above_the_balance_changes_nothing_then_full_refund(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    txn_id = await _charged(mock_plexy, client)
    await client.payments.refund(txn_id, amount=3000)
    await client.payments.refund(txn_id, amount=2500)
    with pytest.raises(errors.UnprocessableEntityError) as caught:
        await client.payments.refund(txn_id, amount=4501)
    assert caught.value.detail.message == "refund amount 4501 exceeds the remaining balance 4500"
    assert (await client.transactions.retrieve(txn_id)).balance == 4500

    rest = await client.payments.refund(txn_id, amount=None)  # {"amount": null}: all that is left
    assert rest.amount == 4500 and rest.remaining_balance == 0
    assert (await client.transactions.retrieve(txn_id)).status is TransactionStatus.REFUNDED
    with pytest.raises(errors.UnprocessableEntityError, match="nothing left to refund"):
        await client.payments.refund(txn_id, amount=None)


async def test_full_refund_sends_amount_null(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    assert unstructure(RefundPaymentRequest(amount=None)) == {"amount": None}
    assert unstructure(RefundPaymentRequest(amount=5)) == {"amount": 5}
    txn_id = await _charged(mock_plexy, client, amount=5000)
    # The mock refuses a body without "amount" (400), so success means null went on the wire.
    full = await client.payments.refund(txn_id, amount=None)
    assert full.amount == 5000 and full.remaining_balance == 0


async def test_a_retried_refund_with_the_same_key_refunds_once(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    txn_id = await _charged(mock_plexy, client)
    first = await client.payments.refund(txn_id, amount=1000, idempotency_key="refund-order-1")
    again = await client.payments.refund(txn_id, amount=1000, idempotency_key="refund-order-1")
    assert again.id == first.id and again.remaining_balance == 9000
    assert (await client.transactions.retrieve(txn_id)).balance == 9000
    replayed = [
        r.replayed for r in mock_plexy.ledger.requests_to("POST", f"/v1/payments/{txn_id}/refund")
    ]
    assert replayed == [False, True]


@pytest.mark.parametrize("amount", [0, -5, 10.5, True])
async def test_refund_amount_is_checked_before_sending(
    mock_plexy: MockPlexy, client: PlexyClient, amount: object
) -> None:
    with pytest.raises(errors.InvalidRequestError, match="amount"):
        await client.payments.refund("txn_1", amount=amount)  # type: ignore[arg-type]
    assert mock_plexy.ledger.requests == []


async def test_refund_has_no_default_amount(client: PlexyClient) -> None:
    with pytest.raises(TypeError, match="amount"):
        await client.payments.refund("txn_1")  # type: ignore[call-arg]
