"""Pay API transactions, payment management, recurring and direct payments against the mock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from plexy_async import PlexyClient, errors
from plexy_async.models.direct_payments import CardData
from plexy_async.models.transactions import TransactionStatus
from plexy_async.testing import MockPlexy

Operation = Callable[[PlexyClient, str], Awaitable[object]]


def card(number: str = "4242424242424242", cvc: str = "123") -> CardData:
    return CardData(number=number, expiry_month="03", expiry_year="2030", cvc=cvc)


async def _paid_link(
    mock: MockPlexy, client: PlexyClient, *, auto_clearing: bool = True, **fields: Any
) -> tuple[str, str]:
    """(link id, transaction id) of a link paid with a card that pays."""
    link = await client.payment_links.create(
        amount=10000, currency="KZT", auto_clearing=auto_clearing, **fields
    )
    return link.id, mock.pay_link(link.id)


# --- reads --------------------------------------------------------------------------------------


async def test_retrieve_unwraps_value_wrapped_ids(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    link_id, txn_id = await _paid_link(
        mock_plexy, client, order_reference="ORD-1", customer_id="cus_42", description="Boots"
    )
    record = mock_plexy.pay.transactions[txn_id]
    assert record["paymentLinkId"] == {"Value": link_id}  # as the real API sometimes sends it
    assert record["customerId"] == {"Value": "cus_42"}
    txn = await client.transactions.retrieve(txn_id)
    assert txn.payment_link_id == link_id and txn.customer_id == "cus_42"
    assert txn.status is TransactionStatus.CHARGED and txn.type == "payment"
    assert (txn.amount, txn.balance, txn.processed_amount) == (10000, 10000, 10000)
    assert txn.merchant_reference == "ORD-1" and txn.description == "Boots"
    assert txn.last4 == "4242" and txn.card_token_id is None
    assert txn.authed_at is not None and txn.confirmed_at is not None


async def test_null_wrapped_id_is_none(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    _, txn_id = await _paid_link(mock_plexy, client)
    assert mock_plexy.pay.transactions[txn_id]["customerId"] == {"Value": None}
    assert (await client.transactions.retrieve(txn_id)).customer_id is None


async def test_retrieve_unknown_is_404_in_the_pay_api_shape(client: PlexyClient) -> None:
    with pytest.raises(errors.NotFoundError) as caught:
        await client.transactions.retrieve("txn_missing")
    assert caught.value.code == "4" and caught.value.type == "apiError"
    assert caught.value.detail.param == "transaction"
    with pytest.raises(errors.NotFoundError):
        await client.transactions.history("txn_missing")
    with pytest.raises(errors.InvalidRequestError):
        await client.transactions.retrieve(" ")


async def test_by_payment_link_and_order_reference_return_the_latest_payment(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    link = await client.payment_links.create(amount=900, currency="KZT", order_reference="ORD-9")
    declined = mock_plexy.pay_link(link.id, card="4000000000000002")
    paid = mock_plexy.pay_link(link.id)
    await client.payments.refund(paid, amount=100)  # a refund is never "the payment"
    by_link = await client.transactions.by_payment_link(link.id)
    by_reference = await client.transactions.by_order_reference("ORD-9")
    assert by_link.id == by_reference.id == paid != declined
    with pytest.raises(errors.NotFoundError):
        await client.transactions.by_payment_link("pl_missing")
    with pytest.raises(errors.NotFoundError):
        await client.transactions.by_order_reference("ORD-none")


async def test_history_records_every_transition(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    _, txn_id = await _paid_link(mock_plexy, client, auto_clearing=False)
    await client.payments.capture(txn_id)
    await client.payments.refund(txn_id, amount=None)
    history = await client.transactions.history(txn_id)
    assert history.transaction_id == txn_id
    assert history.names == [
        "transaction.created",
        "transaction.authorized",
        "transaction.charged",
        "transaction.refunded",
    ]
    statuses = [e.data.status for e in history.events if e.data]
    assert statuses == [
        TransactionStatus.CREATED,
        TransactionStatus.AUTHORIZED,
        TransactionStatus.CHARGED,
        TransactionStatus.REFUNDED,
    ]
    assert all(e.id and e.created_at for e in history.events)


async def test_list_filters_by_status_and_fetches_single_pages(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    _, charged = await _paid_link(mock_plexy, client)
    _, authorized = await _paid_link(mock_plexy, client, auto_clearing=False)
    rejected = (await client.direct_payments.create(
        amount=100, currency="KZT", card=card("4000000000000002")
    )).id  # fmt: skip
    assert [t.id async for t in client.transactions.list()] == [charged, authorized, rejected]
    assert [t.id async for t in client.transactions.list(status="authorized")] == [authorized]
    only = [t.id async for t in client.transactions.list(status=TransactionStatus.REJECTED)]
    assert only == [rejected]
    page = await client.transactions.list(page_size=2).page(2)
    assert [t.id for t in page.data] == [rejected]
    assert (page.page, page.size, page.total, page.has_more) == (2, 2, 3, False)


# --- payment management -------------------------------------------------------------------------


async def test_capture_an_authorized_transaction(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    _, txn_id = await _paid_link(mock_plexy, client, auto_clearing=False, order_reference="O-C")
    captured = await client.payments.capture(txn_id)
    assert captured.success and captured.id == txn_id
    assert (captured.amount, captured.remaining_balance) == (10000, 10000)
    assert captured.order_reference == "O-C" and captured.response_code == "00"
    assert captured.meta.idempotency_key is not None  # money moves: a key is always sent
    txn = await client.transactions.retrieve(txn_id)
    assert txn.status is TransactionStatus.CHARGED and txn.processed_amount == 10000


async def test_cancel_an_authorized_transaction(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    _, txn_id = await _paid_link(mock_plexy, client, auto_clearing=False)
    cancelled = await client.payments.cancel(txn_id)
    assert cancelled.success and cancelled.remaining_balance == 0
    txn = await client.transactions.retrieve(txn_id)
    assert txn.status is TransactionStatus.CANCELLED and txn.balance == 0


async def _capture(client: PlexyClient, txn_id: str) -> object:
    return await client.payments.capture(txn_id)


async def _cancel(client: PlexyClient, txn_id: str) -> object:
    return await client.payments.cancel(txn_id)


async def _refund(client: PlexyClient, txn_id: str) -> object:
    return await client.payments.refund(txn_id, amount=100)


@pytest.mark.parametrize(
    ("state", "operation", "verb"),
    [
        ("charged", _capture, "capture"),
        ("charged", _cancel, "cancel"),
        ("authorized", _refund, "refund"),
        ("cancelled", _capture, "capture"),
        ("cancelled", _refund, "refund"),
        ("rejected", _capture, "capture"),
        ("rejected", _cancel, "cancel"),
        ("rejected", _refund, "refund"),
    ],
)
async def test_wrong_state_operations_are_422_never_500(
    mock_plexy: MockPlexy, client: PlexyClient, state: str, operation: Operation, verb: str
) -> None:
    link = await client.payment_links.create(
        amount=500, currency="KZT", auto_clearing=state == "charged"
    )
    txn_id = mock_plexy.pay_link(
        link.id, card="4000000000000002" if state == "rejected" else "4242424242424242"
    )
    if state == "cancelled":
        await client.payments.cancel(txn_id)
    assert (await client.transactions.retrieve(txn_id)).status == state
    with pytest.raises(errors.UnprocessableEntityError) as caught:
        await operation(client, txn_id)
    exc = caught.value
    assert exc.code == "5" and exc.type == "validationError" and exc.detail.param == "status"
    assert exc.detail.message == f"cannot {verb} a transaction that is {state}"
    assert (await client.transactions.retrieve(txn_id)).status == state  # unchanged
    assert all(r.status != 500 for r in mock_plexy.ledger.requests)


@pytest.mark.parametrize("operation", [_capture, _cancel, _refund])
async def test_operations_on_an_unknown_transaction_are_404(
    client: PlexyClient, operation: Operation
) -> None:
    with pytest.raises(errors.NotFoundError):
        await operation(client, "txn_missing")


# --- recurring ----------------------------------------------------------------------------------


async def test_merchant_initiated_payment(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    _, parent = await _paid_link(mock_plexy, client, customer_id="cus_7")
    mit = await client.recurring.merchant_initiated(
        parent_transaction_id=parent,
        amount=4900,
        currency="KZT",
        order_reference="SUB-2025-04",
        idempotency_key="sub-cus_7-2025-04",
    )
    assert mit.success and mit.status is TransactionStatus.CHARGED
    assert mit.parent_transaction_id == parent and mit.id != parent
    assert (mit.amount, mit.currency, mit.order_reference) == (4900, "KZT", "SUB-2025-04")
    txn = await client.transactions.retrieve(mit.id)
    assert txn.type == "recurring" and txn.parent_transaction_id == parent
    assert txn.customer_id == "cus_7" and txn.last4 == "4242"
    charge = mock_plexy.ledger.charges_for("SUB-2025-04")
    assert [(c.value, c.idempotency_key) for c in charge] == [(4900, "sub-cus_7-2025-04")]
    # A re-run of the same billing period replays instead of charging twice.
    again = await client.recurring.merchant_initiated(
        parent_transaction_id=parent,
        amount=4900,
        currency="KZT",
        order_reference="SUB-2025-04",
        idempotency_key="sub-cus_7-2025-04",
    )
    assert again.id == mit.id and len(mock_plexy.ledger.charges_for("SUB-2025-04")) == 1


async def test_merchant_initiated_payment_refusals(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    with pytest.raises(errors.NotFoundError) as caught:
        await client.recurring.merchant_initiated(
            parent_transaction_id="txn_missing", amount=100, currency="KZT"
        )
    assert caught.value.code == "4" and caught.value.detail.param == "parentTransactionId"
    link = await client.payment_links.create(amount=100, currency="KZT")
    rejected = mock_plexy.pay_link(link.id, card="4000000000000002")
    with pytest.raises(errors.UnprocessableEntityError, match="rejected"):
        await client.recurring.merchant_initiated(
            parent_transaction_id=rejected, amount=100, currency="KZT"
        )
    paid = mock_plexy.pay_link(link.id)
    with pytest.raises(errors.UnprocessableEntityError) as wrong_currency:
        await client.recurring.merchant_initiated(
            parent_transaction_id=paid, amount=100, currency="USD"
        )
    assert wrong_currency.value.detail.param == "currency"
    with pytest.raises(errors.InvalidRequestError, match="parent_transaction_id"):
        await client.recurring.merchant_initiated(
            parent_transaction_id="", amount=100, currency="KZT"
        )
    assert len(mock_plexy.ledger.charges) == 1  # only the link payment


# --- direct payments ----------------------------------------------------------------------------


async def test_direct_payment_keys(client: PlexyClient) -> None:
    keys = await client.direct_payments.keys()
    assert keys.key_id.startswith("key_")
    assert keys.public_key.startswith("-----BEGIN PUBLIC KEY-----")
    assert keys.meta.idempotency_key is None  # a read
    assert (await client.direct_payments.keys()).key_id == keys.key_id  # stable


async def test_direct_payment_charges(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    paid = await client.direct_payments.create(
        amount=15000, currency="KZT", card=card(), order_reference="H2H-1"
    )
    assert paid.success and paid.status is TransactionStatus.CHARGED
    assert paid.id.startswith("txn_") and paid.last4 == "4242" and paid.response_code == "00"
    [charge] = mock_plexy.ledger.charges
    assert (charge.psp_reference, charge.value, charge.reference) == (paid.id, 15000, "H2H-1")
    assert charge.idempotency_key == paid.meta.idempotency_key
    assert (await client.transactions.by_order_reference("H2H-1")).id == paid.id


@pytest.mark.parametrize(
    ("number", "cvc", "message"),
    [
        ("4000000000000002", "123", "Do not honor"),
        ("4000000000009995", "123", "Insufficient funds"),
        ("4242424242424242", "000", "CVV2 failure"),
    ],
)
async def test_direct_payment_declines_are_data(
    mock_plexy: MockPlexy, client: PlexyClient, number: str, cvc: str, message: str
) -> None:
    declined = await client.direct_payments.create(
        amount=500, currency="KZT", card=card(number, cvc)
    )
    assert declined.status is TransactionStatus.REJECTED and not declined.success
    assert declined.message == message and declined.response_code != "00"
    assert mock_plexy.ledger.charges == []


async def test_direct_payment_authorize_then_capture(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    authorized = await client.direct_payments.create(
        amount=700, currency="KZT", card=card(), auto_clearing=False
    )
    assert authorized.status is TransactionStatus.AUTHORIZED
    await client.payments.capture(authorized.id)
    assert (await client.transactions.retrieve(authorized.id)).status is TransactionStatus.CHARGED


async def test_direct_payment_invalid_card_is_400(client: PlexyClient) -> None:
    with pytest.raises(errors.BadRequestError) as caught:
        await client.direct_payments.create(
            amount=100, currency="KZT", card=card("4242424242424241")
        )
    assert caught.value.code == "3" and caught.value.detail.param == "card.number"


async def test_direct_payment_checks_arguments_and_hides_card_data(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    data = card("4242424242424242", cvc="987")
    assert "424242******4242" in repr(data) and "987" not in repr(data)
    with pytest.raises(errors.InvalidRequestError, match="card"):
        await client.direct_payments.create(
            amount=100,
            currency="KZT",
            card={"number": "4242424242424242"},  # type: ignore[arg-type]
        )
    with pytest.raises(errors.InvalidRequestError, match="amount"):
        await client.direct_payments.create(amount=-1, currency="KZT", card=data)
    assert mock_plexy.ledger.requests == []


async def test_a_minimal_record_from_another_module_is_refundable(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    # Other mock modules (customers) seed bare transactions: no 500 on missing optional keys.
    mock_plexy.pay.transactions["txn_bare"] = {
        "id": "txn_bare",
        "amount": 800,
        "balance": 800,
        "currency": "KZT",
        "status": "charged",
        "type": "payment",
    }
    refund = await client.payments.refund("txn_bare", amount=None)
    assert refund.amount == 800 and refund.remaining_balance == 0
    assert (await client.transactions.retrieve("txn_bare")).status is TransactionStatus.REFUNDED
    mit = await client.recurring.merchant_initiated(
        parent_transaction_id="txn_bare", amount=100, currency="KZT"
    )
    assert mit.status is TransactionStatus.CHARGED and mit.parent_transaction_id == "txn_bare"
