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

    READ = "read"  # no side effect (GET, and read-only POSTs)
    WRITE = (
        "write"  # creates, changes or moves money: sent with an Idempotency-Key, reused on retry
    )
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
_INFERRED = True  # no public document gives this path: see shared/API.md

ROUTES: Final[dict[str, Route]] = {
    r.name: r
    for r in (
        # Checkout v2 [doc]
        Route("payment_methods.list", "POST", "/paymentMethods", _C, _R),
        Route("payments.create", "POST", "/payments", _C, _W),
        Route("payments.details", "POST", "/payments/details", _C, _W),
        Route("sessions.create", "POST", "/sessions", _C, _W),
        Route("sessions.result", "GET", "/sessions/{session_id}", _C, _R),
        # Pay API v1: payment links
        Route("payment_links.create", "POST", "/payment-links", _P, _W),
        Route("payment_links.list", "GET", "/payment-links", _P, _R),
        Route("payment_links.statistics", "GET", "/payment-links/statistics", _P, _R, _INFERRED),
        Route("payment_links.retrieve", "GET", "/payment-links/{link_id}", _P, _R),
        Route(
            "payment_links.retrieve_by_order_reference",
            "GET",
            "/payment-links/by-order-reference/{order_reference}",
            _P,
            _R,
            _INFERRED,
        ),
        # Plexy's docs give cancel as DELETE and expiration as PATCH; third-party code posts
        # to .../cancel.
        Route("payment_links.cancel", "DELETE", "/payment-links/{link_id}", _P, _D),
        Route(
            "payment_links.update_expiration",
            "PATCH",
            "/payment-links/{link_id}/expiration",
            _P,
            _W,
            _INFERRED,
        ),
        # transactions
        Route("transactions.list", "GET", "/transactions", _P, _R),
        Route("transactions.retrieve", "GET", "/transactions/{transaction_id}", _P, _R, _INFERRED),
        Route(
            "transactions.history",
            "GET",
            "/transactions/{transaction_id}/history",
            _P,
            _R,
            _INFERRED,
        ),
        Route(
            "transactions.by_payment_link", "GET", "/transactions/by-payment-link/{link_id}", _P, _R
        ),
        Route(
            "transactions.by_order_reference",
            "GET",
            "/transactions/by-order-reference/{order_reference}",
            _P,
            _R,
            _INFERRED,
        ),
        # payment management (older docs)
        Route("payments.capture", "POST", "/payments/{transaction_id}/capture", _P, _W),
        Route("payments.cancel", "POST", "/payments/{transaction_id}/cancel", _P, _W),
        Route("payments.refund", "POST", "/payments/{transaction_id}/refund", _P, _W),
        # recurring (older docs) and direct payments
        Route(
            "recurring.merchant_initiated",
            "POST",
            "/payments/recurring/merchant/initiated",
            _P,
            _W,
        ),
        Route("direct_payments.keys", "GET", "/payments/direct/keys", _P, _R, _INFERRED),
        Route("direct_payments.create", "POST", "/payments/direct", _P, _W),
        # split requests
        Route("split_requests.create", "POST", "/split-requests", _P, _W, _INFERRED),
        Route("split_requests.list", "GET", "/split-requests", _P, _R, _INFERRED),
        Route("split_requests.retrieve", "GET", "/split-requests/{split_id}", _P, _R, _INFERRED),
        Route("split_requests.update", "PUT", "/split-requests/{split_id}", _P, _W, _INFERRED),
        Route("split_requests.delete", "DELETE", "/split-requests/{split_id}", _P, _D, _INFERRED),
        # settlement payment orders: create is documented under /merchants (Plexy's settlement
        # payment order guide); list and retrieve are inferred at the same prefix
        Route("settlement_orders.create", "POST", "/merchants/settlement-payment-orders", _P, _W),
        Route(
            "settlement_orders.list",
            "GET",
            "/merchants/settlement-payment-orders",
            _P,
            _R,
            _INFERRED,
        ),
        Route(
            "settlement_orders.retrieve",
            "GET",
            "/merchants/settlement-payment-orders/{order_id}",
            _P,
            _R,
            _INFERRED,
        ),
        # payouts
        Route("payouts.list", "GET", "/payouts/transactions", _P, _R, _INFERRED),
        Route("payouts.process", "POST", "/payouts", _P, _W, _INFERRED),
        Route("payouts.save_card", "POST", "/payouts/cards", _P, _W, _INFERRED),
        # customers
        Route("customers.create", "POST", "/customers", _P, _W, _INFERRED),
        Route("customers.list", "GET", "/customers", _P, _R, _INFERRED),
        Route("customers.retrieve", "GET", "/customers/{customer_id}", _P, _R, _INFERRED),
        Route(
            "customers.card_tokens",
            "GET",
            "/customers/{customer_id}/card-tokens",
            _P,
            _R,
            _INFERRED,
        ),
        Route(
            "customers.transactions",
            "GET",
            "/customers/{customer_id}/transactions",
            _P,
            _R,
            _INFERRED,
        ),
        # payment beneficiaries
        Route("beneficiaries.create", "POST", "/payment-beneficiaries", _P, _W, _INFERRED),
        Route("beneficiaries.list", "GET", "/payment-beneficiaries", _P, _R, _INFERRED),
        Route(
            "beneficiaries.retrieve",
            "GET",
            "/payment-beneficiaries/{beneficiary_id}",
            _P,
            _R,
            _INFERRED,
        ),
        Route(
            "beneficiaries.update",
            "PUT",
            "/payment-beneficiaries/{beneficiary_id}",
            _P,
            _W,
            _INFERRED,
        ),
        Route(
            "beneficiaries.transfer_to_merchant",
            "POST",
            "/payment-beneficiaries/{beneficiary_id}/transfer-to-merchant",
            _P,
            _W,
            _INFERRED,
        ),
        Route(
            "beneficiaries.manual_settlement",
            "POST",
            "/payment-beneficiaries/{beneficiary_id}/settlements",
            _P,
            _W,
            _INFERRED,
        ),
        # merchant
        Route("merchant.retrieve", "GET", "/merchant", _P, _R, _INFERRED),
    )
}


def route(name: str) -> Route:
    return ROUTES[name]
