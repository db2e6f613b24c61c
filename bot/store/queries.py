"""The queries the app shares: config sync, feed bookkeeping, the outbox's backlog."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store.db import Turn, wait_for_turn
from bot.store.tables import Channel, Feed, OutboxMessage, utcnow
from config.settings import ChannelSettings, FeedSettings, Settings

log = logging.getLogger(__name__)

# How long a claim on a feed being polled lasts unless renewed: a process that dies mid-poll leaves
# the feed to the others this long after its last renewal.
POLL_LEASE = timedelta(seconds=60)


def resolve_feed_url(url: str, config_dir: Path) -> str:
    """'file:relative/path' is relative to the config file's folder; other URLs pass through."""
    if url.startswith("file:") and not url.startswith("file:/"):
        return (config_dir / url.removeprefix("file:")).resolve().as_uri()
    return url


async def sync_config(session: AsyncSession, settings: Settings, config_dir: Path) -> None:
    """Make the store's config-owned feeds and channels match the config; keep runtime additions.

    Processes starting together on one database do it one after the other: each finds what the
    one before it wrote."""
    await wait_for_turn(session, Turn.CONFIG)
    await _sync_feeds(session, settings.feeds, config_dir)
    await _sync_channels(session, settings.channels)
    await session.commit()


async def _sync_feeds(session: AsyncSession, feeds: list[FeedSettings], config_dir: Path) -> None:
    existing = {feed.name: feed for feed in await session.scalars(select(Feed))}
    for configured in feeds:
        feed = existing.pop(configured.name, None)
        url = resolve_feed_url(configured.url, config_dir)
        if feed is None:
            session.add(Feed(name=configured.name, url=url, interval=configured.interval, from_config=True))
            continue
        if feed.url != url:  # a new address is a new feed: forget the old validators
            feed.etag = feed.last_modified = None
        feed.url, feed.interval, feed.from_config = url, configured.interval, True
    for leftover in existing.values():
        if leftover.from_config:
            await session.delete(leftover)


def channel_fields(configured: ChannelSettings) -> dict:
    """A channel entry's columns from its settings (defaults included, so they live in one place)."""
    return {
        "platform": configured.platform,
        "topic": configured.topic or 0,
        "topics": configured.topics,
        "language": configured.language,
        "schedule": configured.digest.model_dump(exclude_none=True),
        "feeds": None if configured.feeds == "all" else list(configured.feeds),
        "include": list(configured.include),
        "exclude": list(configured.exclude),
        "max_stories": configured.max_stories,
        "from_config": True,
    }


async def _sync_channels(session: AsyncSession, channels: list[ChannelSettings]) -> None:
    existing = {(channel.platform, channel.chat, channel.topic): channel
                for channel in await session.scalars(select(Channel))}
    for configured in channels:
        channel = existing.pop((configured.platform, configured.chat, configured.topic or 0), None)
        if channel is None:
            session.add(Channel(chat=configured.chat, **channel_fields(configured)))
        elif channel.from_config:
            for key, value in channel_fields(configured).items():
                setattr(channel, key, value)
    for leftover in existing.values():
        if leftover.from_config:
            await session.delete(leftover)


async def claim_due_feeds(session: AsyncSession, now: datetime, lease: timedelta = POLL_LEASE) -> list[Feed]:
    """The feeds due at `now`, claimed for polling: one statement moves each one's next poll to
    `now + lease`, so other processes sharing the database (and later rounds) find it not due; the
    poll then records its real next time, and `kept_claimed` renews the claim while it runs. A
    process that dies mid-poll leaves its feeds due again within `lease`. On PostgreSQL, rows another
    process is claiming at that moment are skipped, not waited for."""
    is_due = or_(Feed.next_poll_at.is_(None), Feed.next_poll_at <= now)
    due = select(Feed.id).where(is_due).with_for_update(skip_locked=True).scalar_subquery()
    claim = (
        update(Feed).where(Feed.id.in_(due), is_due).values(next_poll_at=now + lease).returning(Feed.id)
        .execution_options(synchronize_session=False)
    )
    claimed = list(await session.scalars(claim))
    await session.commit()
    if not claimed:
        return []
    return list(await session.scalars(select(Feed).where(Feed.id.in_(claimed)).order_by(Feed.id)))


@asynccontextmanager
async def kept_claimed(
    sessions: async_sessionmaker[AsyncSession], feeds: list[Feed], claimed_until: datetime, lease: timedelta = POLL_LEASE
) -> AsyncIterator[None]:
    """Inside the block, the claim on `feeds` (made by claim_due_feeds, lasting to `claimed_until`)
    is renewed every third of `lease`; a feed whose poll has recorded its next time is left alone."""
    ids = [feed.id for feed in feeds]

    async def renew() -> None:
        until = claimed_until
        while True:
            await asyncio.sleep(lease.total_seconds() / 3)
            renewed = utcnow() + lease
            try:
                async with sessions.begin() as session:
                    await session.execute(
                        update(Feed).where(Feed.id.in_(ids), Feed.next_poll_at == until).values(next_poll_at=renewed)
                    )
                until = renewed
            except SQLAlchemyError as exc:  # tried again a third of a lease later
                log.warning("could not renew the claim on the feeds being polled: %s", exc.__class__.__name__)

    renewal = asyncio.create_task(renew())
    try:
        yield
    finally:
        renewal.cancel()


async def all_feeds(session: AsyncSession) -> list[Feed]:
    return list(await session.scalars(select(Feed).order_by(Feed.id)))


async def all_channels(session: AsyncSession) -> list[Channel]:
    return list(await session.scalars(select(Channel).order_by(Channel.id)))


async def unsent_messages(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))) or 0
