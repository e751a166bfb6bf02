"""What each argument of a call must be, checked before anything is sent: the one place.

A request model (an attrs class) or a service method is read once, on first use: its names,
their types resolved, and a function generated that checks them all in straight-line code, in
which a valid value costs a test of its class (``x is not None and type(x) is not str``). The
service methods hand it their arguments positionally (``_signatures`` writes those calls), so
nothing is reflected upon per call. A value of the wrong type raises ``InvalidRequestError``
naming where it is, what was expected and what came::

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
import linecache
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
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
        if not isinstance(value, cls):
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


def _test(x: str, i: int, slot: _Slot, where: str, keep: bool, ns: dict[str, Any]) -> list[str]:
    """Source lines testing the value in variable ``x`` (slot ``i``): cheap for a valid value
    (``x is not None and type(x) is not str``), the full check otherwise, whose result replaces
    ``x`` when ``keep`` (a tuple becomes a list)."""
    fast, deep = slot.kind.fast, slot.kind.deep
    ns.update({f"c{i}": slot.kind.check, f"f{i}": fast, f"d{i}": deep, f"w{i}": slot.where})
    full = f"{x} = c{i}({x}, {where})" if keep else f"c{i}({x}, {where})"
    others = fast - {_NoneType}
    if len(others) == 1:
        (ns[f"k{i}"],) = others
        test = f"type({x}) is not k{i}"
    else:
        test = f"type({x}) not in f{i}" if others else ""
    if _NoneType in fast:
        test = f"{x} is not None and {test}" if test else f"{x} is not None"
    if not deep:
        return [f"    if {test}: {full}"] if test else [f"    {full}"]
    lines = [
        f"    d = d{i}.get(type({x}))",  # a request model's exact class: its fields' checks
        f"    if d is None: {full}",
        f"    else: d({x}, {where})",
    ]
    return [f"    if {test}:", *("    " + line for line in lines)] if test else lines


def _compiled(source: str, name: str, namespace: dict[str, Any]) -> Any:
    """The function ``generated`` that ``source`` defines; its source is kept in ``linecache``
    (as attrs does), so that a traceback through it shows its lines."""
    filename = f"<plexy_async checks: {name}>"
    exec(compile(source, filename, "exec"), namespace)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return namespace["generated"]


M = TypeVar("M")

#: ``build(method, unexpected, options, fields)``: see ``ModelSpec``.
Builder = Callable[[Callable[..., Any], Mapping[str, Any], Any, tuple[Any, ...]], M]


class ModelSpec(Generic[M]):
    """What a request model takes: its keywords, which are required, and their checks.

    Two functions are generated for the model when it is first used (as attrs generates
    ``__init__``): straight-line code, with no loop and no dict on the way to ``__init__``.

    * ``build(method, unexpected, options, fields)``: the model from a service method's
      arguments, ``fields`` in the model's order; ``unexpected`` (the method's
      ``**unexpected``) must be empty and ``options`` a ``RequestOptions`` or None.
    * ``check_instance(value, where)``: the fields of an instance built elsewhere and nested
      in a request (a ``CardDetails``, an ``Amount``).
    """

    build: Builder[M]
    check_instance: Callable[[Any, str], None]

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
            _Slot(f.name, f.alias, f"{self.name}.{f.alias}", kind_of(hints[f.name]))
            for f in fields
        )
        self.keywords = frozenset(f.alias for f in fields)
        self.required = tuple(f.alias for f in fields if f.default is attrs.NOTHING)
        self.check_instance = self._generate_check_instance()
        self.build = self._generate_build()

    def _generate_build(self) -> Builder[M]:
        ns: dict[str, Any] = {
            "cls": self.cls,
            "RequestOptions": RequestOptions,
            "unexpected_arguments": unexpected_arguments,
            "check_options": check_options,
            "refused": self.refused,
        }
        names = [f"x{i}" for i in range(len(self.slots))]
        lines = [
            "def generated(method, unexpected, options, fields):",
            "    if unexpected: raise unexpected_arguments(method, unexpected)",
            "    if options is not None and type(options) is not RequestOptions:",
            "        check_options(options, method)",
        ]
        if names:
            lines.append(f"    ({', '.join(names)},) = fields")
        # A field that defaults to None is passed to __init__ only when it is not None: binding
        # a keyword costs more than testing for None.
        cls: Any = self.cls
        optional = {f.alias for f in attrs.fields(cls) if f.init and f.default is None}
        always = [(i, s) for i, s in enumerate(self.slots) if s.keyword not in optional]
        for i, slot in always:
            lines += _test(f"x{i}", i, slot, f"w{i}", True, ns)
        lines.append("    kw = {" + ", ".join(f"{s.keyword!r}: x{i}" for i, s in always) + "}")
        for i, slot in enumerate(self.slots):
            if slot.keyword in optional:
                nonnull = slot._replace(kind=slot.kind._replace(fast=slot.kind.fast - {_NoneType}))
                lines.append(f"    if x{i} is not None:")
                lines += ["    " + t for t in _test(f"x{i}", i, nonnull, f"w{i}", True, ns)]
                lines.append(f"        kw[{slot.keyword!r}] = x{i}")
        lines += [
            "    try:",
            "        return cls(**kw)",
            "    except (TypeError, ValueError) as exc:",  # InvalidRequestError too: named below
            "        problem = str(exc)",
            "    raise refused(problem)",  # past the handler: the validator's exception is not kept
        ]
        built = _compiled("\n".join(lines) + "\n", f"{self.name} build", ns)
        return built  # type: ignore[no-any-return]

    def _generate_check_instance(self) -> Callable[[Any, str], None]:
        ns: dict[str, Any] = {}
        lines = ["def generated(v, where):"]
        for i, slot in enumerate(self.slots):
            lines.append(f"    x{i} = v.{slot.name}")
            lines += _test(f"x{i}", i, slot, f"where + {'.' + slot.name!r}", False, ns)
        lines.append("    return None")
        checked = _compiled("\n".join(lines) + "\n", f"{self.name} instance", ns)
        return checked  # type: ignore[no-any-return]

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
    and ``**unexpected`` left out) must fit its annotation. Generated on first use."""
    checker = _METHOD_CHECKERS.get(function)
    if checker is None:
        hints = typing.get_type_hints(function)
        owner = function.__qualname__
        params = [
            p
            for p in list(inspect.signature(function).parameters.values())[1:]
            if p.kind is not p.VAR_KEYWORD
        ]
        ns: dict[str, Any] = {"unexpected_arguments": unexpected_arguments, "method": function}
        names = [f"x{i}" for i in range(len(params))]
        lines = [
            f"def generated(unexpected, {', '.join(names)}):",
            "    if unexpected: raise unexpected_arguments(method, unexpected)",
        ]
        for i, p in enumerate(params):
            slot = _Slot(p.name, p.name, f"{owner}({p.name})", kind_of(hints[p.name]))
            lines += _test(f"x{i}", i, slot, f"w{i}", False, ns)
        lines.append("    return None")
        checker = _compiled("\n".join(lines) + "\n", owner, ns)
        _METHOD_CHECKERS[function] = checker
    return checker


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
