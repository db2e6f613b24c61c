"""Posting digests to Slack (slack-sdk) via the outbox: through incoming webhooks (AsyncWebhookClient),
or as the Slack app's bot to a channel named by its id (chat.postMessage with AsyncWebClient).

Neither has an idempotency key: a message whose answer was lost is sent again (at least once).
A 429 is waited out as its Retry-After says (within the bounds of bot/usecases/delivery.py). A
revoked webhook (403 invalid_token, action_prohibited), a deleted channel or app (404
channel_not_found, no_service) or an archived channel (410) pauses a webhook's channel; as the bot,
the Web API's errors that say the same (channel_not_found, not_in_channel, is_archived, a revoked
or invalid token, a missing scope) pause it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.metrics import Metrics
from bot.store.outbox_claims import LEASE
from bot.usecases.delivery import Answer, OnPaused, WebhookDelivery
from config.settings import SlackSettings
from web.retry_after import retry_after_seconds

_CHANNEL_LOST = {403, 404, 410}
# The Web API answers 200 with ok: false and one of these when no retry can help.
_BOT_CHANNEL_LOST = {"channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "not_authed",
                     "token_revoked", "token_expired", "account_inactive", "missing_scope", "restricted_action"}


@dataclass(frozen=True)
class BotChannel:
    """A channel the app's bot posts to."""

    client: AsyncWebClient
    channel_id: str


class SlackOutbox(WebhookDelivery):
    """Sends queued digest messages to Slack webhooks, and as the bot to the `channels` (chat -> channel id)."""

    platform = "slack"

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], webhooks: Mapping[str, str], metrics: Metrics, *,
        on_paused: OnPaused, lease: timedelta = LEASE, channels: Mapping[str, str] | None = None,
        account: SlackSettings | None = None,
    ) -> None:
        super().__init__(sessions, webhooks, metrics, on_paused=on_paused, lease=lease)
        if channels:
            # No retry handlers: the outbox decides when to try again.
            client = AsyncWebClient(account.bot_token, base_url=account.api_url, session=self._http, retry_handlers=[])
            self._webhooks.update({chat: BotChannel(client, channel_id) for chat, channel_id in channels.items()})

    def _webhook(self, url: str) -> AsyncWebhookClient:
        return AsyncWebhookClient(url, session=self._http, retry_handlers=[])

    async def _post(self, webhook: AsyncWebhookClient | BotChannel, text: str) -> Answer:
        if isinstance(webhook, BotChannel):
            return await self._post_as_bot(webhook, text)
        answer = await webhook.send(text=text, unfurl_links=False, unfurl_media=False)
        if answer.status_code < 300:
            return Answer(sent=True)
        problem = f"{answer.status_code}: {answer.body or 'no reason given'}"
        if answer.status_code == 429:
            return Answer(rate_limited=True, retry_after=retry_after_seconds(answer.headers.get("Retry-After")),
                          problem=problem)
        # A refused message (400) or Slack's own trouble (5xx) waits for the next round.
        return Answer(channel_lost=answer.status_code in _CHANNEL_LOST, problem=problem)

    @staticmethod
    async def _post_as_bot(channel: BotChannel, text: str) -> Answer:
        try:
            await channel.client.chat_postMessage(channel=channel.channel_id, text=text, unfurl_links=False,
                                                  unfurl_media=False)
        except SlackApiError as exc:
            answer = exc.response
            error = answer.get("error") or "no reason given"
            problem = f"{answer.status_code}: {error}"
            if answer.status_code == 429:
                return Answer(rate_limited=True, retry_after=retry_after_seconds(answer.headers.get("Retry-After")),
                              problem=problem)
            return Answer(channel_lost=error in _BOT_CHANNEL_LOST, problem=problem)
        return Answer(sent=True)
