"""The one module that knows the wire format.

Every rule lives here once, in ``_configure``, and is applied to two cattrs converters:

* ``_fast`` (``detailed_validation=False``) structures every response; its hooks are generated
  once per type and cached.
* ``_detailed`` runs only after ``_fast`` failed, to name the field paths that did not fit.

The rules, for every attrs class:

* snake_case fields <-> camelCase keys (``wire_name``; acronyms in ``WIRE_NAME_EXCEPTIONS``);
* unknown keys are ignored; ``init=False`` fields (``APIResponse.meta``) never touch the wire;
* fields that are ``None`` and default to ``None`` are left out of request bodies (a field with
  ``metadata={SEND_NULL: True}`` sends ``null`` instead);
* str, int, float and bool are checked exactly (no ``"1"`` for 1, no ``true`` for 1);
* a value wrapped as ``{"Value": x}`` (Pay API nullable ids) is unwrapped wherever a str, int,
  float, bool, datetime, or an optional of those is expected; ``{"Value": null}`` is ``None``;
* datetimes are ISO 8601. Parsing accepts ``Z`` and offsets, a naive time is taken as UTC.
  Output is UTC with a ``Z`` suffix; a naive datetime is refused (``InvalidRequestError``);
* enums are built with ``Cls(value)``, so ``OpenStrEnum`` keeps unknown values; out they go as
  their value;
* ``dict[str, Any]`` and ``dict[str, str]`` pass through untouched;
* ``Action`` dispatches on its ``type`` key (the tag is each class's ``type`` default), with
  ``UnknownAction`` keeping the whole object for any other type; ``PaymentMethodInput`` is a
  stored card when ``storedPaymentMethodId`` is there, a card when a scheme carries a (possibly
  encrypted) number, and ``PaymentMethodDetails`` otherwise.
"""

from __future__ import annotations

import enum
import functools
import operator
import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

import attrs
from cattrs import Converter
from cattrs.cols import list_structure_factory
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.v import format_exception, transform_error

from plexy_async.errors import InvalidRequestError, ResponseValidationError
from plexy_async.models.checkout import (
    Action,
    CardDetails,
    PaymentMethodDetails,
    PaymentMethodInput,
    StoredPaymentMethodDetails,
    UnknownAction,
)
from plexy_async.models.common import OpenStrEnum

__all__ = [
    "SEND_NULL",
    "WIRE_NAME_EXCEPTIONS",
    "structure",
    "unstructure",
    "wire_name",
]

T = TypeVar("T")
Hook = Callable[[Any, Any], Any]

# --- names --------------------------------------------------------------------------------------

#: Python names whose wire name is not the mechanical camelCase (acronyms, Adyen spellings).
#: ``...url`` stays ``...Url`` unless listed here.
WIRE_NAME_EXCEPTIONS: dict[str, str] = {
    "three_ds2_request_data": "threeDS2RequestData",
    "three_ds2_result": "threeDS2Result",
    "three_ds2_token": "threeDS2Token",
    "three_ds_authentication_only": "threeDSAuthenticationOnly",
    "three_ds_notification_url": "threeDSNotificationUrl",
    "three_ds_requestor_url": "threeDSRequestorURL",
    "three_ds_requestor_id": "threeDSRequestorID",
    "three_ds_requestor_name": "threeDSRequestorName",
    "three_ds_server_trans_id": "threeDSServerTransID",
    "three_ds_version": "threeDSVersion",
    "three_ds_comp_ind": "threeDSCompInd",
    "ds_trans_id": "dsTransID",
    "acs_trans_id": "acsTransID",
    "sdk_trans_id": "sdkTransID",
    "shopper_ip": "shopperIP",
    "notification_request_item": "NotificationRequestItem",
}

#: Field metadata key: send ``null`` for this field when it is ``None`` instead of leaving it out
#: (``amount: Amount | None = attrs.field(default=None, metadata={SEND_NULL: True})``).
SEND_NULL: Final = "plexy_send_null"


def wire_name(field_name: str) -> str:
    """The JSON key of a Python field name: ``psp_reference`` -> ``pspReference``."""
    exception = WIRE_NAME_EXCEPTIONS.get(field_name)
    if exception is not None:
        return exception
    first, *rest = field_name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


# --- scalars ------------------------------------------------------------------------------------


def _got(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _exactly(cls: type) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        if value.__class__ is cls:
            return value
        if cls is float and value.__class__ is int:
            return float(value)
        raise TypeError(f"expected {cls.__name__}, got {_got(value)}")

    return parse


def _parse_datetime(value: Any) -> datetime:
    if value.__class__ is not str:
        raise TypeError(f"expected an ISO 8601 datetime string, got {_got(value)}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected an ISO 8601 datetime, got {value!r}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _format_datetime(value: datetime) -> str:
    if value.utcoffset() is None:
        raise InvalidRequestError(
            f"cannot send the naive datetime {value.isoformat()}: give it a timezone"
        )
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# type -> (the class that passes as is, the parser for anything else)
_SCALARS: dict[type, tuple[type | None, Callable[[Any], Any]]] = {
    str: (str, _exactly(str)),
    int: (int, _exactly(int)),
    float: (float, _exactly(float)),
    bool: (bool, _exactly(bool)),
    datetime: (None, _parse_datetime),
}


def _scalar_hook(cls: type, *, nullable: bool) -> Hook:
    exact, parse = _SCALARS[cls]

    def structure_scalar(value: Any, _: Any) -> Any:
        if value.__class__ is exact:
            return value
        if value.__class__ is dict and "Value" in value:
            value = value["Value"]
        if value is None and nullable:
            return None
        return parse(value)

    return structure_scalar


# Model enums subclass one of these (OpenStrEnum, normally); a bare ``(str, Enum)`` mixin would
# be taken for its ``str`` base.
_ENUM_BASES = (enum.Enum, enum.StrEnum, enum.IntEnum, OpenStrEnum)


def _structure_enum(value: Any, cls: type[enum.Enum]) -> enum.Enum:
    member = cls._value2member_map_.get(value) if value.__class__ is str else None
    return member if member is not None else cls(value)


# --- containers and unions ----------------------------------------------------------------------


def _union_args(t: Any) -> tuple[Any, ...]:
    if typing.get_origin(t) in (typing.Union, types.UnionType):
        return typing.get_args(t)
    return ()


def _is_optional(t: Any) -> bool:
    return type(None) in _union_args(t)


def _optional_factory(t: Any, c: Converter) -> Hook:
    inner = functools.reduce(operator.or_, [a for a in _union_args(t) if a is not type(None)])
    if inner in _SCALARS:
        return _scalar_hook(inner, nullable=True)
    hook = c.get_structure_hook(inner)

    def structure_optional(value: Any, _: Any) -> Any:
        return None if value is None else hook(value, inner)

    return structure_optional


def _is_plain_dict(t: Any) -> bool:
    return t is dict or (
        typing.get_origin(t) is dict and typing.get_args(t)[0] is str
        and typing.get_args(t)[1] in (Any, str)
    )  # fmt: skip


def _structure_plain_dict(value: Any, _: Any) -> Any:
    if value.__class__ is dict:
        return value
    raise TypeError(f"expected an object, got {_got(value)}")


def _is_list(t: Any) -> bool:
    return typing.get_origin(t) is list


def _list_factory(t: Any, c: Converter) -> Hook:
    items = list_structure_factory(t, c)

    def structure_list(value: Any, _: Any) -> Any:
        if value.__class__ is list:
            return items(value, t)
        raise TypeError(f"expected a list, got {_got(value)}")

    return structure_list


def _action_factory(_: Any, c: Converter) -> Hook:
    by_tag = {
        attrs.fields(cls).type.default: (c.get_structure_hook(cls), cls)
        for cls in typing.get_args(Action)
        if cls is not UnknownAction
    }

    def structure_action(value: Any, _: Any) -> Any:
        if value.__class__ is not dict:
            raise TypeError(f"expected an object, got {_got(value)}")
        found = by_tag.get(value.get("type"))
        if found is None:
            return _structure_unknown_action(value, UnknownAction)
        return found[0](value, found[1])

    return structure_action


def _structure_unknown_action(value: Any, _: Any) -> UnknownAction:
    return UnknownAction(type=str(value.get("type", "")), raw=value)


def _payment_method_factory(_: Any, c: Converter) -> Hook:
    card = c.get_structure_hook(CardDetails)
    stored = c.get_structure_hook(StoredPaymentMethodDetails)
    card_keys = {wire_name("number"), wire_name("encrypted_card_number")}

    def structure_payment_method(value: Any, _: Any) -> Any:
        if value.__class__ is not dict:
            raise TypeError(f"expected an object, got {_got(value)}")
        if wire_name("stored_payment_method_id") in value:
            return stored(value, StoredPaymentMethodDetails)
        if value.get("type") == "scheme" and not card_keys.isdisjoint(value):
            return card(value, CardDetails)
        return _structure_payment_method_details(value, PaymentMethodDetails)

    return structure_payment_method


def _structure_payment_method_details(value: Any, _: Any) -> PaymentMethodDetails:
    kind = value["type"]
    if kind.__class__ is not str:
        raise TypeError(f"expected str for type, got {_got(kind)}")
    return PaymentMethodDetails(type=kind, data={k: v for k, v in value.items() if k != "type"})


def _unstructure_payment_method_details(value: PaymentMethodDetails) -> dict[str, Any]:
    return {**value.data, "type": value.type}


def _unstructure_unknown_action(value: UnknownAction) -> dict[str, Any]:
    return {**value.raw, "type": value.type}


# --- attrs classes ------------------------------------------------------------------------------


def _structure_attrs_factory(cls: type, c: Converter) -> Hook:
    origin = typing.get_origin(cls) or cls  # Page[Item] -> Page
    attrs.resolve_types(origin)
    renames: dict[str, Any] = {
        a.name: override(rename=wire_name(a.name)) for a in attrs.fields(origin) if a.init
    }
    build: Callable[[Any], Any] = make_dict_structure_fn(cls, c, **renames)

    def structure_attrs(value: Any, _: Any) -> Any:
        if value.__class__ is dict:
            return build(value)
        raise TypeError(f"expected an object, got {_got(value)}")

    return structure_attrs


def _unstructure_attrs_factory(cls: type, c: Converter) -> Callable[[Any], Any]:
    attrs.resolve_types(cls)
    rules: dict[str, Any] = {
        a.name: override(
            rename=wire_name(a.name),
            omit_if_default=a.default is None and not a.metadata.get(SEND_NULL, False),
        )
        for a in attrs.fields(cls)
        if a.init
    }
    return make_dict_unstructure_fn(cls, c, **rules)


# --- the two converters -------------------------------------------------------------------------


def _configure(c: Converter) -> Converter:
    """Register every rule on ``c``; later registrations take precedence in cattrs."""
    c.register_structure_hook_factory(attrs.has, _structure_attrs_factory)
    c.register_unstructure_hook_factory(attrs.has, _unstructure_attrs_factory)
    c.register_structure_hook_factory(_is_list, _list_factory)
    c.register_structure_hook_func(_is_plain_dict, _structure_plain_dict)
    c.register_unstructure_hook_func(_is_plain_dict, lambda value: value)
    c.register_structure_hook_factory(_is_optional, _optional_factory)
    c.register_structure_hook_factory(
        lambda t: set(_union_args(t)) == set(typing.get_args(Action)), _action_factory
    )
    c.register_structure_hook_factory(
        lambda t: set(_union_args(t)) == set(typing.get_args(PaymentMethodInput)),
        _payment_method_factory,
    )
    # Class hooks go through cattrs' singledispatch, where the first registered class in the
    # MRO wins: each enum base is registered itself, or its ``str``/``int`` mixin would claim it.
    for cls in _SCALARS:
        c.register_structure_hook(cls, _scalar_hook(cls, nullable=False))
    c.register_unstructure_hook(datetime, _format_datetime)
    for base in _ENUM_BASES:
        c.register_structure_hook(base, _structure_enum)
        c.register_unstructure_hook(base, operator.attrgetter("value"))
    c.register_structure_hook(UnknownAction, _structure_unknown_action)
    c.register_unstructure_hook(UnknownAction, _unstructure_unknown_action)
    c.register_structure_hook(PaymentMethodDetails, _structure_payment_method_details)
    c.register_unstructure_hook(PaymentMethodDetails, _unstructure_payment_method_details)
    return c


_fast = _configure(Converter(detailed_validation=False))
_detailed = _configure(Converter(detailed_validation=True))
_hooks: dict[Any, Hook] = {}


def structure(data: Any, cls: type[T]) -> T:
    """Build a ``cls`` from JSON-parsed ``data``; ``ResponseValidationError`` if it does not fit."""
    hook = _hooks.get(cls)
    if hook is None:
        hook = _hooks[cls] = _fast.get_structure_hook(cls)
    try:
        return hook(data, cls)  # type: ignore[no-any-return]
    except Exception as exc:
        message, cause = _explain(data, cls, exc)
        raise ResponseValidationError(message) from cause


def unstructure(obj: Any) -> Any:
    """A model as JSON-ready dicts, lists, strings and numbers."""
    return _fast.unstructure(obj)


def _describe(exc: BaseException, type_: type | None) -> str:
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, TypeError | ValueError) and exc.args:
        return str(exc)
    return format_exception(exc, type_)


def _explain(data: Any, cls: Any, fast_error: Exception) -> tuple[str, BaseException]:
    """Re-run with the detailed converter to name every field path that did not fit."""
    name = getattr(cls, "__name__", repr(cls))
    try:
        _detailed.structure(data, cls)
    except Exception as exc:
        cause: BaseException = exc
        problems = []
        for line in transform_error(exc, path="$", format_exception=_describe):
            description, _, path = line.rpartition(" @ ")
            path = path.removeprefix("$").removeprefix(".")
            problems.append(f"{path}: {description}" if path else description)
    else:  # the two converters disagree: should not happen, but never hide the failure
        cause, problems = fast_error, [_describe(fast_error, None)]
    return f"invalid {name}: " + "; ".join(problems), cause
