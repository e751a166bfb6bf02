"""Pay API v1: payment links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from plexy_async._core.config import RequestOptions
from plexy_async._core.converter import unstructure
from plexy_async._core.pagination import DEFAULT_PAGE_SIZE, Paginator

from ..models.payment_links import (
    CreatePaymentLinkRequest,
    PaymentLink,
    PaymentLinksStatistics,
    PaymentLinkStatus,
    UpdatePaymentLinkRequest,
)
from ._base import Service, build, paginate


class PaymentLinksService(Service):
    """Create, list, retrieve (by id or order reference), cancel, update expiration, statistics."""

    async def create(
        self,
        *,
        amount: int,
        currency: str,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **optional: Any,
    ) -> PaymentLink:
        """Create a payment link (``POST /payment-links``); send the shopper to its ``url``.

        ``amount`` is in minor units. ``optional``: any other ``CreatePaymentLinkRequest`` field
        (description, order_reference, customer_id, expires_at, auto_clearing, metadata,
        recurring).
        """
        body = build(CreatePaymentLinkRequest, amount=amount, currency=currency, **optional)
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
    ) -> Paginator[PaymentLink]:
        """Every payment link, oldest first (``GET /payment-links?status=&page=&size=``).

        ``async for link in plexy.payment_links.list(status="active")`` fetches one page at a
        time; ``await plexy.payment_links.list().page(2)`` fetches a single page.
        """
        query = {"status": None if status is None else str(status)}
        return paginate(
            self, "payment_links.list", PaymentLink, page_size=page_size, query=query,
            options=options,
        )  # fmt: skip

    async def retrieve(self, link_id: str, *, options: RequestOptions | None = None) -> PaymentLink:
        """One payment link (``GET /payment-links/{id}``); ``NotFoundError`` if there is none."""
        return await self._call(
            "payment_links.retrieve",
            PaymentLink,
            path_params={"link_id": link_id},
            options=options,
        )

    async def retrieve_by_order_reference(
        self, order_reference: str, *, options: RequestOptions | None = None
    ) -> PaymentLink:
        """The latest payment link created for ``order_reference``."""
        return await self._call(
            "payment_links.retrieve_by_order_reference",
            PaymentLink,
            path_params={"order_reference": order_reference},
            options=options,
        )

    async def cancel(self, link_id: str, *, options: RequestOptions | None = None) -> PaymentLink:
        """Cancel an unpaid link; a paid or expired one raises ``UnprocessableEntityError``.

        Cancelling a cancelled link returns it unchanged, so a retried cancel is harmless.
        """
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
        expires_at: datetime,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
    ) -> PaymentLink:
        """Move the expiration of a link that is not paid or cancelled (an expired link becomes
        active again when ``expires_at`` is in the future)."""
        body = build(UpdatePaymentLinkRequest, expires_at=expires_at)
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
    ) -> PaymentLinksStatistics:
        """Link counts and amounts per status and currency, for links created in
        ``[created_from, created_to)`` (timezone-aware datetimes; both optional)."""
        query = {
            "from": None if created_from is None else unstructure(created_from),
            "to": None if created_to is None else unstructure(created_to),
        }
        return await self._call(
            "payment_links.statistics", PaymentLinksStatistics, query=query, options=options
        )
