"""Story summaries and headlines from the model, cached in the store by (sources, model, language).

Digest jobs of several channels may ask for the same story's summary at once: within the process
they share one computation, and across processes the second insert gives way to the first one's row.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.digest.in_flight import InFlight
from bot.store.tables import Article, SummaryRecord
from summarizer import Summarizer, SummaryRequest, source_text


class StorySummaries:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], summarizer: Summarizer, max_chars: int) -> None:
        self._sessions = sessions
        self.summarizer = summarizer
        self.max_chars = max_chars
        self._in_flight: InFlight[SummaryRecord] = InFlight()

    async def summary(self, articles: list[Article], language: str) -> SummaryRecord:
        """The story's summary in `language` (raises SummarizerError when the model fails)."""
        key = hashlib.sha256("|".join(a.text_hash for a in articles).encode()).hexdigest()
        texts = tuple(source_text(a.title, a.text) for a in articles)
        return await self._in_flight.once((key, language, "summary"), lambda: self._cached_or_new(key, texts, language))

    async def summary_of(self, texts: tuple[str, ...], language: str) -> SummaryRecord:
        """A summary of these texts (an update's new sentences) in `language`."""
        key = hashlib.sha256("\x1e".join(texts).encode()).hexdigest()
        return await self._in_flight.once((key, language, "summary"), lambda: self._cached_or_new(key, texts, language))

    async def reasons_to_withhold(self, record: SummaryRecord, articles: list[Article]) -> list[str]:
        """Why the summary may not go out ([] when it may): the model's gate, against the story's
        sources as they stand now."""
        sources = [source_text(a.title, a.text) for a in articles]
        return await self.summarizer.reasons_to_withhold(record.summary, record.flags, sources)

    async def headline(self, record: SummaryRecord) -> str:
        """A headline for the summary, generated once and kept with it ("" when there is none worth using)."""
        if record.headline is None:
            await self._in_flight.once((record.source_hash, record.language, "headline"), lambda: self._add_headline(record))
        return record.headline or ""

    async def _cached_or_new(self, key: str, texts: tuple[str, ...], language: str) -> SummaryRecord:
        model = self.summarizer.model_name
        wanted = select(SummaryRecord).where(
            SummaryRecord.source_hash == key, SummaryRecord.model == model,
            SummaryRecord.language == language, SummaryRecord.max_chars == self.max_chars,
        )
        async with self._sessions() as session:
            record = await session.scalar(wanted)
        if record is not None:
            return record
        [summary] = await self.summarizer.summarize([SummaryRequest(texts, language, self.max_chars)])
        record = SummaryRecord(
            source_hash=key, model=model, language=language, max_chars=self.max_chars,
            summary=summary.summary, summary_language=summary.language, source_language=summary.source_language,
            flags=summary.flags, seconds=summary.seconds, headline=None,
        )
        async with self._sessions() as session:
            try:
                async with session.begin():
                    session.add(record)
            except IntegrityError:  # another bot process stored the same summary a moment ago
                record = await session.scalar(wanted)
        return record

    async def _add_headline(self, record: SummaryRecord) -> SummaryRecord:
        async with self._sessions() as session:
            stored = await session.scalar(select(SummaryRecord.headline).where(SummaryRecord.id == record.id))
        headline = stored if stored is not None else await self.summarizer.headline(record.summary, record.language)
        async with self._sessions.begin() as session:
            await session.execute(update(SummaryRecord).where(SummaryRecord.id == record.id).values(headline=headline))
        record.headline = headline
        return record
