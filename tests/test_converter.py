"""The wire-format rules of plexy_async._core.converter, one rule at a time."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from plexy_async._core.converter import (
    SEND_NULL,
    WIRE_NAME_EXCEPTIONS,
    structure,
    unstructure,
    wire_name,
)
from plexy_async._core.protocol import request_id_from
from plexy_async.errors import InvalidRequestError, PlexyError, ResponseValidationError
from plexy_async.models import (
    Amount,
    CreateSessionRequest,
    Merchant,
    PaymentDetailsRequest,
    PaymentMethodsRequest,
    PaymentResponse,
    ResponseMeta,
    ResultCode,
    Session,
    SessionResult,
    SessionStatus,
)
from plexy_async.models.common import LenientBool


@attrs.frozen(kw_only=True)
class Wrapped:
    """Pay API-style values that may arrive as {"Value": x}."""

    count: int
    ratio: float = 0.0
    customer_id: str | None = None
    charged_at: datetime | None = None
    attempts: int | None = None


@attrs.frozen(kw_only=True)
class Refund:
    """A field that must send null rather than be left out."""

    amount: Amount | None = attrs.field(default=None, metadata={SEND_NULL: True})
    reason: str | None = None


def _mechanical(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


# --- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("python", "wire"),
    [
        ("psp_reference", "pspReference"),
        ("merchant_account", "merchantAccount"),
        ("return_url", "returnUrl"),
        ("recurring_processing_model", "recurringProcessingModel"),
        ("id", "id"),
        ("three_ds2_request_data", "threeDS2RequestData"),
        ("three_ds_authentication_only", "threeDSAuthenticationOnly"),
        ("three_ds_notification_url", "threeDSNotificationUrl"),
        ("shopper_ip", "shopperIP"),
    ],
)
def test_wire_name(python: str, wire: str) -> None:
    assert wire_name(python) == wire


@pytest.mark.parametrize(("python", "wire"), sorted(WIRE_NAME_EXCEPTIONS.items()))
def test_every_exception_is_needed_and_used(python: str, wire: str) -> None:
    assert _mechanical(python) != wire  # otherwise the entry is dead weight
    assert wire_name(python) == wire


def test_camel_case_both_ways_including_exceptions() -> None:
    request = PaymentDetailsRequest(
        details={"redirectResult": "X6XtfGC3"},
        payment_data="Ab02b4c0",
        three_ds_authentication_only=True,
    )
    wire = unstructure(request)
    assert wire == {
        "details": {"redirectResult": "X6XtfGC3"},
        "paymentData": "Ab02b4c0",
        "threeDSAuthenticationOnly": True,
    }
    assert structure(wire, PaymentDetailsRequest) == request


def test_snake_case_keys_are_not_read() -> None:
    session = structure({"id": "CS1", "session_data": "x", "sessionData": "y"}, Session)
    assert session.session_data == "y"


# --- datetimes ----------------------------------------------------------------------------------


def test_datetime_with_z_is_utc() -> None:
    session = structure({"id": "CS1", "expiresAt": "2025-03-14T00:00:00Z"}, Session)
    assert session.expires_at == datetime(2025, 3, 14, tzinfo=UTC)
    assert session.expires_at is not None
    assert session.expires_at.utcoffset() == timedelta(0)


def test_datetime_with_offset_keeps_it() -> None:
    session = structure({"id": "CS1", "expiresAt": "2025-03-14T05:00:00+05:00"}, Session)
    assert session.expires_at is not None
    assert session.expires_at.utcoffset() == timedelta(hours=5)
    assert session.expires_at == datetime(2025, 3, 14, tzinfo=UTC)


def test_naive_datetime_from_the_wire_is_taken_as_utc() -> None:
    session = structure({"id": "CS1", "expiresAt": "2025-03-14T10:30:00"}, Session)
    assert session.expires_at == datetime(2025, 3, 14, 10, 30, tzinfo=UTC)


def _session_request(expires_at: datetime) -> CreateSessionRequest:
    return CreateSessionRequest(
        amount=Amount(100, "KZT"),
        merchant_account="m",
        reference="r",
        return_url="https://shop.example/return",
        expires_at=expires_at,
    )


def test_datetime_goes_out_as_utc_with_z() -> None:
    almaty = timezone(timedelta(hours=5))
    wire = unstructure(_session_request(datetime(2025, 3, 14, 5, 0, 0, tzinfo=almaty)))
    assert wire["expiresAt"] == "2025-03-14T00:00:00Z"


def test_naive_datetime_is_refused_on_the_way_out() -> None:
    with pytest.raises(InvalidRequestError, match="naive datetime"):
        unstructure(_session_request(datetime(2025, 3, 14)))


# --- enums --------------------------------------------------------------------------------------


def test_known_enum_value_is_the_member() -> None:
    response = structure({"resultCode": "Authorised"}, PaymentResponse)
    assert response.result_code is ResultCode.AUTHORISED


def test_unknown_enum_value_is_kept_and_round_trips() -> None:
    response = structure({"resultCode": "SomethingNew"}, PaymentResponse)
    assert isinstance(response.result_code, ResultCode)
    assert response.result_code.is_known is False
    assert response.result_code.value == "SomethingNew"
    wire = unstructure(response)
    assert wire["resultCode"] == "SomethingNew"
    assert type(wire["resultCode"]) is str
    assert structure(wire, PaymentResponse).result_code.value == "SomethingNew"


def test_enum_value_goes_out_as_plain_str() -> None:
    wire = unstructure(structure({"id": "CS1", "status": "completed"}, SessionResult))
    assert wire["status"] == "completed"
    assert type(wire["status"]) is str


def test_enum_refuses_a_non_string() -> None:
    with pytest.raises(ResponseValidationError, match="status"):
        structure({"id": "CS1", "status": 3}, SessionResult)


# --- {"Value": x} -------------------------------------------------------------------------------


def test_wrapped_values_are_unwrapped() -> None:
    wrapped = structure(
        {
            "count": {"Value": 3},
            "ratio": {"Value": 2},
            "customerId": {"Value": "cus_1"},
            "chargedAt": {"Value": "2025-03-14T00:00:00Z"},
            "attempts": {"Value": None},
        },
        Wrapped,
    )
    assert wrapped == Wrapped(
        count=3,
        ratio=2.0,
        customer_id="cus_1",
        charged_at=datetime(2025, 3, 14, tzinfo=UTC),
        attempts=None,
    )


def test_wrapped_null_is_none_for_an_optional() -> None:
    session = structure({"id": {"Value": "CS1"}, "reference": {"Value": None}}, Session)
    assert session.id == "CS1"
    assert session.reference is None


def test_wrapped_null_is_refused_for_a_required_field() -> None:
    with pytest.raises(ResponseValidationError, match=r"count: expected int, got null"):
        structure({"count": {"Value": None}}, Wrapped)


# --- strict scalars -----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["3", 3.0, True, None, [3]])
def test_int_is_exact(bad: Any) -> None:
    with pytest.raises(ResponseValidationError, match="count: expected int"):
        structure({"count": bad}, Wrapped)


def test_float_accepts_an_int() -> None:
    wrapped = structure({"count": 1, "ratio": 2}, Wrapped)
    assert wrapped.ratio == 2.0
    assert type(wrapped.ratio) is float


# --- unknown keys, omitted nulls, meta ----------------------------------------------------------


def test_unknown_fields_are_ignored() -> None:
    session = structure({"id": "CS1", "brandNewField": {"x": 1}, "another": [1, 2]}, Session)
    assert session == Session(id="CS1")


def test_unset_optionals_are_left_out() -> None:
    assert unstructure(PaymentMethodsRequest(merchant_account="m")) == {"merchantAccount": "m"}


def test_send_null_marks_a_field_that_goes_out_as_null() -> None:
    assert unstructure(Refund()) == {"amount": None}
    assert unstructure(Refund(amount=Amount(5, "KZT"), reason="dup")) == {
        "amount": {"value": 5, "currency": "KZT"},
        "reason": "dup",
    }


def test_meta_is_never_read_from_nor_written_to_the_wire() -> None:
    response = structure(
        {"resultCode": "Authorised", "meta": {"status": 500, "requestId": "evil"}},
        PaymentResponse,
    )
    assert response.meta == ResponseMeta()
    response._attach_meta(ResponseMeta(status=200, request_id="req_1", attempts=2))
    assert response.meta.request_id == "req_1"
    wire = unstructure(response)
    assert "meta" not in wire and "_meta" not in wire
    assert "req_1" not in repr(wire)


@pytest.mark.parametrize(
    ("data", "cls"),
    [
        (
            {"resultCode": "Refused", "amount": {"value": 5, "currency": "KZT"}},
            PaymentResponse,
        ),
        ({"id": "m_1", "name": "Shop", "createdAt": "2026-01-02T03:04:05Z"}, Merchant),
    ],
)
def test_responses_survive_pickle_and_deepcopy_with_their_meta(data: Any, cls: type) -> None:
    response = structure(data, cls)
    headers = CIMultiDictProxy(CIMultiDict({"X-Request-Id": "req_7"}))  # not picklable itself
    response._attach_meta((200, headers, "plx_k", 2, request_id_from))
    for copied in (pickle.loads(pickle.dumps(response)), copy.deepcopy(response)):
        assert copied == response
        assert attrs.asdict(copied) == attrs.asdict(response)
        assert copied.meta == ResponseMeta(
            status=200, request_id="req_7", idempotency_key="plx_k", attempts=2
        )


def test_meta_handed_over_as_its_makings_is_built_once_on_first_look() -> None:
    response = structure({"resultCode": "Authorised"}, PaymentResponse)
    looked_up: list[object] = []

    def find_request_id(headers: Mapping[str, str]) -> str | None:
        looked_up.append(headers)
        return headers.get("X-Request-Id")

    response._attach_meta((201, {"X-Request-Id": "req_9"}, "plx_k", 3, find_request_id))
    assert looked_up == []  # nothing built until someone asks
    meta = response.meta
    assert meta == ResponseMeta(status=201, request_id="req_9", idempotency_key="plx_k", attempts=3)
    assert response.meta is meta and len(looked_up) == 1
    assert "req_9" not in repr(response)  # meta stays out of the model's repr and equality
    assert response == structure({"resultCode": "Authorised"}, PaymentResponse)


# --- dicts --------------------------------------------------------------------------------------


def test_dicts_pass_through_untouched() -> None:
    additional = {"networkTxReference": "0677", "nested": {"list": [1, {"a": None}]}}
    response = structure(
        {"resultCode": "Authorised", "additionalData": additional}, PaymentResponse
    )
    assert response.additional_data is additional
    details = {"redirectResult": "abc", "when": "2025-03-14T00:00:00Z", "n": None}
    wire = unstructure(PaymentDetailsRequest(details=details))
    assert wire["details"] is details
    assert wire["details"] == {"redirectResult": "abc", "when": "2025-03-14T00:00:00Z", "n": None}


def test_a_dict_field_refuses_a_non_object() -> None:
    with pytest.raises(ResponseValidationError, match="additional_data: expected an object"):
        structure({"resultCode": "Authorised", "additionalData": ["x"]}, PaymentResponse)


# --- validation errors --------------------------------------------------------------------------


def test_error_names_the_nested_field() -> None:
    with pytest.raises(ResponseValidationError) as caught:
        structure(
            {"resultCode": "Authorised", "amount": {"value": "100", "currency": "KZT"}},
            PaymentResponse,
        )
    assert isinstance(caught.value, PlexyError)
    assert str(caught.value) == "invalid PaymentResponse: amount.value: expected int, got str"


def test_error_lists_every_problem() -> None:
    with pytest.raises(ResponseValidationError) as caught:
        structure({"amount": {"value": 1.5}}, PaymentResponse)
    message = str(caught.value)
    assert "result_code: required field missing" in message
    assert "amount.value: expected int, got float" in message
    assert "amount.currency: required field missing" in message


def test_error_names_the_list_index() -> None:
    body = {
        "id": "CS1",
        "status": "completed",
        "payments": [{"pspReference": "P1"}, {"pspReference": 7}],
    }
    with pytest.raises(ResponseValidationError) as caught:
        structure(body, SessionResult)
    assert "payments[1].psp_reference: expected str, got int" in str(caught.value)


def test_a_list_field_refuses_a_string() -> None:
    with pytest.raises(ResponseValidationError, match="payments: expected a list, got str"):
        structure({"id": "CS1", "status": "completed", "payments": "abc"}, SessionResult)


def test_an_object_field_refuses_a_string() -> None:
    with pytest.raises(ResponseValidationError, match="payment_method: expected an object"):
        structure({"resultCode": "Authorised", "paymentMethod": "scheme"}, PaymentResponse)


def test_a_body_that_is_not_an_object() -> None:
    with pytest.raises(ResponseValidationError) as caught:
        structure([], PaymentResponse)
    assert str(caught.value) == "invalid PaymentResponse: expected an object, got list"


def test_model_validators_still_run() -> None:
    with pytest.raises(ResponseValidationError, match=r"amount: .*must not be negative"):
        structure({"resultCode": "Refused", "amount": {"value": -1, "currency": "KZT"}},
                  PaymentResponse)  # fmt: skip


def test_a_good_body_still_parses_after_a_bad_one() -> None:
    with pytest.raises(ResponseValidationError):
        structure({"id": "CS1"}, SessionResult)
    result = structure({"id": "CS1", "status": "paymentPending"}, SessionResult)
    assert result.status is SessionStatus.PAYMENT_PENDING


@attrs.frozen(kw_only=True)
class _Flags:
    strict: bool = False
    lenient: LenientBool = False  # type: ignore[assignment]
    maybe: LenientBool | None = None


def test_lenient_bools_take_the_strings_true_and_false_and_plain_bools_do_not() -> None:
    flags = structure({"lenient": "true", "maybe": "false", "strict": True}, _Flags)
    assert (flags.lenient, flags.maybe, flags.strict) == (True, False, True)
    assert structure({"lenient": False}, _Flags).lenient is False
    assert structure({"maybe": {"Value": "true"}}, _Flags).maybe is True
    with pytest.raises(ResponseValidationError, match="lenient"):
        structure({"lenient": "yes"}, _Flags)
    with pytest.raises(ResponseValidationError, match="strict"):
        structure({"strict": "true"}, _Flags)
