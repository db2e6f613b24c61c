"""Which stories a channel's next digest carries: from its feeds, not yet posted there, current, filtered, ranked."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.store.tables import Article, Channel, Feed, PostedStory, Story
from bot.stories.assign import STORY_WINDOW


def compile_rule(rule: str) -> re.Pattern[str]:
    """'/regex/' as written; a keyword matches as a whole word, ignoring case."""
    if len(rule) > 2 and rule.startswith("/") and rule.endswith("/"):
        return re.compile(rule[1:-1], re.IGNORECASE)
    return re.compile(rf"(?<!\w){re.escape(rule)}(?!\w)", re.IGNORECASE)


def passes_filters(text: str, include: list[str], exclude: list[str]) -> bool:
    if include and not any(compile_rule(rule).search(text) for rule in include):
        return False
    return not any(compile_rule(rule).search(text) for rule in exclude)


async def choose_stories(session: AsyncSession, channel: Channel) -> list[tuple[Story, list[Article]]]:
    """Stories not yet posted in the channel, from its feeds, filtered, ranked, at most max_stories.

    A first digest (or one after a long pause) covers stories within the story window of the
    newest article.
    """
    # "all" means the feeds of the config file, not feeds other chats' admins added at run time.
    feed_filter = (
        select(Feed.id).where(Feed.from_config.is_(True))
        if channel.feeds is None
        else select(Feed.id).where(Feed.name.in_(channel.feeds))
    )
    newest = await session.scalar(
        select(Article.published_at).where(Article.feed_id.in_(feed_filter)).order_by(Article.published_at.desc()).limit(1)
    )
    if newest is None:
        return []
    posted = select(PostedStory.story_id).where(PostedStory.channel_id == channel.id)
    articles = await session.scalars(
        select(Article)
        .options(selectinload(Article.feed))
        .join(Story, Article.story_id == Story.id)
        .where(
            Article.feed_id.in_(feed_filter),
            Story.id.not_in(posted),
            Story.updated_at >= newest - STORY_WINDOW,
        )
        .order_by(Article.published_at, Article.id)
    )
    by_story: dict[int, list[Article]] = {}
    for article in articles:
        by_story.setdefault(article.story_id, []).append(article)
    kept = [
        members for members in by_story.values()
        if passes_filters(" ".join(f"{a.title}\n{a.text}" for a in members), channel.include, channel.exclude)
    ]
    # More outlets first (a bigger story), then the most recent.
    kept.sort(key=lambda m: (len({a.feed_id for a in m}), max(a.published_at for a in m)), reverse=True)
    chosen = kept[: channel.max_stories]
    stories = {s.id: s for s in await session.scalars(select(Story).where(Story.id.in_([m[0].story_id for m in chosen])))}
    return [(stories[members[0].story_id], members) for members in chosen]
