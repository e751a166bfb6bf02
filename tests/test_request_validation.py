"""Every argument of every service method is checked before anything is sent (issue 12).

Against the bundled mock over loopback: a value of the wrong type, anywhere in a request (a
field, a nested model's field, a list item, a dict value), raises ``InvalidRequestError`` naming
where it is, what was expected and what came; an unknown keyword names the closest parameter;
and the mock's ledger shows that no request reached it. The operations and their request models
come from the generator's metadata (``_signatures``), so a new operation is covered as it lands.
"""

from __future__ import annotations

import enum
import inspect
import string
import types
import typing
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import plexy_async.models as models
from plexy_async import Amount, CardDetails, PlexyClient, RequestOptions, Timeouts, errors
from plexy_async._core.routes import ROUTES
from plexy_async.models import (
    BeneficiaryStatus,
    BrowserInfo,
    LineItem,
    PaymentLinkMetadata,
    PaymentRequest,
    SplitShare,
    TransactionStatus,
    UpdateBeneficiaryRequest,
)
from plexy_async.models.checkout import PaymentMethodsRequest
from plexy_async.models.direct_payments import CardData
from plexy_async.models.payment_links import Recurring
from plexy_async.models.split_requests import CreateSplitRequest
from plexy_async.resources import _checks, _signatures
from plexy_async.resources._base import NoOtherKeywords, build
from plexy_async.testing import MockPlexy
from plexy_async.testing._pay import _beneficiaries

MODELS = _signatures.request_models()
OPERATIONS = {f"{a}.{m}": function for a, m, function in _signatures.operations()}
CARD = CardDetails(number="4242424242424242", expiry_month="03", expiry_year="2030", cvc="737")

# A valid argument for each required parameter, by its annotation (as the signature spells it).
SAMPLES: dict[str, Any] = {
    "str": "x",
    "int": 1000,
    "int | None": 1000,
    "Amount": Amount(10000, "KZT"),
    "PaymentMethodInput": CARD,
    "CardData": CardData(number="4242424242424242", expiry_month="03", expiry_year="2030"),
    "datetime": datetime(2030, 1, 1, tzinfo=UTC),
    "Sequence[SplitShare]": [SplitShare(beneficiary_id="ben_1", amount=100)],
    "dict[str, Any]": {"redirectResult": "x"},
}
BY_NAME: dict[str, Any] = {"currency": "KZT"}  # what a validator wants beyond the type


def parameters(route: str) -> list[inspect.Parameter]:
    """The method's parameters, ``self`` and ``**unexpected`` left out."""
    params = list(inspect.signature(OPERATIONS[route]).parameters.values())[1:]
    return [p for p in params if p.kind is not p.VAR_KEYWORD]


# An update needs something to change.
_CHANGES = {"beneficiaries.update": {"name": "x"}, "split_requests.update": {"description": "x"}}


def valid_arguments(route: str) -> dict[str, Any]:
    """The required arguments of an operation (and a change for an update), valid, all as
    keywords."""
    required = {
        p.name: BY_NAME.get(p.name, SAMPLES[p.annotation])
        for p in parameters(route)
        if p.default is p.empty
    }
    return {**required, **_CHANGES.get(route, {})}


def resolved(route: str) -> dict[str, Any]:
    return typing.get_type_hints(OPERATIONS[route])


async def call(client: PlexyClient, route: str, **arguments: Any) -> Any:
    """``plexy.<service>.<method>(**arguments)``, awaited when it is a coroutine."""
    attribute, _, name = route.partition(".")
    result = getattr(getattr(client, attribute), name)(**arguments)
    return await result if inspect.isawaitable(result) else result


async def refused(mock: MockPlexy, client: PlexyClient, route: str, **arguments: Any) -> str:
    """The message of the ``InvalidRequestError`` the call raises, before anything reached the
    mock; the error keeps no foreign cause."""
    with pytest.raises(errors.InvalidRequestError) as caught:
        await call(client, route, **arguments)
    assert mock.ledger.requests == [], "a request reached the server"
    assert isinstance(caught.value, ValueError)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or isinstance(
        caught.value.__context__, errors.PlexyError
    )
    return caught.value.message


def fits(tp: Any, value: Any) -> bool:
    """The test's own reading of the rules (``_checks`` docstring), to pick wrong values."""
    if tp is Any:
        return True
    if tp is type(None):
        return value is None
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Union or origin is types.UnionType:
        return any(fits(arg, value) for arg in args)
    if origin in (list, Sequence):
        return isinstance(value, (list, tuple)) and all(fits(args[0], item) for item in value)
    if origin is dict:
        return isinstance(value, dict) and all(
            fits(args[0], k) and fits(args[1], v) for k, v in value.items()
        )
    if tp is bool:
        return type(value) is bool
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return isinstance(value, str)
    return isinstance(value, tp)


def wrong_value(tp: Any) -> Any:
    """A value of a type ``tp`` refuses: an int where a str would do, else a str."""
    for candidate in (123, "x", object()):
        if not fits(tp, candidate):
            return candidate
    raise AssertionError(tp)


def got(value: Any) -> str:
    return "None" if value is None else type(value).__name__


# --- what the tests run over -------------------------------------------------------------------


def test_every_operation_is_covered() -> None:
    assert set(OPERATIONS) == set(ROUTES)
    requests = {
        cls
        for name in dir(models)
        if name.endswith("Request")
        for cls in [getattr(models, name)]
        if attrs.has(cls) and not issubclass(cls, models.APIResponse)
    }
    assert requests == set(MODELS.values()), "a request model no operation sends"


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_every_method_takes_only_what_it_lists(route: str) -> None:
    """Keyword-only parameters, and ``**unexpected: Unpack[NoOtherKeywords]`` for the rest."""
    signature = inspect.signature(OPERATIONS[route])
    (var_keyword,) = [p for p in signature.parameters.values() if p.kind is p.VAR_KEYWORD]
    assert var_keyword.name == "unexpected"
    assert var_keyword.annotation == "Unpack[NoOtherKeywords]"
    assert NoOtherKeywords.__annotations__ == {}
    for p in parameters(route):
        assert p.annotation is not p.empty and p.annotation != "Any", p.name


@pytest.mark.parametrize("route", sorted(MODELS))
def test_every_field_is_a_parameter_with_its_default(route: str) -> None:
    model = MODELS[route]
    params = {p.name: p for p in parameters(route)}
    hints = resolved(route)
    for field in attrs.fields(model):
        assert field.alias in params, f"{route} lacks {field.alias}"
        p = params[field.alias]
        assert p.kind is p.KEYWORD_ONLY
        if field.default is not attrs.NOTHING and (route, field.alias) != (
            "payments.refund",
            "amount",
        ):
            assert p.default == field.default, field.alias
        # The parameter's type takes what the field's does (Sequence for list, str for an enum).
        sample = SAMPLES.get(p.annotation) if p.default is p.empty else p.default
        assert fits(hints[field.alias], sample)


# --- a wrong type, anywhere --------------------------------------------------------------------


FIELDS = [
    (route, field.alias)
    for route, model in sorted(MODELS.items())
    for field in attrs.fields(model)
    if field.init
]


@pytest.mark.parametrize(("route", "field"), FIELDS, ids=[f"{r}.{f}" for r, f in FIELDS])
async def test_a_field_of_the_wrong_type_is_named(
    mock_plexy: MockPlexy, client: PlexyClient, route: str, field: str
) -> None:
    value = wrong_value(resolved(route)[field])
    message = await refused(mock_plexy, client, route, **{**valid_arguments(route), field: value})
    model = MODELS[route].__name__
    assert message.startswith(f"{model}.{field}: expected ")
    assert message.endswith(f", got {got(value)}")


PARAMS = [
    (route, p.name)
    for route in sorted(ROUTES)
    for p in parameters(route)
    if route not in MODELS or p.name not in attrs.fields_dict(MODELS[route])
]


@pytest.mark.parametrize(("route", "param"), PARAMS, ids=[f"{r}({p})" for r, p in PARAMS])
async def test_any_other_argument_of_the_wrong_type_is_named(
    mock_plexy: MockPlexy, client: PlexyClient, route: str, param: str
) -> None:
    """Path ids, ``options``, ``idempotency_key``, page sizes and list filters."""
    value = wrong_value(resolved(route)[param])
    message = await refused(mock_plexy, client, route, **{**valid_arguments(route), param: value})
    assert param in message


_WRONG = st.one_of(
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.text(max_size=6),
    st.binary(max_size=3),
    st.none(),
    st.builds(object),
    st.lists(st.one_of(st.integers(), st.text(max_size=3), st.none()), max_size=3),
    st.tuples(st.text(max_size=2)),
    st.dictionaries(st.text(max_size=3), st.one_of(st.integers(), st.text(max_size=3))),
    st.dictionaries(st.integers(), st.text(max_size=2), min_size=1, max_size=2),
    st.sampled_from(
        [
            Amount(100, "KZT"),
            CARD,
            LineItem(id="1"),
            datetime(2030, 1, 1),
            TransactionStatus.CHARGED,
            RequestOptions(),
            {"type": "scheme"},
        ]
    ),
    st.lists(st.sampled_from([LineItem(quantity="2"), {"id": "1"}, "x"]), min_size=1, max_size=2),
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=st.sampled_from(FIELDS), value=_WRONG)
async def test_any_wrong_value_of_any_field_is_refused(
    mock_plexy: MockPlexy, client: PlexyClient, case: tuple[str, str], value: Any
) -> None:
    route, field = case
    tp = resolved(route)[field]
    if fits(tp, value):  # the right type: what it means is the validators' business
        return
    message = await refused(mock_plexy, client, route, **{**valid_arguments(route), field: value})
    assert message.startswith(f"{MODELS[route].__name__}.{field}")
    assert ": expected " in message and ", got " in message
    assert mock_plexy.ledger.requests == []


P = "PaymentRequest"
NESTED = [
    ({"amount": "100"}, f"{P}.amount: expected Amount, got str"),
    ({"amount": 10000}, f"{P}.amount: expected Amount, got int"),
    ({"browser_info": {"user_agent": "x"}}, f"{P}.browser_info: expected BrowserInfo, got dict"),
    (
        {"payment_method": {"type": "scheme", "number": "4242424242424242"}},
        f"{P}.payment_method: expected CardDetails | StoredPaymentMethodDetails | "
        "PaymentMethodDetails, got dict",
    ),
    (
        {"payment_method": CardDetails(number=4242424242424242)},
        f"{P}.payment_method.number: expected str, got int",
    ),
    ({"line_items": "tea"}, f"{P}.line_items: expected list[LineItem], got str"),
    (
        {"line_items": [LineItem(id="1"), {"id": "2"}]},
        f"{P}.line_items[1]: expected LineItem, got dict",
    ),
    (
        {"line_items": [LineItem(quantity="2")]},
        f"{P}.line_items[0].quantity: expected int, got str",
    ),
    ({"metadata": {"order": 7}}, f"{P}.metadata['order']: expected str, got int"),
    ({"metadata": {7: "order"}}, f"{P}.metadata key '7': expected str, got int"),
    ({"capture_delay_hours": "soon"}, f"{P}.capture_delay_hours: expected int, got str"),
    ({"capture_delay_hours": True}, f"{P}.capture_delay_hours: expected int, got bool"),
    ({"store_payment_method": "true"}, f"{P}.store_payment_method: expected bool, got str"),
    ({"shopper_reference": 123}, f"{P}.shopper_reference: expected str, got int"),
    ({"reference": None}, f"{P}.reference: expected str, got None"),
    (
        {"three_ds2_request_data": ["x"]},
        f"{P}.three_ds2_request_data: expected dict[str, Any], got list",
    ),
]


@pytest.mark.parametrize(("arguments", "expected"), NESTED)
async def test_nested_values_are_named_by_their_path(
    mock_plexy: MockPlexy, client: PlexyClient, arguments: dict[str, Any], expected: str
) -> None:
    arguments = {**valid_arguments("payments.create"), **arguments}
    assert await refused(mock_plexy, client, "payments.create", **arguments) == expected


OTHERS = [
    (
        "payment_links.create",
        {"metadata": {"success_url": "https://x"}},
        "CreatePaymentLinkRequest.metadata: expected PaymentLinkMetadata, got dict",
    ),
    (
        "payment_links.create",
        {"recurring": Recurring(type="cof_initial", frequency="30")},
        "CreatePaymentLinkRequest.recurring.frequency: expected int, got str",
    ),
    (
        "payment_links.create",
        {"amount": 10.5},
        "CreatePaymentLinkRequest.amount: expected int, got float",
    ),
    (
        "direct_payments.create",
        {"card": CardData(number="4242424242424242", expiry_month=3, expiry_year="2030")},
        "DirectPaymentRequest.card.expiry_month: expected str, got int",
    ),
    (
        "direct_payments.create",
        {"card": {"number": "4242424242424242"}},
        "DirectPaymentRequest.card: expected CardData, got dict",
    ),
    (
        "split_requests.create",
        {"shares": [SplitShare(beneficiary_id="b", amount=1), "b:50%"]},
        "CreateSplitRequest.shares[1]: expected SplitShare, got str",
    ),
    (
        "split_requests.create",
        {"shares": {"b": 1}},
        "CreateSplitRequest.shares: expected list[SplitShare], got dict",
    ),
    (
        "beneficiaries.update",
        {"status": 0},
        "UpdateBeneficiaryRequest.status: expected BeneficiaryStatus | str, got int",
    ),
    (
        "payment_methods.list",
        {"amount": {"value": 100, "currency": "KZT"}},
        "PaymentMethodsRequest.amount: expected Amount, got dict",
    ),
    (
        "payment_methods.list",
        {"allowed_payment_methods": "scheme"},
        "PaymentMethodsRequest.allowed_payment_methods: expected list[str], got str",
    ),
    (
        "payment_links.list",
        {"status": 1},
        "PaymentLinksService.list(status): expected PaymentLinkStatus | str, got int",
    ),
    (
        "payment_links.statistics",
        {"created_from": "2025-01-01"},
        "PaymentLinksService.statistics(created_from): expected datetime, got str",
    ),
    (
        "customers.list",
        {"page_size": "50"},
        "CustomersService.list(page_size): expected int, got str",
    ),
    (
        "sessions.result",
        {"session_result": b"x"},
        "SessionsService.result(session_result): expected str, got bytes",
    ),
    (
        "transactions.retrieve",
        {"options": {"retry": None}},
        "TransactionsService.retrieve(options): expected RequestOptions, got dict",
    ),
    (
        "payments.create",
        {"options": {"retry": None}},
        "PaymentsService.create(options): expected RequestOptions, got dict",
    ),
]


@pytest.mark.parametrize(("route", "arguments", "expected"), OTHERS)
async def test_other_operations_name_the_value_too(
    mock_plexy: MockPlexy, client: PlexyClient, route: str, arguments: dict[str, Any], expected: str
) -> None:
    arguments = {**valid_arguments(route), **arguments}
    assert await refused(mock_plexy, client, route, **arguments) == expected


async def test_no_value_is_echoed(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    """The message names types, never values: a card number in the wrong place stays out."""
    message = await refused(
        mock_plexy, client, "payments.create", **valid_arguments("payments.create"),
        shopper_reference=4242424242424242, metadata={"pan": 4111111111111111},
    )  # fmt: skip
    assert "4242" not in message and "4111" not in message


# --- unknown keywords --------------------------------------------------------------------------

KEYWORDS = [(route, p.name) for route in sorted(ROUTES) for p in parameters(route)]


@pytest.mark.parametrize(("route", "keyword"), KEYWORDS, ids=[f"{r}({k})" for r, k in KEYWORDS])
async def test_a_misspelt_keyword_names_the_closest(
    mock_plexy: MockPlexy, client: PlexyClient, route: str, keyword: str
) -> None:
    misspelt = keyword[:-1]
    message = await refused(mock_plexy, client, route, **valid_arguments(route), **{misspelt: None})
    assert f"unexpected keyword argument {misspelt!r}; did you mean {keyword}?" in message


@pytest.mark.parametrize("route", sorted(ROUTES))
async def test_an_unrelated_keyword_lists_what_it_takes(
    mock_plexy: MockPlexy, client: PlexyClient, route: str
) -> None:
    message = await refused(mock_plexy, client, route, **valid_arguments(route), zzzz=1)
    assert "unexpected keyword argument 'zzzz'; it takes " in message
    assert all(p.name in message for p in parameters(route))


async def test_the_issues_example(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    arguments = {**valid_arguments("payments.create"), "shopper_refrence": "x"}
    assert await refused(mock_plexy, client, "payments.create", **arguments) == (
        "PaymentsService.create: unexpected keyword argument 'shopper_refrence'; "
        "did you mean shopper_reference?"
    )


async def test_each_unknown_keyword_is_named(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    arguments = {**valid_arguments("payouts.process"), "curency": "KZT", "descripton": "x"}
    message = await refused(mock_plexy, client, "payouts.process", **arguments)
    assert "'curency'; did you mean currency?" in message
    assert "'descripton'; did you mean description?" in message


# --- what is fine ------------------------------------------------------------------------------


async def test_the_accepted_forms_reach_the_server(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    """A tuple where the model holds a list, an enum's value for the enum, a str subclass."""
    seller = _beneficiaries.add_beneficiary(mock_plexy.pay, "Seller A")["id"]
    updated = await client.beneficiaries.update(seller, status="inactive")
    assert updated.status is BeneficiaryStatus.INACTIVE
    updated = await client.beneficiaries.update(seller, status=BeneficiaryStatus.ACTIVE)
    assert updated.status is BeneficiaryStatus.ACTIVE
    split = await client.split_requests.create(
        amount=1000, currency="KZT", shares=(SplitShare(beneficiary_id=seller, amount=100),)
    )
    assert [s.amount for s in split.shares] == [100]
    payment = await client.payments.create(
        **valid_arguments("payments.create"),
        line_items=(LineItem(id="1", quantity=2),),
        shopper_reference=TransactionStatus.CHARGED,  # a str subclass is a str
        browser_info=BrowserInfo(
            user_agent="x", accept_header="*/*", language="en", color_depth=24,
            screen_height=1, screen_width=1, time_zone_offset=0, java_enabled=False,
        ),
    )  # fmt: skip
    assert payment.psp_reference
    assert len(mock_plexy.ledger.requests) == 4


# --- build() and the precomputed checks --------------------------------------------------------


def test_build_checks_the_same_way() -> None:
    amount, reference = Amount(100, "KZT"), "order-1"
    ok = build(PaymentRequest, amount=amount, reference=reference, merchant_account="m",
               payment_method=CARD)  # fmt: skip
    assert ok.reference == reference and ok.shopper_reference is None
    with pytest.raises(errors.InvalidRequestError, match=r"did you mean shopper_reference\?"):
        build(PaymentRequest, amount=amount, reference=reference, merchant_account="m",
              payment_method=CARD, shopper_refrence="x")  # fmt: skip
    with pytest.raises(errors.InvalidRequestError) as caught:
        build(PaymentRequest, amount=amount, reference=1, merchant_account="m",
              payment_method=CARD)  # fmt: skip
    assert caught.value.message == "PaymentRequest.reference: expected str, got int"
    with pytest.raises(errors.InvalidRequestError) as caught:
        build(PaymentRequest, reference=reference)
    missing = "PaymentRequest: missing amount, merchant_account, payment_method"
    assert caught.value.message == missing
    assert build(PaymentMethodsRequest, merchant_account="m", allowed_payment_methods=("a",)) == (
        PaymentMethodsRequest(merchant_account="m", allowed_payment_methods=["a"])
    )


@pytest.mark.parametrize(
    ("cls", "fields", "match"),
    [
        (
            CreateSplitRequest,
            {"amount": 100, "currency": "KZT", "shares": []},
            "CreateSplitRequest: shares must not be empty",
        ),
        (UpdateBeneficiaryRequest, {}, "UpdateBeneficiaryRequest: nothing to update"),
        (UpdateBeneficiaryRequest, {"status": "gone"}, None),
    ],
)
def test_a_validators_refusal_is_ours(cls: type, fields: dict[str, Any], match: str | None) -> None:
    if match is None:  # an open enum keeps a value it does not know
        assert build(cls, **fields).status.value == "gone"
        return
    with pytest.raises(errors.InvalidRequestError) as caught:
        build(cls, **fields)
    assert caught.value.message.startswith(match)
    assert caught.value.__context__ is None


async def test_a_validators_refusal_through_a_method(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    message = await refused(mock_plexy, client, "split_requests.update", split_id="spl_1")
    assert message.startswith("UpdateSplitRequest: nothing to update")
    message = await refused(mock_plexy, client, "payment_links.create", amount=-5, currency="KZT")
    assert message.startswith("CreatePaymentLinkRequest") and "amount" in message


async def test_checks_are_compiled_once(
    monkeypatch: pytest.MonkeyPatch, mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    """Per call, nothing is read from the types or signatures: that happens on first use."""
    arguments = valid_arguments("payments.create")
    await client.payments.create(**arguments)
    await client.transactions.list().page(1)
    spec = _checks.model_spec(PaymentRequest)

    def no_reflection(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("reflection on the hot path")

    monkeypatch.setattr(_checks.typing, "get_type_hints", no_reflection)
    monkeypatch.setattr(_checks.inspect, "signature", no_reflection)
    for _ in range(3):
        await client.payments.create(**arguments)
        await client.transactions.list().page(1)
    assert _checks.model_spec(PaymentRequest) is spec
    assert len(mock_plexy.ledger.requests) == 8


def test_the_rules_by_type() -> None:
    """The compiled checks, directly: what each declared type takes."""
    cases: list[tuple[Any, Any, bool]] = [
        (int, True, False), (int, 1, True), (float, 1, True), (float, True, False),
        (bool, 1, False), (str, TransactionStatus.CHARGED, True),
        (TransactionStatus, "anything", True), (TransactionStatus, 3, False),
        (list[str], ("a",), True), (list[str], "a", False), (list[str], [1], False),
        (dict[str, str], {"a": "b"}, True), (dict[str, str], {"a": None}, False),
        (Amount | None, None, True), (Amount | None, {"value": 1}, False),
        (PaymentLinkMetadata, PaymentLinkMetadata(success_url="x"), True),
        (datetime, datetime(2030, 1, 1), True), (datetime, "2030-01-01", False),
        (Any, object(), True),
    ]  # fmt: skip
    for tp, value, ok in cases:
        kind = _checks.kind_of(tp)
        if type(value) in kind.fast:
            assert ok, (tp, value)
            continue
        try:
            kind.check(value, "x")
        except errors.InvalidRequestError:
            assert not ok, (tp, value)
        else:
            assert ok, (tp, value)


@attrs.frozen(kw_only=True)
class _Nine:
    """Nine optional strings and one required int: 512 combinations of classes."""

    n: int
    a: str | None = None
    b: str | None = None
    c: str | None = None
    d: str | None = None
    e: str | None = None
    f: str | None = None
    g: str | None = None
    h: str | None = None
    i: str | None = None


def test_remembered_combinations_are_bounded_and_still_checked() -> None:
    """The checks remember which combinations of value classes were valid (their fast path),
    up to a bound; past it, and after a valid combination, every value is still checked."""
    spec = _checks.model_spec(_Nine)
    assert [slot.keyword for slot in spec.slots] == ["n", *"abcdefghi"]
    for mask in range(2**9):
        fields = [1] + ["x" if mask >> i & 1 else None for i in range(9)]
        built = spec.build(spec.build, {}, None, tuple(fields))
        assert [getattr(built, s.name) for s in spec.slots] == fields
    assert len(spec.build_row.plans) == _checks._PLANS_PER_ROW
    for fields in ([1, "x"] + [None] * 8, [1] + ["x"] * 9):  # remembered, and not
        with pytest.raises(errors.InvalidRequestError, match=r"_Nine\.a: expected str, got int"):
            spec.build(spec.build, {}, None, (1, 3, *fields[2:]))
        with pytest.raises(errors.InvalidRequestError, match=r"_Nine\.n: expected int, got bool"):
            spec.build(spec.build, {}, None, (True, *fields[1:]))
    nine = _Nine(n=1, a="x")
    spec.check_instance(nine, "w")
    object.__setattr__(nine, "a", 3)  # a frozen instance changed behind attrs' back
    with pytest.raises(errors.InvalidRequestError, match=r"w\.a: expected str, got int"):
        spec.check_instance(nine, "w")


PATH_IDS = [
    (name, field)
    for name, r in sorted(ROUTES.items())
    for _, field, _, _ in string.Formatter().parse(r.path)
    if field is not None
]


async def sent(client: PlexyClient, route: str, **arguments: Any) -> None:
    """Call the operation until it sends: a paginated list sends when a page is asked for."""
    result = await call(client, route, **arguments)
    if hasattr(result, "page"):
        await result.page(1)


@pytest.mark.parametrize("segment", [".", ".."])
@pytest.mark.parametrize(("route", "param"), PATH_IDS, ids=[f"{r}({p})" for r, p in PATH_IDS])
async def test_a_dot_segment_as_a_path_id_is_refused(
    mock_plexy: MockPlexy, client: PlexyClient, route: str, param: str, segment: str
) -> None:
    """``.`` and ``..`` would be removed from the URL (RFC 3986, 5.2.4), sending the request to
    another route: ``payments.capture("..")`` to ``POST /v1/capture``. Refused, nothing sent."""
    assert param in {p.name for p in parameters(route)}
    with pytest.raises(errors.InvalidRequestError, match="dot segment") as caught:
        await sent(client, route, **{**valid_arguments(route), param: segment})
    assert param in caught.value.message
    assert mock_plexy.ledger.requests == []


@pytest.mark.parametrize(
    ("options", "match"),
    [
        (lambda: RequestOptions(retry=5), "retry must be a RetryPolicy or None, got int"),  # type: ignore[arg-type]
        (lambda: RequestOptions(timeouts={"deadline": 1}), "timeouts must be a Timeouts"),  # type: ignore[arg-type]
        (lambda: Timeouts(connect="1"), "connect must be a number of seconds, got str"),  # type: ignore[arg-type]
        (lambda: Timeouts(read=True), "read must be a number of seconds, got bool"),
        (lambda: Timeouts(deadline=float("nan")), "deadline must be positive"),
    ],
)
def test_request_options_check_what_they_hold(options: Any, match: str) -> None:
    """A ``RequestOptions`` holding something else would fail only once the call ran, possibly
    after a payment was sent: it is refused when built."""
    with pytest.raises(errors.ConfigurationError, match=match):
        options()


@pytest.mark.parametrize("number", [0, -1, True, 1.5, "2", None])
async def test_a_page_number_that_is_not_a_whole_number_from_1_is_refused(
    mock_plexy: MockPlexy, client: PlexyClient, number: Any
) -> None:
    paginator = client.transactions.list()
    with pytest.raises(
        errors.InvalidRequestError, match="page number must be an int of at least 1"
    ):
        await paginator.page(number)
    assert mock_plexy.ledger.requests == []
    page = await paginator.page(1)
    assert page.page == 1 and len(mock_plexy.ledger.requests) == 1


async def test_a_stand_in_for_a_model_is_refused(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    """A ``Mock(spec=Amount)`` claims to be an ``Amount`` (``isinstance`` says so) but is no
    attrs instance: refused as what it is, not with a ``TypeError`` from inside the checks."""
    from unittest.mock import Mock

    arguments = {**valid_arguments("payments.create"), "amount": Mock(spec=Amount)}
    message = await refused(mock_plexy, client, "payments.create", **arguments)
    assert message == "PaymentRequest.amount: expected Amount, got Mock"
