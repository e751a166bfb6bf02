"""The wire's JSON in and out (``plexy_async._core.converter.dumps`` and ``loads``, orjson).

Out: for every model that can go into a request body, the bytes ``dumps`` writes decode to
exactly what ``unstructure`` gives (same keys in the same order, same values of the same JSON
types), for hand-picked odd values and for generated instances; what JSON cannot carry exactly
is an ``InvalidRequestError`` with nothing sent. In: ``loads`` reads what ``json.loads`` reads
(big integers exactly, a byte order mark...), and anything else is a ``ValueError``.
"""

from __future__ import annotations

import dataclasses
import decimal
import enum
import importlib
import json
import math
import pkgutil
import types
import typing
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from aiohttp import web
from chain_support import assert_clean, walk
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import plexy_async.models
from plexy_async import Amount, CardDetails, PlexyClient, RetryPolicy
from plexy_async._core.converter import dumps, loads, unstructure
from plexy_async.errors import InvalidRequestError, ResponseDecodeError
from plexy_async.models.checkout import (
    LineItem,
    PaymentDetailsRequest,
    PaymentMethodDetails,
    PaymentRequest,
    PaymentResponse,
)
from plexy_async.models.common import APIResponse
from plexy_async.models.payment_management import RefundPaymentRequest
from plexy_async.testing import MockPlexy

NoneType = type(None)

# --- exact comparison ---------------------------------------------------------------------------


def same(got: Any, expected: Any, path: str = "$") -> None:
    """``got`` (decoded JSON) is ``expected`` exactly: the same JSON type at every place (a bool
    is no int, an int no float), dict keys in the same order, floats to the bit, NaN for NaN."""
    if expected is None or isinstance(expected, bool):
        assert got is expected, (path, got, expected)
    elif isinstance(expected, int):
        assert type(got) is int and got == expected, (path, got, expected)
    elif isinstance(expected, float):
        assert type(got) is float, (path, got, expected)
        if math.isnan(expected):
            assert math.isnan(got), (path, got)
        else:
            assert got == expected and math.copysign(1, got) == math.copysign(1, expected), path
    elif isinstance(expected, str):
        assert type(got) is str and got == expected, (path, got, expected)
    elif isinstance(expected, dict):
        assert type(got) is dict and list(got) == list(expected), (path, got, expected)
        for key, value in expected.items():
            same(got[key], value, f"{path}.{key}")
    elif isinstance(expected, list | tuple):
        assert type(got) is list and len(got) == len(expected), (path, got, expected)
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            same(g, e, f"{path}[{i}]")
    else:
        raise AssertionError(f"{path}: {type(expected)!r} is no JSON value")


def decoded(body: bytes) -> Any:
    """The body as the standard library reads it: the reference both directions are held to."""
    return json.loads(body)


# --- out: every model a request body can hold ---------------------------------------------------


def _request_models() -> list[type]:
    """Every attrs class of ``plexy_async.models`` that is neither a response nor a webhook:
    the request bodies and everything they nest."""
    found: dict[str, type] = {}
    for info in pkgutil.iter_modules(plexy_async.models.__path__, "plexy_async.models."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if isinstance(obj, type) and attrs.has(obj) and obj.__module__ == module.__name__:
                if issubclass(obj, APIResponse) or module.__name__.endswith(".webhooks"):
                    continue
                attrs.resolve_types(obj)
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [found[name] for name in sorted(found)]


REQUEST_MODELS = _request_models()
BODIES = [m for m in REQUEST_MODELS if m.__name__.endswith("Request")]


def test_the_enumeration_finds_every_request_body() -> None:
    names = {m.__name__ for m in BODIES}
    assert {"PaymentRequest", "CreateSessionRequest", "RefundPaymentRequest"} <= names
    assert {"CreatePaymentLinkRequest", "PayoutRequest", "CreateSplitRequest"} <= names
    assert len(BODIES) >= 15 and {"Amount", "CardDetails", "LineItem"} <= {
        m.__name__ for m in REQUEST_MODELS
    }


TRICKY = 'Aé"\\\n</ \u2028\x00\x1f\U0001f600'  # quote, backslash, controls, non-ASCII, astral
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)  # no lone surrogates
INT64 = st.integers(-(2**63), 2**64 - 1)  # what orjson writes: int64 and uint64
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=5)), timezone(-timedelta(hours=3.5))])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | INT64 | FLOATS | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


def _values(t: Any, depth: int) -> st.SearchStrategy[Any]:
    """Values of type ``t`` as a caller may put them in a model (``None`` where allowed)."""
    if t is Any or t is None:
        return JSON_VALUES
    if getattr(t, "__supertype__", None) is not None:  # a NewType (LenientBool)
        return _values(t.__supertype__, depth)
    origin, args = typing.get_origin(t), typing.get_args(t)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(st.none() if a is NoneType else _values(a, depth) for a in args))
    if origin is list:
        return st.lists(_values(args[0], depth), max_size=3)
    if origin is dict:
        return st.dictionaries(TEXT, _values(args[1], depth), max_size=3)
    if isinstance(t, type) and issubclass(t, enum.Enum):
        return st.sampled_from(list(t))
    if attrs.has(t):
        return _instances(t, depth + 1)
    scalars: dict[Any, st.SearchStrategy[Any]] = {
        str: TEXT | st.just(TRICKY),
        int: INT64,
        float: FLOATS,
        bool: st.booleans(),
        datetime: st.datetimes(min_value=datetime(1900, 1, 1), timezones=ZONES),
    }
    if t in scalars:
        return scalars[t]
    raise NotImplementedError(f"no strategy for {t!r}: teach the test this type")


def _make(cls: type, values: dict[str, Any]) -> Any:
    """An instance made without ``__init__``: no validator gets a say, the writer has to cope
    with whatever is there."""
    obj = object.__new__(cls)
    for name, value in values.items():
        object.__setattr__(obj, name, value)
    return obj


def _instances(cls: type, depth: int = 0) -> st.SearchStrategy[Any]:
    fields = {
        a.name: st.none()
        if depth > 3 and a.default is not attrs.NOTHING
        else _values(a.type, depth)
        for a in attrs.fields(cls)
        if a.init
    }
    return st.fixed_dictionaries(fields).map(lambda values: _make(cls, values))


@pytest.mark.parametrize("cls", REQUEST_MODELS, ids=lambda cls: cls.__name__)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_body_of_any_instance_decodes_to_exactly_what_unstructure_gives(
    cls: type, data: st.DataObject
) -> None:
    obj = data.draw(_instances(cls), label="instance")
    body = dumps(obj)
    assert type(body) is bytes
    same(decoded(body), unstructure(obj))


def _sample(t: Any, pick: int) -> Any:
    """A value of type ``t``; ``pick`` chooses among a union's members (and None when -1)."""
    if t is Any or t is None:
        return {"any": [1, 2.5, None, True, TRICKY, {"deep": [[-(2**63)]]}]}
    if getattr(t, "__supertype__", None) is not None:
        return _sample(t.__supertype__, pick)
    origin, args = typing.get_origin(t), typing.get_args(t)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in args if a is not NoneType]
        if pick == -1 and len(members) < len(args):
            return None
        return _sample(members[pick % len(members)], pick)
    if origin is list:
        return [_sample(args[0], pick), _sample(args[0], pick + 1)]
    if origin is dict:
        return {"k": _sample(args[1], pick), TRICKY: _sample(args[1], pick)}
    if isinstance(t, type) and issubclass(t, enum.Enum):
        return list(t)[pick % len(t)]
    if attrs.has(t):
        return _make(t, {a.name: _sample(a.type, pick) for a in attrs.fields(t) if a.init})
    return {
        str: TRICKY,
        int: [12345, 2**64 - 1, -(2**63)][pick % 3],
        float: [0.5, -0.0, 1e16][pick % 3],
        bool: pick % 2 == 0,
        datetime: datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=5))),
    }[t]


@pytest.mark.parametrize("cls", REQUEST_MODELS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("pick", [-1, 0, 1], ids=["optionals None", "first members", "second"])
def test_every_field_set_decodes_to_exactly_what_unstructure_gives(cls: type, pick: int) -> None:
    obj = _sample(cls, pick)
    same(decoded(dumps(obj)), unstructure(obj))


class _Pair(typing.NamedTuple):
    a: int
    b: str


def _payment(**changes: Any) -> PaymentRequest:
    request = PaymentRequest(
        amount=Amount(10000, "KZT"),
        reference="order-1",
        merchant_account="Shop",
        payment_method=CardDetails(number="4242424242424242", cvc="737", holder_name="Ä. B"),
    )
    for name, value in changes.items():  # no validator: the writer must cope with anything
        object.__setattr__(request, name, value)
    return request


def test_a_real_request_body_is_compact_utf8_in_field_order() -> None:
    request = _payment(
        store_payment_method=False,
        capture_delay_hours=0,
        line_items=[LineItem(description="tea", quantity=2)],
        metadata={"order": "1", "note": "東京 \u2028"},
    )
    expected = {
        "amount": {"value": 10000, "currency": "KZT"},
        "reference": "order-1",
        "merchantAccount": "Shop",
        "paymentMethod": {
            "type": "scheme",
            "number": "4242424242424242",
            "cvc": "737",
            "holderName": "Ä. B",
        },
        "storePaymentMethod": False,
        "captureDelayHours": 0,
        "lineItems": [{"description": "tea", "quantity": 2}],
        "metadata": {"order": "1", "note": "東京 \u2028"},
    }
    # No whitespace, UTF-8 as it is: byte for byte the standard library's compact UTF-8 text.
    body = dumps(request)
    assert body == json.dumps(expected, separators=(",", ":"), ensure_ascii=False).encode()
    same(decoded(body), expected)


@pytest.mark.parametrize(
    "odd",
    [
        {"reference": TRICKY},
        {"reference": "\U0010ffff\ud7ff\ue000"},  # the edges around the surrogates
        {"reference": type("Ref", (str,), {})("a str subclass")},
        {"reference": 7},  # an int where a str belongs: sent as it is
        {"capture_delay_hours": 2**63 - 1},
        {"capture_delay_hours": -(2**63)},
        {"capture_delay_hours": 2**64 - 1},
        {"capture_delay_hours": True},  # a bool where an int belongs
        {"capture_delay_hours": 2.5},
        {"store_payment_method": 1},
        {"amount": type("Money", (Amount,), {})(5, "KZT")},  # a subclass of the nested model
        {"payment_method": PaymentMethodDetails(type="kaspi", data={"phone": TRICKY})},
        {"payment_method": {"type": "a raw dict"}},
        {"metadata": {TRICKY: TRICKY, "": "", "0": "0"}},
        {"three_ds2_request_data": {"f": [0.1, -0.0, 1e16, 5e-324, 1.7976931348623157e308]}},
        {"three_ds2_request_data": {"nested": [[[{"deep": None}]], [], {}], "t": True}},
        {"three_ds2_request_data": {"float subclass": type("F", (float,), {})(2.5)}},
        {"three_ds2_request_data": {"named tuple": _Pair(1, "b"), "tuple": (1, [2])}},
    ],
    ids=repr,
)
def test_odd_values_go_out_as_unstructure_gives_them(odd: dict[str, Any]) -> None:
    request = _payment(**odd)
    same(decoded(dumps(request)), unstructure(request))


def test_a_datetime_in_a_free_form_dict_follows_the_datetime_rule() -> None:
    almaty = timezone(timedelta(hours=5))
    request = _payment(three_ds2_request_data={"when": datetime(2026, 1, 1, 5, tzinfo=almaty)})
    assert decoded(dumps(request))["threeDS2RequestData"] == {"when": "2026-01-01T00:00:00Z"}


def test_send_null_and_a_required_none_go_out_as_null() -> None:
    assert dumps(RefundPaymentRequest()) == b'{"amount":null}'  # null: "refund everything"
    details = PaymentDetailsRequest(details={})
    object.__setattr__(details, "details", None)
    assert dumps(details) == b'{"details":null}'
    broken = object.__new__(Amount)
    object.__setattr__(broken, "value", None)
    object.__setattr__(broken, "currency", "KZT")
    assert dumps(broken) == b'{"value":null,"currency":"KZT"}'


# --- out: what JSON cannot carry ----------------------------------------------------------------


@dataclasses.dataclass
class _Point:
    x: int


def _cycle() -> list[Any]:
    loop: list[Any] = []
    loop.append(loop)
    return loop


#: (field of PaymentRequest, a value JSON cannot carry exactly)
UNSENDABLE: dict[str, tuple[str, Any]] = {
    "NaN": ("three_ds2_request_data", {"x": float("nan")}),
    "infinity": ("metadata", {"x": float("inf")}),
    "minus infinity, deep": ("three_ds2_request_data", {"a": [{"b": [float("-inf")]}]}),
    "int beyond uint64": ("capture_delay_hours", 2**64),
    "int below int64": ("three_ds2_request_data", {"n": -(2**63) - 1}),
    "a huge int": ("metadata", {"n": 10**40}),
    "lone surrogate": ("reference", "a\ud800b"),
    "lone surrogate in a key": ("metadata", {"\udfff": "x"}),
    "int key": ("metadata", {1: "x"}),
    "None key": ("three_ds2_request_data", {None: "x"}),
    "str subclass key": ("metadata", {type("K", (str,), {})("k"): "x"}),
    "cycle": ("three_ds2_request_data", {"loop": _cycle()}),
    "Decimal": ("three_ds2_request_data", {"d": decimal.Decimal("1.5")}),
    "set": ("three_ds2_request_data", {"s": {1, 2}}),
    "bytes": ("metadata", {"b": b"raw"}),
    "dataclass": ("three_ds2_request_data", {"p": _Point(1)}),
    "naive datetime in a dict": ("three_ds2_request_data", {"at": datetime(2026, 1, 1)}),
}


def _assert_library_error_only(error: BaseException) -> None:
    assert isinstance(error, InvalidRequestError)
    assert error.__cause__ is None and error.__context__ is None
    assert_clean(error)
    for path, obj in walk(error):
        assert not type(obj).__module__.startswith("orjson"), f"{path} is {obj!r}"


@pytest.mark.parametrize("case", sorted(UNSENDABLE))
def test_what_json_cannot_carry_is_an_invalid_request_error(case: str) -> None:
    field, value = UNSENDABLE[case]
    with pytest.raises(InvalidRequestError, match=r"^cannot send this PaymentRequest: ") as caught:
        dumps(_payment(**{field: value}))
    _assert_library_error_only(caught.value)


def test_a_naive_datetime_in_a_model_is_refused() -> None:
    link = _sample(plexy_async.models.CreatePaymentLinkRequest, 0)
    object.__setattr__(link, "expires_at", datetime(2026, 1, 1))  # no timezone
    with pytest.raises(InvalidRequestError, match="naive datetime") as caught:
        dumps(link)
    _assert_library_error_only(caught.value)


def _plant(value: Any, bad: Any, where: int) -> Any:
    """``value`` with ``bad`` put in somewhere (``where`` picks the place)."""
    if isinstance(value, list) and value and where % 3:
        i = where % len(value)
        return [*value[:i], _plant(value[i], bad, where // 3), *value[i + 1 :]]
    if isinstance(value, dict) and value and where % 3:
        key = list(value)[where % len(value)]
        return {**value, key: _plant(value[key], bad, where // 3)}
    return [value, bad] if where % 2 else {"bad": bad, "other": value}


BAD_LEAVES = st.sampled_from(
    [float("nan"), float("inf"), -float("inf"), 2**64, -(2**63) - 1, "\ud83d", decimal.Decimal(0)]
)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES, BAD_LEAVES, st.integers(0, 10**6))
def test_a_bad_value_anywhere_in_free_form_data_is_refused(good: Any, bad: Any, where: int) -> None:
    request = _payment(three_ds2_request_data={"data": _plant(good, bad, where)})
    with pytest.raises(InvalidRequestError) as caught:
        dumps(request)
    _assert_library_error_only(caught.value)


@pytest.mark.parametrize("case", ["NaN", "int beyond uint64", "lone surrogate", "int key", "cycle"])
async def test_nothing_is_sent_for_an_unsendable_request(
    case: str, mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    field, value = UNSENDABLE[case]
    fields = {
        "amount": Amount(100, "KZT"),
        "reference": "r-1",
        "merchant_account": "M",
        "payment_method": CardDetails(number="4242424242424242", cvc="737"),
        field: value,
    }
    with pytest.raises(InvalidRequestError) as caught:
        await client.payments.create(**fields)
    _assert_library_error_only(caught.value)
    assert mock_plexy.ledger.requests == [] and mock_plexy.ledger.charges == []
    fine = {**fields, field: "r-2" if field == "reference" else None}
    done = await client.payments.create(**fine)  # and the client still works
    assert done.psp_reference and len(mock_plexy.ledger.requests) == 1


# --- out, over loopback: what the server receives -------------------------------------------------


@asynccontextmanager
async def recording_server(answer: bytes) -> AsyncIterator[tuple[str, list[bytes]]]:
    """Answers every request with ``answer`` (as JSON) and records the request bodies."""
    received: list[bytes] = []

    async def handle(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.Response(body=answer, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", received
    finally:
        await runner.cleanup()


def _client(url: str) -> PlexyClient:
    return PlexyClient(api_key="sk_test_json", base_url=url, retry=RetryPolicy(max_attempts=1))


async def test_the_server_receives_exactly_what_unstructure_gives() -> None:
    fields: dict[str, Any] = {
        "amount": Amount(2**62, "KZT"),
        "reference": TRICKY,
        "merchant_account": "M",
        "payment_method": CardDetails(number="4242424242424242", cvc="737"),
        "three_ds2_request_data": {"n": [2**64 - 1, -(2**63), 0.1, 1e300], "s": TRICKY},
        "line_items": [LineItem(description="\U0001f600", quantity=3)],
        "metadata": {"ключ": "значение"},
    }
    answer = b'{"resultCode":"Authorised"}'
    async with recording_server(answer) as (url, received), _client(url) as plexy:
        result = await plexy.payments.create(**fields)
    assert result.result_code == "Authorised"
    (body,) = received
    same(decoded(body), unstructure(PaymentRequest(**fields)))


# --- in -----------------------------------------------------------------------------------------

CORPUS = [
    b'{"a":1,"b":[true,false,null],"c":"\\u00e9\\n","d":1.5e3,"e":{"f":-0}}',
    '{"name":"Ä \u2013 東京 \U0001f600"}'.encode(),
    b"[]",
    b"{}",
    b'"just a string"',
    b"0",
    b"-0.0",
    b"1E5",
    b"[1e-7, 5e-324, 1.7976931348623157e308, 2.5e-400]",
    b"12345678901234567890123",  # beyond 64 bits: exactly, as an int
    b"[18446744073709551615, 18446744073709551616, -9223372036854775808, -9223372036854775809]",
    b'{"id": 123456789012345678901234567890, "x": [-99999999999999999999.5]}',
    b'{"card": "4242424242424242424242", "n": 1}',  # a digit run in a string only
    b"1e400",  # read as infinity, as json.loads does
    b"[NaN, Infinity, -Infinity]",  # not JSON, but json.loads takes them, as before
    b'"\\ud800 lone, \\udfff lone, \\ud83d\\ude00 a pair"',
    b'{"dup": 1, "dup": 2}',
    b' \t\n\r{"spaced" : true } \n',
    b'\xef\xbb\xbf{"bom": true}',
    b"\xef\xbb\xbf \n[1]",
    b"[" * 500 + b"]" * 500,
]


@pytest.mark.parametrize("body", CORPUS, ids=lambda b: repr(b[:40]))
def test_loads_reads_what_json_loads_reads(body: bytes) -> None:
    same(loads(body), json.loads(body))


@st.composite
def json_documents(draw: st.DrawFn) -> bytes:
    """Any JSON value as a server may write it: big ints, NaN, surrogate escapes, any spacing."""
    ascii_only = draw(st.booleans())
    leaves = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.integers(10**18, 10**30).map(lambda n: n * draw(st.sampled_from([1, -1])))
        | st.floats()
        | st.text(st.characters() if ascii_only else st.characters(blacklist_categories=("Cs",)))
    )
    value = draw(
        st.recursive(
            leaves,
            lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner),
            max_leaves=20,
        )
    )
    if not ascii_only and draw(st.booleans()):
        value = {"keys": list(value) if isinstance(value, dict) else value}
    text = json.dumps(
        value,
        ensure_ascii=ascii_only,
        indent=draw(st.sampled_from([None, 0, 2, "\t"])),
        separators=draw(st.sampled_from([None, (",", ":"), (" , ", " : ")])),
    )
    try:
        body = text.encode()
    except UnicodeEncodeError:  # a surrogate in a key, which ensure_ascii=False writes raw
        body = json.dumps(value).encode()
    prefix = draw(st.sampled_from([b"", b" ", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n"]))
    return prefix + body + draw(st.sampled_from([b"", b"\n", b" \r\n\t"]))


@settings(max_examples=300, deadline=None)
@given(json_documents())
def test_loads_reads_any_document_as_json_loads_does(body: bytes) -> None:
    same(loads(body), json.loads(body))


NOT_JSON = [b"", b"   ", b'{"a":1} x', b'{"a":1}{"b":2}', b"{'a': 1}", b"nul", b"[1,]", b"01"]
NOT_UTF8 = [
    b"\xff\xfe{}",  # UTF-16 with its BOM: json.loads would guess the encoding; the wire is UTF-8
    b'"\xff"',
    b'"\xc3"',  # cut short
    b'{"a":"\xed\xa0\x80"}',  # an encoded surrogate
    b'"\xc0\xaf"',  # overlong
    b'{"big":123456789012345678901,"s":"\xff"}',  # through the standard library's path too
]


@pytest.mark.parametrize("body", NOT_JSON + NOT_UTF8, ids=repr)
def test_loads_refuses_what_is_not_one_json_value_in_utf8(body: bytes) -> None:
    with pytest.raises(ValueError, match=r"."):  # the promise: a ValueError, whatever it says
        loads(body)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b"[" * 3_000 + b"123456789012345678901234567890" + b"]" * 3_000,  # the stdlib's path
        b"[" * 100_000,
    ],
    ids=["deep list", "deep object", "deep, with a big int", "deep and cut short"],
)
def test_deep_nesting_is_a_value_error_not_a_recursion_error(body: bytes) -> None:
    with pytest.raises(ValueError, match=r"depth|deep|Expecting"):
        loads(body)


# --- in, over loopback: what the client makes of a body ------------------------------------------


@pytest.mark.parametrize(
    ("body", "check"),
    [
        (
            b'{"resultCode":"Authorised","fraudResult":{"score":1180591620717411303424,"x":-0.0}}',
            lambda r: type(r.fraud_result["score"]) is int and r.fraud_result["score"] == 2**70,
        ),
        (
            b'\xef\xbb\xbf{"resultCode":"Refused","refusalReason":"\\u00c4 \\ud83d\\ude00"}',
            lambda r: r.refusal_reason == "\u00c4 \U0001f600" and r.result_code == "Refused",
        ),
        (
            '{"resultCode":"Authorised","additionalData":{"n":"東京"}}'.encode(),
            lambda r: r.additional_data == {"n": "東京"},
        ),
    ],
    ids=["big int", "BOM and escapes", "UTF-8"],
)
async def test_the_client_reads_a_body_as_json_loads_would(
    body: bytes, check: Callable[[PaymentResponse], bool]
) -> None:
    async with recording_server(body) as (url, received), _client(url) as plexy:
        result = await plexy.payments.create(
            amount=Amount(100, "KZT"),
            reference="r",
            merchant_account="M",
            payment_method=CardDetails(number="4242424242424242"),
        )
    assert check(result), result
    assert len(received) == 1


async def test_a_deep_body_is_a_decode_error_from_the_client() -> None:
    deep = b"[" * 50_000 + b"]" * 50_000
    async with recording_server(deep) as (url, received), _client(url) as plexy:
        with pytest.raises(ResponseDecodeError) as caught:
            await plexy.merchant.retrieve()
    assert len(received) == 1
    assert_clean(caught.value)
