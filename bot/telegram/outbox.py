"""Posting digests: nothing is lost; a message is repeated only when Telegram's answer is lost.

`queue_digest` (bot/digest/record.py) queues a digest's messages in the outbox table. A sender takes
the next unsent message of a digest by claiming it with one conditional UPDATE (which only one
process can win, on SQLite and on PostgreSQL alike), sends it, and marks it sent once Telegram has
accepted it. A claim is a short lease that its sender renews while it lives, so two live
processes never send the same message. A claim names its process: a bot restarted on the same
host takes back its dead predecessor's claims at once; elsewhere they lapse within LEASE.

Delivery is at least once. The Bot API has no idempotency key, so a message whose fate is unknown is
sent again: when the connection breaks after the request went out, when Telegram takes longer than
SEND_TIMEOUT to answer, or when the process dies between Telegram's answer and the commit that
records it (milliseconds). Losing the message instead would be worse.

A digest's messages go out in order, and a channel's digests one after another: a message that
cannot be sent now holds back everything after it until the next round.

Flood control has one layer, here: the application's rate limiter only paces requests (it does not
retry), and a message Telegram answers with "retry after" is tried at most 1 + MAX_FLOOD_WAITS
times in a round, each wait at most MAX_FLOOD_SLEEP; then it waits for the next outbox round.
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
from pathlib import Path

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.metrics import Metrics
from bot.store.tables import Channel, Digest, OutboxMessage, utcnow
from bot.telegram.html import NO_PREVIEW, TELEGRAM_LIMIT, plain_text, split_messages
from web.retry_after import retry_after_seconds

log = logging.getLogger(__name__)

# A claim lasts this long unless renewed; its sender renews all its claims every third of it.
# (Leases are set by each process's clock: the bot's hosts must agree on the time to well within this.)
LEASE = timedelta(seconds=30)
# Flood-control answers for one message in one round, and the longest wait, before it waits for the
# next round instead.
MAX_FLOOD_WAITS = 3
MAX_FLOOD_SLEEP = 60.0
# How long Telegram may take to answer a send before the message counts as not sent (and is sent
# again later): generous, since a timeout after delivery is a repeated message.
SEND_TIMEOUT = 30.0

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


def this_process() -> str:
    """host:boot:pid:start: which process this is, in a way another process on the host can check."""
    return f"{socket.gethostname()}:{_boot_id()}:{os.getpid()}:{_start_time(os.getpid())}"


def _owner_gone(owner: str) -> bool:
    """Whether a claim's sender is a process of this host that no longer runs (or ran before a reboot).

    Only Linux says (through /proc); elsewhere, and for other hosts, the lease decides.
    """
    host, boot, pid, start, _sender = (owner.split(":") + [""] * 5)[:5]
    if host != socket.gethostname() or not boot or boot == "-" or _boot_id() == "-":
        return False
    if boot != _boot_id():
        return True
    return not pid.isdigit() or _start_time(int(pid)) != start


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        return "-"


def _start_time(pid: int) -> str:
    """When the process started, in clock ticks since boot ("" when there is no such process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]  # field 22; the command name before it may hold spaces


def _chat_id(chat: str) -> int | str:
    """Channel.chat as the Bot API takes it: numeric ids as numbers, '@name' as is."""
    return int(chat) if re.fullmatch(r"-?\d+", chat) else chat


class Outbox:
    """Sends queued digest messages; `on_paused(channel_id, reason)` is told when a channel had to be paused."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bot: Bot,
        metrics: Metrics,
        *,
        on_paused: OnPaused,
        lease: timedelta = LEASE,
    ) -> None:
        self._sessions = sessions
        self._lease = lease
        self._renewal: asyncio.Task[None] | None = None
        self._bot = bot
        self._metrics = metrics
        self._on_paused = on_paused
        # Names this process (see _owner_gone) and this sender within it.
        self._sender_id = f"{this_process()}:{uuid.uuid4().hex[:8]}"
        self._closed = False

    def close(self) -> None:
        """Claim nothing more: sends in progress finish, the rest waits in the outbox for the next start."""
        self._closed = True
        if self._renewal is not None:
            self._renewal.cancel()

    def _keep_claims(self) -> None:
        """Start renewing this sender's claims (once, on its first claim)."""
        if self._renewal is None or self._renewal.done():
            self._renewal = asyncio.get_running_loop().create_task(self._renew_claims())

    async def _renew_claims(self) -> None:
        while True:
            await asyncio.sleep(self._lease.total_seconds() / 3)
            try:
                async with self._sessions.begin() as session:
                    await session.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.claimed_by == self._sender_id, OutboxMessage.sent_at.is_(None))
                        .values(claimed_until=utcnow() + self._lease)
                    )
            except SQLAlchemyError as exc:  # the claims may lapse; a send after that is logged by _mark_sent
                log.warning("outbox claims not renewed: %s", exc)

    async def send_pending(self) -> int:
        """Send what waits for every channel that is not paused, channels side by side; returns messages sent."""
        await self._take_back_dead_claims()
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

    async def _take_back_dead_claims(self) -> None:
        """Free the claims of senders this process sees gone (a killed bot on this host), without
        waiting for their leases to run out."""
        async with self._sessions.begin() as session:
            owners = set(await session.scalars(
                select(OutboxMessage.claimed_by).where(
                    OutboxMessage.sent_at.is_(None), OutboxMessage.claimed_by.is_not(None)
                ).distinct()
            ))
            dead = [owner for owner in owners if _owner_gone(owner)]
            if dead:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.claimed_by.in_(dead), OutboxMessage.sent_at.is_(None))
                    .values(claimed_by=None, claimed_until=None)
                )
        if dead:
            log.info("took back outbox claims of senders that are gone: %s", ", ".join(sorted(dead)))

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
        self._keep_claims()
        now = utcnow()
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == message_id,
                    OutboxMessage.sent_at.is_(None),
                    or_(OutboxMessage.claimed_by.is_(None), OutboxMessage.claimed_until < now),
                )
                .values(claimed_by=self._sender_id, claimed_until=now + self._lease,
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
                    _chat_id(chat), text, parse_mode=parse_mode, link_preview_options=NO_PREVIEW,
                    read_timeout=SEND_TIMEOUT,
                )
            except RetryAfter as exc:
                self._metrics.telegram_error(exc)
                flood_waits += 1
                wait = retry_after_seconds(exc.retry_after)
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
                    text, parse_mode = plain_text(text), None
                else:
                    await self._pause(message, exc.message)
                    return False
            except TelegramError as exc:  # network trouble, timeouts, Telegram's own hiccups: next round
                # (A timeout or a broken connection after the request went out may mean it was
                # delivered: the next round sends it again.)
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
