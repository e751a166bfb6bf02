"""What every scheme shares: payload and secret normalisation, JSON, structuring, comparison."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Any, TypeVar

from plexy_async._core import lenient_json as _lenient_json
from plexy_async._core.converter import structure
from plexy_async.errors import ConfigurationError, ResponseValidationError

from ._errors import WebhookPayloadError

T = TypeVar("T")

Payload = bytes | bytearray | memoryview | str


def raw_bytes(payload: Payload) -> bytes:
    """The body exactly as received; a ``str`` is taken as its UTF-8 encoding."""
    if isinstance(payload, str):
        return payload.encode()
    if isinstance(payload, bytes | bytearray | memoryview):
        return bytes(payload)
    raise TypeError(f"the payload must be the raw body as bytes, not {type(payload).__name__}")


def secret_list(secrets: str | Iterable[str], what: str) -> list[str]:
    """One secret or several (for rotation); every one a non-empty string. Never echoes them."""
    items = [secrets] if isinstance(secrets, str) else list(secrets)
    if not items:
        raise ConfigurationError(f"no {what} configured")
    for position, item in enumerate(items, 1):
        if not isinstance(item, str) or not item:
            raise ConfigurationError(f"{what} #{position} is not a non-empty string")
    return items


def same_secret(given: bytes, expected: bytes) -> bool:
    """Constant-time equality that does not even leak the length (both sides are hashed)."""
    return hmac.compare_digest(hashlib.sha256(given).digest(), hashlib.sha256(expected).digest())


def load_json(payload: bytes, *, lenient: bool = False) -> Any:
    """Parse the body with the library's one JSON reader (``_lenient_json``, shared with error
    bodies); ``lenient`` also accepts trailing commas (the Pay API's docs have them).

    ``WebhookPayloadError`` when it is not UTF-8 or not JSON, with no exception behind it.
    """
    doc = _lenient_json.read(payload, lenient=lenient)
    if isinstance(doc, _lenient_json.NotJSON):
        raise WebhookPayloadError(f"the webhook body is {doc.reason}")
    return doc


def to_event(doc: Any, cls: type[T]) -> T:
    """Structure a parsed body with the one converter; a misfit is a ``WebhookPayloadError``
    (raised on its own: the converter's error is not kept in its chain)."""
    try:
        return structure(doc, cls)
    except ResponseValidationError as exc:
        message = exc.message
    raise WebhookPayloadError(message)
