"""pytest plugin: ``pytest_plugins = ["plexy_async.testing.pytest_plugin"]``.

Provides ``mock_plexy``: a started ``MockPlexy`` (API key ``sk_test_mock``), closed after the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from . import MockPlexy


@pytest_asyncio.fixture
async def mock_plexy() -> AsyncIterator[MockPlexy]:
    async with MockPlexy() as mock:
        yield mock
