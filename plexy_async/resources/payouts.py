"""Pay API v1. Payouts: list payout transactions, process payout, save card for payouts."""

from __future__ import annotations

from ._base import Service


class PayoutsService(Service):
    """Payouts: list payout transactions, process payout, save card for payouts."""
