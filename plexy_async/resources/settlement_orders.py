"""Pay API v1. Settlement payment orders: create, retrieve, list."""

from __future__ import annotations

from ._base import Service


class SettlementOrdersService(Service):
    """Settlement payment orders: create, retrieve, list."""
