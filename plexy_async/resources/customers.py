"""Pay API v1. Customers: create, list, retrieve, card tokens, transactions."""

from __future__ import annotations

from ._base import Service


class CustomersService(Service):
    """Customers: create, list, retrieve, card tokens, transactions."""
