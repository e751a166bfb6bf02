"""Verify and parse Plexy webhooks: pure functions, no I/O.

One ``construct_*`` call per delivery scheme verifies the raw request body and returns a typed
event; each raises a ``WebhookVerificationError`` subclass when the delivery cannot be trusted
(answer 400, or 401 for a bad token) and ``WebhookPayloadError`` when it is authentic but
unusable. Error messages never contain a secret, a token or a signature.

::

    from plexy_async import webhooks

    # Checkout v2: Plexy-Signature: t=...,v1=...   (pass every active secret while rotating)
    event = webhooks.construct_checkout_event(
        raw_body, request.headers.get("Plexy-Signature"), ["whsec_new", "whsec_old"]
    )
    # Pay API v1: Authorization: Bearer <token>
    event = webhooks.construct_pay_event(raw_body, request.headers.get("Authorization"), token)
    # Adyen-style notifications: every item's additionalData.hmacSignature, key in hex
    notification = webhooks.construct_notification(raw_body, hmac_key_hex)

    seen = webhooks.DuplicateFilter()      # one per process
    if seen.first_time(event):             # Plexy may deliver an event more than once
        ...

Always pass the body exactly as received (``await request.body()`` in FastAPI,
``await request.read()`` in aiohttp.web): re-serialised JSON does not match the signature.
``sign_checkout_payload``, ``pay_authorization_header`` and ``sign_notification_item`` build what
Plexy would send, for tests (``MockPlexy.send_webhook`` uses them).
"""

from plexy_async.models.webhooks import (
    CheckoutEvent,
    CheckoutEventType,
    Notification,
    NotificationEventCode,
    NotificationItem,
    NotificationRequestItem,
    PayEvent,
    PayEventName,
    TransactionWebhookDetails,
)

from ._checkout import (
    CHECKOUT_SIGNATURE_HEADER,
    DEFAULT_TOLERANCE,
    construct_checkout_event,
    parse_checkout_event,
    parse_signature_header,
    sign_checkout_payload,
    verify_checkout_signature,
)
from ._dedupe import DuplicateFilter, HasEventId
from ._errors import (
    MalformedSignatureError,
    MissingSignatureError,
    NoMatchingSignatureError,
    TimestampOutsideToleranceError,
    WebhookError,
    WebhookPayloadError,
    WebhookVerificationError,
)
from ._notifications import (
    SIGNED_FIELDS,
    construct_notification,
    notification_signing_string,
    parse_notification,
    sign_notification_item,
    verify_notification,
    verify_notification_item,
)
from ._pay import (
    PAY_AUTHORIZATION_HEADER,
    construct_pay_event,
    parse_pay_event,
    pay_authorization_header,
    verify_pay_token,
)

__all__ = [
    "CHECKOUT_SIGNATURE_HEADER",
    "DEFAULT_TOLERANCE",
    "PAY_AUTHORIZATION_HEADER",
    "SIGNED_FIELDS",
    "CheckoutEvent",
    "CheckoutEventType",
    "DuplicateFilter",
    "HasEventId",
    "MalformedSignatureError",
    "MissingSignatureError",
    "NoMatchingSignatureError",
    "Notification",
    "NotificationEventCode",
    "NotificationItem",
    "NotificationRequestItem",
    "PayEvent",
    "PayEventName",
    "TimestampOutsideToleranceError",
    "TransactionWebhookDetails",
    "WebhookError",
    "WebhookPayloadError",
    "WebhookVerificationError",
    "construct_checkout_event",
    "construct_notification",
    "construct_pay_event",
    "notification_signing_string",
    "parse_checkout_event",
    "parse_notification",
    "parse_pay_event",
    "parse_signature_header",
    "pay_authorization_header",
    "sign_checkout_payload",
    "sign_notification_item",
    "verify_checkout_signature",
    "verify_notification",
    "verify_notification_item",
    "verify_pay_token",
]
