"""The webhook errors. Messages name what failed, never a secret, a token or a signature.

Like every library error they pickle and deep-copy with all their fields (``PlexyError``).

::

    PlexyError
    └── WebhookError                        a delivery that cannot be trusted or used
        ├── WebhookVerificationError        reject the delivery (answer 400, or 401 for a token)
        │   ├── MissingSignatureError           no signature header, token or hmacSignature
        │   ├── MalformedSignatureError         there is one, but it cannot be parsed
        │   ├── TimestampOutsideToleranceError  signed too long ago, or in the future
        │   └── NoMatchingSignatureError        no signature or token matches any configured one
        └── WebhookPayloadError             authentic, but not JSON or not the event's shape
"""

from __future__ import annotations

from plexy_async.errors import PlexyError


class WebhookError(PlexyError, ValueError):
    """A webhook delivery cannot be trusted or used."""


class WebhookVerificationError(WebhookError):
    """The delivery is not proven to come from Plexy: reject it and do not act on it.

    ``item_index`` is the position of the failing Adyen-style notification item (else None).
    """

    def __init__(self, message: str, *, item_index: int | None = None) -> None:
        super().__init__(message)
        self.item_index = item_index


class MissingSignatureError(WebhookVerificationError):
    """The signature header, bearer token or an item's ``hmacSignature`` is missing."""


class MalformedSignatureError(WebhookVerificationError):
    """The signature header, token or ``hmacSignature`` is there but cannot be parsed."""


class TimestampOutsideToleranceError(WebhookVerificationError):
    """The signature's timestamp is further from now than the tolerance allows.

    ``age`` is now minus the timestamp, in seconds: negative for a timestamp in the future.
    """

    def __init__(
        self,
        message: str,
        *,
        timestamp: int,
        age: float,
        tolerance: float,
        item_index: int | None = None,
    ) -> None:
        super().__init__(message, item_index=item_index)
        self.timestamp = timestamp
        self.age = age
        self.tolerance = tolerance


class NoMatchingSignatureError(WebhookVerificationError):
    """No signature (or token) in the delivery matches any of the configured secrets."""


class WebhookPayloadError(WebhookError):
    """The delivery is authentic but its body is not valid JSON or not the event's shape."""
