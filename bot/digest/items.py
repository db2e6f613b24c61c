"""A digest item per story: its summary in the channel's language (cached in the store), its sources."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store.tables import Article, SummaryRecord
from summarizer.backends.base import Backend
from summarizer.text import trim_to_sentences
from summarizer.types import SummarizerError, SummaryRequest

log = logging.getLogger(__name__)

# A summary with one of these flags, or with names or numbers no source has, gives way to the lead
# of a source in the channel's language where the story has one.
DOUBTFUL_FLAGS = frozenset({"degenerate_output", "language_mismatch"})
LEAD_OF_SOURCE = "lead_of_source"


@dataclass(frozen=True)
class SourceLink:
    url: str | None
    feed: str
    language: str | None


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
    messages: list[str]  # exactly as they are sent

    def to_json(self) -> dict:
        return {
            "chat": self.chat,
            "language": self.language,
            "stories": [item.to_json() for item in self.items],
            "messages": self.messages,
        }


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
    """One summary per story and language, cached in the store by (sources, model, language).

    Digest jobs of several channels may ask for the same story's summary at once: within the
    process they share one computation, and across processes the second insert gives way to the
    first one's row.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], backend: Backend, max_chars: int) -> None:
        self._sessions = sessions
        self._backend = backend
        self._max_chars = max_chars
        self._in_flight: dict[tuple[str, str, str], asyncio.Future[SummaryRecord]] = {}

    async def item(self, articles: list[Article], language: str) -> DigestItem:
        sources = [SourceLink(_public_url(a), a.feed.title or a.feed.name, a.language) for a in articles]
        unique = list({a.text_hash: a for a in articles}.values())
        native = next((a for a in unique if a.language == language and a.text), None)
        native_title = next((a.title for a in unique if a.language == language and a.title), None)
        try:
            record = await self._record(unique, language)
            if native_title is None and not record.headline:
                await self._once((record.source_hash, language, "headline"), lambda: self._add_headline(record, language))
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

    async def _record(self, articles: list[Article], language: str) -> SummaryRecord:
        key = hashlib.sha256("|".join(a.text_hash for a in articles).encode()).hexdigest()
        return await self._once((key, language, "summary"), lambda: self._cached_or_new(key, articles, language))

    async def _once(
        self, key: tuple[str, str, str], compute: Callable[[], Awaitable[SummaryRecord]]
    ) -> SummaryRecord:
        """Callers asking for the same key while it is being computed await the same result."""
        pending = self._in_flight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[SummaryRecord] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            record = await compute()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here: nobody else may be waiting
            raise
        else:
            future.set_result(record)
            return record
        finally:
            del self._in_flight[key]

    async def _cached_or_new(self, key: str, articles: list[Article], language: str) -> SummaryRecord:
        model = self._backend.model_name
        wanted = select(SummaryRecord).where(
            SummaryRecord.source_hash == key, SummaryRecord.model == model,
            SummaryRecord.language == language, SummaryRecord.max_chars == self._max_chars,
        )
        async with self._sessions() as session:
            record = await session.scalar(wanted)
        if record is not None:
            return record
        texts = tuple(f"{a.title}\n{a.text}".strip() for a in articles)
        [summary] = await self._backend.summarize([SummaryRequest(texts, language, self._max_chars)])
        record = SummaryRecord(
            source_hash=key, model=model, language=language, max_chars=self._max_chars,
            summary=summary.summary, summary_language=summary.language, source_language=summary.source_language,
            ungrounded=summary.ungrounded, flags=summary.flags, seconds=summary.seconds,
        )
        async with self._sessions() as session:
            try:
                async with session.begin():
                    session.add(record)
            except IntegrityError:  # another bot process stored the same summary a moment ago
                record = await session.scalar(wanted)
        return record

    async def _add_headline(self, record: SummaryRecord, language: str) -> SummaryRecord:
        async with self._sessions() as session:
            stored = await session.scalar(select(SummaryRecord.headline).where(SummaryRecord.id == record.id))
        headline = stored or await self._backend.headline(record.summary, language)
        async with self._sessions.begin() as session:
            await session.execute(update(SummaryRecord).where(SummaryRecord.id == record.id).values(headline=headline))
        record.headline = headline
        return record
