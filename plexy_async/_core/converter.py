"""The one module that knows the wire format: JSON bytes <-> models.

Two converters made by cattrs' preconfigured orjson converter (``cattrs.preconf.orjson``), with
every rule below registered once, in ``_configure``:

* ``_fast`` (``detailed_validation=False``) structures every response; its hooks are made once
  per type and cached. For speed it fills in the plain attrs classes with
  ``_filling_structure_fn`` (one pass over the object's keys, no ``__init__`` call) and
  ``Amount`` with ``_structure_amount``, applying the same hooks; every other class, and every
  request model on its way out, gets cattrs' generated function.
* ``_detailed`` (cattrs' generated functions throughout) runs only after ``_fast`` failed, to
  name the field paths that did not fit.

``dumps`` writes a request model as the body (orjson, compact, UTF-8, keys in field order) and
``loads`` reads a response body (orjson, with the standard library for what orjson reads
differently): the bytes on the wire go through nothing else.

The rules, for every attrs class:

* snake_case fields <-> camelCase keys (``wire_name``; acronyms in ``WIRE_NAME_EXCEPTIONS``);
* unknown keys are ignored; ``init=False`` fields (``APIResponse._meta``) never touch the wire;
* fields that are ``None`` and default to ``None`` are left out of request bodies (a field with
  ``metadata={SEND_NULL: True}`` sends ``null`` instead);
* str, int, float and bool are checked exactly (no ``"1"`` for 1, no ``true`` for 1);
* a value wrapped as ``{"Value": x}`` (Pay API nullable ids) is unwrapped wherever a str, int,
  float, bool, datetime, or an optional of those is expected; ``{"Value": null}`` is ``None``;
* a JSON null, one rule for every field of every model, at any depth:
  - in an optional field (``X | None``, or ``Any``) it is ``None``;
  - in a list, tuple, set or mapping field it is an empty one (Go and .NET send ``null`` for an
    empty list): ``list[X] | None`` is an optional, so there null is ``None``;
  - in any other field with a default it is read as if the key were missing: the default;
  - anywhere else (a required field, a list item, a money ``value``) the model cannot do
    without a value: ``ResponseValidationError`` naming the path (``data[0].amount.currency``);
* datetimes are read as RFC 3339 allows (``T``/``t``/space, ``Z``/``z``, any fraction, cut to
  microseconds, ``-00:00``, a leap second), plus ISO 8601 forms ``fromisoformat`` takes; a naive
  time is taken as UTC. Output is UTC with a ``Z`` suffix, in a model or inside a free-form
  dict; a naive datetime is refused (``InvalidRequestError``);
* enums are built with ``Cls(value)``, so ``OpenStrEnum`` keeps unknown values; out they go as
  their value;
* ``dict[str, Any]`` and ``dict[str, str]`` pass through untouched;
* ``Action`` dispatches on its ``type`` key (the tag is each class's ``type`` default), with
  ``UnknownAction`` keeping the whole object for any other type (a null one too);
  ``PaymentMethodInput`` is a stored card when ``storedPaymentMethodId`` is set, a card when a
  scheme carries a (possibly encrypted) number, and ``PaymentMethodDetails`` otherwise;
* a request body JSON cannot carry exactly (NaN or an infinity, an int beyond 64 bits, a string
  with a lone surrogate, a dict key that is not a str, a value of a type JSON does not have, a
  cycle) is refused with ``InvalidRequestError`` before anything is sent.
"""

from __future__ import annotations

import enum
import functools
import json
import math
import operator
import re
import types
import typing
from collections import abc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any, Final, TypeVar

import attrs
import orjson
from cattrs import Converter
from cattrs.cols import list_structure_factory, mapping_structure_factory
from cattrs.fns import identity
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.preconf.orjson import make_converter
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
from plexy_async.models.common import Amount, LenientBool, OpenStrEnum, is_currency_code

__all__ = [
    "SEND_NULL",
    "WIRE_NAME_EXCEPTIONS",
    "dumps",
    "loads",
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
    """An RFC 3339 date-time, read leniently: see ``_parse_rfc3339``.

    ``datetime.fromisoformat`` reads the usual form at C speed; what it refuses (a lower-case
    ``z``, a leap second) gets a second look from ``_parse_rfc3339``.
    """
    if value.__class__ is not str:
        raise TypeError(f"expected an RFC 3339 datetime string, got {_got(value)}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = _parse_rfc3339(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


# RFC 3339 section 5.6 ``date-time``: the ``T`` and ``Z`` in either case (section 5.6 NOTE), a
# space for the ``T``, a fraction of any length (``,`` too, as ISO 8601 allows), an offset with
# or without its colon; none at all is read as UTC by the caller.
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:[.,]([0-9]+))?"
    r"(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))?"
)


def _parse_rfc3339(value: str) -> datetime:
    """``value`` as an RFC 3339 date-time: fractions beyond microseconds are cut off (as
    ``fromisoformat`` does), ``-00:00`` is UTC, and a leap second (``23:59:60``) is the first
    instant after ``23:59:59``. ``ValueError`` for anything else."""
    match = _RFC3339.fullmatch(value)
    if match is None:
        raise ValueError(f"expected an RFC 3339 datetime, got {value!r}")
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction, zulu, sign, offset_hours, offset_minutes = match.groups()[6:]
    tz: tzinfo | None = None
    if zulu is not None:
        tz = UTC
    elif sign is not None:
        if int(offset_hours) > 23 or int(offset_minutes) > 59:
            raise ValueError(f"expected an RFC 3339 datetime, got {value!r}: bad offset")
        offset = timedelta(hours=int(offset_hours), minutes=int(offset_minutes))
        tz = timezone(-offset if sign == "-" else offset)
    microsecond = int(fraction[:6].ljust(6, "0")) if fraction else 0
    leap = second == 60
    try:
        parsed = datetime(
            year, month, day, hour, minute, 59 if leap else second, microsecond, tzinfo=tz
        )
        return parsed + _ONE_SECOND if leap else parsed
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"expected an RFC 3339 datetime, got {value!r}: {exc}") from None


_ONE_SECOND: Final = timedelta(seconds=1)


def _format_datetime(value: datetime) -> str:
    if value.utcoffset() is None:
        raise InvalidRequestError(
            f"cannot send the naive datetime {value.isoformat()}: give it a timezone"
        )
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_lenient_bool(value: Any) -> bool:
    if value == "true":
        return True
    if value == "false":
        return False
    raise TypeError(f'expected bool or "true"/"false", got {_got(value)}')


# type -> (the class that passes as is, the parser for anything else)
_SCALARS: dict[type, tuple[type | None, Callable[[Any], Any]]] = {
    str: (str, _exactly(str)),
    int: (int, _exactly(int)),
    float: (float, _exactly(float)),
    bool: (bool, _exactly(bool)),
    LenientBool: (bool, _parse_lenient_bool),
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
    if member is not None:
        return member
    if value is None:
        raise TypeError(f"expected a {cls.__name__}, got null")
    return cls(value)


# --- containers and unions ----------------------------------------------------------------------


def _union_args(t: Any) -> tuple[Any, ...]:
    if typing.get_origin(t) in (typing.Union, types.UnionType):
        return typing.get_args(t)
    return ()


def _takes_null(t: Any) -> bool:
    """Whether a JSON null is a value of ``t`` itself (``None``): an optional, ``Any``, or an
    unannotated field."""
    return t is None or t is Any or type(None) in _union_args(t)


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


# Collections. A JSON null where a collection is expected is an empty one: Go and .NET services
# send ``null`` for an empty list or map. Only a JSON array makes a list, tuple or set, and only
# an object makes a mapping.

#: origin -> what a JSON array becomes (``None``: the list itself)
_SEQUENCES: Final[dict[Any, Callable[[list[Any]], Any] | None]] = {
    list: None,
    abc.Sequence: None,
    abc.MutableSequence: None,
    abc.Collection: None,
    abc.Iterable: None,
    tuple: tuple,
    set: set,
    abc.Set: frozenset,
    abc.MutableSet: set,
    frozenset: frozenset,
}
_MAPPINGS: Final = (dict, abc.Mapping, abc.MutableMapping)


def _is_sequence(t: Any) -> bool:
    origin = typing.get_origin(t) or t
    if origin is tuple:  # only ``tuple[X, ...]``: a fixed-length tuple is no collection
        args = typing.get_args(t)
        return len(args) == 2 and args[1] is Ellipsis
    return origin in _SEQUENCES


def _sequence_factory(t: Any, c: Converter) -> Hook:
    origin = typing.get_origin(t) or t
    args = typing.get_args(t)
    as_list: Any = list.__class_getitem__(args[0] if args else Any)  # list[X]
    items = list_structure_factory(as_list, c)
    into = _SEQUENCES[origin]

    if into is None:

        def structure_list(value: Any, _: Any) -> Any:
            if value.__class__ is list:
                return items(value, as_list)
            if value is None:
                return []
            raise TypeError(f"expected a list, got {_got(value)}")

        return structure_list

    def structure_sequence(value: Any, _: Any) -> Any:
        if value.__class__ is list:
            return into(items(value, as_list))
        if value is None:
            return into([])
        raise TypeError(f"expected a list, got {_got(value)}")

    return structure_sequence


def _is_plain_dict(t: Any) -> bool:
    return t is dict or (
        typing.get_origin(t) is dict and typing.get_args(t)[0] is str
        and typing.get_args(t)[1] in (Any, str)
    )  # fmt: skip


def _structure_plain_dict(value: Any, _: Any) -> Any:
    if value.__class__ is dict:
        return value
    if value is None:
        return {}
    raise TypeError(f"expected an object, got {_got(value)}")


def _is_mapping(t: Any) -> bool:
    return (typing.get_origin(t) or t) in _MAPPINGS


def _mapping_factory(t: Any, c: Converter) -> Hook:
    entries = mapping_structure_factory(t, c)

    def structure_mapping(value: Any, _: Any) -> Any:
        if value.__class__ is dict:
            return entries(value, t)
        if value is None:
            return {}
        raise TypeError(f"expected an object, got {_got(value)}")

    return structure_mapping


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
    kind = value.get("type")
    return UnknownAction(type="" if kind is None else str(kind), raw=value)


def _payment_method_factory(_: Any, c: Converter) -> Hook:
    card = c.get_structure_hook(CardDetails)
    stored = c.get_structure_hook(StoredPaymentMethodDetails)
    card_keys = (wire_name("number"), wire_name("encrypted_card_number"))
    stored_key = wire_name("stored_payment_method_id")

    def structure_payment_method(value: Any, _: Any) -> Any:
        if value.__class__ is not dict:
            raise TypeError(f"expected an object, got {_got(value)}")
        if value.get(stored_key) is not None:
            return stored(value, StoredPaymentMethodDetails)
        if value.get("type") == "scheme" and any(value.get(k) is not None for k in card_keys):
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


def _structure_attrs_factory(cls: Any, c: Converter) -> Hook:
    """The structure function of an attrs class (a generic alias too: ``Page[Item]``).

    The fast converter fills in a class whose ``__init__`` only stores its arguments with
    ``_filling_structure_fn``; everything else gets cattrs' generated function, reading each
    field under its wire name, behind a check that the value is a JSON object.
    """
    origin = typing.get_origin(cls) or cls
    attrs.resolve_types(origin)
    if not c.detailed_validation and origin is cls and _init_only_stores(cls):
        return _filling_structure_fn(cls, c)
    rules: dict[str, Any] = {
        a.name: override(rename=wire_name(a.name), struct_hook=_null_is_default(a, c))
        for a in attrs.fields(origin)
        if a.init
    }
    build: Callable[[Any], Any] = make_dict_structure_fn(cls, c, **rules)

    def structure_attrs(value: Any, _: Any) -> Any:
        if value.__class__ is not dict:
            _not_an_object(value)
        return build(value)

    return structure_attrs


def _null_is_default(a: attrs.Attribute[Any], c: Converter) -> Hook | None:
    """For a field with a default whose type cannot hold ``None`` (``page: int = 1``,
    ``items: list[X] = Factory(list)``): its hook, reading a JSON null as the default, as if the
    key were missing. ``None`` (cattrs' own choice of hook) for any other field, for a list or
    dict defaulting to an empty one, whose hook reads null so already, and for a default made
    from the instance, which does not exist yet (there the type's hook decides)."""
    default = a.default
    if default is attrs.NOTHING or _takes_null(a.type):
        return None
    if isinstance(default, _Factory):
        if default.takes_self:
            return None
        origin = typing.get_origin(a.type) or a.type
        if (default.factory is list and _is_sequence(a.type) and _SEQUENCES[origin] is None) or (
            default.factory is dict and _is_mapping(a.type)
        ):
            return None
        make: Callable[[], Any] = default.factory
    else:
        make = functools.partial(identity, default)
    hooks: list[Hook] = []  # the type's own, found on first use (``t`` is resolved by then)

    def null_is_default(value: Any, t: Any) -> Any:
        if value is None:
            return make()
        if not hooks:
            hooks.append(c.get_structure_hook(t))
        return hooks[0](value, t)

    return null_is_default


_Factory: Final[Any] = type(attrs.Factory(list))  # its stubs declare a function, not the class


# For speed, the fast converter fills in the plain attrs classes (every response model, nearly)
# itself instead of calling cattrs' generated function and ``__init__``: some 40% fewer
# instructions for a payment response (benchmarks/converter.py times it). It applies the same
# hooks, so every rule above still holds, and the detailed converter, which explains failures,
# keeps cattrs' function.


def _init_only_stores(cls: type) -> bool:
    """Whether ``cls.__init__`` only stores its arguments: no validators, converters or hooks.

    Only then may an instance be filled in without calling it. Asks attrs (>= 25.4) for the
    class's properties; without them, or for anything unusual, the answer is no.
    """
    props: Any = cls.__dict__.get("__attrs_props__")
    try:
        usual = bool(
            props.added_init
            and not props.is_exception
            and props.hashability.value != "hashable_cache"
        )
    except AttributeError:
        return False
    return (
        usual
        and not hasattr(cls, "__attrs_pre_init__")
        and not hasattr(cls, "__attrs_post_init__")
        and all(
            a.validator is None
            and a.converter is None
            and not (isinstance(a.default, _Factory) and a.default.takes_self)
            for a in attrs.fields(cls)
        )
    )


# What a JSON null in a field becomes in ``_filling_structure_fn``: the rule of the module
# docstring, decided once per field.
_NULL_IS_NONE: Final = 0  # an optional (or ``Any``) field
_NULL_IS_DEFAULT: Final = 1  # a field with a default its type cannot hold None for
_NULL_TO_HOOK: Final = 2  # the type's hook decides: an empty collection, or an error

#: How ``_filling_structure_fn`` reads one field: the attribute's name; the class of the values
#: kept as they are, without calling the hook; the hook (``None``: every value is kept); the
#: hook's second argument; and what a null becomes (``_NULL_IS_NONE``...).
_Read = tuple[str, type | None, Hook | None, Any, int]


def _read_plan(a: attrs.Attribute[Any], c: Converter) -> _Read:
    t = a.type
    if t is None or t is Any:  # an unannotated field takes what comes, as in cattrs
        return a.name, None, None, t, _NULL_IS_NONE
    if _takes_null(t):
        null = _NULL_IS_NONE
        inner = functools.reduce(operator.or_, [x for x in _union_args(t) if x is not _NoneType])
        if inner not in _SCALARS:  # the optional's own layer only checks for None: skip it
            t = inner
    else:
        inner = t
        null = _NULL_TO_HOOK if a.default is attrs.NOTHING else _NULL_IS_DEFAULT
    exact = _SCALARS[inner][0] if inner in _SCALARS else dict if _is_plain_dict(inner) else None
    return a.name, exact, c.get_structure_hook(t), t, null


_NoneType: Final = type(None)


def _filling_structure_fn(cls: type, c: Converter) -> Hook:
    """The fast converter's structure function for a class that ``_init_only_stores``.

    Goes through the object's keys once, skipping unknown ones: a value of its field's exact
    class (a str for ``str | None``...) is kept as it is, a null follows the null rule, and any
    other value goes through the field type's hook. Then a missing required field raises
    ``KeyError``, the defaults fill in the rest, and the attributes are set directly, as the
    class's ``__init__`` would.
    """
    fields = attrs.fields(cls)
    reads = {wire_name(a.name): _read_plan(a, c) for a in fields if a.init}.get
    defaults: dict[str, Any] = {}
    required: list[tuple[str, str]] = []  # (attribute, wire name)
    factories: list[tuple[str, Callable[[], Any]]] = []
    for a in fields:
        if isinstance(a.default, _Factory):
            factories.append((a.name, a.default.factory))
        elif a.default is not attrs.NOTHING:
            defaults[a.name] = a.default
        elif a.init:
            required.append((a.name, wire_name(a.name)))
    slots = tuple(a.name for a in fields if a.name in _slot_names(cls))
    in_dict = len(slots) < len(fields)
    new, set_attribute = _new_object, _set_attribute

    def structure_filled(o: Any, _: Any = None) -> Any:
        if o.__class__ is not dict:
            _not_an_object(o)
        values = defaults.copy()
        for key, value in o.items():
            read = reads(key)
            if read is None:
                continue
            name, exact, hook, t, null = read
            if value.__class__ is exact or hook is None:
                values[name] = value
            elif value is not None or null == _NULL_TO_HOOK:
                values[name] = hook(value, t)
            elif null == _NULL_IS_NONE:
                values[name] = None
            # _NULL_IS_DEFAULT: as if the key were missing
        if required:
            for name, key in required:
                if name not in values:
                    raise KeyError(key)
        if factories:
            for name, factory in factories:
                if name not in values:
                    values[name] = factory()
        instance: Any = new(cls)
        if slots:
            for name in slots:
                set_attribute(instance, name, values.pop(name))
        if in_dict:
            set_attribute(instance, "__dict__", values)
        return instance

    return structure_filled


def _slot_names(cls: type) -> set[str]:
    """Attributes stored in slots, the class's own or a base's (``Amount``'s, for one)."""
    names: set[str] = set()
    for klass in cls.__mro__:
        slots = klass.__dict__.get("__slots__", ())
        names.update((slots,) if isinstance(slots, str) else slots)
    return names


def _not_an_object(value: Any) -> None:
    raise TypeError(f"expected an object, got {_got(value)}")


def _structure_amount(value: Any, _: Any) -> Amount:
    """Money from the wire, for the fast converter: the nested class of nearly every response.

    Filled in directly when the values already pass everything ``Amount.__init__`` would check
    (exact int and str, and its validators' rules); anything else goes through the scalar hooks
    and ``Amount(...)``, so the errors are the model's own.
    """
    if value.__class__ is not dict:
        _not_an_object(value)
    minor, currency = value["value"], value["currency"]
    if (
        minor.__class__ is int
        and minor >= 0
        and currency.__class__ is str
        and is_currency_code(currency)
    ):
        amount = _new_object(Amount)
        _set_attribute(amount, "value", minor)
        _set_attribute(amount, "currency", currency)
        return amount
    return Amount(_structure_int(minor, int), _structure_str(currency, str))


_new_object = object.__new__
_set_attribute = object.__setattr__
_structure_int = _scalar_hook(int, nullable=False)
_structure_str = _scalar_hook(str, nullable=False)


def _unstructure_attrs_factory(cls: Any, c: Converter) -> Callable[[Any], Any]:
    """cattrs' generated function for ``cls``: each init field under its wire name, those always
    sent first, then the ones left out when ``None`` (``_omitted_if_none``), each group in field
    order."""
    origin = typing.get_origin(cls) or cls
    attrs.resolve_types(origin)
    rules: dict[str, Any] = {
        a.name: override(
            rename=wire_name(a.name),
            omit_if_default=_omitted_if_none(a),
            unstruct_hook=_present_value_hook(a, c) if _omitted_if_none(a) else None,
        )
        for a in attrs.fields(origin)
        if a.init
    }
    return make_dict_unstructure_fn(cls, c, **rules)


def _omitted_if_none(a: attrs.Attribute[Any]) -> bool:
    return a.default is None and not a.metadata.get(SEND_NULL, False)


def _present_value_hook(a: attrs.Attribute[Any], c: Converter) -> Callable[[Any], Any] | None:
    """For a field left out when ``None``: the hook of its type without the ``None``, all its
    values meet (``identity`` for a str: cattrs then calls nothing). ``None``: cattrs' choice."""
    args = _union_args(a.type)
    if len(args) != 2 or type(None) not in args:
        return None
    inner = args[0] if args[1] is type(None) else args[1]
    if isinstance(inner, TypeVar) or getattr(inner, "__parameters__", None):
        return None  # a type variable: the generic alias's own function resolves it
    return c.get_unstructure_hook(inner)


# --- the two converters -------------------------------------------------------------------------


def _configure(c: Converter) -> Converter:
    """Register every rule on ``c``; later registrations take precedence in cattrs."""
    c.register_structure_hook_factory(attrs.has, _structure_attrs_factory)
    c.register_unstructure_hook_factory(attrs.has, _unstructure_attrs_factory)
    c.register_structure_hook_factory(_is_sequence, _sequence_factory)
    c.register_structure_hook_factory(_is_mapping, _mapping_factory)
    c.register_structure_hook_func(_is_plain_dict, _structure_plain_dict)
    c.register_unstructure_hook_func(_is_plain_dict, identity)
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


_fast = _configure(make_converter(detailed_validation=False))
# Speed only, same rules as Amount.__init__; for Amount itself, not for any subclass.
_fast.register_structure_hook_func(lambda t: t is Amount, _structure_amount)
_detailed = _configure(make_converter(detailed_validation=True))
_hooks: dict[Any, Hook] = {}


def structure(data: Any, cls: type[T]) -> T:
    """Build a ``cls`` from JSON-parsed ``data``; ``ResponseValidationError`` if it does not fit."""
    hook = _hooks.get(cls)
    if hook is None:
        hook = _hooks[cls] = _fast.get_structure_hook(cls)
    try:
        return hook(data, cls)  # type: ignore[no-any-return]
    except Exception as exc:
        message, _ = _explain(data, cls, exc)
    # Raised past the handler: no cattrs or ValueError object (holding the data, maybe card
    # data) in the error's chain; the message names every field that did not fit.
    raise ResponseValidationError(message)


def unstructure(obj: Any) -> Any:
    """A model as JSON-ready dicts, lists, strings and numbers."""
    hook = _unstructure_hooks.get(obj.__class__)
    if hook is None:
        hook = _unstructure_hooks[obj.__class__] = _fast.get_unstructure_hook(obj.__class__)
    return hook(obj)


_unstructure_hooks: dict[type, Callable[[Any], Any]] = {}


# --- bytes --------------------------------------------------------------------------------------


def dumps(obj: Any) -> bytes:
    """The request body of a model: ``unstructure(obj)`` as compact UTF-8 JSON, keys in order.

    ``InvalidRequestError`` (with nothing sent yet) for a value JSON cannot carry exactly: NaN
    or an infinity, an int beyond 64 bits, a lone surrogate, a dict key that is not a str, a
    cycle, an object of a type JSON does not have, a naive datetime.
    """
    data = unstructure(obj)
    try:
        body = _orjson_dumps(data, _encode_other, _DUMPS_OPTIONS)
    except TypeError as exc:  # orjson.JSONEncodeError; a naive datetime's error as its cause
        problem = str(exc.__cause__ if isinstance(exc.__cause__, InvalidRequestError) else exc)
    else:
        # orjson writes NaN and the infinities as null: where there is no null, there is none.
        if b"null" not in body or not _has_non_finite(data):
            return body
        problem = "NaN and infinities are not JSON numbers"
    # Raised past the handler: no orjson object in the error's chain.
    raise InvalidRequestError(f"cannot send this {type(obj).__name__}: {problem}")


_orjson_dumps: Final = orjson.dumps
_DUMPS_OPTIONS: Final = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _encode_other(value: Any) -> Any:
    """What orjson does not write itself, in a free-form dict or a field holding a value of an
    unexpected class: a datetime by the datetime rule, a float subclass as a float and a named
    tuple as an array (as ``json`` does); anything else is no JSON."""
    if isinstance(value, datetime):
        return _format_datetime(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def _has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_non_finite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_non_finite(v) for v in value)
    return False


def loads(body: bytes) -> Any:
    """A response body (UTF-8 JSON, RFC 8259) as dicts, lists, strings and numbers.

    Read by orjson; what orjson reads differently from the standard library (an integer too
    long for 64 bits, which it makes a float; a byte order mark, a lone surrogate escape, NaN,
    which it refuses) is read by ``json.loads`` instead, so the values are always the standard
    library's. ``ValueError`` for anything that is not one JSON value in UTF-8, nesting too deep
    included.
    """
    # An int beyond 64 bits has 19 digits at least: scan the digits only (a C loop) for a run
    # as long, which a string may hold too, then at worst the standard library reads it.
    if _NINETEEN_DIGITS not in body.translate(_DIGITS_ONLY):
        try:
            return _orjson_loads(body)
        except ValueError:  # orjson.JSONDecodeError
            pass
    return _stdlib_loads(body)


_orjson_loads: Final = orjson.loads
_DIGITS_ONLY: Final = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))  # 0-9: 0
_NINETEEN_DIGITS: Final = b"0" * 19


def _stdlib_loads(body: bytes) -> Any:
    text = body.decode()  # strict UTF-8: a UnicodeDecodeError is a ValueError
    try:
        return json.loads(text[1:] if text.startswith("\ufeff") else text)
    except RecursionError:
        pass
    raise ValueError("JSON nested too deeply")


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
