"""Hand-written typing checks: the issue's own examples and the ways users call the services.

Never run: mypy --strict --warn-unused-ignores and pyright read it (make typecheck). Each
``# type: ignore[...]`` pins an error the checker must report; an unused one fails the check.
The ``check_*.py`` files next to it cover every operation and are generated.
"""

from __future__ import annotations

from typing import Any, assert_type

from plexy_async import Amount, CardDetails, PaymentResponse, PlexyClient
from plexy_async.models import (
    BeneficiaryStatus,
    LineItem,
    PaymentBeneficiary,
    PaymentLink,
    PaymentRequest,
    SplitShare,
)
from plexy_async.resources._base import build

AMOUNT = Amount(10000, "KZT")
CARD = CardDetails(number="4242424242424242", expiry_month="03", expiry_year="2030", cvc="737")


async def the_issue_examples(plexy: PlexyClient) -> None:
    await plexy.payments.create(amount=AMOUNT, reference="r", merchant_account="m", payment_method=CARD, shopper_refrence="x")  # type: ignore[call-arg]  # noqa: E501
    await plexy.payments.create(amount=AMOUNT, reference="r", merchant_account="m", payment_method=CARD, shopper_reference=123)  # type: ignore[arg-type]  # noqa: E501
    await plexy.payments.create(amount=AMOUNT, reference="r", merchant_account="m", payment_method=CARD, capture_delay_hours="soon")  # type: ignore[arg-type]  # noqa: E501


async def nested_values(plexy: PlexyClient) -> None:
    pay = plexy.payments
    await pay.create(amount="100", reference="r", merchant_account="m", payment_method=CARD)  # type: ignore[arg-type]
    await pay.create(amount=AMOUNT, reference="r", merchant_account="m", payment_method={"type": "scheme"})  # type: ignore[arg-type]  # noqa: E501
    await pay.create(amount=AMOUNT, reference="r", merchant_account="m", payment_method=CARD, line_items=[{"id": "1"}])  # type: ignore[list-item]  # noqa: E501
    await pay.create(amount=AMOUNT, reference="r", merchant_account="m", payment_method=CARD, metadata={"k": 1})  # type: ignore[dict-item]  # noqa: E501
    # Fine: a tuple where the model holds a list, an enum's value where it holds the enum.
    await pay.create(
        amount=AMOUNT,
        reference="r",
        merchant_account="m",
        payment_method=CARD,
        line_items=(LineItem(id="1"),),
    )
    await plexy.split_requests.create(
        amount=100, currency="KZT", shares=(SplitShare(beneficiary_id="b", amount=1),)
    )
    updated = await plexy.beneficiaries.update("ben_1", status="inactive")
    assert_type(updated, PaymentBeneficiary)
    await plexy.beneficiaries.update("ben_1", status=BeneficiaryStatus.ACTIVE)


async def dynamic_callers(plexy: PlexyClient, params: dict[str, Any]) -> None:
    # Keywords held in a dict are checked at run time (InvalidRequestError), not here.
    payment = await plexy.payments.create(**params)
    assert_type(payment, PaymentResponse)
    link = await plexy.payment_links.create(**params)
    assert_type(link, PaymentLink)
    assert_type(build(PaymentRequest, **params), PaymentRequest)


async def options_and_keys(plexy: PlexyClient) -> None:
    await plexy.payments.capture("txn_1", idempotency_key="k")
    await plexy.payment_links.cancel("pl_1", idempotency_key="k")  # type: ignore[call-arg]
    await plexy.transactions.retrieve(transaction_id=1)  # type: ignore[arg-type]
    async for link in plexy.payment_links.list(status="active", page_size=10):
        assert_type(link, PaymentLink)
