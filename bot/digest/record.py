"""Recording a digest: what it gives the channel, and its messages queued in the outbox."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.digest.items import ChannelDigest
from bot.store.tables import Digest, OutboxMessage, PostedArticle, PostedStory


async def queue_digest(session: AsyncSession, channel_id: int, digest: ChannelDigest) -> Digest | None:
    """Record what the digest gives the channel (stories, updates, articles, what it was told) and queue
    its messages in the outbox, in one transaction; None when it had only quiet articles to record.

    Raises IntegrityError when another process posted one of the stories or articles there first.
    """
    record = Digest(channel_id=channel_id) if digest.messages else None
    if record is not None:
        session.add(record)
        await session.flush()
    digest_id = record.id if record else None
    for item in digest.items:
        if item.kind == "update":
            posted = await session.scalar(
                select(PostedStory).where(PostedStory.channel_id == channel_id, PostedStory.story_id == item.story_id)
            )
            posted.told = f"{posted.told or ''}\n{item.told}".strip()
        else:
            session.add(PostedStory(channel_id=channel_id, story_id=item.story_id, digest_id=digest_id, told=item.told))
    given = [article_id for item in digest.items for article_id in item.article_ids] + digest.quiet
    session.add_all(PostedArticle(channel_id=channel_id, article_id=article_id, digest_id=digest_id)
                    for article_id in dict.fromkeys(given))
    feeds = digest.feeds or [None] * len(digest.messages)
    session.add_all(
        OutboxMessage(digest_id=digest_id, position=position, text=text, feed=feed)
        for position, (text, feed) in enumerate(zip(digest.messages, feeds, strict=True))
    )
    await session.commit()
    return record
