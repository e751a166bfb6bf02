"""Pieces of the local runner that the distributed batch (``plexy_async.distributed``) shares.

New public names over the runner's private ones, so both modes compute them the same way.
"""

from __future__ import annotations

from plexy_async.batch._runner import _key_check, _now, _secret_bytes


def key_check(secret: str | bytes, batch_id: str) -> str:
    """The journal's ``key_check`` of a batch: an HMAC of its id under the batch secret.

    It tells whether two runs (or two workers) hold the same secret, and reveals nothing
    about it (16 hex digits of an HMAC-SHA256).

    Args:
        secret: The batch secret (``PLEXY_BATCH_SECRET``).
        batch_id: The batch's id.

    Returns:
        16 hex digits.
    """
    return _key_check(_secret_bytes(secret), batch_id)


def now_iso() -> str:
    """The current UTC time as the journal writes it (``2024-06-01T12:00:00.123Z``)."""
    return _now()
