"""Pay API payment beneficiaries and settlement payment orders end to end against the mock
server; balances in the mock are checked after every money move."""

from __future__ import annotations

import pytest

from plexy_async import PlexyClient, errors
from plexy_async.models.beneficiaries import BeneficiaryStatus
from plexy_async.models.settlement_orders import SettlementOrderStatus, SettlementSource
from plexy_async.testing import MockPlexy
from plexy_async.testing._pay import _beneficiaries, _merchant

IBAN = "KZ86125KZT5004100100"


def ben_balance(mock: MockPlexy, beneficiary_id: str) -> int:
    balance: int = mock.pay.beneficiaries[beneficiary_id]["balance"]
    return balance


def merchant_balance(mock: MockPlexy) -> int:
    return _merchant.merchant_balance(mock.pay)


async def test_create_retrieve_update(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    created = await client.beneficiaries.create(
        name="Seller LLP", iban="kz86 125k zt50 0410 0100", tax_id="123456789012",
        email="seller@example.kz",
    )  # fmt: skip
    assert created.id.startswith("ben_") and created.meta.status == 201
    assert (created.balance, created.currency, created.status) == (0, "KZT", "active")
    assert created.status is BeneficiaryStatus.ACTIVE
    assert created.iban == IBAN  # normalised by the server
    assert await client.beneficiaries.retrieve(created.id) == created
    updated = await client.beneficiaries.update(
        created.id, name="Seller Two LLP", status=BeneficiaryStatus.INACTIVE
    )
    assert updated.name == "Seller Two LLP" and updated.status is BeneficiaryStatus.INACTIVE
    assert updated.tax_id == "123456789012"  # untouched fields stay
    assert mock_plexy.pay.beneficiaries[created.id]["status"] == "inactive"


async def test_create_and_update_errors(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    with pytest.raises(errors.UnprocessableEntityError) as bad_iban:
        await client.beneficiaries.create(name="X", iban="12345")
    assert bad_iban.value.detail.param == "iban"
    with pytest.raises(errors.InvalidRequestError, match="currency"):
        await client.beneficiaries.create(name="X", iban=IBAN, currency="kzt")
    with pytest.raises(errors.InvalidRequestError, match="nothing to update"):
        await client.beneficiaries.update("ben_x")
    assert mock_plexy.pay.beneficiaries == {}
    with pytest.raises(errors.NotFoundError):
        await client.beneficiaries.update("ben_missing", name="Y")
    with pytest.raises(errors.NotFoundError):
        await client.beneficiaries.retrieve("ben_missing")
    ben = await client.beneficiaries.create(name="X", iban=IBAN)
    with pytest.raises(errors.UnprocessableEntityError, match="status"):
        await client.beneficiaries.update(ben.id, status="frozen")


async def test_list_paginates_and_filters(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    ids = [(await client.beneficiaries.create(name=f"b{i}", iban=IBAN)).id for i in range(3)]
    await client.beneficiaries.update(ids[1], status="inactive")
    paginator = client.beneficiaries.list(page_size=2)
    assert [b.id async for b in paginator] == ids and paginator.pages_fetched == 2
    active = [b.id async for b in client.beneficiaries.list(status=BeneficiaryStatus.ACTIVE)]
    assert active == [ids[0], ids[2]]


async def test_transfer_to_merchant_moves_money(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    ben = _beneficiaries.add_beneficiary(mock_plexy.pay, balance=50_000)["id"]
    _merchant.set_merchant_balance(mock_plexy.pay, 1_000)
    transfer = await client.beneficiaries.transfer_to_merchant(
        ben, amount=20_000, description="fees"
    )
    assert transfer.id.startswith("btr_") and transfer.beneficiary_id == ben
    assert (transfer.amount, transfer.currency) == (20_000, "KZT")
    assert (transfer.beneficiary_balance, transfer.merchant_balance) == (30_000, 21_000)
    assert ben_balance(mock_plexy, ben) == 30_000 and merchant_balance(mock_plexy) == 21_000
    assert transfer.meta.idempotency_key  # money-moving: sent with a key


async def test_transfer_above_the_balance_is_422(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    ben = _beneficiaries.add_beneficiary(mock_plexy.pay, balance=5_000)["id"]
    with pytest.raises(errors.UnprocessableEntityError) as caught:
        await client.beneficiaries.transfer_to_merchant(ben, amount=5_001)
    assert caught.value.detail.code == "5" and caught.value.detail.param == "amount"
    with pytest.raises(errors.UnprocessableEntityError, match="KZT"):
        await client.beneficiaries.transfer_to_merchant(ben, amount=1, currency="USD")
    with pytest.raises(errors.NotFoundError):
        await client.beneficiaries.transfer_to_merchant("ben_missing", amount=1)
    assert ben_balance(mock_plexy, ben) == 5_000 and merchant_balance(mock_plexy) == 0


async def test_manual_settlement_creates_a_payment_order(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    ben = _beneficiaries.add_beneficiary(mock_plexy.pay, balance=12_000)["id"]
    order = await client.beneficiaries.manual_settlement(ben, amount=2_000)
    assert order.id.startswith("spo_") and order.status is SettlementOrderStatus.CREATED
    assert order.source is SettlementSource.BENEFICIARY_BALANCE
    assert (order.beneficiary_id, order.amount, order.currency) == (ben, 2_000, "KZT")
    assert ben_balance(mock_plexy, ben) == 10_000
    assert await client.settlement_orders.retrieve(order.id) == order
    rest = await client.beneficiaries.manual_settlement(ben)  # no amount: all of it
    assert rest.amount == 10_000 and ben_balance(mock_plexy, ben) == 0
    with pytest.raises(errors.UnprocessableEntityError, match="nothing to settle"):
        await client.beneficiaries.manual_settlement(ben)
    assert set(mock_plexy.pay.settlement_orders) == {order.id, rest.id}
    assert merchant_balance(mock_plexy) == 0  # the merchant balance is not involved


async def test_manual_settlement_wrong_state(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    ben = _beneficiaries.add_beneficiary(mock_plexy.pay, balance=1_000)["id"]
    with pytest.raises(errors.UnprocessableEntityError, match="insufficient"):
        await client.beneficiaries.manual_settlement(ben, amount=1_001)
    await client.beneficiaries.update(ben, status="inactive")
    with pytest.raises(errors.UnprocessableEntityError, match="inactive"):
        await client.beneficiaries.manual_settlement(ben, amount=1)
    with pytest.raises(errors.NotFoundError):
        await client.beneficiaries.manual_settlement("ben_missing")
    assert ben_balance(mock_plexy, ben) == 1_000 and mock_plexy.pay.settlement_orders == {}


async def test_settlement_order_from_the_merchant_balance(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    ben = (await client.beneficiaries.create(name="Seller", iban=IBAN)).id
    _merchant.set_merchant_balance(mock_plexy.pay, 100_000)
    order = await client.settlement_orders.create(
        beneficiary_id=ben, amount=25_000, currency="KZT", request_id="req-2025-001"
    )
    assert order.source is SettlementSource.MERCHANT_BALANCE
    assert order.merchant_id == mock_plexy.pay.merchant["id"]
    assert order.request_id == "req-2025-001" and order.status is SettlementOrderStatus.CREATED
    assert merchant_balance(mock_plexy) == 75_000 and ben_balance(mock_plexy, ben) == 0
    with pytest.raises(errors.ConflictError) as reused:
        await client.settlement_orders.create(
            beneficiary_id=ben, amount=1, currency="KZT", request_id="req-2025-001"
        )
    assert reused.value.status == 409 and reused.value.detail.param == "requestId"
    with pytest.raises(errors.UnprocessableEntityError, match="insufficient merchant balance"):
        await client.settlement_orders.create(beneficiary_id=ben, amount=75_001, currency="KZT")
    with pytest.raises(errors.NotFoundError):
        await client.settlement_orders.create(beneficiary_id="ben_x", amount=1, currency="KZT")
    assert merchant_balance(mock_plexy) == 75_000 and len(mock_plexy.pay.settlement_orders) == 1


async def test_settlement_order_outcomes(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    ben = _beneficiaries.add_beneficiary(mock_plexy.pay, balance=3_000)["id"]
    _merchant.set_merchant_balance(mock_plexy.pay, 10_000)
    paid = await client.settlement_orders.create(beneficiary_id=ben, amount=4_000, currency="KZT")
    failed = await client.settlement_orders.create(beneficiary_id=ben, amount=6_000, currency="KZT")
    settled = await client.beneficiaries.manual_settlement(ben)
    assert merchant_balance(mock_plexy) == 0 and ben_balance(mock_plexy, ben) == 0
    _beneficiaries.finish_settlement_order(mock_plexy.pay, paid.id)
    _beneficiaries.finish_settlement_order(mock_plexy.pay, failed.id, "failed")
    _beneficiaries.finish_settlement_order(mock_plexy.pay, settled.id, "failed")
    assert merchant_balance(mock_plexy) == 6_000  # a failed order gives the money back...
    assert ben_balance(mock_plexy, ben) == 3_000  # ...to the balance it came from
    again = await client.settlement_orders.retrieve(failed.id)
    assert again.status is SettlementOrderStatus.FAILED and again.failure_reason
    assert (await client.settlement_orders.retrieve(paid.id)).status is SettlementOrderStatus.PAID
    everything = client.settlement_orders.list(page_size=2)
    assert [o.id async for o in everything] == [paid.id, failed.id, settled.id]
    assert everything.pages_fetched == 2
    failures = await client.settlement_orders.list(status="failed", beneficiary_id=ben).page()
    assert [o.id for o in failures.data] == [failed.id, settled.id] and failures.total == 2
    assert (await client.settlement_orders.list(beneficiary_id="ben_other").page()).total == 0


async def test_unknown_settlement_order_is_404(client: PlexyClient) -> None:
    with pytest.raises(errors.NotFoundError) as caught:
        await client.settlement_orders.retrieve("spo_missing")
    assert caught.value.detail.code == "4"
