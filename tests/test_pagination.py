"""Lazy pagination over the Pay API's ``{data, page, size, total}`` lists, against the mock."""

from __future__ import annotations

import asyncio
import weakref

import pytest

from plexy_async import PlexyClient, errors
from plexy_async._core.pagination import Page, Paginator
from plexy_async.models.payment_links import PaymentLink
from plexy_async.testing import MockPlexy
from plexy_async.testing._pay._links import new_link

LIST = "/v1/payment-links"


async def _create_links(client: PlexyClient, count: int) -> list[str]:
    """``count`` links created over HTTP, 50 at a time; their ids in creation order."""
    ids: list[str] = []
    for start in range(0, count, 50):
        batch = await asyncio.gather(
            *(
                client.payment_links.create(amount=100 + i, currency="KZT")
                for i in range(start, min(start + 50, count))
            )
        )
        ids.extend(link.id for link in batch)
    return ids


def _list_requests(mock: MockPlexy) -> int:
    return len(mock.ledger.requests_to("GET", LIST))


async def test_1000_links_page_size_50_each_once_in_20_requests_holding_one_page(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    # Seeded straight into the mock's state (1,000 creates over HTTP would take a second).
    created = [
        new_link(mock_plexy.pay, {"amount": 100 + i, "currency": "KZT"})["id"] for i in range(1000)
    ]
    links = client.payment_links.list(page_size=50)
    seen: list[str] = []
    earlier: list[weakref.ref[PaymentLink]] = []  # every item of the pages already walked
    async for link in links:
        if len(seen) % 50 == 0:  # the first item of a page
            # The pages before this one are gone (freed at once: no gc.collect() needed).
            assert [ref for ref in earlier if ref() is not None] == []
            # Lazy: one request per page so far, never a prefetch.
            assert links.pages_fetched == len(seen) // 50 + 1 == _list_requests(mock_plexy)
        seen.append(link.id)
        earlier.append(weakref.ref(link))
        del link
    assert len(seen) == len(set(seen)) == 1000 and set(seen) == set(created)  # each once
    assert seen == created  # oldest first
    assert _list_requests(mock_plexy) == 20 == links.pages_fetched  # no 21st, empty request
    assert all(r.status == 200 for r in mock_plexy.ledger.requests_to("GET", LIST))


async def test_breaking_early_fetches_one_page(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    await _create_links(client, 120)
    first = []
    async for link in client.payment_links.list(page_size=50):
        first.append(link)
        if len(first) == 10:
            break
    assert len(first) == 10 and _list_requests(mock_plexy) == 1


async def test_fetch_a_single_page(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    created = await _create_links(client, 120)
    links = client.payment_links.list(page_size=50)
    third = await links.page(3)
    assert isinstance(third, Page)
    assert [link.id for link in third.data] == created[100:]
    assert (third.page, third.size, third.total, third.has_more) == (3, 50, 120, False)
    second = await links.page(2)
    assert second.has_more and len(second.data) == 50
    beyond = await links.page(9)
    assert beyond.data == [] and not beyond.has_more and beyond.total == 120
    assert _list_requests(mock_plexy) == 3
    assert second.meta.status == 200 and second.meta.request_id


@pytest.mark.parametrize(("count", "pages"), [(0, 1), (1, 1), (50, 1), (51, 2), (101, 3)])
async def test_stops_cleanly_at_the_end(
    mock_plexy: MockPlexy, client: PlexyClient, count: int, pages: int
) -> None:
    await _create_links(client, count)
    got = [link async for link in client.payment_links.list(page_size=50)]
    assert len(got) == count and _list_requests(mock_plexy) == pages


async def test_query_carries_page_size_and_filter(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    ids = await _create_links(client, 5)
    await client.payment_links.cancel(ids[1])
    await client.payment_links.cancel(ids[3])
    cancelled = client.payment_links.list(status="cancelled", page_size=1)
    assert [link.id async for link in cancelled] == [ids[1], ids[3]]
    assert cancelled.pages_fetched == 2 and _list_requests(mock_plexy) == 2


@pytest.mark.parametrize("size", [0, -1, 501])
async def test_page_size_is_checked_before_sending(
    mock_plexy: MockPlexy, client: PlexyClient, size: int
) -> None:
    with pytest.raises(errors.InvalidRequestError, match="page_size"):
        client.payment_links.list(page_size=size)
    with pytest.raises(errors.InvalidRequestError, match="page_size"):
        client.transactions.list(page_size=size)
    assert mock_plexy.ledger.requests == []


async def test_an_empty_page_ends_iteration_even_if_total_says_more() -> None:
    calls: list[int] = []

    async def fetch(number: int, size: int) -> Page[int]:
        calls.append(number)
        data = [1, 2] if number == 1 else []
        return Page(data=data, page=number, size=size, total=1000)  # a server that lies

    got = [item async for item in Paginator(fetch, page_size=2)]
    assert got == [1, 2] and calls == [1, 2]


async def test_transactions_list_is_lazy_too(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    ids = await _create_links(client, 7)
    txns = [mock_plexy.pay_link(link_id) for link_id in ids]
    listing = client.transactions.list(page_size=3)
    got = [txn.id async for txn in listing]
    assert got == txns and listing.pages_fetched == 3
    assert len(mock_plexy.ledger.requests_to("GET", "/v1/transactions")) == 3
