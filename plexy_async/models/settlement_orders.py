"""Pay API v1 settlement payment orders: ``entity.SettlementPaymentOrder``.

A settlement payment order pays a beneficiary's bank account outside the automatic settlement
cycle (``payment_order.created`` / ``.paid`` / ``.failed`` webhooks report its progress). Orders
created with ``settlement_orders.create`` are funded from the merchant balance; those created by
``beneficiaries.manual_settlement`` from the beneficiary's own balance (``source``).
"""

from __future__ import annotations

from datetime import datetime

import attrs

from plexy_async.models._money import currency_code, minor_units, non_empty
from plexy_async.models.common import APIResponse, OpenStrEnum


@attrs.frozen(kw_only=True, slots=False)
class CreateSettlementOrderRequest:
    """``POST /settlement-payment-orders``: pay ``amount`` to a beneficiary.

    ``request_id`` is Plexy's own duplicate guard: a second order with the same ``request_id`` is
    refused (409). The client's ``Idempotency-Key`` protects retries of this one call as well.
    """

    beneficiary_id: str = attrs.field(validator=non_empty)
    amount: int = attrs.field(validator=minor_units)
    currency: str = attrs.field(validator=currency_code)
    request_id: str | None = None
    description: str | None = None


class SettlementOrderStatus(OpenStrEnum):
    """``created`` (sent to the bank), then ``paid`` or ``failed``; unknown values are kept."""

    CREATED = "created"
    PAID = "paid"
    FAILED = "failed"


class SettlementSource(OpenStrEnum):
    """Which balance funds an order (unknown values are kept)."""

    MERCHANT_BALANCE = "merchantBalance"
    BENEFICIARY_BALANCE = "beneficiaryBalance"


@attrs.frozen(kw_only=True, slots=False)
class SettlementPaymentOrder(APIResponse):
    """``entity.SettlementPaymentOrder`` (also the answer of a manual settlement)."""

    id: str
    beneficiary_id: str
    amount: int
    currency: str
    status: SettlementOrderStatus
    source: SettlementSource | None = None
    merchant_id: str | None = None
    request_id: str | None = None
    description: str | None = None
    failure_reason: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
