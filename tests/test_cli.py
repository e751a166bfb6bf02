"""The plexy-async command line: batch, mock and demo."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from batch_support import PAYMENTS, SECRET, item_records, wait_until

from plexy_async import Amount, CardDetails, PlexyClient, cli
from plexy_async.batch._stats import BatchStats
from plexy_async.cli._progress import PlainDisplay, make_display
from plexy_async.testing import Fault, MockPlexy

HEADER = "id,reference,amount,currency,card_number,cvc,expiry_month,expiry_year\n"


def row(i: int, card: str = "4242424242424242", amount: str = "1000", currency: str = "KZT") -> str:
    return f",order-{i},{amount},{currency},{card},737,03,2030\n"


@pytest.fixture
def env(mock_plexy: MockPlexy, monkeypatch: pytest.MonkeyPatch) -> MockPlexy:
    monkeypatch.setenv("PLEXY_API_KEY", mock_plexy.api_key)
    monkeypatch.setenv("PLEXY_BASE_URL", mock_plexy.url)
    monkeypatch.setenv("PLEXY_BATCH_SECRET", SECRET)
    monkeypatch.setenv("PLEXY_MERCHANT_ACCOUNT", "CliMerchant")
    monkeypatch.delenv("PLEXY_ENVIRONMENT", raising=False)
    return mock_plexy


async def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = await cli.run(cli.build_parser().parse_args(argv), out, err)
    return status, out.getvalue(), err.getvalue()


def csv_input(tmp_path: Path, n: int, *extra: str) -> Path:
    path = tmp_path / "payments.csv"
    path.write_text(HEADER + "".join(row(i) for i in range(n)) + "".join(extra))
    return path


async def test_batch_runs_a_csv_and_rejects_bad_lines(env: MockPlexy, tmp_path: Path) -> None:
    path = csv_input(
        tmp_path,
        40,
        row(40, amount=""),
        row(41, currency="XYZ"),
        row(42, card="4000000000000002"),
    )
    status, out, err = await run_cli(
        "batch", str(path), "--concurrency", "8", "--progress", "plain"
    )
    assert status == cli.EXIT_ITEMS  # some lines were rejected
    journal = Path(f"{path}.journal.jsonl")
    records = item_records(journal)
    rejected = {r["line"]: r["error"]["message"] for r in records if r["outcome"] == "rejected"}
    assert rejected == {42: "line 42: missing amount", 43: "line 43: unknown currency 'XYZ'"}
    assert sum(r["outcome"] == "succeeded" for r in records) == 40
    assert sum(r["outcome"] == "declined" for r in records) == 1
    assert len(env.ledger.charges) == 40
    assert {c.reference for c in env.ledger.charges} == {f"order-{i}" for i in range(40)}
    assert "batch 'payments.csv' (payments.create, concurrency 8): finished 43 items" in out
    assert re.search(r"succeeded\s+40\n", out) and re.search(r"rejected\s+2\n", out)
    assert f"journal: {journal}" in out
    assert "43/43 (100%)" in err  # the last plain progress line
    assert env.ledger.peak_in_flight <= 8


async def test_batch_resume_skips_what_the_journal_finished(env: MockPlexy, tmp_path: Path) -> None:
    path = csv_input(tmp_path, 12)
    journal = tmp_path / "out.jsonl"
    args = ("batch", str(path), "--journal", str(journal), "--progress", "none")
    assert (await run_cli(*args))[0] == cli.EXIT_OK
    status, _, err = await run_cli(*args)
    assert status == cli.EXIT_USAGE and "already exists" in err
    status, out, _ = await run_cli(*args, "--resume")
    assert status == cli.EXIT_OK
    assert re.search(r"skipped\s+12\s+\(finished in an earlier run\)", out)
    assert "journal totals, every run: succeeded 12," in out
    assert len(env.ledger.charges) == 12 and len(env.ledger.requests) == 12


@pytest.mark.parametrize(
    ("argv", "unset", "message"),
    [
        ((), "PLEXY_BATCH_SECRET", "PLEXY_BATCH_SECRET"),
        ((), "PLEXY_API_KEY", "no API key"),
        (("--operation", "payments.nope"), None, "unknown operation"),
        (("--operation", "sessions.result"), None, "no idempotency key"),
        (("--operation", "payments.refund"), None, "JSON Lines only"),
        (("--retry-failed",), None, "goes with --resume"),
        (("--format", "jsonl", "--concurrency", "300"), None, ""),
    ],
)
async def test_batch_usage_errors_exit_2(
    env: MockPlexy,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    argv: tuple[str, ...],
    unset: str | None,
    message: str,
) -> None:
    if unset:
        monkeypatch.delenv(unset)
    path = csv_input(tmp_path, 2)
    status, out, err = await run_cli("batch", str(path), "--progress", "none", *argv)
    if not message:  # a CSV read as JSON Lines: every line is rejected, nothing is sent
        assert status == cli.EXIT_ITEMS and re.search(r"rejected\s+3\n", out)
    else:
        assert status == cli.EXIT_USAGE
        assert message in err
    assert env.ledger.requests == []


async def test_batch_unknown_csv_column_is_a_usage_error(env: MockPlexy, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("reference,amount,currency,card_number,colour\n")
    status, _, err = await run_cli("batch", str(path))
    assert status == cli.EXIT_USAGE and "colour" in err


async def test_batch_ctrl_c_once_lets_the_calls_in_flight_end(
    env: MockPlexy, tmp_path: Path
) -> None:
    journal, out = await _interrupted_batch(env, tmp_path, presses=1)
    outcomes = [r["outcome"] for r in item_records(journal)]
    assert "in_doubt" not in outcomes
    assert 0 < outcomes.count("succeeded") < 300
    assert len(env.ledger.charges) == outcomes.count("succeeded")
    assert "interrupted: run again with --resume to continue" in out


async def test_batch_ctrl_c_twice_journals_the_calls_in_flight_as_in_doubt(
    env: MockPlexy, tmp_path: Path
) -> None:
    journal, _ = await _interrupted_batch(env, tmp_path, presses=2)
    outcomes = [r["outcome"] for r in item_records(journal)]
    assert outcomes.count("in_doubt") == 6  # every worker had a call in flight
    status, _, _ = await run_cli(
        "batch", str(tmp_path / "payments.csv"), "--journal", str(journal), "--resume"
    )
    assert status == cli.EXIT_OK
    assert len(env.ledger.charges) == 300
    assert len({c.reference for c in env.ledger.charges}) == 300


async def _interrupted_batch(mock: MockPlexy, tmp_path: Path, presses: int) -> tuple[Path, str]:
    mock.faults.add(*PAYMENTS, Fault.delay(0.3), times=None, after=30)
    path = csv_input(tmp_path, 300)
    journal = tmp_path / "out.jsonl"

    async def press_ctrl_c() -> None:
        await wait_until(lambda: len(mock.ledger.requests) >= 36)  # 6 calls are slow now
        # the CLI handles SIGINT itself; never send one to a process that does not
        assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
        for _ in range(presses):
            os.kill(os.getpid(), signal.SIGINT)
            await asyncio.sleep(0.05)

    presser = asyncio.create_task(press_ctrl_c())
    status, out, err = await run_cli(
        "batch", str(path), "--journal", str(journal), "--concurrency", "6", "--progress", "none"
    )
    await presser
    mock.faults.clear()
    assert status == cli.EXIT_INTERRUPTED
    assert "stopping: the calls in flight may end" in err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored
    end = json.loads(journal.read_text().splitlines()[-1])
    assert end["event"] == "end" and end["interrupted"] is True
    return journal, out


async def test_batch_rich_progress_bar(env: MockPlexy, tmp_path: Path) -> None:
    path = csv_input(tmp_path, 5)
    status, _, err = await run_cli("batch", str(path), "--progress", "rich")
    assert status == cli.EXIT_OK
    assert "5/5" in err and "100%" in err and "ok 5" in err


async def test_mock_command_serves_until_ctrl_c() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "plexy_async",
        "mock",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(20):
            first = (await proc.stdout.readline()).decode()
            match = re.match(r"mock Plexy listening on (http://127\.0\.0\.1:\d+) ", first)
            assert match, first
            rest = [(await proc.stdout.readline()).decode() for _ in range(3)]
            assert rest[1].strip() == "export PLEXY_API_KEY=sk_test_mock"
            async with PlexyClient(api_key="sk_test_mock", base_url=match[1]) as plexy:
                payment = await plexy.payments.create(
                    amount=Amount(1000, "KZT"),
                    reference="cli-1",
                    merchant_account="M",
                    payment_method=CardDetails(number="4242424242424242", cvc="737"),
                )
            assert payment.result_code == "Authorised"
            proc.send_signal(signal.SIGINT)
            out, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err
    assert "stopped after 1 requests and 1 charges" in out.decode()


def test_demo_runs_reconciles_and_exits_0(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEXY_")}
    env["PLEXY_API_KEY"] = "sk_live_must_not_be_used"  # the demo still uses the mock
    journal = tmp_path / "demo.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "plexy_async", "demo", "--count", "400", "--journal", str(journal)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "against a mock Plexy server at http://127.0.0.1:" in out
    assert re.search(r"finished 403 items in", out)
    assert re.search(r"rejected\s+3\n", out)
    assert re.search(r"duplicate charges\s+0\s+ok", out)
    assert re.search(r"input lines journalled \(of 403\)\s+403\s+ok", out)
    assert "0 new charge(s)" in out
    assert "MISMATCH" not in out
    assert "403/403 (100%)" in result.stderr  # plain progress lines when not on a terminal
    succeeded = re.search(r"succeeded\s+(\d+)\n", out)
    charges = re.search(r"charges in the mock's ledger\s+(\d+)", out)
    assert succeeded and charges and succeeded[1] == charges[1]
    assert len(item_records(journal)) >= 403
    assert "sk_live_must_not_be_used" not in journal.read_text()


async def test_demo_use_api_refuses_the_live_api(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PLEXY_API_KEY", "sk_live_x")
    monkeypatch.delenv("PLEXY_BASE_URL", raising=False)
    monkeypatch.delenv("PLEXY_ENVIRONMENT", raising=False)
    status, _, err = await run_cli("demo", "--use-api", "--count", "5")
    assert status == cli.EXIT_USAGE
    assert "never runs against the live API" in err


async def test_demo_use_api_sends_to_the_configured_api(env: MockPlexy) -> None:
    status, out, _ = await run_cli("demo", "--use-api", "--count", "30", "--progress", "none")
    assert status == cli.EXIT_OK
    assert f"against {env.url}" in out
    assert {c.reference for c in env.ledger.charges} <= {f"demo-{i:05d}" for i in range(30)}
    assert len(env.ledger.charges) == len({c.reference for c in env.ledger.charges}) > 20


def test_help_says_the_demo_never_charges_a_real_account(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["demo", "--help"])
    assert exited.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "never charges a real account" in help_text
    assert "even when PLEXY_API_KEY is set" in help_text


def test_without_rich_the_progress_falls_back_to_plain_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "rich", None)  # as if the cli extra were not installed
    monkeypatch.setitem(sys.modules, "rich.console", None)
    stream = io.StringIO()
    display = make_display("rich", stream, total=3, label="x")
    assert isinstance(display, PlainDisplay)
    assert "rich is not installed" in stream.getvalue()
    stats = BatchStats(skipped=3, started=0.0, ended=1.0)
    display.close(stats)
    assert "3/3 (100%)" in stream.getvalue()


def test_the_library_imports_neither_rich_nor_pytest() -> None:
    code = (
        "import sys, plexy_async, plexy_async.batch, plexy_async.cli; "
        "print(sorted(m for m in ('rich', 'pytest', 'plexy_async.testing') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
