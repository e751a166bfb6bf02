"""The two ways batch input goes wrong: the whole file (nothing runs) or one line (rejected)."""

from __future__ import annotations


class InputError(ValueError):
    """The input as a whole is unusable (unknown format, a bad CSV header, a journal given as
    input, contradictory options): nothing is run. The message names the flag that fixes it."""


class RowError(ValueError):
    """One input line is unusable: it becomes an ``InvalidItem`` (journalled as rejected, never
    sent) whose reason is ``line N: <message>``. Messages name fields, never card data."""
