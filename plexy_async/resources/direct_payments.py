"""Pay API v1. Direct payments: card-encryption keys, host-to-host payment.

The keyword parameters between ``# generated`` and ``# end generated`` are the request model's
fields: ``python -m plexy_async.resources._signatures`` writes them (see ``_signatures``).
"""

from __future__ import annotations

from typing import Unpack

from plexy_async._core.config import RequestOptions

from ..models.direct_payments import (
    CardData,
    DirectPaymentKeys,
    DirectPaymentRequest,
    DirectPaymentResponse,
)
from ._base import NoOtherKeywords, Service, build_from, check_arguments


class DirectPaymentsService(Service):
    """Direct payments: card-encryption keys, host-to-host payment (``plexy.direct_payments``)."""

    async def keys(
        self,
        *,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> DirectPaymentKeys:
        """The public key to encrypt card data with (``GET /v1/payments/direct/keys``).

        Args:
            options: This call's retry policy and timeouts (seconds).

        Returns:
            ``key_id``, ``public_key``, ``algorithm`` and ``expires_at``.

        Raises:
            InvalidRequestError: An argument is of the wrong type or unknown (the message
                names the closest parameter); nothing was sent.
            AuthenticationError: The API key was refused (401).
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before an answer came, after the retries.

        Example:
            ::

                keys = await plexy.direct_payments.keys()
                print(keys.key_id, keys.algorithm)
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.keys, unexpected, options)
        # end generated
        return await self._call("direct_payments.keys", DirectPaymentKeys, options=options)

    async def create(
        self,
        *,
        # generated: DirectPaymentRequest fields (_signatures.py)
        amount: int,
        currency: str,
        card: CardData,
        order_reference: str | None = None,
        description: str | None = None,
        customer_id: str | None = None,
        auto_clearing: bool | None = None,
        return_url: str | None = None,
        # end generated
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> DirectPaymentResponse:
        """Pay with card data sent from your server (``POST /v1/payments/direct``): PCI DSS
        scope. A decline is data: ``status`` is ``TransactionStatus.REJECTED``.

        Args:
            amount: The amount, in minor units (5000 = 50.00 KZT); positive.
            currency: An ISO 4217 code such as ``"KZT"``.
            card: The card (a ``CardData``); its ``repr()`` shows the number as first 6 /
                last 4 and never the CVC.
            order_reference: Your order number.
            auto_clearing: True (Plexy's default): charge at once; False: authorise only,
                capture later with ``payments.capture``.
            return_url: Where a 3-D Secure step sends the shopper back.
            idempotency_key: Generated when None, and reused on every retry, so a retried
                payment is never made twice.
            options: This call's retry policy and timeouts (seconds).

        The other keywords are the ``DirectPaymentRequest`` fields of the same names.

        Returns:
            The new transaction: ``id``, ``status``, ``success``, ``last4``.

        Raises:
            InvalidRequestError: An argument is missing, of the wrong type, unknown (the
                message names the closest parameter) or invalid (an amount that is not
                positive, an unknown currency); nothing was sent.
            BadRequestError: Plexy refused the request's content (400).
            AuthenticationError: The API key was refused (401).
            CardError: The card was refused with an error status (402).
            ConflictError: The idempotency key was used with other parameters, or its first
                request is still in flight (409).
            UnprocessableEntityError: The payment cannot be made as asked (422).
            OutcomeUnknownError: The request may have reached Plexy and no answer settled it:
                the card may have been charged. Call again with ``error.idempotency_key`` to
                learn the outcome without paying twice.
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before the request could have arrived.

        Example:
            ::

                paid = await plexy.direct_payments.create(
                    amount=500000, currency="KZT",  # 5,000.00 KZT
                    card=CardData(number="4242424242424242", expiry_month="03",
                                  expiry_year="2030", cvc="737"),
                )
        """
        # generated: DirectPaymentRequest arguments (_signatures.py)
        body = build_from(
            DirectPaymentRequest, self.create, unexpected, options,
            amount, currency, card, order_reference, description, customer_id, auto_clearing,
            return_url,
        )  # fmt: skip
        # end generated
        return await self._call(
            "direct_payments.create",
            DirectPaymentResponse,
            body=body,
            idempotency_key=idempotency_key,
            options=options,
        )
