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
import time
from pathlib import Path

import pytest
from batch_support import PAYMENTS, SECRET, item_records, wait_until

from plexy_async import Amount, CardDetails, PlexyClient, cli
from plexy_async._core.config import ClientConfig
from plexy_async.batch import Batch, read_journal
from plexy_async.batch._stats import BatchStats
from plexy_async.cli._progress import (
    PLAIN_FIRST_LINE,
    PLAIN_INTERVAL,
    PlainDisplay,
    RichDisplay,
    make_display,
)
from plexy_async.cli._running import EXIT_CODES, exit_status_help
from plexy_async.cli._words import cli_words
from plexy_async.errors import ConfigurationError
from plexy_async.testing import Fault, MockPlexy

HEADER = "id,reference,amount,currency,card_number,cvc,expiry_month,expiry_year\n"
INVALID_CARD = "4242424242424241"  # fails the Luhn check: the mock answers 422


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


def run_demo(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEXY_")}
    env["PLEXY_API_KEY"] = "sk_live_must_not_be_used"  # the demo still uses the mock
    journal = tmp_path / "demo.jsonl"
    return subprocess.run(
        [sys.executable, "-m", "plexy_async", "demo", "--journal", str(journal), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_demo_runs_reconciles_and_exits_0(tmp_path: Path) -> None:
    """The default demo: faults (5xx, drops after the commit, a 429) and declines, but every
    line valid: every payment ends succeeded or declined, so it exits 0 by the batch rule."""
    result = run_demo(tmp_path, "--count", "400")
    journal = tmp_path / "demo.jsonl"
    assert result.returncode == cli.EXIT_OK, result.stdout + result.stderr
    out = result.stdout
    assert "against a mock Plexy server at http://127.0.0.1:" in out
    assert "every line valid (--bad-lines adds rejected and failed ones)" in out
    assert re.search(r"finished 400 items in", out)
    assert re.search(r"rejected\s+0\n", out) and re.search(r"failed\s+0\n", out)
    assert re.search(r"declined\s+[1-9]\d*\n", out)  # declines are data: still exit 0
    assert re.search(r"duplicate charges\s+0\s+ok", out)
    assert re.search(r"input lines journalled \(of 400\)\s+400\s+ok", out)
    assert "0 new charge(s)" in out
    assert "MISMATCH" not in out and "not settled" not in out
    assert "400/400 (100%)" in result.stderr  # plain progress lines when not on a terminal
    succeeded = re.search(r"succeeded\s+(\d+)\n", out)
    charges = re.search(r"charges in the mock's ledger\s+(\d+)", out)
    assert succeeded and charges and succeeded[1] == charges[1]
    state = read_journal(journal)
    assert {o.value for o in state.outcomes.values()} == {"succeeded", "declined"}
    assert len(state.outcomes) == 400 and not state.rejected_lines
    assert len(item_records(journal)) >= 400
    assert "sk_live_must_not_be_used" not in journal.read_text()
    assert "faults injected on POST /v2/payments: 503 x3, connection dropped" in out
    assert re.search(r"retries: [1-9]", out)  # the faults hit, and were retried away


def test_demo_with_bad_lines_exits_1_and_lists_them(tmp_path: Path) -> None:
    result = run_demo(tmp_path, "--count", "200", "--bad-lines", "--progress", "none")
    assert result.returncode == cli.EXIT_ITEMS, result.stdout + result.stderr
    out = result.stdout
    assert re.search(r"finished 203 items in", out)
    assert re.search(r"rejected\s+3\n", out) and re.search(r"failed\s+2\n", out)
    assert re.search(r"input lines journalled \(of 203\)\s+203\s+ok", out)
    assert "MISMATCH" not in out  # the reconciliation holds: the exit 1 is the items'
    assert "\nnot settled (5):\n" in out
    rows = [x for x in out.splitlines() if x.startswith("  line ")]
    assert len(rows) == 5
    assert sum(" rejected " in x for x in rows) == 3 and sum(" failed " in x for x in rows) == 2
    assert "5 item(s) did not settle: exit status 1, as batch would give" in out
    assert f"details: plexy-async journal {tmp_path / 'demo.jsonl'} --failures" in out
    assert "4242424242424241" not in out


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


# --- failure reasons, --resume, CLI words, exit codes, help, progress ---------------------------


async def test_batch_lists_the_first_10_unsettled_items_with_their_reasons(
    env: MockPlexy, tmp_path: Path
) -> None:
    bad = "".join(row(100 + i, amount="") for i in range(11))  # lines 4-14: rejected
    path = csv_input(tmp_path, 2, *bad.splitlines(keepends=True), row(50, card=INVALID_CARD))
    journal = tmp_path / "out.jsonl"
    status, out, _ = await run_cli(
        "batch", str(path), "--journal", str(journal), "--progress", "none", "--concurrency", "1"
    )
    assert status == cli.EXIT_ITEMS
    assert "\nnot settled in this run (first 10 of 12):\n" in out
    rows = [x for x in out.splitlines() if x.startswith("  line ")]
    assert len(rows) == 10
    assert re.match(r"  line 4\s+\S+\s+rejected\s+InvalidInput: line 4: missing amount", rows[0])
    assert f"  2 more: plexy-async journal {journal} --failures" in out
    assert INVALID_CARD not in out
    # a resumed run lists only its own items: the rejected lines again, not the failed card
    status, out, _ = await run_cli(
        "batch", str(path), "--journal", str(journal), "--progress", "none", "--resume"
    )
    assert status == cli.EXIT_ITEMS
    assert "not settled in this run (first 10 of 11):" in out
    assert " failed " not in out.split("not settled in this run", 1)[1]


async def test_batch_with_every_item_settled_lists_nothing(env: MockPlexy, tmp_path: Path) -> None:
    status, out, _ = await run_cli("batch", str(csv_input(tmp_path, 3)), "--progress", "none")
    assert status == cli.EXIT_OK and "not settled" not in out


async def test_resume_with_a_missing_journal_is_a_usage_error(
    env: MockPlexy, tmp_path: Path
) -> None:
    path = csv_input(tmp_path, 3)
    journal = tmp_path / "nope.jsonl"
    status, out, err = await run_cli("batch", str(path), "--journal", str(journal), "--resume")
    assert status == cli.EXIT_USAGE
    assert f"--resume: there is no journal at {journal} to resume" in err
    assert "to start a fresh batch, leave out --resume" in err
    assert not journal.exists() and env.ledger.requests == [] and out == ""
    status, _, err = await run_cli("batch", str(path), "--resume")  # the default journal
    assert status == cli.EXIT_USAGE and "give the journal's path with --journal" in err
    journal.write_text("")
    status, _, err = await run_cli("batch", str(path), "--journal", str(journal), "--resume")
    assert status == cli.EXIT_USAGE and "is empty, there is nothing to resume" in err
    assert env.ledger.requests == []


PYTHON_WORDS = ("secret=", "resume=True", "api_key=", "batch_id must", "pool=")


async def test_messages_speak_of_flags_and_environment_variables(
    env: MockPlexy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = csv_input(tmp_path, 2)
    journal = tmp_path / "out.jsonl"
    seen: list[str] = []

    async def attempt(*argv: str) -> str:
        status, out, err = await run_cli("batch", str(path), "--progress", "none", *argv)
        seen.append(out + err)
        return f"{status} {err}"

    assert (await attempt("--journal", str(journal))).startswith("0 ")
    text = await attempt("--journal", str(journal))
    assert "add --resume to continue that batch, or choose another journal with --journal" in text
    text = await attempt("--batch-id", "")
    assert "--batch-id must not be empty" in text
    monkeypatch.setenv("PLEXY_BATCH_SECRET", "another secret")
    text = await attempt("--journal", str(journal), "--resume")
    assert text.startswith("2 ") and "$PLEXY_BATCH_SECRET" in text
    monkeypatch.delenv("PLEXY_BATCH_SECRET")
    text = await attempt()
    assert "set the environment variable PLEXY_BATCH_SECRET" in text
    monkeypatch.setenv("PLEXY_BATCH_SECRET", SECRET)
    monkeypatch.delenv("PLEXY_API_KEY")
    text = await attempt()
    assert "no API key: set the environment variable PLEXY_API_KEY" in text
    monkeypatch.setenv("PLEXY_API_KEY", env.api_key)
    text = await attempt("--base-url", "ftp://example.com")
    assert text.startswith("2 ") and "--base-url ($PLEXY_BASE_URL) must" in text
    for output in seen:
        for word in PYTHON_WORDS:
            assert word not in output, (word, output)


def test_cli_words_rewrites_the_library_messages() -> None:
    messages = []
    for make in (
        lambda: Batch(batch_id="b", secret=None),
        lambda: Batch(batch_id="b", secret="s", resume=True),
        lambda: Batch(batch_id=" ", secret="s"),
        lambda: ClientConfig.resolve(api_key=None, env={}),
    ):
        with pytest.raises(ConfigurationError) as raised:
            make()
        messages.append(cli_words(str(raised.value)))
    assert messages[0].startswith("no batch secret: set the environment variable PLEXY_BATCH")
    assert messages[1] == "--resume needs the journal to resume from (--journal)"
    assert messages[2] == "--batch-id must not be empty"
    assert messages[3] == "no API key: set the environment variable PLEXY_API_KEY"
    assert cli_words("x: pass max_pause=... to wait") == "x: use --max-pause to wait"
    assert cli_words("with fsync=True") == "with --fsync"
    for message in messages:
        for word in PYTHON_WORDS:
            assert word not in message


def help_of(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exited:
        cli.main([*argv, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", [(), ("batch",), ("demo",)])
def test_every_help_shows_the_one_exit_status_table(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    text = help_of(capsys, *command)
    lines = text.splitlines()
    for line in exit_status_help().splitlines():  # kept line for line, not re-wrapped
        assert line in lines, (line, text)
    assert [code for code, _ in EXIT_CODES] == [0, 1, 2, 130]
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    if command == ("demo",):
        assert "--bad-lines" in text and "exits 1, as batch would" in " ".join(text.split())


def test_batch_help_wraps_the_description_and_keeps_the_epilog(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    text = help_of(capsys, "batch")
    description = text.split("\n\n")[1]  # after the usage, before the arguments
    assert description.startswith("Run every line of INPUT")
    assert all(len(line) <= 60 for line in description.splitlines())
    assert len(description.splitlines()) > 8  # wrapped to the narrow terminal
    epilog = text.split("exit status (batch and demo):", 1)[1]
    assert "\n  130   interrupted (Ctrl-C): --resume continues the batch" in epilog
    from plexy_async.cli._input_flags import columns_help

    for line in columns_help().splitlines():
        assert line.rstrip() in [x.rstrip() for x in text.splitlines()]


def test_the_rich_bar_has_thousands_separators() -> None:
    stream = io.StringIO()
    display = RichDisplay(stream, 10_000, "big")
    display.close(BatchStats(skipped=10_000, started=0.0, ended=4.0))
    assert "10,000/10,000" in stream.getvalue() and "10000/10000" not in stream.getvalue()


def test_plain_lines_have_thousands_separators() -> None:
    stream = io.StringIO()
    display = PlainDisplay(stream, 12_345, label="big")
    stats = BatchStats(skipped=12_000, started=0.0, ended=3.0)
    stats.in_flight = 1_500
    display.close(stats)
    text = stream.getvalue()
    assert text.startswith("started big: 12,345 items\n")
    assert "12,000/12,345 (97%)" in text and "in flight 1,500" in text


async def test_the_first_plain_progress_line_comes_within_half_a_second(
    mock_plexy: MockPlexy, tmp_path: Path
) -> None:
    """The CLI in its own process, against a mock slowed by a delay on every payment: the first
    progress line follows the ``started`` line after about ``PLAIN_FIRST_LINE`` seconds (the
    bound below is generous for a loaded machine, yet well under the 2 s of before)."""
    assert PLAIN_FIRST_LINE <= 0.5 < PLAIN_INTERVAL
    mock_plexy.faults.add(*PAYMENTS, Fault.delay(0.02), times=None)
    path = csv_input(tmp_path, 2_000)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEXY_")}
    env |= {
        "PLEXY_API_KEY": mock_plexy.api_key,
        "PLEXY_BASE_URL": mock_plexy.url,
        "PLEXY_BATCH_SECRET": SECRET,
        "PLEXY_MERCHANT_ACCOUNT": "CliMerchant",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "plexy_async", "batch", str(path), "--progress", "plain",
        "--concurrency", "32",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    assert proc.stderr is not None
    lines: list[tuple[float, str]] = []
    try:
        async with asyncio.timeout(60):
            while line := (await proc.stderr.readline()).decode():
                lines.append((time.monotonic(), line))
            await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == cli.EXIT_OK, [x for _, x in lines]
    (started_at, started), (first_at, first) = lines[0], lines[1]
    assert started == "started payments.csv: 2,000 items\n"
    assert first.startswith("[")
    assert first_at - started_at < min(PLAIN_FIRST_LINE + 0.75, PLAIN_INTERVAL / 2)
    elapsed = float(first[1:].split("s]", 1)[0])  # the line's own clock, from the run's start
    assert elapsed <= PLAIN_FIRST_LINE + 0.3
    assert "2,000/2,000 (100%)" in lines[-1][1]
    assert len(mock_plexy.ledger.charges) == 2_000
