"""What the mock server remembers: charges, requests, idempotent responses.

``State`` is what each API surface module (``_checkout``, later ``_pay``) receives in its
``register(router, state)``.
"""

from __future__ import annotations

import enum
import os
import random
import string
from typing import Any, Final

import attrs
from aiohttp import web

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
        charges: Every charge committed, in order.
        requests: Every request received, in order of arrival.
        in_flight: Requests being handled now.
        peak_in_flight: The most requests handled at once since the last ``reset()``.

    Example:
        ::

            assert len(mock.ledger.charges_for("order-1")) == 1  # retried, charged once
            assert len(mock.ledger.requests_to("POST", "/v2/payments")) == 3
    """

    charges: list[Charge] = attrs.field(factory=list)
    requests: list[RequestRecord] = attrs.field(factory=list)
    in_flight: int = 0
    peak_in_flight: int = 0

    def charges_for(self, reference: str) -> list[Charge]:
        """The charges committed for a merchant reference."""
        return [c for c in self.charges if c.reference == reference]

    def requests_to(self, method: str, path: str) -> list[RequestRecord]:
        """The requests received for a method (any case) and path, as sent."""
        method = method.upper()
        return [r for r in self.requests if r.method == method and r.path == path]

    def reset(self) -> None:
        """Forget charges and requests; ``peak_in_flight`` restarts from what is in flight now."""
        self.charges.clear()
        self.requests.clear()
        self.peak_in_flight = self.in_flight

    def commit(self, charge: Charge) -> None:
        """Record a charge (the mock's handlers call it)."""
        self.charges.append(charge)

    def begin(self, record: RequestRecord) -> None:
        """Record a request's arrival (the mock's pipeline calls it)."""
        self.requests.append(record)
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
    fingerprint: Any
    response: StoredResponse | None = None


Scope = tuple[str, str, str]  # (idempotency key, method, path)


@attrs.define(eq=False)
class IdempotencyStore:
    """Responses stored per (key, method, path); ``None`` response means still in flight."""

    _entries: dict[Scope, _Entry] = attrs.field(factory=dict)

    def claim(self, scope: Scope, fingerprint: Any) -> tuple[Claim, StoredResponse | None]:
        entry = self._entries.get(scope)
        if entry is None:
            self._entries[scope] = _Entry(fingerprint)
            return Claim.PROCEED, None
        if entry.fingerprint != fingerprint:
            return Claim.IN_USE, None
        if entry.response is None:
            return Claim.IN_FLIGHT, None
        return Claim.REPLAY, entry.response

    def store(self, scope: Scope, response: StoredResponse) -> None:
        self._entries[scope].response = response

    def release(self, scope: Scope) -> None:
        """Free a key whose request produced nothing worth replaying."""
        entry = self._entries.get(scope)
        if entry is not None and entry.response is None:
            del self._entries[scope]

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


@attrs.define(eq=False)
class State:
    """Shared by the surface modules: the API key, the ledger and the server's base URL."""

    api_key: str
    ledger: Ledger = attrs.field(factory=Ledger)
    base_url: str = ""
