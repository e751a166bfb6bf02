"""The checks request models run in their ``__init__``: money fields (``amount`` in minor units,
``currency``), non-empty strings, nested model types.

Every check raises ``InvalidRequestError`` (a ``PlexyError`` and a ``ValueError``), with a message
naming the field, what it expects and what it got. Request models only: responses are never
validated beyond their types, so a surprising server value still parses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from plexy_async.errors import InvalidRequestError
from plexy_async.models.common import Amount, got
from plexy_async.models.currency import currency_problem, is_iso_currency


def minor_units(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A positive int (minor units: 5000 = 50.00 KZT); floats, bools and strings are refused."""
    if value.__class__ is not int:
        raise InvalidRequestError(
            f"{attribute.name} must be a positive int in minor units (5000 = 50.00 KZT), "
            f"got {got(value)}"
        )
    if value <= 0:
        raise InvalidRequestError(f"{attribute.name} must be positive (minor units), got {value}")


def optional_minor_units(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        minor_units(instance, attribute, value)


def currency_code(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A current ISO 4217 code in upper case, such as ``"KZT"`` (``models.currency``)."""
    if not is_iso_currency(value):
        raise InvalidRequestError(currency_problem(attribute.name, value))


def optional_currency_code(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        currency_code(instance, attribute, value)


def amount_to_send(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """An ``Amount`` in a current ISO 4217 currency: ``Amount`` itself takes any three upper-case
    letters, as a response may carry a code our ISO 4217 data does not have yet."""
    if not isinstance(value, Amount):
        raise InvalidRequestError(f"{attribute.name} must be an Amount, got {got(value)}")
    if not is_iso_currency(value.currency):
        raise InvalidRequestError(currency_problem(f"{attribute.name}.currency", value.currency))


def optional_amount_to_send(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        amount_to_send(instance, attribute, value)


def non_empty(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A str with something other than white space in it."""
    if not isinstance(value, str):
        raise InvalidRequestError(f"{attribute.name} must be a non-empty str, got {got(value)}")
    if not value.strip():
        raise InvalidRequestError(f"{attribute.name} must be a non-empty str, got {value!r}")


def instance_of(cls: type) -> Callable[[object, attrs.Attribute[Any], Any], None]:
    """A validator accepting only instances of ``cls`` (attrs' own raises a ``TypeError``)."""

    def check(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, cls):
            raise InvalidRequestError(
                f"{attribute.name} must be a {cls.__name__}, got {type(value).__name__}"
            )

    return check
