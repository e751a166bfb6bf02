"""Checkout v2 (Adyen-style) requests and responses.

Plain attrs values with snake_case fields: every wire name and format lives in
``plexy_async._core.converter``. Response fields are optional with defaults wherever the API could
leave them out, so a missing or new field never breaks parsing; enums keep unknown values.

The classes are frozen but not slotted (``slots=False``): attrs' ``__init__`` of a dict class is
about a quarter faster, and building responses is on every call's hot path.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias

import attrs

from plexy_async.errors import InvalidRequestError
from plexy_async.models._money import amount_to_send, optional_amount_to_send
from plexy_async.models.common import Amount, APIResponse, OpenStrEnum, card_number_repr


class ResultCode(OpenStrEnum):
    """Outcome of a payment; a decline is ``REFUSED`` (data, not an exception)."""

    AUTHORISED = "Authorised"
    REFUSED = "Refused"
    PENDING = "Pending"
    RECEIVED = "Received"
    ERROR = "Error"
    CANCELLED = "Cancelled"
    REDIRECT_SHOPPER = "RedirectShopper"
    IDENTIFY_SHOPPER = "IdentifyShopper"
    CHALLENGE_SHOPPER = "ChallengeShopper"
    PRESENT_TO_SHOPPER = "PresentToShopper"
    PARTIALLY_AUTHORISED = "PartiallyAuthorised"
    AUTHENTICATION_FINISHED = "AuthenticationFinished"
    AUTHENTICATION_NOT_REQUIRED = "AuthenticationNotRequired"
    SUCCESS = "Success"


class SessionStatus(OpenStrEnum):
    """State of a checkout session."""

    ACTIVE = "active"
    CANCELED = "canceled"
    COMPLETED = "completed"
    EXPIRED = "expired"
    PAYMENT_PENDING = "paymentPending"
    REFUSED = "refused"


# --- request side -------------------------------------------------------------------------------


def _redacted(value: str | None) -> str:
    return "None" if value is None else "'<redacted>'"


def _keys_only(data: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{key!r}: ..." for key in data) + "}"


@attrs.frozen(kw_only=True, slots=False)
class CardDetails:
    """Card data, either raw (``number``...) or encrypted (``encrypted_card_number``...).

    ``repr()`` shows the number as first 6 / last 4 and never the CVC; the wire gets real values.
    """

    type: str = "scheme"
    number: str | None = attrs.field(default=None, repr=card_number_repr)
    expiry_month: str | None = None
    expiry_year: str | None = None
    cvc: str | None = attrs.field(default=None, repr=False)
    holder_name: str | None = None
    encrypted_card_number: str | None = attrs.field(default=None, repr=_redacted)
    encrypted_expiry_month: str | None = attrs.field(default=None, repr=_redacted)
    encrypted_expiry_year: str | None = attrs.field(default=None, repr=_redacted)
    encrypted_security_code: str | None = attrs.field(default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        if (self.number is None) == (self.encrypted_card_number is None):
            raise InvalidRequestError(
                "CardDetails needs exactly one of number or encrypted_card_number"
            )


@attrs.frozen(kw_only=True, slots=False)
class StoredPaymentMethodDetails:
    """Pay with a stored card (token) from an earlier payment."""

    type: str = "scheme"
    stored_payment_method_id: str


@attrs.frozen(kw_only=True, slots=False)
class PaymentMethodDetails:
    """Any other payment method: sent as ``{"type": type, **data}``; ``repr()`` shows keys only."""

    type: str
    data: dict[str, Any] = attrs.field(factory=dict, repr=_keys_only)


PaymentMethodInput: TypeAlias = CardDetails | StoredPaymentMethodDetails | PaymentMethodDetails


@attrs.frozen(kw_only=True, slots=False)
class BrowserInfo:
    """The shopper's browser, needed for 3-D Secure 2 in a web channel."""

    user_agent: str
    accept_header: str
    language: str
    color_depth: int
    screen_height: int
    screen_width: int
    time_zone_offset: int
    java_enabled: bool
    java_script_enabled: bool | None = None


@attrs.frozen(kw_only=True, slots=False)
class LineItem:
    """One line of an order (amounts in minor units)."""

    id: str | None = None
    description: str | None = None
    quantity: int | None = None
    amount_including_tax: int | None = None
    amount_excluding_tax: int | None = None
    tax_amount: int | None = None
    tax_percentage: int | None = None


@attrs.frozen(kw_only=True, slots=False)
class PaymentMethodsRequest:
    """``POST /paymentMethods``: the methods available for a shopper and amount."""

    merchant_account: str
    amount: Amount | None = attrs.field(default=None, validator=optional_amount_to_send)
    country_code: str | None = None
    channel: str | None = None
    shopper_locale: str | None = None
    shopper_reference: str | None = None
    allowed_payment_methods: list[str] | None = None
    blocked_payment_methods: list[str] | None = None


@attrs.frozen(kw_only=True, slots=False)
class PaymentRequest:
    """``POST /payments``: start a payment."""

    amount: Amount = attrs.field(validator=amount_to_send)
    reference: str
    merchant_account: str
    payment_method: PaymentMethodInput
    return_url: str | None = None
    channel: str | None = None  # Web, iOS, Android
    origin: str | None = None
    country_code: str | None = None
    shopper_locale: str | None = None
    shopper_reference: str | None = None
    shopper_email: str | None = None
    shopper_ip: str | None = None
    shopper_interaction: str | None = None  # Ecommerce, ContAuth, Moto, POS
    recurring_processing_model: str | None = None  # CardOnFile, Subscription, Unscheduled...
    store_payment_method: bool | None = None
    browser_info: BrowserInfo | None = None
    three_ds2_request_data: dict[str, Any] | None = None
    capture_delay_hours: int | None = None
    line_items: list[LineItem] | None = None
    additional_data: dict[str, str] | None = None
    metadata: dict[str, str] | None = None


@attrs.frozen(kw_only=True, slots=False)
class PaymentDetailsRequest:
    """``POST /payments/details``: the result of a redirect or 3-D Secure step."""

    details: dict[str, Any]
    payment_data: str | None = None
    three_ds_authentication_only: bool | None = None


@attrs.frozen(kw_only=True, slots=False)
class CreateSessionRequest:
    """``POST /sessions``: create a checkout session."""

    amount: Amount = attrs.field(validator=amount_to_send)
    merchant_account: str
    reference: str
    return_url: str
    channel: str | None = None
    country_code: str | None = None
    shopper_locale: str | None = None
    shopper_reference: str | None = None
    shopper_email: str | None = None
    expires_at: datetime | None = None
    mode: str | None = None  # embedded, hosted
    recurring_processing_model: str | None = None
    store_payment_method_mode: str | None = None  # askForConsent, disabled, enabled
    line_items: list[LineItem] | None = None
    metadata: dict[str, str] | None = None


# --- response side ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True, slots=False)
class PaymentMethodIssuer:
    """An issuer (bank) of a payment method such as iDEAL."""

    id: str
    name: str | None = None
    disabled: bool = False


@attrs.frozen(kw_only=True, slots=False)
class PaymentMethod:
    """A payment method available to the shopper."""

    type: str
    name: str | None = None
    brand: str | None = None
    brands: list[str] = attrs.field(factory=list)
    configuration: dict[str, Any] | None = None
    issuers: list[PaymentMethodIssuer] = attrs.field(factory=list)


@attrs.frozen(kw_only=True, slots=False)
class StoredPaymentMethod:
    """A payment method stored for a shopper; pay with it via ``StoredPaymentMethodDetails``."""

    id: str
    type: str | None = None
    name: str | None = None
    brand: str | None = None
    last_four: str | None = None
    expiry_month: str | None = None
    expiry_year: str | None = None
    holder_name: str | None = None
    shopper_email: str | None = None
    network_tx_reference: str | None = None
    supported_shopper_interactions: list[str] = attrs.field(factory=list)
    supported_recurring_processing_models: list[str] = attrs.field(factory=list)


@attrs.frozen(kw_only=True, slots=False)
class PaymentMethodsResponse(APIResponse):
    """Response of ``POST /paymentMethods``."""

    payment_methods: list[PaymentMethod] = attrs.field(factory=list)
    stored_payment_methods: list[StoredPaymentMethod] = attrs.field(factory=list)


@attrs.frozen(kw_only=True, slots=False)
class PaymentMethodSummary:
    """The method a payment used."""

    type: str | None = None
    brand: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class RedirectAction:
    """Send the shopper to ``url`` (with ``data`` as form fields when ``method`` is POST)."""

    type: str = "redirect"
    url: str | None = None
    method: str | None = None
    data: dict[str, Any] | None = None
    payment_method_type: str | None = None
    payment_data: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class ThreeDS2Action:
    """Run a 3-D Secure 2 fingerprint or challenge (``subtype``) with ``token``."""

    type: str = "threeDS2"
    subtype: str | None = None
    token: str | None = None
    authorisation_token: str | None = None
    url: str | None = None
    payment_method_type: str | None = None
    payment_data: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class AwaitAction:
    """Wait for the shopper to finish in another app; the result arrives by webhook."""

    type: str = "await"
    url: str | None = None
    payment_method_type: str | None = None
    payment_data: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class QrCodeAction:
    """Show ``qr_code_data`` as a QR code."""

    type: str = "qrCode"
    qr_code_data: str | None = None
    url: str | None = None
    payment_method_type: str | None = None
    payment_data: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class SdkAction:
    """Hand ``sdk_data`` to the payment method's own SDK."""

    type: str = "sdk"
    sdk_data: dict[str, Any] | None = None
    payment_method_type: str | None = None
    payment_data: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class VoucherAction:
    """Show a voucher the shopper pays offline."""

    type: str = "voucher"
    reference: str | None = None
    expires_at: datetime | None = None
    total_amount: Amount | None = None
    merchant_name: str | None = None
    download_url: str | None = None
    instructions_url: str | None = None
    payment_method_type: str | None = None
    payment_data: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class UnknownAction:
    """An action type this library does not know yet; ``raw`` is the whole action object."""

    type: str
    raw: dict[str, Any] = attrs.field(factory=dict)


Action: TypeAlias = (
    RedirectAction
    | ThreeDS2Action
    | AwaitAction
    | QrCodeAction
    | SdkAction
    | VoucherAction
    | UnknownAction
)


@attrs.frozen(kw_only=True, slots=False)
class PaymentResponse(APIResponse):
    """Response of ``POST /payments`` and ``POST /payments/details``.

    A decline is data: check ``result_code`` (``ResultCode.REFUSED`` with ``refusal_reason``).
    When ``action`` is set, the shopper has to do something before the payment completes.
    """

    result_code: ResultCode
    psp_reference: str | None = None
    merchant_reference: str | None = None
    amount: Amount | None = None
    payment_method: PaymentMethodSummary | None = None
    action: Action | None = None
    refusal_reason: str | None = None
    refusal_reason_code: str | None = None
    payment_data: str | None = None
    donation_token: str | None = None
    fraud_result: dict[str, Any] | None = None
    additional_data: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True, slots=False)
class Session(APIResponse):
    """Response of ``POST /sessions``: hand ``id`` and ``session_data`` to the front end."""

    id: str
    session_data: str | None = None
    expires_at: datetime | None = None
    amount: Amount | None = None
    merchant_account: str | None = None
    merchant_id: str | None = None
    reference: str | None = None
    return_url: str | None = None
    url: str | None = None
    mode: str | None = None
    channel: str | None = None
    country_code: str | None = None
    shopper_locale: str | None = None
    shopper_reference: str | None = None
    shopper_email: str | None = None
    recurring_processing_model: str | None = None
    store_payment_method_mode: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class SessionPayment:
    """A payment made in a session."""

    psp_reference: str | None = None
    result_code: ResultCode | None = None
    amount: Amount | None = None
    payment_method: PaymentMethodSummary | None = None


@attrs.frozen(kw_only=True, slots=False)
class SessionResult(APIResponse):
    """Response of ``GET /sessions/{id}?sessionResult=...``."""

    id: str
    status: SessionStatus
    reference: str | None = None
    payments: list[SessionPayment] = attrs.field(factory=list)
    additional_data: dict[str, str] = attrs.field(factory=dict)
