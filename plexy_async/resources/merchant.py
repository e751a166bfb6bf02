"""Pay API v1. Merchant: retrieve details."""

from __future__ import annotations

from plexy_async._core.config import RequestOptions

from ..models.merchant import Merchant
from ._base import Service


class MerchantService(Service):
    """Merchant: retrieve details."""

    async def retrieve(self, *, options: RequestOptions | None = None) -> Merchant:
        """The merchant the API key belongs to: name, settings, balance (``GET /merchant``)."""
        return await self._call("merchant.retrieve", Merchant, options=options)
