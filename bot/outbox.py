"""Posting digests so that nothing is lost and nothing is sent twice.

`commit_digest` queues a digest's messages in the outbox table. A sender takes the next unsent
message of a digest by claiming it with one conditional UPDATE (which only one process can win, on
SQLite and on PostgreSQL alike), sends it, and marks it sent only once Telegram has accepted it.
A claim is a lease: if its process dies before marking the message sent, another sender takes the
message over once the lease has run out. That leaves one narrow window, a crash between Telegram's
answer and the commit that records it, in which a message can be sent again; losing it instead
would be worse.

A digest's messages go out in order, and a channel's digests one after another: a message that
cannot be sent now holds back everything after it until the next round.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.feeds.parse import html_to_text
from bot.server import Metrics
from bot.store.tables import Channel, Digest, OutboxMessage, utcnow
from bot.telegram.format import NO_PREVIEW, TELEGRAM_LIMIT, split_messages

log = logging.getLogger(__name__)

# Longer than a send can take, flood waits included, so a live sender never loses its claim.
# (Leases are set by each process's clock: the bot's hosts must agree on the time to well within this.)
LEASE = timedelta(minutes=10)
# Flood-control answers for one message, and the longest wait, before it waits for the next round instead.
MAX_FLOOD_WAITS = 8
MAX_FLOOD_SLEEP = 120.0

OnPaused = Callable[[int, str], Awaitable[None]]


@dataclass(frozen=True)
class _Message:
    id: int
    digest_id: int
    position: int
    text: str
    channel_id: int
    chat: str
    paused: bool


def _chat_id(chat: str) -> int | str:
    """Channel.chat as the Bot API takes it: numeric ids as numbers, '@name' as is."""
    return int(chat) if re.fullmatch(r"-?\d+", chat) else chat


def _plain_text(html: str) -> str:
    """The visible text of a Telegram HTML message, line breaks kept."""
    return "\n".join(html_to_text(line) for line in html.split("\n"))


def _retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Outbox:
    """Sends queued digest messages; `on_paused(channel_id, reason)` is told when a channel had to be paused."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bot: Bot,
        metrics: Metrics,
        *,
        on_paused: OnPaused,
    ) -> None:
        self._sessions = sessions
        self._bot = bot
        self._metrics = metrics
        self._on_paused = on_paused
        # Unique per process start, so a restarted bot does not mistake a dead process's claims for its own.
        self._sender_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._closed = False

    def close(self) -> None:
        """Claim nothing more: sends in progress finish, the rest waits in the outbox for the next start."""
        self._closed = True

    async def unsent(self) -> int:
        async with self._sessions() as session:
            return await session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
            ) or 0

    async def send_pending(self) -> int:
        """Send what waits for every channel that is not paused, channels side by side; returns messages sent."""
        async with self._sessions() as session:
            channel_ids = list(
                await session.scalars(
                    select(Digest.channel_id)
                    .join(OutboxMessage, OutboxMessage.digest_id == Digest.id)
                    .join(Channel, Channel.id == Digest.channel_id)
                    .where(OutboxMessage.sent_at.is_(None), Channel.paused_reason.is_(None))
                    .distinct()
                )
            )
        return sum(await asyncio.gather(*(self.send_channel(channel_id) for channel_id in channel_ids)))

    async def send_channel(self, channel_id: int) -> int:
        """A channel's unsent digests, oldest first; returns messages sent."""
        sent = 0
        while not self._closed:
            digest_id = await self._oldest_unsent_digest(channel_id)
            if digest_id is None:
                break
            count, finished = await self._send_digest(digest_id)
            sent += count
            if not finished:
                break
        return sent

    async def _oldest_unsent_digest(self, channel_id: int) -> int | None:
        async with self._sessions() as session:
            return await session.scalar(
                select(func.min(OutboxMessage.digest_id))
                .join(Digest, Digest.id == OutboxMessage.digest_id)
                .where(Digest.channel_id == channel_id, OutboxMessage.sent_at.is_(None))
            )

    async def _send_digest(self, digest_id: int) -> tuple[int, bool]:
        """(messages sent, whether the digest is now complete)."""
        sent = 0
        while not self._closed:
            message = await self._next_unsent(digest_id)
            if message is None:
                await self._complete(digest_id)
                return sent, True
            if message.paused or not await self._claim(message.id):
                return sent, False
            if not await self._deliver(message):
                return sent, False
            sent += 1
        return sent, False

    async def _next_unsent(self, digest_id: int) -> _Message | None:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(OutboxMessage, Channel)
                    .join(Digest, Digest.id == OutboxMessage.digest_id)
                    .join(Channel, Channel.id == Digest.channel_id)
                    .where(OutboxMessage.digest_id == digest_id, OutboxMessage.sent_at.is_(None))
                    .order_by(OutboxMessage.position)
                    .limit(1)
                )
            ).first()
        if row is None:
            return None
        message, channel = row
        return _Message(message.id, digest_id, message.position, message.text, channel.id, channel.chat,
                        channel.paused_reason is not None)

    async def _claim(self, message_id: int) -> bool:
        """Take the message for this sender unless another live sender holds it (or it was sent meanwhile)."""
        now = utcnow()
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == message_id,
                    OutboxMessage.sent_at.is_(None),
                    or_(OutboxMessage.claimed_by.is_(None), OutboxMessage.claimed_until < now),
                )
                .values(claimed_by=self._sender_id, claimed_until=now + LEASE,
                        attempts=OutboxMessage.attempts + 1)
            )
        return result.rowcount == 1

    async def _deliver(self, message: _Message) -> bool:
        """Send one claimed message, coping with what Telegram answers; True once it is accepted."""
        chat, text, parse_mode = message.chat, message.text, ParseMode.HTML
        flood_waits = 0
        while True:
            try:
                accepted = await self._bot.send_message(
                    _chat_id(chat), text, parse_mode=parse_mode, link_preview_options=NO_PREVIEW
                )
            except RetryAfter as exc:
                self._metrics.telegram_error(exc)
                flood_waits += 1
                wait = _retry_seconds(exc)
                if flood_waits > MAX_FLOOD_WAITS or wait > MAX_FLOOD_SLEEP or self._closed:
                    await self._release(message.id, str(exc))
                    return False
                await asyncio.sleep(wait)
            except ChatMigrated as exc:
                self._metrics.telegram_error(exc)
                chat = str(exc.new_chat_id)
                if not await self._move_channel(message.channel_id, chat):
                    await self._pause(message, f"the group moved to {chat}, which another channel entry already uses")
                    return False
            except Forbidden as exc:
                self._metrics.telegram_error(exc)
                await self._pause(message, exc.message)
                return False
            except BadRequest as exc:
                self._metrics.telegram_error(exc)
                problem = exc.message.lower()
                if "too long" in problem and (first_piece := await self._split(message, text)):
                    text = first_piece
                elif "can't parse entities" in problem and parse_mode is not None:
                    log.warning("outbox message %s: %s; sending it as plain text", message.id, exc.message)
                    text, parse_mode = _plain_text(text), None
                else:
                    await self._pause(message, exc.message)
                    return False
            except TelegramError as exc:  # network trouble, timeouts, Telegram's own hiccups: next round
                self._metrics.telegram_error(exc)
                log.warning("outbox message %s not sent yet: %s", message.id, exc)
                await self._release(message.id, str(exc))
                return False
            else:
                await self._mark_sent(message.id, accepted.message_id)
                return True

    async def _mark_sent(self, message_id: int, telegram_message_id: int) -> None:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == self._sender_id)
                .values(sent_at=utcnow(), telegram_message_id=telegram_message_id, claimed_until=None)
            )
        if result.rowcount != 1:
            log.error("outbox message %s was sent after its claim lapsed; another sender may repeat it", message_id)

    async def _release(self, message_id: int, error: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == self._sender_id)
                .values(claimed_by=None, claimed_until=None, last_error=error)
            )

    async def _complete(self, digest_id: int) -> None:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Digest)
                .where(Digest.id == digest_id, Digest.completed_at.is_(None))
                .values(completed_at=utcnow())
            )
        if result.rowcount == 1:
            self._metrics.digests_posted.inc()

    async def _split(self, message: _Message, text: str) -> str | None:
        """Replace a message Telegram found too long by shorter ones; returns the first, None if it can't be split."""
        pieces = split_messages([text], limit=min(len(text), TELEGRAM_LIMIT) // 2)
        if len(pieces) < 2:
            return None
        async with self._sessions.begin() as session:
            # Later messages are held back by this unsent one, so no other sender is moving them.
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.digest_id == message.digest_id, OutboxMessage.position > message.position)
                .values(position=OutboxMessage.position + len(pieces) - 1)
            )
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id).values(text=pieces[0]))
            session.add_all(
                OutboxMessage(digest_id=message.digest_id, position=message.position + offset, text=piece)
                for offset, piece in enumerate(pieces[1:], start=1)
            )
        log.warning("outbox message %s was too long for Telegram; split into %d", message.id, len(pieces))
        return pieces[0]

    async def _move_channel(self, channel_id: int, chat: str) -> bool:
        try:
            async with self._sessions.begin() as session:
                await session.execute(
                    update(Channel).where(Channel.id == channel_id).values(chat=chat, from_config=False)
                )
        except IntegrityError:
            return False
        log.info("channel %s moved to chat %s", channel_id, chat)
        return True

    async def _pause(self, message: _Message, reason: str) -> None:
        """Stop posting to a channel Telegram won't take messages for, and tell its owner (once)."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Channel)
                .where(Channel.id == message.channel_id, Channel.paused_reason.is_(None))
                .values(paused_reason=reason)
            )
        await self._release(message.id, reason)
        if result.rowcount == 1:
            log.warning("channel %s paused: %s", message.chat, reason)
            await self._on_paused(message.channel_id, reason)
