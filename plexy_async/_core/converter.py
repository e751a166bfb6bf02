"""The one module that knows the wire format.

Every rule lives here once, in ``_configure``, and is applied to two cattrs converters:

* ``_fast`` (``detailed_validation=False``) structures every response; its hooks are generated
  once per type and cached. For speed it builds plain attrs classes with functions of its own
  (``_generated_structure_fn``, ``_generated_unstructure_fn``) that apply the same hooks, and
  ``Amount`` with ``_structure_amount``: together about half of cattrs' cost.
* ``_detailed`` runs only after ``_fast`` failed, to name the field paths that did not fit.

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
  time is taken as UTC. Output is UTC with a ``Z`` suffix; a naive datetime is refused
  (``InvalidRequestError``);
* enums are built with ``Cls(value)``, so ``OpenStrEnum`` keeps unknown values; out they go as
  their value;
* ``dict[str, Any]`` and ``dict[str, str]`` pass through untouched;
* ``Action`` dispatches on its ``type`` key (the tag is each class's ``type`` default), with
  ``UnknownAction`` keeping the whole object for any other type (a null one too);
  ``PaymentMethodInput`` is a stored card when ``storedPaymentMethodId`` is set, a card when a
  scheme carries a (possibly encrypted) number, and ``PaymentMethodDetails`` otherwise.
"""

from __future__ import annotations

import enum
import functools
import linecache
import operator
import re
import types
import typing
from collections import abc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any, Final, NamedTuple, TypeVar

import attrs
from cattrs import Converter
from cattrs.cols import list_structure_factory, mapping_structure_factory
from cattrs.fns import identity
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
from plexy_async.models.common import Amount, LenientBool, OpenStrEnum, is_currency_code

__all__ = [
    "SEND_NULL",
    "WIRE_NAME_EXCEPTIONS",
    "OutField",
    "out_fields",
    "structure",
    "unstructure",
    "unstructure_hook",
    "unstructures_by_class",
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


class _Inline(NamedTuple):
    """What a generated structure function may check inline instead of calling a hook.

    A hook carries one as ``_INLINE`` when its result is known without calling it: the value
    itself when its class is ``exact``, ``None`` for ``None`` when ``nullable``; and, when
    ``hook`` is set, any other value goes straight to ``hook(value, type)`` (an optional's inner
    hook). See ``_conversion``.
    """

    exact: type | None
    nullable: bool
    hook: Hook | None = None
    type: Any = None


_INLINE: Final = "_plexy_inline"
_NO_INLINE: Final = _Inline(None, False)


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

    setattr(structure_scalar, _INLINE, _Inline(exact, nullable))
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

    setattr(structure_optional, _INLINE, _Inline(None, True, hook, inner))
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


setattr(_structure_plain_dict, _INLINE, _Inline(dict, False))


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


def _structure_attrs_factory(cls: type, c: Converter) -> Hook:
    origin = typing.get_origin(cls) or cls  # Page[Item] -> Page
    attrs.resolve_types(origin)
    if not c.detailed_validation and origin is cls and _init_only_stores(cls):
        return _generated_structure_fn(cls, c)
    renames: dict[str, Any] = {
        a.name: override(rename=wire_name(a.name)) for a in attrs.fields(origin) if a.init
    }
    build: Callable[[Any], Any] = make_dict_structure_fn(cls, c, **renames)
    defaulted = _null_means_default(origin)

    def structure_attrs(value: Any, _: Any) -> Any:
        if value.__class__ is dict:
            if defaulted and None in value.values():  # a C-speed scan, then the exact check
                value = {k: v for k, v in value.items() if v is not None or k not in defaulted}
            return build(value)
        raise TypeError(f"expected an object, got {_got(value)}")

    return structure_attrs


def _null_means_default(cls: type) -> frozenset[str]:
    """The wire names of ``cls``'s fields where a JSON null is read as if the key were missing:
    those with a default whose type cannot hold ``None`` (``page: int = 1``, ``items: list[X] =
    Factory(list)``). ``_generated_structure_fn`` follows the same rule."""
    return frozenset(
        wire_name(a.name)
        for a in attrs.fields(cls)
        if a.init and a.default is not attrs.NOTHING and not _takes_null(a.type)
    )


# For speed, the fast converter builds the plain attrs classes (every response model, nearly)
# with a function of its own, generated once per class, instead of cattrs' generic one: about
# half the cost (benchmarks/converter.py). It applies the same hooks, so every rule above still
# holds; the detailed converter keeps cattrs' function to explain failures.

_MISSING: Final = object()
_Factory: Final[Any] = type(attrs.Factory(list))  # its stubs declare a function, not the class


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


def _generated_structure_fn(cls: type, c: Converter) -> Hook:
    """The fast converter's structure function for a class that ``_init_only_stores``.

    Reads each field by its wire name (a missing required one raises ``KeyError``), converts it
    with the field type's hook unless ``_conversion`` can settle it inline, fills in defaults,
    and sets the attributes directly, as the class's ``__init__`` would.
    """
    namespace: dict[str, Any] = {
        "_cls": cls,
        "_new": object.__new__,
        "_set": object.__setattr__,
        "_MISSING": _MISSING,
        "_not_an_object": _not_an_object,
    }
    lines = ["  if o.__class__ is not dict:", "    _not_an_object(o)"]
    stored: list[tuple[str, str]] = []
    for i, a in enumerate(attrs.fields(cls)):
        var, key = f"v{i}", wire_name(a.name)
        if a.default is attrs.NOTHING:
            if not a.init:
                continue  # __init__ leaves it unset too
            lines.append(f"  {var} = o[{key!r}]")  # null goes to the hook, which refuses it
            lines += _conversion(var, a.type, i, namespace, c, indent="  ")
        elif not a.init:
            lines.append(f"  {var} = {_default(a, i, namespace)}")
        elif a.default is None and _takes_null(a.type):
            # missing and null mean the same here: one lookup, then the conversion's None check
            lines.append(f"  {var} = o.get({key!r})")
            lines += _conversion(var, a.type, i, namespace, c, indent="  ")
        else:
            if _takes_null(a.type):  # an optional with another default: null is None
                lines += [f"  {var} = o.get({key!r}, _MISSING)", f"  if {var} is _MISSING:"]
            else:  # null is read as missing (``_null_means_default``): one lookup again
                lines += [f"  {var} = o.get({key!r})", f"  if {var} is None:"]
            lines.append(f"    {var} = {_default(a, i, namespace)}")
            conversion = _conversion(var, a.type, i, namespace, c, indent="    ")
            if conversion:
                lines += ["  else:", *conversion]
        stored.append((a.name, var))
    lines.append("  instance = _new(_cls)")
    slots = _slot_names(cls)
    in_dict = [(name, var) for name, var in stored if name not in slots]
    if in_dict:
        values = ", ".join(f"{name!r}: {var}" for name, var in in_dict)
        lines.append(f"  _set(instance, '__dict__', {{{values}}})")
    lines += [f"  _set(instance, {name!r}, {var})" for name, var in stored if name in slots]
    lines.append("  return instance")
    name = f"structure_{cls.__name__}"
    source = f"def {name}(o, _=None):\n" + "\n".join(lines) + "\n"
    filename = f"<plexy_async generated structure {cls.__module__}.{cls.__qualname__}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]  # type: ignore[no-any-return]


def _slot_names(cls: type) -> set[str]:
    """Attributes stored in slots, the class's own or a base's (``Amount``'s, for one)."""
    names: set[str] = set()
    for klass in cls.__mro__:
        slots = klass.__dict__.get("__slots__", ())
        names.update((slots,) if isinstance(slots, str) else slots)
    return names


def _conversion(
    var: str, t: Any, i: int, namespace: dict[str, Any], c: Converter, *, indent: str
) -> list[str]:
    """Source lines that pass ``var`` through the hook for ``t``, or settle it inline."""
    if t is None:  # an unannotated field takes what comes, as in cattrs
        return []
    hook = c.get_structure_hook(t)
    inline: _Inline = getattr(hook, _INLINE, _NO_INLINE)
    if inline.hook is not None:  # an optional: skip its layer, keep the inner hook's check
        hook, t = inline.hook, inline.type
        inline = _Inline(getattr(hook, _INLINE, _NO_INLINE).exact, nullable=True)
    namespace[f"_h{i}"], namespace[f"_t{i}"] = hook, t
    if hook is _structure_enum:  # its first step, inline: a known value's member
        namespace[f"_m{i}"] = t._value2member_map_
        body = [
            f"m = _m{i}.get({var}) if {var}.__class__ is str else None",
            f"{var} = m if m is not None else _h{i}({var}, _t{i})",
        ]
    else:
        body = [f"{var} = _h{i}({var}, _t{i})"]
    checks = []
    if inline.nullable:
        checks.append(f"{var} is not None")
    if inline.exact is not None:
        namespace[f"_x{i}"] = inline.exact
        checks.append(f"{var}.__class__ is not _x{i}")
    if not checks:
        return [indent + line for line in body]
    return [f"{indent}if {' and '.join(checks)}:", *(f"{indent}  {line}" for line in body)]


def _default(a: attrs.Attribute[Any], i: int, namespace: dict[str, Any]) -> str:
    """A source expression for the default of ``a``: a fresh one each time for a factory."""
    if isinstance(a.default, _Factory):
        namespace[f"_f{i}"] = a.default.factory
        return f"_f{i}()"
    namespace[f"_d{i}"] = a.default
    return f"_d{i}"


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


def _unstructure_attrs_factory(cls: type, c: Converter) -> Callable[[Any], Any]:
    origin = typing.get_origin(cls)
    if origin is not None:  # a generic alias (Page[Item]): cattrs resolves its type variables
        attrs.resolve_types(origin)
        rules: dict[str, Any] = {
            a.name: override(rename=wire_name(a.name), omit_if_default=_omitted_if_none(a))
            for a in attrs.fields(origin)
            if a.init
        }
        return make_dict_unstructure_fn(cls, c, **rules)
    attrs.resolve_types(cls)
    return _generated_unstructure_fn(cls, c)


def _omitted_if_none(a: attrs.Attribute[Any]) -> bool:
    return a.default is None and not a.metadata.get(SEND_NULL, False)


class OutField(NamedTuple):
    """How one field of a model goes out: the plan both request writers follow.

    ``_generated_unstructure_fn`` turns it into dicts, ``_json`` straight into JSON text.
    """

    key: str  # the wire name
    name: str  # the attribute
    type: Any  # the annotation; an optional's inner type
    hook: Callable[[Any], Any] | None  # None: the value goes out as it is
    copes_with_none: bool  # whether ``hook`` takes None itself (else None goes out as null)
    omitted_if_none: bool  # left out when None (it defaults to None, no SEND_NULL)


def _out_fields(cls: type, c: Converter) -> tuple[OutField, ...]:
    """``cls``'s init fields in output order: those always sent first, then the others."""
    always: list[OutField] = []
    optional: list[OutField] = []
    for a in attrs.fields(cls):
        if not a.init:
            continue
        t, hook, copes_with_none = _unstructure_hook(a.type, c)
        field = OutField(wire_name(a.name), a.name, t, hook, copes_with_none, _omitted_if_none(a))
        (optional if field.omitted_if_none else always).append(field)
    return (*always, *optional)


def _generated_unstructure_fn(cls: type, c: Converter) -> Callable[[Any], Any]:
    """``cls``'s unstructure function, generated once: what cattrs' generated one does, cheaper.

    Same output, keys in the same order (``_out_fields``): each init field under its wire name,
    through its type's hook unless that hook returns the value as is, and left out when it is
    ``None`` and defaults to ``None`` (unless ``SEND_NULL``).
    """
    namespace: dict[str, Any] = {}
    always: list[str] = []
    optional: list[str] = []
    fields = _out_fields(cls, c)
    for i, f in enumerate(fields):
        key, attribute = f.key, f"instance.{f.name}"
        if f.hook is not None:
            namespace[f"_u{i}"] = f.hook
        if f.omitted_if_none:
            value = "v" if f.hook is None else f"_u{i}(v)"
            optional += [f"  v = {attribute}", "  if v is not None:", f"    res[{key!r}] = {value}"]
        elif f.hook is None:
            always.append(f"    {key!r}: {attribute},")
        elif f.copes_with_none:
            always.append(f"    {key!r}: _u{i}({attribute}),")
        else:
            always.append(f"    {key!r}: None if {attribute} is None else _u{i}({attribute}),")
    name = f"unstructure_{cls.__name__}"
    lines = [f"def {name}(instance):", "  res = {", *always, "  }", *optional, "  return res"]
    source = "\n".join(lines) + "\n"
    filename = f"<plexy_async generated unstructure {cls.__module__}.{cls.__qualname__}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    function = namespace[name]
    setattr(function, _OUT_FIELDS, fields)
    return function  # type: ignore[no-any-return]


_OUT_FIELDS: Final = "_plexy_out_fields"


def _unstructure_hook(t: Any, c: Converter) -> tuple[Any, Callable[[Any], Any] | None, bool]:
    """For a field of type ``t``: the type its values go out as (an optional's inner type), the
    hook they go through (``None`` when it returns values as they are), and whether that hook
    copes with ``None`` itself."""
    if t is None:  # an unannotated field: by the value's own class, as in cattrs
        return None, c.unstructure, True
    args = _union_args(t)
    if len(args) == 2 and type(None) in args:  # an optional: None stays None, anything else
        inner = args[0] if args[1] is type(None) else args[1]
        hook = c.get_unstructure_hook(inner)
        return inner, (None if hook is identity else hook), False
    hook = c.get_unstructure_hook(t)
    return t, (None if hook is identity else hook), True


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


_fast = _configure(Converter(detailed_validation=False))
# Speed only, same rules as Amount.__init__; for Amount itself, not for any subclass.
_fast.register_structure_hook_func(lambda t: t is Amount, _structure_amount)
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
        message, _ = _explain(data, cls, exc)
    # Raised past the handler: no cattrs or ValueError object (holding the data, maybe card
    # data) in the error's chain; the message names every field that did not fit.
    raise ResponseValidationError(message)


def unstructure(obj: Any) -> Any:
    """A model as JSON-ready dicts, lists, strings and numbers."""
    return unstructure_hook(obj.__class__)(obj)


def unstructure_hook(cls: type) -> Callable[[Any], Any]:
    """The function ``unstructure`` applies to an instance of exactly ``cls`` (cached)."""
    hook = _unstructure_hooks.get(cls)
    if hook is None:
        hook = _unstructure_hooks[cls] = _fast.get_unstructure_hook(cls)
    return hook


def out_fields(cls: type) -> tuple[OutField, ...] | None:
    """The field plan ``unstructure`` follows for ``cls``; ``None`` when a hook of its own
    (a custom one, or cattrs' for a generic alias) writes it instead."""
    return getattr(unstructure_hook(cls), _OUT_FIELDS, None)


def unstructures_by_class(hook: Callable[[Any], Any]) -> bool:
    """Whether ``hook`` (a union's) unstructures each value as its own class would be."""
    return hook == _fast._unstructure_union


_unstructure_hooks: dict[type, Callable[[Any], Any]] = {}


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
