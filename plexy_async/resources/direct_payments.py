"""Pay API v1. Direct payments: card-encryption keys, host-to-host payment."""

from __future__ import annotations

from ._base import Service


class DirectPaymentsService(Service):
    """Direct payments: card-encryption keys, host-to-host payment."""
