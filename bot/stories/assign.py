"""Putting newly stored articles into stories (the grouping itself is bot.stories.grouping)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.tables import Article, Story
from bot.stories.grouping import Document, assign_stories

# How long a story stays current: articles this far apart can join one story, and a digest covers
# stories this close to the newest article.
STORY_WINDOW = timedelta(hours=72)


def _document(article: Article) -> Document:
    return Document(
        key=article.id, title=article.title, text=article.text,
        language=article.language, published=article.published_at,
    )


async def group_new_articles(session: AsyncSession, *, window: timedelta = STORY_WINDOW) -> int:
    """Assign every article without a story; returns how many stories were created."""
    pending = list(await session.scalars(select(Article).where(Article.story_id.is_(None)).order_by(Article.id)))
    if not pending:
        return 0
    originals = [a for a in pending if a.duplicate_of is None]
    oldest = min(a.published_at for a in pending) - window
    recent = await session.scalars(
        select(Article).where(Article.story_id.is_not(None), Article.duplicate_of.is_(None), Article.published_at >= oldest)
    )
    members: dict[int, list[Document]] = {}
    for article in recent:
        members.setdefault(article.story_id, []).append(_document(article))
    assignment = await asyncio.to_thread(
        assign_stories, [_document(a) for a in originals], members, window=window
    )
    by_id = {a.id: a for a in pending}
    for article_id, story_id in assignment.to_existing.items():
        by_id[article_id].story_id = story_id
    for group in assignment.new_stories:
        story = Story()
        session.add(story)
        await session.flush()
        for article_id in group:
            by_id[article_id].story_id = story.id
    # A copy of an article joins its original's story.
    for article in pending:
        if article.duplicate_of is not None:
            original = by_id.get(article.duplicate_of) or await session.get(Article, article.duplicate_of)
            article.story_id = original.story_id if original else None
    await _touch_stories(session, {a.story_id for a in pending if a.story_id is not None})
    await session.commit()
    return len(assignment.new_stories)


async def _touch_stories(session: AsyncSession, story_ids: set[int]) -> None:
    for story in await session.scalars(select(Story).where(Story.id.in_(story_ids))):
        latest = await session.scalar(
            select(Article.published_at).where(Article.story_id == story.id).order_by(Article.published_at.desc()).limit(1)
        )
        story.updated_at = latest or story.updated_at
