"""What a batch runs: items, input lines that could not become items, and operations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeAlias

import attrs

MAX_ITEM_ID_LENGTH: Final = 255


def _check_id(_: object, __: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value or len(value) > MAX_ITEM_ID_LENGTH:
        raise ValueError(f"an item id must be a non-empty str of at most {MAX_ITEM_ID_LENGTH}")


@attrs.frozen
class BatchItem:
    """One call to make: ``id`` is the item's own stable id (an order reference, say).

    ``params`` are the keyword arguments of the operation; they may hold card data, so they are
    never shown by ``repr()`` and never written to the journal.

    Attributes:
        id: The item's stable id, 1 to 255 characters; its idempotency key derives from it.
        params: The operation's keyword arguments (amounts as ``Amount``, in minor units).
        line: Where it came from in the input file, for the journal.

    Raises:
        ValueError: An empty id, or one longer than 255 characters.

    Example:
        ::

            BatchItem("order-1", {"transaction_id": "txn_1", "amount": 500})  # payments.refund
    """

    id: str = attrs.field(validator=_check_id)
    params: dict[str, Any] = attrs.field(factory=dict, repr=False)
    line: int | None = None  # where it came from in the input, for the journal


@attrs.frozen
class InvalidItem:
    """An input line that could not become an item: journalled as rejected, never sent.

    Attributes:
        line: The input line's number.
        reason: Why it was rejected (card numbers masked in the journal).
        id: The item's id, when the line had one.
    """

    line: int | None
    reason: str
    id: str | None = None


Item: TypeAlias = BatchItem | InvalidItem
"""What a batch reads: an item to send, or an input line to journal as rejected."""
Operation: TypeAlias = Callable[[BatchItem, str], Awaitable[object]]
"""A custom operation: called with the item and its idempotency key, returns the response."""
