"""The Checkout v2 surface (``/v2``): payment methods, payments, 3-D Secure details, sessions.

Test cards (shared/API.md) decide the outcome; any other Luhn-valid number authorises. Handlers
do their work synchronously once the body is read, so a payment is either fully committed (charge
and response) or not at all, whatever happens to the connection.
"""

from __future__ import annotations

import html
import json
import os
import random
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import attrs
from aiohttp import web

from plexy_async._core.routes import route
from plexy_async.models.currency import currency_problem, is_iso_currency

from ._cards import CVC_DECLINED, REFUSALS, THREE_DS_CARD, card_brand, valid_card_number
from ._error_bodies import checkout_error, json_response
from ._ledger import REQUEST_ID, Charge, State, new_psp_reference
from ._limits import capped

_PAYMENT_METHODS: Final = {
    "paymentMethods": [
        {"name": "Cards", "type": "scheme", "brands": ["visa", "mc", "amex"]},
        {"name": "Apple Pay", "type": "applepay", "brands": ["visa", "mc"]},
        {"name": "Kaspi.kz", "type": "kaspi"},
    ],
    "storedPaymentMethods": [],
}

# Optional /sessions request fields echoed in the response.
_SESSION_ECHO: Final = (
    "channel",
    "countryCode",
    "shopperLocale",
    "shopperReference",
    "shopperEmail",
    "merchantOrderReference",
    "recurringProcessingModel",
    "storePaymentMethodMode",
    "lineItems",
    "metadata",
)


class ApiError(Exception):
    """A Checkout v2 error answer, raised from validation."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        param: str | None = None,
        type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.type = type

    def response(self, request_id: str) -> web.Response:
        body = checkout_error(
            type=self.type,
            code=self.code,
            message=self.message,
            param=self.param,
            request_id=request_id,
        )
        return json_response(body, self.status)


def _missing(param: str) -> ApiError:
    return ApiError(400, "parameter_missing", f"Missing required parameter: {param}", param)


def _invalid(param: str, why: str) -> ApiError:
    return ApiError(422, "parameter_invalid", f"Invalid parameter {param}: {why}", param)


# --- validation --------------------------------------------------------------------------------


def _object(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "parameter_invalid", "The request body must be a JSON object")
    return body


def _str(body: dict[str, Any], name: str, prefix: str = "") -> str:
    value = body.get(name)
    if value is None:
        raise _missing(prefix + name)
    if not isinstance(value, str) or not value:
        raise _invalid(prefix + name, "must be a non-empty string")
    return value


def _amount(body: dict[str, Any]) -> dict[str, Any]:
    amount = body.get("amount")
    if amount is None:
        raise _missing("amount")
    if not isinstance(amount, dict):
        raise _invalid("amount", "must be an object with value and currency")
    value, currency = amount.get("value"), amount.get("currency")
    if value is None:
        raise _missing("amount.value")
    if currency is None:
        raise _missing("amount.currency")
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _invalid("amount.value", "must be a positive integer in minor units")
    if not is_iso_currency(currency):  # the client's own rule (models.currency): "kzt" is not
        raise ApiError(422, "parameter_invalid", currency_problem("amount.currency", currency),
                       "amount.currency")  # fmt: skip
    return {"currency": currency, "value": value}


@attrs.frozen
class _Card:
    number: str
    cvc: str | None
    expiry: str | None  # "3/2030"

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def brand(self) -> str:
        return card_brand(self.number)


def _card(method: dict[str, Any]) -> _Card:
    number = method.get("number")
    if number is None:
        raise _missing("paymentMethod.number")
    if not isinstance(number, str):
        raise _invalid("paymentMethod.number", "must be a string")
    number = number.replace(" ", "")
    if not valid_card_number(number):
        raise _invalid("paymentMethod.number", "not a valid card number")
    cvc = method.get("cvc")
    if cvc is not None and not (isinstance(cvc, str) and cvc.isdigit() and 3 <= len(cvc) <= 4):
        raise _invalid("paymentMethod.cvc", "must be 3 or 4 digits")
    month, year = method.get("expiryMonth"), method.get("expiryYear")
    expiry = f"{str(month).lstrip('0')}/{year}" if month and year else None
    return _Card(number, cvc, expiry)


def _payment_method(body: dict[str, Any]) -> tuple[str, _Card | None]:
    method = body.get("paymentMethod")
    if method is None:
        raise _missing("paymentMethod")
    if not isinstance(method, dict):
        raise _invalid("paymentMethod", "must be an object")
    type_ = _str(method, "type", "paymentMethod.")
    return type_, _card(method) if type_ == "scheme" else None


# --- state -------------------------------------------------------------------------------------


@attrs.define(eq=False)
class _Pending3DS:
    psp_reference: str
    amount: dict[str, Any]
    reference: str
    card: _Card


@attrs.define(eq=False)
class _Session:
    id: str
    reference: str
    amount: dict[str, Any]
    expires_at: datetime
    status: str = "active"
    payments: list[dict[str, Any]] = attrs.field(factory=list)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _digits(n: int) -> str:
    return "".join(random.choices("0123456789", k=n))


class Checkout:
    """The Checkout v2 handlers and what they remember between calls."""

    def __init__(self, state: State) -> None:
        self._state = state
        cap = state.limits.max_objects  # None: unbounded; else the oldest go first
        self._pending: dict[str, _Pending3DS] = capped(cap)  # redirectResult token -> payment
        self._tokens: dict[str, str] = capped(cap)  # pspReference -> redirectResult token
        self._sessions: dict[str, _Session] = capped(cap)

    # --- helpers for tests ---

    def redirect_result_for(self, psp_reference: str) -> str:
        """The ``redirectResult`` the shopper's browser would bring back for a 3DS payment.

        Raises:
            KeyError: No 3-D Secure payment ``psp_reference`` (or, under
                ``MockLimits.max_objects``, it was dropped as one of the oldest).
        """
        return self._tokens[psp_reference]

    def complete_session(self, session_id: str, card: str = "4242424242424242") -> str:
        """Pay session ``session_id`` with ``card`` as a shopper would; returns the pspReference."""
        session = self._sessions[session_id]
        if session.status != "active":
            raise ValueError(f"session {session_id} is {session.status}, not active")
        paid = _card({"number": card})
        psp = new_psp_reference()
        refusal = REFUSALS.get(paid.number)
        result = "Refused" if refusal else "Authorised"
        session.payments.append(
            {
                "amount": session.amount,
                "paymentMethod": {"type": "scheme", "brand": paid.brand},
                "pspReference": psp,
                "resultCode": result,
            }
        )
        session.status = "refused" if refusal else "completed"
        if not refusal:
            self._charge(psp, None, session.reference, session.amount, paid.last4)
        return psp

    # --- handlers ---

    async def payment_methods(self, request: web.Request) -> web.Response:
        try:
            body = _object(await request.read())
            _str(body, "merchantAccount")
            if body.get("amount") is not None:  # optional here, checked as everywhere when given
                _amount(body)
        except ApiError as e:
            return e.response(request[REQUEST_ID])
        return json_response(_PAYMENT_METHODS)

    async def payments(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = _object(raw)
            amount = _amount(body)
            reference = _str(body, "reference")
            _str(body, "merchantAccount")
            method_type, card = _payment_method(body)
        except ApiError as e:
            return e.response(request[REQUEST_ID])
        psp = new_psp_reference()
        result: dict[str, Any] = {
            "pspReference": psp,
            "resultCode": "Authorised",
            "amount": amount,
            "merchantReference": reference,
            "paymentMethod": {"type": method_type},
        }
        if card is None:
            self._charge(psp, _key(request), reference, amount, None)
            result["additionalData"] = {"authCode": _digits(6)}
            return json_response(result)
        result["paymentMethod"]["brand"] = card.brand
        refusal = CVC_DECLINED if card.cvc == "000" else REFUSALS.get(card.number)
        if refusal is not None:
            result["resultCode"] = "Refused"
            result["refusalReason"], result["refusalReasonCode"], raw_reason = refusal
            result["additionalData"] = {"refusalReasonRaw": raw_reason, "cardSummary": card.last4}
        elif card.number == THREE_DS_CARD:
            result["resultCode"] = "RedirectShopper"
            result["action"] = self._redirect_action(psp, amount, reference, card)
        else:
            self._charge(psp, _key(request), reference, amount, card.last4)
            result["additionalData"] = _auth_data(card, body)
        return json_response(result)

    async def payment_details(self, request: web.Request) -> web.Response:
        try:
            body = _object(await request.read())
            details = body.get("details")
            if details is None:
                raise _missing("details")
            if not isinstance(details, dict):
                raise _invalid("details", "must be an object")
            token = _str(details, "redirectResult", "details.")
            pending = self._pending.pop(token, None)
            if pending is None:
                raise _invalid("details.redirectResult", "unknown or already used")
        except ApiError as e:
            return e.response(request[REQUEST_ID])
        card = pending.card
        self._charge(
            pending.psp_reference, _key(request), pending.reference, pending.amount, card.last4
        )
        return json_response(
            {
                "pspReference": pending.psp_reference,
                "resultCode": "Authorised",
                "amount": pending.amount,
                "merchantReference": pending.reference,
                "paymentMethod": {"type": "scheme", "brand": card.brand},
                "additionalData": {**_auth_data(card, {}), "threeDAuthenticated": "true"},
            }
        )

    async def create_session(self, request: web.Request) -> web.Response:
        try:
            body = _object(await request.read())
            amount = _amount(body)
            merchant = _str(body, "merchantAccount")
            reference = _str(body, "reference")
            return_url = _str(body, "returnUrl")
        except ApiError as e:
            return e.response(request[REQUEST_ID])
        session_id = "CS" + os.urandom(8).hex().upper()
        expires = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
        self._sessions[session_id] = _Session(session_id, reference, amount, expires)
        result: dict[str, Any] = {
            "id": session_id,
            "expiresAt": _iso(expires),
            "amount": amount,
            "merchantAccount": merchant,
            "reference": reference,
            "returnUrl": return_url,
            "mode": body.get("mode") if body.get("mode") in ("embedded", "hosted") else "embedded",
            "sessionData": "Ab02b4c0!" + os.urandom(24).hex(),
            "url": f"{self._state.base_url}/checkoutshopper/sessions/{session_id}",
        }
        result.update((k, body[k]) for k in _SESSION_ECHO if k in body)
        return json_response(result, 201)

    async def session_result(self, request: web.Request) -> web.Response:
        session_id = request.match_info["session_id"]
        try:
            if not request.query.get("sessionResult"):
                raise _missing("sessionResult")
            session = self._sessions.get(session_id)
            if session is None:
                raise ApiError(404, "resource_missing", f"No such session: {session_id}", "id")
        except ApiError as e:
            return e.response(request[REQUEST_ID])
        if session.status == "active" and session.expires_at <= datetime.now(UTC):
            session.status = "expired"
        return json_response(
            {
                "id": session.id,
                "status": session.status,
                "reference": session.reference,
                "payments": session.payments,
                "additionalData": {},
            }
        )

    async def three_ds_page(self, request: web.Request) -> web.Response:
        """The "issuer" page the shopper is redirected to (no auth: it is a browser page)."""
        token = html.escape(request.query.get("redirectResult", ""))
        return web.Response(
            text=f"<html><body><h1>3-D Secure (mock)</h1><p>{token}</p></body></html>",
            content_type="text/html",
        )

    # --- internals ---

    def _redirect_action(
        self, psp: str, amount: dict[str, Any], reference: str, card: _Card
    ) -> dict[str, Any]:
        token = "X3DS" + os.urandom(16).hex()
        self._pending[token] = _Pending3DS(psp, amount, reference, card)
        self._tokens[psp] = token
        return {
            "type": "redirect",
            "method": "GET",
            "paymentMethodType": "scheme",
            "url": f"{self._state.base_url}/checkoutshopper/3ds?redirectResult={token}",
            "paymentData": "Ab02b4c0!" + os.urandom(16).hex(),
        }

    def _charge(
        self,
        psp: str,
        key: str | None,
        reference: str,
        amount: dict[str, Any],
        last4: str | None,
    ) -> None:
        self._state.ledger.commit(
            Charge(psp, key, reference, amount["value"], amount["currency"], last4)
        )


def _key(request: web.Request) -> str | None:
    return request.headers.get("Idempotency-Key")


def _auth_data(card: _Card, body: dict[str, Any]) -> dict[str, str]:
    data = {
        "authCode": _digits(6),
        "cardSummary": card.last4,
        "networkTxReference": _digits(15),
    }
    if card.expiry:
        data["expiryDate"] = card.expiry
    model = body.get("recurringProcessingModel")
    if isinstance(model, str):
        data["recurringProcessingModel"] = model
    return data


def register(router: web.UrlDispatcher, state: State) -> Checkout:
    """Add the Checkout v2 routes (paths from the client's routes table) to ``router``."""
    checkout = Checkout(state)
    router.add_post(route("payment_methods.list").full_path, checkout.payment_methods)
    router.add_post(route("payments.create").full_path, checkout.payments)
    router.add_post(route("payments.details").full_path, checkout.payment_details)
    router.add_post(route("sessions.create").full_path, checkout.create_session)
    router.add_get(route("sessions.result").full_path, checkout.session_result)
    router.add_get("/checkoutshopper/3ds", checkout.three_ds_page)
    return checkout
