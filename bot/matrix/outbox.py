"""Posting digests to Matrix rooms through the outbox (bot/usecases/delivery.py), with matrix-nio.

Each message is sent with a transaction id of its own, so a send repeated after a lost answer (a
broken connection, a restart between the homeserver's answer and the commit that records it) is
one event: the homeserver answers a known transaction id with the event it already made.

A rate-limit answer (M_LIMIT_EXCEEDED) is waited out as it asks (retry_after_ms, within the bounds
of bot/usecases/delivery.py); a room the bot may not post to (kicked, left, banned), a revoked
token or an unknown room pauses the channel.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from nio import AsyncClient, AsyncClientConfig, RoomSendError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.matrix.render import message_content
from bot.metrics import Metrics
from bot.store.outbox_claims import LEASE, QueuedMessage
from bot.usecases.delivery import SEND_TIMEOUT, Answer, AnsweredDelivery, OnPaused

log = logging.getLogger(__name__)

# Answers that no retry will change: the bot is not in the room (or may not post), its token is
# gone, the room does not exist.
_CHANNEL_LOST = {"M_FORBIDDEN", "M_UNKNOWN_TOKEN", "M_MISSING_TOKEN", "M_NOT_FOUND", "M_USER_DEACTIVATED"}


class MatrixOutbox(AnsweredDelivery):
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

    async def _attempt(self, message: QueuedMessage) -> Answer:
        answer = await self._client.room_send(
            message.chat, "m.room.message", message_content(message.text), tx_id=_transaction_id(message)
        )
        if not isinstance(answer, RoomSendError):
            log.debug("outbox message %s is event %s in %s", message.id, answer.event_id, message.chat)
            return Answer(sent=True)
        problem = f"{answer.status_code}: {answer.message}"
        if answer.status_code == "M_LIMIT_EXCEEDED":
            seconds = answer.retry_after_ms / 1000 if answer.retry_after_ms is not None else None
            return Answer(rate_limited=True, retry_after=seconds, problem=problem)
        return Answer(channel_lost=answer.status_code in _CHANNEL_LOST, problem=problem)


def _transaction_id(message: QueuedMessage) -> str:
    """The same for every send of one message, and different for another message with the same outbox id
    (another database posting as the same account)."""
    return f"briefbot.{message.id}.{hashlib.sha256(message.text.encode()).hexdigest()[:16]}"
