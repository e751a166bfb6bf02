"""Pay API v1 payment links: ``request.CreatePaymentLink``, ``request.UpdatePaymentLink``,
``response.PaymentLink`` and ``response.PaymentLinksStatistics``.

Money is ``amount`` in minor units plus ``currency`` (5000 = 50.00 KZT). Field names follow the
documented create request; the statistics fields are inferred (the reference names the schema
only). Lists come as ``Page[PaymentLink]`` through ``plexy.payment_links.list()``.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from plexy_async.models._money import currency_code, minor_units
from plexy_async.models.common import APIResponse, OpenStrEnum


class PaymentLinkStatus(OpenStrEnum):
    """State of a payment link; unknown values are kept."""

    ACTIVE = "active"
    PAID = "paid"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


@attrs.frozen(kw_only=True, slots=False)
class PaymentLinkMetadata:
    """Where the hosted page sends the shopper afterwards (``request.CreatePaymentLinkMetadata``,
    ``response.PaymentLinkMetadata``)."""

    success_url: str | None = None
    failure_url: str | None = None
    cancel_url: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class Recurring:
    """``request.Recurring``: make the link's payment the start of a recurring series.

    ``type`` is for example ``"cof_initial"``; ``frequency`` is in days.
    """

    type: str
    frequency: int | None = None
    expiry: datetime | None = None
    parent_transaction_id: str | None = None


# --- request side -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True, slots=False)
class CreatePaymentLinkRequest:
    """``request.CreatePaymentLink``: ``POST /payment-links``."""

    amount: int = attrs.field(validator=minor_units)
    currency: str = attrs.field(validator=currency_code)
    description: str | None = None
    order_reference: str | None = None
    customer_id: str | None = None
    expires_at: datetime | None = None
    auto_clearing: bool | None = None  # True: charge at once; False: authorise, capture later
    metadata: PaymentLinkMetadata | None = None
    recurring: Recurring | None = None


@attrs.frozen(kw_only=True, slots=False)
class UpdatePaymentLinkRequest:
    """``request.UpdatePaymentLink``: a new expiration for a link that is not paid."""

    expires_at: datetime


# --- response side ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True, slots=False)
class PaymentLink(APIResponse):
    """``response.PaymentLink``: send ``url`` (``https://checkout.plexypay.com/pl_...``) to the
    shopper."""

    id: str
    status: PaymentLinkStatus
    amount: int
    currency: str
    url: str | None = None
    description: str | None = None
    order_reference: str | None = None
    customer_id: str | None = None
    expires_at: datetime | None = None
    auto_clearing: bool | None = None
    metadata: PaymentLinkMetadata | None = None
    recurring: Recurring | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True, slots=False)
class PaymentLinksStatisticsItem:
    """``response.PaymentLinksStatisticsItem``: links of one status and currency."""

    status: PaymentLinkStatus
    currency: str
    count: int = 0
    amount: int = 0  # the sum of the links' amounts, in minor units


@attrs.frozen(kw_only=True, slots=False)
class PaymentLinksStatistics(APIResponse):
    """``response.PaymentLinksStatistics``: link counts and amounts per status and currency."""

    count: int = 0
    items: list[PaymentLinksStatisticsItem] = attrs.field(factory=list)

    def count_of(self, status: PaymentLinkStatus | str) -> int:
        """How many links have ``status``, over every currency."""
        return sum(item.count for item in self.items if item.status == status)
