"""Adyen-style notifications: every item carries ``additionalData.hmacSignature``.

The signature is the base64 HMAC-SHA256, keyed with the hex HMAC key decoded to bytes, of::

    pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success

with an empty string for a missing field (a first payment has no ``originalReference``). Every
item of a batch is verified: one forged item rejects the whole delivery.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Any, Final

from plexy_async.errors import ConfigurationError
from plexy_async.models.webhooks import Notification

from ._common import Payload, load_json, raw_bytes, secret_list, to_event
from ._errors import (
    MalformedSignatureError,
    MissingSignatureError,
    NoMatchingSignatureError,
    WebhookPayloadError,
)

SIGNED_FIELDS: Final = (
    "pspReference",
    "originalReference",
    "merchantAccountCode",
    "merchantReference",
    "value",
    "currency",
    "eventCode",
    "success",
)
"""The item fields signed, in order (``value`` and ``currency`` come from ``amount``)."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def notification_signing_string(item: Mapping[str, Any]) -> str:
    """The string an item's ``hmacSignature`` signs (values as they are on the wire).

    Args:
        item: One ``NotificationRequestItem`` as parsed JSON.

    Returns:
        The ``SIGNED_FIELDS`` joined with ``:``, an empty string for a missing one.

    Example:
        ::

            text = notification_signing_string(item)  # "8815...::ACME:order-1:10000:KZT:..."
    """
    amount = item.get("amount")
    fields = {**item, **(amount if isinstance(amount, Mapping) else {})}
    return ":".join(_text(fields.get(name)) for name in SIGNED_FIELDS)


def _key_bytes(hmac_keys: str | Iterable[str]) -> list[bytes]:
    keys = []
    for position, key in enumerate(secret_list(hmac_keys, "HMAC key"), 1):
        try:
            keys.append(bytes.fromhex(key))
        except ValueError:
            pass
        else:
            continue
        # Raised past the handler: no exception of the hex decoder in the error's chain.
        raise ConfigurationError(f"HMAC key #{position} is not hexadecimal")
    return keys


def _signature(key: bytes, item: Mapping[str, Any]) -> bytes:
    return hmac.new(key, notification_signing_string(item).encode(), hashlib.sha256).digest()


def sign_notification_item(item: Mapping[str, Any], hmac_key: str) -> str:
    """The ``hmacSignature`` Plexy would send for ``item`` (for tests).

    Args:
        item: One ``NotificationRequestItem`` as parsed JSON.
        hmac_key: The HMAC key, in hex.

    Returns:
        The base64 HMAC-SHA256 of the item's signing string.

    Raises:
        ConfigurationError: The key is empty or not hex.

    Example:
        ::

            item["additionalData"] = {"hmacSignature": sign_notification_item(item, key_hex)}
    """
    (key,) = _key_bytes([hmac_key])
    return base64.b64encode(_signature(key, item)).decode()


def _check_item(item: Any, keys: list[bytes], index: int | None) -> None:
    where = "the notification item" if index is None else f"notificationItems[{index}]"
    if not isinstance(item, Mapping):
        raise WebhookPayloadError(f"{where} is not an object")
    additional = item.get("additionalData")
    signature = additional.get("hmacSignature") if isinstance(additional, Mapping) else None
    if signature is None or signature == "":
        raise MissingSignatureError(
            f"{where} has no additionalData.hmacSignature", item_index=index
        )
    try:
        given: bytes | None = base64.b64decode(signature, validate=True)
    except (binascii.Error, TypeError, ValueError):
        given = None
    if given is None:  # raised past the handler: no decoder exception in the error's chain
        raise MalformedSignatureError(
            f"{where}: additionalData.hmacSignature is not base64", item_index=index
        )
    if not any(hmac.compare_digest(given, _signature(key, item)) for key in keys):
        psp = _text(item.get("pspReference"))[:40]
        raise NoMatchingSignatureError(
            f"{where} (pspReference {psp!r}): hmacSignature matches none of the "
            f"{len(keys)} configured HMAC key(s)",
            item_index=index,
        )


def verify_notification_item(item: Mapping[str, Any], hmac_keys: str | Iterable[str]) -> None:
    """Check one parsed ``NotificationRequestItem`` against the hex HMAC key(s).

    Args:
        item: One ``NotificationRequestItem`` as parsed JSON.
        hmac_keys: The HMAC key in hex, or several while one is rotated.

    Raises:
        MissingSignatureError: The item has no ``additionalData.hmacSignature``.
        MalformedSignatureError: The signature is not base64.
        NoMatchingSignatureError: The signature matches none of the keys.
        WebhookPayloadError: The item is not an object.
        ConfigurationError: No key, or one that is not hex.

    Example:
        ::

            verify_notification_item(item, "44782DEF547AAA06C910C43932B1EB0C")
    """
    _check_item(item, _key_bytes(hmac_keys), None)


def _raw_items(doc: Any) -> list[Any]:
    items = doc.get("notificationItems") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise WebhookPayloadError("the body is not a notification: no notificationItems list")
    unwrapped = []
    for index, wrapper in enumerate(items):
        item = wrapper.get("NotificationRequestItem") if isinstance(wrapper, dict) else None
        if not isinstance(item, dict):
            raise WebhookPayloadError(
                f"notificationItems[{index}] has no NotificationRequestItem object"
            )
        unwrapped.append(item)
    return unwrapped


def verify_notification(payload: Payload, hmac_keys: str | Iterable[str]) -> None:
    """Check every item of an Adyen-style notification body; the first bad one raises.

    Args:
        payload: The raw request body.
        hmac_keys: The HMAC key in hex, or several while one is rotated.

    Raises:
        WebhookVerificationError: An item's signature is missing, malformed or matches no key
            (``item_index`` says which item), or there are no items.
        WebhookPayloadError: The body is not JSON or not a notification.
        ConfigurationError: No key, or one that is not hex.

    Example:
        ::

            verify_notification(raw_body, hmac_key_hex)
    """
    _verify_doc(load_json(raw_bytes(payload)), _key_bytes(hmac_keys))


def _verify_doc(doc: Any, keys: list[bytes]) -> None:
    items = _raw_items(doc)
    if not items:
        raise MissingSignatureError("the notification has no items, so nothing is signed")
    for index, item in enumerate(items):
        _check_item(item, keys, index)


def parse_notification(payload: Payload) -> Notification:
    """Parse a notification body WITHOUT verifying it: only for a body already verified.

    Args:
        payload: The raw request body.

    Returns:
        The typed notification.

    Raises:
        WebhookPayloadError: The body is not JSON or not a notification.

    Example:
        ::

            notification = parse_notification(raw_body)  # after verify_notification
    """
    return _to_notification(load_json(raw_bytes(payload)))


def _to_notification(doc: Any) -> Notification:
    _raw_items(doc)  # the same shape checks as verification, with the same errors
    return to_event(doc, Notification)


def construct_notification(payload: Payload, hmac_keys: str | Iterable[str]) -> Notification:
    """Verify every item of an Adyen-style notification, then parse it.

    Args:
        payload: The raw request body.
        hmac_keys: The HMAC key in hex, or several while one is rotated.

    Returns:
        The verified, typed notification. Answer ``[accepted]`` once it is stored.

    Raises:
        WebhookVerificationError: An item's signature is missing, malformed or matches no
            key: reject the whole delivery.
        WebhookPayloadError: The body is not JSON or not a notification.
        ConfigurationError: No key, or one that is not hex.

    Example:
        ::

            notification = construct_notification(await request.body(), hmac_key_hex)
            for item in notification.items:
                ...
    """
    keys = _key_bytes(hmac_keys)
    doc = load_json(raw_bytes(payload))
    _verify_doc(doc, keys)
    return _to_notification(doc)
