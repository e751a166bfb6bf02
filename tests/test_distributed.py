"""The distributed batch with real components: redis-server, the mock Plexy server in its own
process, workers as ``taskiq worker`` processes and the coordinator as ``plexy-async batch
--broker``. Faults are injected in the mock; its ledger is checked against the journal."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from distributed_support import (
    check_ledger_against_journal,
    chunk_states,
    journal_items,
    kill_group,
    redis_counts,
    start_coordinator,
    start_mock,
    start_worker,
    tail,
    wait_for,
    write_payments,
)
from redis_support import RedisServer, redis_server, stop_redis

__all__ = ["redis_server"]  # the fixture, imported for pytest

STREAM = "plexy_async:chunks"
FAULTS: list[dict[str, Any]] = [
    {"kind": "status", "code": 503, "times": 3, "after": 150},
    {"kind": "drop_after_commit", "times": 3, "after": 150},
    {"kind": "garbled_after_commit", "times": 2, "after": 150},
    {"kind": "status", "code": 502, "times": 2, "after": 150},
    {"kind": "drop_after_commit", "times": 2, "after": 300},
]


def _logs(tmp_path: Path) -> str:
    return "\n".join(f"--- {p.name}\n{tail(p)}" for p in sorted(tmp_path.glob("*.log")))


def _finish(coordinator: subprocess.Popen[bytes], tmp_path: Path, seconds: float = 45) -> int:
    try:
        return coordinator.wait(seconds)
    except subprocess.TimeoutExpired:
        kill_group(coordinator)
        raise AssertionError("the coordinator did not finish\n" + _logs(tmp_path)) from None


@pytest.fixture
def cluster(redis_server: RedisServer, tmp_path: Path) -> Any:
    """Start/stop helpers; every process started is stopped after the test."""
    started: list[Any] = []

    class Cluster:
        redis = redis_server

        def mock(self, **options: Any) -> Any:
            mock = start_mock(tmp_path, **options)
            started.append(("mock", mock))
            return mock

        def workers(self, mock_url: str, n: int = 3, **extra: str) -> list[subprocess.Popen[bytes]]:
            procs = [
                start_worker(
                    redis_server.url, mock_url, tmp_path / f"worker{i}.log",
                    PLEXY_WORKER_NAME=f"w{i}", **extra,
                )
                for i in range(n)
            ]  # fmt: skip
            started.extend(("proc", p) for p in procs)
            return procs

        def coordinator(
            self, input_path: Path, *args: str, env: dict[str, str] | None = None
        ) -> subprocess.Popen[bytes]:
            proc = start_coordinator(
                redis_server.url, input_path, tmp_path / "journal.jsonl",
                tmp_path / "coordinator.log", *args, env=env,
            )  # fmt: skip
            started.append(("proc", proc))
            return proc

    yield Cluster()
    for kind, thing in reversed(started):
        if kind == "mock":
            thing.stop()
        elif thing.poll() is None:
            kill_group(thing, signal.SIGTERM)


def _consumers(client: Any) -> int:
    """Worker processes that beat (``_broker``'s heartbeats)."""
    return int(client.zcard(STREAM + ":workers"))


def _pending_chunks_of(client: Any, consumer_prefix: str) -> set[int]:
    """Chunks whose message a consumer holds unacknowledged now."""
    by_id = {v: int(k) for k, v in client.hgetall("plexy:{b1}:msgids").items()}
    pending = client.xpending_range(STREAM, "taskiq", "-", "+", 1000)
    return {
        by_id[p["message_id"]]
        for p in pending
        if p["consumer"].startswith(consumer_prefix + ":") and p["message_id"] in by_id
    }


def test_a_worker_killed_mid_batch_its_chunks_are_redelivered(cluster: Any, tmp_path: Path) -> None:
    input_path = tmp_path / "payments.jsonl"
    refs = write_payments(input_path, 3000)
    mock = cluster.mock(delay=0.004, faults=FAULTS)
    workers = cluster.workers(mock.url)
    coordinator = cluster.coordinator(input_path, "--concurrency", "16")
    r = cluster.redis.client()
    wait_for(lambda: redis_counts(r).get("lines", 0) >= 900, 40, "900 lines done")
    held = _pending_chunks_of(r, "w0")
    state_at_kill = chunk_states(r)[0]
    kill_group(workers[0])  # SIGKILL, the worker process and its supervisor
    unfinished = {n for n in held if state_at_kill.get(n) != "done"}
    assert unfinished, "the killed worker held no chunk: nothing to redeliver"

    assert _finish(coordinator, tmp_path) == 0, _logs(tmp_path)
    outcomes = check_ledger_against_journal(mock.ledger(), tmp_path / "journal.jsonl", refs)
    assert outcomes["declined"] == 300
    assert outcomes["succeeded"] == 2700
    state, final, _, records = chunk_states(r)
    assert all(state[n] == "done" and final[n] == records[n] for n in unfinished)
    assert len(records) == 30 and sum(records.values()) == 3000
    ledger = mock.ledger()
    replayed = sum(1 for q in ledger["requests"] if q["replayed"])
    print(f"kill: w0 held chunks {sorted(held)} ({sorted(unfinished)} unfinished); "
          f"{len(ledger['charges'])} charges, {replayed} replayed answers, {outcomes}")  # fmt: skip


def test_the_coordinator_killed_and_restarted_kicks_no_finished_chunk_again(
    cluster: Any, tmp_path: Path
) -> None:
    input_path = tmp_path / "payments.jsonl"
    refs = write_payments(input_path, 3000, seed=5)
    mock = cluster.mock(delay=0.004, faults=FAULTS)
    cluster.workers(mock.url)
    first = cluster.coordinator(input_path, "--concurrency", "16")
    r = cluster.redis.client()
    wait_for(lambda: redis_counts(r).get("lines", 0) >= 1500, 40, "1,500 lines done")
    kill_group(first)
    _, final, kicks_before, records = chunk_states(r)
    finished = {n for n, count in records.items() if final.get(n, 0) == count}
    assert finished and len(finished) < len(records)

    second = cluster.coordinator(input_path, "--concurrency", "16")
    assert _finish(second, tmp_path) == 0, _logs(tmp_path)
    _, _, kicks_after, records = chunk_states(r)
    assert {n: kicks_after[n] for n in finished} == {n: kicks_before[n] for n in finished}
    assert all(kicks_before[n] == 1 for n in finished)
    assert sum(kicks_after.values()) == len(records)  # every chunk kicked once in all
    print(f"restart: {len(finished)} of {len(records)} chunks finished at the kill; kicks "
          f"{sum(kicks_before.values())} before, {sum(kicks_after.values())} after")  # fmt: skip
    check_ledger_against_journal(mock.ledger(), tmp_path / "journal.jsonl", refs)
    assert "picked up from Redis" in (tmp_path / "coordinator.log").read_text()


def test_a_429_storm_pauses_every_worker(cluster: Any, tmp_path: Path) -> None:
    input_path = tmp_path / "payments.jsonl"
    refs = write_payments(input_path, 1200, seed=3)
    storm = [{"kind": "status", "code": 429, "retry_after": 1, "times": 20, "after": 300}]
    mock = cluster.mock(delay=0.004, faults=storm)
    cluster.workers(mock.url)
    coordinator = cluster.coordinator(input_path, "--concurrency", "16")
    assert _finish(coordinator, tmp_path) == 0, _logs(tmp_path)
    ledger = mock.ledger()
    check_ledger_against_journal(ledger, tmp_path / "journal.jsonl", refs)
    requests = [q for q in ledger["requests"] if q["path"] == "/v2/payments"]
    limited = [q for q in requests if q["status"] == 429]
    assert len(limited) == 20
    assert int(cluster.redis.client().hget("plexy:{b1}:counts", "pauses")) >= 1
    assert "rate-limit pauses: 0" not in (tmp_path / "coordinator.log").read_text()
    slack = 0.15  # a request past the gate as the 429 was answered, on a loaded 2-core box
    inside = [
        (q["started"] - t["ended"], q["status"])
        for t in limited
        for q in requests
        if t["ended"] + slack < q["started"] < t["ended"] + 1.0 - slack
    ]
    late = {
        round(q["started"] - t["ended"], 4)
        for t in limited
        for q in requests
        if t["ended"] < q["started"] <= t["ended"] + slack
    }
    print(f"429 storm: {len(limited)} answered 429; latest arrival after one: {max(late)} s")
    assert not inside, f"requests inside a Retry-After window: {inside[:10]}"


def test_max_rate_holds_across_workers(cluster: Any, tmp_path: Path) -> None:
    input_path = tmp_path / "payments.jsonl"
    refs = write_payments(input_path, 900, seed=9)
    mock = cluster.mock(delay=0.004)
    cluster.workers(mock.url)
    coordinator = cluster.coordinator(input_path, "--concurrency", "16", "--max-rate", "200")
    assert _finish(coordinator, tmp_path) == 0, _logs(tmp_path)
    ledger = mock.ledger()
    check_ledger_against_journal(ledger, tmp_path / "journal.jsonl", refs)
    starts = sorted(q["started"] for q in ledger["requests"] if q["path"] == "/v2/payments")
    assert len(starts) >= 900
    busiest = 0
    j = 0
    for i, t in enumerate(starts):  # every 1 s window that starts at a request
        while j < len(starts) and starts[j] < t + 1.0:
            j += 1
        busiest = max(busiest, j - i)
    span = starts[-1] - starts[0]
    print(f"max-rate 200: busiest 1 s window {busiest}, {len(starts)} requests in {span:.2f} s")
    # GCRA: one request every 5 ms, a burst of 4 at most (N // 50): at most 205 per 1 s as the
    # workers send them; the mock sees each a few ms later (a loaded 2-core box): 5 more.
    assert busiest <= 200 + 10, f"{busiest} requests in one second"
    assert busiest >= 150, f"only {busiest} requests/s at most: the limit held the batch back"
    assert span >= (len(starts) - 210) / 200


def test_the_journal_has_one_line_per_input_line_with_rejections(
    cluster: Any, tmp_path: Path
) -> None:
    input_path = tmp_path / "payments.jsonl"
    refs = write_payments(input_path, 250, seed=1)
    with open(input_path, "a", encoding="utf-8") as f:
        f.write('{"reference": "bad-1", "amount": 10, "currency": "XYZ"}\n\n{"broken\n')
    mock = cluster.mock()
    worker = start_worker(cluster.redis.url, mock.url, tmp_path / "cli-worker.log", via_cli=True)
    coordinator = cluster.coordinator(input_path, "--chunk-size", "7")
    try:
        status = _finish(coordinator, tmp_path)
    finally:
        kill_group(worker, signal.SIGTERM)
    assert status == 1, _logs(tmp_path)  # rejected lines: exit 1
    console = (tmp_path / "coordinator.log").read_text()
    assert "not settled in this run (2):" in console  # their reasons, as a local run shows
    assert "line 251" in console and "unknown currency" in console
    items = journal_items(tmp_path / "journal.jsonl")
    assert Counter(r["outcome"] for r in items)["rejected"] == 2
    assert sorted(r["line"] for r in items) == [*range(1, 252), 253]
    assert {r["id"] for r in items if r["outcome"] != "rejected"} == refs
    text = (tmp_path / "journal.jsonl").read_text()
    assert "4242424242424242" not in text and "5555555555554444" not in text
    first = json.loads(text.splitlines()[0])
    assert first["event"] == "run" and first["key_check"]
    r = cluster.redis.client()
    keys = r.keys("plexy:*")
    assert keys and all(0 < r.ttl(k) <= 7 * 24 * 3600 for k in keys), {k: r.ttl(k) for k in keys}
    assert r.xlen(STREAM) == 0  # the batch's messages are deleted once it is complete
    stored = json.dumps([r.hgetall(k) for k in keys if r.type(k) == "hash"])
    assert "dist-00001" in stored  # the records are there ...
    assert "4242424242424242" not in stored and "5555555555554444" not in stored  # ... no card


def test_a_worker_with_another_secret_refuses_the_batch(cluster: Any, tmp_path: Path) -> None:
    input_path = tmp_path / "payments.jsonl"
    refs = write_payments(input_path, 120, seed=2)
    mock = cluster.mock()
    wrong = start_worker(
        cluster.redis.url, mock.url, tmp_path / "wrong.log", PLEXY_BATCH_SECRET="not-the-one"
    )
    coordinator = cluster.coordinator(input_path)
    r = cluster.redis.client()
    try:
        wait_for(lambda: bool(r.lrange("plexy:{b1}:errors", 0, -1)), 30, "a refusal")
    finally:
        kill_group(wrong)
    errors = r.lrange("plexy:{b1}:errors", 0, -1)
    assert "PLEXY_BATCH_SECRET differs" in errors[0]
    assert "not-the-one" not in " ".join(errors)
    assert mock.ledger()["requests"] == []  # refused before anything went on the wire
    assert redis_counts(r).get("lines", 0) == 0

    cluster.workers(mock.url, n=1)  # the right secret: takes the refused chunks after the idle
    assert _finish(coordinator, tmp_path) == 0, _logs(tmp_path)
    check_ledger_against_journal(mock.ledger(), tmp_path / "journal.jsonl", refs)
    assert "worker error: chunk" in (tmp_path / "coordinator.log").read_text()


def test_a_chunk_whose_lines_all_end_at_once_is_recorded_without_redelivery(
    cluster: Any, tmp_path: Path
) -> None:
    # 350 lines without an amount: all rejected at once, 350 records to Redis together (past
    # redis-py's default pool of 100 connections: MaxConnectionsError, the chunk unacknowledged)
    input_path = tmp_path / "rejected.jsonl"
    rows = [json.dumps({"reference": f"rej-{i:04d}", "currency": "KZT"}) for i in range(350)]
    input_path.write_text("\n".join(rows) + "\n")
    mock = cluster.mock()
    cluster.workers(mock.url, n=1, PLEXY_BROKER_IDLE_TIMEOUT="60")  # no redelivery in the test
    r = cluster.redis.client()
    wait_for(lambda: _consumers(r) > 0, 20, "the worker to read the stream")
    r.delete(STREAM)  # the stream expired under a waiting worker (NOGROUP): it reads on
    time.sleep(1.5)
    coordinator = cluster.coordinator(input_path, "--chunk-size", "350")
    assert _finish(coordinator, tmp_path, 20) == 1, _logs(tmp_path)  # rejected lines: exit 1
    items = journal_items(tmp_path / "journal.jsonl")
    assert sorted(i["line"] for i in items) == list(range(1, 351))
    assert {i["outcome"] for i in items} == {"rejected"}
    state, final, kicks, records = chunk_states(r)
    assert (state, final, kicks, records) == ({0: "done"}, {0: 350}, {0: 1}, {0: 350})
    assert r.lrange("plexy:{b1}:errors", 0, -1) == []
    counts = redis_counts(r)
    assert (counts["lines"], counts["rejected"]) == (350, 350)
    assert mock.ledger()["requests"] == []  # rejected before the wire


def test_redis_lost_mid_batch_exits_1_and_says_the_batch_can_be_picked_up(
    cluster: Any, tmp_path: Path
) -> None:
    input_path = tmp_path / "payments.jsonl"
    refs = write_payments(input_path, 600, seed=4)
    mock = cluster.mock(delay=0.05)
    cluster.workers(mock.url, n=1)
    coordinator = cluster.coordinator(input_path, "--concurrency", "2")
    r = cluster.redis.client()
    wait_for(lambda: redis_counts(r).get("lines", 0) >= 40, 20, "40 lines done")
    stop_redis(cluster.redis)
    status = _finish(coordinator, tmp_path, 20)
    log = (tmp_path / "coordinator.log").read_text()
    assert status == 1, log  # items unsettled, not 2 ("nothing was sent")
    assert "lost Redis at" in log and "run the same command again" in log, log
    assert "Traceback" not in log
    charges = mock.ledger()["charges"]
    by_reference = Counter(c["reference"] for c in charges)
    assert charges and set(by_reference) <= refs  # money moved before Redis went away ...
    assert all(n == 1 for n in by_reference.values())  # ... once per item


def test_no_worker_the_coordinator_says_so_and_ctrl_c_promises_none(
    cluster: Any, tmp_path: Path
) -> None:
    input_path = tmp_path / "payments.jsonl"
    write_payments(input_path, 50)
    coordinator = cluster.coordinator(
        input_path, "--ttl", "3600", "--chunk-size", "10", env={"PLEXY_NO_WORKER_AFTER": "1.5"}
    )
    log = tmp_path / "coordinator.log"
    wait_for(lambda: "no worker is reading" in log.read_text(), 15, "the no-worker notice")
    r = cluster.redis.client()
    assert 3500 < r.ttl(STREAM) <= 3600  # the shared stream expires with the batch's --ttl
    coordinator.send_signal(signal.SIGINT)
    assert _finish(coordinator, tmp_path, 15) == 130
    text = log.read_text()
    assert text.count(f"no worker is reading {STREAM!r}") == 1, text  # again after a minute
    assert f"plexy-async worker --broker {cluster.redis.url}" in text
    assert "the workers go on" not in text
    assert "no worker is reading the batch's chunks" in text
