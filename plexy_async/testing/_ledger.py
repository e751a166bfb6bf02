"""What the mock server remembers: charges, requests, idempotent responses.

``State`` is what each API surface module (``_checkout``, later ``_pay``) receives in its
``register(router, state)``.
"""

from __future__ import annotations

import enum
import hashlib
import os
import random
import string
import sys
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final

import attrs
import orjson
from aiohttp import web

from ._limits import MockLimits, trim

#: The id the mock gave the request (also sent as the ``X-Request-Id`` header).
REQUEST_ID: Final = web.RequestKey("plexy_mock_request_id", str)

_PSP_ALPHABET: Final = string.ascii_uppercase + string.digits


def new_request_id() -> str:
    return "req_" + os.urandom(12).hex()


def new_psp_reference() -> str:
    """16 uppercase letters and digits, like ``BNV58BSJF9WQ5K65``."""
    return "".join(random.choices(_PSP_ALPHABET, k=16))


@attrs.frozen
class Charge:
    """Money the mock committed. Never holds a full card number.

    Attributes:
        psp_reference: The payment's id (Checkout v2 ``pspReference``, or the Pay API's).
        idempotency_key: The key the committing request carried, if any.
        reference: The merchant's reference (``reference`` / order reference).
        value: The amount, in minor units.
        currency: The ISO 4217 currency code.
        card_last4: The card's last four digits, when paid by card.
    """

    psp_reference: str
    idempotency_key: str | None
    reference: str
    value: int
    currency: str
    card_last4: str | None


@attrs.define(eq=False)
class RequestRecord:
    """One request as the server saw it; ``status`` stays ``None`` when no response was sent.

    Attributes:
        method: The HTTP method.
        path: The path as sent.
        idempotency_key: The ``Idempotency-Key`` header, if any.
        started: When it arrived, in ``time.monotonic()`` seconds.
        request_id: The id the mock gave it (also its ``X-Request-Id`` answer header).
        status: The status answered, or None when none was sent.
        fault: The name of the fault that hit it (``Fault.name``), or None.
        replayed: Whether it was answered from the idempotency store.
        ended: When it ended, in ``time.monotonic()`` seconds (None while in flight).
    """

    method: str
    path: str
    idempotency_key: str | None
    started: float
    request_id: str = ""
    status: int | None = None
    fault: str | None = None
    replayed: bool = False
    ended: float | None = None

    @property
    def duration(self) -> float | None:
        """Seconds from arrival to the end, or None while in flight."""
        return None if self.ended is None else self.ended - self.started


@attrs.define(eq=False)
class Ledger:
    """Charges committed and requests received, for tests to assert on.

    Attributes:
        charges: Every charge committed, in order (the latest ``max_charges`` when bounded).
        requests: Every request received, in order of arrival (the latest ``max_requests``
            when bounded). Requests to the mock's own ``/_mock/`` routes are not recorded.
        in_flight: Requests being handled now.
        peak_in_flight: The most requests handled at once since the last ``reset()``.
        max_charges: How many charges ``charges`` keeps (None: all; see ``MockLimits``).
        max_requests: How many requests ``requests`` keeps (None: all).
        total_charges: Charges committed since the last ``reset()``, held or not.
        total_requests: Requests received since the last ``reset()``, held or not.
        replays: Requests answered from the idempotency store since the last ``reset()``.
        fault_counts: Requests hit per fault (``Fault.label``: ``"503"``, ``"drop_after_commit"``,
            ...) since the last ``reset()``.

    Example:
        ::

            assert len(mock.ledger.charges_for("order-1")) == 1  # retried, charged once
            assert len(mock.ledger.requests_to("POST", "/v2/payments")) == 3
    """

    charges: list[Charge] = attrs.field(factory=list)
    requests: list[RequestRecord] = attrs.field(factory=list)
    in_flight: int = 0
    peak_in_flight: int = 0
    max_charges: int | None = None
    max_requests: int | None = None
    total_charges: int = 0
    total_requests: int = 0
    replays: int = 0
    fault_counts: dict[str, int] = attrs.field(factory=dict)

    def charges_for(self, reference: str) -> list[Charge]:
        """The charges committed for a merchant reference."""
        return [c for c in self.charges if c.reference == reference]

    def requests_to(self, method: str, path: str) -> list[RequestRecord]:
        """The requests received for a method (any case) and path, as sent."""
        method = method.upper()
        return [r for r in self.requests if r.method == method and r.path == path]

    def reset(self) -> None:
        """Forget charges, requests and counts; ``peak_in_flight`` restarts from what is in
        flight now."""
        self.charges.clear()
        self.requests.clear()
        self.peak_in_flight = self.in_flight
        self.total_charges = self.total_requests = self.replays = 0
        self.fault_counts.clear()

    def commit(self, charge: Charge) -> None:
        """Record a charge (the mock's handlers call it)."""
        self.charges.append(charge)
        self.total_charges += 1
        trim(self.charges, self.max_charges)

    def count_fault(self, label: str) -> None:
        """Count a request a fault hit (the mock's pipeline calls it)."""
        self.fault_counts[label] = self.fault_counts.get(label, 0) + 1

    def begin(self, record: RequestRecord) -> None:
        """Record a request's arrival (the mock's pipeline calls it)."""
        self.requests.append(record)
        self.total_requests += 1
        trim(self.requests, self.max_requests)
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def end(self, record: RequestRecord, ended: float) -> None:
        """Record a request's end (the mock's pipeline calls it)."""
        self.in_flight -= 1
        record.ended = ended


@attrs.frozen
class StoredResponse:
    status: int
    body: bytes
    content_type: str | None


class Claim(enum.Enum):
    PROCEED = "proceed"  # new key: now marked in flight; call store() or release()
    REPLAY = "replay"  # same key, same body, finished: replay the stored response
    IN_USE = "in_use"  # same key, different body
    IN_FLIGHT = "in_flight"  # same key, same body, still being processed


@attrs.define(eq=False)
class _Entry:
    fingerprint: bytes
    response: StoredResponse
    stored: float  # the clock's seconds


Scope = tuple[str, str, str]  # (idempotency key, method, path)


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _scope_key(scope: Scope) -> bytes:
    # 16 bytes instead of the key, method and path strings; a header value holds no NUL
    return _digest("\0".join(scope).encode("utf-8", "surrogatepass"))


def fingerprint_of(body: Any) -> bytes:
    """A 16-byte digest of a request body: raw bytes as they are, anything else as canonical
    JSON (sorted keys), so the same object sent with other spacing or key order matches."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        return _digest(bytes(body))
    try:
        canonical = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        canonical = repr(body).encode("utf-8", "surrogatepass")
    return _digest(canonical)


@attrs.define(eq=False)
class IdempotencyStore:
    """Responses stored per (key, method, path), with the requests still in flight.

    Each record holds digests of the scope and of the request body, and the response. A record
    expires ``ttl`` seconds after it was stored, and past ``max_records`` the least recently
    used one goes; either way the key is then new again (processed, and charged, again). In-flight
    claims count against neither bound and are never dropped.

    Attributes:
        ttl: Seconds a stored response is replayed for (None: for ever).
        max_records: The most stored responses (None: no bound).
        clock: Seconds, monotonic (``time.monotonic``); tests may pass their own.
        expired: Records dropped because their ``ttl`` passed.
        evicted: Records dropped to stay within ``max_records``.
    """

    ttl: float | None = None
    max_records: int | None = None
    clock: Callable[[], float] = time.monotonic
    expired: int = 0
    evicted: int = 0
    _done: OrderedDict[bytes, _Entry] = attrs.field(factory=OrderedDict, init=False)
    _in_flight: dict[bytes, bytes] = attrs.field(factory=dict, init=False)

    def claim(self, scope: Scope, fingerprint: Any) -> tuple[Claim, StoredResponse | None]:
        """Claim ``scope`` for a request whose body is ``fingerprint`` (see ``fingerprint_of``)."""
        key = _scope_key(scope)
        digest = fingerprint_of(fingerprint)
        pending = self._in_flight.get(key)
        if pending is not None:
            return (Claim.IN_FLIGHT if pending == digest else Claim.IN_USE), None
        entry = self._done.get(key)
        if entry is not None and self._is_expired(entry):
            del self._done[key]
            self.expired += 1
            entry = None
        if entry is None:
            self._in_flight[key] = digest
            self._purge()
            return Claim.PROCEED, None
        if entry.fingerprint != digest:
            return Claim.IN_USE, None
        self._done.move_to_end(key)
        return Claim.REPLAY, entry.response

    def store(self, scope: Scope, response: StoredResponse) -> None:
        """Keep the response of a claimed scope, to replay it."""
        key = _scope_key(scope)
        digest = self._in_flight.pop(key, None)
        if digest is None:  # cleared while in flight
            return
        if response.content_type is not None:
            response = attrs.evolve(response, content_type=sys.intern(response.content_type))
        self._done[key] = _Entry(digest, response, self.clock())
        self._done.move_to_end(key)
        if self.max_records is not None:
            while len(self._done) > self.max_records:
                self._done.popitem(last=False)
                self.evicted += 1
        self._purge()

    def release(self, scope: Scope) -> None:
        """Free a key whose request produced nothing worth replaying."""
        self._in_flight.pop(_scope_key(scope), None)

    def clear(self) -> None:
        self._done.clear()
        self._in_flight.clear()

    def __len__(self) -> int:
        return len(self._done) + len(self._in_flight)

    def _is_expired(self, entry: _Entry) -> bool:
        return self.ttl is not None and self.clock() - entry.stored >= self.ttl

    def _purge(self) -> None:
        """Drop expired records from the least recently used end (a replayed one, moved to the
        other end, is checked when it is next claimed)."""
        while self._done and self._is_expired(next(iter(self._done.values()))):
            self._done.popitem(last=False)
            self.expired += 1


@attrs.define(eq=False)
class State:
    """Shared by the surface modules: the API key, the ledger, the server's base URL and the
    bounds on what the mock remembers."""

    api_key: str
    ledger: Ledger = attrs.field(factory=Ledger)
    base_url: str = ""
    limits: MockLimits = attrs.field(factory=MockLimits)
