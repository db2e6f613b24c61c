"""A channel's posting state, written only here: paused (and why) or posting, and the chat it posts to.

The outbox pauses a channel Telegram will not take messages for, and moves one whose group became
a supergroup; an admin asking for a digest resumes it.
"""

from __future__ import annotations

import logging

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store.tables import Channel

log = logging.getLogger(__name__)


async def pause_channel(sessions: async_sessionmaker[AsyncSession], channel_id: int, reason: str) -> bool:
    """Stop posting to the channel; True when this call paused it, False when it already was."""
    async with sessions.begin() as session:
        result = await session.execute(
            update(Channel).where(Channel.id == channel_id, Channel.paused_reason.is_(None)).values(paused_reason=reason)
        )
    return result.rowcount == 1


async def resume_channel(sessions: async_sessionmaker[AsyncSession], channel_id: int) -> None:
    async with sessions.begin() as session:
        await session.execute(update(Channel).where(Channel.id == channel_id).values(paused_reason=None))


async def move_channel(sessions: async_sessionmaker[AsyncSession], channel_id: int, chat: str) -> bool:
    """Post to `chat` from now on; False when another channel entry already has that chat."""
    try:
        async with sessions.begin() as session:
            await session.execute(update(Channel).where(Channel.id == channel_id).values(chat=chat, from_config=False))
    except IntegrityError:
        return False
    log.info("channel %s moved to chat %s", channel_id, chat)
    return True
