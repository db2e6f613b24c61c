"""Posting digests to Slack through incoming webhooks (slack-sdk's AsyncWebhookClient), via the outbox.

Webhooks have no idempotency key: a message whose answer was lost is sent again (at least once).
A 429 is waited out as its Retry-After says (within the bounds of bot/usecases/delivery.py); a
revoked webhook (403 invalid_token, action_prohibited), a deleted channel or app (404
channel_not_found, no_service) or an archived channel (410) pauses the channel.
"""

from __future__ import annotations

from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.usecases.delivery import Answer, WebhookDelivery
from web.retry_after import retry_after_seconds

_CHANNEL_LOST = {403, 404, 410}


class SlackOutbox(WebhookDelivery):
    """Sends queued digest messages to Slack webhooks."""

    platform = "slack"

    def _webhook(self, url: str) -> AsyncWebhookClient:
        # No retry handlers: the outbox decides when to try again.
        return AsyncWebhookClient(url, session=self._http, retry_handlers=[])

    async def _post(self, webhook: AsyncWebhookClient, text: str) -> Answer:
        answer = await webhook.send(text=text, unfurl_links=False, unfurl_media=False)
        if answer.status_code < 300:
            return Answer(sent=True)
        problem = f"{answer.status_code}: {answer.body or 'no reason given'}"
        if answer.status_code == 429:
            return Answer(rate_limited=True, retry_after=retry_after_seconds(answer.headers.get("Retry-After")),
                          problem=problem)
        # A refused message (400) or Slack's own trouble (5xx) waits for the next round.
        return Answer(channel_lost=answer.status_code in _CHANNEL_LOST, problem=problem)
