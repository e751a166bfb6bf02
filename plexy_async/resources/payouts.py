"""Pay API v1. Payouts: list payout transactions, process payout, save card for payouts."""

from __future__ import annotations

from typing import Any

from plexy_async._core.config import RequestOptions
from plexy_async._core.pagination import DEFAULT_PAGE_SIZE, Paginator

from ..models.payouts import Payout, PayoutRequest, PayoutStatus, SaveCardRequest, SavedCard
from ._base import Service, build, paginate


class PayoutsService(Service):
    """Payouts: list payout transactions, process payout, save card for payouts."""

    def list(
        self,
        *,
        status: PayoutStatus | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        options: RequestOptions | None = None,
    ) -> Paginator[Payout]:
        """Every payout transaction, oldest first (``GET /payouts/transactions``), lazily."""
        return paginate(
            self, "payouts.list", Payout, page_size=page_size,
            query={"status": status}, options=options,
        )  # fmt: skip

    async def process(
        self,
        *,
        amount: int,
        currency: str,
        card_token_id: str,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **optional: Any,
    ) -> Payout:
        """Pay ``amount`` (minor units) from the merchant balance to a card (``POST /payouts``).

        ``optional``: any other ``PayoutRequest`` field (order_reference, description,
        customer_id, metadata). An idempotency key is generated when you pass none and reused on
        every retry, so a retried payout never pays twice.
        """
        body = build(
            PayoutRequest,
            amount=amount,
            currency=currency,
            card_token_id=card_token_id,
            **optional,
        )
        return await self._call(
            "payouts.process", Payout, body=body, idempotency_key=idempotency_key, options=options
        )

    async def save_card(
        self,
        *,
        card_number: str,
        expiry_month: str,
        expiry_year: str,
        holder_name: str | None = None,
        customer_id: str | None = None,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
    ) -> SavedCard:
        """Store a card to pay out to (``POST /payouts/cards``); returns its card token.

        The number goes to Plexy only: the token keeps last4, brand and expiry.
        """
        body = build(
            SaveCardRequest,
            card_number=card_number,
            expiry_month=expiry_month,
            expiry_year=expiry_year,
            holder_name=holder_name,
            customer_id=customer_id,
        )
        return await self._call(
            "payouts.save_card",
            SavedCard,
            body=body,
            idempotency_key=idempotency_key,
            options=options,
        )
