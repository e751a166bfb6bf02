"""Pay API v1 payment beneficiaries: ``request.CreatePaymentBeneficiary``,
``entity.PaymentBeneficiary``, balance transfers and manual settlements.

A beneficiary (a marketplace seller, a franchisee) holds a ``balance`` in minor units of its
``currency``, credited by split requests. It can be moved to the merchant balance
(``transfer_to_merchant``) or paid to the beneficiary's bank account (``manual_settlement``, which
creates a ``SettlementPaymentOrder``). Field names are inferred.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from plexy_async.errors import InvalidRequestError
from plexy_async.models._money import (
    minor_units,
    non_empty,
    optional_currency_code,
    optional_minor_units,
)
from plexy_async.models.common import APIResponse, OpenStrEnum, got


class BeneficiaryStatus(OpenStrEnum):
    """An ``inactive`` beneficiary cannot be paid or settled; unknown values are kept."""

    ACTIVE = "active"
    INACTIVE = "inactive"


# --- request side -------------------------------------------------------------------------------


def _status(value: BeneficiaryStatus | str | None) -> BeneficiaryStatus | None:
    """``None``, or a ``BeneficiaryStatus`` from a member or its string."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequestError(
            f"status must be a BeneficiaryStatus or a str such as 'inactive', got {got(value)}"
        )
    return BeneficiaryStatus(value)


@attrs.frozen(kw_only=True, slots=False)
class CreateBeneficiaryRequest:
    """``request.CreatePaymentBeneficiary``."""

    name: str = attrs.field(validator=non_empty)
    iban: str = attrs.field(validator=non_empty)
    currency: str | None = attrs.field(default=None, validator=optional_currency_code)
    tax_id: str | None = None  # BIN / IIN in Kazakhstan
    bank_name: str | None = None
    email: str | None = None
    description: str | None = None
    metadata: dict[str, str] | None = None


@attrs.frozen(kw_only=True, slots=False)
class UpdateBeneficiaryRequest:
    """``PUT /payment-beneficiaries/{id}``: the fields to change (at least one)."""

    name: str | None = None
    iban: str | None = None
    tax_id: str | None = None
    bank_name: str | None = None
    email: str | None = None
    description: str | None = None
    status: BeneficiaryStatus | None = attrs.field(default=None, converter=_status)  # or "inactive"
    metadata: dict[str, str] | None = None

    def __attrs_post_init__(self) -> None:
        if all(getattr(self, a.name) is None for a in attrs.fields(type(self))):
            raise InvalidRequestError("nothing to update: pass at least one field")


@attrs.frozen(kw_only=True, slots=False)
class TransferToMerchantRequest:
    """Move ``amount`` from the beneficiary's balance to the merchant balance."""

    amount: int = attrs.field(validator=minor_units)
    currency: str | None = attrs.field(default=None, validator=optional_currency_code)
    description: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class ManualSettlementRequest:
    """Pay the beneficiary's balance out to its bank account; no ``amount`` settles all of it."""

    amount: int | None = attrs.field(default=None, validator=optional_minor_units)
    currency: str | None = attrs.field(default=None, validator=optional_currency_code)
    description: str | None = None


# --- response side ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True, slots=False)
class PaymentBeneficiary(APIResponse):
    """``entity.PaymentBeneficiary``."""

    id: str
    name: str | None = None
    iban: str | None = None
    currency: str | None = None
    balance: int = 0
    status: BeneficiaryStatus | None = None
    tax_id: str | None = None
    bank_name: str | None = None
    email: str | None = None
    description: str | None = None
    metadata: dict[str, Any] = attrs.field(factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True, slots=False)
class BeneficiaryTransfer(APIResponse):
    """The result of ``transfer_to_merchant``: both balances after the move."""

    id: str
    beneficiary_id: str
    amount: int
    currency: str
    beneficiary_balance: int | None = None
    merchant_balance: int | None = None
    description: str | None = None
    created_at: datetime | None = None
