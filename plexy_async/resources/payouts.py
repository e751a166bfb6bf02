"""Pay API v1. Payouts: list payout transactions, process payout, save card for payouts.

The keyword parameters between ``# generated`` and ``# end generated`` are the request model's
fields: ``python -m plexy_async.resources._signatures`` writes them (see ``_signatures``).
"""

from __future__ import annotations

from typing import Unpack

from plexy_async._core.config import RequestOptions
from plexy_async._core.pagination import DEFAULT_PAGE_SIZE, Paginator

from ..models.payouts import Payout, PayoutRequest, PayoutStatus, SaveCardRequest, SavedCard
from ._base import NoOtherKeywords, Service, build_from, check_arguments, paginate


class PayoutsService(Service):
    """Payouts: list payout transactions, process payout, save card for payouts
    (``plexy.payouts``)."""

    def list(
        self,
        *,
        status: PayoutStatus | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> Paginator[Payout]:
        """Every payout transaction, oldest first
        (``GET /v1/payouts/transactions?status=&page=&size=``), fetched one page at a time as
        you iterate.

        Args:
            status: Only payouts in this state (``PayoutStatus`` or its value, such as
                ``"paid"``).
            page_size: Payouts per request, 1 to 500.
            options: Each page's retry policy and timeouts (seconds).

        Returns:
            A ``Paginator``: ``async for payout in ...`` walks every page;
            ``await ....page(n)`` fetches one ``Page``. Nothing is sent until then.

        Raises:
            InvalidRequestError: An argument is of the wrong type, out of range or unknown
                (the message names the closest parameter); raised by this call, before
                anything is sent.
            AuthenticationError: The API key was refused (401), while iterating.
            APIStatusError: Any other error status while iterating: ``RateLimitError``
                (429), ``ServerError`` (5xx) once the retries are spent.
            APIConnectionError: The network failed while iterating, after the retries.

        Example:
            ::

                async for payout in plexy.payouts.list(status="failed"):
                    print(payout.id, payout.failure_reason)
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.list, unexpected, status, page_size, options)
        # end generated
        return paginate(
            self, "payouts.list", Payout, page_size=page_size,
            query={"status": status}, options=options,
        )  # fmt: skip

    async def process(
        self,
        *,
        # generated: PayoutRequest fields (_signatures.py)
        amount: int,
        currency: str,
        card_token_id: str,
        order_reference: str | None = None,
        description: str | None = None,
        customer_id: str | None = None,
        metadata: dict[str, str] | None = None,
        # end generated
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> Payout:
        """Pay an amount from the merchant balance to a saved card (``POST /v1/payouts``).

        Args:
            amount: The amount, in minor units (5000 = 50.00 KZT); positive.
            currency: An ISO 4217 code such as ``"KZT"``.
            card_token_id: The card: a token from ``save_card`` or a customer's card token.
            order_reference: Your reference for the payout.
            idempotency_key: Generated when None, and reused on every retry, so a retried
                payout never pays twice.
            options: This call's retry policy and timeouts (seconds).

        The other keywords are the ``PayoutRequest`` fields of the same names.

        Returns:
            The payout: ``id``, ``status``, ``last4``, ``failure_reason``.

        Raises:
            InvalidRequestError: An argument is missing, of the wrong type, unknown (the
                message names the closest parameter) or invalid (an amount that is not
                positive, an unknown currency); nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such card token (404).
            ConflictError: The idempotency key was used with other parameters, or its first
                request is still in flight (409).
            UnprocessableEntityError: The merchant balance is too low, or payouts are not
                enabled (422).
            OutcomeUnknownError: The request may have reached Plexy and no answer settled it:
                the money may have been paid out. Call again with ``error.idempotency_key``
                to learn the outcome without paying twice.
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before the request could have arrived.

        Example:
            ::

                payout = await plexy.payouts.process(
                    amount=1500000, currency="KZT", card_token_id=card.id,  # 15,000.00 KZT
                    order_reference="refund-42",
                )
        """
        # generated: PayoutRequest arguments (_signatures.py)
        body = build_from(
            PayoutRequest, self.process, unexpected, options,
            amount, currency, card_token_id, order_reference, description, customer_id, metadata,
        )  # fmt: skip
        # end generated
        return await self._call(
            "payouts.process", Payout, body=body, idempotency_key=idempotency_key, options=options
        )

    async def save_card(
        self,
        *,
        # generated: SaveCardRequest fields (_signatures.py)
        card_number: str,
        expiry_month: str,
        expiry_year: str,
        holder_name: str | None = None,
        customer_id: str | None = None,
        # end generated
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> SavedCard:
        """Store a card to pay out to (``POST /v1/payouts/cards``); the number goes to Plexy
        only: the token keeps last4, brand and expiry.

        Args:
            card_number: The card number (digits).
            expiry_month: ``"03"``.
            expiry_year: ``"2030"``.
            holder_name: The cardholder's name.
            customer_id: The customer to attach the card to.
            idempotency_key: Generated when None, and reused on every retry.
            options: This call's retry policy and timeouts (seconds).

        Returns:
            The card token: ``id``, ``last4``, ``brand``, ``expiry_month``, ``expiry_year``.

        Raises:
            InvalidRequestError: An argument is missing, empty, of the wrong type or unknown
                (the message names the closest parameter); nothing was sent.
            BadRequestError: Plexy refused the card (400).
            AuthenticationError: The API key was refused (401).
            ConflictError: The idempotency key was used with other parameters, or its first
                request is still in flight (409).
            UnprocessableEntityError: The card cannot take payouts (422).
            OutcomeUnknownError: The request may have reached Plexy and no answer settled it:
                the card may be saved. Call again with ``error.idempotency_key``.
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before the request could have arrived.

        Example:
            ::

                card = await plexy.payouts.save_card(
                    card_number="4242424242424242", expiry_month="03", expiry_year="2030"
                )
        """
        # generated: SaveCardRequest arguments (_signatures.py)
        body = build_from(
            SaveCardRequest, self.save_card, unexpected, options,
            card_number, expiry_month, expiry_year, holder_name, customer_id,
        )  # fmt: skip
        # end generated
        return await self._call(
            "payouts.save_card",
            SavedCard,
            body=body,
            idempotency_key=idempotency_key,
            options=options,
        )
