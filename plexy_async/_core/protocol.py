"""Pure protocol functions: headers, idempotency keys, error bodies, Retry-After.

No I/O and no event loop here, so every rule is testable on its own.
"""

from __future__ import annotations

import email.utils
import html
import os
import re
import time
from collections.abc import Iterator, Mapping
from typing import Any, Final

import attrs

from plexy_async import errors
from plexy_async._core import lenient_json as _lenient_json
from plexy_async._core.routes import Surface
from plexy_async._mask import is_cvc_field, mask_card_data, mask_data
from plexy_async.errors import APIStatusError, ErrorDetail, InvalidRequestError

#: The one mask (see ``_mask``), under the name the batch modules know it by.
mask_card_numbers = mask_card_data

# ---------------------------------------------------------------------------------------------
# Headers

REQUEST_ID_HEADERS: Final = ("x-request-id", "request-id", "x-plexy-request-id")


def auth_header(surface: Surface, api_key: str) -> dict[str, str]:
    """Checkout v2 takes the key as ``x-api-key``, the Pay API v1 as ``Authorization``."""
    return {"x-api-key": api_key} if surface is Surface.CHECKOUT else {"Authorization": api_key}


def common_headers(user_agent: str) -> dict[str, str]:
    """The headers both surfaces send: the defaults of every session the client creates."""
    return {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "User-Agent": user_agent,
    }


def request_id_from(headers: Mapping[str, str]) -> str | None:
    """The server's request id from the response headers (masked like any server text)."""
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return mask_card_data(value)
    return None


# ---------------------------------------------------------------------------------------------
# Idempotency keys

MAX_IDEMPOTENCY_KEY_LENGTH: Final = 255


def new_idempotency_key() -> str:
    """A fresh key: 128 random bits in 36 characters, inside the 64 Adyen-style APIs allow.

    The bits come from ``os.urandom`` (the same entropy as ``uuid4``), read for 256 keys at a
    time: one system call instead of one per key. A forked child drops the keys its parent had
    not handed out yet, so the two never send the same one.
    """
    global _spare_keys
    key = next(_spare_keys, None)  # one step of a list iterator: atomic under the GIL
    while key is None:
        _spare_keys = keys = _fresh_keys()
        key = next(keys, None)
    return key


_KEYS_PER_READ: Final = 256
_spare_keys: Iterator[str] = iter(())
# A key with 13 decimal digits in a row could read as a card number: the mask would star part of
# it in an error message ("retry with idempotency_key=..."). About 1 key in 60: skipped.
_CARD_LIKE_RUN: Final = re.compile("[0-9]{13}")


def _fresh_keys() -> Iterator[str]:
    # 32 hex digits per key, a space between keys, all split apart in C.
    digits = os.urandom(16 * _KEYS_PER_READ).hex(" ", 16)
    keys = ("plx_" + digits.replace(" ", " plx_")).split(" ")
    return iter([key for key in keys if _CARD_LIKE_RUN.search(key) is None])


def _forget_spare_keys() -> None:
    global _spare_keys
    _spare_keys = iter(())


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_spare_keys)


def validate_idempotency_key(key: str) -> str:
    """Reject a caller's key that the server would refuse or mangle, before anything is sent."""
    if not isinstance(key, str):
        raise InvalidRequestError(f"idempotency_key must be a str, not {type(key).__name__}")
    if not key:
        raise InvalidRequestError("idempotency_key must not be empty")
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise InvalidRequestError(
            f"idempotency_key is {len(key)} characters; at most {MAX_IDEMPOTENCY_KEY_LENGTH}"
        )
    if not key.isascii() or not key.isprintable():
        raise InvalidRequestError(
            "idempotency_key must be printable ASCII (no control or non-ASCII characters)"
        )
    return key


# ---------------------------------------------------------------------------------------------
# Retry-After


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)


# ---------------------------------------------------------------------------------------------
# Error bodies: every shape in API.md, one parser. Everything read from a body goes through the
# one mask (``_mask``) before it reaches an error: the snippet here, the detail in
# ``parse_error_body``.

SNIPPET_LENGTH: Final = 240
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")
# Where a body is cut: a tag or an entity cut in half, and a number at the very end (maybe part
# of a card number, now too short to be recognised as one): they go.
_CUT_MARKUP = re.compile(r"<[^>]*$|&[#\w]*$")
_CUT_NUMBER = re.compile(r"[0-9][0-9 \-\u00a0\u2009\u202f\u2010-\u2014\u2212]*$")


def clean_snippet(body: bytes, limit: int = SNIPPET_LENGTH) -> str:
    """A short, single-line, tag-free excerpt of a body, with card data masked."""
    cut = len(body) > limit * 8
    text = body[: limit * 8].decode("utf-8", errors="replace")
    if cut:
        text = _CUT_MARKUP.sub("", text)
    text = html.unescape(_TAGS.sub(" ", text))
    text = _SPACE.sub(" ", text).strip()
    if cut:
        text = _CUT_NUMBER.sub("", text).rstrip()
    text = mask_card_data(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def _field_errors(value: Any) -> dict[str, list[str]]:
    """``{"field": ["required"]}`` (RFC 7807), or a list of ``{"field", "message"}`` items."""
    if isinstance(value, dict):
        return {
            str(k): [str(m) for m in v] if isinstance(v, list) else [str(v)]
            for k, v in value.items()
        }
    if isinstance(value, list):
        out: dict[str, list[str]] = {}
        for item in value:
            if isinstance(item, dict):
                name = _text(item.get("field") or item.get("param") or item.get("name")) or ""
                out.setdefault(name, []).append(_text(item.get("message")) or "invalid")
        return out
    return {}


def _from_checkout(err: dict[str, Any]) -> ErrorDetail:
    return ErrorDetail(
        type=_text(err.get("type")),
        code=_text(err.get("code")),
        message=_text(err.get("message")),
        param=_text(err.get("param")),
        decline_code=_text(err.get("decline_code")),
        request_id=_text(err.get("request_id")),
        field_errors=_field_errors(err.get("errors")),
    )


def _from_problem(doc: dict[str, Any]) -> ErrorDetail:
    metadata = doc.get("errors_metadata")
    return ErrorDetail(
        type=_text(doc.get("type")),
        code=_text(doc.get("title")),
        message=_text(doc.get("detail")) or _text(doc.get("title")),
        field_errors=_field_errors(doc.get("errors")),
        metadata=metadata if isinstance(metadata, dict) else {},
    )


def _from_flat(doc: dict[str, Any]) -> ErrorDetail:
    """Pay API, Adyen-style and message-only bodies share one flat layout."""
    error = doc.get("error")
    return ErrorDetail(
        type=_text(doc.get("type")) or _text(doc.get("errorType")),
        code=_text(doc.get("code")) or _text(doc.get("errorCode")) or _text(error),
        message=_text(doc.get("message")) or _text(doc.get("detail")),
        param=_text(doc.get("source")) or _text(doc.get("param")),
        request_id=_text(doc.get("request_id")) or _text(doc.get("pspReference")),
        field_errors=_field_errors(doc.get("errors")),
    )


def parse_error_body(body: bytes) -> ErrorDetail | None:
    """The masked error detail of a JSON error body in any documented shape; None for a body
    that is not a JSON object. Read leniently: trailing commas (as in the Getpaid examples)
    are accepted."""
    if not body.strip():
        return None
    doc = _lenient_json.read(body)
    if not isinstance(doc, dict):
        return None
    if isinstance(doc.get("error"), dict):
        detail = _from_checkout(doc["error"])
    elif "title" in doc and ("type" in doc or "status" in doc):
        detail = _from_problem(doc)
    else:
        detail = _from_flat(doc)
    return mask_detail(detail)


def mask_detail(detail: ErrorDetail) -> ErrorDetail:
    """``detail`` with every field through the one mask: strings, field errors, metadata, at any
    depth. When ``param`` names a security-code field, numbers in ``message`` are dropped too."""
    masked = {
        field.name: mask_data(getattr(detail, field.name)) for field in attrs.fields(ErrorDetail)
    }
    if detail.message is not None and _about_a_security_code(detail):
        masked["message"] = mask_data(detail.message, cvc=True)
    return ErrorDetail(**masked)


def _about_a_security_code(detail: ErrorDetail) -> bool:
    return detail.param is not None and is_cvc_field(detail.param)


# ---------------------------------------------------------------------------------------------
# Foreign exceptions: a cleaned summary is kept, never the exception itself

SUMMARY_LENGTH: Final = 160
# aiohttp's parser quotes the offending raw bytes after a blank line, or as b'...' (maybe cut).
_RAW_BYTES = re.compile(r"""b'(?:[^'\\]|\\.)*'?|b"(?:[^"\\]|\\.)*"?""", re.DOTALL)
_URL_FIELD = re.compile(r",?\s*url=(?:'[^']*'|\S*)")
_USERINFO = re.compile(r"(?<=//)[^/@\s]*@")


def exception_summary(exc: BaseException) -> str:
    """What an error keeps of the foreign exception behind it: its class name and a cleaned
    one-line message, such as ``"ClientResponseError: Bad status line: Invalid status code"``.

    Cleaned: no raw bytes quoted from the wire (a header line may hold anything), no URL or
    URL credentials, no header values (aiohttp's ``message`` is read, never its request info),
    masked, and at most ``SUMMARY_LENGTH`` characters.
    """
    message = getattr(exc, "message", None)  # aiohttp's: without the URL and request info
    if not isinstance(message, str):
        strerror = getattr(exc, "strerror", None)
        message = strerror if isinstance(strerror, str) else str(exc)
    text = message.split("\n\n", 1)[0]
    text = _USERINFO.sub("", _URL_FIELD.sub("", _RAW_BYTES.sub("", text)))
    text = _SPACE.sub(" ", text).strip(" :,.^")
    text = mask_card_data(text)
    if len(text) > SUMMARY_LENGTH:
        text = text[: SUMMARY_LENGTH - 1] + "…"
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


# ---------------------------------------------------------------------------------------------
# Status -> error class: the one table

STATUS_ERRORS: Final[dict[int, type[APIStatusError]]] = {
    400: errors.BadRequestError,
    401: errors.AuthenticationError,
    402: errors.CardError,
    403: errors.PermissionDeniedError,
    404: errors.NotFoundError,
    405: errors.MethodNotAllowedError,
    408: errors.RequestTimeoutError,
    409: errors.ConflictError,
    422: errors.UnprocessableEntityError,
    429: errors.RateLimitError,
}


def error_class(status: int) -> type[APIStatusError]:
    if status in STATUS_ERRORS:
        return STATUS_ERRORS[status]
    if 300 <= status < 400:
        return errors.RedirectError
    if status >= 500:
        return errors.ServerError
    return APIStatusError


def error_for(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    **context: Any,
) -> APIStatusError:
    """The typed error for an error response, with its parsed detail and a cleaned snippet."""
    detail = parse_error_body(body)
    snippet = clean_snippet(body)
    if detail is not None and _about_a_security_code(detail):
        snippet = mask_data(snippet, cvc=True)  # the message in it may quote the code
    cls = error_class(status)
    summary = (detail.message if detail else None) or snippet or "no body"
    code = f" [{detail.code}]" if detail and detail.code else ""
    request_id = request_id_from(headers) or (detail.request_id if detail else None)
    # PlexyError masks the message again, as it does every message: that only hides more.
    message = f"HTTP {status}{code}: {summary}"
    if cls is errors.RedirectError:
        message = f"HTTP {status}: redirect not followed (redirects are never followed)"
    return cls(
        message,
        status=status,
        detail=detail,
        body_snippet=snippet,
        request_id=request_id,
        retry_after=parse_retry_after(headers.get("Retry-After")),
        **context,
    )
