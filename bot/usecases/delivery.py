"""Sending what the outbox holds, whatever the platform: claimed, in order per channel, at least once.

A platform's sender (bot/telegram/outbox.py, bot/matrix/outbox.py) only delivers one claimed
message and says how it went; the rounds, the order and the pausing of a channel are here. A
digest's messages go out in order, and a channel's digests one after another: a message that
cannot be sent now holds back everything after it until the next round.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.metrics import Metrics
from bot.store.channel_state import pause_channel
from bot.store.outbox_claims import LEASE, OutboxClaims, QueuedMessage
from bot.store.tables import Channel

log = logging.getLogger(__name__)

OnPaused = Callable[[int, str], Awaitable[None]]

# Rate-limit answers for one message in one round, and the longest wait, before it waits for the
# next round instead.
MAX_FLOOD_WAITS = 3
MAX_FLOOD_SLEEP = 60.0
# How long a platform may take to answer a send before the message counts as not sent (and is sent
# again later): generous, since a timeout after delivery is a repeated message.
SEND_TIMEOUT = 30.0
# When a platform asks to wait without saying how long.
DEFAULT_RETRY_AFTER = 5.0


class Delivery(ABC):
    """One platform's outbox rounds; `on_paused(channel_id, reason)` is told when a channel had to be paused."""

    platform: str

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], metrics: Metrics, *, on_paused: OnPaused,
        lease: timedelta = LEASE,
    ) -> None:
        self._sessions = sessions
        self._claims = OutboxClaims(sessions, platform=self.platform, lease=lease)
        self._metrics = metrics
        self._on_paused = on_paused
        self._closed = False

    @abstractmethod
    async def _deliver(self, message: QueuedMessage) -> bool:
        """Send one claimed message; True once the platform accepted it (and it is marked sent).

        False leaves it for a later round: released, or its channel paused."""

    def close(self) -> None:
        """Claim nothing more: sends in progress finish, the rest waits in the outbox for the next start."""
        self._closed = True
        self._claims.close()

    async def aclose(self) -> None:
        """Let go of the platform's connections (the Telegram bot's are PTB's to close)."""

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

    async def _pause(self, message: QueuedMessage, reason: str) -> None:
        """Stop posting to a channel the platform won't take messages for, and tell its owner (once)."""
        paused = await pause_channel(self._sessions, message.channel_id, reason)
        await self._claims.release(message.id, reason)
        if paused:
            log.warning("channel %s paused: %s", message.chat, reason)
            await self._on_paused(message.channel_id, reason)


@dataclass(frozen=True)
class Answer:
    """What a platform answered to one send: accepted, rate limited, the channel lost, or not now."""

    sent: bool = False
    rate_limited: bool = False
    retry_after: float | None = None  # when rate limited: seconds to wait (None: it did not say)
    channel_lost: bool = False  # the bot may not post there (removed, token revoked, no such place)
    problem: str = ""


class AnsweredDelivery(Delivery):
    """A platform whose answers say all (Matrix, Discord, Slack): `_attempt` sends once and reads the
    answer; the waits, the pauses and the next rounds are here."""

    @abstractmethod
    async def _attempt(self, message: QueuedMessage) -> Answer:
        """Send once; a network error or timeout may be raised (the message then waits for the next round)."""

    async def _deliver(self, message: QueuedMessage) -> bool:
        rate_limited = 0
        while True:
            try:
                answer = await self._attempt(message)
            except (aiohttp.ClientError, TimeoutError) as exc:  # it may have arrived: sent again next round
                answer = Answer(problem=repr(exc))
            if answer.sent:
                await self._claims.mark_sent(message.id, None)
                return True
            if answer.channel_lost:
                await self._pause(message, answer.problem)
                return False
            if answer.rate_limited:
                rate_limited += 1
                wait = answer.retry_after if answer.retry_after is not None else DEFAULT_RETRY_AFTER
                if rate_limited <= MAX_FLOOD_WAITS and wait <= MAX_FLOOD_SLEEP and not self._closed:
                    log.warning("outbox message %s: rate limited by %s; retrying in %.1f s", message.id,
                                self.platform, wait)
                    await asyncio.sleep(wait)
                    continue
                log.warning("outbox message %s: rate limited by %s (retry after %.1f s); left for the next round",
                            message.id, self.platform, wait)
            else:
                log.warning("outbox message %s not sent yet: %s", message.id, answer.problem)
            await self._claims.release(message.id, answer.problem)
            return False


class WebhookDelivery(AnsweredDelivery):
    """A platform reached through one webhook URL per channel, over one HTTP session; `webhooks`
    maps a channel's chat to its URL."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], webhooks: Mapping[str, str], metrics: Metrics, *,
        on_paused: OnPaused, lease: timedelta = LEASE,
    ) -> None:
        super().__init__(sessions, metrics, on_paused=on_paused, lease=lease)
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT))
        self._webhooks = {chat: self._webhook(url) for chat, url in webhooks.items()}

    def _webhook(self, url: str):
        """What `_post` is given for a channel: its URL, or the platform's client for it."""
        return url

    @abstractmethod
    async def _post(self, webhook, text: str) -> Answer:
        """Post one message's text through the channel's webhook and read the answer."""

    async def _attempt(self, message: QueuedMessage) -> Answer:
        webhook = self._webhooks.get(message.chat)
        if webhook is None:
            return Answer(channel_lost=True, problem="its webhook_url is no longer in the config")
        return await self._post(webhook, message.text)

    async def aclose(self) -> None:
        await self._http.close()


class Senders:
    """Every platform's sender behind one `send_channel`: the digest use case needn't know where a channel is."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], senders: Mapping[str, Delivery]) -> None:
        self._sessions = sessions
        self._senders = dict(senders)

    async def send_channel(self, channel_id: int) -> int:
        async with self._sessions() as session:
            channel = await session.get(Channel, channel_id)
        sender = self._senders.get(channel.platform) if channel else None
        if sender is None:
            if channel is not None:
                log.warning("channel %s is on %s, which this bot is not set up to post to", channel.chat,
                            channel.platform)
            return 0
        return await sender.send_channel(channel_id)

    async def send_pending(self) -> int:
        return sum(await asyncio.gather(*(sender.send_pending() for sender in self._senders.values())))

    def close(self) -> None:
        for sender in self._senders.values():
            sender.close()

    async def aclose(self) -> None:
        for sender in self._senders.values():
            await sender.aclose()
