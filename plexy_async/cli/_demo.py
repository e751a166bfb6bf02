"""``plexy-async demo``: a batch of payments against the bundled mock, with faults, reconciled.

It writes a JSON Lines input (every line valid; ``--bad-lines`` adds three bad lines and two
invalid card numbers), starts ``MockPlexy`` in this process with faults spread through the run
(5xx, connections dropped after the commit, a 429, unreadable answers; about one card in 12
declines), runs the batch with a progress display, settles anything in doubt by resuming,
re-runs the whole batch without its journal to show that the same keys charge nobody twice, and
reconciles the mock's ledger against the journal.

Its exit status follows the rule of ``batch`` (``cli._running.EXIT_CODES``): 0 when every
payment finally succeeded or was declined and the reconciliation matched, so the default demo
exits 0 despite its faults; 1 when an item did not settle (with ``--bad-lines``: the rejected
lines and the invalid cards) or the reconciliation found a mismatch.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Final

import attrs

from plexy_async._client import PlexyClient
from plexy_async._core.config import ClientConfig, Environment, RetryPolicy
from plexy_async.batch import Batch
from plexy_async.batch._input import InputFile
from plexy_async.batch._journal import Outcome, iter_journal
from plexy_async.cli._failures import print_final_problems
from plexy_async.cli._progress import make_display
from plexy_async.cli._running import (
    ENV_MERCHANT_ACCOUNT,
    EXIT_INTERRUPTED,
    EXIT_ITEMS,
    EXIT_OK,
    EXIT_USAGE,
    run_with_progress,
)
from plexy_async.errors import ConfigurationError
from plexy_async.testing import Fault, Ledger, MockPlexy

PAYMENTS: Final = ("POST", "/v2/payments")
AUTHORISING: Final = ("4242424242424242", "5555555555554444", "378282246310005")
DECLINING: Final = ("4000000000000002", "4000000000009995", "4000000000009987")
INVALID_CARD: Final = "4242424242424241"  # fails the Luhn check: the server answers 422
DEMO_RETRY: Final = RetryPolicy(max_attempts=4, initial_delay=0.05, max_delay=0.5)
# (fault, times, what it is), spread through the run
FAULTS: Final = (
    (Fault.status(503), 3, "503"),
    (Fault.drop_after_commit(), 2, "connection dropped after the commit"),
    (Fault.status(429, retry_after=1), 1, "429 with Retry-After: 1"),
    (Fault.status(500, shape="html"), 2, "500 with an HTML page"),
    (Fault.truncated(), 1, "body cut off after the commit"),
    (Fault.garbled_after_commit(), 2, "unreadable 200 after the commit"),
    (Fault.status(502, shape="text"), 2, "502 from a gateway"),
    (Fault.drop_after_commit(), 2, "connection dropped after the commit"),
)


@attrs.frozen
class DemoInput:
    path: Path
    ids: frozenset[str]
    bad_lines: frozenset[int]
    invalid_cards: int

    @property
    def lines(self) -> int:
        return len(self.ids) + len(self.bad_lines)


def write_input(path: Path, count: int, seed: int = 7, *, bad_lines: bool = False) -> DemoInput:
    """``count`` payments as JSON Lines (amounts in minor units of KZT), every line valid.

    With ``bad_lines``, three bad lines among them (a missing amount, an unknown currency,
    malformed JSON: rejected) and two card numbers that fail the Luhn check (the mock answers
    422: failed).
    """
    rng = random.Random(seed)
    bad_at: dict[int, str] = {}
    invalid_at: set[int] = set()
    if bad_lines:
        bad_at = {
            count // 4: "missing amount",
            count // 2: "unknown currency",
            3 * count // 4: "json",
        }
        invalid_at = {count // 3, 2 * count // 3}
    ids, bad_numbers = set(), set()
    line = 0
    with open(path, "w", encoding="utf-8") as f:
        for i in range(count):
            line += 1
            reference = f"demo-{i:05d}"
            ids.add(reference)
            card = rng.choice(DECLINING) if rng.random() < 1 / 12 else rng.choice(AUTHORISING)
            if i in invalid_at:
                card = INVALID_CARD
            row: dict[str, Any] = {
                "reference": reference,
                "amount": rng.randint(500, 500_000),
                "currency": "KZT",
                "card_number": card,
                "cvc": "737",
                "expiry_month": "03",
                "expiry_year": "2030",
            }
            f.write(json.dumps(row) + "\n")
            kind = bad_at.get(i)
            if kind is not None:
                line += 1
                bad_numbers.add(line)
                f.write(_bad_line(kind, i) + "\n")
    return DemoInput(path, frozenset(ids), frozenset(bad_numbers), len(invalid_at))


def _bad_line(kind: str, i: int) -> str:
    if kind == "json":
        return '{"reference": "demo-bad-json", "amount": 1000, "currency": "KZT"'
    row: dict[str, Any] = {"reference": f"demo-bad-{i}", "currency": "KZT", "amount": 1000}
    if kind == "missing amount":
        del row["amount"]
    else:
        row["currency"] = "XYZ"
    row.update(card_number=AUTHORISING[0], cvc="737", expiry_month="03", expiry_year="2030")
    return json.dumps(row)


def schedule_faults(mock: MockPlexy, count: int) -> list[str]:
    gap = max(count // (len(FAULTS) + 3), 1)
    for fault, times, _ in FAULTS:
        mock.faults.add(*PAYMENTS, fault, times=times, after=gap)
    totals = Counter[str]()
    for _, times, label in FAULTS:
        totals[label] += times
    return [f"{label} x{n}" for label, n in totals.items()]


@contextmanager
def _journal_path(given: str | None) -> Iterator[Path]:
    if given is not None:
        yield Path(given)
        return
    with tempfile.TemporaryDirectory(prefix="plexy-demo-") as tmp:
        yield Path(tmp) / "journal.jsonl"


def _journal_problem(path: str) -> str | None:
    """Why ``--journal PATH`` cannot be written, or None."""
    if os.path.exists(path):
        return f"{path} exists; choose a new journal path"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"--journal: there is no folder {folder} to write {os.path.basename(path)} in"
    return None


@attrs.define
class _Run:
    """One demo run's settings, shared by its steps."""

    args: argparse.Namespace
    out: IO[str]
    err: IO[str]
    demo: DemoInput
    journal: Path
    batch_id: str = attrs.field(factory=lambda: "demo-" + secrets.token_hex(4))
    secret: str = attrs.field(factory=lambda: secrets.token_hex(16), repr=False)  # never written
    merchant_account: str = "DemoMerchant"

    def batch(self, *, journal: Path | None, resume: bool = False) -> Batch:
        return Batch(
            batch_id=self.batch_id,
            secret=self.secret,
            concurrency=self.args.concurrency,
            journal=journal,
            resume=resume,
        )

    def items(self) -> InputFile:
        return InputFile(
            self.demo.path,
            "payments.create",
            defaults={"merchant_account": self.merchant_account},
        )

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)


async def demo_command(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    problem = _journal_problem(args.journal) if args.journal else None
    if problem is not None:
        print(f"plexy-async demo: {problem}", file=err)
        return EXIT_USAGE
    with tempfile.TemporaryDirectory(prefix="plexy-demo-") as tmp:
        with _journal_path(args.journal) as journal:
            demo = write_input(Path(tmp) / "payments.jsonl", args.count, bad_lines=args.bad_lines)
            run = _Run(args, out, err, demo, journal)
            if args.use_api:
                return await _against_api(run)
            status = await _against_mock(run)
        if args.journal and status != EXIT_USAGE:
            run.say(f"journal kept at {args.journal}")
    return status


async def _against_mock(run: _Run) -> int:
    async with MockPlexy() as mock:
        faults = schedule_faults(mock, run.args.count)
        if run.demo.bad_lines or run.demo.invalid_cards:
            bad = (
                f"{len(run.demo.bad_lines)} of them bad on purpose (rejected) and "
                f"{run.demo.invalid_cards} card numbers invalid (failed): the demo exits 1, "
                "as batch would"
            )
        else:
            bad = "every line valid (--bad-lines adds rejected and failed ones)"
        run.say(
            f"plexy-async demo: {run.args.count:,} payments through the batch runner at "
            f"concurrency {run.args.concurrency:,}, against a mock Plexy server at {mock.url}\n"
            "  (started in this process: nothing leaves this machine, nobody is charged)\n"
            f"  input: {run.demo.lines:,} JSON lines, {bad}; about 1 card in 12 declines\n"
            f"  faults injected on POST /v2/payments: {', '.join(faults)}"
        )
        batch = run.batch(journal=run.journal)
        async with PlexyClient(
            api_key=mock.api_key,
            base_url=mock.url,
            retry=DEMO_RETRY,
            pool=batch.pool_limits(),
            trace_configs=[batch.trace_config()],
        ) as plexy:
            if not await _main_run(run, batch, plexy):
                return EXIT_INTERRUPTED
            await _settle(run, plexy)
            await _rerun(run, plexy, mock.ledger)
        matched = reconcile(mock.ledger, run.journal, run.demo, run.out)
        return _status(run, matched)


def _status(run: _Run, matched: bool) -> int:
    """The exit status by the rule of ``batch``: 1 when an item did not settle (its final
    outcome over every run is failed, in doubt, rate-limited or rejected), or on a mismatch."""
    unsettled = print_final_problems(str(run.journal), run.out, hint=bool(run.args.journal))
    if unsettled:
        run.say(
            f"\n{unsettled:,} item(s) did not settle: exit status {EXIT_ITEMS}, as batch would "
            "give (see plexy-async --help)"
        )
    return EXIT_OK if matched and not unsettled else EXIT_ITEMS


async def _main_run(run: _Run, batch: Batch, plexy: PlexyClient) -> bool:
    display = make_display(run.args.progress, run.err, total=run.demo.lines, label="payments")
    summary = await run_with_progress(
        batch, plexy, run.items(), "payments.create", display, run.err
    )
    run.say("\n" + summary.format())
    if summary.interrupted:
        run.say("interrupted: no reconciliation")
        return False
    return True


async def _settle(run: _Run, plexy: PlexyClient) -> None:
    """Resume the journal once if anything is in doubt or rate-limited: the same keys learn the
    outcome, or send what was never processed."""
    last = _last_records(run.journal).values()
    unsettled = Counter(r["outcome"] for r in last if r["outcome"] in _RESENT)
    if not unsettled:
        return
    what = " and ".join(f"{n} {Outcome(o).value.replace('_', ' ')}" for o, n in unsettled.items())
    run.say(f"\n{what}: resuming the journal to settle them with their keys")
    summary = await run.batch(journal=run.journal, resume=True).run(
        plexy, run.items(), "payments.create"
    )
    run.say(summary.format())


async def _rerun(run: _Run, plexy: PlexyClient, ledger: Ledger) -> None:
    """Send the whole batch again without its journal: every key is the same, nobody is
    charged twice."""
    before = len(ledger.charges)
    summary = await run.batch(journal=None).run(plexy, run.items(), "payments.create")
    new = len(ledger.charges) - before
    sent = summary.processed - summary.counts[Outcome.REJECTED]
    run.say(
        f"\nre-run of the whole batch without its journal: {sent:,} payments sent again with "
        f"the same keys, {new} new charge(s) (the server replayed its answers)"
    )


_RESENT: Final = frozenset({Outcome.IN_DOUBT.value, Outcome.RATE_LIMITED.value})


def _last_records(journal: Path) -> dict[str, dict[str, Any]]:
    """The latest journal line of each item id."""
    last: dict[str, dict[str, Any]] = {}
    for record in iter_journal(journal):
        if record.get("event") == "item" and isinstance(record.get("id"), str):
            last[record["id"]] = record
    return last


def reconcile(ledger: Ledger, journal: Path, demo: DemoInput, out: IO[str]) -> bool:
    """Compare the mock's ledger with the journal; print the comparison; True when it holds."""
    last = _last_records(journal)
    rejected_lines = {
        r["line"]
        for r in iter_journal(journal)
        if r.get("event") == "item" and r.get("outcome") == "rejected" and r.get("id") is None
    }
    succeeded = {i: r for i, r in last.items() if r["outcome"] == Outcome.SUCCEEDED}
    by_key = Counter(c.idempotency_key for c in ledger.charges)
    by_reference = Counter(c.reference for c in ledger.charges)
    duplicates = sum(n - 1 for n in by_reference.values()) + sum(n - 1 for n in by_key.values())
    matching = sum(
        1
        for c in ledger.charges
        if (r := succeeded.get(c.reference)) is not None
        and r.get("key") == c.idempotency_key
        and r.get("result", {}).get("psp_reference") == c.psp_reference
    )
    journalled = len(demo.ids & last.keys()) + len(
        demo.bad_lines & (rejected_lines | {r["line"] for r in last.values()})
    )
    counts = Counter(r["outcome"] for r in last.values())
    charges = len(ledger.charges)
    checks = [
        ("charges in the mock's ledger", charges, True),
        ("succeeded items in the journal", len(succeeded), charges == len(succeeded)),
        ("duplicate charges", duplicates, duplicates == 0),
        ("charges matching a succeeded item", matching, matching == charges),
        ("items in doubt", counts["in_doubt"], counts["in_doubt"] == 0),
        ("items rate-limited", counts["rate_limited"], counts["rate_limited"] == 0),
        (
            f"input lines journalled (of {demo.lines:,})",
            journalled,
            journalled == demo.lines,
        ),
    ]
    print("\nreconciliation of the mock's ledger against the journal", file=out)
    for label, value, ok in checks:
        print(f"  {label:<40} {value:>7,}   {'ok' if ok else 'MISMATCH'}", file=out)
    all_ok = all(ok for _, _, ok in checks)
    print(
        "  every charge is a succeeded item, once, with its journalled key and pspReference"
        if all_ok
        else "  RECONCILIATION FAILED",
        file=out,
        flush=True,
    )
    return all_ok


async def _against_api(run: _Run) -> int:
    """The demo's payments against a configured API (never the live one): no faults, no ledger."""
    try:
        config = ClientConfig.resolve(retry=DEMO_RETRY)
        if config.base_url == Environment.LIVE.base_url:
            raise ConfigurationError(
                "the demo never runs against the live API: set PLEXY_ENVIRONMENT=sandbox"
            )
        run.merchant_account = os.environ.get(ENV_MERCHANT_ACCOUNT, "")
        if not run.merchant_account:
            raise ConfigurationError(f"set {ENV_MERCHANT_ACCOUNT} for --use-api")
    except ConfigurationError as exc:
        print(f"plexy-async demo: {exc}", file=run.err)
        return EXIT_USAGE
    run.say(
        f"plexy-async demo: {run.args.count:,} test-card payments against {config.base_url} "
        "(no faults injected; no ledger to reconcile: see the journal)"
    )
    batch = run.batch(journal=run.journal)
    config = attrs.evolve(config, pool=batch.pool_limits(config.pool))
    async with PlexyClient(config=config, trace_configs=[batch.trace_config()]) as plexy:
        if not await _main_run(run, batch, plexy):
            return EXIT_INTERRUPTED
    return _status(run, matched=True)
