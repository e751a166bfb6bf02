"""Pay API split requests end to end against the mock server: create, list, update, retrieve,
delete; a split of a charged transaction credits the beneficiaries' balances."""

from __future__ import annotations

import pytest

from plexy_async import PlexyClient, errors
from plexy_async.models.split_requests import SplitShare, SplitStatus
from plexy_async.testing import MockPlexy
from plexy_async.testing._pay import _beneficiaries, _customers


def two_beneficiaries(mock: MockPlexy) -> tuple[str, str]:
    a = _beneficiaries.add_beneficiary(mock.pay, "Seller A")["id"]
    b = _beneficiaries.add_beneficiary(mock.pay, "Seller B")["id"]
    return a, b


def balances(mock: MockPlexy, *ids: str) -> list[int]:
    return [mock.pay.beneficiaries[i]["balance"] for i in ids]


async def test_create_retrieve_and_list(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    a, b = two_beneficiaries(mock_plexy)
    split = await client.split_requests.create(
        amount=10_001, currency="KZT",
        shares=[SplitShare(beneficiary_id=a, amount=2_500),
                SplitShare(beneficiary_id=b, percentage=33.3)],
        order_reference="ORD-1", description="marketplace order",
    )  # fmt: skip
    assert split.id.startswith("spl_") and split.status is SplitStatus.PENDING
    assert [(s.beneficiary_id, s.amount, s.percentage) for s in split.shares] == [
        (a, 2_500, None),
        (b, 3_330, 33.3),  # 33.3 % of 10 001, rounded down
    ]
    assert await client.split_requests.retrieve(split.id) == split
    other = await client.split_requests.create(
        amount=500, currency="KZT", shares=[SplitShare(beneficiary_id=a, percentage=100)]
    )
    paginator = client.split_requests.list(page_size=1)
    assert [s.id async for s in paginator] == [split.id, other.id]
    assert paginator.pages_fetched == 2
    assert balances(mock_plexy, a, b) == [0, 0]  # a pending split moves no money


@pytest.mark.parametrize(
    ("shares", "match"),
    [
        ([], "empty"),
        (
            [
                SplitShare(beneficiary_id="ben_a", amount=600),
                SplitShare(beneficiary_id="ben_b", amount=500),
            ],
            "more than",
        ),
        (
            [
                SplitShare(beneficiary_id="ben_a", percentage=60),
                SplitShare(beneficiary_id="ben_b", percentage=50),
            ],
            "100",
        ),
        (
            [
                SplitShare(beneficiary_id="ben_a", amount=1),
                SplitShare(beneficiary_id="ben_a", amount=1),
            ],
            "one share",
        ),
    ],
)
async def test_bad_sums_are_refused_before_sending(
    mock_plexy: MockPlexy, client: PlexyClient, shares: list[SplitShare], match: str
) -> None:
    with pytest.raises(errors.InvalidRequestError, match=match):
        await client.split_requests.create(amount=1_000, currency="KZT", shares=shares)
    assert mock_plexy.ledger.requests == []


def test_a_share_is_an_amount_or_a_percentage() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        SplitShare(beneficiary_id="ben_a", amount=100, percentage=10)
    with pytest.raises(ValueError, match="exactly one"):
        SplitShare(beneficiary_id="ben_a")
    with pytest.raises(ValueError, match="percentage"):
        SplitShare(beneficiary_id="ben_a", percentage=120)


async def test_the_mock_checks_sums_and_beneficiaries_too(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    a, b = two_beneficiaries(mock_plexy)
    split = await client.split_requests.create(
        amount=1_000, currency="KZT", shares=[SplitShare(beneficiary_id=a, amount=100)]
    )
    # The client cannot know the stored amount on update: the server checks the sum.
    with pytest.raises(errors.UnprocessableEntityError) as too_much:
        await client.split_requests.update(
            split.id, shares=[SplitShare(beneficiary_id=a, amount=900),
                              SplitShare(beneficiary_id=b, amount=200)],
        )  # fmt: skip
    assert too_much.value.detail.param == "shares" and too_much.value.detail.code == "5"
    with pytest.raises(errors.NotFoundError):
        await client.split_requests.create(
            amount=1_000, currency="KZT", shares=[SplitShare(beneficiary_id="ben_nope", amount=1)]
        )
    mock_plexy.pay.beneficiaries[b]["status"] = "inactive"
    with pytest.raises(errors.UnprocessableEntityError, match="inactive"):
        await client.split_requests.create(
            amount=1_000, currency="KZT", shares=[SplitShare(beneficiary_id=b, amount=1)]
        )
    with pytest.raises(errors.UnprocessableEntityError, match="is paid in KZT"):
        await client.split_requests.create(
            amount=1_000, currency="USD", shares=[SplitShare(beneficiary_id=a, amount=1)]
        )
    assert [s.amount for s in (await client.split_requests.retrieve(split.id)).shares] == [100]


async def test_update_a_pending_split(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    a, b = two_beneficiaries(mock_plexy)
    split = await client.split_requests.create(
        amount=2_000, currency="KZT", shares=[SplitShare(beneficiary_id=a, amount=100)]
    )
    updated = await client.split_requests.update(
        split.id, shares=[SplitShare(beneficiary_id=b, percentage=25)], description="changed"
    )
    assert [(s.beneficiary_id, s.amount) for s in updated.shares] == [(b, 500)]
    assert updated.description == "changed" and updated.amount == 2_000
    assert mock_plexy.pay.splits[split.id]["description"] == "changed"
    with pytest.raises(errors.InvalidRequestError, match="nothing to update"):
        await client.split_requests.update(split.id)


async def test_delete_then_retrieve_is_404(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    a, _ = two_beneficiaries(mock_plexy)
    split = await client.split_requests.create(
        amount=1_000, currency="KZT", shares=[SplitShare(beneficiary_id=a, amount=10)]
    )
    assert await client.split_requests.delete(split.id) is None
    assert split.id not in mock_plexy.pay.splits
    with pytest.raises(errors.NotFoundError) as caught:
        await client.split_requests.retrieve(split.id)
    assert caught.value.detail.code == "4"
    with pytest.raises(errors.NotFoundError):
        await client.split_requests.delete(split.id)
    [delete] = mock_plexy.ledger.requests_to("DELETE", f"/v1/split-requests/{split.id}")[:1]
    assert delete.status == 204 and delete.idempotency_key is None


async def test_splitting_a_charged_transaction_credits_the_beneficiaries(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    a, b = two_beneficiaries(mock_plexy)
    customer = _customers.add_customer(mock_plexy.pay)
    txn = _customers.add_customer_transaction(mock_plexy.pay, customer["id"], 50_000)
    split = await client.split_requests.create(
        amount=50_000, currency="KZT", transaction_id=txn["id"],
        shares=[SplitShare(beneficiary_id=a, percentage=70),
                SplitShare(beneficiary_id=b, amount=10_000)],
    )  # fmt: skip
    assert split.status is SplitStatus.COMPLETED and split.transaction_id == txn["id"]
    assert balances(mock_plexy, a, b) == [35_000, 10_000]
    # a completed split is final, and a transaction is split once
    with pytest.raises(errors.UnprocessableEntityError, match="completed"):
        await client.split_requests.update(split.id, description="too late")
    with pytest.raises(errors.UnprocessableEntityError, match="completed"):
        await client.split_requests.delete(split.id)
    with pytest.raises(errors.UnprocessableEntityError, match="already split"):
        await client.split_requests.create(
            amount=1_000, currency="KZT", transaction_id=txn["id"],
            shares=[SplitShare(beneficiary_id=a, amount=1_000)],
        )  # fmt: skip
    assert balances(mock_plexy, a, b) == [35_000, 10_000]
    assert (await client.beneficiaries.retrieve(a)).balance == 35_000


async def test_a_split_of_an_uncharged_transaction_waits(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    a, _ = two_beneficiaries(mock_plexy)
    customer = _customers.add_customer(mock_plexy.pay)
    txn = _customers.add_customer_transaction(
        mock_plexy.pay, customer["id"], 5_000, status="authorized"
    )
    split = await client.split_requests.create(
        amount=5_000, currency="KZT", transaction_id=txn["id"],
        shares=[SplitShare(beneficiary_id=a, amount=5_000)],
    )  # fmt: skip
    assert split.status is SplitStatus.PENDING and balances(mock_plexy, a) == [0]
    with pytest.raises(errors.UnprocessableEntityError, match="more than"):
        await client.split_requests.create(
            amount=5_001, currency="KZT", transaction_id=txn["id"],
            shares=[SplitShare(beneficiary_id=a, amount=1)],
        )  # fmt: skip
    with pytest.raises(errors.NotFoundError):
        await client.split_requests.create(
            amount=1, currency="KZT", transaction_id="txn_missing",
            shares=[SplitShare(beneficiary_id=a, amount=1)],
        )  # fmt: skip
