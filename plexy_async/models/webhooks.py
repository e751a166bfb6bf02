"""Webhook events, one model per delivery scheme (see ``plexy_async.webhooks`` to verify them).

* ``CheckoutEvent``: Checkout v2, ``{"id": "evt_...", "type": "payment.succeeded", ...}``;
* ``PayEvent``: Pay API v1, ``{"name": "transaction.charged", "merchantId": ..., "data": {...}}``;
* ``Notification``: Adyen-style ``{"live": "false", "notificationItems": [...]}``.

Like the response models they are lenient: event types and statuses are open enums that keep
values they do not know, unknown fields are ignored, and Pay API ids wrapped as
``{"Value": ...}`` are unwrapped by the converter. Every event has an ``event_id`` to drop
repeated deliveries with (``plexy_async.webhooks.DuplicateFilter``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs

from plexy_async.models.common import Amount, LenientBool, OpenStrEnum
from plexy_async.models.transactions import TransactionRecord

# --- Checkout v2 --------------------------------------------------------------------------------


class CheckoutEventType(OpenStrEnum):
    """``type`` of a Checkout v2 event; other values are kept (``is_known`` is False)."""

    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_FAILED = "payment.failed"
    REFUND_SUCCEEDED = "refund.succeeded"


@attrs.frozen(kw_only=True, slots=False)
class CheckoutEvent:
    """A Checkout v2 event; ``data`` is its object as sent (the shape depends on ``type``)."""

    id: str
    type: CheckoutEventType
    created: int  # unix seconds
    data: dict[str, Any] = attrs.field(factory=dict)

    @property
    def event_id(self) -> str:
        """The id to deduplicate on: Plexy repeats a delivery with the same ``id``."""
        return self.id

    @property
    def created_at(self) -> datetime:
        return datetime.fromtimestamp(self.created, UTC)


# --- Pay API v1 ---------------------------------------------------------------------------------


class PayEventName(OpenStrEnum):
    """``name`` of a Pay API event; other values are kept."""

    TRANSACTION_CREATED = "transaction.created"
    TRANSACTION_AUTHORIZED = "transaction.authorized"
    TRANSACTION_REJECTED = "transaction.rejected"
    TRANSACTION_FAILED = "transaction.failed"
    TRANSACTION_CHARGED = "transaction.charged"
    TRANSACTION_CANCELLED = "transaction.cancelled"
    TRANSACTION_REFUNDED = "transaction.refunded"


class TransactionWebhookDetails(TransactionRecord):
    """``response.TransactionWebhookDetails``: the transaction an event is about (minor units).

    Unlike ``Transaction`` (an API response), every field but ``id`` may be missing.
    """


@attrs.frozen(kw_only=True, slots=False)
class PayEvent:
    """A Pay API event: ``name`` happened to the transaction ``data``."""

    name: PayEventName
    data: TransactionWebhookDetails
    merchant_id: str | None = None

    @property
    def event_id(self) -> str:
        """Pay API events carry no id of their own: one event per (name, transaction)."""
        return f"{self.name.value}:{self.data.id}"


# --- Adyen-style notifications ------------------------------------------------------------------


class NotificationEventCode(OpenStrEnum):
    """``eventCode`` of a notification item; other values are kept."""

    AUTHORISATION = "AUTHORISATION"
    CAPTURE = "CAPTURE"
    CAPTURE_FAILED = "CAPTURE_FAILED"
    CANCELLATION = "CANCELLATION"
    CANCEL_OR_REFUND = "CANCEL_OR_REFUND"
    REFUND = "REFUND"
    REFUND_FAILED = "REFUND_FAILED"
    REFUNDED_REVERSED = "REFUNDED_REVERSED"
    CHARGEBACK = "CHARGEBACK"
    CHARGEBACK_REVERSED = "CHARGEBACK_REVERSED"
    PENDING = "PENDING"
    REPORT_AVAILABLE = "REPORT_AVAILABLE"


@attrs.frozen(kw_only=True, slots=False)
class NotificationRequestItem:
    """One notification item. ``additional_data["hmacSignature"]`` is what was verified."""

    psp_reference: str
    event_code: NotificationEventCode
    merchant_account_code: str
    success: LenientBool  # sent as "true" / "false"
    original_reference: str | None = None
    merchant_reference: str | None = None
    amount: Amount | None = None
    event_date: datetime | None = None
    reason: str | None = None
    payment_method: str | None = None
    operations: list[str] = attrs.field(factory=list)
    additional_data: dict[str, Any] = attrs.field(factory=dict, repr=False)

    @property
    def event_id(self) -> str:
        """Adyen-style backends repeat an item with the same pspReference, eventCode, success."""
        outcome = "true" if self.success else "false"
        return f"{self.psp_reference}:{self.event_code.value}:{outcome}"


@attrs.frozen(kw_only=True, slots=False)
class NotificationItem:
    """The wire's wrapper: ``{"NotificationRequestItem": {...}}``."""

    notification_request_item: NotificationRequestItem


@attrs.frozen(kw_only=True, slots=False)
class Notification:
    """An Adyen-style batch; ``items`` are the unwrapped notification items."""

    live: LenientBool  # sent as "true" / "false"
    notification_items: list[NotificationItem] = attrs.field(factory=list)

    @property
    def items(self) -> list[NotificationRequestItem]:
        return [wrapper.notification_request_item for wrapper in self.notification_items]
