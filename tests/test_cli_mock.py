"""``plexy-async mock`` as a subprocess: faults, test cards, bounds, its admin routes, and a batch
(``plexy-async batch``, another subprocess) against it, reconciled through ``/_mock/ledger``."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from process_support import run_to_end

from plexy_async import Amount, CardDetails, PlexyClient
from plexy_async.cli import build_parser
from plexy_async.models import RedirectAction
from plexy_async.testing._cards import mock_cards
from plexy_async.testing._fault_spec import (
    KINDS,
    MONEY_ROUTES,
    FaultSpec,
    parse_fault_route,
    parse_fault_spec,
)

KEY = "sk_test_cli_mock"
SECRET = "cli-mock-batch-secret"
STARTUP = 30.0  # seconds: a cold interpreter on a busy machine


class MockProcess:
    """A running ``plexy-async mock``: its URL, banner, and exit once stopped."""

    def __init__(self, proc: asyncio.subprocess.Process, url: str, banner: list[str]) -> None:
        self.proc = proc
        self.url = url
        self.banner = banner
        self.tail = ""

    async def stop(self) -> int:
        """SIGINT, then its exit status; the rest of its stdout goes to ``tail``."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGINT)
        async with asyncio.timeout(STARTUP):
            out, _ = await self.proc.communicate()
        self.tail = out.decode()
        assert self.proc.returncode is not None
        return self.proc.returncode


@asynccontextmanager
async def mock_process(*flags: str) -> AsyncIterator[MockProcess]:
    """Start ``plexy-async mock --port 0 FLAGS`` and read its banner; stop it with SIGINT after,
    checking it exits 0."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "plexy_async", "mock", "--port", "0", "--api-key", KEY, *flags,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdout is not None
    banner: list[str] = []
    try:
        async with asyncio.timeout(STARTUP):
            while not banner or not banner[-1].startswith("admin:"):
                line = (await proc.stdout.readline()).decode()
                assert line, f"the mock ended before its banner: {banner}"
                banner.append(line.rstrip("\n"))
        match = re.fullmatch(r"mock Plexy listening on (http://127\.0\.0\.1:\d+) .*", banner[0])
        assert match, banner[0]
        mock = MockProcess(proc, match[1], banner)
    except BaseException:
        proc.kill()
        await proc.wait()
        raise
    try:
        yield mock
    except BaseException:
        with suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise
    assert await mock.stop() == 0, mock.tail


async def admin(http: aiohttp.ClientSession, mock: MockProcess, path: str) -> Any:
    async with http.get(mock.url + path, headers={"x-api-key": KEY}) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def post_payment(
    http: aiohttp.ClientSession, mock: MockProcess, key: str, card: str = "4242424242424242"
) -> tuple[int, dict[str, Any], bool]:
    body = {
        "amount": {"value": 1500, "currency": "KZT"},
        "reference": f"ref-{key}",
        "merchantAccount": "CliMock",
        "paymentMethod": {"type": "scheme", "number": card, "cvc": "737",
                          "expiryMonth": "03", "expiryYear": "2030"},
    }  # fmt: skip
    headers = {"x-api-key": KEY, "Idempotency-Key": key}
    async with http.post(mock.url + "/v2/payments", json=body, headers=headers) as resp:
        replayed = resp.headers.get("Idempotent-Replayed") == "true"
        return resp.status, await resp.json(), replayed


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


# --- a batch against the mock, with faults --------------------------------------------------

CARDS = ("4242424242424242", "5555555555554444", "378282246310005")
CSV_HEADER = (
    "id,reference,amount,currency,card_number,cvc,expiry_month,expiry_year,merchant_account"
)


def payments_csv(path: Path, count: int) -> Path:
    rows = [CSV_HEADER]
    for i in range(count):
        card = CARDS[i % len(CARDS)]
        cvc = "1234" if card.startswith("37") else "737"
        rows.append(f"item-{i:03d},order-{i:03d},{1000 + i},KZT,{card},{cvc},03,2030,CliMock")
    path.write_text("\n".join(rows) + "\n")
    return path


async def test_batch_against_faulty_mock_charges_each_succeeded_item_once(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    source = payments_csv(tmp_path / "payments.csv", 50)
    journal = tmp_path / "journal.jsonl"
    async with mock_process("--fault", "503:3", "--fault", "drop-after-commit:2") as mock:
        assert "faults: 503:3, drop-after-commit:2" in mock.banner
        env = {k: v for k, v in os.environ.items() if not k.startswith("PLEXY_")}
        env |= {"PLEXY_BATCH_SECRET": SECRET, "PLEXY_API_KEY": KEY, "PLEXY_BASE_URL": mock.url}
        batch = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "plexy_async", "batch", str(source),
            "--journal", str(journal), "--progress", "none", "--concurrency", "8",
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await run_to_end(batch, 90)
        ledger = await admin(http, mock, "/_mock/ledger?requests=1000")

    items = [r for r in map(json.loads, journal.read_text().splitlines()) if r["event"] == "item"]
    assert len(items) == 50
    succeeded = {r["key"]: r for r in items if r["outcome"] == "succeeded"}
    # a retry can land on a later fault too; only an item whose 3 attempts all hit one (very
    # unlikely) ends in doubt, and then with at most one charge
    others = [r for r in items if r["outcome"] != "succeeded"]
    assert all(r["outcome"] == "in_doubt" for r in others) and len(others) <= 1, others
    assert batch.returncode == (0 if not others else 1), (out.decode(), err.decode())
    charges = ledger["charges"]
    per_key = Counter(c["idempotency_key"] for c in charges)
    assert all(per_key[key] == 1 for key in succeeded)  # one charge per succeeded item
    assert set(per_key) <= {r["key"] for r in items} and max(per_key.values()) == 1  # no dupes
    assert len({c["psp_reference"] for c in charges}) == len(charges)
    by_key = {c["idempotency_key"]: c for c in charges}
    for key, item in succeeded.items():
        assert item["result"]["psp_reference"] == by_key[key]["psp_reference"]
        n = int(item["id"].removeprefix("item-"))
        assert by_key[key]["reference"] == f"order-{n:03d}"
        assert by_key[key]["amount"] == {"value": 1000 + n, "currency": "KZT"}
    assert ledger["faults"] == {"503": 3, "drop_after_commit": 2}
    assert ledger["counts"]["charges"] == len(charges)
    assert ledger["counts"]["replays"] >= 2 - len(others)  # a retry after a drop replays
    hit = [r for r in ledger["requests"] if r["fault"]]
    assert sorted((r["fault"], r["status"]) for r in hit) == [
        ("drop_after_commit", None), ("drop_after_commit", None),
        ("status", 503), ("status", 503), ("status", 503),
    ]  # fmt: skip
    # every faulted request was retried once, but for an in-doubt item's last attempt
    requests = 50 + 5 - len(others)
    assert ledger["counts"]["requests"] == requests
    assert f"stopped after {requests} requests and {len(charges)} charges" in mock.tail


# --- 3-D Secure from outside the process -----------------------------------------------------


async def test_three_ds_completed_from_outside_the_process(http: aiohttp.ClientSession) -> None:
    async with mock_process() as mock:
        async with PlexyClient(api_key=KEY, base_url=mock.url) as plexy:
            started = await plexy.payments.create(
                amount=Amount(2500, "KZT"),
                reference="order-3ds",
                merchant_account="CliMock",
                payment_method=CardDetails(number="4000002500003155", cvc="737"),
            )
            assert started.result_code == "RedirectShopper"
            psp = started.psp_reference
            assert psp is not None
            answer = await admin(http, mock, f"/_mock/payments/{psp}/redirect-result")
            token = answer["redirectResult"]
            assert answer == {
                "pspReference": psp, "redirectResult": token, "details": {"redirectResult": token}
            }  # fmt: skip
            # the documented shape: the same token is action.url's redirectResult query parameter
            assert isinstance(started.action, RedirectAction) and started.action.url
            url = urlsplit(started.action.url)
            assert (url.path, parse_qs(url.query)) == (
                "/checkoutshopper/3ds", {"redirectResult": [token]}
            )  # fmt: skip
            assert (await admin(http, mock, "/_mock/ledger"))["charges"] == []

            done = await plexy.payments.details(details={"redirectResult": token})
            assert (done.result_code, done.psp_reference) == ("Authorised", psp)

        ledger = await admin(http, mock, "/_mock/ledger")
        assert [(c["psp_reference"], c["reference"]) for c in ledger["charges"]] == [
            (psp, "order-3ds")
        ]
        async with http.get(mock.url + "/_mock/payments/NOSUCHPSP/redirect-result",
                            headers={"Authorization": KEY}) as resp:  # fmt: skip
            assert resp.status == 404
        for headers in ({}, {"x-api-key": "sk_wrong"}):
            async with http.get(mock.url + "/_mock/ledger", headers=headers) as resp:
                assert resp.status == 401
        ledger = await admin(http, mock, "/_mock/ledger")
        assert ledger["counts"]["requests"] == 2  # admin calls are not recorded


# --- bounded idempotency -------------------------------------------------------------------


async def test_replay_within_ttl_then_processed_again_after_it(
    http: aiohttp.ClientSession,
) -> None:
    async with mock_process("--idempotency-ttl", "1") as mock:
        assert "idempotency records kept 1 s" in "\n".join(mock.banner)
        status, first, replayed = await post_payment(http, mock, "ttl-1")
        assert (status, replayed) == (200, False)
        status, again, replayed = await post_payment(http, mock, "ttl-1")
        assert (status, replayed) == (200, True)
        assert again == first
        await asyncio.sleep(1.2)
        # past the window the key is new again: processed, and charged, a second time
        status, late, replayed = await post_payment(http, mock, "ttl-1")
        assert (status, replayed) == (200, False)
        assert late["pspReference"] != first["pspReference"]
        ledger = await admin(http, mock, "/_mock/ledger")
    assert [c["idempotency_key"] for c in ledger["charges"]] == ["ttl-1", "ttl-1"]
    assert ledger["counts"]["idempotency_expired"] == 1
    assert ledger["counts"]["replays"] == 1


async def test_least_recently_used_record_is_evicted_past_the_cap(
    http: aiohttp.ClientSession,
) -> None:
    async with mock_process("--max-idempotency-records", "2") as mock:
        for key in ("a", "b"):
            assert (await post_payment(http, mock, key))[2] is False
        assert (await post_payment(http, mock, "a"))[2] is True  # a is now the most recent
        assert (await post_payment(http, mock, "c"))[2] is False  # evicts b, the least recent
        assert (await post_payment(http, mock, "a"))[2] is True  # still held
        status, _, replayed = await post_payment(http, mock, "b")  # evicted: new again
        assert (status, replayed) == (200, False)
        ledger = await admin(http, mock, "/_mock/ledger")
    assert Counter(c["idempotency_key"] for c in ledger["charges"]) == {"a": 1, "b": 2, "c": 1}
    assert ledger["counts"]["idempotency_evicted"] == 2  # b, then c (when b came back)
    assert ledger["counts"]["idempotency_records"] == 2


async def test_ledger_keeps_the_latest_records_and_counts_all(
    http: aiohttp.ClientSession,
) -> None:
    async with mock_process("--max-ledger-records", "10") as mock:
        for i in range(25):
            await post_payment(http, mock, f"cap-{i}")
        ledger = await admin(http, mock, "/_mock/ledger?requests=100")
    assert ledger["counts"]["charges"] == ledger["counts"]["requests"] == 25
    held = [c["idempotency_key"] for c in ledger["charges"]]
    assert 10 <= len(held) <= 11 and held == [f"cap-{i}" for i in range(25 - len(held), 25)]
    assert len(ledger["requests"]) == ledger["counts"]["requests_held"] <= 2


# --- test cards, help and banner --------------------------------------------------------------


async def test_test_cards_in_help_and_banner_behave_as_listed(
    http: aiohttp.ClientSession,
) -> None:
    helped = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "plexy_async", "mock", "--help", stdout=asyncio.subprocess.PIPE
    )
    help_text = (await run_to_end(helped, STARTUP))[0].decode()
    assert helped.returncode == 0
    for kind in KINDS:
        assert kind in help_text
    assert "--fault-route" in help_text and "/_mock/ledger" in help_text
    async with mock_process() as mock:
        banner = "\n".join(mock.banner)
        assert mock.banner[1:3] == [
            f"  export PLEXY_BASE_URL={mock.url}", f"  export PLEXY_API_KEY={KEY}"
        ]  # fmt: skip
        for card in mock_cards():
            assert re.search(rf"^\s+{card.number}\s+{card.outcome}\b", help_text, re.M), card
            assert re.search(rf"^\s+{card.number}\s+{card.outcome}\b", banner, re.M), card
            status, body, _ = await post_payment(http, mock, f"card-{card.number}", card.number)
            if card.outcome == "invalid":
                assert (status, body["error"]["code"]) == (422, "parameter_invalid")
            else:
                assert (status, body["resultCode"]) == (200, card.outcome)
        ledger = await admin(http, mock, "/_mock/ledger")
    authorised = sum(card.outcome == "Authorised" for card in mock_cards())
    assert ledger["counts"]["charges"] == authorised


# --- fault grammar ------------------------------------------------------------------------------

STATUS = st.integers(500, 599).map(str)
NO_VALUE = st.sampled_from(
    ["drop-before", "drop-after-commit", "truncated", "garbled-after-commit", "invalid-json"]
)
SECONDS = st.floats(0, 1e6, allow_nan=False).map(lambda x: round(x, 3))
AMOUNT = st.one_of(
    st.none(),
    st.integers(1, 10**9).map(lambda n: ("count", n)),
    st.floats(0.0001, 1.0).map(lambda r: ("rate", r)),
    st.integers(1, 100).map(lambda p: ("percent", p)),
)


def _spelled(kind: str, draw_case: bool) -> str:
    return kind.upper().replace("-", "_") if draw_case else kind


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.tuples(STATUS, st.none()),
        st.tuples(st.just("429"), st.one_of(st.none(), SECONDS)),
        st.tuples(st.just("delay"), SECONDS),
        st.tuples(NO_VALUE, st.none()),
    ),
    AMOUNT,
    st.booleans(),
)
def test_valid_specs_parse_to_what_they_say(
    kind_value: tuple[str, float | None], amount: tuple[str, float] | None, shout: bool
) -> None:
    kind, value = kind_value
    text = _spelled(kind, shout) + ("" if value is None else f"={value}")
    if amount is not None:
        how, n = amount
        text += f":{n}" if how == "count" else f":{n!r}" if how == "rate" else f":{n}%"
    spec = parse_fault_spec(text)
    assert spec.kind == kind
    if kind == "429":
        assert spec.value == (1.0 if value is None else value)
    else:
        assert spec.value == value
    if amount is None:
        assert (spec.count, spec.rate) == (1, None)
    elif amount[0] == "count":
        assert (spec.count, spec.rate) == (amount[1], None)
    else:
        expected = amount[1] if amount[0] == "rate" else amount[1] / 100
        assert spec.count is None and spec.rate == pytest.approx(expected)
    assert parse_fault_spec(spec.text) == spec  # written back, it reads the same
    for path in ("/v2/payments", "/v1/payments/direct"):
        fault = spec.fault_for(path)
        assert fault.label == (kind if kind.isdigit() else kind.replace("-", "_"))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_any_text_parses_or_fails_with_value_error(text: str) -> None:
    try:
        spec = parse_fault_spec(text)
    except ValueError as exc:
        message = str(exc)
        assert message  # every refusal says why
    else:
        assert isinstance(spec, FaultSpec)
        assert parse_fault_spec(spec.text) == spec


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("404", "valid kinds: 500-599, 429, delay"),
        ("0503", "valid kinds"),
        ("timeout:3", "valid kinds"),
        ("delay", "delay needs its duration"),
        ("delay:0.1", "delay needs its duration"),
        ("delay=-1", ">= 0"),
        ("delay=nan", ">= 0"),
        ("503=2", "takes no value"),
        ("truncated=1", "takes no value"),
        ("503:0", "COUNT must be >= 1"),
        ("503:1.5", "RATE must be > 0 and <= 1"),
        ("503:0.0", "RATE must be > 0"),
        ("503:101%", "RATE must be"),
        ("503:-1", "not a COUNT or RATE"),
        ("503:often", "not a COUNT or RATE"),
        ("", "not a fault spec"),
        ("5 03", "not a fault spec"),
    ],
)
def test_bad_specs_say_why(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=re.escape(why)):
        parse_fault_spec(text)


def test_bad_spec_is_a_usage_error_naming_the_kinds() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "plexy_async", "mock", "--fault", "504:2", "--fault", "boom"],
        capture_output=True, text=True, timeout=STARTUP,
    )  # fmt: skip
    assert done.returncode == 2
    assert "argument --fault: unknown fault kind 'boom'" in done.stderr
    assert "500-599, 429, delay, drop-before, drop-after-commit, truncated" in done.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--fault-route", "POST:/v2/nowhere"], "no such route in the mock: POST /v2/nowhere"),
        (["--fault-route", "/v2/payments"], "not METHOD:PATH"),
        (["--idempotency-ttl", "soon"], "not a number of seconds"),
        (["--max-idempotency-records", "-1"], "must be >= 0"),
    ],
)
def test_bad_flags_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["mock", *argv])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_fault_routes_parse_as_sent_or_as_patterns() -> None:
    assert parse_fault_route("post:/v2/payments") == ("POST", "/v2/payments")
    assert parse_fault_route("POST:/v1/payments/{transaction_id}/refund") == (
        "POST", "/v1/payments/{transaction_id}/refund"
    )  # fmt: skip
    assert parse_fault_route("POST:/v1/payments/txn_1/capture") == (
        "POST", "/v1/payments/txn_1/capture"
    )  # fmt: skip
    assert ("POST", "/v2/payments") in MONEY_ROUTES
    assert all(method == "POST" for method, _ in MONEY_ROUTES)


async def test_rate_fault_on_a_chosen_route_leaves_others_alone(
    http: aiohttp.ClientSession,
) -> None:
    async with mock_process(
        "--fault", "502:100%", "--fault-route", "POST:/v2/sessions", "--seed", "3"
    ) as mock:
        assert "  on POST /v2/sessions" in mock.banner
        session = {"amount": {"value": 100, "currency": "KZT"}, "merchantAccount": "M",
                   "reference": "s-1", "returnUrl": "https://example.test/back"}  # fmt: skip
        for _ in range(3):
            async with http.post(
                mock.url + "/v2/sessions", json=session, headers={"x-api-key": KEY}
            ) as resp:
                assert resp.status == 502
                assert (await resp.json())["error"]["type"] == "api_error"
        status, _, _ = await post_payment(http, mock, "untouched")
        assert status == 200
        ledger = await admin(http, mock, "/_mock/ledger")
    assert ledger["faults"] == {"502": 3}
    assert ledger["counts"]["charges"] == 1


async def test_interrupt_before_any_request_exits_0() -> None:
    async with mock_process("--fault", "delay=0.5:0.2", "--seed", "1") as mock:
        assert "faults: delay=0.5:0.2 (seed 1)" in mock.banner
    assert "stopped after 0 requests and 0 charges" in mock.tail
