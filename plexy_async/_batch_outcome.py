"""How a call's result or error becomes an item's outcome and its journal fields.

The rule: an item is in doubt whenever its call may have been processed. Sending it again with
its key is always safe; calling it failed could leave a charge the journal denies.
"""

from __future__ import annotations

from typing import Any, Final

from ._journal import Outcome
from ._protocol import mask_card_numbers
from .errors import (
    APIConnectionError,
    APIStatusError,
    ConflictError,
    InvalidRequestError,
    OutcomeUnknownError,
    RateLimitError,
    RequestTimeoutError,
    ResponseError,
    ServerError,
)
from .models.checkout import ResultCode
from .models.common import APIResponse

# A 5xx may come from a gateway after the server committed (a 504 surely can), an earlier
# attempt of a 408/429/5xx may have been cut off after the commit, and a response that cannot
# be read (a 2xx with a broken body) may well stand for a committed payment.
IN_DOUBT_ERRORS: Final = (
    OutcomeUnknownError,
    ServerError,
    RequestTimeoutError,
    RateLimitError,
    ResponseError,
)

CANCELLED: Final = {
    "type": "CancelledError",
    "message": "cancelled while in flight: it may or may not have been processed",
}

# Response attributes copied into the journal: ids and outcome fields, never card data.
RESULT_FIELDS: Final = (
    "psp_reference",
    "id",
    "result_code",
    "status",
    "merchant_reference",
    "reference",
    "order_reference",
    "refusal_reason",
    "refusal_reason_code",
    "success",
    "message",
)


def outcome_of(exc: Exception) -> Outcome:
    if isinstance(exc, IN_DOUBT_ERRORS) or in_flight_conflict(exc):
        return Outcome.IN_DOUBT
    if isinstance(exc, APIConnectionError) and exc.maybe_sent:
        return Outcome.IN_DOUBT
    if isinstance(exc, InvalidRequestError):
        return Outcome.REJECTED  # caught before anything was sent
    return Outcome.FAILED


def in_flight_conflict(exc: Exception) -> bool:
    """A 409 saying a request with the same key is still being processed."""
    if not isinstance(exc, ConflictError):
        return False
    text = f"{exc.code or ''} {exc.detail.message or ''} {exc.message}".lower()
    return "in_flight" in text or "in flight" in text or "still being processed" in text


def result_outcome(result: object) -> Outcome:
    """A decline is data: ``result_code`` Refused, or ``success`` false."""
    code = getattr(result, "result_code", None)
    if code == ResultCode.REFUSED or getattr(result, "success", None) is False:
        return Outcome.DECLINED
    if code == ResultCode.ERROR:
        return Outcome.FAILED
    return Outcome.SUCCEEDED


def attempts_of(obj: object) -> int:
    """HTTP attempts a response or an error took (0 when unknown)."""
    if isinstance(obj, APIResponse):
        return obj.meta.attempts
    attempts = getattr(obj, "attempts", 0)
    return attempts if isinstance(attempts, int) else 0


def error_fields(exc: Exception) -> dict[str, Any]:
    fields: dict[str, Any] = {"type": type(exc).__name__, "message": mask_card_numbers(str(exc))}
    if isinstance(exc, APIStatusError):
        fields["status"] = exc.status
        if exc.code:
            fields["code"] = exc.code
        if exc.request_id:
            fields["request_id"] = exc.request_id
    return fields


def result_fields(result: object) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in RESULT_FIELDS:
        value = getattr(result, name, None)
        if isinstance(value, str):  # str enums included
            fields[name] = mask_card_numbers(str(value))
        elif isinstance(value, (bool, int, float)):
            fields[name] = value
    if isinstance(result, APIResponse) and result.meta.request_id:
        fields["request_id"] = result.meta.request_id
    return fields
