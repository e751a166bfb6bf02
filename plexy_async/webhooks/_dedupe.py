"""Drop repeated deliveries: Plexy may deliver the same event more than once."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol


class HasEventId(Protocol):
    """Anything with an ``event_id``: every webhook event model has one."""

    @property
    def event_id(self) -> str:
        """The event's unique id."""
        ...


def _id(event: HasEventId | str) -> str:
    return event if isinstance(event, str) else event.event_id


class DuplicateFilter:
    """Event ids seen recently, in memory: at most ``max_size`` ids, each for ``ttl`` seconds.

    ::

        seen = DuplicateFilter()
        if seen.first_time(event):
            try:
                await handle(event)
            except Exception:
                seen.forget(event)  # answer 500: the redelivery must be handled
                raise

    It covers one process. With several workers, deduplicate in your database too (a unique
    constraint on the event id).

    Args:
        max_size: The most ids remembered; past it, the oldest are dropped first.
        ttl: Seconds an id is remembered (default 24 hours).
        clock: The time source, in seconds (for tests).

    Raises:
        ValueError: ``max_size`` below 1, or a ``ttl`` that is not positive.
    """

    def __init__(
        self,
        *,
        max_size: int = 100_000,
        ttl: float = 24 * 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_size < 1 or not ttl > 0:
            raise ValueError("max_size must be at least 1 and ttl positive")
        self._max_size = max_size
        self._ttl = ttl
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()  # id -> first seen, oldest first

    def first_time(self, event: HasEventId | str) -> bool:
        """True the first time an event id is seen (and remember it), False for a repeat."""
        now = self._clock()
        self._expire(now)
        event_id = _id(event)
        if event_id in self._seen:
            return False
        self._seen[event_id] = now
        while len(self._seen) > self._max_size:
            self._seen.popitem(last=False)
        return True

    def forget(self, event: HasEventId | str) -> None:
        """Forget an id (its handling failed), so that its redelivery is handled."""
        self._seen.pop(_id(event), None)

    def __contains__(self, event: HasEventId | str) -> bool:
        self._expire(self._clock())
        return _id(event) in self._seen

    def __len__(self) -> int:
        return len(self._seen)

    def _expire(self, now: float) -> None:
        while self._seen:
            event_id, seen_at = next(iter(self._seen.items()))
            if now - seen_at < self._ttl:
                return
            del self._seen[event_id]
