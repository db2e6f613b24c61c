"""Posting digests to Matrix rooms through the outbox (bot/usecases/delivery.py), with matrix-nio.

Each message is sent with a transaction id of its own, so a send repeated after a lost answer (a
broken connection, a restart between the homeserver's answer and the commit that records it) is
one event: the homeserver answers a known transaction id with the event it already made.

A rate-limit answer (M_LIMIT_EXCEEDED) is waited out as it asks (retry_after_ms), at most
MAX_FLOOD_WAITS times a round and MAX_FLOOD_SLEEP each; a room the bot may not post to (kicked,
left, banned), a revoked token or an unknown room pauses the channel.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import timedelta

import aiohttp
from nio import AsyncClient, AsyncClientConfig, RoomSendError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.matrix.render import message_content
from bot.metrics import Metrics
from bot.store.outbox_claims import LEASE, QueuedMessage
from bot.telegram.outbox import MAX_FLOOD_SLEEP, MAX_FLOOD_WAITS, SEND_TIMEOUT
from bot.usecases.delivery import Delivery, OnPaused

log = logging.getLogger(__name__)

# Answers that no retry will change: the bot is not in the room (or may not post), its token is
# gone, the room does not exist.
_CHANNEL_LOST = {"M_FORBIDDEN", "M_UNKNOWN_TOKEN", "M_MISSING_TOKEN", "M_NOT_FOUND", "M_USER_DEACTIVATED"}
# When the homeserver asks to wait without saying how long.
DEFAULT_RETRY_AFTER = 5.0


class MatrixOutbox(Delivery):
    """Sends queued digest messages to Matrix rooms as the account of `access_token`."""

    platform = "matrix"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        homeserver: str,
        access_token: str,
        metrics: Metrics,
        *,
        on_paused: OnPaused,
        lease: timedelta = LEASE,
    ) -> None:
        super().__init__(sessions, metrics, on_paused=on_paused, lease=lease)
        # The outbox decides about rate limits and network trouble: nio retries neither.
        self._client = AsyncClient(
            homeserver, config=AsyncClientConfig(max_limit_exceeded=0, max_timeouts=0, request_timeout=SEND_TIMEOUT)
        )
        self._client.access_token = access_token

    async def aclose(self) -> None:
        await self._client.close()

    async def _deliver(self, message: QueuedMessage) -> bool:
        flood_waits = 0
        while True:
            try:
                answer = await self._client.room_send(
                    message.chat, "m.room.message", message_content(message.text), tx_id=_transaction_id(message)
                )
            except (aiohttp.ClientError, TimeoutError) as exc:  # may have been delivered: the same txn id next round
                log.warning("outbox message %s not sent yet: %r", message.id, exc)
                await self._claims.release(message.id, repr(exc))
                return False
            if not isinstance(answer, RoomSendError):
                log.debug("outbox message %s is event %s in %s", message.id, answer.event_id, message.chat)
                await self._claims.mark_sent(message.id, None)
                return True
            problem = f"{answer.status_code}: {answer.message}"
            if answer.status_code == "M_LIMIT_EXCEEDED":
                flood_waits += 1
                wait = answer.retry_after_ms / 1000 if answer.retry_after_ms else DEFAULT_RETRY_AFTER
                if flood_waits > MAX_FLOOD_WAITS or wait > MAX_FLOOD_SLEEP or self._closed:
                    log.warning("outbox message %s: rate limited by the homeserver (retry after %.1f s); "
                                "left for the next round", message.id, wait)
                    await self._claims.release(message.id, problem)
                    return False
                log.warning("outbox message %s: rate limited by the homeserver; retrying in %.1f s", message.id, wait)
                await asyncio.sleep(wait)
            elif answer.status_code in _CHANNEL_LOST:
                await self._pause(message, problem)
                return False
            else:  # the homeserver's own trouble: next round
                log.warning("outbox message %s not sent yet: %s", message.id, problem)
                await self._claims.release(message.id, problem)
                return False


def _transaction_id(message: QueuedMessage) -> str:
    """The same for every send of one message, and different for another message with the same outbox id
    (another database posting as the same account)."""
    return f"briefbot.{message.id}.{hashlib.sha256(message.text.encode()).hexdigest()[:16]}"
