"""Every model's own validation raises ``InvalidRequestError`` (a ``PlexyError`` and a
``ValueError``) naming the field, what it expects and what it got; nothing is sent."""

from __future__ import annotations

import ast
import importlib
import inspect
import math
import pkgutil
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import plexy_async.models
from plexy_async import Amount, CardDetails, PlexyClient, errors
from plexy_async._core.converter import structure
from plexy_async.models import APIResponse, PaymentResponse
from plexy_async.models.beneficiaries import (
    BeneficiaryStatus,
    CreateBeneficiaryRequest,
    ManualSettlementRequest,
    TransferToMerchantRequest,
    UpdateBeneficiaryRequest,
)
from plexy_async.models.checkout import (
    CreateSessionRequest,
    PaymentMethodsRequest,
    PaymentRequest,
)
from plexy_async.models.customers import CreateCustomerRequest
from plexy_async.models.direct_payments import CardData, DirectPaymentRequest
from plexy_async.models.payment_links import CreatePaymentLinkRequest
from plexy_async.models.payment_management import RefundPaymentRequest
from plexy_async.models.payouts import PayoutRequest, SaveCardRequest
from plexy_async.models.recurring import MerchantInitiatedPaymentRequest
from plexy_async.models.settlement_orders import CreateSettlementOrderRequest
from plexy_async.models.split_requests import CreateSplitRequest, SplitShare, UpdateSplitRequest
from plexy_async.testing import MockPlexy

MODELS_DIR = Path(plexy_async.models.__file__).parent
VISA = "4242424242424242"
KZT = Amount(1000, "KZT")
SHARE = SplitShare(beneficiary_id="ben_1", amount=100)
CARD_DATA = CardData(number=VISA, expiry_month="03", expiry_year="2030")

#: A valid set of arguments for every model that checks something in its ``__init__``.
VALID: dict[type, dict[str, Any]] = {
    Amount: {"value": 1000, "currency": "KZT"},
    CardDetails: {"number": VISA},
    PaymentMethodsRequest: {"merchant_account": "M", "amount": KZT},
    PaymentRequest: {
        "amount": KZT,
        "reference": "o-1",
        "merchant_account": "M",
        "payment_method": CardDetails(number=VISA),
    },
    CreateSessionRequest: {
        "amount": KZT,
        "merchant_account": "M",
        "reference": "o-1",
        "return_url": "https://shop.example/return",
    },
    CreateBeneficiaryRequest: {"name": "Seller", "iban": "KZ00123", "currency": "KZT"},
    UpdateBeneficiaryRequest: {"status": "inactive"},
    TransferToMerchantRequest: {"amount": 100, "currency": "KZT"},
    ManualSettlementRequest: {"amount": 100, "currency": "KZT"},
    CreateCustomerRequest: {"name": "A Shopper"},
    CardData: {"number": VISA, "expiry_month": "03", "expiry_year": "2030"},
    DirectPaymentRequest: {"amount": 100, "currency": "KZT", "card": CARD_DATA},
    CreatePaymentLinkRequest: {"amount": 100, "currency": "KZT"},
    RefundPaymentRequest: {"amount": 100},
    SaveCardRequest: {"card_number": VISA, "expiry_month": "03", "expiry_year": "2030"},
    PayoutRequest: {"amount": 100, "currency": "KZT", "card_token_id": "ct_1"},
    MerchantInitiatedPaymentRequest: {
        "parent_transaction_id": "txn_1",
        "amount": 100,
        "currency": "KZT",
    },
    CreateSettlementOrderRequest: {"beneficiary_id": "ben_1", "amount": 100, "currency": "KZT"},
    SplitShare: {"beneficiary_id": "ben_1", "amount": 100},
    CreateSplitRequest: {"amount": 1000, "currency": "KZT", "shares": [SHARE]},
    UpdateSplitRequest: {"description": "new"},
}

_NOT_A_NUMBER = ["100", b"100", None, [100], object()]
_NOT_A_CODE = ["XYZ", "QQQ", "BGN", "kzt", "Kzt", "KZ", "KZTT", "", "KZT\n", "ÄÖÜ", 398, True]

#: Bad values for each kind of check (a validator, or a converter), by its name.
BAD: dict[str, list[Any]] = {
    "_check_value": [-1, -(10**20), 1.5, 100.0, True, False, *_NOT_A_NUMBER],
    "_check_currency": ["kzt", "KZ", "KZTT", "", "KZT\n", "ÄÖÜ", 398, None, b"KZT"],
    "minor_units": [0, -5, 1.5, math.nan, True, False, *_NOT_A_NUMBER],
    "optional_minor_units": [0, -5, 1.5, True, "100"],
    "currency_code": [*_NOT_A_CODE, None],
    "optional_currency_code": _NOT_A_CODE,
    "amount_to_send": [Amount(100, "XYZ"), {"value": 100, "currency": "KZT"}, 100, None],
    "optional_amount_to_send": [Amount(100, "XYZ"), {"value": 100, "currency": "KZT"}, 100],
    "non_empty": ["", "   ", None, 4242, b"x"],
    "instance_of.<locals>.check": [{"number": VISA}, None, "card"],
    "_check_percentage": [0, -1, 100.5, math.nan, math.inf, True, "50"],
    "_status": [5, True, b"inactive"],
}


def _checked_models() -> list[type]:
    found = []
    for info in pkgutil.iter_modules([str(MODELS_DIR)]):
        module = importlib.import_module(f"plexy_async.models.{info.name}")
        for cls in vars(module).values():
            if not (inspect.isclass(cls) and attrs.has(cls) and cls.__module__ == module.__name__):
                continue
            fields = attrs.fields(cls)
            if any(a.validator or a.converter for a in fields) or hasattr(
                cls, "__attrs_post_init__"
            ):
                found.append(cls)
    return found


def _cases() -> list[tuple[type, str, Any]]:
    cases = []
    for cls in VALID:
        for a in attrs.fields(cls):
            check = a.validator or a.converter
            if check is not None:
                cases += [(cls, a.name, bad) for bad in BAD[check.__qualname__]]  # type: ignore[union-attr]
    return cases


def test_every_model_that_checks_is_covered_here() -> None:
    assert set(_checked_models()) == set(VALID)
    assert not any(issubclass(cls, APIResponse) for cls in VALID)  # responses check nothing
    for cls, kwargs in VALID.items():
        cls(**kwargs)  # the valid arguments are valid


@pytest.mark.parametrize(
    ("cls", "field", "bad"),
    _cases(),
    ids=lambda v: v.__name__ if isinstance(v, type) else repr(v)[:20],
)
def test_a_bad_value_raises_invalid_request_error_naming_the_field(
    cls: type, field: str, bad: Any
) -> None:
    with pytest.raises(errors.InvalidRequestError) as caught:
        cls(**{**VALID[cls], field: bad})
    error = caught.value
    assert isinstance(error, ValueError) and isinstance(error, errors.PlexyError)
    assert field in str(error) and "got" in str(error), str(error)
    assert error.__cause__ is None


# --- Amount -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "currency", "says"),
    [
        (-5, "KZT", "Amount.value must not be negative, got -5"),
        (
            1.5,
            "KZT",
            "Amount.value must be an int in minor units (10000 = 100.00 KZT), got float 1.5",
        ),
        (True, "KZT", "got bool True"),
        (False, "KZT", "got bool False"),
        ("100", "KZT", "got str '100'"),
        (None, "KZT", "got NoneType"),
        (100, "kzt", "Amount.currency must be an ISO 4217 currency code such as 'KZT' (upper"),
        (100, "KZ", "(three upper-case letters), got 'KZ'"),
        (100, "KZTT", "got 'KZTT'"),
        (100, 398, "got int"),
        (100, None, "got NoneType"),
    ],
)
def test_amount_refuses_with_the_librarys_own_error(value: Any, currency: Any, says: str) -> None:
    with pytest.raises(errors.InvalidRequestError) as caught:
        Amount(value, currency)
    assert says in str(caught.value)
    with pytest.raises(ValueError, match="Amount"):  # ``except ValueError`` still catches it
        Amount(value, currency)


@settings(max_examples=200)
@given(st.integers(min_value=0), st.sampled_from(["KZT", "JPY", "KWD", "XYZ"]))
def test_amount_takes_any_non_negative_int_of_a_well_formed_code(value: int, code: str) -> None:
    amount = Amount(value, code)
    assert (amount.value, amount.currency) == (value, code)


@settings(max_examples=200)
@given(st.one_of(st.integers(max_value=-1), st.floats(), st.booleans(), st.text(), st.none()))
def test_amount_refuses_every_value_that_is_no_non_negative_int(value: Any) -> None:
    with pytest.raises(errors.InvalidRequestError, match=r"Amount\.value"):
        Amount(value, "KZT")


# --- checks across fields ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "says"),
    [
        (lambda: CardDetails(), "exactly one of number or encrypted_card_number"),
        (
            lambda: CardDetails(number=VISA, encrypted_card_number="enc"),
            "exactly one of number or encrypted_card_number",
        ),
        (lambda: SplitShare(beneficiary_id="b"), "give exactly one of amount or percentage"),
        (lambda: SplitShare(beneficiary_id="b", amount=1, percentage=5), "exactly one"),
        (lambda: CreateSplitRequest(amount=100, currency="KZT", shares=[]), "at least one"),
        (
            lambda: CreateSplitRequest(amount=100, currency="KZT", shares=[SHARE, SHARE]),
            "one share per beneficiary",
        ),
        (
            lambda: CreateSplitRequest(
                amount=100,
                currency="KZT",
                shares=[
                    SplitShare(beneficiary_id="a", percentage=60),
                    SplitShare(beneficiary_id="b", percentage=50),
                ],
            ),
            "percentages add up to 110 %",
        ),
        (
            lambda: CreateSplitRequest(amount=50, currency="KZT", shares=[SHARE]),
            "shares add up to 100, more than the amount 50",
        ),
        (
            lambda: CreateSplitRequest(amount=100, currency="KZT", shares="ben_1"),  # type: ignore[arg-type]
            "shares must be a list of SplitShare, got str",
        ),
        (
            lambda: CreateSplitRequest(amount=100, currency="KZT", shares=[{"amount": 1}]),  # type: ignore[list-item]
            "got a dict in it",
        ),
        (lambda: UpdateSplitRequest(shares=[]), "at least one"),
        (lambda: UpdateSplitRequest(), "nothing to update"),
        (lambda: UpdateBeneficiaryRequest(), "nothing to update"),
    ],
)
def test_checks_across_fields_raise_invalid_request_error(build: Any, says: str) -> None:
    with pytest.raises(errors.InvalidRequestError, match=says) as caught:
        build()
    assert isinstance(caught.value, ValueError)


def test_a_tuple_of_shares_is_fine_and_a_status_string_becomes_the_enum() -> None:
    assert CreateSplitRequest(amount=100, currency="KZT", shares=(SHARE,)).shares == (SHARE,)  # type: ignore[arg-type]
    assert UpdateBeneficiaryRequest(status="inactive").status is BeneficiaryStatus.INACTIVE


# --- the kind: no model raises anything but InvalidRequestError ---------------------------------


def test_no_model_module_raises_a_foreign_error_or_uses_attrs_own_checks() -> None:
    """attrs' ``validators`` raise ``TypeError``/``ValueError`` and its converters let a
    constructor's error through: a model uses neither, and raises only ``InvalidRequestError``."""
    for path in sorted(MODELS_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and node.exc is not None:
                raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                assert isinstance(raised, ast.Name) and raised.id == "InvalidRequestError", (
                    f"{path.name}:{node.lineno} raises {ast.unparse(node.exc)}"
                )
            if isinstance(node, ast.Attribute) and node.attr in ("validators", "converters"):
                raise AssertionError(f"{path.name}:{node.lineno} uses attrs.{node.attr}")


# --- nothing is sent; responses still parse -----------------------------------------------------


async def test_a_refused_value_never_reaches_the_server(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    calls = [
        lambda: client.direct_payments.create(amount=1.5, currency="KZT", card=CARD_DATA),  # type: ignore[arg-type]
        lambda: client.direct_payments.create(amount=-5, currency="KZT", card=CARD_DATA),
        lambda: client.payment_links.create(amount=100, currency="kzt"),
        lambda: client.payouts.process(amount=100, currency="XYZ", card_token_id="ct_1"),
        lambda: client.split_requests.create(amount=100, currency="KZT", shares=[]),
        lambda: client.payments.create(
            amount=Amount(100, "XYZ"),
            reference="o-1",
            merchant_account="M",
            payment_method=CardDetails(number=VISA),
        ),
    ]
    for call in calls:
        with pytest.raises(errors.InvalidRequestError):
            await call()
    assert mock_plexy.ledger.requests == []


@pytest.mark.parametrize(
    ("amount", "says"),
    [
        ({"value": -1, "currency": "KZT"}, "must not be negative"),
        ({"value": True, "currency": "KZT"}, "expected int, got bool"),
        ({"value": 1, "currency": "kzt"}, "upper case"),
    ],
)
def test_a_model_check_failing_on_a_response_is_a_response_validation_error(
    amount: dict[str, Any], says: str
) -> None:
    with pytest.raises(errors.ResponseValidationError, match=says) as caught:
        structure({"resultCode": "Authorised", "amount": amount}, PaymentResponse)
    assert "amount" in str(caught.value)
    assert not isinstance(caught.value, errors.InvalidRequestError)
