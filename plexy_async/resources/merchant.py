"""Pay API v1. Merchant: retrieve details."""

from __future__ import annotations

from ._base import Service


class MerchantService(Service):
    """Merchant: retrieve details."""
