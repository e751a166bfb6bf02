"""Nulls in responses, read leniently, and RFC 3339 datetimes (issue 10, point 4).

One converter rule for every field of every model, at any depth (``plexy_async._core.converter``):
a JSON null is ``None`` in an optional field, an empty collection in a list, tuple, set or mapping
field, the default in any other field that has one, and a ``ResponseValidationError`` naming the
field's path wherever the model cannot do without a value. Datetimes are read as RFC 3339 allows.
"""

from __future__ import annotations

import copy
import enum
import functools
import importlib
import json
import operator
import pkgutil
import re
import types
import typing
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence, Set
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

import attrs
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import plexy_async.models
from plexy_async import Amount, CardDetails, PlexyClient, RetryPolicy
from plexy_async._core.converter import _detailed, structure, wire_name
from plexy_async._core.pagination import Page
from plexy_async.errors import ResponseValidationError
from plexy_async.models import Action, APIResponse, PaymentLink, PaymentResponse, UnknownAction
from plexy_async.models.common import LenientBool

NoneType = type(None)
_Factory: Any = type(attrs.Factory(list))
_ERROR = object()  # the expected outcome "ResponseValidationError naming the field"

# --- over loopback: the real client methods against a server that sends nulls -------------------


@asynccontextmanager
async def null_server(
    bodies: dict[tuple[str, str], Any], seen: list[tuple[str, str]]
) -> AsyncIterator[str]:
    """Answers ``bodies[(method, path)]`` as JSON (nulls and all) and records every request."""

    async def answer(request: web.Request) -> web.Response:
        seen.append((request.method, request.path_qs))
        body = bodies.get((request.method, request.path))
        if body is None:
            return web.json_response({"error": {"message": "no such route"}}, status=404)
        return web.Response(body=json.dumps(body).encode(), content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def _client(url: str) -> PlexyClient:
    return PlexyClient(
        api_key="sk_test_nulls",
        base_url=url,
        retry=RetryPolicy(max_attempts=2, initial_delay=0.01, max_delay=0.02),
    )


async def test_an_empty_list_sent_as_null_is_an_empty_page() -> None:
    seen: list[tuple[str, str]] = []
    bodies = {("GET", "/v1/payment-links"): {"data": None, "page": 1, "size": 50, "total": 0}}
    async with null_server(bodies, seen) as url, _client(url) as plexy:
        page = await plexy.payment_links.list().page()
        links = [link async for link in plexy.payment_links.list()]
    assert (page.data, page.page, page.size, page.total, page.has_more) == ([], 1, 50, 0, False)
    assert page.meta.status == 200
    assert links == []
    assert [path for _, path in seen] == ["/v1/payment-links?page=1&size=50"] * 2


async def test_a_payment_with_null_additional_data_and_other_nulls() -> None:
    seen: list[tuple[str, str]] = []
    payment = {
        "pspReference": "PSP1",
        "resultCode": "Authorised",
        "additionalData": None,
        "amount": None,
        "action": None,
        "fraudResult": None,
        "paymentMethod": {"type": None, "brand": "visa"},
    }
    async with null_server({("POST", "/v2/payments"): payment}, seen) as url, _client(url) as plx:
        response = await plx.payments.create(
            amount=Amount(100, "KZT"),
            reference="order-1",
            merchant_account="M",
            payment_method=CardDetails(number="4242424242424242", cvc="737"),
        )
    assert response.psp_reference == "PSP1" and response.additional_data == {}
    assert (response.amount, response.action, response.fraud_result) == (None, None, None)
    assert response.payment_method is not None and response.payment_method.type is None
    assert seen == [("POST", "/v2/payments")]  # one attempt: nothing to retry


# (call, route, body, what the result must show): every list or map field of these responses
# arrives as null, and the numbers with defaults too.
_NULL_BODIES: list[tuple[str, tuple[str, str], Any, Any]] = [
    (
        "payment_links.statistics",
        ("GET", "/v1/payment-links/statistics"),
        {"count": None, "items": None},
        lambda r: (r.count, r.items) == (0, []),
    ),
    (
        "transactions.history",
        ("GET", "/v1/transactions/tx_1/history"),
        {"transactionId": "tx_1", "events": None},
        lambda r: (r.transaction_id, r.events, r.names) == ("tx_1", [], []),
    ),
    (
        "customers.card_tokens",
        ("GET", "/v1/customers/cus_1/card-tokens"),
        {"data": None},
        lambda r: (r.data, len(r)) == ([], 0),
    ),
    (
        "payment_methods.list",
        ("POST", "/v2/paymentMethods"),
        {
            "paymentMethods": [{"type": "scheme", "brands": None, "issuers": None}],
            "storedPaymentMethods": None,
        },
        lambda r: (
            (r.payment_methods[0].brands, r.payment_methods[0].issuers) == ([], [])
            and r.stored_payment_methods == []
        ),
    ),
    (
        "sessions.result",
        ("GET", "/v2/sessions/CS1"),
        {"id": "CS1", "status": "completed", "payments": None, "additionalData": None},
        lambda r: (r.payments, r.additional_data) == ([], {}),
    ),
    (
        "transactions.list",
        ("GET", "/v1/transactions"),
        {
            "data": [
                {
                    "id": "t1",
                    "status": "charged",
                    "amount": 100,
                    "currency": "KZT",
                    "createdAt": "2025-03-14t10:30:00.123456789z",
                    "paymentMethod": None,
                    "balance": None,
                }
            ],
            "page": None,
            "size": None,
            "total": None,
        },
        lambda r: (
            (r.page, r.size, r.total, r.data[0].balance, r.data[0].payment_method)
            == (1, 0, 0, None, None)
            and r.data[0].created_at == datetime(2025, 3, 14, 10, 30, 0, 123456, tzinfo=UTC)
        ),
    ),
]


async def _call(plexy: PlexyClient, name: str) -> Any:
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "payment_links.statistics": lambda: plexy.payment_links.statistics(),
        "transactions.history": lambda: plexy.transactions.history("tx_1"),
        "customers.card_tokens": lambda: plexy.customers.card_tokens("cus_1"),
        "payment_methods.list": lambda: plexy.payment_methods.list(merchant_account="M"),
        "sessions.result": lambda: plexy.sessions.result("CS1", session_result="abc"),
        "transactions.list": lambda: plexy.transactions.list().page(),
        "payment_links.list": lambda: plexy.payment_links.list().page(),
        "payment_links.retrieve": lambda: plexy.payment_links.retrieve("pl_1"),
        "merchant.retrieve": lambda: plexy.merchant.retrieve(),
    }
    return await calls[name]()


@pytest.mark.parametrize(
    ("name", "route", "body", "check"), _NULL_BODIES, ids=[case[0] for case in _NULL_BODIES]
)
async def test_null_collections_and_defaults_over_loopback(
    name: str, route: tuple[str, str], body: Any, check: Any
) -> None:
    seen: list[tuple[str, str]] = []
    async with null_server({route: body}, seen) as url, _client(url) as plexy:
        result = await _call(plexy, name)
    assert check(result), result
    assert len(seen) == 1 and seen[0][0] == route[0]


_REQUIRED_NULLS: list[tuple[str, tuple[str, str], Any, str]] = [
    (
        "payment_links.list",
        ("GET", "/v1/payment-links"),
        {"data": [{"id": "pl_1", "status": "active", "amount": 5000, "currency": None}]},
        "data[0].currency",
    ),
    (
        "payment_links.retrieve",
        ("GET", "/v1/payment-links/pl_1"),
        {"id": "pl_1", "status": None, "amount": 5000, "currency": "KZT"},
        "status",
    ),
    ("merchant.retrieve", ("GET", "/v1/merchant"), {"id": None, "name": "Shop"}, "id"),
    ("transactions.list", ("GET", "/v1/transactions"), {"data": [None]}, "data[0]"),
]


@pytest.mark.parametrize(
    ("name", "route", "body", "path"), _REQUIRED_NULLS, ids=[c[0] for c in _REQUIRED_NULLS]
)
async def test_a_null_the_model_cannot_do_without_names_the_field_over_loopback(
    name: str, route: tuple[str, str], body: Any, path: str
) -> None:
    seen: list[tuple[str, str]] = []
    async with null_server({route: body}, seen) as url, _client(url) as plexy:
        with pytest.raises(ResponseValidationError) as caught:
            await _call(plexy, name)
    assert re.search(rf": {re.escape(path)}: [^;]*got null", str(caught.value)), caught.value
    assert len(seen) == 1  # a body that does not fit is not retried


# --- every response model: a null anywhere ------------------------------------------------------


def _response_models() -> list[Any]:
    """Every attrs class of ``plexy_async.models`` read from the wire (the ``APIResponse``
    subclasses and the webhook models), and the page of each response, as lists come."""
    found: dict[str, type] = {}
    for info in pkgutil.iter_modules(plexy_async.models.__path__, "plexy_async.models."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if isinstance(obj, type) and attrs.has(obj) and obj.__module__ == module.__name__:
                if obj is APIResponse:
                    continue  # the base: no fields of its own
                if issubclass(obj, APIResponse) or module.__name__.endswith(".webhooks"):
                    found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    models = [found[name] for name in sorted(found)]
    pages = [Page[m] for m in models if issubclass(m, APIResponse)]  # type: ignore[valid-type]
    return [*models, *pages]


RESPONSE_MODELS = _response_models()


def _model_id(model: Any) -> str:
    origin = typing.get_origin(model)
    if origin is None:
        return str(model.__name__)
    return f"{origin.__name__}[{typing.get_args(model)[0].__name__}]"


def test_the_enumeration_finds_the_response_models() -> None:
    names = {_model_id(m) for m in RESPONSE_MODELS}
    expected = {"PaymentResponse", "PaymentLink", "SessionResult", "Transaction", "Notification"}
    assert expected | {"PayEvent", "Page[PaymentLink]", "Page[Customer]"} <= names
    assert len(RESPONSE_MODELS) > 40


def _union(t: Any) -> tuple[Any, ...]:
    if typing.get_origin(t) in (typing.Union, types.UnionType):
        return typing.get_args(t)
    return ()


def _without_none(t: Any) -> Any:
    args = [a for a in _union(t) if a is not NoneType]
    return functools.reduce(operator.or_, args) if args else t


def _fields(t: Any) -> list[tuple[attrs.Attribute[Any], Any]]:
    """The init fields of an attrs class or of a generic alias of one, types resolved."""
    origin = typing.get_origin(t) or t
    attrs.resolve_types(origin)
    params = dict(zip(getattr(origin, "__parameters__", ()), typing.get_args(t), strict=False))

    def resolve(ft: Any) -> Any:
        if isinstance(ft, TypeVar):
            return params[ft]
        if typing.get_origin(ft) is list:
            return list[resolve(typing.get_args(ft)[0])]  # type: ignore[misc]
        return ft

    return [(a, resolve(a.type)) for a in attrs.fields(origin) if a.init]


_ACTIONS = typing.get_args(Action)
_ACTION_TAGS = {attrs.fields(cls).type.default: cls for cls in _ACTIONS if cls is not UnknownAction}
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
_TEXT = st.text(max_size=8)


@functools.cache
def _doc(t: Any) -> st.SearchStrategy[Any]:
    """Valid JSON for type ``t``, as the server could send it (wire names, ISO datetimes...)."""
    if t is Any:
        return _JSON
    if NoneType in _union(t):
        return st.none() | _doc(_without_none(t))
    if set(_union_or_self(t)) == set(_ACTIONS):
        return st.one_of(*(_action_doc(cls) for cls in _ACTIONS))
    if t is Amount:
        return st.fixed_dictionaries(
            {"value": st.integers(0, 10**9), "currency": st.from_regex(r"[A-Z]{3}", fullmatch=True)}
        )
    if t is LenientBool:
        return st.booleans() | st.sampled_from(["true", "false"])
    scalars: dict[Any, st.SearchStrategy[Any]] = {
        str: _TEXT,
        int: st.integers(-(10**9), 10**9),
        float: st.floats(allow_nan=False, allow_infinity=False) | st.integers(-100, 100),
        bool: st.booleans(),
        datetime: st.datetimes(
            min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
        ).map(lambda moment: moment.isoformat().replace("+00:00", "Z")),
    }
    if t in scalars:
        return scalars[t]
    if isinstance(t, type) and issubclass(t, enum.Enum):
        return st.sampled_from([m.value for m in t]) | st.text(min_size=1, max_size=5)
    origin, args = typing.get_origin(t), typing.get_args(t)
    if origin is list:
        return st.lists(_doc(args[0]), max_size=3)
    if origin is dict:
        return st.dictionaries(_TEXT, _doc(args[1]), max_size=3)
    if attrs.has(origin or t):
        return _object_doc(t)
    raise NotImplementedError(f"no document strategy for {t!r}: teach the test this type")


def _union_or_self(t: Any) -> tuple[Any, ...]:
    return _union(t) or (t,)


def _object_doc(t: Any, fixed: Mapping[str, Any] | None = None) -> st.SearchStrategy[Any]:
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for a, ft in _fields(t):
        key = wire_name(a.name)
        if fixed and a.name in fixed:
            required[key] = st.just(fixed[a.name])
        elif a.default is attrs.NOTHING:
            required[key] = _doc(ft)
        else:
            optional[key] = _doc(ft)
    return st.fixed_dictionaries(required, optional=optional)


def _action_doc(cls: type) -> st.SearchStrategy[Any]:
    if cls is UnknownAction:
        return st.fixed_dictionaries({"type": st.sampled_from(["fancyNew", "await2"])})
    return _object_doc(cls, fixed={"type": attrs.fields(cls).type.default})


@attrs.frozen
class Slot:
    """A place in a document where a field's (or a list item's) value goes."""

    where: tuple[str | int, ...]  # from the document's root to the object or list holding it
    key: str | int  # its key in that object (wire name), or its index in that list
    path: str  # as the error names it: data[0].amount.currency
    steps: tuple[str | int, ...]  # attribute names and indexes to it in the structured result
    type: Any
    default: Any  # attrs.NOTHING: none


def _object_slots(
    value: dict[str, Any], t: Any, where: tuple[str | int, ...], path: str, steps: tuple[Any, ...]
) -> Iterator[Slot]:
    """Every field of the object ``value`` (of type ``t``), present or not, and everything
    under them. The tag of an action (its ``type``) chooses the class and is left alone."""
    tagged = t in _ACTIONS
    for a, ft in _fields(t):
        if tagged and a.name == "type":
            continue
        key = wire_name(a.name)
        here, at = f"{path}.{a.name}" if path else a.name, (*steps, a.name)
        yield Slot(where, key, here, at, ft, a.default)
        if value.get(key) is not None:
            yield from _value_slots(value[key], ft, (*where, key), here, at)


def _value_slots(
    value: Any, t: Any, where: tuple[str | int, ...], path: str, steps: tuple[Any, ...]
) -> Iterator[Slot]:
    inner = _without_none(t)
    if set(_union_or_self(inner)) == set(_ACTIONS):
        cls = _ACTION_TAGS.get(value["type"], UnknownAction)
        if cls is not UnknownAction:  # an unknown action keeps its object whole: no fields
            yield from _object_slots(value, cls, where, path, steps)
        return
    origin = typing.get_origin(inner) or inner
    if origin is list:
        (item,) = typing.get_args(inner)
        for i, element in enumerate(value):
            here, at = f"{path}[{i}]", (*steps, i)
            yield Slot(where, i, here, at, item, attrs.NOTHING)
            if element is not None:
                yield from _value_slots(element, item, (*where, i), here, at)
    elif attrs.has(origin):
        yield from _object_slots(value, inner, where, path, steps)


def _expected(slot: Slot) -> Any:
    """What a null in ``slot`` must become: the converter's one rule, stated independently."""
    t = slot.type
    if t is Any or NoneType in _union(t):
        return None
    origin = typing.get_origin(t) or t
    if origin is list:
        return []
    if origin is dict:
        return {}
    if isinstance(slot.default, _Factory):
        return slot.default.factory()
    if slot.default is not attrs.NOTHING:
        return slot.default
    return _ERROR


def _at(root: Any, steps: tuple[Any, ...]) -> Any:
    for step in steps:
        root = root[step] if isinstance(step, int) else getattr(root, step)
    return root


@pytest.mark.parametrize("model", RESPONSE_MODELS, ids=_model_id)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_null_anywhere_in_any_response_follows_the_one_rule(model: Any, data: Any) -> None:
    doc = data.draw(_doc(model), label="document")
    assert structure(doc, model) == _detailed.structure(doc, model)  # valid as generated
    slots = list(_object_slots(doc, model, (), "", ()))
    slot = data.draw(st.sampled_from(slots), label="slot")
    nulled = copy.deepcopy(doc)
    holder: Any = nulled
    for step in slot.where:
        holder = holder[step]
    holder[slot.key] = None
    expected = _expected(slot)
    if expected is _ERROR:
        with pytest.raises(ResponseValidationError) as caught:
            structure(nulled, model)
        message = str(caught.value)
        assert re.fullmatch(rf"invalid \w+: {re.escape(slot.path)}: [^;]*got null", message), (
            message
        )
    else:
        result = structure(nulled, model)
        got = _at(result, slot.steps)
        assert got == expected and type(got) is type(expected), (slot.path, got)
        assert _detailed.structure(nulled, model) == result  # the explaining converter agrees


# --- the collection kinds beyond the models' lists and dicts -------------------------------------


@attrs.frozen(kw_only=True)
class _Collections:
    required_list: list[int]
    required_map: dict[str, str]
    tuple_: tuple[str, ...] = ()
    set_: set[str] = attrs.Factory(set)
    frozen: frozenset[int] = frozenset()
    sequence: Sequence[int] = ()
    abstract_set: Set[str] = frozenset()
    counts: dict[str, int] = attrs.Factory(dict)
    by_name: Mapping[str, Amount] = attrs.Factory(dict)
    nested: list[list[int]] = attrs.Factory(list)
    maybe_list: list[int] | None = attrs.Factory(list)  # optional: null is None, not []
    maybe_map: dict[str, Any] | None = None


_COLLECTION_KEYS = [wire_name(a.name) for a in attrs.fields(_Collections)]


@given(st.sets(st.sampled_from(_COLLECTION_KEYS)))
def test_null_in_every_kind_of_collection_is_an_empty_one(nulls: set[str]) -> None:
    doc: dict[str, Any] = {"requiredList": [1], "requiredMap": {"a": "b"}}
    doc.update(dict.fromkeys(nulls))
    for converted in (structure(doc, _Collections), _detailed.structure(doc, _Collections)):
        for a in attrs.fields(_Collections):
            value = getattr(converted, a.name)
            if wire_name(a.name) not in nulls:
                continue
            if a.name.startswith("maybe"):
                assert value is None
            else:
                assert not value and value is not None, (a.name, value)
        assert type(converted.tuple_) is tuple and type(converted.set_) is set
        assert type(converted.frozen) is frozenset and type(converted.abstract_set) is frozenset


def test_collection_kinds_keep_their_types_and_refuse_non_arrays() -> None:
    doc = {
        "requiredList": [1, 2],
        "requiredMap": {"a": "b"},
        "tuple": ["x", "y"],  # the wire names of tuple_ and set_
        "set": ["a", "a"],
        "frozen": [3],
        "counts": {"a": 1, "b": None},
        "byName": {"k": {"value": 5, "currency": "KZT"}},
        "nested": [[1], None, []],
    }
    with pytest.raises(ResponseValidationError, match=r"counts\['b'\]: expected int, got null"):
        structure(doc, _Collections)
    doc["counts"] = {"a": 1}
    got = structure(doc, _Collections)
    assert got.tuple_ == ("x", "y") and got.set_ == {"a"} and got.frozen == frozenset({3})
    assert got.by_name == {"k": Amount(5, "KZT")} and got.nested == [[1], [], []]
    with pytest.raises(ResponseValidationError, match=r"tuple_: expected a list, got str"):
        structure({**doc, "tuple": "xy"}, _Collections)
    with pytest.raises(ResponseValidationError, match=r"by_name: expected an object, got list"):
        structure({**doc, "byName": []}, _Collections)
    with pytest.raises(ResponseValidationError, match=r"by_name\['k'\]: expected an object"):
        structure({**doc, "byName": {"k": None}}, _Collections)
    with pytest.raises(ResponseValidationError, match=r"required_list: required field missing"):
        structure({"requiredMap": {}}, _Collections)  # missing is not null


def test_a_null_action_tag_is_an_unknown_action() -> None:
    action = {"type": None, "url": "https://x.example"}
    response = structure({"resultCode": "RedirectShopper", "action": action}, PaymentResponse)
    assert response.action == UnknownAction(type="", raw=action)


def test_null_in_an_optional_with_another_default_is_none() -> None:
    @attrs.frozen
    class Limits:
        retries: int | None = 3

    assert structure({"retries": None}, Limits).retries is None
    assert structure({}, Limits).retries == 3


# --- RFC 3339 datetimes -------------------------------------------------------------------------


_5H30 = timedelta(hours=5, minutes=30)


@attrs.frozen(kw_only=True)
class _Stamped:
    at: datetime
    maybe: datetime | None = None


@st.composite
def rfc3339(draw: st.DrawFn) -> tuple[str, datetime]:
    """An RFC 3339 date-time in any of the spellings it allows, and the instant it names."""
    moment = draw(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
    separator = draw(st.sampled_from("Tt "))
    digits = draw(st.text(alphabet="0123456789", max_size=12))
    zone = draw(st.sampled_from(["Z", "z", "-00:00", "+00:00", "offset", "none"]))
    minutes = draw(st.integers(-(24 * 60 - 1), 24 * 60 - 1)) if zone == "offset" else 0
    tz = timezone(timedelta(minutes=minutes))
    if zone == "offset":
        sign = "-" if minutes < 0 else "+"
        zone = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    text = (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}{separator}"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
        + (f".{digits}" if digits else "")
        + ("" if zone == "none" else zone)
    )
    microsecond = int(digits[:6].ljust(6, "0")) if digits else 0  # cut, never rounded
    return text, moment.replace(microsecond=microsecond, tzinfo=tz)


@given(rfc3339())
def test_every_rfc3339_spelling_is_read(case: tuple[str, datetime]) -> None:
    text, expected = case
    stamped = structure({"at": text, "maybe": text}, _Stamped)
    for parsed in (stamped.at, stamped.maybe):
        assert parsed is not None
        assert parsed.replace(tzinfo=None) == expected.replace(tzinfo=None), text
        assert parsed.utcoffset() == expected.utcoffset(), text
    assert _detailed.structure({"at": text}, _Stamped).at == stamped.at


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-12-31T23:59:60Z", datetime(2017, 1, 1, tzinfo=UTC)),
        ("2016-12-31t23:59:60.5z", datetime(2017, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)),
        ("2017-01-01T05:29:60+05:30", datetime(2017, 1, 1, 5, 30, tzinfo=timezone(_5H30))),
        (
            "1990-12-31T15:59:60-08:00",
            datetime(1990, 12, 31, 16, tzinfo=timezone(-timedelta(hours=8))),
        ),
        ("2025-03-14 10:30:00.1234567890Z", datetime(2025, 3, 14, 10, 30, 0, 123456, tzinfo=UTC)),
        ("2025-03-14T10:30:00-00:00", datetime(2025, 3, 14, 10, 30, tzinfo=UTC)),
    ],
)
def test_leap_seconds_long_fractions_and_unknown_offsets(text: str, expected: datetime) -> None:
    parsed = structure({"at": text}, _Stamped).at
    assert parsed == expected and parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "text",
    [
        "2025-13-01T00:00:00Z",
        "2025-02-30T00:00:00z",
        "2025-03-14T10:30:00+24:00",
        "2025-03-14T10:30:00+05:60z",
        "2025-03-14T25:30:00z",
        "2025-03-14T10:30:00zz",
        "2025-03-14X10:30:00z",
        "\uff12\uff10\uff12\uff15-03-14T10:30:00z",  # full-width digits
        "yesterday",
        "",
    ],
)
def test_what_is_no_datetime_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(ResponseValidationError, match=r"^invalid _Stamped: at: .*datetime"):
        structure({"at": text}, _Stamped)


def test_a_lower_case_datetime_in_a_link() -> None:
    link = structure(
        {
            "id": "pl_1",
            "status": "active",
            "amount": 5000,
            "currency": "KZT",
            "expiresAt": "2025-03-14t10:30:00.5+05:00",
            "createdAt": "2025-03-14 05:30:00z",
        },
        PaymentLink,
    )
    assert link.created_at is not None and link.created_at.tzinfo is UTC
    assert link.expires_at == link.created_at + timedelta(microseconds=500000)
