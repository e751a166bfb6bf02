"""Fault injection: what can go wrong, the per-route script, and how each fault is answered.

``mock.faults.add("POST", "/v2/payments", Fault.status(503), times=2, after=0)`` lets ``after``
matching requests through, then hits the next ``times`` ones. Rules for one route queue up: the
next rule starts counting once the one before it is used up.

``mock.faults.add_standing(...)`` (what ``MockPlexy.add_fault_spec("503:3")`` and
``plexy-async mock --fault`` use) adds a rule over a set of routes, by count or by rate; it
applies to a request no per-route rule hit.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Final, Literal

import attrs
from aiohttp import web

from ._error_bodies import SHAPES, fault_body

FaultKind = Literal[
    "status",
    "delay",
    "drop_before",
    "drop_after_commit",
    "truncated",
    "garbled_after_commit",
    "redirect",
    "invalid_json",
    "oversize",
]

#: Faults after which the request is processed normally (the others answer instead of it).
PROCESSING: Final = frozenset(("delay", "drop_after_commit", "truncated", "garbled_after_commit"))

_INVALID_JSON: Final = b'{"pspReference": "8815658961765250", "resultCode": "Authorised", "amo'


@attrs.frozen(kw_only=True)
class Fault:
    """One scripted failure. Build it with the classmethods, e.g. ``Fault.status(503)``.

    Faults that answer instead of the handler (``status``, ``drop_before``, ``redirect``,
    ``invalid_json``, ``oversize``) leave no charge. Faults that let the handler run first
    (``delay``, ``drop_after_commit``, ``truncated``, ``garbled_after_commit``) charge: a client
    that retries with the same ``Idempotency-Key`` gets the stored answer, not a second charge.

    Example:
        ::

            mock.faults.add("POST", "/v2/payments", Fault.status(429, retry_after=2))
            mock.faults.add("POST", "/v2/payments", Fault.drop_after_commit())
    """

    kind: FaultKind
    code: int | None = None
    shape: str = "checkout"
    headers: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0
    location: str | None = None
    n_bytes: int = 0

    @property
    def name(self) -> str:
        """What ``RequestRecord.fault`` holds for a request this fault hit."""
        return self.kind

    @property
    def label(self) -> str:
        """What ``Ledger.fault_counts`` counts it under: the status for a status fault
        (``"503"``), else the kind (``"drop_after_commit"``)."""
        return str(self.code) if self.kind == "status" else self.kind

    @property
    def processes(self) -> bool:
        """Whether the request is still handled (and may charge) under this fault."""
        return self.kind in PROCESSING

    @classmethod
    def status(
        cls,
        code: int,
        shape: str = "checkout",
        retry_after: float | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """Answer ``code`` with an error body in ``shape``; the request is not processed.

        Args:
            code: The HTTP status to answer, 100 to 599.
            shape: The error body's shape: ``"checkout"``, ``"pay"`` or another known shape.
            retry_after: A ``Retry-After`` header: seconds, or an HTTP date as a string.
            headers: More headers to answer with.

        Raises:
            ValueError: An unknown shape, or a code that is not an HTTP status.
        """
        if shape not in SHAPES:
            raise ValueError(f"unknown shape {shape!r}; expected one of {sorted(SHAPES)}")
        if not 100 <= code <= 599:
            raise ValueError(f"not an HTTP status: {code}")
        all_headers = dict(headers or {})
        if retry_after is not None:
            all_headers["Retry-After"] = _retry_after(retry_after)
        return cls(kind="status", code=code, shape=shape, headers=tuple(all_headers.items()))

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Wait ``seconds`` (ends early if the client leaves or the server closes), then handle.

        Args:
            seconds: How long to wait before handling the request, in seconds.

        Raises:
            ValueError: ``seconds`` is negative.
        """
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        return cls(kind="delay", seconds=seconds)

    @classmethod
    def drop_before(cls) -> Fault:
        """Close the connection without processing or answering."""
        return cls(kind="drop_before")

    @classmethod
    def drop_after_commit(cls) -> Fault:
        """Process (charge, store the idempotent response), then close without answering."""
        return cls(kind="drop_after_commit")

    @classmethod
    def truncated(cls) -> Fault:
        """Process, then send the headers and only half of the body, and close."""
        return cls(kind="truncated")

    @classmethod
    def garbled_after_commit(cls) -> Fault:
        """Process (charge, store the idempotent response), then answer its status with half the
        body under a matching ``Content-Length``: a well-framed answer whose JSON is unreadable.

        A retry with the same ``Idempotency-Key`` replays the stored answer, whole.
        """
        return cls(kind="garbled_after_commit")

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Fault:
        """Answer a redirect to ``location`` without processing.

        Args:
            location: The ``Location`` header's value.
            status: The redirect status, 300 to 399.

        Raises:
            ValueError: ``status`` is not a redirect status.
        """
        if not 300 <= status <= 399:
            raise ValueError(f"not a redirect status: {status}")
        return cls(kind="redirect", code=status, location=location)

    @classmethod
    def invalid_json(cls) -> Fault:
        """Answer 200 ``application/json`` with a body that is not JSON, without processing."""
        return cls(kind="invalid_json", code=200)

    @classmethod
    def oversize(cls, n_bytes: int) -> Fault:
        """Answer 200 with a valid JSON body of about ``n_bytes``, without processing.

        Args:
            n_bytes: The body's size, in bytes (to exceed ``PoolLimits.max_response_bytes``).

        Raises:
            ValueError: ``n_bytes`` is negative.
        """
        if n_bytes < 0:
            raise ValueError("n_bytes must be >= 0")
        return cls(kind="oversize", code=200, n_bytes=n_bytes)


def _retry_after(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


@attrs.define(eq=False)
class _Rule:
    fault: Fault
    skip: int
    times: int | None  # None: every matching request until cleared


@attrs.define(eq=False)
class _Standing:
    fault_for: Callable[[str], Fault]  # the request's path -> the fault
    routes: frozenset[tuple[str, str]]  # (METHOD, path as sent or route pattern)
    times: int | None  # by count: how many are left; None: by rate
    rate: float
    rng: random.Random

    def matches(self, method: str, path: str, pattern: str | None) -> bool:
        return (method, path) in self.routes or (
            pattern is not None and (method, pattern) in self.routes
        )


@attrs.define(eq=False)
class FaultScript:
    """The faults still to come, per (method, path). ``path`` may be the route's pattern too.

    Rules for one route queue up: the next rule starts counting once the one before it is used
    up. A path is matched as sent (``/v1/payments/txn_1/capture``) or by the route's pattern
    (``/v1/payments/{transaction_id}/capture``).
    """

    _queues: dict[tuple[str, str], deque[_Rule]] = attrs.field(factory=dict)
    _standing: list[_Standing] = attrs.field(factory=list)

    def add(
        self,
        method: str,
        path: str,
        fault: Fault,
        *,
        times: int | None = 1,
        after: int = 0,
    ) -> None:
        """Hit the ``times`` matching requests that follow the next ``after`` ones.

        ``times=None`` hits every matching request until ``clear()``.

        Args:
            method: The HTTP method, any case.
            path: The path as sent, or the route's pattern; it starts with ``/``.
            fault: What goes wrong.
            times: How many requests it hits; None for every one until ``clear()``.
            after: How many matching requests pass untouched first.

        Raises:
            ValueError: ``times`` below 1, ``after`` negative, or a path without a leading ``/``.

        Example:
            ::

                # the second call to /v2/payments times out twice, then passes
                mock.faults.add("POST", "/v2/payments", Fault.delay(5.0), times=2, after=1)
        """
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 (or None for always)")
        if after < 0:
            raise ValueError("after must be >= 0")
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/' (e.g. '/v2/payments'), got {path!r}")
        key = (method.upper(), path)
        self._queues.setdefault(key, deque()).append(_Rule(fault, after, times))

    def add_standing(
        self,
        fault_for: Callable[[str], Fault],
        routes: Iterable[tuple[str, str]],
        *,
        times: int | None = None,
        rate: float | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """Hit requests to any of ``routes``: the first ``times`` of them, or each with
        probability ``rate``. Exactly one of ``times`` and ``rate``.

        Counted rules queue up in the order added (the next starts once the one before is used
        up); rate rules are drawn, in the order added, for a request no counted rule hit.

        Args:
            fault_for: The fault for a request's path (e.g. a status in that surface's shape).
            routes: ``(METHOD, PATH)`` pairs; PATH as sent or the route's pattern.
            times: How many requests it hits, >= 1.
            rate: The probability each matching request is hit, 0 < rate <= 1.
            rng: The random source for ``rate`` (seed it to replay a run).

        Raises:
            ValueError: Both or neither of ``times`` and ``rate``, or either out of range.
        """
        if (times is None) == (rate is None):
            raise ValueError("give exactly one of times and rate")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1")
        if rate is not None and not 0 < rate <= 1:
            raise ValueError("rate must be > 0 and <= 1")
        keys = frozenset((method.upper(), path) for method, path in routes)
        self._standing.append(
            _Standing(fault_for, keys, times, rate or 0.0, rng or random.Random())
        )

    def clear(self) -> None:
        """Drop every rule still to come."""
        self._queues.clear()
        self._standing.clear()

    def pending(self) -> int:
        """How many rules are not used up yet (``times=None`` and rate rules never are)."""
        return sum(len(q) for q in self._queues.values()) + len(self._standing)

    def take(self, method: str, path: str, pattern: str | None = None) -> Fault | None:
        """The fault for this request, if any, counting it against the matching rule."""
        fault = self._take_queued(method, path, pattern) if self._queues else None
        if fault is None and self._standing:
            fault = self._take_standing(method, path, pattern)
        return fault

    def _take_standing(self, method: str, path: str, pattern: str | None) -> Fault | None:
        for rule in self._standing:
            if rule.times is not None and rule.matches(method, path, pattern):
                rule.times -= 1
                if rule.times == 0:
                    self._standing.remove(rule)
                return rule.fault_for(path)
        for rule in self._standing:
            if (
                rule.times is None
                and rule.matches(method, path, pattern)
                and rule.rng.random() < rule.rate
            ):
                return rule.fault_for(path)
        return None

    def _take_queued(self, method: str, path: str, pattern: str | None) -> Fault | None:
        key = (method, path)
        queue = self._queues.get(key)
        if queue is None and pattern is not None and pattern != path:
            key = (method, pattern)
            queue = self._queues.get(key)
        if queue is None:
            return None
        rule = queue[0]
        if rule.skip > 0:
            rule.skip -= 1
            return None
        if rule.times is not None:
            rule.times -= 1
            if rule.times == 0:
                queue.popleft()
                if not queue:
                    del self._queues[key]
        return rule.fault


# --- answering a fault -------------------------------------------------------------------------


def answer(fault: Fault, request_id: str, psp_reference: str) -> web.Response:
    """The response for a fault that answers instead of the handler."""
    if fault.kind == "status":
        assert fault.code is not None
        body, content_type = fault_body(
            fault.shape, fault.code, request_id=request_id, psp_reference=psp_reference
        )
        resp = web.Response(status=fault.code, body=body or None, content_type=content_type)
        resp.headers.update(fault.headers)
        return resp
    if fault.kind == "redirect":
        assert fault.code is not None
        assert fault.location is not None
        return web.Response(status=fault.code, headers={"Location": fault.location})
    if fault.kind == "invalid_json":
        return web.Response(body=_INVALID_JSON, content_type="application/json")
    if fault.kind == "oversize":
        padding = b"x" * max(fault.n_bytes - 16, 0)
        return web.Response(
            body=b'{"padding": "' + padding + b'"}', content_type="application/json"
        )
    raise ValueError(f"fault {fault.kind!r} does not answer by itself")


class Dropped(web.Response):
    """What a handler returns after dropping the connection: never sent.

    aiohttp fails to write it to the closed transport and treats that as a client disconnect,
    logging nothing above DEBUG.
    """


async def drop(request: web.BaseRequest) -> Dropped:
    """Close the connection without a response.

    The body is read first so the kernel sends a FIN, not a RST: the client sees
    ``ServerDisconnectedError`` rather than a connection reset.
    """
    await request.read()
    if request.transport is not None:
        request.transport.close()
    return Dropped(status=499)


def garble(full: web.StreamResponse) -> web.StreamResponse:
    """``full``'s status and headers with the first half of its body, correctly framed."""
    body = full.body if isinstance(full, web.Response) else None
    data = bytes(body) if isinstance(body, (bytes, bytearray)) else b""
    resp = web.Response(status=full.status, body=data[: len(data) // 2])
    for name, value in full.headers.items():
        if name.lower() not in ("content-length", "transfer-encoding"):
            resp.headers[name] = value
    return resp


async def truncate(request: web.BaseRequest, full: web.StreamResponse) -> web.StreamResponse:
    """Send ``full``'s status and headers with its real Content-Length, half its body, and close."""
    body = full.body if isinstance(full, web.Response) else None
    data = bytes(body) if isinstance(body, (bytes, bytearray)) else b""
    resp = web.StreamResponse(status=full.status, headers=full.headers)
    resp.content_length = len(data)
    try:
        await resp.prepare(request)
        await resp.write(data[: len(data) // 2])
    except ConnectionError:  # the client left already: nothing to truncate
        pass
    if request.transport is not None:
        request.transport.close()
    return resp
