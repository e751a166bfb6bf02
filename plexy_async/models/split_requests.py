"""Pay API v1 split requests: ``entity.SplitRequest``.

A split request divides ``amount`` (minor units of ``currency``) among payment beneficiaries:
each share is either a fixed ``amount`` or a ``percentage`` of the total (rounded down to a minor
unit); what no share claims stays with the merchant. Tied to a charged transaction
(``transaction_id``), the split is applied at once and credits the beneficiaries' balances
(status ``completed``); otherwise it waits (``pending``). Field names are inferred.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from plexy_async.errors import InvalidRequestError
from plexy_async.models._money import (
    currency_code,
    minor_units,
    non_empty,
    optional_minor_units,
)
from plexy_async.models.common import APIResponse, OpenStrEnum, got

# --- request side -------------------------------------------------------------------------------


def _check_percentage(_: object, __: attrs.Attribute[float | None], value: float | None) -> None:
    if value is None:
        return
    if type(value) not in (int, float):  # not a bool
        raise InvalidRequestError(f"percentage must be a number in (0, 100], got {got(value)}")
    if not 0 < value <= 100:
        raise InvalidRequestError(f"percentage must be in (0, 100], got {value}")


@attrs.frozen(kw_only=True, slots=False)
class SplitShare:
    """One beneficiary's share: exactly one of ``amount`` (minor units) or ``percentage``."""

    beneficiary_id: str = attrs.field(validator=non_empty)
    amount: int | None = attrs.field(default=None, validator=optional_minor_units)
    percentage: float | None = attrs.field(default=None, validator=_check_percentage)

    def __attrs_post_init__(self) -> None:
        if (self.amount is None) == (self.percentage is None):
            raise InvalidRequestError(
                f"share of {self.beneficiary_id}: give exactly one of amount or percentage"
            )


def share_amount(total: int, share: SplitShare) -> int:
    """What ``share`` comes to out of ``total`` (a percentage is rounded down)."""
    if share.amount is not None:
        return share.amount
    assert share.percentage is not None
    return int(Decimal(total) * Decimal(str(share.percentage)) / 100)


def check_shares(shares: list[SplitShare], total: int | None) -> None:
    """Shares are a non-empty list of ``SplitShare``, one per beneficiary, at most 100 % and at
    most ``total``; ``InvalidRequestError`` otherwise."""
    if not isinstance(shares, list | tuple):
        raise InvalidRequestError(f"shares must be a list of SplitShare, got {got(shares)}")
    for share in shares:
        if not isinstance(share, SplitShare):
            raise InvalidRequestError(
                f"shares must be a list of SplitShare, got a {type(share).__name__} in it"
            )
    if not shares:
        raise InvalidRequestError("shares must not be empty: give at least one SplitShare")
    ids = [s.beneficiary_id for s in shares]
    if len(set(ids)) != len(ids):
        raise InvalidRequestError("shares: one share per beneficiary")
    percent = sum((Decimal(str(s.percentage)) for s in shares if s.percentage is not None), 0)
    if percent > 100:
        raise InvalidRequestError(f"shares: percentages add up to {percent} %, more than 100 %")
    if total is not None:
        claimed = sum(share_amount(total, s) for s in shares)
        if claimed > total:
            raise InvalidRequestError(f"shares add up to {claimed}, more than the amount {total}")


@attrs.frozen(kw_only=True, slots=False)
class CreateSplitRequest:
    """``POST /split-requests``."""

    amount: int = attrs.field(validator=minor_units)
    currency: str = attrs.field(validator=currency_code)
    shares: list[SplitShare]
    transaction_id: str | None = None
    order_reference: str | None = None
    description: str | None = None

    def __attrs_post_init__(self) -> None:
        check_shares(self.shares, self.amount)


@attrs.frozen(kw_only=True, slots=False)
class UpdateSplitRequest:
    """``PUT /split-requests/{id}``: the fields to change (at least one); only while pending."""

    shares: list[SplitShare] | None = None
    order_reference: str | None = None
    description: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.shares is None and self.order_reference is None and self.description is None:
            raise InvalidRequestError(
                "nothing to update: pass shares, order_reference or description"
            )
        if self.shares is not None:
            check_shares(self.shares, None)  # the total is the server's: it checks the sum


# --- response side ------------------------------------------------------------------------------


class SplitStatus(OpenStrEnum):
    """``pending`` until applied to a charged transaction, then ``completed``."""

    PENDING = "pending"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


@attrs.frozen(kw_only=True, slots=False)
class SplitRequestShare:
    """A share as the server holds it: ``amount`` is what it comes to, even for a percentage."""

    beneficiary_id: str
    amount: int | None = None
    percentage: float | None = None


@attrs.frozen(kw_only=True, slots=False)
class SplitRequest(APIResponse):
    """``entity.SplitRequest``."""

    id: str
    amount: int
    currency: str
    status: SplitStatus
    shares: list[SplitRequestShare] = attrs.field(factory=list)
    transaction_id: str | None = None
    order_reference: str | None = None
    description: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
