"""Pay API v1 merchant details: ``response.Merchant`` and ``response.MerchantSettings``.

Field names are inferred; ``balance`` is in minor units of ``currency``.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from plexy_async.models.common import APIResponse, OpenStrEnum


class MerchantStatus(OpenStrEnum):
    """State of the merchant account (unknown values are kept)."""

    ACTIVE = "active"
    PENDING = "pending"
    BLOCKED = "blocked"


@attrs.frozen(kw_only=True, slots=False)
class MerchantSettings:
    """``response.MerchantSettings``."""

    auto_clearing: bool | None = None
    webhook_url: str | None = None
    success_url: str | None = None
    failure_url: str | None = None
    cancel_url: str | None = None
    payouts_enabled: bool | None = None


@attrs.frozen(kw_only=True, slots=False)
class Merchant(APIResponse):
    """``response.Merchant``: the merchant the API key belongs to."""

    id: str
    name: str | None = None
    status: MerchantStatus | None = None
    currency: str | None = None
    balance: int | None = None
    settings: MerchantSettings | None = None
    created_at: datetime | None = None
