"""Posting digests: nothing is lost; a message is repeated only when Telegram's answer is lost.

`queue_digest` (bot/digest/record.py) queues a digest's messages in the outbox table. The Outbox
sends them: it claims the next unsent message of a digest in the store (bot/store/outbox_claims.py:
claims, leases and which process holds them), sends it, and copes with what Telegram answers.

Delivery is at least once. The Bot API has no idempotency key, so a message whose fate is unknown is
sent again: when the connection breaks after the request went out, when Telegram takes longer than
SEND_TIMEOUT to answer, or when the process dies between Telegram's answer and the commit that
records it (milliseconds). Losing the message instead would be worse.

The rounds and their order are bot/usecases/delivery.py's; a message to a forum group's topic
carries its message_thread_id (bot/telegram/forum_topics.py: a channel's topic, or its feed's).

Flood control has one layer, here: the application's rate limiter only paces requests (it does not
retry), and a message Telegram answers with "retry after" is tried at most 1 + MAX_FLOOD_WAITS
times in a round, each wait at most MAX_FLOOD_SLEEP; then it waits for the next outbox round.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.metrics import Metrics
from bot.store.channel_state import move_channel
from bot.store.outbox_claims import LEASE, QueuedMessage
from bot.telegram.forum_topics import ForumTopics
from bot.telegram.html import NO_PREVIEW, TELEGRAM_LIMIT, plain_text, split_messages
from bot.usecases.delivery import MAX_FLOOD_SLEEP, MAX_FLOOD_WAITS, SEND_TIMEOUT, Delivery, OnPaused
from web.retry_after import retry_after_seconds

log = logging.getLogger(__name__)

def _chat_id(chat: str) -> int | str:
    """Channel.chat as the Bot API takes it: numeric ids as numbers, '@name' as is."""
    return int(chat) if re.fullmatch(r"-?\d+", chat) else chat


class Outbox(Delivery):
    """Sends queued digest messages to Telegram chats (and forum topics)."""

    platform = "telegram"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bot: Bot,
        metrics: Metrics,
        *,
        on_paused: OnPaused,
        lease: timedelta = LEASE,
    ) -> None:
        super().__init__(sessions, metrics, on_paused=on_paused, lease=lease)
        self._bot = bot
        self._topics = ForumTopics(sessions, bot)

    async def _deliver(self, message: QueuedMessage) -> bool:
        """Send one claimed message, coping with what Telegram answers; True once it is accepted."""
        chat, text, parse_mode = message.chat, message.text, ParseMode.HTML
        flood_waits = 0
        topic_made_again = False
        while True:
            try:
                thread = await self._topics.thread(message, _chat_id(chat))
                accepted = await self._bot.send_message(
                    _chat_id(chat), text, parse_mode=parse_mode, link_preview_options=NO_PREVIEW,
                    message_thread_id=thread, read_timeout=SEND_TIMEOUT,
                )
            except RetryAfter as exc:
                self._metrics.telegram_error(exc)
                flood_waits += 1
                wait = retry_after_seconds(exc.retry_after)
                if flood_waits > MAX_FLOOD_WAITS or wait > MAX_FLOOD_SLEEP or self._closed:
                    log.warning("outbox message %s: flood control (retry after %.0f s); left for the next round",
                                message.id, wait)
                    await self._claims.release(message.id, str(exc))
                    return False
                log.warning("outbox message %s: flood control; retrying in %.0f s", message.id, wait)
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
                elif "thread not found" in problem and not topic_made_again and await self._topics.lost(message):
                    topic_made_again = True
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
