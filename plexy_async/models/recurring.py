"""Pay API v1 recurring payments: ``request.MerchantInitiatedPayment`` and
``response.MerchantInitiatedPayment``.

A merchant-initiated payment charges the card of an earlier (parent) transaction again, without
the shopper. Money is ``amount`` in minor units plus ``currency``.
"""

from __future__ import annotations

import attrs

from plexy_async.models._money import currency_code, minor_units, non_empty
from plexy_async.models.common import APIResponse
from plexy_async.models.transactions import TransactionStatus


@attrs.frozen(kw_only=True, slots=False)
class MerchantInitiatedPaymentRequest:
    """``request.MerchantInitiatedPayment``: ``POST /payments/recurring/merchant/initiated``."""

    parent_transaction_id: str = attrs.field(validator=non_empty)
    amount: int = attrs.field(validator=minor_units)
    currency: str = attrs.field(validator=currency_code)
    order_reference: str | None = None
    description: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class MerchantInitiatedPaymentResponse(APIResponse):
    """``response.MerchantInitiatedPayment``: ``id`` is the new transaction."""

    id: str
    status: TransactionStatus
    success: bool = False
    amount: int | None = None
    currency: str | None = None
    parent_transaction_id: str | None = None
    order_reference: str | None = None
    response_code: str | None = None
    auth_code: str | None = None
    message: str | None = None
