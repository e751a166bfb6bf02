"""Pay API v1: payment links.

The keyword parameters between ``# generated`` and ``# end generated`` are the request model's
fields: ``python -m plexy_async.resources._signatures`` writes them (see ``_signatures``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Unpack

from plexy_async._core.config import RequestOptions
from plexy_async._core.converter import unstructure
from plexy_async._core.pagination import DEFAULT_PAGE_SIZE, Paginator

from ..models.payment_links import (
    CreatePaymentLinkRequest,
    PaymentLink,
    PaymentLinkMetadata,
    PaymentLinksStatistics,
    PaymentLinkStatus,
    Recurring,
    UpdatePaymentLinkRequest,
)
from ._base import NoOtherKeywords, Service, build_from, check_arguments, paginate


class PaymentLinksService(Service):
    """Create, list, retrieve (by id or order reference), cancel, update expiration, statistics:
    ``plexy.payment_links``."""

    async def create(
        self,
        *,
        # generated: CreatePaymentLinkRequest fields (_signatures.py)
        amount: int,
        currency: str,
        description: str | None = None,
        order_reference: str | None = None,
        customer_id: str | None = None,
        expires_at: datetime | None = None,
        auto_clearing: bool | None = None,
        metadata: PaymentLinkMetadata | None = None,
        recurring: Recurring | None = None,
        # end generated
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> PaymentLink:
        """Create a payment link (``POST /v1/payment-links``); send the shopper to its ``url``.

        Args:
            amount: The amount, in minor units (5000 = 50.00 KZT); positive.
            currency: An ISO 4217 code such as ``"KZT"``.
            description: Shown to the shopper.
            order_reference: Your order number; ``retrieve_by_order_reference`` finds the link.
            expires_at: When the link expires (a timezone-aware datetime).
            auto_clearing: True: charge at once; False: authorise, capture later.
            metadata: The ``success_url``, ``failure_url`` and ``cancel_url`` of the hosted
                page (a ``PaymentLinkMetadata``).
            recurring: Make the payment the start of a recurring series (a ``Recurring``,
                its ``frequency`` in days).
            idempotency_key: Generated when None, and reused on every retry, so a retried
                create never makes two links.
            options: This call's retry policy and timeouts (seconds).

        Returns:
            The link: ``id`` (``pl_...``), ``url``, ``status`` (active).

        Raises:
            InvalidRequestError: An argument is missing, of the wrong type, unknown (the
                message names the closest parameter) or invalid (an amount that is not
                positive, an unknown currency, a naive datetime); nothing was sent.
            BadRequestError: Plexy refused the request's content (400).
            AuthenticationError: The API key was refused (401).
            ConflictError: The idempotency key was used with other parameters, or its first
                request is still in flight (409).
            UnprocessableEntityError: Plexy could not validate the link (422).
            OutcomeUnknownError: The request may have reached Plexy and no answer settled it:
                the link may exist. Call again with ``error.idempotency_key``.
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before the request could have arrived.

        Example:
            ::

                link = await plexy.payment_links.create(
                    amount=500000, currency="KZT", order_reference="ORD-1",  # 5,000.00 KZT
                    description="Order 1",
                )
                print(link.url)
        """
        # generated: CreatePaymentLinkRequest arguments (_signatures.py)
        body = build_from(
            CreatePaymentLinkRequest, self.create, unexpected, options,
            amount, currency, description, order_reference, customer_id, expires_at, auto_clearing,
            metadata, recurring,
        )  # fmt: skip
        # end generated
        return await self._call(
            "payment_links.create",
            PaymentLink,
            body=body,
            idempotency_key=idempotency_key,
            options=options,
        )

    def list(
        self,
        *,
        status: PaymentLinkStatus | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> Paginator[PaymentLink]:
        """Every payment link, oldest first (``GET /v1/payment-links?status=&page=&size=``),
        fetched one page at a time as you iterate.

        Args:
            status: Only links in this state (``PaymentLinkStatus`` or its value, such as
                ``"active"``).
            page_size: Links per request, 1 to 500.
            options: Each page's retry policy and timeouts (seconds).

        Returns:
            A ``Paginator``: ``async for link in ...`` walks every page;
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

                async for link in plexy.payment_links.list(status="active"):
                    print(link.id, link.amount)
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.list, unexpected, status, page_size, options)
        # end generated
        query = {"status": None if status is None else str(status)}
        return paginate(
            self, "payment_links.list", PaymentLink, page_size=page_size, query=query,
            options=options,
        )  # fmt: skip

    async def retrieve(
        self,
        link_id: str,
        *,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> PaymentLink:
        """One payment link (``GET /v1/payment-links/{link_id}``).

        Args:
            link_id: The link (``pl_...``).
            options: This call's retry policy and timeouts (seconds).

        Returns:
            The link, with its ``status`` and ``amount`` (minor units).

        Raises:
            InvalidRequestError: An argument is of the wrong type, empty or unknown (the
                message names the closest parameter); nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such link (404).
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before an answer came, after the retries.

        Example:
            ::

                link = await plexy.payment_links.retrieve("pl_123")
                if link.status is PaymentLinkStatus.PAID:
                    ...
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.retrieve, unexpected, link_id, options)
        # end generated
        return await self._call(
            "payment_links.retrieve",
            PaymentLink,
            path_params={"link_id": link_id},
            options=options,
        )

    async def retrieve_by_order_reference(
        self,
        order_reference: str,
        *,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> PaymentLink:
        """The latest payment link created for an order reference
        (``GET /v1/payment-links/by-order-reference/{order_reference}``).

        Args:
            order_reference: The ``order_reference`` the link was created with.
            options: This call's retry policy and timeouts (seconds).

        Returns:
            The newest link with that order reference.

        Raises:
            InvalidRequestError: An argument is of the wrong type, empty or unknown (the
                message names the closest parameter); nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No link has that order reference (404).
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before an answer came, after the retries.

        Example:
            ::

                link = await plexy.payment_links.retrieve_by_order_reference("ORD-1")
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.retrieve_by_order_reference, unexpected, order_reference, options)
        # end generated
        return await self._call(
            "payment_links.retrieve_by_order_reference",
            PaymentLink,
            path_params={"order_reference": order_reference},
            options=options,
        )

    async def cancel(
        self,
        link_id: str,
        *,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> PaymentLink:
        """Cancel an unpaid link (``DELETE /v1/payment-links/{link_id}``). Cancelling a
        cancelled link returns it unchanged, so a retried cancel is harmless.

        Args:
            link_id: The link (``pl_...``).
            options: This call's retry policy and timeouts (seconds).

        Returns:
            The link, its ``status`` ``cancelled``.

        Raises:
            InvalidRequestError: An argument is of the wrong type, empty or unknown (the
                message names the closest parameter); nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such link (404).
            UnprocessableEntityError: The link is paid or expired (422).
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before an answer came, after the retries.

        Example:
            ::

                link = await plexy.payment_links.cancel("pl_123")
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.cancel, unexpected, link_id, options)
        # end generated
        return await self._call(
            "payment_links.cancel",
            PaymentLink,
            path_params={"link_id": link_id},
            options=options,
        )

    async def update_expiration(
        self,
        link_id: str,
        *,
        # generated: UpdatePaymentLinkRequest fields (_signatures.py)
        expires_at: datetime,
        # end generated
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> PaymentLink:
        """Move the expiration of a link that is neither paid nor cancelled
        (``PATCH /v1/payment-links/{link_id}/expiration``); an expired link becomes active
        again when ``expires_at`` is in the future.

        Args:
            link_id: The link (``pl_...``).
            expires_at: The new expiration (a timezone-aware datetime).
            idempotency_key: Generated when None, and reused on every retry.
            options: This call's retry policy and timeouts (seconds).

        Returns:
            The link with its new ``expires_at`` and ``status``.

        Raises:
            InvalidRequestError: An argument is missing, of the wrong type or unknown (the
                message names the closest parameter), or ``expires_at`` is naive; nothing was
                sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such link (404).
            ConflictError: The idempotency key was used with other parameters, or its first
                request is still in flight (409).
            UnprocessableEntityError: The link is paid or cancelled (422).
            OutcomeUnknownError: The request may have reached Plexy and no answer settled it.
                Call again with ``error.idempotency_key``.
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before the request could have arrived.

        Example:
            ::

                link = await plexy.payment_links.update_expiration(
                    "pl_123", expires_at=datetime.now(UTC) + timedelta(days=7)
                )
        """
        # generated: UpdatePaymentLinkRequest arguments (_signatures.py)
        body = build_from(
            UpdatePaymentLinkRequest, self.update_expiration, unexpected, options,
            expires_at,
        )  # fmt: skip
        # end generated
        return await self._call(
            "payment_links.update_expiration",
            PaymentLink,
            body=body,
            path_params={"link_id": link_id},
            idempotency_key=idempotency_key,
            options=options,
        )

    async def statistics(
        self,
        *,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> PaymentLinksStatistics:
        """Link counts and amounts per status and currency
        (``GET /v1/payment-links/statistics?from=&to=``).

        Args:
            created_from: Only links created at or after this time (timezone-aware).
            created_to: Only links created before this time (timezone-aware).
            options: This call's retry policy and timeouts (seconds).

        Returns:
            ``count`` and ``items``: per status and currency, a count and the sum of the
            amounts in minor units; ``count_of(status)`` adds up a status.

        Raises:
            InvalidRequestError: An argument is of the wrong type or unknown (the message
                names the closest parameter), or a datetime is naive; nothing was sent.
            AuthenticationError: The API key was refused (401).
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before an answer came, after the retries.

        Example:
            ::

                stats = await plexy.payment_links.statistics(
                    created_from=datetime(2025, 1, 1, tzinfo=UTC)
                )
                print(stats.count_of("paid"))
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.statistics, unexpected, created_from, created_to, options)
        # end generated
        query = {
            "from": None if created_from is None else unstructure(created_from),
            "to": None if created_to is None else unstructure(created_to),
        }
        return await self._call(
            "payment_links.statistics", PaymentLinksStatistics, query=query, options=options
        )
