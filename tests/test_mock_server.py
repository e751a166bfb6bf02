"""The bundled mock Plexy server, exercised with a raw aiohttp client over loopback."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from plexy_async.testing import Charge, Fault, MockLimits, MockPlexy, RequestRecord
from plexy_async.testing._ledger import Claim, IdempotencyStore, StoredResponse

pytest_plugins = ["plexy_async.testing.pytest_plugin"]

KEY = "sk_test_mock"
CHECKOUT = {"x-api-key": KEY}
PSP = re.compile(r"^[A-Z0-9]{16}$")
REQ_ID = re.compile(r"^req_[0-9a-f]+$")


@pytest.fixture
async def mock() -> AsyncIterator[MockPlexy]:
    async with MockPlexy(api_key=KEY) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def payment(
    card: str = "4242424242424242", reference: str = "order-1", **extra: Any
) -> dict[str, Any]:
    method = {"type": "scheme", "number": card, "expiryMonth": "03", "expiryYear": "2030"}
    method.update(extra.pop("method", {}))
    body = {
        "amount": {"currency": "KZT", "value": 10000},
        "reference": reference,
        "merchantAccount": "TestMerchant",
        "paymentMethod": method,
    }
    body.update(extra)
    return body


class Reply:
    def __init__(self, status: int, headers: Any, raw: bytes) -> None:
        self.status, self.headers, self.raw = status, headers, raw

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


async def call(
    http: aiohttp.ClientSession,
    mock: MockPlexy,
    path: str,
    body: Any = None,
    *,
    method: str = "POST",
    key: str | None = None,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> Reply:
    all_headers = dict(CHECKOUT if headers is None else headers)
    if key is not None:
        all_headers["Idempotency-Key"] = key
    async with http.request(
        method, mock.url + path, json=body, headers=all_headers, allow_redirects=False, **kwargs
    ) as resp:
        return Reply(resp.status, resp.headers, await resp.read())


async def until(condition: Callable[[], bool], within: float = 2.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.005)


# --- auth, routing, request ids ------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "sk_wrong"}, {"Authorization": KEY}])
async def test_checkout_rejects_missing_or_wrong_key(
    mock: MockPlexy, http: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    reply = await call(http, mock, "/v2/payments", payment(), headers=headers)
    assert reply.status == 401
    error = reply.json["error"]
    assert error["type"] == "authentication_error"
    assert error["code"] == "api_key_invalid"
    assert error["request_id"] == reply.headers["X-Request-Id"]
    assert REQ_ID.match(error["request_id"])
    assert mock.ledger.charges == []


async def test_checkout_accepts_key_and_sends_request_id(
    mock: MockPlexy, http: aiohttp.ClientSession
) -> None:
    reply = await call(http, mock, "/v2/payments", payment())
    assert reply.status == 200
    assert REQ_ID.match(reply.headers["X-Request-Id"])
    (record,) = mock.ledger.requests
    assert record.request_id == reply.headers["X-Request-Id"]


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "sk_wrong"}, {"Authorization": f"Bearer {KEY}"}, CHECKOUT]
)
async def test_pay_api_rejects_missing_or_wrong_key(
    mock: MockPlexy, http: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    reply = await call(http, mock, "/v1/payment-links", {}, headers=headers)
    assert reply.status == 401
    assert reply.json == {
        "code": 2,
        "message": "unauthorized",
        "source": "auth",
        "type": "apiError",
    }
    assert REQ_ID.match(reply.headers["X-Request-Id"])


async def test_unknown_routes_answer_404_in_each_surface_shape(
    mock: MockPlexy, http: aiohttp.ClientSession
) -> None:
    pay = await call(http, mock, "/v1/nothing-here", {}, headers={"Authorization": KEY})
    assert pay.status == 404
    assert pay.json["code"] == 4
    assert pay.json["message"] == "not found"
    checkout = await call(http, mock, "/v2/nothing-here", {})
    assert checkout.status == 404
    assert checkout.json["error"]["code"] == "resource_missing"
    assert checkout.json["error"]["request_id"] == checkout.headers["X-Request-Id"]
    wrong_method = await call(http, mock, "/v2/payments", method="GET")
    assert wrong_method.status == 405
    assert wrong_method.json["error"]["code"] == "method_not_allowed"


async def test_payment_methods_requires_merchant_account(
    mock: MockPlexy, http: aiohttp.ClientSession
) -> None:
    missing = await call(http, mock, "/v2/paymentMethods", {"countryCode": "KZ"})
    assert missing.status == 400
    assert missing.json["error"]["param"] == "merchantAccount"
    ok = await call(http, mock, "/v2/paymentMethods", {"merchantAccount": "TestMerchant"})
    assert ok.status == 200
    cards = ok.json["paymentMethods"][0]
    assert cards == {"name": "Cards", "type": "scheme", "brands": ["visa", "mc", "amex"]}
    assert len(ok.json["paymentMethods"]) >= 3
    assert ok.json["storedPaymentMethods"] == []


# --- payments and test cards ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("card", "brand"),
    [
        ("4242424242424242", "visa"),
        ("5555555555554444", "mc"),
        ("378282246310005", "amex"),
        ("4111111111111111", "visa"),  # any other Luhn-valid number
    ],
)
async def test_authorised_cards_commit_one_charge(
    mock: MockPlexy, http: aiohttp.ClientSession, card: str, brand: str
) -> None:
    reply = await call(http, mock, "/v2/payments", payment(card), key="k-1")
    assert reply.status == 200
    body = reply.json
    assert body["resultCode"] == "Authorised"
    assert PSP.match(body["pspReference"])
    assert body["amount"] == {"currency": "KZT", "value": 10000}
    assert body["merchantReference"] == "order-1"
    assert body["paymentMethod"] == {"type": "scheme", "brand": brand}
    assert all(isinstance(v, str) for v in body["additionalData"].values())
    assert body["additionalData"]["cardSummary"] == card[-4:]
    assert mock.ledger.charges == [
        Charge(body["pspReference"], "k-1", "order-1", 10000, "KZT", card[-4:])
    ]
    assert card not in repr(mock.ledger)


@pytest.mark.parametrize(
    ("card", "reason", "code"),
    [
        ("4000000000000002", "Refused", "2"),
        ("4000000000009995", "Not enough balance", "12"),
        ("4000000000009987", "Blocked Card", "5"),
        ("4000000000009979", "Blocked Card", "5"),
        ("4000000000000069", "Expired Card", "6"),
        ("4000000000000127", "CVC Declined", "24"),
        ("4000000000000119", "Acquirer Error", "4"),
    ],
)
async def test_decline_cards_are_refused_without_charge(
    mock: MockPlexy, http: aiohttp.ClientSession, card: str, reason: str, code: str
) -> None:
    reply = await call(http, mock, "/v2/payments", payment(card))
    assert reply.status == 200
    assert reply.json["resultCode"] == "Refused"
    assert reply.json["refusalReason"] == reason
    assert reply.json["refusalReasonCode"] == code
    assert mock.ledger.charges == []


async def test_cvc_000_is_declined(mock: MockPlexy, http: aiohttp.ClientSession) -> None:
    reply = await call(http, mock, "/v2/payments", payment(method={"cvc": "000"}))
    assert reply.json["resultCode"] == "Refused"
    assert reply.json["refusalReason"] == "CVC Declined"
    assert reply.json["refusalReasonCode"] == "24"
    assert mock.ledger.charges == []


async def test_luhn_invalid_number_is_422(mock: MockPlexy, http: aiohttp.ClientSession) -> None:
    reply = await call(http, mock, "/v2/payments", payment("4242424242424241"))
    assert reply.status == 422
    error = reply.json["error"]
    assert error["code"] == "parameter_invalid"
    assert error["param"] == "paymentMethod.number"
    assert mock.ledger.charges == []


@pytest.mark.parametrize("field", ["amount", "reference", "merchantAccount", "paymentMethod"])
async def test_missing_required_parameter_is_400(
    mock: MockPlexy, http: aiohttp.ClientSession, field: str
) -> None:
    body = payment()
    del body[field]
    reply = await call(http, mock, "/v2/payments", body)
    assert reply.status == 400
    assert reply.json["error"] == {
        "type": "invalid_request_error",
        "code": "parameter_missing",
        "message": f"Missing required parameter: {field}",
        "param": field,
        "request_id": reply.headers["X-Request-Id"],
    }


@pytest.mark.parametrize(
    ("amount", "param"),
    [
        ({"currency": "KZT", "value": 0}, "amount.value"),
        ({"currency": "KZT", "value": "100"}, "amount.value"),
        ({"currency": "KZTX", "value": 100}, "amount.currency"),
    ],
)
async def test_invalid_amount_is_422(
    mock: MockPlexy, http: aiohttp.ClientSession, amount: dict[str, Any], param: str
) -> None:
    reply = await call(http, mock, "/v2/payments", payment(amount=amount))
    assert reply.status == 422
    assert reply.json["error"]["param"] == param


async def test_three_ds_flow_charges_on_details(
    mock: MockPlexy, http: aiohttp.ClientSession
) -> None:
    start = await call(http, mock, "/v2/payments", payment("4000002500003155"), key="k-3ds")
    assert start.json["resultCode"] == "RedirectShopper"
    psp = start.json["pspReference"]
    action = start.json["action"]
    token = mock.redirect_result_for(psp)
    assert action["type"] == "redirect"
    assert action["method"] == "GET"
    assert action["paymentMethodType"] == "scheme"
    assert action["url"] == f"{mock.url}/checkoutshopper/3ds?redirectResult={token}"
    assert action["paymentData"]
    assert mock.ledger.charges == []

    page = await call(http, mock, action["url"][len(mock.url) :], method="GET", headers={})
    assert page.status == 200

    done = await call(http, mock, "/v2/payments/details", {"details": {"redirectResult": token}})
    assert done.status == 200
    assert done.json["resultCode"] == "Authorised"
    assert done.json["pspReference"] == psp
    assert [c.psp_reference for c in mock.ledger.charges] == [psp]

    again = await call(http, mock, "/v2/payments/details", {"details": {"redirectResult": token}})
    assert again.status == 422
    assert len(mock.ledger.charges) == 1


async def test_details_validation(mock: MockPlexy, http: aiohttp.ClientSession) -> None:
    missing = await call(http, mock, "/v2/payments/details", {"paymentData": "x"})
    assert missing.status == 400
    assert missing.json["error"]["param"] == "details"
    unknown = await call(http, mock, "/v2/payments/details", {"details": {"redirectResult": "no"}})
    assert unknown.status == 422
    assert unknown.json["error"]["code"] == "parameter_invalid"


# --- sessions -----------------------------------------------------------------------------


def session_body(**extra: Any) -> dict[str, Any]:
    return {
        "amount": {"currency": "KZT", "value": 5000},
        "merchantAccount": "TestMerchant",
        "reference": "order-s1",
        "returnUrl": "https://shop.example/return",
        **extra,
    }


async def test_session_create_result_and_complete(
    mock: MockPlexy, http: aiohttp.ClientSession
) -> None:
    created = await call(
        http, mock, "/v2/sessions", session_body(countryCode="KZ", shopperLocale="ru-KZ")
    )
    assert created.status == 201
    session = created.json
    assert re.match(r"^CS[0-9A-F]+$", session["id"])
    expires = datetime.strptime(session["expiresAt"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(expires - (datetime.now(UTC) + timedelta(hours=1))) < timedelta(seconds=5)
    assert session["mode"] == "embedded"
    assert session["sessionData"]
    assert session["url"].startswith(mock.url)
    assert session["countryCode"] == "KZ"
    assert session["shopperLocale"] == "ru-KZ"
    assert session["returnUrl"] == "https://shop.example/return"
    assert session["amount"] == {"currency": "KZT", "value": 5000}

    path = f"/v2/sessions/{session['id']}"
    active = await call(http, mock, path + "?sessionResult=abc", method="GET")
    assert active.json == {
        "id": session["id"],
        "status": "active",
        "reference": "order-s1",
        "payments": [],
        "additionalData": {},
    }
    psp = mock.complete_session(session["id"])
    completed = await call(http, mock, path + "?sessionResult=abc", method="GET")
    assert completed.json["status"] == "completed"
    assert completed.json["payments"] == [
        {
            "amount": {"currency": "KZT", "value": 5000},
            "paymentMethod": {"type": "scheme", "brand": "visa"},
            "pspReference": psp,
            "resultCode": "Authorised",
        }
    ]
    assert mock.ledger.charges_for("order-s1") == [
        Charge(psp, None, "order-s1", 5000, "KZT", "4242")
    ]


async def test_session_validation(mock: MockPlexy, http: aiohttp.ClientSession) -> None:
    body = session_body()
    del body["returnUrl"]
    missing = await call(http, mock, "/v2/sessions", body)
    assert missing.status == 400
    assert missing.json["error"]["param"] == "returnUrl"
    no_result = await call(http, mock, "/v2/sessions/CS00", method="GET")
    assert no_result.status == 400
    assert no_result.json["error"]["param"] == "sessionResult"
    unknown = await call(http, mock, "/v2/sessions/CS00?sessionResult=x", method="GET")
    assert unknown.status == 404
    assert unknown.json["error"]["code"] == "resource_missing"


# --- idempotency --------------------------------------------------------------------------


async def test_same_key_same_body_replays_without_new_charge(
    mock: MockPlexy, http: aiohttp.ClientSession
) -> None:
    first = await call(http, mock, "/v2/payments", payment(), key="idem-1")
    second = await call(http, mock, "/v2/payments", payment(), key="idem-1")
    assert second.status == first.status == 200
    assert second.raw == first.raw
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(mock.ledger.charges) == 1
    assert [r.replayed for r in mock.ledger.requests] == [False, True]


async def test_same_key_different_body_is_409(mock: MockPlexy, http: aiohttp.ClientSession) -> None:
    await call(http, mock, "/v2/payments", payment(), key="idem-2")
    other = await call(http, mock, "/v2/payments", payment(reference="order-2"), key="idem-2")
    assert other.status == 409
    assert other.json["error"]["type"] == "idempotency_error"
    assert other.json["error"]["code"] == "idempotency_key_in_use"
    assert len(mock.ledger.charges) == 1


async def test_keys_are_scoped_per_route(mock: MockPlexy, http: aiohttp.ClientSession) -> None:
    await call(http, mock, "/v2/payments", payment(), key="idem-3")
    session = await call(http, mock, "/v2/sessions", session_body(), key="idem-3")
    assert session.status == 201


async def test_errors_are_not_stored(mock: MockPlexy, http: aiohttp.ClientSession) -> None:
    bad = await call(http, mock, "/v2/payments", payment("4242424242424241"), key="idem-4")
    assert bad.status == 422
    good = await call(http, mock, "/v2/payments", payment(), key="idem-4")
    assert good.status == 200
    assert len(mock.ledger.charges) == 1


async def test_key_in_flight_is_409(mock: MockPlexy, http: aiohttp.ClientSession) -> None:
    mock.faults.add("POST", "/v2/payments", Fault.delay(0.3))
    slow = asyncio.create_task(call(http, mock, "/v2/payments", payment(), key="idem-5"))
    await until(lambda: mock.ledger.in_flight == 1)
    clash = await call(http, mock, "/v2/payments", payment(), key="idem-5")
    assert clash.status == 409
    assert clash.json["error"]["code"] == "idempotency_key_in_flight"
    first = await slow
    assert first.status == 200
    replay = await call(http, mock, "/v2/payments", payment(), key="idem-5")
    assert replay.raw == first.raw
    assert len(mock.ledger.charges) == 1


# --- faults -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "content_type", "check"),
    [
        ("checkout", "application/json", lambda b: json.loads(b)["error"]["type"] == "api_error"),
        ("pay", "application/json", lambda b: json.loads(b)["code"] == 1),
        ("problem", "application/problem+json", lambda b: json.loads(b)["status"] == 503),
        ("adyen", "application/json", lambda b: PSP.match(json.loads(b)["pspReference"])),
        ("message", "application/json", lambda b: "message" in json.loads(b)),
        ("html", "text/html", lambda b: b"<h1>503 Service Unavailable</h1>" in b),
        ("text", "text/plain", lambda b: b.startswith(b"503")),
        ("empty", None, lambda b: b == b""),
    ],
)
async def test_status_fault_shapes(
    mock: MockPlexy,
    http: aiohttp.ClientSession,
    shape: str,
    content_type: str | None,
    check: Callable[[bytes], bool],
) -> None:
    mock.faults.add("POST", "/v2/payments", Fault.status(503, shape=shape, retry_after=2))
    reply = await call(http, mock, "/v2/payments", payment(), key="f-1")
    assert reply.status == 503
    assert reply.headers["Retry-After"] == "2"
    assert reply.headers.get("Content-Type", "").split(";")[0] == (content_type or "")
    assert check(reply.raw)
    assert mock.ledger.charges == []
    (record,) = mock.ledger.requests
    assert (record.status, record.fault, record.idempotency_key) == (503, "status", "f-1")


async def test_status_fault_extras(mock: MockPlexy, http: aiohttp.ClientSession) -> None:
    date = "Wed, 21 Oct 2026 07:28:00 GMT"
    mock.faults.add(
        "POST", "/v2/payments", Fault.status(429, retry_after=date, headers={"X-Extra": "1"})
    )
    reply = await call(http, mock, "/v2/payments", payment())
    assert reply.status == 429
    assert reply.headers["Retry-After"] == date
    assert reply.headers["X-Extra"] == "1"
    assert reply.json["error"]["request_id"] == reply.headers["X-Request-Id"]
    problem = Fault.status(422, shape="problem")
    mock.faults.add("POST", "/v2/payments", problem)
    reply = await call(http, mock, "/v2/payments", payment())
    assert reply.json["errors"]
    assert "errors_metadata" in reply.json


async def test_status_fault_is_not_stored_for_idempotency(
    mock: MockPlexy, http: aiohttp.ClientSession
) -> None:
    mock.faults.add("POST", "/v2/payments", Fault.status(500))
    assert (await call(http, mock, "/v2/payments", payment(), key="f-2")).status == 500
    assert (await call(http, mock, "/v2/payments", payment(), key="f-2")).status == 200
    assert len(mock.ledger.charges) == 1


async def test_delay_then_handles(mock: MockPlexy, http: aiohttp.ClientSession) -> None:
    mock.faults.add("POST", "/v2/payments", Fault.delay(0.15))
    started = time.monotonic()
    reply = await call(http, mock, "/v2/payments", payment())
    assert time.monotonic() - started >= 0.15
    assert reply.status == 200
    assert len(mock.ledger.charges) == 1
    assert mock.ledger.requests[0].fault == "delay"


async def test_hung_server_client_timeout_ends_cleanly(
    mock: MockPlexy, http: aiohttp.ClientSession
) -> None:
    mock.faults.add("POST", "/v2/payments", Fault.delay(3600))
    with pytest.raises(asyncio.TimeoutError):
        await call(http, mock, "/v2/payments", payment(), timeout=aiohttp.ClientTimeout(total=0.1))
    (record,) = mock.ledger.requests
    await until(lambda: record.ended is not None)
    assert record.status is None
    assert mock.ledger.in_flight == 0
    assert mock.ledger.charges == []


async def test_close_ends_hung_requests(http: aiohttp.ClientSession) -> None:
    mock = await MockPlexy(api_key=KEY).start()
    try:
        mock.faults.add("POST", "/v2/payments", Fault.delay(3600))
        pending = asyncio.create_task(call(http, mock, "/v2/payments", payment()))
        await until(lambda: mock.ledger.in_flight == 1)
    finally:
        started = time.monotonic()
        await mock.close()
    assert time.monotonic() - started < 1.5
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await pending
    assert mock.ledger.charges == []
    assert mock.ledger.requests[0].status is None


async def test_drop_before(mock: MockPlexy, http: aiohttp.ClientSession) -> None:
    mock.faults.add("POST", "/v2/payments", Fault.drop_before())
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await call(http, mock, "/v2/payments", payment(), key="d-1")
    assert mock.ledger.charges == []
    retry = await call(http, mock, "/v2/payments", payment(), key="d-1")
    assert retry.status == 200
    assert "Idempotent-Replayed" not in retry.headers
    assert len(mock.ledger.charges) == 1
    first, second = mock.ledger.requests
    assert (first.status, first.fault) == (None, "drop_before")
    assert (second.status, second.fault) == (200, None)


async def test_drop_after_commit_then_retry_replays(
    mock: MockPlexy, http: aiohttp.ClientSession
) -> None:
    mock.faults.add("POST", "/v2/payments", Fault.drop_after_commit())
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await call(http, mock, "/v2/payments", payment(), key="d-2")
    assert len(mock.ledger.charges) == 1
    retry = await call(http, mock, "/v2/payments", payment(), key="d-2")
    assert retry.status == 200
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json["pspReference"] == mock.ledger.charges[0].psp_reference
    assert len(mock.ledger.charges) == 1
    records = mock.ledger.requests_to("POST", "/v2/payments")
    assert [(r.status, r.fault, r.idempotency_key) for r in records] == [
        (None, "drop_after_commit", "d-2"),
        (200, None, "d-2"),
    ]


async def test_truncated_body(mock: MockPlexy, http: aiohttp.ClientSession) -> None:
    mock.faults.add("POST", "/v2/payments", Fault.truncated())
    async with http.post(mock.url + "/v2/payments", json=payment(), headers=CHECKOUT) as resp:
        assert resp.status == 200
        assert resp.content_length is not None
        with pytest.raises(aiohttp.ClientPayloadError):
            await resp.read()
    assert len(mock.ledger.charges) == 1
    (record,) = mock.ledger.requests
    assert (record.status, record.fault) == (200, "truncated")


async def test_redirect(mock: MockPlexy, http: aiohttp.ClientSession) -> None:
    mock.faults.add("POST", "/v2/payments", Fault.redirect("https://evil.example/steal", 307))
    reply = await call(http, mock, "/v2/payments", payment())
    assert reply.status == 307
    assert reply.headers["Location"] == "https://evil.example/steal"
    assert mock.ledger.charges == []


async def test_invalid_json(mock: MockPlexy, http: aiohttp.ClientSession) -> None:
    mock.faults.add("POST", "/v2/payments", Fault.invalid_json())
    reply = await call(http, mock, "/v2/payments", payment())
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError, match=r"Unterminated|Expecting"):
        json.loads(reply.raw)
    assert mock.ledger.charges == []


async def test_oversize(mock: MockPlexy, http: aiohttp.ClientSession) -> None:
    mock.faults.add("POST", "/v2/payments", Fault.oversize(2_000_000))
    reply = await call(http, mock, "/v2/payments", payment())
    assert reply.status == 200
    assert abs(len(reply.raw) - 2_000_000) < 100
    assert isinstance(reply.json, dict)
    assert mock.ledger.charges == []


async def test_fault_times_and_after(mock: MockPlexy, http: aiohttp.ClientSession) -> None:
    mock.faults.add("POST", "/v2/payments", Fault.status(503), times=2, after=1)
    mock.faults.add("POST", "/v2/payments", Fault.status(502))
    mock.faults.add("POST", "/v2/paymentMethods", Fault.status(500))  # another route
    statuses = [(await call(http, mock, "/v2/payments", payment())).status for _ in range(5)]
    assert statuses == [200, 503, 503, 502, 200]
    assert mock.faults.pending() == 1
    assert [r.fault for r in mock.ledger.requests] == [None, "status", "status", "status", None]


async def test_fault_forever_and_clear_and_route_pattern(
    mock: MockPlexy, http: aiohttp.ClientSession
) -> None:
    mock.faults.add("GET", "/v2/sessions/{session_id}", Fault.status(504), times=None)
    for _ in range(3):
        reply = await call(http, mock, "/v2/sessions/CS1?sessionResult=x", method="GET")
        assert reply.status == 504
    mock.faults.clear()
    reply = await call(http, mock, "/v2/sessions/CS1?sessionResult=x", method="GET")
    assert reply.status == 404


def test_fault_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="shape"):
        Fault.status(503, shape="xml")
    with pytest.raises(ValueError, match="redirect"):
        Fault.redirect("/x", status=200)
    with pytest.raises(ValueError, match="times"):
        MockPlexy().faults.add("POST", "/v2/payments", Fault.drop_before(), times=0)
    assert Fault.status(503) == Fault.status(503)


# --- ledger -------------------------------------------------------------------------------


async def test_peak_in_flight(mock: MockPlexy, http: aiohttp.ClientSession) -> None:
    mock.faults.add("POST", "/v2/payments", Fault.delay(0.2), times=5)
    replies = await asyncio.gather(
        *(call(http, mock, "/v2/payments", payment(reference=f"o-{i}")) for i in range(5))
    )
    assert [r.status for r in replies] == [200] * 5
    assert mock.ledger.peak_in_flight == 5
    assert mock.ledger.in_flight == 0
    assert all(isinstance(r, RequestRecord) and r.duration for r in mock.ledger.requests)


async def test_ledger_helpers_and_reset(mock: MockPlexy, http: aiohttp.ClientSession) -> None:
    await call(http, mock, "/v2/payments", payment(reference="a"))
    await call(http, mock, "/v2/payments", payment(reference="b"))
    await call(http, mock, "/v2/paymentMethods", {"merchantAccount": "m"})
    assert [c.reference for c in mock.ledger.charges_for("a")] == ["a"]
    assert len(mock.ledger.requests_to("post", "/v2/payments")) == 2
    assert len(mock.ledger.requests_to("POST", "/v2/paymentMethods")) == 1
    mock.ledger.reset()
    assert mock.ledger.charges == []
    assert mock.ledger.requests == []
    assert mock.ledger.peak_in_flight == 0


async def test_pytest_plugin_fixture(mock_plexy: MockPlexy) -> None:
    assert re.match(r"^http://127\.0\.0\.1:\d+$", mock_plexy.url)
    assert mock_plexy.api_key == "sk_test_mock"
    async with aiohttp.ClientSession() as http:
        reply = await call(http, mock_plexy, "/v2/payments", payment())
    assert reply.status == 200


async def test_explicit_start_close_and_url_before_start() -> None:
    mock = MockPlexy(api_key="k", port=0)
    with pytest.raises(RuntimeError):
        _ = mock.url
    await mock.start()
    try:
        assert mock.port != 0
        assert mock.url == f"http://127.0.0.1:{mock.port}"
    finally:
        await mock.close()
    await mock.close()  # idempotent


def test_testing_package_does_not_import_pytest() -> None:
    code = "import sys, plexy_async.testing; assert 'pytest' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# --- bounds, fault specs, the mock's own routes (issue 13) ----------------------------------

PAY = {"Authorization": KEY}


def direct_payment(card: str = "4242424242424242") -> dict[str, Any]:
    return {
        "amount": 1000,
        "currency": "KZT",
        "card": {"number": card, "expiryMonth": "03", "expiryYear": "2030", "cvc": "737"},
    }


def test_unbounded_by_default_and_limits_are_checked() -> None:
    mock = MockPlexy()
    assert mock.limits == MockLimits()
    assert (mock.idempotency.ttl, mock.idempotency.max_records) == (None, None)
    assert (mock.ledger.max_charges, mock.ledger.max_requests) == (None, None)
    with pytest.raises(ValueError, match="max_charges must be >= 1"):
        MockLimits(max_charges=0)
    with pytest.raises(ValueError, match="idempotency_ttl must be > 0"):
        MockLimits(idempotency_ttl=-1.0)
    with pytest.raises(ValueError, match="idempotency_ttl"):
        MockLimits(idempotency_ttl=float("nan"))
    with pytest.raises(TypeError, match="max_objects must be an int"):
        MockLimits(max_objects=1.5)  # type: ignore[arg-type]
    cli = MockLimits.for_cli()
    assert cli.idempotency_ttl == 86_400  # Plexy keeps keys 24 hours (shared/API.md)
    assert None not in (cli.max_idempotency_records, cli.max_charges, cli.max_objects)


def test_idempotency_store_expires_after_ttl_and_evicts_least_recently_used() -> None:
    now = [0.0]
    store = IdempotencyStore(ttl=10.0, max_records=2, clock=lambda: now[0])
    ok = StoredResponse(200, b'{"ok": 1}', "application/json")

    def put(key: str, body: Any) -> None:
        assert store.claim((key, "POST", "/v2/payments"), body) == (Claim.PROCEED, None)
        store.store((key, "POST", "/v2/payments"), ok)

    put("a", {"x": 1})
    assert store.claim(("a", "POST", "/v2/payments"), {"x": 1}) == (Claim.REPLAY, ok)
    assert store.claim(("a", "POST", "/v2/payments"), {"x": 2}) == (Claim.IN_USE, None)
    assert store.claim(("a", "POST", "/v2/sessions"), {"x": 1})[0] is Claim.PROCEED  # per route
    store.release(("a", "POST", "/v2/sessions"))
    now[0] = 9.9
    assert store.claim(("a", "POST", "/v2/payments"), {"x": 1})[0] is Claim.REPLAY
    now[0] = 10.0
    assert store.claim(("a", "POST", "/v2/payments"), {"x": 1})[0] is Claim.PROCEED  # expired
    assert store.expired == 1
    store.store(("a", "POST", "/v2/payments"), ok)
    put("b", {"x": 1})
    assert store.claim(("a", "POST", "/v2/payments"), {"x": 1})[0] is Claim.REPLAY  # a: recent
    put("c", {"x": 1})  # evicts b
    assert store.evicted == 1 and len(store) == 2
    assert store.claim(("b", "POST", "/v2/payments"), {"x": 1})[0] is Claim.PROCEED


def test_idempotency_store_never_drops_requests_in_flight() -> None:
    store = IdempotencyStore(max_records=1, ttl=0.001)
    scope = ("slow", "POST", "/v2/payments")
    assert store.claim(scope, b"body")[0] is Claim.PROCEED
    for i in range(5):
        other = (f"k{i}", "POST", "/v2/payments")
        assert store.claim(other, b"body")[0] is Claim.PROCEED
        store.store(other, StoredResponse(200, b"{}", None))
    assert store.claim(scope, b"body")[0] is Claim.IN_FLIGHT
    assert store.claim(scope, b"other")[0] is Claim.IN_USE


async def test_same_json_spaced_or_ordered_otherwise_replays(
    mock: MockPlexy, http: aiohttp.ClientSession
) -> None:
    body = payment()
    first = await call(http, mock, "/v2/payments", body, key="idem-json")
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=3).encode()
    headers = {**CHECKOUT, "Idempotency-Key": "idem-json", "Content-Type": "application/json"}
    async with http.post(mock.url + "/v2/payments", data=reordered, headers=headers) as resp:
        assert resp.headers["Idempotent-Replayed"] == "true"
        assert await resp.read() == first.raw
    assert len(mock.ledger.charges) == 1 and mock.ledger.replays == 1


async def test_bounded_ledger_keeps_latest_and_counts_all(http: aiohttp.ClientSession) -> None:
    limits = MockLimits(max_charges=8, max_requests=4)
    async with MockPlexy(api_key=KEY, limits=limits) as mock:
        for i in range(30):
            await call(http, mock, "/v2/payments", payment(reference=f"o-{i}"), key=f"k-{i}")
        assert (mock.ledger.total_charges, mock.ledger.total_requests) == (30, 30)
        assert 8 <= len(mock.ledger.charges) <= 9 and len(mock.ledger.requests) <= 4
        assert mock.ledger.charges[-1].reference == "o-29"
        assert [c.reference for c in mock.ledger.charges] == [
            f"o-{i}" for i in range(30 - len(mock.ledger.charges), 30)
        ]
        mock.reset()
        assert (mock.ledger.total_charges, mock.ledger.total_requests) == (0, 0)


async def test_bounded_stores_drop_the_oldest_three_ds_payments_and_transactions(
    http: aiohttp.ClientSession,
) -> None:
    async with MockPlexy(api_key=KEY, limits=MockLimits(max_objects=2)) as mock:
        psps = []
        for i in range(3):
            reply = await call(http, mock, "/v2/payments", payment("4000002500003155", f"3ds-{i}"))
            psps.append(reply.json["pspReference"])
        old_token = reply.json["action"]["url"].partition("redirectResult=")[2]
        assert old_token == mock.redirect_result_for(psps[2])
        with pytest.raises(KeyError):
            mock.redirect_result_for(psps[0])
        done = await call(http, mock, "/v2/payments/details", {"details": {"redirectResult":
                                                                          old_token}})  # fmt: skip
        assert done.status == 200 and done.json["pspReference"] == psps[2]

        ids = []
        for _ in range(3):
            reply = await call(http, mock, "/v1/payments/direct", direct_payment(), headers=PAY)
            assert reply.status == 200, reply.json
            ids.append(reply.json["id"])
        assert list(mock.pay.transactions) == ids[1:] == list(mock.pay.history)
        gone = await call(http, mock, f"/v1/transactions/{ids[0]}", method="GET", headers=PAY)
        assert gone.status == 404
        assert len(mock.ledger.charges) == 4  # charges are the ledger's, bounded on their own


async def test_fault_spec_counts_across_money_routes_in_each_surface_shape(
    mock: MockPlexy, http: aiohttp.ClientSession
) -> None:
    spec = mock.add_fault_spec("503:2")
    assert (spec.kind, spec.count, spec.rate) == ("503", 2, None)
    pay = await call(http, mock, "/v1/payments/direct", direct_payment(), key="p1", headers=PAY)
    assert (pay.status, pay.json["code"]) == (503, 1)  # the Pay API's error shape
    methods = await call(http, mock, "/v2/paymentMethods", {"merchantAccount": "M"})
    assert methods.status == 200  # not a money-moving route: untouched
    checkout = await call(http, mock, "/v2/payments", payment(), key="c1")
    assert (checkout.status, checkout.json["error"]["type"]) == (503, "api_error")
    assert (await call(http, mock, "/v2/payments", payment(), key="c1")).status == 200
    assert mock.ledger.fault_counts == {"503": 2}
    assert [r.fault for r in mock.ledger.requests] == ["status", None, "status", None]
    assert mock.faults.pending() == 0


async def test_rate_faults_follow_their_seed(mock: MockPlexy, http: aiohttp.ClientSession) -> None:
    import random

    mock.add_fault_spec("500:0.5", rng=random.Random(42))
    statuses = [
        (await call(http, mock, "/v2/payments", payment(reference=f"r-{i}"))).status
        for i in range(16)
    ]
    draws = random.Random(42)
    assert statuses == [500 if draws.random() < 0.5 else 200 for _ in range(16)]
    assert 0 < statuses.count(500) < 16
    assert mock.ledger.fault_counts == {"500": statuses.count(500)}


async def test_admin_routes_need_the_key_and_are_not_recorded(
    mock: MockPlexy, http: aiohttp.ClientSession
) -> None:
    await call(http, mock, "/v2/payments", payment(), key="adm-1")
    for headers in ({}, {"x-api-key": "nope"}):
        reply = await call(http, mock, "/_mock/ledger", method="GET", headers=headers)
        assert reply.status == 401
    reply = await call(http, mock, "/_mock/ledger?requests=5", method="GET", headers=PAY)
    assert reply.status == 200
    charge = mock.ledger.charges[0]
    assert reply.json["charges"] == [
        {
            "reference": "order-1",
            "psp_reference": charge.psp_reference,
            "amount": {"value": 10000, "currency": "KZT"},
            "idempotency_key": "adm-1",
            "card_last4": "4242",
        }
    ]
    assert reply.json["counts"]["requests"] == 1
    assert [r["path"] for r in reply.json["requests"]] == ["/v2/payments"]
    assert len(mock.ledger.requests) == 1
    bad = await call(http, mock, "/_mock/ledger?requests=x", method="GET", headers=PAY)
    assert bad.status == 400
