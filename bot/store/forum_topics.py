"""The forum topics the bot made for the feeds of channels with `topics: per_feed`, kept so each is made once."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store.tables import Feed, ForumTopic


async def feed_topic(sessions: async_sessionmaker[AsyncSession], channel_id: int, feed: str) -> int | None:
    """The thread id of the feed's topic in the channel, None until one is made."""
    async with sessions() as session:
        return await session.scalar(
            select(ForumTopic.thread_id).where(ForumTopic.channel_id == channel_id, ForumTopic.feed == feed)
        )


async def topic_name(sessions: async_sessionmaker[AsyncSession], feed: str) -> str:
    """What a feed's topic is called: the feed's title, else its name."""
    async with sessions() as session:
        title = await session.scalar(select(Feed.title).where(Feed.name == feed))
    return title or feed


async def keep_feed_topic(sessions: async_sessionmaker[AsyncSession], channel_id: int, feed: str, thread_id: int) -> int:
    """Record the topic made for the feed; returns the thread id the channel uses for it (another
    process's, when it recorded one first)."""
    try:
        async with sessions.begin() as session:
            session.add(ForumTopic(channel_id=channel_id, feed=feed, thread_id=thread_id))
    except IntegrityError:
        return await feed_topic(sessions, channel_id, feed) or thread_id
    return thread_id


async def forget_feed_topic(sessions: async_sessionmaker[AsyncSession], channel_id: int, feed: str) -> None:
    """The topic is gone from the group (deleted by an admin): the next message makes a new one."""
    async with sessions.begin() as session:
        await session.execute(delete(ForumTopic).where(ForumTopic.channel_id == channel_id, ForumTopic.feed == feed))
