"""Validators for Pay API request money fields (``amount`` in minor units + ``currency``).

Request models only: responses are never validated beyond their types, so a surprising server
value still parses.
"""

from __future__ import annotations

from typing import Any

import attrs

from .common import is_currency_code


def minor_units(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A positive int (minor units: 5000 = 50.00 KZT); floats and bools are refused."""
    if type(value) is not int:
        raise TypeError(
            f"{attribute.name} must be an int in minor units, not {type(value).__name__}"
        )
    if value <= 0:
        raise ValueError(f"{attribute.name} must be positive, got {value}")


def optional_minor_units(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        minor_units(instance, attribute, value)


def currency_code(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """An ISO 4217 code such as ``"KZT"``."""
    if not is_currency_code(value):
        raise ValueError(f"{attribute.name} must be an ISO 4217 code such as 'KZT', got {value!r}")


def optional_currency_code(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        currency_code(instance, attribute, value)


def non_empty(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{attribute.name} must be a non-empty string, got {value!r}")
