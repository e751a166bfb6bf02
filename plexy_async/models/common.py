"""Building blocks shared by every model: money, open enums, response metadata."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from typing import Any, NewType

import attrs

from plexy_async._mask import keep_first6_last4

_CURRENCY = re.compile(r"[A-Z]{3}")  # used with fullmatch: no trailing newline slips by

# ISO 4217 minor-unit exponents that differ from the usual 2 (for display and conversion).
CURRENCY_EXPONENTS: dict[str, int] = {
    "BHD": 3, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0,
    "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0, "TND": 3, "UGX": 0,
    "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}  # fmt: skip


def currency_exponent(currency: str) -> int:
    """Number of decimals of ``currency`` (KZT 2, JPY 0, KWD 3)."""
    return CURRENCY_EXPONENTS.get(currency, 2)


def _check_value(_: object, __: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int:
        raise TypeError(f"amount value must be an int in minor units, not {type(value).__name__}")
    if value < 0:
        raise ValueError("amount value must not be negative")


def is_currency_code(value: object) -> bool:
    """Whether ``value`` is a three-letter ISO 4217 code such as ``"KZT"``."""
    if value.__class__ is str and value in _currency_codes_seen:  # on every Amount: be quick
        return True
    if not isinstance(value, str) or _CURRENCY.fullmatch(value) is None:
        return False
    if value.__class__ is str:
        _currency_codes_seen.add(value)
    return True


# The codes is_currency_code has accepted: a set lookup is cheaper than the regular expression.
# At most 26**3 of them.
_currency_codes_seen: set[str] = set()


def _check_currency(_: object, __: attrs.Attribute[str], value: str) -> None:
    if not is_currency_code(value):
        raise ValueError(f"currency must be an ISO 4217 code such as 'KZT', got {value!r}")


@attrs.frozen
class Amount:
    """Money in minor units: ``Amount(10000, "KZT")`` is 100.00 KZT."""

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
