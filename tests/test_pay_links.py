"""Pay API payment links against the mock server: every operation and the link lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plexy_async import PlexyClient, errors
from plexy_async.models.payment_links import (
    PaymentLinkMetadata,
    PaymentLinkStatus,
    Recurring,
)
from plexy_async.models.transactions import TransactionStatus
from plexy_async.testing import MockPlexy

TOMORROW = datetime(2099, 3, 14, tzinfo=UTC)


def _expire(mock: MockPlexy, link_id: str) -> None:
    mock.pay.links[link_id]["expiresAt"] = "2000-01-01T00:00:00Z"


def _assert_pay_error(exc: errors.APIStatusError, status: int, source: str) -> None:
    """The Pay API shape ``{"code", "message", "source", "type"}`` as the client parsed it."""
    assert exc.status == status
    assert exc.code == {404: "4", 422: "5"}[status]
    assert exc.type == ("validationError" if status == 422 else "apiError")
    assert exc.detail.param == source
    assert exc.detail.message


async def test_create_sends_the_documented_request(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    link = await client.payment_links.create(
        amount=1000000,
        currency="USD",
        customer_id="5e9f8f8f-0000",
        description="Payment for services",
        expires_at=TOMORROW,
        order_reference="ORD123456",
        auto_clearing=True,
        metadata=PaymentLinkMetadata(success_url="https://shop.example/ok"),
        recurring=Recurring(type="cof_initial", frequency=30),
    )
    assert link.id.startswith("pl_") and link.url == f"https://checkout.plexypay.com/{link.id}"
    assert link.status is PaymentLinkStatus.ACTIVE
    assert (link.amount, link.currency, link.order_reference) == (1000000, "USD", "ORD123456")
    assert link.expires_at == TOMORROW and link.created_at is not None
    assert link.metadata == PaymentLinkMetadata(success_url="https://shop.example/ok")
    assert link.recurring == Recurring(type="cof_initial", frequency=30)
    assert link.meta.status == 201
    record = mock_plexy.pay.links[link.id]  # the wire format the mock received
    assert record["customerId"] == "5e9f8f8f-0000" and record["autoClearing"] is True
    assert record["expiresAt"] == "2099-03-14T00:00:00Z"
    assert record["metadata"] == {"successUrl": "https://shop.example/ok"}
    assert record["recurring"] == {"type": "cof_initial", "frequency": 30}
    [request] = mock_plexy.ledger.requests_to("POST", "/v1/payment-links")
    assert request.idempotency_key is not None and request.idempotency_key.startswith("plx_")


async def test_create_replays_with_the_same_idempotency_key(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    first = await client.payment_links.create(amount=500, currency="KZT", idempotency_key="k-1")
    again = await client.payment_links.create(amount=500, currency="KZT", idempotency_key="k-1")
    assert again.id == first.id and len(mock_plexy.pay.links) == 1
    with pytest.raises(errors.ConflictError):
        await client.payment_links.create(amount=501, currency="KZT", idempotency_key="k-1")


@pytest.mark.parametrize(
    "fields",
    [
        {"amount": 0, "currency": "KZT"},
        {"amount": 10.5, "currency": "KZT"},
        {"amount": 100, "currency": "kzt"},
        {"amount": 100, "currency": "KZT", "colour": "red"},
        {"amount": 100, "currency": "KZT", "expires_at": datetime(2099, 1, 1)},  # naive
    ],
)
async def test_create_checks_arguments_before_sending(
    mock_plexy: MockPlexy, client: PlexyClient, fields: dict[str, object]
) -> None:
    with pytest.raises(errors.InvalidRequestError):
        await client.payment_links.create(**fields)  # type: ignore[arg-type]
    assert mock_plexy.ledger.requests == []


async def test_create_with_a_past_expiration_is_refused(client: PlexyClient) -> None:
    past = datetime.now(UTC) - timedelta(minutes=1)
    with pytest.raises(errors.UnprocessableEntityError) as caught:
        await client.payment_links.create(amount=100, currency="KZT", expires_at=past)
    _assert_pay_error(caught.value, 422, "expiresAt")


async def test_retrieve_and_not_found(client: PlexyClient) -> None:
    link = await client.payment_links.create(amount=700, currency="KZT", description="Tea")
    got = await client.payment_links.retrieve(link.id)
    assert got == link and got.description == "Tea"
    with pytest.raises(errors.NotFoundError) as caught:
        await client.payment_links.retrieve("pl_missing")
    _assert_pay_error(caught.value, 404, "paymentLink")
    with pytest.raises(errors.InvalidRequestError):
        await client.payment_links.retrieve("")


async def test_retrieve_by_order_reference_returns_the_latest(client: PlexyClient) -> None:
    reference = "ORD 7/2025"  # a space and a slash: quoted into one path segment
    await client.payment_links.create(amount=100, currency="KZT", order_reference=reference)
    latest = await client.payment_links.create(
        amount=200, currency="KZT", order_reference=reference
    )
    got = await client.payment_links.retrieve_by_order_reference(reference)
    assert got.id == latest.id and got.amount == 200
    with pytest.raises(errors.NotFoundError):
        await client.payment_links.retrieve_by_order_reference("ORD-none")


async def test_cancel_lifecycle(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    link = await client.payment_links.create(amount=100, currency="KZT")
    cancelled = await client.payment_links.cancel(link.id)
    assert cancelled.status is PaymentLinkStatus.CANCELLED
    again = await client.payment_links.cancel(link.id)  # a retried DELETE is harmless
    assert again.status is PaymentLinkStatus.CANCELLED
    with pytest.raises(ValueError, match="cancelled"):
        mock_plexy.pay_link(link.id)


async def test_cancelling_a_paid_link_is_refused(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    link = await client.payment_links.create(amount=100, currency="KZT")
    mock_plexy.pay_link(link.id)
    with pytest.raises(errors.UnprocessableEntityError) as caught:
        await client.payment_links.cancel(link.id)
    _assert_pay_error(caught.value, 422, "status")
    assert caught.value.detail.message == "cannot cancel a payment link that is paid"
    assert (await client.payment_links.retrieve(link.id)).status is PaymentLinkStatus.PAID


async def test_expired_link(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    link = await client.payment_links.create(amount=100, currency="KZT", expires_at=TOMORROW)
    _expire(mock_plexy, link.id)
    assert (await client.payment_links.retrieve(link.id)).status is PaymentLinkStatus.EXPIRED
    with pytest.raises(ValueError, match="expired"):
        mock_plexy.pay_link(link.id)
    with pytest.raises(errors.UnprocessableEntityError, match="expired"):
        await client.payment_links.cancel(link.id)
    # A new expiration in the future makes it active again.
    revived = await client.payment_links.update_expiration(link.id, expires_at=TOMORROW)
    assert revived.status is PaymentLinkStatus.ACTIVE and revived.expires_at == TOMORROW


async def test_update_expiration(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    link = await client.payment_links.create(amount=100, currency="KZT")
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    updated = await client.payment_links.update_expiration(link.id, expires_at=later)
    assert updated.expires_at == later and updated.id == link.id
    [request] = mock_plexy.ledger.requests_to("PATCH", f"/v1/payment-links/{link.id}/expiration")
    assert request.status == 200 and request.idempotency_key is not None
    with pytest.raises(errors.UnprocessableEntityError) as caught:
        await client.payment_links.update_expiration(
            link.id, expires_at=datetime.now(UTC) - timedelta(days=1)
        )
    _assert_pay_error(caught.value, 422, "expiresAt")
    with pytest.raises(errors.InvalidRequestError, match="naive"):
        await client.payment_links.update_expiration(link.id, expires_at=datetime(2099, 1, 1))


@pytest.mark.parametrize("state", ["paid", "cancelled"])
async def test_update_expiration_of_a_paid_or_cancelled_link_is_refused(
    mock_plexy: MockPlexy, client: PlexyClient, state: str
) -> None:
    link = await client.payment_links.create(amount=100, currency="KZT")
    if state == "paid":
        mock_plexy.pay_link(link.id)
    else:
        await client.payment_links.cancel(link.id)
    with pytest.raises(errors.UnprocessableEntityError) as caught:
        await client.payment_links.update_expiration(link.id, expires_at=TOMORROW)
    _assert_pay_error(caught.value, 422, "status")
    assert caught.value.detail.message == (
        f"cannot update the expiration of a payment link that is {state}"
    )


async def test_pay_link_outcomes(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    link = await client.payment_links.create(
        amount=2500, currency="KZT", auto_clearing=False, order_reference="ORD-AUTH"
    )
    declined = mock_plexy.pay_link(link.id, card="4000000000000002")
    assert (await client.transactions.retrieve(declined)).status is TransactionStatus.REJECTED
    assert (await client.payment_links.retrieve(link.id)).status is PaymentLinkStatus.ACTIVE
    assert mock_plexy.ledger.charges == []

    paid = mock_plexy.pay_link(link.id)
    txn = await client.transactions.retrieve(paid)
    assert txn.status is TransactionStatus.AUTHORIZED  # autoClearing false: capture later
    assert (await client.payment_links.retrieve(link.id)).status is PaymentLinkStatus.PAID
    [charge] = mock_plexy.ledger.charges
    assert (charge.psp_reference, charge.reference, charge.card_last4) == (
        paid,
        "ORD-AUTH",
        "4242",
    )
    with pytest.raises(ValueError, match="paid"):
        mock_plexy.pay_link(link.id)
    with pytest.raises(KeyError):
        mock_plexy.pay_link("pl_missing")


async def test_list_filters_by_status(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    links = [await client.payment_links.create(amount=100 * i, currency="KZT") for i in (1, 2, 3)]
    mock_plexy.pay_link(links[0].id)
    await client.payment_links.cancel(links[1].id)
    paid = [link.id async for link in client.payment_links.list(status="paid")]
    active = [link.id async for link in client.payment_links.list(status=PaymentLinkStatus.ACTIVE)]
    everything = [link.id async for link in client.payment_links.list()]
    assert paid == [links[0].id] and active == [links[2].id]
    assert everything == [link.id for link in links]


async def test_statistics(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    for amount, currency in [(100, "KZT"), (200, "KZT"), (300, "USD"), (400, "KZT")]:
        await client.payment_links.create(amount=amount, currency=currency)
    first = next(iter(mock_plexy.pay.links))
    mock_plexy.pay_link(first)
    stats = await client.payment_links.statistics()
    assert stats.count == 4
    assert stats.count_of(PaymentLinkStatus.ACTIVE) == 3 and stats.count_of("paid") == 1
    by_key = {(i.status, i.currency): (i.count, i.amount) for i in stats.items}
    assert by_key == {
        (PaymentLinkStatus.ACTIVE, "KZT"): (2, 600),
        (PaymentLinkStatus.ACTIVE, "USD"): (1, 300),
        (PaymentLinkStatus.PAID, "KZT"): (1, 100),
    }
    future = await client.payment_links.statistics(created_from=TOMORROW)
    assert future.count == 0 and future.items == []
    window = await client.payment_links.statistics(
        created_from=datetime.now(UTC) - timedelta(hours=1), created_to=TOMORROW
    )
    assert window.count == 4
    with pytest.raises(errors.InvalidRequestError, match="naive"):
        await client.payment_links.statistics(created_to=datetime(2099, 1, 1))
