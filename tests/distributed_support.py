"""Processes for the distributed-batch tests: the mock Plexy server, taskiq workers and the
coordinator, each in its own process, and the checks of the mock's ledger against a journal.

The mock runs ``plexy_async.testing.MockPlexy`` in a subprocess (``python distributed_support.py
mock CONFIG``) with a per-call delay and the faults the config lists. It writes its URL to a
file once it listens, and dumps its ledger (charges, and every request with its status and its
``time.monotonic()`` times, the clock every process of this machine shares) to a JSON file on
SIGUSR1, and on SIGTERM before it exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parent.parent
SECRET = "distributed-test-secret"
API_KEY = "sk_test_distributed"
AUTHORISING = ("4242424242424242", "5555555555554444")
DECLINING = "4000000000000002"
WORKER_TARGET = "plexy_async.distributed.worker:broker"


# --- the mock, in its own process ---------------------------------------------------------------


def _fault(spec: dict[str, Any]) -> Any:
    from plexy_async.testing import Fault

    kind = spec["kind"]
    if kind == "status":
        return Fault.status(spec["code"], retry_after=spec.get("retry_after"))
    return getattr(Fault, kind)()


async def _serve(config_path: Path) -> None:
    from aiohttp import web

    from plexy_async.testing import MockPlexy

    config = json.loads(config_path.read_text())  # noqa: ASYNC240 - before serving
    mock = MockPlexy(api_key=API_KEY)
    delay = float(config.get("delay", 0.0))

    @web.middleware
    async def slow(request: web.Request, handler: Any) -> web.StreamResponse:
        if delay:  # after the idempotency key is claimed, before the handler commits
            await asyncio.sleep(delay)
        response: web.StreamResponse = await handler(request)
        return response

    mock.app.middlewares.append(slow)
    for spec in config.get("faults", []):
        mock.faults.add(
            "POST", "/v2/payments", _fault(spec), times=spec.get("times", 1),
            after=spec.get("after", 0),
        )  # fmt: skip
    await mock.start()
    dump_path = Path(config["dump"])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def dump() -> None:
        offset = time.time() - time.monotonic()
        ledger = mock.ledger
        data = {
            "charges": [
                {
                    "psp_reference": c.psp_reference,
                    "idempotency_key": c.idempotency_key,
                    "reference": c.reference,
                    "value": c.value,
                }
                for c in ledger.charges
            ],
            "requests": [
                {
                    "method": r.method,
                    "path": r.path,
                    "key": r.idempotency_key,
                    "started": r.started,
                    "ended": r.ended,
                    "started_epoch": r.started + offset,
                    "status": r.status,
                    "fault": r.fault,
                    "replayed": r.replayed,
                }
                for r in ledger.requests
            ],
        }
        temp = dump_path.with_suffix(".tmp")
        temp.write_text(json.dumps(data))
        os.replace(temp, dump_path)

    loop.add_signal_handler(signal.SIGUSR1, dump)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    ready = Path(config["ready"])
    ready.with_suffix(".tmp").write_text(json.dumps({"url": mock.url}))
    os.replace(ready.with_suffix(".tmp"), ready)
    await stop.wait()
    dump()
    await mock.close()


@attrs.define
class MockProcess:
    process: subprocess.Popen[bytes]
    url: str
    dump_path: Path

    def ledger(self) -> dict[str, Any]:
        """Ask the mock for its ledger now (SIGUSR1) and read it."""
        before = self.dump_path.stat().st_mtime_ns if self.dump_path.exists() else None
        self.process.send_signal(signal.SIGUSR1)
        wait_for(
            lambda: self.dump_path.exists() and self.dump_path.stat().st_mtime_ns != before,
            10,
            "the mock's ledger dump",
        )
        data: dict[str, Any] = json.loads(self.dump_path.read_text())
        return data

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_mock(
    directory: Path, *, delay: float = 0.0, faults: list[dict[str, Any]] | None = None
) -> MockProcess:
    config = {
        "delay": delay,
        "faults": faults or [],
        "dump": str(directory / "ledger.json"),
        "ready": str(directory / "mock-ready.json"),
    }
    config_path = directory / "mock.json"
    config_path.write_text(json.dumps(config))
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "mock", str(config_path)],
        cwd=ROOT,
        env=_env({}),
    )
    ready = Path(config["ready"])
    try:
        wait_for(lambda: ready.exists() or process.poll() is not None, 20, "the mock to start")
    except BaseException:
        process.kill()
        raise
    if process.poll() is not None:
        raise RuntimeError("the mock process exited")
    url = json.loads(ready.read_text())["url"]
    return MockProcess(process, url, Path(config["dump"]))


# --- workers and the coordinator ---------------------------------------------------------------


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEXY_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def worker_env(redis_url: str, mock_url: str, **extra: str) -> dict[str, str]:
    return _env(
        {
            "PLEXY_BROKER_URL": redis_url,
            "PLEXY_API_KEY": API_KEY,
            "PLEXY_BASE_URL": mock_url,
            "PLEXY_BATCH_SECRET": SECRET,
            "PLEXY_BROKER_IDLE_TIMEOUT": "3",
            "PLEXY_WORKER_CHUNKS": "2",
            "PLEXY_WORKER_CONCURRENCY": "32",
            **extra,
        }
    )


def start_worker(
    redis_url: str, mock_url: str, log: Path, *, via_cli: bool = False, **extra: str
) -> subprocess.Popen[bytes]:
    """A real ``taskiq worker`` (one worker process under taskiq's supervisor), in its own
    process group so that a test can SIGKILL both. ``via_cli``: started as ``plexy-async
    worker --broker ...``, which runs the same command."""
    argv = [
        sys.executable, "-m", "taskiq", "worker", WORKER_TARGET,
        "--workers", "1", "--max-async-tasks", "2", "--shutdown-timeout", "2",
    ]  # fmt: skip
    if via_cli:
        argv = [
            sys.executable, "-m", "plexy_async", "worker", "--broker", redis_url,
            "--chunks", "2", "--concurrency", "32", "--idle-timeout", "3",
        ]  # fmt: skip
    with open(log, "ab") as out:
        return subprocess.Popen(
            argv,
            cwd=ROOT,
            env=worker_env(redis_url, mock_url, **extra),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def kill_group(process: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def start_coordinator(
    redis_url: str,
    input_path: Path,
    journal: Path,
    log: Path,
    *args: str,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [
                sys.executable, "-m", "plexy_async", "batch", str(input_path),
                "--broker", redis_url, "--journal", str(journal), "--batch-id", "b1",
                "--merchant-account", "TestMerchant", "--progress", "plain", *args,
            ],
            cwd=ROOT,
            env=_env({"PLEXY_BATCH_SECRET": SECRET, **(env or {})}),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {seconds} s for {what}")
        time.sleep(0.02)


# --- input and checks -----------------------------------------------------------------------------


def write_payments(path: Path, count: int, *, seed: int = 11, decline_every: int = 10) -> set[str]:
    """``count`` payments as JSON Lines; returns their references."""
    rng = random.Random(seed)
    refs = set()
    with open(path, "w", encoding="utf-8") as f:
        for i in range(count):
            reference = f"dist-{i:05d}"
            refs.add(reference)
            card = DECLINING if i % decline_every == 3 else rng.choice(AUTHORISING)
            row = {
                "reference": reference,
                "amount": 1000 + i,
                "currency": "KZT",
                "card_number": card,
                "cvc": "737",
                "expiry_month": "03",
                "expiry_year": "2030",
            }
            f.write(json.dumps(row) + "\n")
    return refs


def journal_items(journal: Path) -> list[dict[str, Any]]:
    from plexy_async.batch import iter_journal

    return [r for r in iter_journal(journal) if r.get("event") == "item"]


def check_ledger_against_journal(
    ledger: dict[str, Any], journal: Path, refs: set[str]
) -> Counter[str]:
    """Exactly one charge per succeeded item and none for the others, every input line one
    final outcome; returns the outcome counts."""
    items = journal_items(journal)
    lines = Counter(r["line"] for r in items)
    assert all(n == 1 for n in lines.values()), "an input line has two journal lines"
    assert {r["id"] for r in items} == refs
    assert len(items) == len(refs)
    outcomes = Counter(r["outcome"] for r in items)
    assert set(outcomes) <= {"succeeded", "declined", "failed"}, outcomes
    succeeded = {r["id"]: r for r in items if r["outcome"] == "succeeded"}
    charges = ledger["charges"]
    by_reference = Counter(c["reference"] for c in charges)
    duplicates = {ref: n for ref, n in by_reference.items() if n > 1}
    assert not duplicates, f"charged twice: {duplicates}"
    assert set(by_reference) == set(succeeded), "a charge without a succeeded item, or back"
    for charge in charges:
        record = succeeded[charge["reference"]]
        assert record["key"] == charge["idempotency_key"]
        assert record["result"]["psp_reference"] == charge["psp_reference"]
    return outcomes


def redis_counts(client: Any) -> dict[str, int]:
    raw = client.hgetall("plexy:{b1}:counts")
    return {k: int(v) for k, v in raw.items()}


def chunk_states(
    client: Any,
) -> tuple[dict[int, str], dict[int, int], dict[int, int], dict[int, int]]:
    """state, final lines, kicks and records per chunk of batch b1."""
    state = {int(k): v for k, v in client.hgetall("plexy:{b1}:state").items()}
    final = {int(k): int(v) for k, v in client.hgetall("plexy:{b1}:final").items()}
    kicks = {int(k): int(v) for k, v in client.hgetall("plexy:{b1}:kicks").items()}
    records = {
        int(k): json.loads(v)["records"] for k, v in client.hgetall("plexy:{b1}:chunks").items()
    }
    return state, final, kicks, records


def tail(path: Path, n: int = 30) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-n:])


def processes(*procs: subprocess.Popen[bytes] | None) -> Iterator[subprocess.Popen[bytes]]:
    return (p for p in procs if p is not None)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "mock":
        asyncio.run(_serve(Path(sys.argv[2])))
    else:
        raise SystemExit("usage: distributed_support.py mock CONFIG")
