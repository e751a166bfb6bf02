"""Pay API v1. Recurring payments: merchant-initiated payment.

The keyword parameters between ``# generated`` and ``# end generated`` are the request model's
fields: ``python -m plexy_async.resources._signatures`` writes them (see ``_signatures``).
"""

from __future__ import annotations

from typing import Unpack

from plexy_async._core.config import RequestOptions

from ..models.recurring import MerchantInitiatedPaymentRequest, MerchantInitiatedPaymentResponse
from ._base import NoOtherKeywords, Service, build_from


class RecurringService(Service):
    """Recurring payments: merchant-initiated payment (``plexy.recurring``)."""

    async def merchant_initiated(
        self,
        *,
        # generated: MerchantInitiatedPaymentRequest fields (_signatures.py)
        parent_transaction_id: str,
        amount: int,
        currency: str,
        order_reference: str | None = None,
        description: str | None = None,
        # end generated
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> MerchantInitiatedPaymentResponse:
        """Charge the card of an earlier transaction again, without the shopper
        (``POST /v1/payments/recurring/merchant/initiated``). A decline is data: ``status``
        is ``TransactionStatus.REJECTED`` and ``success`` False.

        Args:
            parent_transaction_id: The transaction whose card is charged (``txn_...``).
            amount: The amount, in minor units (5000 = 50.00 KZT); positive.
            currency: An ISO 4217 code such as ``"KZT"``.
            order_reference: Your order number.
            description: What the charge is for.
            idempotency_key: Pass your own, derived from the billing period (for example
                ``"sub-42-2025-03"``), so that a re-run of your billing never charges twice;
                generated when None and reused on every retry of this call.
            options: This call's retry policy and timeouts (seconds).

        Returns:
            The new transaction: ``id``, ``status``, ``success``, ``amount`` (minor units).

        Raises:
            InvalidRequestError: An argument is missing, of the wrong type, unknown (the
                message names the closest parameter) or invalid (an amount that is not
                positive, an unknown currency); nothing was sent.
            BadRequestError: Plexy refused the request's content (400).
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such parent transaction (404).
            ConflictError: The idempotency key was used with other parameters, or its first
                request is still in flight (409).
            UnprocessableEntityError: The parent transaction cannot be charged again (422).
            OutcomeUnknownError: The request may have reached Plexy and no answer settled it:
                the card may have been charged. Call again with ``error.idempotency_key`` to
                learn the outcome without charging twice.
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before the request could have arrived.

        Example:
            ::

                charge = await plexy.recurring.merchant_initiated(
                    parent_transaction_id="txn_123", amount=990000, currency="KZT",
                    idempotency_key="sub-42-2025-03",
                )
        """
        # generated: MerchantInitiatedPaymentRequest arguments (_signatures.py)
        body = build_from(
            MerchantInitiatedPaymentRequest, self.merchant_initiated, unexpected, options,
            parent_transaction_id, amount, currency, order_reference, description,
        )  # fmt: skip
        # end generated
        return await self._call(
            "recurring.merchant_initiated",
            MerchantInitiatedPaymentResponse,
            body=body,
            idempotency_key=idempotency_key,
            options=options,
        )
