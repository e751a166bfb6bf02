"""Pay API v1: payment beneficiaries."""

from __future__ import annotations

from ._base import Service


class BeneficiariesService(Service):
    """Payment beneficiaries: create, update, retrieve, list, transfer, manual settlement."""
