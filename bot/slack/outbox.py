"""Posting digests to Slack through incoming webhooks (slack-sdk's AsyncWebhookClient), via the outbox.

Webhooks have no idempotency key: a message whose answer was lost is sent again (at least once).
A 429 is waited out as its Retry-After says (within the bounds of bot/usecases/delivery.py); a
revoked webhook (403 invalid_token, action_prohibited), a deleted channel or app (404
channel_not_found, no_service) or an archived channel (410) pauses the channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import aiohttp
from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.metrics import Metrics
from bot.store.outbox_claims import LEASE, QueuedMessage
from bot.usecases.delivery import SEND_TIMEOUT, Answer, AnsweredDelivery, OnPaused
from web.retry_after import retry_after_seconds

_CHANNEL_LOST = {403, 404, 410}


class SlackOutbox(AnsweredDelivery):
    """Sends queued digest messages to Slack webhooks; `webhooks` maps a channel's chat to its webhook URL."""

    platform = "slack"

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
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT))
        # No retry handlers: the outbox decides when to try again.
        self._webhooks = {chat: AsyncWebhookClient(url, session=self._http, retry_handlers=[])
                          for chat, url in webhooks.items()}

    async def aclose(self) -> None:
        await self._http.close()

    async def _attempt(self, message: QueuedMessage) -> Answer:
        webhook = self._webhooks.get(message.chat)
        if webhook is None:
            return Answer(channel_lost=True, problem="its webhook_url is no longer in the config")
        answer = await webhook.send(text=message.text, unfurl_links=False, unfurl_media=False)
        if answer.status_code < 300:
            return Answer(sent=True)
        problem = f"{answer.status_code}: {answer.body or 'no reason given'}"
        if answer.status_code == 429:
            return Answer(rate_limited=True, retry_after=retry_after_seconds(answer.headers.get("Retry-After")),
                          problem=problem)
        # A refused message (400) or Slack's own trouble (5xx) waits for the next round.
        return Answer(channel_lost=answer.status_code in _CHANNEL_LOST, problem=problem)
