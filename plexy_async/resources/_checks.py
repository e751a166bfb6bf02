"""What each argument of a call must be, checked before anything is sent: the one place.

A request model (an attrs class) or a service method is read once, on first use: its names,
their types resolved, and closures built that check them all, in which a valid value costs a
lookup of its class in a set, run in C over all the values at once. The service methods hand
them their arguments positionally (``_signatures`` writes those calls), so nothing is
reflected upon per call, and no code is generated. A value of the wrong type raises
``InvalidRequestError`` naming where it is, what was expected and what came::

    PaymentRequest.shopper_reference: expected str, got int
    PaymentRequest.line_items[0]: expected LineItem, got dict
    PaymentRequest.browser_info.color_depth: expected int, got str
    PaymentLinksService.list(status): expected PaymentLinkStatus | str, got int

and an unknown keyword names the closest one (``did you mean shopper_reference?``).

The rules, by declared type:

* ``str``, ``datetime`` and other plain classes: an instance (of a subclass too);
* ``int``: an int, never a bool; ``float``: an int or a float, never a bool; ``bool``: a bool;
* a string enum (``OpenStrEnum``): a member or any str, which the model or the converter turns
  into the enum as it always has;
* a request model: an instance, whose own fields are checked the same way (a dict is refused);
* ``list[X]``: a list or a tuple (any sequence but a str or bytes), each item an ``X``; it is
  sent as a list;
* ``dict[K, V]``: a dict whose keys are ``K`` and values ``V``;
* ``X | Y``: the first member the value's type fits; ``Any``: anything.

What a value means beyond its type (a positive amount, an ISO 4217 code, shares adding up) is
the models' validators' business; ``build`` reports their refusals as ``InvalidRequestError``.
"""

from __future__ import annotations

import difflib
import enum
import inspect
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import attrgetter, contains, itemgetter
from typing import Any, Final, Generic, NamedTuple, TypeVar

import attrs

from plexy_async._core.config import RequestOptions
from plexy_async.errors import InvalidRequestError

#: ``check(value, where)``: the value to use (a tuple becomes a list), or ``InvalidRequestError``.
Check = Callable[[Any, str], Any]

_NoneType: Final = type(None)
_EMPTY: Final[frozenset[type]] = frozenset()
_MODELS_PACKAGE: Final = "plexy_async.models"


class _Kind(NamedTuple):
    """A compiled type: values whose class is in ``fast`` are taken as they are; a request
    model's instance (its exact class in ``deep``) has its own fields checked; any other value
    goes through ``check``. ``fits`` is the shallow test a union picks its member with."""

    fast: frozenset[type]
    check: Check
    label: str
    fits: Callable[[Any], bool]
    deep: Mapping[type, Callable[[Any, str], None]] = {}


def _got(value: object) -> str:
    return "None" if value is None else type(value).__name__


def mismatch(where: str, label: str, value: object) -> InvalidRequestError:
    """The error for a value of the wrong type (its type is named, never the value)."""
    return InvalidRequestError(f"{where}: expected {label}, got {_got(value)}")


def _plain(cls: type, fits: Callable[[Any], bool], label: str | None = None) -> _Kind:
    name = label or cls.__name__

    def check(value: Any, where: str) -> Any:
        if fits(value):
            return value
        raise mismatch(where, name, value)

    return _Kind(frozenset({cls}), check, name, fits)


def _not_bool(cls: type | tuple[type, ...]) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, cls) and not isinstance(value, bool)


def _accept(value: Any, where: str) -> Any:
    return value


_ANY: Final = _Kind(_EMPTY, _accept, "Any", lambda value: True)
_NONE: Final = _Kind(frozenset({_NoneType}), _accept, "None", lambda value: value is None)


def _union(members: list[_Kind]) -> _Kind:
    parts = [part for m in members if m is not _NONE for part in m.label.split(" | ")]
    label = " | ".join(dict.fromkeys(parts)) or "None"  # "PaymentLinkStatus | str", once
    fast = frozenset().union(*(m.fast for m in members))
    deep = {cls: checker for m in members for cls, checker in m.deep.items()}

    def fits(value: Any) -> bool:
        return any(m.fits(value) for m in members)

    def check(value: Any, where: str) -> Any:
        for member in members:
            if member.fits(value):
                return member.check(value, where)
        raise mismatch(where, label, value)

    return _Kind(fast, check, label, fits, deep)


def _sequence(item: _Kind, label: str) -> _Kind:
    def fits(value: Any) -> bool:
        return isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray))

    def check(value: Any, where: str) -> Any:
        if not fits(value):
            raise mismatch(where, label, value)
        if item is _ANY:
            return list(value)
        fast = item.fast
        return [
            v if v.__class__ in fast else item.check(v, f"{where}[{i}]")
            for i, v in enumerate(value)
        ]

    return _Kind(_EMPTY, check, label, fits)


def _mapping(key: _Kind, value_kind: _Kind, label: str) -> _Kind:
    def fits(value: Any) -> bool:
        return isinstance(value, dict)

    def check(value: Any, where: str) -> Any:
        if not isinstance(value, dict):
            raise mismatch(where, label, value)
        for k, v in value.items():
            if k.__class__ not in key.fast:
                key.check(k, f"{where} key {str(k)[:40]!r}")
            if v.__class__ not in value_kind.fast:
                value_kind.check(v, f"{where}[{str(k)[:40]!r}]")
        return value

    return _Kind(_EMPTY, check, label, fits)


def _model(cls: type) -> _Kind:
    """An instance of an attrs class; a request model's own fields are checked too."""
    name = cls.__name__

    def fits(value: Any) -> bool:
        return isinstance(value, cls)

    if not cls.__module__.startswith(_MODELS_PACKAGE):  # configuration: it checks itself
        return _plain(cls, fits)

    def check(value: Any, where: str) -> Any:
        # not an attrs class: a stand-in that claims the class (a Mock(spec=...))
        if not isinstance(value, cls) or not attrs.has(type(value)):
            raise mismatch(where, name, value)
        model_spec(type(value)).check_instance(value, where)  # a subclass: its own fields
        return value

    spec: ModelSpec[Any] = model_spec(cls)
    deep = getattr(spec, "check_instance", None)
    if deep is None:  # the model nests itself, and is being compiled: look it up when used
        deep = lambda value, where: spec.check_instance(value, where)  # noqa: E731
    return _Kind(_EMPTY, check, name, fits, {cls: deep})


_KINDS: dict[Any, _Kind] = {}


def kind_of(tp: Any) -> _Kind:
    """The compiled check of a resolved type annotation (cached: types are compiled once)."""
    try:
        return _KINDS[tp]
    except KeyError:
        pass
    except TypeError:  # an unhashable annotation: compiled each time it is asked for
        return _compile(tp)
    kind = _KINDS[tp] = _compile(tp)
    return kind


def _compile(tp: Any) -> _Kind:
    if tp is Any or tp is object:
        return _ANY
    if tp is None or tp is _NoneType:
        return _NONE
    supertype = getattr(tp, "__supertype__", None)  # a NewType
    if supertype is not None:
        return kind_of(supertype)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union or origin is types.UnionType:
        return _union([kind_of(arg) for arg in args])
    if origin in (list, Sequence, tuple):
        item = kind_of(args[0]) if args else _ANY
        return _sequence(item, f"list[{item.label}]")
    if origin in (dict, Mapping):
        key, value = (kind_of(args[0]), kind_of(args[1])) if args else (_ANY, _ANY)
        return _mapping(key, value, f"dict[{key.label}, {value.label}]")
    if not isinstance(tp, type):
        raise TypeError(f"no check for the annotation {tp!r}")
    if tp is bool:
        return _plain(bool, lambda value: value.__class__ is bool)
    if tp is int:
        return _plain(int, _not_bool(int))
    if tp is float:
        kind = _plain(float, _not_bool((int, float)))
        return kind._replace(fast=frozenset({float, int}))
    if issubclass(tp, enum.Enum) and issubclass(tp, str):
        # An open string enum: any str is taken, as the models' converters always have.
        kind = _plain(str, lambda value: isinstance(value, str), f"{tp.__name__} | str")
        return kind._replace(fast=frozenset({tp, str}))
    if attrs.has(tp):
        return _model(tp)
    return _plain(tp, lambda value: isinstance(value, tp))


# --- request models and service methods ---------------------------------------------------


class _Slot(NamedTuple):
    """One checked value: a model's field or a method's parameter."""

    name: str  # the attribute's name on an instance, or the parameter's
    keyword: str  # the __init__ keyword (attrs' alias), or the parameter's name
    where: str  # "PaymentRequest.shopper_reference", "PaymentLinksService.list(status)"
    kind: _Kind


#: How many combinations of value classes a row of slots remembers as valid.
_PLANS_PER_ROW: Final = 256


class _Plan(NamedTuple):
    """What a valid combination of value classes still needs: the own-field checks of the
    request models nested in it, ``(index, check, slot)``, and which values to pass on by
    keyword (every one but the Nones of the slots that may be left out)."""

    nested: tuple[tuple[int, Callable[[Any, str], None], _Slot], ...]
    keywords: tuple[str, ...]
    pick: Callable[[Sequence[Any]], tuple[Any, ...]]


def _picker(indexes: Sequence[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    if len(indexes) > 1:
        return itemgetter(*indexes)
    if indexes:
        (index,) = indexes
        return lambda values: (values[index],)
    return lambda values: ()


class _Slots:
    """The checks of a row of slots (a model's fields, a method's parameters), run over their
    values at once.

    The row's classes (``tuple(map(type, values))``, built in C) are looked up among the
    combinations already found valid; a hit costs that lookup, then the own-field checks of
    the request models nested in it. A new combination is tested slot by slot (each class in
    its slot's ``fast`` set) and remembered (up to ``_PLANS_PER_ROW``); a value that fails the
    test (a tuple for a list, a subclass, a wrong type) goes through its slot's full check.
    ``omissible`` slots take None and leave it out of the keywords.
    """

    def __init__(self, slots: Sequence[_Slot], omissible: Sequence[bool]) -> None:
        self.slots = tuple(slots)
        self.omissible = tuple(omissible)
        self.fast = tuple(
            s.kind.fast | s.kind.deep.keys() | ({_NoneType} if omit else set())
            for s, omit in zip(slots, omissible, strict=True)
        )
        self.plans: dict[tuple[type, ...], _Plan] = {}

    def learn(self, values: Sequence[Any]) -> _Plan | None:
        """The plan for the classes of ``values``, remembered; None if a value fails its test."""
        classes = tuple(map(type, values))
        if not all(map(contains, self.fast, classes)):
            return None
        rows = list(zip(self.slots, classes, self.omissible, strict=True))
        kept = [i for i, (_, cls, omit) in enumerate(rows) if not (omit and cls is _NoneType)]
        plan = _Plan(
            nested=tuple(
                (i, slot.kind.deep[cls], slot)
                for i, (slot, cls, _) in enumerate(rows)
                if cls in slot.kind.deep
            ),
            keywords=tuple(self.slots[i].keyword for i in kept),
            pick=_picker(kept),
        )
        if len(self.plans) < _PLANS_PER_ROW:
            self.plans[classes] = plan
        return plan

    def checked(self, values: Sequence[Any], within: str | None = None) -> Sequence[Any]:
        """``values`` checked: the same sequence when all pass on their class, else a list with
        each other value replaced by its full check's result (a tuple becomes a list), or
        ``InvalidRequestError`` naming the slot (``within.name`` for an instance's field)."""
        plan = self.plans.get(tuple(map(type, values))) or self.learn(values)
        if plan is None:
            return self.fully_checked(values, within)
        for i, fields_check, slot in plan.nested:
            fields_check(values[i], slot.where if within is None else f"{within}.{slot.name}")
        return values

    def fully_checked(self, values: Sequence[Any], within: str | None = None) -> list[Any]:
        """``checked``'s slow path: every value through its slot's full check."""
        out = list(values)
        for i, (slot, value) in enumerate(zip(self.slots, values, strict=True)):
            where = slot.where if within is None else f"{within}.{slot.name}"
            fields_check = slot.kind.deep.get(type(value))
            if fields_check is not None:
                fields_check(value, where)
            elif type(value) not in self.fast[i]:
                out[i] = slot.kind.check(value, where)
        return out


M = TypeVar("M")

#: ``build(method, unexpected, options, fields)``: see ``ModelSpec``.
Builder = Callable[[Callable[..., Any], Mapping[str, Any], Any, tuple[Any, ...]], M]


class ModelSpec(Generic[M]):
    """What a request model takes: its keywords, which are required, and their checks.

    Two functions are built for the model when it is first used, as closures over its slots:

    * ``build(method, unexpected, options, fields)``: the model from a service method's
      arguments, ``fields`` in the model's order; ``unexpected`` (the method's
      ``**unexpected``) must be empty and ``options`` a ``RequestOptions`` or None.
    * ``check_instance(value, where)``: the fields of an instance built elsewhere and nested
      in a request (a ``CardDetails``, an ``Amount``).
    """

    build: Builder[M]
    check_instance: Callable[[Any, str], None]
    build_row: _Slots
    instance_row: _Slots

    def __init__(self, cls: type[M]) -> None:
        self.cls = cls
        self.name = cls.__name__
        self.slots: tuple[_Slot, ...] = ()
        self.keywords: frozenset[str] = frozenset()
        self.required: tuple[str, ...] = ()

    def _compile(self) -> None:
        hints = typing.get_type_hints(self.cls)
        cls: Any = self.cls  # an attrs class: model_spec checked
        fields = [f for f in attrs.fields(cls) if f.init]
        self.slots = tuple(
            _Slot(f.name, f.alias, f"{self.name}.{f.alias}", kind_of(hints[f.name])) for f in fields
        )
        self.keywords = frozenset(f.alias for f in fields)
        self.required = tuple(f.alias for f in fields if f.default is attrs.NOTHING)
        self.check_instance = self._make_check_instance()
        self.build = self._make_build()

    def _make_build(self) -> Builder[M]:
        cls: Any = self.cls
        name_of = {f.alias: f for f in attrs.fields(cls) if f.init}
        # A field that defaults to None is passed to __init__ only when it is not None, so
        # that the model's own default and validators see what the caller left out.
        optional = tuple(name_of[s.keyword].default is None for s in self.slots)
        slots = self.build_row = _Slots(self.slots, optional)
        keywords = tuple(s.keyword for s in self.slots)
        refused = self.refused
        plans, learn = slots.plans, slots.learn

        def build(
            method: Callable[..., Any],
            unexpected: Mapping[str, Any],
            options: Any,
            fields: tuple[Any, ...],
        ) -> M:
            if unexpected:
                raise unexpected_arguments(method, unexpected)
            if options is not None and type(options) is not RequestOptions:
                check_options(options, method)
            plan = plans.get(tuple(map(type, fields))) or learn(fields)
            if plan is not None:
                for i, fields_check, slot in plan.nested:
                    fields_check(fields[i], slot.where)
                kw = dict(zip(plan.keywords, plan.pick(fields), strict=True))
            else:
                values = slots.fully_checked(fields)
                rows = zip(keywords, values, optional, strict=True)
                kw = {k: v for k, v, omit in rows if not (omit and v is None)}
            try:
                return cls(**kw)  # type: ignore[no-any-return]
            except (TypeError, ValueError) as exc:  # InvalidRequestError too: named below
                problem = str(exc)
            raise refused(problem)  # past the handler: the validator's exception is not kept

        return build

    def _make_check_instance(self) -> Callable[[Any, str], None]:
        slots = self.instance_row = _Slots(self.slots, [False] * len(self.slots))
        names = [s.name for s in self.slots]
        if not names:
            return lambda value, where: None
        get = attrgetter(*names) if len(names) > 1 else lambda value: (getattr(value, names[0]),)

        plans, learn, fully_checked = slots.plans, slots.learn, slots.fully_checked

        def check_instance(value: Any, where: str) -> None:  # checked(), inlined: it is hot
            values = get(value)
            plan = plans.get(tuple(map(type, values))) or learn(values)
            if plan is None:
                fully_checked(values, where)
                return
            for i, fields_check, slot in plan.nested:
                fields_check(values[i], f"{where}.{slot.name}")

        return check_instance

    def refused(self, problem: str) -> InvalidRequestError:
        """A validator's refusal (``TypeError``/``ValueError``) as our error."""
        return InvalidRequestError(
            problem if problem.startswith(self.name) else f"{self.name}: {problem}"
        )

    def checked(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """The fields in ``given`` (keyword -> value), each checked; unknown and missing ones
        refused. For ``build(cls, **fields)``, not for the service methods' hot path."""
        unknown = [k for k in given if k not in self.keywords]
        if unknown:
            raise unexpected_keywords(self.name, unknown, self.keywords)
        missing = [name for name in self.required if name not in given]
        if missing:
            raise InvalidRequestError(f"{self.name}: missing {_names(missing)}")
        fields = dict(given)
        for slot in self.slots:
            if slot.keyword in fields:
                value = fields[slot.keyword]
                if type(value) not in slot.kind.fast:
                    fields[slot.keyword] = slot.kind.check(value, slot.where)
        return fields


_MODEL_SPECS: dict[type, ModelSpec[Any]] = {}


def model_spec(cls: type[M]) -> ModelSpec[M]:
    """The spec of an attrs request model, compiled on first use."""
    spec: ModelSpec[M] | None = _MODEL_SPECS.get(cls)
    if spec is None:
        if not attrs.has(cls):
            raise TypeError(f"{cls.__name__} is not an attrs class")
        spec = _MODEL_SPECS[cls] = ModelSpec(cls)  # registered first: a model may nest itself
        try:
            spec._compile()
        except BaseException:
            del _MODEL_SPECS[cls]
            raise
    return spec


#: ``check(unexpected, *arguments)``: see ``method_checker``.
MethodChecker = Callable[..., None]
_METHOD_CHECKERS: dict[Callable[..., Any], MethodChecker] = {}


def method_checker(function: Callable[..., Any]) -> MethodChecker:
    """``check(unexpected, *arguments)`` for a service method that sends no request model:
    ``unexpected`` must be empty, and each argument (in the order of the signature, ``self``
    and ``**unexpected`` left out) must fit its annotation. Built on first use."""
    checker = _METHOD_CHECKERS.get(function)
    if checker is None:
        checker = _METHOD_CHECKERS[function] = _method_checker(function)
    return checker


def _method_checker(function: Callable[..., Any]) -> MethodChecker:
    hints = typing.get_type_hints(function)
    owner = function.__qualname__
    params = [
        p
        for p in list(inspect.signature(function).parameters.values())[1:]
        if p.kind is not p.VAR_KEYWORD
    ]
    slots = _Slots(
        [_Slot(p.name, p.name, f"{owner}({p.name})", kind_of(hints[p.name])) for p in params],
        [False] * len(params),
    )
    count = len(params)

    def check(unexpected: Mapping[str, Any], *arguments: Any) -> None:
        if unexpected:
            raise unexpected_arguments(function, unexpected)
        if len(arguments) != count:
            raise TypeError(f"{owner}: {count} arguments to check, {len(arguments)} given")
        slots.checked(arguments)

    return check


# --- keywords and options -------------------------------------------------------------------


def _names(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


def unexpected_keywords(
    owner: str, given: Iterable[str], known: Iterable[str]
) -> InvalidRequestError:
    """``owner: unexpected keyword argument 'x'; did you mean y?`` for each unknown keyword."""
    known = sorted(known)
    parts = []
    for name in sorted(given):
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean {close[0]}?" if close else f"it takes {_names(known)}"
        parts.append(f"unexpected keyword argument {name!r}; {hint}")
    return InvalidRequestError(f"{owner}: " + "; ".join(parts))


def unexpected_arguments(method: Callable[..., Any], given: Iterable[str]) -> InvalidRequestError:
    """``unexpected_keywords`` for a service method's ``**unexpected``: the names it takes
    are read from its signature (only now: this is the error path)."""
    function = getattr(method, "__func__", method)
    known = [
        p.name
        for p in list(inspect.signature(function).parameters.values())[1:]
        if p.kind is not p.VAR_KEYWORD
    ]
    return unexpected_keywords(function.__qualname__, given, known)


def check_options(options: object, method: Callable[..., Any]) -> None:
    """``options=`` is a ``RequestOptions`` or None."""
    if options is not None and not isinstance(options, RequestOptions):
        function = getattr(method, "__func__", method)
        raise mismatch(f"{function.__qualname__}(options)", "RequestOptions", options)
