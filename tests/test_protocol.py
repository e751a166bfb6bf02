"""Pure protocol functions: every error body shape in API.md, Retry-After, idempotency keys."""

from __future__ import annotations

import email.utils
import json
import os
import re
import warnings

import pytest

from plexy_async import errors
from plexy_async._core.protocol import (
    auth_header,
    clean_snippet,
    error_for,
    mask_card_numbers,
    new_idempotency_key,
    parse_retry_after,
    validate_idempotency_key,
)
from plexy_async._core.routes import Surface


def _error(
    status: int, body: object, headers: dict[str, str] | None = None
) -> errors.APIStatusError:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return error_for(status, raw, headers or {})


def test_checkout_v2_shape() -> None:
    exc = _error(
        400,
        {
            "error": {
                "type": "invalid_request_error",
                "code": "parameter_missing",
                "message": "Missing required parameter: amount",
                "param": "amount",
                "request_id": "req_123",
            }
        },
    )
    assert type(exc) is errors.BadRequestError
    assert exc.status == 400
    assert exc.detail.type == "invalid_request_error"
    assert exc.code == "parameter_missing"
    assert exc.detail.param == "amount"
    assert exc.request_id == "req_123"
    assert "Missing required parameter: amount" in str(exc)


def test_checkout_v2_shape_without_type_and_card_decline() -> None:
    exc = _error(
        402,
        {"error": {"code": "card_declined", "message": "Declined", "decline_code": "lost_card"}},
    )
    assert isinstance(exc, errors.CardError)
    assert exc.type is None
    assert exc.decline_code == "lost_card"


def test_pay_api_shape_with_int_code() -> None:
    exc = _error(
        503, {"code": 1, "message": "service unavailable", "source": "keys", "type": "apiError"}
    )
    assert type(exc) is errors.ServerError
    assert exc.detail.code == "1"
    assert exc.detail.message == "service unavailable"
    assert exc.detail.param == "keys"
    assert exc.detail.type == "apiError"


def test_pay_api_shape_with_string_code() -> None:
    exc = _error(
        422,
        {
            "code": "5",
            "message": "unprocessable entity",
            "source": "amount",
            "type": "validationError",
        },
    )
    assert type(exc) is errors.UnprocessableEntityError
    assert exc.detail.code == "5"
    assert exc.detail.type == "validationError"


def test_problem_details_shape_with_errors_metadata() -> None:
    body = {
        "type": "https://docs.getpaid.io/integration/api/responses#422---invalid-parameters",
        "title": "Invalid Parameters",
        "status": 422,
        "detail": "The request was invalid",
        "errors": {"enum_field": ["invalid_option"]},
        "errors_metadata": {"enum_field": {"invalid_option": {"allowed_options": ["a", "b"]}}},
    }
    exc = _error(422, body, {"Content-Type": "application/problem+json"})
    assert type(exc) is errors.UnprocessableEntityError
    assert exc.detail.message == "The request was invalid"
    assert exc.detail.code == "Invalid Parameters"
    assert exc.detail.field_errors == {"enum_field": ["invalid_option"]}
    assert exc.detail.metadata["enum_field"]["invalid_option"]["allowed_options"] == ["a", "b"]


def test_problem_details_without_detail() -> None:
    exc = _error(404, {"type": "https://x/#404", "title": "Not Found", "status": 404})
    assert type(exc) is errors.NotFoundError
    assert exc.detail.message == "Not Found"


def test_adyen_shape() -> None:
    body = {
        "status": 422,
        "errorCode": "14_030",
        "message": "Return URL is missing.",
        "errorType": "validation",
        "pspReference": "8816178914079738",
    }
    exc = _error(422, body)
    assert exc.detail.code == "14_030"
    assert exc.detail.type == "validation"
    assert exc.detail.message == "Return URL is missing."
    assert exc.request_id == "8816178914079738"


def test_message_only_shape() -> None:
    exc = _error(403, {"message": "Merchant is not allowed to refund"})
    assert type(exc) is errors.PermissionDeniedError
    assert exc.detail.message == "Merchant is not allowed to refund"


def test_status_code_error_message_shape() -> None:
    exc = _error(403, {"statusCode": 403, "error": "Forbidden", "message": "nope"})
    assert exc.detail.code == "Forbidden"
    assert exc.detail.message == "nope"


def test_html_gateway_page_becomes_server_error_with_clean_snippet() -> None:
    page = (
        b"<html><head><title>502 Bad Gateway</title><style>body{color:red}</style></head>"
        b"<body>\n<center><h1>502   Bad Gateway</h1></center>\n"
        b"<hr><center>nginx</center></body></html>"
    )
    exc = _error(502, page)
    assert type(exc) is errors.ServerError
    assert exc.detail.message is None
    assert exc.body_snippet == "502 Bad Gateway 502 Bad Gateway nginx"
    assert "<" not in str(exc)


def test_plain_text_and_empty_bodies() -> None:
    text = _error(504, b"upstream request timeout")
    assert type(text) is errors.ServerError
    assert text.body_snippet == "upstream request timeout"
    empty = _error(500, b"")
    assert empty.body_snippet == ""
    assert str(empty) == "HTTP 500: no body"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (301, errors.RedirectError),
        (400, errors.BadRequestError),
        (401, errors.AuthenticationError),
        (402, errors.CardError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (405, errors.MethodNotAllowedError),
        (408, errors.RequestTimeoutError),
        (409, errors.ConflictError),
        (418, errors.APIStatusError),
        (422, errors.UnprocessableEntityError),
        (429, errors.RateLimitError),
        (500, errors.ServerError),
        (599, errors.ServerError),
    ],
)
def test_status_table(status: int, cls: type[errors.APIStatusError]) -> None:
    assert type(_error(status, b"")) is cls


def test_snippet_masks_card_numbers_and_is_short() -> None:
    snippet = clean_snippet(b"card 4242424242424242 declined " + b"x" * 1000)
    assert "4242424242424242" not in snippet
    assert "424242******4242" in snippet
    assert len(snippet) <= 240


def test_card_numbers_are_masked_wherever_they_stand() -> None:
    assert mask_card_numbers("card4242424242424242x") == "card424242******4242x"
    assert mask_card_numbers("4000000000000000006") == "400000*********0006"  # 19 digits
    # Luhn-invalid: an order number, not a card number (issue 10), so it stays whole.
    assert mask_card_numbers("4000000000000000002") == "4000000000000000002"
    assert mask_card_numbers("order 123456789012") == "order 123456789012"  # 12: not a card
    assert mask_card_numbers("id 12345678901234567890") == "id 12345678901234567890"  # 20


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("1") == 1.0
    assert parse_retry_after(" 2.5 ") == 2.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(date, now=now) == pytest.approx(30.0)
    assert _error(429, b"", {"Retry-After": "7"}).retry_after == 7.0


def test_generated_idempotency_keys_are_unique_and_short() -> None:
    keys = {new_idempotency_key() for _ in range(1000)}  # several reads of random bytes
    assert len(keys) == 1000
    assert all(re.fullmatch(r"plx_[0-9a-f]{32}", k) for k in keys)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_child_never_repeats_its_parents_keys() -> None:
    new_idempotency_key()  # the parent now holds keys read ahead
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads
        pid = os.fork()
    if pid == 0:  # the child: report its next keys, and leave without running pytest's exit
        os.write(write, " ".join(new_idempotency_key() for _ in range(5)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = set(pipe.read().split())
    os.waitpid(pid, 0)
    parent = {new_idempotency_key() for _ in range(300)}
    assert len(child) == 5
    assert child.isdisjoint(parent)


@pytest.mark.parametrize("bad", ["", "x" * 256, "tab\tkey", "newline\n", "ключ", "nul\x00"])
def test_bad_idempotency_keys_are_rejected(bad: str) -> None:
    with pytest.raises(errors.InvalidRequestError):
        validate_idempotency_key(bad)


def test_good_idempotency_key_is_kept() -> None:
    assert validate_idempotency_key("order_12345_payment") == "order_12345_payment"
    assert validate_idempotency_key("k" * 255) == "k" * 255


def test_auth_header_per_surface() -> None:
    checkout = auth_header(Surface.CHECKOUT, "sk_1")
    pay = auth_header(Surface.PAY, "sk_1")
    assert checkout["x-api-key"] == "sk_1"
    assert "Authorization" not in checkout
    assert pay["Authorization"] == "sk_1"  # the raw key, no "Bearer"
    assert "x-api-key" not in pay
