"""Each user's language: the one bot texts and /summarize answers are written in."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store.tables import User, utcnow
from bot.usecases.refusal import Refusal, refuse_longer_than
from summarizer import is_supported

# RFC 5646 asks software to take language tags of up to 35 characters; no real one is longer.
MAX_LANGUAGE_CHARS = 35


def language_code(value: str | None) -> str | None:
    """'pt-BR' -> 'pt'; None for anything that is not a language the summarizer knows."""
    primary = re.split(r"[-_]", (value or "").strip().lower(), maxsplit=1)[0]
    return primary if re.fullmatch(r"[a-z]{2}", primary) and is_supported(primary) else None


def chosen_language(code: str) -> str:
    """The language a /language command chose, else a Refusal."""
    refuse_longer_than(MAX_LANGUAGE_CHARS, code)
    language = language_code(code)
    if language is None:
        raise Refusal("bad_language", code=code)
    return language


class UserLanguages:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def language(self, user_id: int, telegram_language: str | None) -> str:
        """The language the user chose with /language, else their Telegram app's, else English."""
        async with self._sessions() as session:
            chosen = await session.scalar(select(User.language).where(User.id == user_id))
        return chosen or language_code(telegram_language) or "en"

    async def set_language(self, user_id: int, code: str) -> str:
        language = chosen_language(code)
        async with self._sessions.begin() as session:
            await session.merge(User(id=user_id, language=language, updated_at=utcnow()))
        return language
