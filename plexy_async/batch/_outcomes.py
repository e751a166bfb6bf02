"""How a call's result or error becomes an item's outcome and its journal fields.

The rule: an item is in doubt whenever its call may have been processed. Sending it again with
its key is always safe; calling it failed could leave a charge the journal denies.

One exception: an item every request of which was answered 429 is rate-limited, not in doubt.
A 429 is answered before the idempotency layer, so such an item was never processed. As soon as
one of its requests may have reached processing, a 429 at the end settles nothing and the item
is in doubt: a request without an answer that the client cannot rule out delivering (it then
raises ``OutcomeUnknownError``), any answer other than 429 (a 5xx, 408, 409 in flight, an
unreadable 2xx), or an earlier run that left the item in doubt. ``ItemTries`` keeps track.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Final

from plexy_async._core.protocol import mask_card_numbers
from plexy_async.batch._journal import Outcome
from plexy_async.errors import (
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
from plexy_async.models.checkout import ResultCode
from plexy_async.models.common import APIResponse

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


def outcome_of(exc: Exception, *, reached: bool = False) -> Outcome:
    """The outcome of an item whose call raised ``exc``.

    ``reached``: whether an earlier request of the item may have been processed, which the error
    of the last call cannot tell (see ``ItemTries.reached``). A 429 is then in doubt.
    """
    if only_rate_limited(exc):
        return Outcome.IN_DOUBT if reached else Outcome.RATE_LIMITED
    if isinstance(exc, IN_DOUBT_ERRORS) or in_flight_conflict(exc):
        return Outcome.IN_DOUBT
    if isinstance(exc, APIConnectionError) and exc.maybe_sent:
        return Outcome.IN_DOUBT
    if isinstance(exc, InvalidRequestError):
        return Outcome.REJECTED  # caught before anything was sent
    return Outcome.FAILED


def only_rate_limited(exc: object) -> bool:
    """A 429 that the client does not report as possibly delivered.

    The client turns a 429 after an attempt that may have reached the server into
    ``OutcomeUnknownError``: that one is in doubt, and so is anything that says ``maybe_sent``.
    """
    return (
        isinstance(exc, RateLimitError)
        and not isinstance(exc, OutcomeUnknownError)
        and not getattr(exc, "maybe_sent", False)
    )


class ItemTries:
    """What one item's calls went through, in one run of a batch.

    Two sources feed it. ``Batch.trace_config()``'s hooks see each HTTP request of the item as
    it starts (``sent``) and as its answer arrives (``answered``: statuses other than 429), so
    a call cancelled in flight still has its true count, and a 5xx, 408 or 409 before a 429 is
    not forgotten. Each call's result or error adds what the client reports: its attempts
    (``reported``, all there is without the hooks) and whether it may have been delivered.

    The hooks run in the task that sends the request and find the item's ``ItemTries`` through
    ``CURRENT``, which the batch sets around each item; requests outside an item are not counted.
    A request seen by two batches' hooks (two trace configs on one client) counts once.
    """

    __slots__ = (
        "_last_answered",
        "_last_sent",
        "_maybe_processed",
        "_unseen_attempts",
        "answered",
        "in_doubt_before",
        "reported",
        "sent",
    )

    def __init__(self, *, in_doubt_before: bool = False) -> None:
        self.in_doubt_before = in_doubt_before  # an earlier run journalled the item in doubt
        self.sent = 0
        self.answered = 0
        self.reported = 0
        self._maybe_processed = False  # a call of the item ended other than on a plain 429
        self._unseen_attempts = False  # a call took attempts before its 429: what answered them?
        self._last_sent: object = None
        self._last_answered: object = None

    def request_sent(self, request: object) -> None:
        """A request of the item started; ``request`` is its trace context (or None)."""
        if request is None or request is not self._last_sent:
            self._last_sent = request
            self.sent += 1

    def request_answered(self, request: object, status: int) -> None:
        """A request of the item was answered ``status``."""
        if status != 429 and (request is None or request is not self._last_answered):
            self._last_answered = request
            self.answered += 1

    def ended(self, result_or_error: object) -> None:
        """A call of the item returned or raised ``result_or_error``."""
        attempts = attempts_of(result_or_error)
        self.reported += attempts
        if not only_rate_limited(result_or_error):
            self._maybe_processed = True
        elif attempts != 1:
            self._unseen_attempts = True

    @property
    def attempts(self) -> int:
        """HTTP requests the item sent: counted by the hooks, else as the client reported."""
        return max(self.sent, self.reported)

    @property
    def reached(self) -> bool:
        """Whether a request of the item may have reached processing.

        False only when every request was answered 429, or failed in a way the client knows did
        not deliver it (a refused connection). Without the hooks, a call that took more than one
        attempt counts as reached: nothing says what answered the attempts before its 429.
        """
        if self.in_doubt_before or self._maybe_processed or self.answered:
            return True
        return self._unseen_attempts and not self.sent

    def outcome(self, exc: Exception) -> Outcome:
        """The outcome of the item, its last call having raised ``exc``."""
        return outcome_of(exc, reached=self.reached)


#: The ``ItemTries`` of the item the current task is sending.
CURRENT: ContextVar[ItemTries | None] = ContextVar("plexy_async_batch_item", default=None)


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
