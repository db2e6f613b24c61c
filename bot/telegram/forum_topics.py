"""Which forum topic a queued message goes to: the channel's own, or with `topics: per_feed` its feed's,
made with createForumTopic the first time and kept in the store.

Making a topic needs the right to manage topics. Without it (or in a group that is not a forum)
the digest goes to the General topic, and the log says why in one line; the next digest asks again.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.error import BadRequest

from bot.store.forum_topics import feed_topic, forget_feed_topic, keep_feed_topic, topic_name
from bot.store.outbox_claims import QueuedMessage

log = logging.getLogger(__name__)

MAX_TOPIC_NAME = 128  # Telegram's limit
# How Telegram says the bot may not make topics there: no right to manage them, or not a forum.
_NO_TOPICS = ("not enough rights", "not a forum")


class ForumTopics:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], bot: Bot) -> None:
        self._sessions = sessions
        self._bot = bot
        self._refused: dict[int, int] = {}  # channel id -> the digest whose topics the group refused

    async def thread(self, message: QueuedMessage, chat_id: int | str) -> int | None:
        """The message_thread_id to send the message with; None: the chat itself (a forum's General topic)."""
        if message.feed is None:
            return message.topic or None
        thread = await feed_topic(self._sessions, message.channel_id, message.feed)
        if thread is not None or self._refused.get(message.channel_id) == message.digest_id:
            return thread
        name = (await topic_name(self._sessions, message.feed))[:MAX_TOPIC_NAME]
        try:
            topic = await self._bot.create_forum_topic(chat_id, name)
        except BadRequest as exc:
            if not any(reason in exc.message.lower() for reason in _NO_TOPICS):
                raise
            self._refused[message.channel_id] = message.digest_id
            log.warning("channel %s: no forum topic could be made for feed %s (%s); this digest goes to the "
                        "General topic (the bot needs the right to manage topics)", message.chat, message.feed,
                        exc.message)
            return None
        log.info("channel %s: forum topic %r made for feed %s", message.chat, name, message.feed)
        return await keep_feed_topic(self._sessions, message.channel_id, message.feed, topic.message_thread_id)

    async def lost(self, message: QueuedMessage) -> bool:
        """The message's thread is gone: True when it was a feed's topic, forgotten so that it is made again."""
        if message.feed is None:
            return False
        await forget_feed_topic(self._sessions, message.channel_id, message.feed)
        log.warning("channel %s: the forum topic of feed %s is gone; making it again", message.chat, message.feed)
        return True
