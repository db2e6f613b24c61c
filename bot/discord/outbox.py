"""Posting digests to Discord through channel webhooks, by the documented HTTP API (aiohttp), via the outbox.

Discord has no idempotency key for webhooks: as on Telegram, a message whose answer was lost is
sent again (at least once). A rate-limit answer (429 with `retry_after` seconds, or Retry-After) is
waited out within the bounds of bot/usecases/delivery.py; a deleted webhook
(404), a revoked token (401) or a refusal (403) pauses the channel.
"""

from __future__ import annotations

from bot.usecases.delivery import Answer, WebhookDelivery
from web.retry_after import retry_after_seconds

_CHANNEL_LOST = {401, 403, 404}


class DiscordOutbox(WebhookDelivery):
    """Sends queued digest messages to Discord webhooks."""

    platform = "discord"

    async def _post(self, webhook: str, text: str) -> Answer:
        async with self._http.post(
            webhook, params={"wait": "true"}, json={"content": text, "allowed_mentions": {"parse": []}},
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
