"""Pay API v1: payment links."""

from __future__ import annotations

from ._base import Service


class PaymentLinksService(Service):
    """Create, list, retrieve (by id or order reference), cancel, update expiration, statistics."""
