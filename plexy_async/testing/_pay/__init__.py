"""The mock's Pay API v1 (``/v1``): one module per resource group, sharing ``PayState``.

Each module exposes ``register(router, pay)`` and adds its handlers with ``_common.add`` at the
paths of the client's routes table, so a corrected path moves the mock with it.
"""

from __future__ import annotations

from aiohttp import web

from .._ledger import State
from ._common import PayState


def register(router: web.UrlDispatcher, state: State) -> PayState:
    pay = PayState(state)
    return pay
