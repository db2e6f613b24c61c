"""Posting digests to Discord through channel webhooks, by the documented HTTP API (aiohttp), via the outbox.

Discord has no idempotency key for webhooks: as on Telegram, a message whose answer was lost is
sent again (at least once). A rate-limit answer (429 with `retry_after` seconds, or Retry-After) is
waited out, at most MAX_FLOOD_WAITS times a round and MAX_FLOOD_SLEEP each; a deleted webhook
(404), a revoked token (401) or a refusal (403) pauses the channel.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import timedelta

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.metrics import Metrics
from bot.store.outbox_claims import LEASE, QueuedMessage
from bot.telegram.outbox import MAX_FLOOD_SLEEP, MAX_FLOOD_WAITS, SEND_TIMEOUT
from bot.usecases.delivery import Delivery, OnPaused
from web.retry_after import retry_after_seconds

log = logging.getLogger(__name__)

_CHANNEL_LOST = {401, 403, 404}
DEFAULT_RETRY_AFTER = 5.0  # a 429 that says nothing of how long


class DiscordOutbox(Delivery):
    """Sends queued digest messages to Discord webhooks; `webhooks` maps a channel's chat to its webhook URL."""

    platform = "discord"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        webhooks: Mapping[str, str],
        metrics: Metrics,
        *,
        on_paused: OnPaused,
        lease: timedelta = LEASE,
    ) -> None:
        super().__init__(sessions, metrics, on_paused=on_paused, lease=lease)
        self._webhooks = dict(webhooks)
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT))

    async def aclose(self) -> None:
        await self._http.close()

    async def _deliver(self, message: QueuedMessage) -> bool:
        webhook = self._webhooks.get(message.chat)
        if webhook is None:
            await self._pause(message, "its webhook_url is no longer in the config")
            return False
        flood_waits = 0
        while True:
            try:
                async with self._http.post(
                    webhook, params={"wait": "true"},
                    json={"content": message.text, "allowed_mentions": {"parse": []}},
                ) as response:
                    answer = await response.json(content_type=None) if response.content_length != 0 else {}
                    status, retry_after = response.status, response.headers.get("Retry-After")
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:  # may have been delivered: sent again
                log.warning("outbox message %s not sent yet: %r", message.id, exc)
                await self._claims.release(message.id, repr(exc))
                return False
            answer = answer if isinstance(answer, dict) else {}
            if status < 300:
                await self._claims.mark_sent(message.id, int(answer["id"]) if "id" in answer else None)
                return True
            problem = f"{status}: {answer.get('message') or 'no reason given'}"
            if status == 429:
                flood_waits += 1
                wait = retry_after_seconds(answer.get("retry_after") or retry_after) or DEFAULT_RETRY_AFTER
                if flood_waits > MAX_FLOOD_WAITS or wait > MAX_FLOOD_SLEEP or self._closed:
                    log.warning("outbox message %s: rate limited by Discord (retry after %.1f s); left for the next "
                                "round", message.id, wait)
                    await self._claims.release(message.id, problem)
                    return False
                log.warning("outbox message %s: rate limited by Discord; retrying in %.1f s", message.id, wait)
                await asyncio.sleep(wait)
            elif status in _CHANNEL_LOST:
                await self._pause(message, problem)
                return False
            else:  # a refused message (400) or Discord's own trouble: next round
                log.warning("outbox message %s not sent yet: %s", message.id, problem)
                await self._claims.release(message.id, problem)
                return False
