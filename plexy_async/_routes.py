"""Every operation's method, path and API surface, in one table.

Paths marked ``inferred=True`` are our best reading where Plexy documents nothing public
(see shared/API.md): correcting one is a one-line change here.
"""

from __future__ import annotations

import enum
from typing import Final

import attrs


class Surface(enum.Enum):
    """The two API surfaces behind one client; each has its own auth header and error shape."""

    CHECKOUT = "/v2"
    PAY = "/v1"


class Kind(enum.Enum):
    """How an operation may be retried once it may have reached the server."""

    READ = "read"  # no side effect: always safe to retry (GET, and read-only POSTs)
    WRITE = "write"  # creates or moves money: sent with an Idempotency-Key, retried with it
    DELETE = "delete"  # idempotent by HTTP semantics


@attrs.frozen
class Route:
    name: str
    method: str
    path: str  # relative to the surface prefix, with {placeholders}
    surface: Surface
    kind: Kind
    inferred: bool = False

    @property
    def full_path(self) -> str:
        return self.surface.value + self.path

    @property
    def sends_idempotency_key(self) -> bool:
        return self.kind is Kind.WRITE

    def format(self, **params: str) -> str:
        """The URL path with ``params`` filled in (already validated and quoted by the caller)."""
        return self.full_path.format(**params) if params else self.full_path


_C, _P = Surface.CHECKOUT, Surface.PAY
_R, _W, _D = Kind.READ, Kind.WRITE, Kind.DELETE

ROUTES: Final[dict[str, Route]] = {
    r.name: r
    for r in (
        # Checkout v2 [doc]
        Route("payment_methods.list", "POST", "/paymentMethods", _C, _R),
        Route("payments.create", "POST", "/payments", _C, _W),
        Route("payments.details", "POST", "/payments/details", _C, _W),
        Route("sessions.create", "POST", "/sessions", _C, _W),
        Route("sessions.result", "GET", "/sessions/{session_id}", _C, _R),
    )
}


def route(name: str) -> Route:
    return ROUTES[name]
