"""Pay API v1 direct (host-to-host) payments: ``models.KeyResponse``, ``request.CardData``,
``request.AuthorizePayment`` and ``response.AuthorizePayment``.

Host-to-host means your server sends card data: PCI DSS scope. ``repr()`` of ``CardData`` shows
the number as first 6 / last 4 and never the CVC. A decline is data: ``status`` is ``REJECTED``
and ``success`` False. Field names of the card and payment are inferred.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from plexy_async.models._money import currency_code, instance_of, minor_units, non_empty
from plexy_async.models.common import APIResponse, card_number_repr
from plexy_async.models.transactions import TransactionStatus


@attrs.frozen(kw_only=True, slots=False)
class CardData:
    """``request.CardData``: the card of a host-to-host payment."""

    number: str = attrs.field(validator=non_empty, repr=card_number_repr)
    expiry_month: str
    expiry_year: str
    cvc: str | None = attrs.field(default=None, repr=False)
    holder_name: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class DirectPaymentRequest:
    """``request.AuthorizePayment``: ``POST /payments/direct``."""

    amount: int = attrs.field(validator=minor_units)
    currency: str = attrs.field(validator=currency_code)
    card: CardData = attrs.field(validator=instance_of(CardData))
    order_reference: str | None = None
    description: str | None = None
    customer_id: str | None = None
    auto_clearing: bool | None = None  # True (default): charge at once; False: authorise only
    return_url: str | None = None  # where 3-D Secure sends the shopper back


@attrs.frozen(kw_only=True, slots=False)
class DirectPaymentResponse(APIResponse):
    """``response.AuthorizePayment``: ``id`` is the new transaction."""

    id: str
    status: TransactionStatus
    success: bool = False
    amount: int | None = None
    currency: str | None = None
    order_reference: str | None = None
    last4: str | None = None
    response_code: str | None = None
    auth_code: str | None = None
    message: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class DirectPaymentKeys(APIResponse):
    """``models.KeyResponse``: the public key to encrypt card data with, and its id."""

    key_id: str
    public_key: str
    algorithm: str | None = None
    expires_at: datetime | None = None
