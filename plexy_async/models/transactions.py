"""Pay API v1 transactions: ``response.Transaction`` and its history
(``response.TransactionEvents``).

Money is ``amount`` in minor units plus ``currency``; ``balance`` is what is left to capture (an
authorised transaction) or to refund (a charged one). Nullable ids such as ``payment_link_id``
and ``customer_id`` sometimes arrive wrapped as ``{"Value": "..."}``: the converter unwraps them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from plexy_async.models.common import APIResponse, OpenStrEnum


class TransactionStatus(OpenStrEnum):
    """State of a Pay API transaction; unknown values are kept.

    ``AUTHORIZED`` becomes ``CHARGED`` by capture or ``CANCELLED`` by cancel; ``CHARGED`` becomes
    ``REFUNDED`` once refunds used up its balance.
    """

    CREATED = "created"
    THREE_D = "3d"
    AUTHORIZED = "authorized"
    REJECTED = "rejected"
    FAILED = "failed"
    CHARGED = "charged"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


@attrs.frozen(kw_only=True, slots=False)
class TransactionRecord:
    """The fields of a Pay API transaction, every one but ``id`` optional.

    ``Transaction`` (what the API returns) and ``TransactionWebhookDetails`` (what webhooks
    carry) are this record; the API's always has ``status``, ``amount`` and ``currency``.
    """

    id: str
    status: TransactionStatus | None = None
    amount: int | None = None
    currency: str | None = None
    balance: int | None = None
    type: str | None = None  # payment, recurring, refund, ...
    last4: str | None = None
    payment_method: Any = None  # a method name, or an object in some webhooks: kept as sent
    merchant_reference: str | None = None
    order_reference: str | None = None
    description: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    authed_at: datetime | None = None
    confirmed_at: datetime | None = None
    processed_at: datetime | None = None
    processed_amount: int | None = None
    secure3d: Any = None  # undocumented shape (a flag or the 3-D Secure details): kept as sent
    parent_transaction_id: str | None = None
    recurring_type: str | None = None
    payment_link_id: str | None = None
    customer_id: str | None = None
    card_token_id: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class Transaction(TransactionRecord, APIResponse):
    """``response.Transaction``: one payment, recurring payment or refund (``type``)."""

    status: TransactionStatus
    amount: int
    currency: str


@attrs.frozen(kw_only=True, slots=False)
class TransactionHistoryEventData:
    """``response.TransactionHistoryEventData``: the transaction just after the event."""

    status: TransactionStatus | None = None
    amount: int | None = None  # the amount the event moved (a partial refund's amount)
    balance: int | None = None
    currency: str | None = None
    message: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class TransactionHistoryEvent:
    """``response.TransactionHistoryEvent``: ``name`` is ``transaction.created``,
    ``transaction.charged``, ``transaction.refunded``..."""

    name: str
    id: str | None = None
    created_at: datetime | None = None
    data: TransactionHistoryEventData | None = None


@attrs.frozen(kw_only=True, slots=False)
class TransactionEvents(APIResponse):
    """``response.TransactionEvents``: a transaction's history, oldest event first."""

    transaction_id: str | None = None
    events: list[TransactionHistoryEvent] = attrs.field(factory=list)

    @property
    def names(self) -> list[str]:
        return [event.name for event in self.events]
