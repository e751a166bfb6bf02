"""Pay API v1. Split requests: create, list, update, retrieve, delete."""

from __future__ import annotations

from ._base import Service


class SplitRequestsService(Service):
    """Split requests: create, list, update, retrieve, delete."""
