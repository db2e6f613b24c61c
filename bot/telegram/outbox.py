"""Posting digests: nothing is lost; a message is repeated only when Telegram's answer is lost.

`queue_digest` (bot/digest/record.py) queues a digest's messages in the outbox table. The Outbox
sends them: it claims the next unsent message of a digest in the store (bot/store/outbox_claims.py:
claims, leases and which process holds them), sends it, and copes with what Telegram answers.

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
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.metrics import Metrics
from bot.store.channel_state import move_channel, pause_channel
from bot.store.outbox_claims import LEASE, OutboxClaims, QueuedMessage
from bot.telegram.html import NO_PREVIEW, TELEGRAM_LIMIT, plain_text, split_messages
from web.retry_after import retry_after_seconds

log = logging.getLogger(__name__)

# Flood-control answers for one message in one round, and the longest wait, before it waits for the
# next round instead.
MAX_FLOOD_WAITS = 3
MAX_FLOOD_SLEEP = 60.0
# How long Telegram may take to answer a send before the message counts as not sent (and is sent
# again later): generous, since a timeout after delivery is a repeated message.
SEND_TIMEOUT = 30.0

OnPaused = Callable[[int, str], Awaitable[None]]


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
        self._claims = OutboxClaims(sessions, lease=lease)
        self._bot = bot
        self._metrics = metrics
        self._on_paused = on_paused
        self._closed = False

    def close(self) -> None:
        """Claim nothing more: sends in progress finish, the rest waits in the outbox for the next start."""
        self._closed = True
        self._claims.close()

    async def send_pending(self) -> int:
        """Send what waits for every channel that is not paused, channels side by side; returns messages sent."""
        await self._claims.take_back_dead_claims()
        channel_ids = await self._claims.channels_waiting()
        return sum(await asyncio.gather(*(self.send_channel(channel_id) for channel_id in channel_ids)))

    async def send_channel(self, channel_id: int) -> int:
        """A channel's unsent digests, oldest first; returns messages sent."""
        sent = 0
        while not self._closed:
            digest_id = await self._claims.oldest_unsent_digest(channel_id)
            if digest_id is None:
                break
            count, finished = await self._send_digest(digest_id)
            sent += count
            if not finished:
                break
        return sent

    async def _send_digest(self, digest_id: int) -> tuple[int, bool]:
        """(messages sent, whether the digest is now complete)."""
        sent = 0
        while not self._closed:
            message = await self._claims.next_unsent(digest_id)
            if message is None:
                if await self._claims.complete(digest_id):
                    self._metrics.digests_posted.inc()
                return sent, True
            if message.paused or not await self._claims.claim(message.id):
                return sent, False
            if not await self._deliver(message):
                return sent, False
            sent += 1
        return sent, False

    async def _deliver(self, message: QueuedMessage) -> bool:
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
                    await self._claims.release(message.id, str(exc))
                    return False
                await asyncio.sleep(wait)
            except ChatMigrated as exc:
                self._metrics.telegram_error(exc)
                chat = str(exc.new_chat_id)
                if not await move_channel(self._sessions, message.channel_id, chat):
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
                await self._claims.release(message.id, str(exc))
                return False
            else:
                await self._claims.mark_sent(message.id, accepted.message_id)
                return True

    async def _split(self, message: QueuedMessage, text: str) -> str | None:
        """Replace a message Telegram found too long by shorter ones; returns the first, None if it can't be split."""
        pieces = split_messages([text], limit=min(len(text), TELEGRAM_LIMIT) // 2)
        if len(pieces) < 2:
            return None
        await self._claims.replace(message, pieces)
        log.warning("outbox message %s was too long for Telegram; split into %d", message.id, len(pieces))
        return pieces[0]

    async def _pause(self, message: QueuedMessage, reason: str) -> None:
        """Stop posting to a channel Telegram won't take messages for, and tell its owner (once)."""
        paused = await pause_channel(self._sessions, message.channel_id, reason)
        await self._claims.release(message.id, reason)
        if paused:
            log.warning("channel %s paused: %s", message.chat, reason)
            await self._on_paused(message.channel_id, reason)
