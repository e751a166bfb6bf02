"""Pay API v1 payouts: ``request.HandlePayout``, ``request.SaveCard``, ``response.Payout``,
``response.SavedCard``.

A payout sends money from the merchant's balance to a saved card (a card token from
``payouts.save_card`` or a customer's card token). Field names are inferred; amounts are in minor
units with a separate ``currency``.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from plexy_async.models._money import currency_code, minor_units, non_empty
from plexy_async.models.common import APIResponse, OpenStrEnum, card_number_repr
from plexy_async.models.customers import CardToken

#: ``response.SavedCard``: what ``payouts.save_card`` returns (a card token).
SavedCard = CardToken

# --- request side -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True, slots=False)
class SaveCardRequest:
    """``request.SaveCard``: store a card to pay out to.

    ``repr()`` shows the number as first 6 / last 4; the server keeps only a token.
    """

    card_number: str = attrs.field(validator=non_empty, repr=card_number_repr)
    expiry_month: str = attrs.field(validator=non_empty)
    expiry_year: str = attrs.field(validator=non_empty)
    holder_name: str | None = None
    customer_id: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class PayoutRequest:
    """``request.HandlePayout``: pay ``amount`` out of the merchant balance to a card token."""

    amount: int = attrs.field(validator=minor_units)
    currency: str = attrs.field(validator=currency_code)
    card_token_id: str = attrs.field(validator=non_empty)
    order_reference: str | None = None
    description: str | None = None
    customer_id: str | None = None
    metadata: dict[str, str] | None = None


# --- response side ------------------------------------------------------------------------------


class PayoutStatus(OpenStrEnum):
    """State of a payout (unknown values are kept)."""

    CREATED = "created"
    PROCESSING = "processing"
    PAID = "paid"
    FAILED = "failed"
    REJECTED = "rejected"


@attrs.frozen(kw_only=True, slots=False)
class Payout(APIResponse):
    """``response.Payout``: a payout transaction."""

    id: str
    amount: int
    currency: str
    status: PayoutStatus
    card_token_id: str | None = None
    customer_id: str | None = None
    last4: str | None = None
    brand: str | None = None
    order_reference: str | None = None
    description: str | None = None
    failure_reason: str | None = None
    metadata: dict[str, str] = attrs.field(factory=dict)
    created_at: datetime | None = None
    processed_at: datetime | None = None
