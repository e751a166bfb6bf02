"""The client's JSON in and out: ``dumps`` writes exactly what ``unstructure`` + the compact
encoder would, for every model; ``loads`` reads exactly what ``json.loads`` would."""

from __future__ import annotations

import enum
import inspect
import json
import types
import typing
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

import plexy_async.models as models
from plexy_async import Amount, CardDetails
from plexy_async._core.jsonio import dumps, dumps_via_dicts, loads
from plexy_async.errors import InvalidRequestError
from plexy_async.models.checkout import (
    LineItem,
    PaymentDetailsRequest,
    PaymentMethodDetails,
    PaymentRequest,
)
from plexy_async.models.payment_management import RefundPaymentRequest

MODELS = sorted(
    (cls for _, cls in inspect.getmembers(models, inspect.isclass) if attrs.has(cls)),
    key=lambda cls: cls.__name__,
)
TRICKY = 'Aé"\\\n</ \u2028'  # quote, backslash, newline, non-ASCII: all escaped on the way out


def sample(t: Any, pick: int, depth: int = 0) -> Any:
    """A value of type ``t``; ``pick`` chooses among a union's members (and None when -1)."""
    if t is Any or t is None:
        return {"any": [1, 2.5, None, True, TRICKY]}
    if getattr(t, "__supertype__", None) is not None:  # a NewType (LenientBool)
        return sample(t.__supertype__, pick, depth)
    args = typing.get_args(t)
    if typing.get_origin(t) in (typing.Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        if pick == -1 and len(members) < len(args):
            return None
        return sample(members[pick % len(members)], pick, depth)
    if typing.get_origin(t) is list:
        return [sample(args[0], pick, depth), sample(args[0], pick + 1, depth)]
    if typing.get_origin(t) is dict:
        return {"k": sample(args[1], pick, depth), TRICKY: sample(args[1], pick, depth)}
    if isinstance(t, type) and issubclass(t, enum.Enum):
        return list(t)[pick % len(t)]
    if attrs.has(t):
        return instance(t, pick, depth + 1)
    return {
        str: TRICKY,
        int: 12345,
        float: 0.5,
        bool: pick % 2 == 0,
        datetime: datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=5))),
    }[t]


def instance(cls: type, pick: int, depth: int = 0) -> Any:
    """An instance with every field set, made without ``__init__``: no validator gets a say,
    the writer has to cope with whatever is there."""
    attrs.resolve_types(cls)
    obj = object.__new__(cls)
    for a in attrs.fields(cls):
        if not a.init:
            continue
        value = None if depth > 3 and a.default is not attrs.NOTHING else sample(a.type, pick)
        object.__setattr__(obj, a.name, value)
    return obj


@pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("pick", [-1, 0, 1], ids=["optionals None", "first members", "second"])
def test_dumps_writes_what_unstructure_and_the_encoder_write(cls: type, pick: int) -> None:
    obj = instance(cls, pick)
    assert dumps(obj) == dumps_via_dicts(obj)
    assert json.loads(dumps(obj)) == json.loads(dumps_via_dicts(obj))


def test_a_real_request_body_is_what_the_api_expects() -> None:
    request = PaymentRequest(
        amount=Amount(10000, "KZT"),
        reference="order-1",
        merchant_account="Shop",
        payment_method=CardDetails(number="4242424242424242", cvc="737", holder_name="Ä. B"),
        store_payment_method=False,
        capture_delay_hours=0,
        line_items=[LineItem(description="tea", quantity=2)],
        metadata={"order": "1"},
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
        "metadata": {"order": "1"},
    }
    # Compact, ASCII only, keys in this order: byte for byte.
    assert dumps(request) == json.dumps(expected, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    "odd",
    [
        {"reference": 7},  # an int where a str belongs: sent as it is, like the dict path
        {"reference": type("Ref", (str,), {})("sub")},  # a str subclass
        {"capture_delay_hours": True},  # a bool where an int belongs
        {"store_payment_method": 1},  # an int where a bool belongs
        {"amount": type("Money", (Amount,), {})(5, "KZT")},  # a subclass of the nested model
        {"payment_method": PaymentMethodDetails(type="kaspi", data={"phone": TRICKY})},
        {"payment_method": {"type": "raw dict"}},
        {"capture_delay_hours": 2.5},
        {"three_ds2_request_data": {"nested": [{"deep": None}]}},
    ],
    ids=repr,
)
def test_unexpected_values_go_out_as_the_dict_path_sends_them(odd: dict[str, Any]) -> None:
    fields = {
        "amount": Amount(100, "KZT"),
        "reference": "r",
        "merchant_account": "m",
        "payment_method": CardDetails(number="4242424242424242"),
    }
    request = attrs.evolve(PaymentRequest(**fields), **odd)
    assert dumps(request) == dumps_via_dicts(request)


def test_send_null_and_required_none_match_the_dict_path() -> None:
    refund = RefundPaymentRequest()  # amount None is sent as null: "refund everything"
    assert dumps(refund) == dumps_via_dicts(refund) == b'{"amount":null}'
    details = PaymentDetailsRequest(details={})
    object.__setattr__(details, "details", None)
    assert dumps(details) == dumps_via_dicts(details) == b'{"details":null}'
    broken = object.__new__(Amount)
    object.__setattr__(broken, "value", None)
    object.__setattr__(broken, "currency", "KZT")
    assert dumps(broken) == dumps_via_dicts(broken) == b'{"value":null,"currency":"KZT"}'


def test_naive_datetimes_are_refused_either_way() -> None:
    link_cls = models.CreatePaymentLinkRequest
    link = instance(link_cls, 0)
    dated = [a.name for a in attrs.fields(link_cls) if "datetime" in str(a.type)]
    assert dated, "expected a datetime field on CreatePaymentLinkRequest"
    object.__setattr__(link, dated[0], datetime(2026, 1, 1))  # no timezone
    with pytest.raises(InvalidRequestError, match="naive datetime"):
        dumps(link)
    with pytest.raises(InvalidRequestError, match="naive datetime"):
        dumps_via_dicts(link)


BODIES = [
    b'{"a":1,"b":[true,false,null],"c":"\\u00e9\\n","d":1.5e3,"e":{"f":-0}}',
    '{"name":"Ä \u2013 東京"}'.encode(),
    b"[]",
    b'"just a string"',
    b"12345678901234567890123",
    b' {"spaced": true} \n',
    b'\xef\xbb\xbf{"bom": true}',
]


@pytest.mark.parametrize("body", BODIES, ids=repr)
def test_loads_reads_what_json_loads_reads(body: bytes) -> None:
    assert loads(body) == json.loads(body)


NOT_JSON = r"Expecting|Extra data|can't decode"


@pytest.mark.parametrize(
    "body", [b"", b"   ", b'{"a":1} x', b'{"a":1}{"b":2}', b"{'a': 1}", b"\xff\xfe", b"nul"]
)
def test_loads_refuses_what_is_not_one_json_value(body: bytes) -> None:
    with pytest.raises(ValueError, match=NOT_JSON):
        loads(body)
    with pytest.raises(ValueError, match=NOT_JSON):
        json.loads(body)
