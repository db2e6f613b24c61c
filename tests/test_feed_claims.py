"""Feeds due for polling are claimed: processes sharing one store poll each due feed once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.store.db import open_store
from sqlalchemy import select, update

from bot.store.queries import POLL_LEASE, claim_due_feeds, kept_claimed
from bot.store.tables import Feed, utcnow

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/store.db"
    return request.getfixturevalue("postgres_url")


async def stores_with_feeds(url: str, count: int, next_polls: list[datetime | None]):
    stores = [await open_store(url) for _ in range(count)]  # as `count` processes' stores
    async with stores[0][1]() as session:
        session.add_all(Feed(name=f"feed-{n}", url=f"https://example.org/{n}.xml", next_poll_at=at)
                        for n, at in enumerate(next_polls))
        await session.commit()
    return stores


async def claim(sessions, now: datetime) -> list[str]:
    async with sessions() as session:
        return [feed.name for feed in await claim_due_feeds(session, now)]


async def test_processes_claiming_at_once_get_each_due_feed_once(store_url):
    due = [None, NOW - timedelta(minutes=5), NOW]
    stores = await stores_with_feeds(store_url, 3, [*due, NOW + timedelta(minutes=1)] * 10)
    try:
        claimed = await asyncio.gather(*(claim(sessions, NOW) for _, sessions in stores))
        again = await claim(stores[0][1], NOW + POLL_LEASE - timedelta(seconds=1))
    finally:
        for engine, _ in stores:
            await engine.dispose()

    names = [name for names in claimed for name in names]
    assert len(names) == len(set(names)) == 30  # each of the 30 due feeds once, none of the 10 not yet due
    assert again == []  # claimed feeds are not due again within the lease


async def test_a_feed_whose_poll_never_ended_is_due_again_after_the_lease(store_url):
    [(engine, sessions)] = await stores_with_feeds(store_url, 1, [NOW])
    try:
        assert await claim(sessions, NOW) == ["feed-0"]  # and the process dies before recording the poll
        assert await claim(sessions, NOW + POLL_LEASE) == ["feed-0"]
    finally:
        await engine.dispose()


async def test_a_claim_is_renewed_while_its_poll_runs_and_left_alone_once_the_poll_recorded(store_url):
    lease = timedelta(seconds=0.6)
    [(engine, sessions)] = await stores_with_feeds(store_url, 1, [None, None])
    recorded = utcnow() + timedelta(hours=1)
    try:
        now = utcnow()
        async with sessions() as session:
            feeds = await claim_due_feeds(session, now, lease)
        async with kept_claimed(sessions, feeds, now + lease, lease):
            async with sessions.begin() as session:  # feed-1's poll ends: it records its next time
                await session.execute(update(Feed).where(Feed.name == "feed-1").values(next_poll_at=recorded))
            await asyncio.sleep(3 * lease.total_seconds())  # without renewals, feed-0 would be due again
            assert await claim(sessions, utcnow()) == []
        async with sessions() as session:
            assert await session.scalar(select(Feed.next_poll_at).where(Feed.name == "feed-1")) == recorded
    finally:
        await engine.dispose()
