"""The README's marked snippets, run as a reader would run them.

- ``fastapi/shop.py`` passes ``mypy --strict``, and under ``python -m uvicorn`` on 127.0.0.1,
  against the mock server, answers every row of the README's error table as documented.
- ``pytest/conftest.py`` and ``pytest/test_payments.py`` pass ``mypy --strict`` and pass under
  plain ``python -m pytest`` with no configuration at all: pytest-asyncio's default strict mode.

The snippets are found by their ``<!-- snippet: group/module.py -->`` markers (readme_support).
"""

from __future__ import annotations

import re
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from readme_support import (
    README,
    MockInThread,
    clean_env,
    http,
    run,
    snippets,
    uvicorn_app,
    write_group,
)

from plexy_async.testing import Fault, checkout_event, signed_request

ROOT = Path(__file__).resolve().parent.parent
SECRET = "whsec_readme_snippet_secret"
VISA = "4242424242424242"
GENERIC = {"error": "the payment provider failed"}
# pytest-asyncio (0.24 and later) warns about its own unset option, not about the snippet.
LOOP_SCOPE_WARNING = (
    'ignore:The configuration option "asyncio_default_fixture_loop_scope" is unset'
    ":pytest.PytestDeprecationWarning"
)


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text(encoding="utf-8")


# --- finding the snippets ------------------------------------------------------------------------


def test_the_readme_marks_the_snippets_it_tests(readme: str) -> None:
    found = snippets(readme)
    assert set(found) == {"fastapi/shop.py", "pytest/conftest.py", "pytest/test_payments.py"}
    assert "@app.exception_handler(errors.PlexyError)" in found["fastapi/shop.py"]
    assert "@pytest.mark.asyncio" in found["pytest/test_payments.py"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<!-- snippet: a/b.py -->\n\n```python\nx = 1\n```\n", "no ```python block"),
        ("<!-- snippet: a/b.py -->\n```sh\nls\n```\n", "no ```python block"),
        ("<!-- snippet: a/b.py -->\n```python\nx = 1\n", "no ```python block"),
        ("<!-- snippet: b.py -->\n```python\nx = 1\n```\n", "not group/module.py"),
        ("<!-- snippet: a/../b.py -->\n```python\nx = 1\n```\n", "not group/module.py"),
        ("<!-- snippet: a/b.py -->\n```python\n```\n" * 2, "marked twice"),
    ],
)
def test_a_marker_that_would_leave_a_snippet_untested_is_refused(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        snippets(text)


def test_a_marked_block_is_read_whole_and_alone() -> None:
    text = (
        "```python\nnot = 'marked'\n```\n"
        "<!-- snippet: g/one.py -->\n```python\na = 1\n\nb = '```'\n```\ntext\n"
        "<!-- snippet: g/two.py -->\n```python\nc = 3\n```\n"
    )
    assert snippets(text) == {"g/one.py": "a = 1\n\nb = '```'\n", "g/two.py": "c = 3\n"}


def test_the_install_section_lists_every_extra_and_nothing_else(readme: str) -> None:
    with (ROOT / "pyproject.toml").open("rb") as file:
        extras = set(tomllib.load(file)["project"]["optional-dependencies"])
    install = readme.split("\n## Install\n", 1)[1].split("\n## ", 1)[0]
    assert set(re.findall(r"^\| `([\w-]+)` \|", install, re.MULTILINE)) == extras
    for extra in extras - {"bench", "docs", "test"}:  # the ones for a user's own project
        assert f"plexy_async[{extra}" in install or f",{extra}]" in install


# --- typing --------------------------------------------------------------------------------------


def test_the_snippets_and_the_fastapi_example_pass_mypy_strict(readme: str, tmp_path: Path) -> None:
    (tmp_path / "fastapi").mkdir()
    (tmp_path / "pytest").mkdir()
    files = write_group(readme, "fastapi", tmp_path / "fastapi")
    files += write_group(readme, "pytest", tmp_path / "pytest")
    files.append(ROOT / "examples" / "fastapi_app.py")
    # Run from tmp_path: no project configuration applies; the project's cache saves minutes.
    args = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(ROOT / ".mypy_cache")]
    output = run([*args, *map(str, files)], cwd=tmp_path, env=clean_env())
    assert output.startswith("rc=0\n") and "Success: no issues found in 4 source files" in output


def test_the_snippets_pass_ruff(readme: str, tmp_path: Path) -> None:
    write_group(readme, "fastapi", tmp_path)
    write_group(readme, "pytest", tmp_path)
    rules = "E,F,W,I,B,UP,SIM,RUF,PT,ASYNC"  # the project's rules; --isolated: no configuration
    args = [sys.executable, "-m", "ruff", "check", "--isolated", "--line-length", "100"]
    output = run([*args, "--select", rules, "."], cwd=tmp_path, env=clean_env())
    assert output.startswith("rc=0\n"), output


# --- the pytest snippet --------------------------------------------------------------------------


def _pytest(folder: Path, *options: str) -> str:
    (folder / "pytest.ini").write_text("")  # found first, and empty: pytest's defaults only
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *options]
    return run(args, cwd=folder, env=clean_env())


def test_the_pytest_snippet_passes_under_pytest_defaults(readme: str, tmp_path: Path) -> None:
    write_group(readme, "pytest", tmp_path)
    tests = len(re.findall(r"^async def test_", snippets(readme)["pytest/test_payments.py"], re.M))
    assert tests >= 1
    output = _pytest(tmp_path, "-W", "error", "-W", LOOP_SCOPE_WARNING)
    assert output.startswith("rc=0\n"), output
    summary = output.rstrip().splitlines()[-1]
    assert re.fullmatch(rf"=+ {tests} passed in [\d.]+s =+", summary), output


def test_pytest_runs_the_snippet_in_strict_mode(readme: str, tmp_path: Path) -> None:
    """The control: without its marks the snippet fails, so the run above was in strict mode
    (the project's own asyncio_mode=auto did not apply) and the marks are what makes it pass."""
    write_group(readme, "pytest", tmp_path)
    test_file = tmp_path / "test_payments.py"
    test_file.write_text(test_file.read_text().replace("@pytest.mark.asyncio\n", ""))
    output = _pytest(tmp_path, "-W", LOOP_SCOPE_WARNING)
    assert output.startswith("rc=1\n")
    assert "async def functions are not natively supported" in output


# --- the FastAPI snippet, served by uvicorn ------------------------------------------------------


@attrs.frozen
class Shop:
    url: str
    mock: MockInThread
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def pay(self, order_id: str, **changes: Any) -> tuple[int, dict[str, str], Any]:
        card = {"number": VISA, "cvc": "737", "expiry_month": "03", "expiry_year": "2030"}
        card.update({k: v for k, v in changes.items() if k in card})
        order = {"id": order_id, "amount": 10000, "currency": "KZT", "card": card}
        order.update({k: v for k, v in changes.items() if k in order})
        return http("POST", f"{self.url}/payments", order)

    def requests(self) -> list[tuple[str, str | None, int | None]]:
        """(path, idempotency key, status) of every request the mock received."""
        return self.mock.call(
            lambda mock: [(r.path, r.idempotency_key, r.status) for r in mock.ledger.requests]
        )

    def charges(self, reference: str) -> list[str]:
        """The psp references charged for an order."""
        return self.mock.call(
            lambda mock: [c.psp_reference for c in mock.ledger.charges_for(reference)]
        )

    def fault(self, fault: Fault, times: int = 1) -> None:
        self.mock.call(lambda mock: mock.faults.add("POST", "/v2/payments", fault, times=times))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    folder = tmp_path_factory.mktemp("fastapi_snippet")
    write_group(README.read_text(encoding="utf-8"), "fastapi", folder)
    log = folder / "uvicorn.log"
    with MockInThread() as mock:
        env = clean_env(
            PLEXY_API_KEY=mock.api_key,
            PLEXY_BASE_URL=mock.url,
            PLEXY_MERCHANT_ACCOUNT="TestMerchant",
            PLEXY_WEBHOOK_SECRET=SECRET,
        )
        with uvicorn_app("shop:app", app_dir=folder, env=env, log=log) as url:
            yield Shop(url, mock, log)
    text = log.read_text(errors="replace")
    assert "Application shutdown complete" in text, text  # the lifespan closed the client
    assert "Unclosed" not in text and "Traceback" not in text, text


@pytest.fixture
def shop(served: Shop) -> Iterator[Shop]:
    served.mock.call(lambda mock: mock.reset())
    logged = len(served.log_text())
    yield served
    assert served.mock.call(lambda mock: mock.faults.pending()) == 0  # every fault was met
    assert VISA not in served.log_text()[logged:]  # masked in every error and log line


def test_an_order_is_paid_once(shop: Shop) -> None:
    status, _, body = shop.pay("paid-1")
    assert status == 200 and body["result"] == "Authorised" and body["refusal_reason"] is None
    assert shop.charges("paid-1") == [body["psp_reference"]]
    again = shop.pay("paid-1")  # the same order again: Plexy replays the first answer
    assert again == (200, again[1], body)
    assert shop.charges("paid-1") == [body["psp_reference"]]
    assert shop.requests() == [("/v2/payments", "order-paid-1", 200)] * 2


@pytest.mark.parametrize(
    ("number", "cvc", "reason"),
    [
        ("4000000000000002", "737", "Refused"),
        ("4000000000009995", "737", "Not enough balance"),
        ("4000000000000069", "737", "Expired Card"),
        (VISA, "000", "CVC Declined"),
    ],
)
def test_a_declined_card_is_an_answer_not_an_error(
    shop: Shop, number: str, cvc: str, reason: str
) -> None:
    status, _, body = shop.pay("declined-1", number=number, cvc=cvc)
    assert status == 200 and body["result"] == "Refused" and body["refusal_reason"] == reason
    assert shop.charges("declined-1") == []
    assert shop.requests() == [("/v2/payments", "order-declined-1", 200)]


@pytest.mark.parametrize(
    ("changes", "param"),
    [
        ({"number": "4242424242424241"}, "paymentMethod.number"),  # fails the check digit
        ({"cvc": "73"}, "paymentMethod.cvc"),
    ],
)
def test_a_plexy_422_is_a_422_with_its_message(
    shop: Shop, changes: dict[str, str], param: str
) -> None:
    status, _, body = shop.pay("refused-1", **changes)
    assert status == 422 and set(body) == {"error"} and param in body["error"]
    assert shop.charges("refused-1") == []
    assert shop.requests() == [("/v2/payments", "order-refused-1", 422)]


@pytest.mark.parametrize(
    ("code", "fault", "answer"),
    [
        (400, Fault.status(400), 502),
        (400, Fault.status(400, shape="problem"), 502),
        (401, Fault.status(401, shape="pay"), 502),
        (402, Fault.status(402), 402),
        (402, Fault.status(402, shape="adyen"), 402),
        (403, Fault.status(403, shape="message"), 502),
        (404, Fault.status(404, shape="html"), 502),
        (405, Fault.status(405, shape="text"), 502),
        (409, Fault.status(409), 502),
        (422, Fault.status(422), 422),
        (422, Fault.status(422, shape="problem"), 422),
        (422, Fault.status(422, shape="pay"), 422),
        (302, Fault.redirect("http://127.0.0.1:9/elsewhere"), 502),  # never followed
    ],
    ids=lambda value: value.shape if isinstance(value, Fault) else str(value),
)
def test_every_plexy_status_gets_its_documented_answer(
    shop: Shop, code: int, fault: Fault, answer: int
) -> None:
    shop.fault(fault)
    status, _, body = shop.pay("status-1")
    assert status == answer
    if answer == 502:  # about your own integration: it stays in your log
        assert body == GENERIC
    else:
        assert set(body) == {"error"} and body["error"] and body != GENERIC
    assert shop.charges("status-1") == []
    assert shop.requests() == [("/v2/payments", "order-status-1", code)]  # never retried


@pytest.mark.parametrize("retry_after", [3600, "Wed, 21 Oct 2099 07:28:00 GMT"])
def test_a_rate_limit_is_a_503_with_retry_after(shop: Shop, retry_after: int | str) -> None:
    shop.fault(Fault.status(429, retry_after=retry_after))
    status, headers, body = shop.pay("limited-1")
    assert status == 503 and body == GENERIC
    assert int(headers["retry-after"]) >= 3600
    assert shop.requests() == [("/v2/payments", "order-limited-1", 429)]
    assert shop.charges("limited-1") == []


@pytest.mark.parametrize(
    ("fault", "charged"),
    [(Fault.drop_after_commit(), True), (Fault.status(503), False)],
    ids=["dropped-after-the-charge", "503"],
)
def test_an_unknown_outcome_is_a_504_with_the_key_to_send_it_again(
    shop: Shop, fault: Fault, charged: bool
) -> None:
    shop.fault(fault, times=3)  # every attempt the client makes
    status, _, body = shop.pay("unknown-1")
    assert status == 504
    assert body == {**GENERIC, "idempotency_key": "order-unknown-1"}
    assert [key for _, key, _ in shop.requests()] == ["order-unknown-1"] * 3
    assert len(shop.charges("unknown-1")) == (1 if charged else 0)
    status, _, body = shop.pay("unknown-1")  # the caller sends the same order again
    assert status == 200 and body["result"] == "Authorised"
    assert shop.charges("unknown-1") == [body["psp_reference"]]  # charged once, whatever happened


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"id": "заказ-1"}, "idempotency_key"),  # the key must be ASCII
        ({"id": "x" * 300}, "idempotency_key"),  # and at most 255 characters
        ({"amount": -5}, "amount"),
        ({"currency": "kzt"}, "currency"),
        ({"currency": "XYZ"}, "currency"),  # three letters, but no ISO 4217 currency
    ],
)
def test_an_invalid_request_is_a_400_and_nothing_is_sent(
    shop: Shop, changes: dict[str, Any], named: str
) -> None:
    status, _, body = shop.pay("invalid-1", **changes)
    assert status == 400 and set(body) == {"error"} and named in body["error"].lower()
    assert shop.requests() == []


def test_webhooks_are_verified_and_deduplicated(shop: Shop) -> None:
    event = checkout_event("payment.succeeded", {"id": "pay_1"})
    url = f"{shop.url}/webhooks/plexy"

    def deliver(secret: str = SECRET, timestamp: int | None = None) -> tuple[int, Any]:
        body, headers = signed_request(event, scheme="checkout", secret=secret, timestamp=timestamp)
        status, _, answer = http("POST", url, body, headers)
        return status, answer

    assert deliver() == (200, {"received": event["id"], "duplicate": False})
    assert deliver() == (200, {"received": event["id"], "duplicate": True})
    for status, answer in (
        deliver(secret="whsec_forged"),
        deliver(timestamp=int(time.time()) - 3600),
        http("POST", url, b'{"id": "evt_1"}')[::2],  # no signature at all
    ):
        assert status == 400 and set(answer) == {"error"} and answer["error"]
        assert SECRET not in answer["error"]
    assert shop.requests() == []  # the mock saw no API call
