"""Story summaries and headlines from the model, cached in the store by (sources, model, language).

Digest jobs of several channels may ask for the same story's summary at once: within the process
they share one computation; bot processes sharing a PostgreSQL database claim each summary (and
headline) first, so one of them asks the model and the others wait for its row or move on.
"""

from __future__ import annotations

import asyncio
import hashlib
from contextlib import AbstractAsyncContextManager, nullcontext

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.digest.in_flight import InFlight
from bot.store.tables import Article, SummaryRecord
from bot.store.work_claims import Work, WorkClaims
from summarizer import Summarizer, SummarizerError, SummaryRequest, source_text

# Summaries a process sharing the work claims at once: about the requests a model backend keeps in
# flight (OpenAIBackend's max_in_flight), so that claims wait for the model here, where the other
# processes can take the rest, rather than in the backend's queue.
CLAIMED_AT_ONCE = 8


class StorySummaries:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], summarizer: Summarizer, max_chars: int,
                 claims: WorkClaims | None = None) -> None:
        self._sessions = sessions
        self.summarizer = summarizer
        self.max_chars = max_chars
        self._claims = claims or WorkClaims(None)
        self._in_flight: InFlight[SummaryRecord] = InFlight()
        self._claiming = asyncio.Semaphore(CLAIMED_AT_ONCE) if self._claims.shared else None

    async def summary(self, articles: list[Article], language: str) -> SummaryRecord:
        """The story's summary in `language` (raises SummarizerError when the model fails)."""
        key = hashlib.sha256("|".join(a.text_hash for a in articles).encode()).hexdigest()
        texts = tuple(source_text(a.title, a.text) for a in articles)
        return await self._in_flight.once((key, language, "summary"), lambda: self._cached_or_new(key, texts, language))

    async def make_ahead(self, articles: list[Article], language: str) -> None:
        """Make the story's summary in `language` unless it is made, or being made, already: what a
        process that is not building a digest does for the one that is."""
        key = hashlib.sha256("|".join(a.text_hash for a in articles).encode()).hexdigest()
        texts = tuple(source_text(a.title, a.text) for a in articles)
        try:
            await self._cached_or_new(key, texts, language, wait=False)
        except SummarizerError:
            pass  # left to the digest's builder, which says why

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

    async def _cached_or_new(self, key: str, texts: tuple[str, ...], language: str, *,
                             wait: bool = True) -> SummaryRecord | None:
        model = self.summarizer.model_name
        wanted = select(SummaryRecord).where(
            SummaryRecord.source_hash == key, SummaryRecord.model == model,
            SummaryRecord.language == language, SummaryRecord.max_chars == self.max_chars,
        )

        async def stored() -> SummaryRecord | None:
            async with self._sessions() as session:
                return await session.scalar(wanted)

        async def make() -> SummaryRecord:
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

        name = f"{key}|{model}|{language}|{self.max_chars}"
        return await self._claims.once(Work.SUMMARY, name, stored, make, wait=wait, slot=self._slot)

    def _slot(self) -> AbstractAsyncContextManager[object]:
        return self._claiming if self._claiming is not None else nullcontext()

    async def _add_headline(self, record: SummaryRecord) -> SummaryRecord:
        async def stored() -> str | None:
            async with self._sessions() as session:
                return await session.scalar(select(SummaryRecord.headline).where(SummaryRecord.id == record.id))

        async def make() -> str:
            headline = await self.summarizer.headline(record.summary, record.language)
            async with self._sessions.begin() as session:
                await session.execute(update(SummaryRecord).where(SummaryRecord.id == record.id).values(headline=headline))
            return headline

        record.headline = await self._claims.once(Work.HEADLINE, str(record.id), stored, make)
        return record
