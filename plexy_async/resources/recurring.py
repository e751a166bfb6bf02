"""Pay API v1. Recurring payments: merchant-initiated payment."""

from __future__ import annotations

from typing import Any

from plexy_async._core.config import RequestOptions

from ..models.recurring import MerchantInitiatedPaymentRequest, MerchantInitiatedPaymentResponse
from ._base import Service, build


class RecurringService(Service):
    """Recurring payments: merchant-initiated payment."""

    async def merchant_initiated(
        self,
        *,
        parent_transaction_id: str,
        amount: int,
        currency: str,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **optional: Any,
    ) -> MerchantInitiatedPaymentResponse:
        """Charge the card of ``parent_transaction_id`` again, without the shopper
        (``POST /payments/recurring/merchant/initiated``).

        ``optional``: order_reference, description. Pass your own ``idempotency_key`` (for
        example derived from the billing period) so a re-run never charges twice.
        """
        body = build(
            MerchantInitiatedPaymentRequest,
            parent_transaction_id=parent_transaction_id,
            amount=amount,
            currency=currency,
            **optional,
        )
        return await self._call(
            "recurring.merchant_initiated",
            MerchantInitiatedPaymentResponse,
            body=body,
            idempotency_key=idempotency_key,
            options=options,
        )
