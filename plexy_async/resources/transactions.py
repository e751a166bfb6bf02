"""Pay API v1. Transactions: retrieve, history, by payment link, by order reference, list."""

from __future__ import annotations

from ._base import Service


class TransactionsService(Service):
    """Transactions: retrieve, history, by payment link, by order reference, list."""
