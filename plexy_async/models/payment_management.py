"""Pay API v1 payment management: capture, cancel and refund a transaction.

``request.RefundPayment``; ``response.CapturePaymentResponse``, ``response.CancelPaymentResponse``
and ``response.RefundPaymentResponse``. ``remaining_balance`` is what is left to refund, in minor
units.
"""

from __future__ import annotations

import attrs

from plexy_async.models._money import optional_minor_units
from plexy_async.models.common import APIResponse

# ``plexy_async._core.converter.SEND_NULL``, spelled out: the converter imports the models
# package, and models import nothing above them (a test pins the key).
_SEND_NULL = "plexy_send_null"


@attrs.frozen(kw_only=True, slots=False)
class RefundPaymentRequest:
    """``request.RefundPayment``: ``amount`` in minor units, or ``None`` for the whole balance
    (sent as ``{"amount": null}``)."""

    amount: int | None = attrs.field(
        default=None, validator=optional_minor_units, metadata={_SEND_NULL: True}
    )


@attrs.frozen(kw_only=True, slots=False)
class PaymentManagementResponse(APIResponse):
    """What capture, cancel and refund answer: ``success`` and the balance left."""

    id: str
    success: bool = False
    amount: int | None = None  # the amount this operation moved
    remaining_balance: int | None = None
    order_reference: str | None = None
    response_code: str | None = None
    auth_code: str | None = None
    message: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class CapturePaymentResponse(PaymentManagementResponse):
    """``response.CapturePaymentResponse``: the authorised transaction is now charged."""


@attrs.frozen(kw_only=True, slots=False)
class CancelPaymentResponse(PaymentManagementResponse):
    """``response.CancelPaymentResponse``: the authorisation is released."""


@attrs.frozen(kw_only=True, slots=False)
class RefundPaymentResponse(PaymentManagementResponse):
    """``response.RefundPaymentResponse``: ``id`` is the refund, ``original_transaction_id`` the
    refunded transaction."""

    original_transaction_id: str | None = None
