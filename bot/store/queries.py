"""The queries the app shares: config sync, feed bookkeeping, the outbox's backlog."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.db import Turn, wait_for_turn
from bot.store.tables import Channel, Feed, OutboxMessage
from config.settings import ChannelSettings, FeedSettings, Settings


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
        "language": configured.language,
        "schedule": configured.digest.model_dump(exclude_none=True),
        "feeds": None if configured.feeds == "all" else list(configured.feeds),
        "include": list(configured.include),
        "exclude": list(configured.exclude),
        "max_stories": configured.max_stories,
        "from_config": True,
    }


async def _sync_channels(session: AsyncSession, channels: list[ChannelSettings]) -> None:
    existing = {channel.chat: channel for channel in await session.scalars(select(Channel))}
    for configured in channels:
        channel = existing.pop(configured.chat, None)
        if channel is None:
            session.add(Channel(chat=configured.chat, **channel_fields(configured)))
        elif channel.from_config:
            for key, value in channel_fields(configured).items():
                setattr(channel, key, value)
    for leftover in existing.values():
        if leftover.from_config:
            await session.delete(leftover)


async def feeds_due(session: AsyncSession, now: datetime) -> list[Feed]:
    return list(
        await session.scalars(
            select(Feed).where(or_(Feed.next_poll_at.is_(None), Feed.next_poll_at <= now)).order_by(Feed.id)
        )
    )


async def all_feeds(session: AsyncSession) -> list[Feed]:
    return list(await session.scalars(select(Feed).order_by(Feed.id)))


async def all_channels(session: AsyncSession) -> list[Channel]:
    return list(await session.scalars(select(Channel).order_by(Channel.id)))


async def unsent_messages(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))) or 0
