"""The distributed batch on the command line: ``plexy-async worker`` and ``batch --broker``.

::

    plexy-async worker --broker redis://redis:6379/0 [--chunks 2] [--concurrency 64]
    plexy-async batch payments.csv --broker redis://redis:6379/0 [--chunk-size 100]
                      [--max-rate 200] [--batch-id ID] [--journal PATH]

Both need the ``taskiq`` extra (``pip install 'plexy_async[taskiq]'``); it is imported only when
one of them runs. ``worker`` replaces itself with ``taskiq worker
plexy_async.distributed.worker:broker``, its flags turned into the ``PLEXY_BROKER_*`` and
``PLEXY_WORKER_*`` environment. ``batch --broker`` is the coordinator: it kicks the chunks,
shows progress from Redis, and writes the journal and summary of a local run at the end.

``worker`` checks what would make every taskiq process die at its start before it runs taskiq
(the API settings from the environment, as ``PlexyClient`` reads them, the batch secret, and a
Redis ``PING``), and exits 2 with one line when one is wrong: taskiq would restart its dead
processes for ever. A ``--broker`` URL is checked in full as the flags are read (scheme, host,
port, database number, redis-py's query options): a bad one is a usage error, exit 2.

The coordinator's exits (``_running``'s table): 2 when it fails before any chunk was kicked
(nothing was sent); once chunks are kicked, losing Redis is exit 1 (items unsettled): the
workers go on, and the same command, run again once Redis is back, picks the batch up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import sys
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from plexy_async.cli._running import (
    ENV_MERCHANT_ACCOUNT,
    EXIT_INTERRUPTED,
    EXIT_ITEMS,
    EXIT_OK,
    EXIT_USAGE,
    journal_path_problem,
    on_interrupt,
    positive_int,
)

_EXTRA_HINT = "the distributed batch needs the taskiq extra: pip install 'plexy_async[taskiq]'"
_TTL_DEFAULT = 7 * 24 * 3600
_REDIS_SCHEMES = ("redis", "rediss", "unix")
_REDIS_FORM = "redis://HOST:PORT/DB, rediss://HOST:PORT/DB or unix:///PATH/TO/SOCKET"
_PING_TIMEOUT = 5.0  # seconds: the worker's Redis check before taskiq starts
#: seconds without progress nor a reading worker before the coordinator says so (for tests)
ENV_NO_WORKER_AFTER = "PLEXY_NO_WORKER_AFTER"


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def shown_url(url: str) -> str:
    """``url`` as messages show it: without its user and password."""
    return re.sub(r"//[^/@]*@", "//***@", url)


def _redis_url(text: str) -> str:
    """A ``--broker`` value, checked in full (argparse's type: a usage error, exit 2).

    Raises:
        argparse.ArgumentTypeError: Not a Redis URL redis-py can use: another scheme, no host,
            a port that is not a number from 1 to 65535, a database that is not a number, a
            bad query option, or whitespace.
    """
    shown = shown_url(text)
    if not text or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in text):
        raise argparse.ArgumentTypeError(f"expected {_REDIS_FORM}, got {shown!r}")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:  # a port that is not a number, an unclosed [IPv6 address
        raise argparse.ArgumentTypeError(f"{exc} in {shown!r}: expected {_REDIS_FORM}") from None
    scheme = parts.scheme.lower()
    if scheme not in _REDIS_SCHEMES or "://" not in text:
        raise argparse.ArgumentTypeError(f"expected {_REDIS_FORM}, got {shown!r}")
    if scheme == "unix":
        if not parts.path or parts.path == "/":
            raise argparse.ArgumentTypeError(f"no socket path in {shown!r}: {_REDIS_FORM}")
    else:
        if not parts.hostname:
            raise argparse.ArgumentTypeError(f"no host in {shown!r}: expected {_REDIS_FORM}")
        if port == 0 or (parts.netloc.endswith(":") and port is None):
            raise argparse.ArgumentTypeError(
                f"the port must be a number from 1 to 65535 in {shown!r}"
            )
        db = parts.path.strip("/")
        if db and not (db.isascii() and db.isdigit()):
            raise argparse.ArgumentTypeError(
                f"the database must be a number (/0, /1, ...), got {db!r} in {shown!r}"
            )
    try:
        from redis.connection import parse_url  # the extra's redis-py: its query options
    except ImportError:  # pragma: no cover - without the extra the command says so
        return text
    try:
        parse_url(text)  # type: ignore[no-untyped-call]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc} in {shown!r}") from None
    return text


def add_worker_parser(commands: Any) -> None:
    """Add the ``worker`` command to the ``plexy-async`` sub-parsers."""
    worker = commands.add_parser(
        "worker",
        help="run a distributed-batch worker (taskiq over a Redis Streams broker)",
        description="Run taskiq worker processes that take the chunks of distributed batches "
        "(`plexy-async batch INPUT --broker ...`) from Redis and send them to the API "
        "configured by PLEXY_API_KEY / PLEXY_ENVIRONMENT / PLEXY_BASE_URL. PLEXY_BATCH_SECRET "
        "must be the coordinator's (it never travels through Redis), and the input file must "
        "be at the same path as on the coordinator's machine. It runs `taskiq worker "
        "plexy_async.distributed.worker:broker`: see `taskiq worker --help` for more.",
    )
    worker.add_argument("--broker", required=True, type=_redis_url, help="the Redis URL")
    worker.add_argument(
        "--processes", type=positive_int, default=1, help="worker processes (default 1)"
    )
    worker.add_argument(
        "--chunks", type=positive_int, default=2, help="chunks at once per process (default 2)"
    )
    worker.add_argument(
        "--concurrency",
        type=positive_int,
        default=64,
        help="calls in flight per process, shared by its chunks (default 64)",
    )
    worker.add_argument(
        "--idle-timeout",
        type=_positive_float,
        default=600.0,
        help="seconds before a chunk unacknowledged by its worker goes to another one "
        "(default 600; see the README's redelivery rule)",
    )
    worker.add_argument("--queue", default="plexy_async:chunks", help="the stream's key")


def add_broker_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the distributed-mode flags (``--broker``, ...) to the ``batch`` parser."""
    group = parser.add_argument_group(
        "distributed mode",
        "With --broker, this command is the coordinator: `plexy-async worker` processes "
        "elsewhere run the chunks; run it again with the same --batch-id to pick the batch up.",
    )
    group.add_argument(
        "--broker", type=_redis_url, help="the Redis URL of the workers (redis://HOST:PORT/DB)"
    )
    group.add_argument(
        "--chunk-size", type=positive_int, default=100, help="records per task (default 100)"
    )
    group.add_argument(
        "--max-rate",
        type=positive_int,
        help="requests per second for the whole batch, across all workers",
    )
    group.add_argument(
        "--ttl",
        type=positive_int,
        default=_TTL_DEFAULT,
        help="seconds the batch's keys live in Redis after their last write (default 7 days)",
    )
    group.add_argument("--queue", default="plexy_async:chunks", help="the stream's key")
    group.add_argument(
        "--settle-rounds",
        type=int,
        default=2,
        help="times chunks with lines in doubt or rate-limited are sent again (default 2)",
    )


def worker_environment(args: argparse.Namespace) -> dict[str, str]:
    """The environment ``plexy-async worker`` runs ``taskiq worker`` with."""
    env = dict(os.environ)
    env.update(
        PLEXY_BROKER_URL=args.broker,
        PLEXY_BROKER_QUEUE=args.queue,
        PLEXY_BROKER_IDLE_TIMEOUT=str(args.idle_timeout),
        PLEXY_WORKER_CHUNKS=str(args.chunks),
        PLEXY_WORKER_CONCURRENCY=str(args.concurrency),
    )
    return env


def worker_argv(args: argparse.Namespace) -> list[str]:
    """The ``taskiq worker`` command line ``plexy-async worker`` runs."""
    return [
        sys.executable,
        "-m",
        "taskiq",
        "worker",
        "plexy_async.distributed.worker:broker",
        "--workers",
        str(args.processes),
        "--max-async-tasks",
        str(args.chunks),
        "--no-configure-logging",
    ]


async def worker_command(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Replace this process with ``taskiq worker``; returns only on an error."""
    try:
        import taskiq  # noqa: F401

        import plexy_async.distributed  # noqa: F401
    except ImportError:
        print(f"plexy-async worker: {_EXTRA_HINT}", file=err)
        return EXIT_USAGE
    problem = _worker_problem(args)
    if problem is None:
        problem = await _redis_problem(args.broker)
    if problem is not None:
        print(f"plexy-async worker: {problem}", file=err)
        return EXIT_USAGE
    out.flush()
    err.flush()
    argv = worker_argv(args)
    os.execve(argv[0], argv, worker_environment(args))  # does not return
    return EXIT_USAGE  # pragma: no cover


def _worker_problem(args: argparse.Namespace) -> str | None:
    """What in the worker's environment would make each taskiq process die at its start
    (None: nothing): the API settings, read as ``PlexyClient`` reads them (no connection is
    opened), and the batch secret."""
    from plexy_async._core.config import (
        ENV_API_KEY,
        ENV_BASE_URL,
        ENV_ENVIRONMENT,
        ClientConfig,
    )
    from plexy_async.errors import ConfigurationError

    env = worker_environment(args)
    if not (env.get(ENV_API_KEY) or "").strip():
        return f"set {ENV_API_KEY} (the API key the workers send the chunks with)"
    try:
        ClientConfig.resolve(env=env)
    except ConfigurationError as exc:
        text = str(exc).splitlines()[0]
        named = [name for name in (ENV_ENVIRONMENT, ENV_BASE_URL) if env.get(name)]
        if "API key" in text or not named:
            named = [ENV_API_KEY]
        return f"{text} (check {' and '.join(named)})"
    if not env.get("PLEXY_BATCH_SECRET"):
        return "set PLEXY_BATCH_SECRET (the coordinator's)"
    return None


async def _redis_problem(url: str) -> str | None:
    """Why Redis at ``url`` cannot be used (a ``PING`` within a few seconds), or None."""
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    redis = Redis.from_url(
        url, socket_connect_timeout=_PING_TIMEOUT, socket_timeout=_PING_TIMEOUT, retry=None
    )
    try:
        await redis.ping()
    except (RedisError, OSError) as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"--broker {shown_url(url)}: cannot reach Redis: {text}"
    finally:
        await redis.aclose()
    return None


async def distributed_batch_command(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """The coordinator: kick the chunks, follow the workers, write the journal and summary."""
    try:
        from plexy_async.distributed._broker import env_float
        from plexy_async.distributed._coordinator import Coordinator
    except ImportError:
        print(f"plexy-async batch --broker: {_EXTRA_HINT}", file=err)
        return EXIT_USAGE
    from plexy_async.batch._input import InputError
    from plexy_async.batch._journal import Outcome
    from plexy_async.batch._runner import ENV_BATCH_SECRET
    from plexy_async.cli._failures import print_run_problems
    from plexy_async.cli._input_flags import input_options
    from plexy_async.cli._progress import make_display
    from plexy_async.errors import ConfigurationError

    try:
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover - redis comes with the extra
        print(f"plexy-async batch --broker: {_EXTRA_HINT}", file=err)
        return EXIT_USAGE

    journal = args.journal or f"{args.input}.journal.jsonl"
    batch_id = args.batch_id or Path(args.input).name
    try:
        problem = journal_path_problem(args.input, journal) or _journal_owner_problem(
            journal, batch_id
        )
        if problem is not None:
            raise ConfigurationError(problem)
        if args.resume or args.retry_failed:
            raise ConfigurationError(
                "--resume and --retry-failed are for local runs: with --broker, run the same "
                "command again (same --batch-id) to pick the batch up"
            )
        secret = os.environ.get(ENV_BATCH_SECRET)
        if not secret:
            raise ConfigurationError(
                f"no batch secret: set {ENV_BATCH_SECRET} (the workers need the same one)"
            )
        await _check_operation(args.operation)
        merchant = args.merchant_account or os.environ.get(ENV_MERCHANT_ACCOUNT)
        options: dict[str, Any] = dict(input_options(args))
        if merchant:
            options["defaults"] = {"merchant_account": merchant}
        coordinator = Coordinator(
            url=args.broker,
            batch_id=batch_id,
            input=args.input,
            operation=args.operation,
            options=options,
            secret=secret,
            chunk_size=args.chunk_size,
            concurrency=args.concurrency,
            max_rate=args.max_rate,
            ttl=args.ttl,
            queue=args.queue,
            settle_rounds=max(args.settle_rounds, 0),
            no_worker_after=env_float(ENV_NO_WORKER_AFTER, 10.0),
        )
    except (ConfigurationError, InputError, OSError, ValueError) as exc:
        print(f"plexy-async batch: {exc}", file=err)
        return EXIT_USAGE
    broker = shown_url(args.broker)
    existed = False
    display: Any = None
    try:
        async with coordinator:
            existed = await coordinator.prepare()
            kicked = await coordinator.produce()
            total = coordinator.total or 0
            before = coordinator.done_before
            print(
                f"batch {coordinator.batch_id!r}: {total:,} records, {kicked:,} chunk(s) kicked"
                + (
                    f" (picked up from Redis: {before:,} line(s) done before; the progress "
                    "counts this run's)"
                    if existed
                    else ""
                ),
                file=err,
                flush=True,
            )
            display = make_display(
                args.progress, err, total=max(total - before, 0), label=coordinator.batch_id
            )
            no_worker = (
                f"no worker is reading {args.queue!r} on {broker}: start `plexy-async worker "
                f"--broker {broker}` (with the same {ENV_BATCH_SECRET}) where the input file is"
            )
            follow = asyncio.create_task(
                coordinator.follow(
                    lambda: display.update(coordinator.stats),
                    on_error=lambda text: print(f"\nworker error: {text}", file=err, flush=True),
                    on_no_worker=lambda: print(f"\n{no_worker}", file=err, flush=True),
                )
            )
            restore = on_interrupt(lambda: _cancel(follow))
            try:
                await follow
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise
                display.close(coordinator.stats)
                if await coordinator.workers_reading():
                    print(
                        "\ncoordinator stopped: the workers go on; run the same command again "
                        "to follow the batch and write its journal",
                        file=out,
                    )
                else:
                    print(
                        f"\ncoordinator stopped: no worker is reading the batch's chunks, they "
                        f"wait in Redis; start `plexy-async worker --broker {broker}`, then run "
                        "the same command again to follow the batch and write its journal",
                        file=out,
                    )
                return EXIT_INTERRUPTED
            finally:
                restore()
            display.close(coordinator.stats)
            summary = await coordinator.finish(journal)
            errors = await coordinator.errors()
    except (ConfigurationError, InputError, OSError) as exc:
        print(f"plexy-async batch: {exc}", file=err)
        return EXIT_ITEMS if coordinator.kicked else EXIT_USAGE
    except RedisError as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if not (coordinator.kicked or existed):
            print(f"plexy-async batch: Redis at {broker}: {text}", file=err)
            return EXIT_USAGE
        if display is not None:
            display.close(coordinator.stats)
        print(
            f"\nplexy-async batch: lost Redis at {broker}: {text}\n"
            "the batch goes on: its chunks and outcomes are in Redis, the workers keep what "
            "they hold; once Redis is back, run the same command again to pick the batch up "
            "and write its journal",
            file=err,
        )
        return EXIT_ITEMS
    print(summary.format(), file=out)
    print(f"journal: {journal}", file=out)
    print_run_problems(journal, out)
    for line in errors[:5]:
        print(f"worker error: {line}", file=out)
    counts = summary.counts
    unsettled = counts[Outcome.IN_DOUBT] + counts[Outcome.RATE_LIMITED]
    if unsettled:
        print(
            f"{unsettled:,} line(s) in doubt or rate-limited: run the same command again to send "
            "them with their original idempotency keys",
            file=out,
        )
    return EXIT_OK if summary.all_settled else EXIT_ITEMS


def _journal_owner_problem(journal: str, batch_id: str) -> str | None:
    """The coordinator writes the whole journal at the end, replacing the file: refuse a file
    that is not this batch's journal (another batch's, a CSV, anything else), before any kick."""
    from plexy_async.batch._journal import iter_journal

    if not os.path.exists(journal) or os.path.getsize(journal) == 0:
        return None
    owner = next(
        (r.get("batch_id") for r in iter_journal(journal) if r.get("event") == "run"), None
    )
    if owner == batch_id:
        return None
    what = f"the journal of batch {owner!r}" if isinstance(owner, str) else "not a batch journal"
    return (
        f"--journal {journal} exists and is {what}: the coordinator replaces the file with "
        f"batch {batch_id!r}'s journal; choose another path"
    )


def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()


async def _check_operation(name: str) -> None:
    """Refuse an unknown operation, or one without an idempotency key, before any kick."""
    from plexy_async._client import PlexyClient
    from plexy_async.batch import operation_for

    # a throwaway client, never used: only its services' signatures are read
    client = PlexyClient(api_key=secrets.token_hex(16), base_url="http://127.0.0.1:9")
    try:
        operation_for(client, name)
    finally:
        await client.aclose()
