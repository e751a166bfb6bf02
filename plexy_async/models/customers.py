"""Pay API v1 customers: ``request.SaveOneCustomer``, ``response.Customer(s)``, card tokens and
``response.CustomerTransaction(s)``.

Field names are inferred (the reference names the schemas, not their fields); the converter maps
them to camelCase. Money is ``amount`` in minor units plus ``currency``. A card token carries the
last four digits, brand and expiry only: never a card number.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import attrs

from plexy_async.models._money import non_empty
from plexy_async.models.common import APIResponse
from plexy_async.models.transactions import TransactionStatus

# --- request side -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True, slots=False)
class CreateCustomerRequest:
    """``request.SaveOneCustomer``: ``POST /customers``."""

    name: str = attrs.field(validator=non_empty)
    email: str | None = None
    phone: str | None = None
    external_id: str | None = None  # your own id for the customer
    description: str | None = None
    metadata: dict[str, str] | None = None


# --- response side ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True, slots=False)
class Customer(APIResponse):
    """``response.Customer``."""

    id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    external_id: str | None = None
    description: str | None = None
    metadata: dict[str, str] = attrs.field(factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True, slots=False)
class CardToken(APIResponse):
    """A saved card of a customer (also ``response.SavedCard`` from ``payouts.save_card``)."""

    id: str
    customer_id: str | None = None
    last4: str | None = None
    brand: str | None = None
    expiry_month: str | None = None
    expiry_year: str | None = None
    holder_name: str | None = None
    created_at: datetime | None = None


@attrs.frozen(kw_only=True, slots=False)
class CardTokens(APIResponse):
    """A customer's card tokens: ``data``; iterate it directly, or use ``len()``."""

    data: list[CardToken] = attrs.field(factory=list)

    def __iter__(self) -> Iterator[CardToken]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


@attrs.frozen(kw_only=True, slots=False)
class CustomerTransaction:
    """``response.CustomerTransaction``: one payment of a customer."""

    id: str
    amount: int | None = None
    currency: str | None = None
    status: TransactionStatus | None = None
    type: str | None = None
    last4: str | None = None
    payment_method: str | None = None
    merchant_reference: str | None = None
    order_reference: str | None = None
    description: str | None = None
    customer_id: str | None = None
    card_token_id: str | None = None
    payment_link_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
