"""The distributed batch's parts: chunks read back as a local run reads the whole file, and the
outcome store's first-final-wins rule in a real Redis."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis
from redis_support import RedisServer, free_port, redis_server

from plexy_async.batch._input import InputFile
from plexy_async.batch._items import BatchItem, InvalidItem, Item
from plexy_async.batch._shared import key_check
from plexy_async.cli import main
from plexy_async.cli._distributed import _redis_url, worker_argv, worker_environment
from plexy_async.distributed._broker import extend_expiry
from plexy_async.distributed._chunks import (
    Chunk,
    ChunkMismatchError,
    layout_of,
    read_chunk,
    scan_chunks,
)
from plexy_async.distributed._store import OutcomeStore, decode_record

__all__ = ["redis_server"]

OPTIONS = {"fmt": None, "defaults": {"merchant_account": "M"}}


def _view(item: Item) -> tuple[Any, ...]:
    if isinstance(item, BatchItem):
        return ("item", item.id, item.line, repr(sorted(item.params)))
    assert isinstance(item, InvalidItem)
    return ("invalid", item.id, item.line, item.reason)


def _rows(kinds: list[int]) -> list[str]:
    lines = []
    for i, kind in enumerate(kinds):
        if kind == 0:
            row = {"reference": f"r{i}", "amount": 100 + i, "currency": "KZT",
                   "card_number": "4242424242424242", "cvc": "737"}  # fmt: skip
            lines.append(json.dumps(row))
        elif kind == 1:
            lines.append("")  # blank: not a record
        elif kind == 2:
            lines.append('{"reference": "x", "amount": 1')  # malformed: rejected
        else:
            lines.append(json.dumps({"reference": f"r{i}", "currency": "KZT"}))  # no amount
    return lines


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kinds=st.lists(st.integers(0, 3), min_size=1, max_size=40),
    size=st.integers(1, 9),
)
def test_jsonl_chunks_read_back_as_the_whole_file(
    tmp_path: Path, kinds: list[int], size: int
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(_rows(kinds)) + "\n", encoding="utf-8")
    layout = layout_of(path, "jsonl")
    chunks = list(scan_chunks(path, layout, size))
    items = [
        item for chunk in chunks for item in read_chunk(path, layout, chunk, "payments.create",
                                                        {**OPTIONS, "fmt": "jsonl"})
    ]  # fmt: skip
    whole = list(InputFile(path, "payments.create", **{**OPTIONS, "fmt": "jsonl"}))
    assert [_view(i) for i in items] == [_view(i) for i in whole]
    assert sum(c.records for c in chunks) == len(whole)
    assert all(c.records == size for c in chunks[:-1])


def test_csv_chunks_keep_quoted_newlines_a_bom_and_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    rows = [
        "reference,amount,currency,card_number,holder_name",
        'a1,100,KZT,4242424242424242,"Multi\nLine"',
        "a2,200,KZT,4242424242424242,B",
        "",
        "a3,0,KZT,4242424242424242,C",
        'a4,300,KZT,4242424242424242,"D ""quoted"""',
        "a5,400,XYZ,4242424242424242,E",
    ]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode() + b"\r\n")
    layout = layout_of(path, "csv")
    for size in (1, 2, 3, 10):
        chunks = list(scan_chunks(path, layout, size))
        got = [
            _view(i)
            for c in chunks
            for i in read_chunk(path, layout, c, "payments.create", {**OPTIONS, "fmt": "csv"})
        ]
        whole = InputFile(path, "payments.create", **{**OPTIONS, "fmt": "csv"})
        assert got == [_view(i) for i in whole], size
    assert sum(c.records for c in scan_chunks(path, layout, 2)) == 5


def test_a_changed_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(_rows([0, 0, 0])) + "\n")
    layout = layout_of(path, "jsonl")
    chunk = next(scan_chunks(path, layout, 3))
    path.write_text(path.read_text().replace("r1", "r9"))
    with pytest.raises(ChunkMismatchError):
        read_chunk(path, layout, chunk, "payments.create", {**OPTIONS, "fmt": "jsonl"})
    assert Chunk.from_payload(chunk.to_payload()) == chunk


async def test_the_first_final_outcome_wins(redis_server: RedisServer) -> None:
    redis = Redis.from_url(redis_server.url, decode_responses=True)
    store = OutcomeStore(redis, "units", ttl=120)

    def rec(outcome: str, key: str = "pb_1") -> dict[str, Any]:
        return {"event": "item", "id": "o1", "line": 7, "outcome": outcome, "key": key}

    try:
        assert await store.record(0, rec("in_doubt"))
        assert not await store.record(0, rec("rate_limited"))  # never hides "maybe processed"
        assert await store.record(0, rec("succeeded", "pb_first"))
        assert not await store.record(0, rec("succeeded", "pb_second"))
        assert not await store.record(0, rec("failed"))
        assert not await store.record(0, rec("in_doubt"))
        stored = decode_record((await store.chunk_records(0))[7])
        assert (stored["outcome"], stored["key"]) == ("succeeded", "pb_first")
        progress = await store.progress()
        assert progress.lines == 1
        assert progress.counts["succeeded"] == 1 and progress.counts["in_doubt"] == 0
        assert (await store.chunk_view())[1] == {0: 1}
        for key in (store.keys.chunk(0), store.keys.counts, store.keys.final):
            assert 0 < await redis.ttl(key) <= 120
        await store.pause(0.5)
        assert 0 < await store.paused_for() <= 0.5
        await store.pause(0.1)  # a shorter pause does not shorten the longer one
        assert await store.paused_for() > 0.2
        # --max-rate 100, burst 2: three go at once, the fourth waits about 10 ms
        assert [await store.rate_wait(100, 2, take=True) for _ in range(3)] == [0.0] * 3
        assert 0.0 < await store.rate_wait(100, 2, take=False) <= 0.0101
        assert 0.0 < await store.rate_wait(100, 2, take=True) <= 0.0101  # not taken: waits
        assert 0 < await redis.pttl(store.keys.rate) <= 1100
    finally:
        await redis.aclose()


def test_the_worker_command_runs_taskiq_with_the_flags_in_its_environment() -> None:
    args = argparse.Namespace(
        broker="redis://127.0.0.1:1/0", queue="q", idle_timeout=30.0, chunks=3,
        concurrency=48, processes=2,
    )  # fmt: skip
    argv = worker_argv(args)
    assert argv[1:5] == ["-m", "taskiq", "worker", "plexy_async.distributed.worker:broker"]
    assert argv[argv.index("--max-async-tasks") + 1] == "3"
    assert argv[argv.index("--workers") + 1] == "2"
    env = worker_environment(args)
    assert env["PLEXY_BROKER_URL"] == "redis://127.0.0.1:1/0"
    assert env["PLEXY_BROKER_IDLE_TIMEOUT"] == "30.0"
    assert env["PLEXY_WORKER_CHUNKS"] == "3" and env["PLEXY_WORKER_CONCURRENCY"] == "48"
    assert len(key_check("s", "b")) == 16 and key_check("s", "b") != key_check("t", "b")


_HOSTS = st.sampled_from(["127.0.0.1", "localhost", "redis.internal", "[::1]"])
_NOT_A_PORT = st.text(
    st.characters(codec="ascii", exclude_characters="/?#@[]:"), min_size=1, max_size=8
).filter(lambda t: not t.isdigit() and t.strip() == t and t)


@settings(max_examples=60, deadline=None)
@given(
    url=st.one_of(
        st.builds(lambda h, p: f"redis://{h}:{p}/0", _HOSTS, _NOT_A_PORT),
        st.builds(lambda h, p: f"rediss://{h}:{p}", _HOSTS, st.integers(65536, 10**7)),
        st.builds(lambda h: f"redis://{h}:0/0", _HOSTS),
        st.builds(lambda h, d: f"redis://{h}:6379/{d}", _HOSTS, _NOT_A_PORT),
        st.builds(
            lambda s, h: f"{s}://{h}:6379/0",
            st.sampled_from(["http", "https", "tcp", "redis+sentinel", "valkey"]),
            _HOSTS,
        ),
        st.sampled_from(
            [
                "redis://",
                "redis:///0",
                "unix://",
                "127.0.0.1:6379",
                "redis://h:6379 /0",
                "redis://[::1",
                "redis://h:6379/0?socket_timeout=soon",
                "redis://h:/0",
            ]
        ),
    )
)
def test_a_malformed_broker_url_is_a_usage_error(url: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        _redis_url(url)
    for argv in (["worker", "--broker", url], ["batch", "in.csv", "--broker", url]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2


@settings(max_examples=30, deadline=None)
@given(
    scheme=st.sampled_from(["redis", "rediss"]),
    host=_HOSTS,
    port=st.one_of(st.none(), st.integers(1, 65535)),
    db=st.one_of(st.none(), st.integers(0, 15)),
    auth=st.sampled_from(["", ":pw@", "user:pw@"]),
)
def test_a_good_broker_url_is_taken_as_given(
    scheme: str, host: str, port: int | None, db: int | None, auth: str
) -> None:
    url = f"{scheme}://{auth}{host}" + (f":{port}" if port else "") + (f"/{db}" if db else "")
    assert _redis_url(url) == url
    assert _redis_url("unix:///run/redis/redis.sock?db=2") == "unix:///run/redis/redis.sock?db=2"


def test_a_broker_url_with_a_password_is_never_shown() -> None:
    with pytest.raises(argparse.ArgumentTypeError) as error:
        _redis_url("redis://:hunter2@127.0.0.1:notaport/0")
    assert "hunter2" not in str(error.value) and "***@127.0.0.1" in str(error.value)


def _worker(env: dict[str, str], broker: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PLEXY_")}
    root = Path(__file__).resolve().parent.parent
    clean["PYTHONPATH"] = str(root)
    return subprocess.run(
        [sys.executable, "-m", "plexy_async", "worker", "--broker", broker],
        env={**clean, **env},
        cwd=root,
        capture_output=True,
        text=True,
        timeout=20,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PLEXY_API_KEY": "sk_test_x", "PLEXY_ENVIRONMENT": "test"}, "PLEXY_ENVIRONMENT"),
        ({}, "PLEXY_API_KEY"),
        ({"PLEXY_API_KEY": "sk_test_x", "PLEXY_BASE_URL": "ftp://x"}, "PLEXY_BASE_URL"),
        ({"PLEXY_API_KEY": "sk_test_x", "PLEXY_BATCH_SECRET": ""}, "PLEXY_BATCH_SECRET"),
        ({"PLEXY_API_KEY": "sk_test_x"}, "--broker"),  # Redis not reachable
    ],
)
def test_the_worker_command_exits_2_at_once_on_a_configuration_error(
    redis_server: RedisServer, env: dict[str, str], named: str
) -> None:
    broker = redis_server.url if named != "--broker" else f"redis://127.0.0.1:{free_port()}/0"
    started = time.monotonic()
    result = _worker({"PLEXY_BATCH_SECRET": "s", **env}, broker)
    assert result.returncode == 2, result.stderr[-2000:]
    assert time.monotonic() - started < 10
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("plexy-async worker: "), result.stderr
    assert named in lines[0] and "Traceback" not in result.stderr
    assert "sk_test_x" not in result.stderr


async def test_a_kick_never_shortens_the_streams_expiry(redis_server: RedisServer) -> None:
    redis = Redis.from_url(redis_server.url, decode_responses=True)
    try:
        await extend_expiry(redis, "s", 100)  # absent: nothing
        assert await redis.exists("s") == 0
        await redis.xadd("s", {"data": "x"})
        await extend_expiry(redis, "s", 100)
        assert 90 < await redis.ttl("s") <= 100
        await extend_expiry(redis, "s", 50)  # a shorter ttl: kept at 100
        assert 90 < await redis.ttl("s") <= 100
        await extend_expiry(redis, "s", 1000)
        assert 990 < await redis.ttl("s") <= 1000
    finally:
        await redis.aclose()
