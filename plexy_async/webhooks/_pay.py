"""Pay API v1 webhooks: ``Authorization: Bearer <token>``, compared with the configured token(s).

The body is ``{"name": "transaction.charged", "merchantId": ..., "data": {transaction}}``. It
is parsed leniently: ids wrapped as ``{"Value": ...}`` are unwrapped, unknown names and statuses
are kept, and trailing commas (as in Plexy's documented example) are accepted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from plexy_async.models.webhooks import PayEvent

from ._common import Payload, load_json, raw_bytes, same_secret, secret_list, to_event
from ._errors import MalformedSignatureError, MissingSignatureError, NoMatchingSignatureError

PAY_AUTHORIZATION_HEADER: Final = "Authorization"
"""The header that carries a Pay API delivery's token: ``Bearer <token>``."""


def pay_authorization_header(token: str) -> str:
    """The ``Authorization`` value Plexy sends with ``token`` (for tests).

    Args:
        token: The webhook's token.

    Returns:
        ``Bearer <token>``.

    Raises:
        ConfigurationError: The token is empty or not a string.

    Example:
        ::

            headers = {"Authorization": pay_authorization_header("tok_test")}
    """
    (token,) = secret_list([token], "webhook token")
    return f"Bearer {token}"


def verify_pay_token(authorization: str | None, tokens: str | Iterable[str]) -> None:
    """Check the ``Authorization: Bearer <token>`` of a Pay API delivery, in constant time.

    Args:
        authorization: The ``Authorization`` header's value, or None when absent.
        tokens: The token configured for the webhook, or several while one is rotated.

    Raises:
        MissingSignatureError: No ``Authorization`` header.
        MalformedSignatureError: The header is not ``Bearer <token>``.
        NoMatchingSignatureError: The token matches none of ``tokens``.
        ConfigurationError: No token configured, or an empty one.

    Example:
        ::

            verify_pay_token(request.headers.get("Authorization"), "tok_...")
    """
    configured = secret_list(tokens, "webhook token")
    if authorization is None or not authorization.strip():
        raise MissingSignatureError("the Authorization header is missing")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise MalformedSignatureError("the Authorization header is not 'Bearer <token>'")
    given = token.encode()
    if not any(same_secret(given, expected.encode()) for expected in configured):
        raise NoMatchingSignatureError(
            f"the bearer token matches none of the {len(configured)} configured webhook token(s)"
        )


def parse_pay_event(payload: Payload) -> PayEvent:
    """Parse a Pay API event body WITHOUT checking its token: only for a checked delivery.

    Args:
        payload: The raw request body.

    Returns:
        The typed event.

    Raises:
        WebhookPayloadError: The body is not UTF-8 JSON, or not an event's shape.

    Example:
        ::

            event = parse_pay_event(raw_body)  # after verify_pay_token
    """
    return to_event(load_json(raw_bytes(payload), lenient=True), PayEvent)


def construct_pay_event(
    payload: Payload, authorization: str | None, tokens: str | Iterable[str]
) -> PayEvent:
    """Check a Pay API delivery's bearer token (``verify_pay_token``), then parse its event.

    Args:
        payload: The raw request body.
        authorization: The ``Authorization`` header's value, or None when absent.
        tokens: The token configured for the webhook, or several while one is rotated.

    Returns:
        The checked, typed event (``event.name`` such as ``transaction.charged``).

    Raises:
        WebhookVerificationError: A missing, malformed or unknown token (a subclass says
            which): answer 401 and do not act on it.
        WebhookPayloadError: Authentic, but not an event.
        ConfigurationError: No token configured, or an empty one.

    Example:
        ::

            event = construct_pay_event(
                await request.body(), request.headers.get("Authorization"), "tok_..."
            )
    """
    verify_pay_token(authorization, tokens)
    return parse_pay_event(payload)
