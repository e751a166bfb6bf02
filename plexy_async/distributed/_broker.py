"""The taskiq broker of the distributed batch: taskiq-redis's ``RedisStreamBroker``, tuned.

Settings, from the environment of each worker (``plexy-async worker`` sets them from its flags):

=============================== ======================================================= =======
``PLEXY_BROKER_URL``            the Redis URL (``redis://host:6379/0``)                 local
``PLEXY_BROKER_QUEUE``          the stream's key                                        below
``PLEXY_BROKER_IDLE_TIMEOUT``   seconds a delivered chunk may go unacknowledged before   600
                                another worker claims it (Redis Streams' min-idle-time)
``PLEXY_WORKER_CHUNKS``         chunks a worker process runs at once                      2
``PLEXY_WORKER_CONCURRENCY``    calls in flight per worker process (its connection pool)  64
``PLEXY_WORKER_NAME``           a prefix of the consumer's name in the group (``XINFO``)  uuid
=============================== ======================================================= =======

Delivery: a worker reads one message at a time (``xread_count`` = 1) and claims idle ones one at
a time, so a message waits in a worker for at most one chunk's run before it starts: the
redelivery rule (see the package's docstring) counts on it. taskiq's receiver fetches one
message ahead of its free slots, which is the "one chunk's run" of waiting.

Two changes to ``RedisStreamBroker``:

* ``listen()`` claims idle messages (``XAUTOCLAIM``) after every read, an empty one included.
  taskiq-redis 1.2.4 claims only after a read that returned new messages, so once the stream is
  drained a dead worker's chunks would wait for the next kick, for ever at the end of a batch.
* ``kick()`` records the stream id of each chunk's message in the batch's ``msgids`` hash, so
  the coordinator can delete the batch's messages from the stream once the batch is complete,
  and gives the stream the batch's ttl as its expiry (never shortening a longer one): the
  messages of an abandoned batch do not stay in Redis for ever.
* ``listen()`` declares the consumer group again when it is gone (``NOGROUP``: the stream
  expired while the worker waited), instead of failing.

Heartbeats: every worker process notes itself in ``<queue>:workers`` (a sorted set: consumer
name -> Redis's clock, in seconds) every 2 s, and leaves it on shutdown; the coordinator counts
the members seen lately to tell "no worker runs" from "the workers are slow". (``XINFO
CONSUMERS`` cannot tell: Redis 7.0 lists a consumer only once a read served it a message, and a
dead worker's consumer stays in the group.) The set expires an hour after the last beat.

The consumer group reads the stream from its start (``consumer_id="0"``): chunks kicked before
any worker ever started are not skipped.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator
from typing import Any, Final

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from taskiq import AckableMessage
from taskiq.message import BrokerMessage
from taskiq_redis import RedisStreamBroker

from plexy_async.distributed._store import BatchKeys

ENV_BROKER_URL: Final = "PLEXY_BROKER_URL"
ENV_QUEUE: Final = "PLEXY_BROKER_QUEUE"
ENV_IDLE_TIMEOUT: Final = "PLEXY_BROKER_IDLE_TIMEOUT"
ENV_WORKER_CHUNKS: Final = "PLEXY_WORKER_CHUNKS"
ENV_WORKER_CONCURRENCY: Final = "PLEXY_WORKER_CONCURRENCY"
ENV_WORKER_NAME: Final = "PLEXY_WORKER_NAME"

DEFAULT_URL: Final = "redis://127.0.0.1:6379/0"
DEFAULT_QUEUE: Final = "plexy_async:chunks"
DEFAULT_IDLE_TIMEOUT: Final = 600.0
DEFAULT_WORKER_CHUNKS: Final = 2
DEFAULT_WORKER_CONCURRENCY: Final = 64

TASK_NAME: Final = "plexy_async.distributed.run_chunk"
#: Labels of every chunk's message: acknowledged by the task itself, after its last record.
TASK_LABELS: Final = {"ack_type": "manual"}
_BATCH_LABEL: Final = "plexy_batch"
_CHUNK_LABEL: Final = "plexy_chunk"
_TTL_LABEL: Final = "plexy_ttl"

# EXPIRE that never shortens: a key without an expiry (TTL -1) or a shorter one gets ARGV[1] s
_EXTEND_LUA: Final = """
local left = redis.call('TTL', KEYS[1])
if left == -2 then return 0 end
if left < tonumber(ARGV[1]) then redis.call('EXPIRE', KEYS[1], ARGV[1]) return 1 end
return 0
"""


HEARTBEAT_EVERY: Final = 2.0  # seconds between two beats of a worker process
_BEAT_LUA: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZADD', KEYS[1], string.format('%.6f', now), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.6f', now - 3600))
redis.call('EXPIRE', KEYS[1], 3600)
return 1
"""
_LIVE_LUA: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
return redis.call('ZCOUNT', KEYS[1], string.format('%.6f', now - tonumber(ARGV[1])), '+inf')
"""


def workers_key(queue: str) -> str:
    """The sorted set of the worker processes that read ``queue`` (see the module's docstring)."""
    return f"{queue}:workers"


async def heartbeat(redis: Any, queue: str, name: str) -> None:
    """Note that worker ``name`` runs now (on Redis's clock)."""
    await redis.eval(_BEAT_LUA, 1, workers_key(queue), name)


async def leave(redis: Any, queue: str, name: str) -> None:
    """Worker ``name`` stops: it no longer counts."""
    await redis.zrem(workers_key(queue), name)


async def live_workers(redis: Any, queue: str, within: float) -> int:
    """Worker processes of ``queue`` whose last beat is at most ``within`` seconds old."""
    return int(await redis.eval(_LIVE_LUA, 1, workers_key(queue), str(within)))


async def extend_expiry(redis: Any, key: str, seconds: int) -> None:
    """Give ``key`` an expiry of ``seconds`` unless it has a longer one (nothing if absent)."""
    await redis.eval(_EXTEND_LUA, 1, key, str(int(seconds)))


class ChunkBroker(RedisStreamBroker):
    """``RedisStreamBroker`` that claims idle messages after every read and records the stream
    id of each chunk's message (see the module's docstring).

    Args:
        url: The Redis URL.
        queue_name: The stream's key.
        idle_timeout: Seconds before an unacknowledged message may be claimed by another worker.
        **kwargs: ``RedisStreamBroker``'s other arguments.
    """

    def __init__(
        self,
        url: str,
        *,
        queue_name: str = DEFAULT_QUEUE,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("xread_count", 1)
        kwargs.setdefault("unacknowledged_batch_size", 1)
        kwargs.setdefault("xread_block", 1000)
        kwargs.setdefault("consumer_id", "0")
        super().__init__(
            url,
            queue_name=queue_name,
            idle_timeout=max(int(idle_timeout * 1000), 1),
            **kwargs,
        )

    async def kick(self, message: BrokerMessage) -> None:
        """Add the message to the stream; note a chunk's stream id in its batch's keys."""
        queue_name = message.labels.get("queue_name") or self.queue_name
        async with Redis(connection_pool=self.connection_pool) as redis:
            message_id = await redis.xadd(
                queue_name, {b"data": message.message}, maxlen=self.maxlen
            )
            batch = message.labels.get(_BATCH_LABEL)
            chunk = message.labels.get(_CHUNK_LABEL)
            if batch is not None and chunk is not None:
                ident = message_id.decode() if isinstance(message_id, bytes) else message_id
                await redis.hset(BatchKeys(str(batch)).msgids, str(chunk), str(ident))
            ttl = message.labels.get(_TTL_LABEL)
            if ttl:
                await extend_expiry(redis, queue_name, int(ttl))

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        """New messages, and after every read (empty or not) one idle message of another
        consumer, claimed (``XAUTOCLAIM``)."""
        async with Redis(connection_pool=self.connection_pool) as connection:
            redis: Any = connection  # redis-py's result types union sync and async
            while True:
                try:
                    fetched = await redis.xreadgroup(
                        self.consumer_group_name,
                        self.consumer_name,
                        {self.queue_name: ">"},
                        block=self.block,
                        noack=False,
                        count=self.count,
                    )
                except ResponseError as exc:
                    if "NOGROUP" not in str(exc):
                        raise
                    await self._declare_consumer_group()  # the stream expired: start it again
                    continue
                for stream, messages in fetched or []:
                    for message_id, fields in messages:
                        yield AckableMessage(
                            data=fields[b"data"],
                            ack=self._ack_generator(id=message_id, queue_name=stream),
                        )
                claimed = await redis.xautoclaim(
                    name=self.queue_name,
                    groupname=self.consumer_group_name,
                    consumername=self.consumer_name,
                    min_idle_time=self.idle_timeout,
                    count=self.unacknowledged_batch_size,
                )
                for message_id, fields in claimed[1]:
                    if fields is None:  # deleted from the stream meanwhile
                        continue
                    yield AckableMessage(
                        data=fields[b"data"],
                        ack=self._ack_generator(id=message_id, queue_name=self.queue_name),
                    )


def chunk_labels(batch_id: str, index: int, ttl: int | None = None) -> dict[str, Any]:
    """The labels of chunk ``index``'s message: manual acknowledgement, where it belongs, and
    the expiry (seconds) its kick gives the stream."""
    labels: dict[str, Any] = {**TASK_LABELS, _BATCH_LABEL: batch_id, _CHUNK_LABEL: index}
    if ttl:
        labels[_TTL_LABEL] = ttl
    return labels


def env_float(name: str, default: float) -> float:
    """``$name`` as a positive number, or ``default`` when unset.

    Raises:
        ValueError: It is set to something else.
    """
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    value = float(raw)
    if not value > 0:
        raise ValueError(f"${name} must be a positive number, got {raw!r}")
    return value


def env_int(name: str, default: int) -> int:
    """``$name`` as a positive integer, or ``default`` when unset.

    Raises:
        ValueError: It is set to something else.
    """
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    value = int(raw)
    if value < 1:
        raise ValueError(f"${name} must be at least 1, got {raw!r}")
    return value


def broker_from_env() -> ChunkBroker:
    """The broker the worker module exports, configured from the environment."""
    name = os.environ.get(ENV_WORKER_NAME)
    return ChunkBroker(
        os.environ.get(ENV_BROKER_URL) or DEFAULT_URL,
        queue_name=os.environ.get(ENV_QUEUE) or DEFAULT_QUEUE,
        idle_timeout=env_float(ENV_IDLE_TIMEOUT, DEFAULT_IDLE_TIMEOUT),
        consumer_name=f"{name}:{os.getpid()}" if name else None,
    )
