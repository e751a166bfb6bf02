"""Checkout v2 webhooks: ``Plexy-Signature: t=<unix seconds>,v1=<hex>``.

``v1`` is the hex HMAC-SHA256 of the raw request body, keyed with the endpoint's secret
(``whsec_...``, used as is). The header may carry several ``v1`` values (Plexy signs with every
active secret while one is rotated) and versions other than ``v1``, which are ignored.

As documented, the timestamp is not part of the signed content: the tolerance window rejects a
stale or future delivery, but it cannot stop a captured delivery sent again with a fresh ``t``.
Drop repeated event ids (``DuplicateFilter``) to make replays harmless.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable
from typing import Final

from plexy_async.errors import ConfigurationError
from plexy_async.models.webhooks import CheckoutEvent

from ._common import Payload, load_json, raw_bytes, secret_list, to_event
from ._errors import (
    MalformedSignatureError,
    MissingSignatureError,
    NoMatchingSignatureError,
    TimestampOutsideToleranceError,
)

CHECKOUT_SIGNATURE_HEADER: Final = "Plexy-Signature"
"""The header that carries a Checkout v2 delivery's signature: ``t=<unix seconds>,v1=<hex>``."""
DEFAULT_TOLERANCE: Final = 300.0
"""Seconds a signature's timestamp may be from now, either way (Plexy: 5 minutes)."""

_HEADER: Final = CHECKOUT_SIGNATURE_HEADER
_MAX_TIMESTAMP_DIGITS: Final = 12


def _digest(secret: str, payload: bytes) -> str:
    # The one place the signed content is defined: the raw body alone, as documented.
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def sign_checkout_payload(payload: Payload, secret: str, *, timestamp: int | None = None) -> str:
    """The ``Plexy-Signature`` header value Plexy would send with ``payload`` (for tests).

    Args:
        payload: The body to sign, as it will be sent (a ``str`` is signed as UTF-8).
        secret: The endpoint's webhook secret (``whsec_...``).
        timestamp: The signature's time, in Unix seconds; default now.

    Returns:
        ``t=<timestamp>,v1=<hex HMAC-SHA256 of the body>``.

    Raises:
        ConfigurationError: The secret is empty or not a string.
        TypeError: ``payload`` is neither bytes nor str.

    Example:
        ::

            header = sign_checkout_payload(body, "whsec_test")
            event = construct_checkout_event(body, header, "whsec_test")
    """
    (secret,) = secret_list([secret], "webhook secret")
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={_digest(secret, raw_bytes(payload))}"


def parse_signature_header(header: str | None) -> tuple[int, list[str]]:
    """``(timestamp, [v1 signatures])`` from a ``Plexy-Signature`` header value.

    Args:
        header: The header's value, or None when the delivery had none.

    Returns:
        The timestamp (Unix seconds) and every ``v1`` signature, in order; other versions are
        ignored.

    Raises:
        MissingSignatureError: No header, or an empty one.
        MalformedSignatureError: No ``t=`` timestamp, a bad one, or no ``v1=`` signature.

    Example:
        ::

            timestamp, signatures = parse_signature_header("t=1700000000,v1=5f2b...")
    """
    if header is None or not header.strip():
        raise MissingSignatureError(f"the {_HEADER} header is missing")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        value = value.strip()
        if not sep or not key:
            raise MalformedSignatureError(
                f"the {_HEADER} header is malformed: expected comma-separated key=value pairs"
            )
        if key == "t":
            if timestamp is not None:
                raise MalformedSignatureError(f"the {_HEADER} header has more than one t=")
            if not (value.isascii() and value.isdigit() and len(value) <= _MAX_TIMESTAMP_DIGITS):
                raise MalformedSignatureError(
                    f"the {_HEADER} header's t= is not a unix timestamp in seconds"
                )
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None:
        raise MalformedSignatureError(f"the {_HEADER} header has no t= timestamp")
    if not signatures:
        raise MalformedSignatureError(f"the {_HEADER} header has no v1= signature")
    return timestamp, signatures


def verify_checkout_signature(
    payload: Payload,
    header: str | None,
    secrets: str | Iterable[str],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> int:
    """Check a Checkout v2 delivery; return the signature's timestamp.

    ``payload`` is the raw request body (not re-serialised JSON), ``header`` the
    ``Plexy-Signature`` value (``None`` when absent), ``secrets`` one secret or several during a
    rotation. The signature is checked first, then that its timestamp is within ``tolerance``
    seconds of ``now`` (default: the current time), in the past or the future.

    Args:
        payload: The raw request body, exactly as received.
        header: The ``Plexy-Signature`` header's value, or None when absent.
        secrets: The endpoint's secret, or every active one while a secret is rotated.
        tolerance: Seconds the timestamp may be from ``now``, either way.
        now: The current time in Unix seconds (for tests); default ``time.time()``.

    Returns:
        The signature's timestamp, in Unix seconds.

    Raises:
        MissingSignatureError: No signature header.
        MalformedSignatureError: The header cannot be parsed.
        NoMatchingSignatureError: No ``v1`` signature matches any of ``secrets``.
        TimestampOutsideToleranceError: Signed more than ``tolerance`` seconds from now.
        ConfigurationError: No secret, an empty one, or a tolerance that is not positive.

    Example:
        ::

            verify_checkout_signature(raw_body, request.headers.get("Plexy-Signature"), secret)
    """
    configured = secret_list(secrets, "webhook secret")
    if not tolerance > 0:
        raise ConfigurationError("the webhook timestamp tolerance must be positive")
    timestamp, signatures = parse_signature_header(header)
    body = raw_bytes(payload)
    expected = [_digest(secret, body).encode() for secret in configured]
    given = [signature.lower().encode() for signature in signatures]
    if not any(hmac.compare_digest(g, e) for g in given for e in expected):
        raise NoMatchingSignatureError(
            f"no v1 signature in the {_HEADER} header matches any of the {len(configured)} "
            "configured webhook secret(s): check the secret, and verify the raw request body"
        )
    age = (time.time() if now is None else now) - timestamp
    if abs(age) > tolerance:
        when = f"{age:.0f}s old" if age > 0 else f"{-age:.0f}s in the future"
        raise TimestampOutsideToleranceError(
            f"the {_HEADER} timestamp is {when}, outside the {tolerance:g}s tolerance "
            "(a delayed or replayed delivery, or a wrong clock)",
            timestamp=timestamp,
            age=age,
            tolerance=tolerance,
        )
    return timestamp


def parse_checkout_event(payload: Payload) -> CheckoutEvent:
    """Parse a Checkout v2 event body WITHOUT verifying it: only for a body already verified.

    Args:
        payload: The raw request body.

    Returns:
        The typed event.

    Raises:
        WebhookPayloadError: The body is not UTF-8 JSON, or not an event's shape.

    Example:
        ::

            event = parse_checkout_event(raw_body)  # after verify_checkout_signature
    """
    return to_event(load_json(raw_bytes(payload)), CheckoutEvent)


def construct_checkout_event(
    payload: Payload,
    header: str | None,
    secrets: str | Iterable[str],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> CheckoutEvent:
    """Verify a Checkout v2 delivery (``verify_checkout_signature``), then parse its event.

    Args:
        payload: The raw request body, exactly as received (``await request.body()``).
        header: The ``Plexy-Signature`` header's value, or None when absent.
        secrets: The endpoint's secret, or every active one while a secret is rotated.
        tolerance: Seconds the signature's timestamp may be from ``now``, either way.
        now: The current time in Unix seconds (for tests); default ``time.time()``.

    Returns:
        The verified, typed event.

    Raises:
        WebhookVerificationError: The delivery is not proven to come from Plexy (a subclass
            says why): answer 400 and do not act on it.
        WebhookPayloadError: Authentic, but not an event.
        ConfigurationError: No secret, an empty one, or a tolerance that is not positive.

    Example:
        ::

            event = construct_checkout_event(
                await request.body(), request.headers.get("Plexy-Signature"), "whsec_..."
            )
    """
    verify_checkout_signature(payload, header, secrets, tolerance=tolerance, now=now)
    return parse_checkout_event(payload)
