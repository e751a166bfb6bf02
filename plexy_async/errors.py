"""Every error plexy_async raises.

Nothing from aiohttp, ``json`` or ``asyncio`` (bar ``CancelledError``) escapes the client: the
transport translates it into one of these, in one place.

::

    PlexyError
    ├── ConfigurationError            bad client settings (missing API key, bad base URL)
    ├── InvalidRequestError           bad call arguments, caught before anything is sent
    ├── ClientClosedError             the client was used after aclose()
    ├── APIConnectionError            the network failed; no HTTP status was received
    │   ├── ConnectError              the request never left (refused, DNS): always safe to retry
    │   ├── TLSError                  certificate or TLS failure: never retried
    │   ├── APITimeoutError           an attempt timed out, or the overall deadline passed
    │   └── OutcomeUnknownError       the request may have reached the server; carries the
    │       │                         idempotency key so the caller can retry safely
    │       ├── UnreadableOutcomeError  a write answered 2xx with an unreadable body (also a
    │       │                         ResponseDecodeError): it took effect, re-send to read it
    │       └── UnusableOutcomeError  a write answered 2xx with JSON that fits no model (also a
    │                                 ResponseValidationError): it took effect, re-send to read it
    ├── ResponseError                 a response arrived but cannot be used
    │   ├── ResponseTooLargeError     the body exceeded the configured size cap
    │   ├── ResponseDecodeError       the body is not the JSON it claims to be
    │   └── ResponseValidationError   valid JSON that does not fit the response model
    ├── WebhookError                  (plexy_async.webhooks) a delivery that cannot be trusted
    │   ├── WebhookVerificationError  missing/malformed signature, stale timestamp, no match
    │   └── WebhookPayloadError       authentic, but not an event
    └── APIStatusError                an HTTP status >= 300 (carries status, detail, snippet)
        ├── RedirectError             3xx: redirects are never followed
        ├── BadRequestError           400
        ├── AuthenticationError       401
        ├── CardError                 402
        ├── PermissionDeniedError     403
        ├── NotFoundError             404
        ├── MethodNotAllowedError     405
        ├── RequestTimeoutError       408
        ├── ConflictError             409 (idempotency conflict or a request still in flight)
        ├── UnprocessableEntityError  422
        ├── RateLimitError            429, with ``retry_after``
        └── ServerError               5xx

Errors raised for a call (``APIConnectionError``, ``ResponseError``, ``APIStatusError`` and
their subclasses) carry ``method``, ``path``, ``idempotency_key`` (retry a write with it to
learn its outcome safely) and ``attempts`` (how many were made).

Messages never contain the API key: errors are built from parsed fields, never from request
headers, and ``repr()`` shows only what ``str()`` shows. Every message, and every field parsed
from an error body, goes through the one card-data mask (``_mask``): card numbers keep at most
their first 6 and last 4 digits, security codes are dropped. No exception from aiohttp, asyncio
or ``json`` is reachable from an error (not as ``__cause__``, ``__context__``, in ``args`` or an
attribute): ``cause`` holds a cleaned one-line summary of it instead.

Every error pickles and deep-copies with all its fields (for process pools, task queues and
error trackers); none holds the API key.
"""

from __future__ import annotations

from typing import Any

import attrs

from ._mask import mask_card_data


@attrs.frozen(kw_only=True)
class ErrorDetail:
    """The error body, parsed from whichever shape the server used (a nested ``error``
    object, an RFC 7807 problem, or the flat Pay API / Adyen-style layout); None where the body
    did not say.

    Attributes:
        type: The error's kind (``type`` or ``errorType``), such as ``validation``.
        code: The server's error code (``code``, ``errorCode`` or a problem's ``title``).
        message: The server's message, masked.
        param: The request field the error is about, if the server named one.
        decline_code: Why a card was declined (402 answers).
        request_id: The server's request id, to quote to Plexy's support.
        field_errors: Messages per request field, for validation errors.
        metadata: Any other fields of the error body, masked.
    """

    type: str | None = None
    code: str | None = None
    message: str | None = None
    param: str | None = None
    decline_code: str | None = None
    request_id: str | None = None
    field_errors: dict[str, list[str]] = attrs.field(factory=dict)
    metadata: dict[str, Any] = attrs.field(factory=dict)


class PlexyError(Exception):
    """Base class of every error raised by plexy_async.

    ``message`` (also ``str()`` and ``args[0]``) is masked: no full card number, no security
    code. ``cause`` is a one-line summary of the foreign exception behind this error, such as
    ``"ClientResponseError: Bad status line: Invalid status code"`` (masked, never a header
    value), or None; the exception object itself is never kept.

    Attributes:
        message: What went wrong, masked; also ``str(error)``.
        cause: A one-line summary of the foreign exception behind this error, or None.

    Example:
        ::

            try:
                await plexy.payments.create(...)
            except PlexyError as exc:
                log.warning("payment failed: %s", exc)  # never a card number or the API key
    """

    cause: str | None = None

    def __init__(self, message: str) -> None:
        message = mask_card_data(message)
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle (and deep-copy) every subclass with all its fields, without calling
        ``__init__`` (whose keyword-only arguments pickle's default cannot pass)."""
        return (_restore, (type(self), self.args, dict(vars(self))))


def _restore(cls: type[PlexyError], args: tuple[Any, ...], state: dict[str, Any]) -> PlexyError:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class ConfigurationError(PlexyError, ValueError):
    """The client's settings are unusable (for example: no API key)."""


class InvalidRequestError(PlexyError, ValueError):
    """A call's arguments are invalid; nothing was sent."""


class ClientClosedError(PlexyError, RuntimeError):
    """The client was used after ``aclose()``."""


class _CallContext(PlexyError):
    """Errors raised for a call carry what the caller needs to follow it up.

    Attributes:
        method: The call's HTTP method.
        path: The call's path, such as ``/v2/payments``.
        idempotency_key: The key sent with the call (None for a call that sends none): retry
            with it to learn a write's outcome safely.
        attempts: How many attempts were made, the first included.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        idempotency_key: str | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.idempotency_key = idempotency_key
        self.attempts = attempts


class APIConnectionError(_CallContext):
    """No HTTP status was received.

    ``maybe_sent`` tells whether the request may have reached the server: only then can a retry
    without an idempotency key repeat a side effect.

    Attributes:
        maybe_sent: Whether the request may have reached the server.
    """

    maybe_sent: bool = True

    def __init__(self, message: str, *, maybe_sent: bool | None = None, **context: Any) -> None:
        super().__init__(message, **context)
        if maybe_sent is not None:
            self.maybe_sent = maybe_sent


class ConnectError(APIConnectionError):
    """The request never reached the server (connection refused, DNS failure)."""

    maybe_sent = False


class TLSError(APIConnectionError):
    """A TLS or certificate failure. Never retried: it will not fix itself."""

    maybe_sent = False


class APITimeoutError(APIConnectionError):
    """An attempt timed out, or the call's overall deadline passed."""


class OutcomeUnknownError(APIConnectionError):
    """The request may have reached the server and could not be retried.

    Retry the same call with the same ``idempotency_key`` to learn its outcome without any risk
    of a second charge.
    """


class ResponseError(_CallContext):
    """A response arrived but cannot be used.

    Attributes:
        status: The HTTP status received, if the error came after one.
    """

    def __init__(self, message: str, *, status: int | None = None, **context: Any) -> None:
        super().__init__(message, **context)
        self.status = status


class ResponseTooLargeError(ResponseError):
    """The response body exceeded the configured size cap."""


class ResponseDecodeError(ResponseError):
    """The response body is not valid JSON."""


class UnreadableOutcomeError(OutcomeUnknownError, ResponseDecodeError):
    """A write was answered 2xx, but the body could not be read, even after retries.

    The request took effect (a charge was made, say), so this is never a plain failure: re-send
    the same call with the same ``idempotency_key`` to read the stored answer. Both an
    ``OutcomeUnknownError`` and a ``ResponseDecodeError``; ``status`` is the 2xx received.
    """


class ResponseValidationError(ResponseError):
    """The response is valid JSON but does not fit the expected model."""


class UnusableOutcomeError(OutcomeUnknownError, ResponseValidationError):
    """A write was answered 2xx with JSON that does not fit the response model, even after
    retries.

    The request took effect, so this is never a plain failure: re-send the same call with the
    same ``idempotency_key`` to read the stored answer, or look the payment up. Both an
    ``OutcomeUnknownError`` and a ``ResponseValidationError``; ``status`` is the 2xx received.
    """


class APIStatusError(_CallContext):
    """The server answered with an error status.

    ``retry_after`` holds the server's ``Retry-After`` in seconds (429 and 503 send it).

    Attributes:
        status: The HTTP status, such as 422.
        detail: The parsed error body (``ErrorDetail``); empty fields when there was none.
        body_snippet: The start of the body as received, masked, for logs.
        request_id: The server's request id (the ``X-Request-Id`` header or the body's).
        retry_after: Seconds the server asked to wait before retrying, or None.

    Example:
        ::

            try:
                await plexy.payments.capture("txn_123")
            except UnprocessableEntityError as exc:  # not authorised: nothing to capture
                print(exc.status, exc.code, exc.detail.message, exc.request_id)
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        detail: ErrorDetail | None = None,
        body_snippet: str = "",
        request_id: str | None = None,
        retry_after: float | None = None,
        **context: Any,
    ) -> None:
        super().__init__(message, **context)
        self.status = status
        self.retry_after = retry_after
        self.detail = detail if detail is not None else ErrorDetail()
        self.body_snippet = body_snippet
        self.request_id = request_id if request_id is not None else self.detail.request_id

    @property
    def code(self) -> str | None:
        """The server's error code (``detail.code``)."""
        return self.detail.code

    @property
    def type(self) -> str | None:
        """The server's error type (``detail.type``)."""
        return self.detail.type


class RedirectError(APIStatusError):
    """A 3xx answer. Redirects are never followed: they could send the API key elsewhere."""


class BadRequestError(APIStatusError):
    """400: the request is malformed."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, invalid, expired or revoked."""


class CardError(APIStatusError):
    """402: the card was declined; see ``detail.decline_code``."""

    @property
    def decline_code(self) -> str | None:
        """Why the card was declined (``detail.decline_code``)."""
        return self.detail.decline_code


class PermissionDeniedError(APIStatusError):
    """403: not allowed, or a business rule was violated."""


class NotFoundError(APIStatusError):
    """404: no such resource or route."""


class MethodNotAllowedError(APIStatusError):
    """405: wrong HTTP method for the route."""


class RequestTimeoutError(APIStatusError):
    """408: the server timed out waiting for the request."""


class ConflictError(APIStatusError):
    """409: the idempotency key was used with other parameters, or is still in flight."""


class UnprocessableEntityError(APIStatusError):
    """422: understood but refused (validation or state)."""


class RateLimitError(APIStatusError):
    """429: too many requests. ``retry_after`` is in seconds, when the server said."""


class ServerError(APIStatusError):
    """5xx: a failure on the server's side."""


class InsecureTLSWarning(UserWarning):
    """Issued when a client is created with TLS certificate or host name checks turned off.

    A warning, not an error: ``ssl=False`` (or a context that does not verify) is explicit, but
    must never go unnoticed. Silence it in tests with ``warnings.filterwarnings``.
    """


__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "CardError",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "ConnectError",
    "ErrorDetail",
    "InsecureTLSWarning",
    "InvalidRequestError",
    "MethodNotAllowedError",
    "NotFoundError",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "PlexyError",
    "RateLimitError",
    "RedirectError",
    "RequestTimeoutError",
    "ResponseDecodeError",
    "ResponseError",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "ServerError",
    "TLSError",
    "UnprocessableEntityError",
    "UnreadableOutcomeError",
    "UnusableOutcomeError",
]
