"""The mock's Pay API v1 (``/v1``): one module per resource group, sharing ``PayState``.

Under ``MockLimits.max_objects`` the per-payment stores (transactions with their history,
payment links, payouts) keep only the latest; customers, card tokens, splits, settlement orders
and beneficiaries (set-up data, not one per payment) are not bounded.

Each module exposes ``register(router, pay)`` and adds its handlers with ``_common.add`` at the
paths of the client's routes table, so a corrected path moves the mock with it.
"""

from __future__ import annotations

from aiohttp import web

from .._ledger import State
from .._limits import CappedDict
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
    cap = state.limits.max_objects
    if cap is not None:  # the per-payment stores; customers, tokens, splits... stay unbounded
        pay.transactions = CappedDict(cap, lambda txn_id, _: pay.history.pop(txn_id, None))
        pay.links = CappedDict(cap)
        pay.payouts = CappedDict(cap)
    _merchant.register(router, pay)  # first: seeds the merchant record the others debit
    _customers.register(router, pay)
    _payouts.register(router, pay)
    _beneficiaries.register(router, pay)
    _splits.register(router, pay)
    _links.register(router, pay)
    _transactions.register(router, pay)
    _payments.register(router, pay)
    return pay
