"""The mock's Pay API v1 (``/v1``): one module per resource group, sharing ``PayState``.

Each module exposes ``register(router, pay)`` and adds its handlers with ``_common.add`` at the
paths of the client's routes table, so a corrected path moves the mock with it.
"""

from __future__ import annotations

from aiohttp import web

from .._ledger import State
from . import (
    _beneficiaries,
    _customers,
    _links,
    _merchant,
    _payments,
    _payouts,
    _splits,
    _transactions,
)
from ._common import PayState
from ._links import pay_link

__all__ = ["PayState", "pay_link", "register"]


def register(router: web.UrlDispatcher, state: State) -> PayState:
    pay = PayState(state)
    _merchant.register(router, pay)  # first: seeds the merchant record the others debit
    _customers.register(router, pay)
    _payouts.register(router, pay)
    _beneficiaries.register(router, pay)
    _splits.register(router, pay)
    _links.register(router, pay)
    _transactions.register(router, pay)
    _payments.register(router, pay)
    return pay
