"""Pay API v1. Direct payments: card-encryption keys, host-to-host payment."""

from __future__ import annotations

from typing import Any

from plexy_async._core.config import RequestOptions

from ..models.direct_payments import (
    CardData,
    DirectPaymentKeys,
    DirectPaymentRequest,
    DirectPaymentResponse,
)
from ._base import Service, build


class DirectPaymentsService(Service):
    """Direct payments: card-encryption keys, host-to-host payment."""

    async def keys(self, *, options: RequestOptions | None = None) -> DirectPaymentKeys:
        """The public key to encrypt card data with (``GET /payments/direct/keys``)."""
        return await self._call("direct_payments.keys", DirectPaymentKeys, options=options)

    async def create(
        self,
        *,
        amount: int,
        currency: str,
        card: CardData,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **optional: Any,
    ) -> DirectPaymentResponse:
        """Pay with card data sent from your server (``POST /payments/direct``). A decline is
        data: ``status`` is ``TransactionStatus.REJECTED``.

        ``optional``: order_reference, description, customer_id, auto_clearing, return_url.
        """
        body = build(DirectPaymentRequest, amount=amount, currency=currency, card=card, **optional)
        return await self._call(
            "direct_payments.create",
            DirectPaymentResponse,
            body=body,
            idempotency_key=idempotency_key,
            options=options,
        )
