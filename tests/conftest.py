from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from plexy_async import PlexyClient, RetryPolicy
from plexy_async.testing import MockPlexy

pytest_plugins = ["plexy_async.testing.pytest_plugin"]

FAST_RETRY = RetryPolicy(initial_delay=0.01, max_delay=0.05)


@pytest_asyncio.fixture
async def client(mock_plexy: MockPlexy) -> AsyncIterator[PlexyClient]:
    async with PlexyClient(
        api_key=mock_plexy.api_key, base_url=mock_plexy.url, retry=FAST_RETRY
    ) as plexy:
        yield plexy
