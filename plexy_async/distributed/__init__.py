"""The distributed batch: one batch's chunks run by taskiq workers on many machines, over Redis.

Needs the ``taskiq`` extra: ``pip install 'plexy_async[taskiq]'``.

::

    # on every worker machine (the same input file at the same path, the same secret)
    PLEXY_API_KEY=... PLEXY_BATCH_SECRET=... plexy-async worker --broker redis://redis:6379/0
    # or: PLEXY_BROKER_URL=redis://redis:6379/0 taskiq worker plexy_async.distributed.worker:broker

    # the coordinator, anywhere: kicks the chunks, shows progress, writes the journal
    PLEXY_BATCH_SECRET=... plexy-async batch payments.csv --broker redis://redis:6379/0

The pieces are the local runner's: the same HMAC idempotency keys (``PLEXY_BATCH_SECRET`` from
each machine's environment, never through Redis), the same outcomes, the same journal and
summary. What is new:

* **The producer** (``Coordinator.produce``) reads the input once, lazily, cuts it into chunks
  of ``--chunk-size`` records (default 100) by byte range, and kicks one taskiq task per chunk.
  The task carries the byte range, never item data: each worker reads its chunk from the file.
* **Workers** (``plexy_async.distributed.worker``) hold one ``PlexyClient`` each for their whole
  life, run a chunk as a small ``Batch``, record each line's outcome in Redis with a
  set-if-absent script (the first final outcome wins), and acknowledge the chunk's message only
  once every line of it is recorded.
* **The coordinator** shows progress from Redis's counters and, at the end, writes the journal
  from the stored outcomes. Run again with the same batch id, it kicks only chunks without a
  final outcome for every line.
* **One gate for all workers**: a 429's ``Retry-After`` pauses every worker (a Redis key with
  that expiry), and ``--max-rate N`` holds the whole batch to N requests per second, evenly
  spaced (GCRA on Redis's clock: see ``_gate``).

What Redis holds. The batch's keys (``plexy:{batch}:*``, see ``_store``) live ``--ttl``
(default 7 days) after their last write. The shared stream ``plexy_async:chunks`` (``--queue``)
holds one message per kicked chunk (byte range and counts, no item data): the coordinator
deletes a batch's messages once every line has a final outcome, and every kick gives the stream
the batch's ``--ttl`` as its expiry (never shortening a longer one; the coordinator refreshes it
while it follows), so an abandoned batch's messages go with it. ``plexy_async:chunks:workers``
notes each worker process's last heartbeat (every 2 s; it expires an hour after the last one).

Redelivery rule. Redis Streams give a message that stays unacknowledged past the idle timeout
(``PLEXY_BROKER_IDLE_TIMEOUT``, default 600 s) to another worker. A worker takes a message
only when it has a free slot plus one ahead, so a message waits at most one chunk's run before
its own run starts. Choose::

    idle_timeout >= 3 x ceil(chunk_size / concurrency) x worst_item_seconds

where ``worst_item_seconds`` is the longest an item can take: the client's attempts times its
timeout, plus retry delays and 429 pauses. At 100 records, concurrency 32 and 60 s worst
(3 attempts of 20 s), that is 720 s: lower ``--chunk-size`` or raise the idle timeout. A chunk
redelivered anyway (a worker that stalls) is still safe: its lines already final are skipped,
and the others are sent with the same idempotency keys: the server replays a finished call
or answers 409 for one in flight (sent again after a pause), never charging twice.
"""

from __future__ import annotations

__all__: list[str] = []
