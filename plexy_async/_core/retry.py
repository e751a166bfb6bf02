"""The async retry decorator, keyed off status ranges, built on ``backoff``.

It wraps exactly one attempt and decides, from the error alone and the call's policy:

* a status in ``RetryPolicy.retry_statuses`` (408, 429, 500, 502, 503, 504 by default) is retried;
  a ``Retry-After`` is honoured when it fits in the remaining deadline, otherwise we give up;
* a request that never left (refused, DNS, connect timeout) is always retried;
* a request that may have reached the server (disconnect, cut-off body, read timeout) is retried
  only when the call is idempotent: GET/DELETE, or a POST carrying an idempotency key;
* a 2xx answer whose body cannot be read or used (not JSON, over the size cap, or JSON that
  fits no model) is retried when the call carries an idempotency key: the write has taken
  effect, and the server replays its stored answer;
* TLS failures and every other status are never retried.

Waits grow exponentially with full jitter; the whole call, waits included, is bounded by
``Timeouts.deadline``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from contextlib import aclosing
from typing import Any, TypeVar

import aiohttp
import attrs
import backoff
from yarl import URL

from plexy_async._core.config import RetryPolicy, Timeouts
from plexy_async._core.routes import Route
from plexy_async.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    PlexyError,
    ResponseError,
    TLSError,
)

_log = logging.getLogger("plexy_async")
T = TypeVar("T")


@attrs.define(slots=True, repr=False)
class Call:
    """One logical API call: fixed before the first attempt, shared by every retry."""

    route: Route
    url: URL
    path: str
    headers: dict[str, str]
    data: bytes | None
    params: dict[str, str] | None
    idempotency_key: str | None
    retry: RetryPolicy
    timeouts: Timeouts
    client_timeout: aiohttp.ClientTimeout
    response_type: Any = None  # what the answer is structured into; None: its body is ignored
    attempts: int = 0
    started: float = attrs.field(factory=time.monotonic)
    # Set when an attempt failed in a way that may have reached the server: a later answer
    # that does not settle the outcome (a 5xx, say) must not be reported as a plain failure.
    maybe_delivered: bool = False

    @property
    def method(self) -> str:
        return self.route.method

    @property
    def idempotent(self) -> bool:
        return self.route.method in ("GET", "DELETE") or self.idempotency_key is not None

    def remaining(self) -> float:
        return self.timeouts.deadline - (time.monotonic() - self.started)

    def __repr__(self) -> str:  # never the headers: they hold the API key
        return f"<Call {self.route.method} {self.path} attempts={self.attempts}>"


def should_retry(exc: BaseException, call: Call) -> bool:
    if isinstance(exc, APIStatusError):
        if exc.status not in call.retry.retry_statuses:
            return False
        wait = exc.retry_after if call.retry.respect_retry_after else None
        return wait is None or wait <= call.remaining()
    if unreadable_success(exc):
        # The write took effect, its answer is lost: re-sent with its key to read the stored one.
        return call.idempotency_key is not None
    if isinstance(exc, TLSError):
        return False
    if isinstance(exc, APIConnectionError):
        return not exc.maybe_sent or call.idempotent
    return False


def unreadable_success(exc: BaseException) -> bool:
    """A 2xx answer whose body could not be read or used: not JSON, over the size cap, or JSON
    that does not fit the response model."""
    if not isinstance(exc, ResponseError):
        return False
    return exc.status is not None and 200 <= exc.status < 300


def _waits(*, policy: RetryPolicy) -> Generator[float, Any, None]:
    """Backoff's wait generator: it is sent the failed attempt's exception."""
    exc = yield 0.0
    delay = policy.initial_delay
    while True:
        retry_after = getattr(exc, "retry_after", None) if policy.respect_retry_after else None
        if retry_after is not None:
            wait = float(retry_after)
        else:
            wait = random.uniform(0.0, delay) if policy.jitter else delay
        exc = yield wait
        delay = min(delay * policy.multiplier, policy.max_delay)


async def _log_backoff(details: Any) -> None:
    if _log.isEnabledFor(logging.DEBUG):
        exc = details.get("exception")
        _log.debug(
            "retrying in %.3fs after attempt %d failed: %s",
            details.get("wait", 0.0),
            details.get("tries", 0),
            type(exc).__name__,
        )


def _attempts(
    call: Call, policy: RetryPolicy, *, max_time: float
) -> AsyncGenerator[backoff.Attempt, None]:
    return backoff.aretry_context(
        PlexyError,
        _waits,
        max_tries=policy.max_attempts,
        max_time=max_time,
        jitter=None,  # _waits jitters itself: a server's Retry-After is never jittered
        giveup=lambda exc: not should_retry(exc, call),
        on_try=(),
        on_success=(),
        on_backoff=(_log_backoff,),
        on_giveup=(),
        raise_on_giveup=True,
        logger=None,  # backoff's own log lines would go to its logger; ours say less
        policy=policy,
    )


def retry_on_status(attempt: Callable[[Call], Awaitable[T]]) -> Callable[[Call], Awaitable[T]]:
    """Decorate a single attempt with the call's retry policy and overall deadline.

    For speed, the first attempt runs bare: no async generator, no handlers, and no timer of its
    own when aiohttp's per-attempt ``total`` timeout already ends it inside the deadline (the
    common case, see ``_fits_in_deadline``). Only a failed first attempt enters backoff's
    machinery, which then decides about that failure and every later one exactly as if it had
    run the first attempt itself.
    """

    @functools.wraps(attempt)
    async def run(call: Call) -> T:
        try:
            if _fits_in_deadline(call.timeouts):
                return await attempt(call)
            async with asyncio.timeout(call.remaining()):
                return await attempt(call)
        except PlexyError as exc:
            first_failure = exc
        except TimeoutError:
            first_failure = None
        if first_failure is None:  # raised past the handler: no asyncio exception in its chain
            raise _deadline_passed(call)
        return await _retry(attempt, call, first_failure)

    return run


def _fits_in_deadline(timeouts: Timeouts) -> bool:
    """Whether aiohttp's ``total`` timeout ends an attempt before the call's deadline passes.

    aiohttp rounds a timeout above 5 s up to the next whole second, hence the second of slack.
    """
    return timeouts.attempt + 1.0 <= timeouts.deadline


async def _retry(
    attempt: Callable[[Call], Awaitable[T]], call: Call, first_failure: PlexyError
) -> T:
    """Backoff's loop over the remaining attempts, bounded by what is left of the deadline.

    Its first try replays the first attempt's failure instead of sending again, so backoff
    decides about it (give up, or wait and retry) through the same ``giveup`` and wait generator
    as for every later failure, and counts it against ``max_attempts``.
    """
    policy = call.retry
    remaining = call.remaining()
    failure: PlexyError | None = first_failure
    result: T
    try:
        async with (
            asyncio.timeout(remaining),
            aclosing(_attempts(call, policy, max_time=remaining)) as attempts,
        ):
            async for attempt_ in attempts:
                with attempt_:
                    if failure is not None:
                        replayed, failure = failure, None
                        raise replayed
                    result = await attempt(call)
    except TimeoutError:
        pass
    else:
        return result
    raise _deadline_passed(call)  # past the handler: no asyncio exception in its chain


def _deadline_passed(call: Call) -> APITimeoutError:
    return APITimeoutError(
        f"the call's deadline of {call.timeouts.deadline:g}s passed "
        f"after {call.attempts} attempt(s)",
        maybe_sent=call.attempts > 0,
    )
