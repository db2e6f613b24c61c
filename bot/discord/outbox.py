"""Posting digests to Discord by the documented HTTP API (aiohttp), via the outbox: through a channel's
webhook, or as the bot (discord.bot_token) to a channel named by its id (POST /channels/{id}/messages).

Discord has no idempotency key for either: as on Telegram, a message whose answer was lost is
sent again (at least once). A rate-limit answer (429 with `retry_after` seconds, or Retry-After) is
waited out within the bounds of bot/usecases/delivery.py; a deleted webhook or channel (404), a
revoked token (401) or a refusal (403: the bot may not see or post in the channel) pauses the channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.metrics import Metrics
from bot.store.outbox_claims import LEASE
from bot.usecases.delivery import Answer, OnPaused, WebhookDelivery
from config.settings import DiscordSettings
from web.retry_after import retry_after_seconds

_CHANNEL_LOST = {401, 403, 404}


@dataclass(frozen=True)
class Target:
    """Where a channel's messages are POSTed, and how."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)


class DiscordOutbox(WebhookDelivery):
    """Sends queued digest messages to Discord webhooks, and as the bot to the `channels` (chat -> channel id)."""

    platform = "discord"

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], webhooks: Mapping[str, str], metrics: Metrics, *,
        on_paused: OnPaused, lease: timedelta = LEASE, channels: Mapping[str, str] | None = None,
        account: DiscordSettings | None = None,
    ) -> None:
        super().__init__(sessions, webhooks, metrics, on_paused=on_paused, lease=lease)
        if channels:
            headers = {"Authorization": f"Bot {account.bot_token}"}
            self._webhooks.update({chat: Target(f"{account.api_url}/channels/{channel_id}/messages", headers)
                                   for chat, channel_id in channels.items()})

    def _webhook(self, url: str) -> Target:
        return Target(url, params={"wait": "true"})  # wait: the answer says whether the message was made

    async def _post(self, webhook: Target, text: str) -> Answer:
        async with self._http.post(
            webhook.url, params=webhook.params, headers=webhook.headers,
            json={"content": text, "allowed_mentions": {"parse": []}},
        ) as response:
            try:
                answer = await response.json(content_type=None)
            except ValueError:  # not JSON: a proxy's error page, say
                answer = None
            status, retry_after = response.status, response.headers.get("Retry-After")
        answer = answer if isinstance(answer, dict) else {}
        if status < 300:
            return Answer(sent=True)
        problem = f"{status}: {answer.get('message') or 'no reason given'}"
        if status == 429:
            return Answer(rate_limited=True, retry_after=retry_after_seconds(answer.get("retry_after") or retry_after),
                          problem=problem)
        # A refused message (400) or Discord's own trouble (5xx) waits for the next round.
        return Answer(channel_lost=status in _CHANNEL_LOST, problem=problem)
