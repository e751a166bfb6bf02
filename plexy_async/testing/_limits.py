"""How much a long-running mock remembers: ``MockLimits`` and the capped store it uses.

``MockPlexy()`` keeps everything by default (tests assert on it); ``plexy-async mock`` runs with
``MockLimits.for_cli()`` so its memory stays bounded however many requests it answers.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Final, TypeVar

import attrs

K = TypeVar("K")
V = TypeVar("V")

DAY: Final = 86_400.0
"""Plexy keeps idempotency keys 24 hours (shared/API.md, "Idempotency": "keys kept 24 hours")."""


def _seconds(instance: object, attribute: attrs.Attribute[float | None], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{attribute.name} must be seconds (a number) or None, got {value!r}")
    if not value > 0:
        raise ValueError(f"{attribute.name} must be > 0 or None (no limit), got {value!r}")


def _count(instance: object, attribute: attrs.Attribute[int | None], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{attribute.name} must be an int or None, got {value!r}")
    if value < 1:
        raise ValueError(f"{attribute.name} must be >= 1 or None (no limit), got {value!r}")


@attrs.frozen(kw_only=True)
class MockLimits:
    """Bounds on what the mock remembers; ``None`` means no bound (the in-process default).

    Attributes:
        idempotency_ttl: Seconds a stored idempotent response is replayed for, from when it was
            stored. Later, the same key is new again: the request is processed (and charged)
            again, as Plexy does once its 24 hours are over.
        max_idempotency_records: The most stored responses; past it the least recently used one
            is forgotten, with the same effect as expiry. Requests still in flight are not
            counted and never evicted.
        max_charges: The most charges ``Ledger.charges`` holds (the latest; up to an eighth
            more between trims). ``Ledger.total_charges`` still counts every one.
        max_requests: The same for ``Ledger.requests`` and ``Ledger.total_requests``.
        max_objects: The most objects each per-payment store holds, the oldest dropped first:
            3-D Secure payments awaiting ``/payments/details`` (and their ``redirectResult``
            tokens), checkout sessions, Pay API transactions (with their history), payment
            links and payouts. A dropped one answers as unknown (422 or 404).

    Raises:
        ValueError: A bound that is zero or negative (or a ttl that is NaN).
        TypeError: A bound of the wrong type (a count must be an int).

    Example:
        ::

            async with MockPlexy(limits=MockLimits(idempotency_ttl=60, max_charges=1000)) as mock:
                ...
    """

    idempotency_ttl: float | None = attrs.field(default=None, validator=_seconds)
    max_idempotency_records: int | None = attrs.field(default=None, validator=_count)
    max_charges: int | None = attrs.field(default=None, validator=_count)
    max_requests: int | None = attrs.field(default=None, validator=_count)
    max_objects: int | None = attrs.field(default=None, validator=_count)

    @classmethod
    def for_cli(cls) -> MockLimits:
        """The defaults of ``plexy-async mock``: keys kept 24 hours (as Plexy documents), at
        most 50,000 of them; the latest 50,000 charges, 10,000 requests and 20,000 objects a
        store. 119.6 MB peak RSS over 200,000 keyed payments (``benchmarks/mock_memory.py``)."""
        return cls(
            idempotency_ttl=DAY,
            max_idempotency_records=50_000,
            max_charges=50_000,
            max_requests=10_000,
            max_objects=20_000,
        )


class CappedDict(OrderedDict[K, V]):
    """A dict holding at most ``cap`` items: adding one more drops the oldest (first added).

    ``on_evict(key, value)`` is called for each dropped item, to drop what hangs off it.
    """

    def __init__(self, cap: int, on_evict: Callable[[K, V], object] | None = None) -> None:
        super().__init__()
        self.cap = cap
        self._on_evict = on_evict

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        while len(self) > self.cap:
            old_key, old_value = self.popitem(last=False)
            if self._on_evict is not None:
                self._on_evict(old_key, old_value)


def capped(cap: int | None, on_evict: Callable[[K, V], object] | None = None) -> dict[K, V]:
    """A plain dict when ``cap`` is None, else a ``CappedDict``."""
    return {} if cap is None else CappedDict(cap, on_evict)


def trim(items: list[V], cap: int | None) -> None:
    """Keep the latest ``cap`` items of ``items`` once it holds an eighth more (amortised O(1))."""
    if cap is not None and len(items) >= cap + max(cap // 8, 1):
        del items[: len(items) - cap]
