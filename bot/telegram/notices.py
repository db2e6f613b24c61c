"""Telling a paused channel's owner (or, for channels from the config, the operators) in a private message."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.store.tables import Channel, User
from bot.telegram import texts

log = logging.getLogger(__name__)


class PauseNotices:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], bot: Bot, operators: list[int]) -> None:
        self._sessions = sessions
        self._bot = bot
        self._operators = operators

    async def __call__(self, channel_id: int, reason: str) -> None:
        async with self._sessions() as session:
            channel = await session.get(Channel, channel_id)
            if channel is None:
                return
            recipients = [channel.owner_id] if channel.owner_id else list(self._operators)
            chosen = await session.execute(select(User.id, User.language).where(User.id.in_(recipients)))
            languages = dict(chosen.all())
        for user_id in recipients:
            language = languages.get(user_id, channel.language)
            notice = texts.text(language, "channel_paused", chat=channel.chat, reason=reason)
            try:
                await self._bot.send_message(user_id, notice, parse_mode=ParseMode.HTML)
            except TelegramError as exc:
                log.warning("could not tell user %s that %s is paused: %s", user_id, channel.chat, exc)
