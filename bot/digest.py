"""A channel's next digest: choose its stories, summarise each once, format, split into messages."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.store.tables import Article, Channel, Digest, Feed, OutboxMessage, PostedStory, Story, SummaryRecord
from bot.telegram.format import SourceLink, format_item, split_messages
from summarizer.backends.base import Backend
from summarizer.text import trim_to_sentences
from summarizer.types import SummarizerError, SummaryRequest

log = logging.getLogger(__name__)

# A first digest (or one after a long pause) covers stories this close to the newest article.
FRESHNESS = timedelta(hours=72)
# A summary with one of these flags, or with names or numbers no source has, gives way to the lead
# of a source in the channel's language where the story has one.
DOUBTFUL_FLAGS = frozenset({"degenerate_output", "language_mismatch"})
LEAD_OF_SOURCE = "lead_of_source"


@dataclass
class DigestItem:
    story_id: int
    title: str
    summary: str
    sources: list[SourceLink]
    ungrounded: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "title": self.title,
            "summary": self.summary,
            "sources": [{"url": s.url, "feed": s.feed, "language": s.language} for s in self.sources],
        }


@dataclass
class ChannelDigest:
    chat: str
    language: str
    items: list[DigestItem]
    messages: list[str]

    def to_json(self) -> dict:
        return {
            "chat": self.chat,
            "language": self.language,
            "stories": [item.to_json() for item in self.items],
            "messages": self.messages,
        }


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
    """Stories not yet posted in the channel, from its feeds, filtered, ranked, at most max_stories."""
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
            Story.updated_at >= newest - FRESHNESS,
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


def _public_url(article: Article) -> str | None:
    """The link readers can open: the entry's own, or the page's canonical URL for file: entries."""
    if article.url and article.url.startswith(("http://", "https://")):
        return article.url
    return article.canonical_url


def lead_of(article: Article, max_chars: int) -> str:
    """The article's opening sentences, without the headline that page extraction often repeats."""
    text = article.text.strip()
    first_line, _, rest = text.partition("\n")
    if rest and " ".join(first_line.split()) == " ".join(article.title.split()):
        text = rest
    return trim_to_sentences(text, max_chars)


class StorySummaries:
    """One summary per story and language, cached in the store by (sources, model, language)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], backend: Backend, max_chars: int) -> None:
        self._sessions = sessions
        self._backend = backend
        self._max_chars = max_chars

    async def item(self, articles: list[Article], language: str) -> DigestItem:
        sources = [SourceLink(_public_url(a), a.feed.title or a.feed.name, a.language) for a in articles]
        unique = list({a.text_hash: a for a in articles}.values())
        native = next((a for a in unique if a.language == language and a.text), None)
        native_title = next((a.title for a in unique if a.language == language and a.title), None)
        try:
            record = await self._record(unique, language, need_headline=native_title is None)
        except SummarizerError as exc:
            log.warning("story %s not summarised: %s", articles[0].story_id, exc)
            title, summary, ungrounded, flags = native_title or unique[0].title, "", [], [f"error: {exc}"]
        else:
            title = native_title or record.headline
            summary, ungrounded, flags = record.summary, list(record.ungrounded), list(record.flags)
        if native is not None and (not summary or ungrounded or DOUBTFUL_FLAGS & set(flags)):
            # The model wrote nothing usable, another language or a fact no source states; an
            # outlet's own lead in the channel's language tells the story truly.
            summary, ungrounded, flags = lead_of(native, self._max_chars), [], [*flags, LEAD_OF_SOURCE]
        return DigestItem(articles[0].story_id, title, summary, sources, ungrounded, flags)

    async def _record(self, articles: list[Article], language: str, *, need_headline: bool) -> SummaryRecord:
        key = hashlib.sha256("|".join(a.text_hash for a in articles).encode()).hexdigest()
        model = self._backend.model_name
        async with self._sessions() as session:
            record = await session.scalar(
                select(SummaryRecord).where(
                    SummaryRecord.source_hash == key, SummaryRecord.model == model,
                    SummaryRecord.language == language, SummaryRecord.max_chars == self._max_chars,
                )
            )
            if record is None:
                texts = tuple(f"{a.title}\n{a.text}".strip() for a in articles)
                [summary] = await self._backend.summarize([SummaryRequest(texts, language, self._max_chars)])
                record = SummaryRecord(
                    source_hash=key, model=model, language=language, max_chars=self._max_chars,
                    summary=summary.summary, summary_language=summary.language,
                    source_language=summary.source_language, ungrounded=summary.ungrounded,
                    flags=summary.flags, seconds=summary.seconds,
                )
                session.add(record)
            if need_headline and not record.headline:
                record.headline = await self._backend.headline(record.summary, language)
            await session.commit()
            return record


async def build_digest(
    sessions: async_sessionmaker[AsyncSession],
    channel: Channel,
    summaries: StorySummaries,
    *,
    on_item: Callable[[], None] | None = None,
) -> ChannelDigest:
    """The channel's next digest, without marking anything as posted."""
    async with sessions() as session:
        chosen = await choose_stories(session, channel)

    async def summarised(articles: list[Article]) -> DigestItem:
        item = await summaries.item(articles, channel.language)
        if on_item:
            on_item()
        return item

    # Concurrent requests let the model worker batch them.
    items = list(await asyncio.gather(*(summarised(articles) for _, articles in chosen)))
    messages = split_messages([format_item(i.title, i.summary, i.sources) for i in items])
    return ChannelDigest(channel.chat, channel.language, items, messages)


async def commit_digest(session: AsyncSession, channel: Channel, digest: ChannelDigest) -> Digest:
    """Record the digest's stories as posted and queue its messages in the outbox, in one transaction."""
    record = Digest(channel_id=channel.id)
    session.add(record)
    await session.flush()
    for item in digest.items:
        session.add(PostedStory(channel_id=channel.id, story_id=item.story_id, digest_id=record.id))
    for position, text in enumerate(digest.messages):
        session.add(OutboxMessage(digest_id=record.id, position=position, text=text))
    await session.commit()
    return record
