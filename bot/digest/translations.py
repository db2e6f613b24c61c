"""Translations of source sentences by the model, cached in the store by (sentence, model, language).

A refused rendering is cached with the check's reasons too: a sentence the model cannot translate
faithfully is not tried again at every digest. Bot processes sharing a PostgreSQL database claim
each set of sentences first, so one of them asks the model and the others wait for its rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.digest.in_flight import InFlight
from bot.store.tables import TranslationRecord
from bot.store.work_claims import Work, WorkClaims
from summarizer import Translation, Translator


def _key(sentence: str, language: str) -> str:
    return hashlib.sha256(f"{language}\x1f{sentence}".encode()).hexdigest()


class SentenceTranslations:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], translator: Translator,
                 claims: WorkClaims | None = None) -> None:
        self._sessions = sessions
        self.translator = translator
        self._claims = claims or WorkClaims(None)
        self._in_flight: InFlight[list[Translation]] = InFlight()

    async def translate(self, sentences: Sequence[str], source_language: str, language: str) -> list[Translation]:
        """Each sentence in `language`, in order; a refused one has no text (and says why)."""
        sentences = tuple(sentences)
        return await self._in_flight.once(
            (sentences, source_language, language), lambda: self._cached_or_new(sentences, source_language, language)
        )

    async def _cached_or_new(self, sentences: tuple[str, ...], source_language: str, language: str) -> list[Translation]:
        model = self.translator.model_name
        keys = {_key(sentence, source_language): sentence for sentence in sentences}

        async def known() -> dict[str, Translation]:
            async with self._sessions() as session:
                rows = await session.scalars(select(TranslationRecord).where(
                    TranslationRecord.source_hash.in_(keys), TranslationRecord.model == model,
                    TranslationRecord.language == language,
                ))
                return {keys[row.source_hash]: Translation(keys[row.source_hash], row.rendering, tuple(row.reasons))
                        for row in rows}

        async def stored() -> list[Translation] | None:
            found = await known()
            return [found[sentence] for sentence in sentences] if found.keys() >= set(sentences) else None

        async def make() -> list[Translation]:
            found = await known()
            missing = [sentence for sentence in dict.fromkeys(sentences) if sentence not in found]
            if missing:
                fresh = await self.translator.translate(missing, source_language, language)
                found.update((translation.source, translation) for translation in fresh)
                await self._store(fresh, source_language, language, model)
            return [found[sentence] for sentence in sentences]

        name = "\x1e".join([model, language, *sorted(keys)])
        return await self._claims.once(Work.TRANSLATION, name, stored, make)

    async def _store(self, translations: list[Translation], source_language: str, language: str, model: str) -> None:
        for translation in translations:
            record = TranslationRecord(
                source_hash=_key(translation.source, source_language), model=model, language=language,
                rendering=translation.rendering, reasons=list(translation.reasons),
            )
            async with self._sessions() as session:
                try:
                    async with session.begin():
                        session.add(record)
                except IntegrityError:  # another bot process stored the same sentence a moment ago
                    pass
