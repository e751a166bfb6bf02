"""Building blocks shared by every model: money, open enums, response metadata."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any, NewType

import attrs

from plexy_async._mask import keep_first6_last4
from plexy_async.errors import InvalidRequestError
from plexy_async.models.currency import (
    MINOR_UNIT_EXPONENTS,
    currency_problem,
    is_currency_code_shape,
)

#: The rule ``Amount`` checks a currency by (the converter's fast path for ``Amount`` uses it
#: too): three upper-case letters. What we send must also be in ISO 4217 (``models.currency``).
is_currency_code = is_currency_code_shape


def got(value: object) -> str:
    """``value`` as an error message shows it: its type, and the value itself when short and
    plain (``float 1.5``, ``bool True``, ``str 'soon'``, ``dict``)."""
    kind = type(value).__name__
    if isinstance(value, bool | int | float):
        return f"{kind} {value!r}"
    if isinstance(value, str):
        return f"{kind} {value[:20] + '...' if len(value) > 20 else value!r}"
    return kind


def currency_exponent(currency: str) -> int:
    """Number of decimals of ``currency`` (KZT 2, JPY 0, KWD 3), for display: ISO 4217's, and 2
    for a code ISO 4217 (as we know it) does not have, which only a response can carry.
    ``models.currency.minor_unit_exponent`` refuses such a code instead."""
    return MINOR_UNIT_EXPONENTS.get(currency, 2)


def _check_value(_: object, __: attrs.Attribute[int], value: int) -> None:
    if value.__class__ is not int:  # bool is an int subclass: refused too
        raise InvalidRequestError(
            f"Amount.value must be an int in minor units (10000 = 100.00 KZT), got {got(value)}"
        )
    if value < 0:
        raise InvalidRequestError(f"Amount.value must not be negative, got {value}")


def _check_currency(_: object, __: attrs.Attribute[str], value: str) -> None:
    if not is_currency_code_shape(value):
        raise InvalidRequestError(currency_problem("Amount.currency", value))


@attrs.frozen
class Amount:
    """Money in minor units: ``Amount(10000, "KZT")`` is 100.00 KZT.

    ``value`` is a non-negative ``int`` of minor units (``currency_exponent`` decimals: KZT and
    USD 2, JPY 0, KWD 3); ``currency`` three upper-case letters. Anything else (a float, a
    bool, a str value, a negative value, ``"kzt"``, ``"KZ"``) raises ``InvalidRequestError``,
    which is a ``ValueError`` too.

    Strict on what we send, lenient on what we receive. Every request that carries an
    ``Amount`` (``payments.create``, ``sessions.create``, ``payment_methods.list``) also
    requires a current ISO 4217 code, from the ``iso4217`` package (``models.currency``):
    ``Amount(100, "XYZ")`` is refused there with ``InvalidRequestError``, before anything is
    sent. An ``Amount`` read from a response or a webhook needs only the three letters: a server
    that supports a currency before the installed ISO 4217 data lists it (or still reports one
    ISO has retired) must not make a response fail to parse, since it describes money that
    has already moved.
    """

    value: int = attrs.field(validator=_check_value)
    currency: str = attrs.field(validator=_check_currency)

    def __str__(self) -> str:
        exponent = currency_exponent(self.currency)
        if exponent == 0:
            return f"{self.value} {self.currency}"
        whole, minor = divmod(self.value, 10**exponent)
        return f"{whole}.{minor:0{exponent}d} {self.currency}"


class OpenStrEnum(enum.StrEnum):
    """A string enum that keeps values it does not know instead of failing.

    ``ResultCode("SomethingNew")`` returns a pseudo-member whose ``value`` is the raw string and
    whose ``is_known`` is False, so a new server value never breaks a response.
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = "UNKNOWN"
        member._value_ = value
        return member

    @property
    def is_known(self) -> bool:
        return self._name_ != "UNKNOWN"


def card_number_repr(number: str | None) -> str:
    """The repr of a card-number field: first 6 and last 4 digits only, whatever the input
    (all masked when too short to be a real card number). The one mask's rule (``_mask``),
    applied to a field known to hold a card number; free text goes through
    ``_mask.mask_card_data``."""
    if number is None:
        return "None"
    return repr(keep_first6_last4(number))


#: A boolean that Adyen-style backends send as the string "true" or "false"; the converter takes
#: either form for a field of this type (and only for those).
LenientBool = NewType("LenientBool", bool)


@attrs.frozen(kw_only=True)
class ResponseMeta:
    """What the transport learned about the response a model came from."""

    status: int = 0
    request_id: str | None = None
    idempotency_key: str | None = None
    attempts: int = 0


NO_META = ResponseMeta()

#: The makings of a ``ResponseMeta`` as the client hands a response over: status, response
#: headers, idempotency key, attempts, and the function that finds the request id in the headers.
#: ``APIResponse.meta`` builds the ``ResponseMeta`` on first access; most callers never look.
PendingMeta = tuple[
    int, Mapping[str, str], str | None, int, Callable[[Mapping[str, str]], str | None]
]


# Not slotted, as none of its subclasses are: a slotted base would make attrs pickle (and
# deep-copy) only the base's slots, and every subclass would lose its fields on the way back.
@attrs.frozen(kw_only=True, slots=False)
class APIResponse:
    """Base of every response model; ``meta`` is filled in by the client, never by the wire."""

    _meta: ResponseMeta | PendingMeta = attrs.field(
        default=NO_META, init=False, eq=False, repr=False
    )

    @property
    def meta(self) -> ResponseMeta:
        """Status, request id, idempotency key and attempts of the response this came from."""
        meta = self._meta
        if isinstance(meta, ResponseMeta):
            return meta
        status, headers, idempotency_key, attempts, request_id_from = meta
        built = ResponseMeta(
            status=status,
            request_id=request_id_from(headers),
            idempotency_key=idempotency_key,
            attempts=attempts,
        )
        object.__setattr__(self, "_meta", built)
        return built

    def _attach_meta(self, meta: ResponseMeta | PendingMeta) -> None:
        object.__setattr__(self, "_meta", meta)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled and deep-copied with ``meta`` built: its makings hold the live headers."""
        return {**self.__dict__, "_meta": self.meta}
