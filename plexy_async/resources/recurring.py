"""Pay API v1. Recurring payments: merchant-initiated payment."""

from __future__ import annotations

from ._base import Service


class RecurringService(Service):
    """Recurring payments: merchant-initiated payment."""
