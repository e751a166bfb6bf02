"""The outcome store: what a distributed batch keeps in Redis, under one hash tag per batch.

Keys (``{b}`` is the batch id in a Redis Cluster hash tag, so a batch's keys share a slot)::

    plexy:{b}:meta      hash   operation, input path, format, options, key_check, chunk size,
                               concurrency, max_rate, ttl, started (epoch s), chunks, records
    plexy:{b}:chunks    hash   chunk index -> its JSON (byte range, first line, records, crc32)
    plexy:{b}:state     hash   chunk index -> "queued" (kicked, not acknowledged) or "done"
    plexy:{b}:kicks     hash   chunk index -> how many times the coordinator kicked it
    plexy:{b}:msgids    hash   chunk index -> the stream message id of its latest kick
    plexy:{b}:final     hash   chunk index -> how many of its lines have a final outcome
    plexy:{b}:counts    hash   lines (with any outcome), chunks_done, pauses, one count per outcome
    plexy:{b}:c:{n}     hash   line number -> the line's outcome record (one hash per chunk)
    plexy:{b}:pause     string set while a 429's Retry-After pauses every worker (PX expiry)
    plexy:{b}:rate      string --max-rate: when the next request may go (GCRA; PX expiry)
    plexy:{b}:errors    list   the last 20 worker errors (refused chunks), for the coordinator

An outcome record is the journal's ``item`` line (``plexy_async.batch._journal``) behind a
prefix: ``F`` (final: succeeded, declined, failed, rejected) or ``P`` (not final: in doubt,
rate-limited), then the outcome and a space. One Lua script writes it: a final outcome is set
only if the line has none yet (set-if-absent, as HSETNX: the first final outcome wins, a
redelivered chunk's later one is dropped); a non-final one replaces a non-final one (a
rate-limited one never replaces an in-doubt one: that item may have been processed). The same
script keeps the counters, so progress is a few HGETs, never a scan.

Nothing here holds a card number, a CVC, the API key or the batch secret: records carry ids,
keys, outcomes and masked messages, as the journal does; ``key_check`` is an HMAC output.
Every key gets the batch's ``ttl`` (default 7 days) each time it is written (the scripts and
pipelines set it with each write; the coordinator refreshes the others once a minute while it
follows the batch, so a batch that runs for longer than its ttl keeps its keys).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any, Final

import attrs
from redis.asyncio import BlockingConnectionPool, Redis

from plexy_async.batch._journal import FINISHED, Outcome, journal_line
from plexy_async.distributed._chunks import Chunk

#: A worker's Redis connections at most, and the seconds a call waits for a free one (a chunk's
#: lines that end at once queue for a connection rather than fail: see ``worker_redis``).
WORKER_CONNECTIONS: Final = 16
CONNECTION_WAIT: Final = 60.0

#: Outcomes that settle a line for good: a redelivered chunk does not send it again.
FINAL: Final = frozenset(FINISHED | {Outcome.REJECTED})
DEFAULT_TTL: Final = 7 * 24 * 3600
QUEUED: Final = "queued"
DONE: Final = "done"

_RECORD_LUA: Final = """
local new = ARGV[2]
local newfinal = string.sub(new, 1, 1) == 'F'
local newout = string.sub(new, 2, string.find(new, ' ', 1, true) - 1)
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  if string.sub(cur, 1, 1) == 'F' then return 0 end
  local oldout = string.sub(cur, 2, string.find(cur, ' ', 1, true) - 1)
  if (not newfinal) and oldout == 'in_doubt' and newout ~= 'in_doubt' then return 0 end
  redis.call('HINCRBY', KEYS[2], oldout, -1)
else
  redis.call('HINCRBY', KEYS[2], 'lines', 1)
end
redis.call('HSET', KEYS[1], ARGV[1], new)
redis.call('HINCRBY', KEYS[2], newout, 1)
if newfinal then redis.call('HINCRBY', KEYS[3], ARGV[3], 1) end
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('EXPIRE', KEYS[3], ARGV[4])
return 1
"""

_STATE_LUA: Final = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old == ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[2] == 'done' then
  redis.call('HINCRBY', KEYS[2], 'chunks_done', 1)
elseif old == 'done' then
  redis.call('HINCRBY', KEYS[2], 'chunks_done', -1)
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
"""

# GCRA (the generic cell rate algorithm) on Redis's own clock: one request every ``interval``
# microseconds, ``burst`` more at once at most. Returns 0 when the request may go (and, with
# ``take``, counts it), else the microseconds to wait.
_RATE_LUA: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2]) * interval
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local early = tat - now - tolerance
if early > 0 then return math.ceil(early) end
if ARGV[3] == '1' then
  local new = tat + interval
  redis.call('SET', KEYS[1], string.format('%.0f', new), 'PX', math.ceil((new - now) / 1000) + 1000)
end
return 0
"""

_PAUSE_LUA: Final = """
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
  if ttl <= 0 then
    redis.call('HINCRBY', KEYS[2], 'pauses', 1)
    redis.call('EXPIRE', KEYS[2], ARGV[2])
  end
  return 1
end
return 0
"""


@attrs.frozen
class BatchKeys:
    """The Redis key names of one batch."""

    batch_id: str

    def _key(self, name: str) -> str:
        return f"plexy:{{{self.batch_id}}}:{name}"

    @property
    def meta(self) -> str:
        return self._key("meta")

    @property
    def chunks(self) -> str:
        return self._key("chunks")

    @property
    def state(self) -> str:
        return self._key("state")

    @property
    def kicks(self) -> str:
        return self._key("kicks")

    @property
    def msgids(self) -> str:
        return self._key("msgids")

    @property
    def final(self) -> str:
        return self._key("final")

    @property
    def counts(self) -> str:
        return self._key("counts")

    @property
    def pause(self) -> str:
        return self._key("pause")

    @property
    def errors(self) -> str:
        return self._key("errors")

    @property
    def rate(self) -> str:
        return self._key("rate")

    def chunk(self, index: int) -> str:
        return self._key(f"c:{index}")

    def fixed(self) -> list[str]:
        """Every key but the per-chunk hashes and the pause."""
        return [
            self.meta,
            self.chunks,
            self.state,
            self.kicks,
            self.msgids,
            self.final,
            self.counts,
            self.errors,
        ]


@attrs.frozen
class Progress:
    """A snapshot of the counters.

    Attributes:
        lines: Input lines with an outcome (final or not).
        chunks_done: Chunks whose worker recorded every line and acknowledged it.
        counts: Lines per latest outcome.
        pauses: How many times a 429 paused the batch (every worker).
    """

    lines: int
    chunks_done: int
    counts: Mapping[Outcome, int]
    pauses: int = 0


def encode_record(record: Mapping[str, Any]) -> tuple[str, bool]:
    """A journal item record as the store keeps it, and whether its outcome is final."""
    outcome = Outcome(str(record["outcome"]))
    final = outcome in FINAL
    text = journal_line(record).rstrip("\n")
    return f"{'F' if final else 'P'}{outcome.value} {text}", final


def decode_record(value: str | bytes) -> dict[str, Any]:
    """The journal item record behind a stored value."""
    text = value.decode() if isinstance(value, bytes) else value
    record: dict[str, Any] = json.loads(text.split(" ", 1)[1])
    return record


def is_final(value: str | bytes) -> bool:
    return (value[:1] == b"F") if isinstance(value, bytes) else value.startswith("F")


class OutcomeStore:
    """One batch's keys in Redis, with the operations the coordinator and workers need.

    Args:
        redis: A ``redis.asyncio.Redis`` client (``decode_responses=True``).
        batch_id: The batch.
        ttl: Seconds every key lives after its last write.
    """

    def __init__(self, redis: Redis, batch_id: str, ttl: int = DEFAULT_TTL) -> None:
        # redis-py's annotations union sync and async results: the store reads them as Any
        self.redis: Any = redis
        self.keys = BatchKeys(batch_id)
        self.ttl = ttl
        self._record = redis.register_script(_RECORD_LUA)
        self._state = redis.register_script(_STATE_LUA)
        self._pause = redis.register_script(_PAUSE_LUA)
        self._rate = redis.register_script(_RATE_LUA)

    @property
    def batch_id(self) -> str:
        return self.keys.batch_id

    # -- meta and chunks (the coordinator) --------------------------------------------------

    async def meta(self) -> dict[str, str]:
        result: dict[str, str] = await self.redis.hgetall(self.keys.meta)
        return result

    async def set_meta(self, fields: Mapping[str, Any]) -> None:
        await self.redis.hset(self.keys.meta, mapping=dict(fields))
        await self.touch()

    async def touch(self) -> None:
        """Give every fixed key the full ``ttl`` again."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in self.keys.fixed():
                pipe.expire(key, self.ttl)
            await pipe.execute()

    async def known_chunk(self, chunk: Chunk) -> Chunk | None:
        raw = await self.redis.hget(self.keys.chunks, str(chunk.index))
        return None if raw is None else Chunk.from_payload(json.loads(raw))

    async def save_chunk(self, chunk: Chunk) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(self.keys.chunks, str(chunk.index), json.dumps(chunk.to_payload()))
            pipe.expire(self.keys.chunks, self.ttl)
            await pipe.execute()

    async def chunk_view(self) -> tuple[dict[int, str], dict[int, int], dict[int, int]]:
        """Each chunk's state, final-line count and kick count."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.keys.state)
            pipe.hgetall(self.keys.final)
            pipe.hgetall(self.keys.kicks)
            state, final, kicks = await pipe.execute()
        return (
            {int(k): v for k, v in state.items()},
            {int(k): int(v) for k, v in final.items()},
            {int(k): int(v) for k, v in kicks.items()},
        )

    async def mark_kicked(self, index: int) -> None:
        """Before a kick: the chunk is queued, and kicked once more."""
        keys = [self.keys.state, self.keys.counts]
        await self._state(keys=keys, args=[str(index), QUEUED, self.ttl])
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(self.keys.kicks, str(index), 1)
            pipe.expire(self.keys.kicks, self.ttl)
            await pipe.execute()

    async def chunks(self) -> AsyncIterator[Chunk]:
        """Every chunk the producer saved, in order."""
        total = int((await self.meta()).get("chunks", "0") or 0)
        for start in range(0, total, 500):
            fields = [str(i) for i in range(start, min(start + 500, total))]
            values = await self.redis.hmget(self.keys.chunks, fields)
            for value in values:
                if value is not None:
                    yield Chunk.from_payload(json.loads(value))

    # -- outcomes (the workers) -------------------------------------------------------------

    async def chunk_records(self, index: int) -> dict[int, str]:
        """Line number -> stored value, for one chunk."""
        raw = await self.redis.hgetall(self.keys.chunk(index))
        return {int(k): v for k, v in raw.items()}

    async def record(self, index: int, record: Mapping[str, Any]) -> bool:
        """Store one line's outcome; False when a final outcome was there first."""
        line = record.get("line")
        if not isinstance(line, int):
            raise ValueError("an outcome record needs its input line number")
        value, _ = encode_record(record)
        keys = [self.keys.chunk(index), self.keys.counts, self.keys.final]
        written = await self._record(keys=keys, args=[str(line), value, str(index), self.ttl])
        return bool(written)

    async def mark_done(self, index: int) -> None:
        """Every line of the chunk is recorded (its message may now be acknowledged)."""
        keys = [self.keys.state, self.keys.counts]
        await self._state(keys=keys, args=[str(index), DONE, self.ttl])

    async def add_error(self, text: str) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.lpush(self.keys.errors, text)
            pipe.ltrim(self.keys.errors, 0, 19)
            pipe.expire(self.keys.errors, self.ttl)
            await pipe.execute()

    async def errors(self) -> list[str]:
        result: list[str] = await self.redis.lrange(self.keys.errors, 0, -1)
        return result

    # -- the shared 429 pause --------------------------------------------------------------

    async def pause(self, seconds: float) -> None:
        """Pause every worker of the batch for ``seconds`` (never shortens a longer pause)."""
        ms = max(int(seconds * 1000), 1)
        await self._pause(keys=[self.keys.pause, self.keys.counts], args=[ms, self.ttl])

    async def paused_for(self) -> float:
        """Seconds left of the shared pause (0.0 when not paused)."""
        ms = await self.redis.pttl(self.keys.pause)
        return ms / 1000 if ms > 0 else 0.0

    # -- --max-rate ----------------------------------------------------------------------------

    async def rate_wait(self, per_second: int, burst: int, *, take: bool) -> float:
        """Seconds until the batch may send a request under ``per_second`` (0.0: now; with
        ``take``, that request is counted)."""
        interval = max(round(1_000_000 / per_second), 1)
        args = [interval, burst, "1" if take else "0"]
        micros = await self._rate(keys=[self.keys.rate], args=args)
        return int(micros) / 1_000_000

    # -- progress and the end (the coordinator) ---------------------------------------------

    async def progress(self) -> Progress:
        raw = await self.redis.hgetall(self.keys.counts)
        counts = {o: max(int(raw.get(o.value, 0)), 0) for o in Outcome}
        return Progress(
            int(raw.get("lines", 0)),
            int(raw.get("chunks_done", 0)),
            counts,
            int(raw.get("pauses", 0)),
        )

    async def message_ids(self) -> dict[int, str]:
        raw = await self.redis.hgetall(self.keys.msgids)
        return {int(k): v for k, v in raw.items()}

    async def set_message_id(self, index: int, message_id: str) -> None:
        await self.redis.hset(self.keys.msgids, str(index), message_id)


def worker_redis(
    url: str, *, connections: int = WORKER_CONNECTIONS, wait: float = CONNECTION_WAIT
) -> Redis:
    """A worker's Redis client (``decode_responses=True``): at most ``connections`` at once,
    over redis-py's ``BlockingConnectionPool``, whose callers wait up to ``wait`` seconds for a
    free connection (redis-py's default pool fails at once past 100, which 200 lines of a chunk
    ending together reach: ``MaxConnectionsError``).

    Raises:
        ValueError: ``url`` is not a Redis URL.
    """
    pool = BlockingConnectionPool.from_url(
        url, max_connections=connections, timeout=wait, decode_responses=True
    )
    return Redis.from_pool(pool)


def now_epoch() -> float:
    return time.time()
