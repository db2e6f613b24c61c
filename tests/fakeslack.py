"""A fake Slack incoming-webhook endpoint over real HTTP, answering as Slack documents.

POST /services/<team>/<webhook id>/<secret> with JSON: 200 "ok"; 404 "no_service" once the webhook
is removed (or for an unknown one), 403 "invalid_token" for a wrong secret, 410
"channel_is_archived", 400 "no_text" or "invalid_payload"; 429 "rate_limited" with Retry-After
(whole seconds) past one message a second per webhook, with a short burst allowed.
"""

from __future__ import annotations

import itertools
import math
import secrets
import time
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Webhook:
    id: str
    secret: str
    removed: bool = False
    archived: bool = False
    accepted_at: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class PostedMessage:
    webhook_id: str
    text: str
    unfurl_links: bool | None


class FakeSlack:
    def __init__(self, *, burst: int = 3, window: float = 1.0) -> None:
        self._burst, self._window = burst, window
        self._webhooks: dict[str, Webhook] = {}
        self._numbers = itertools.count(1)
        self.messages: list[PostedMessage] = []
        self.rate_limited = 0
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def __aenter__(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/services/{team}/{id}/{secret}", self._post)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self._runner.cleanup()

    def create_webhook(self) -> tuple[str, str]:
        """A new webhook: its id and its URL."""
        webhook = Webhook(f"B{next(self._numbers):08}", secrets.token_hex(12))
        self._webhooks[webhook.id] = webhook
        return webhook.id, f"{self.base_url}/services/T00000001/{webhook.id}/{webhook.secret}"

    def archive_channel(self, webhook_id: str) -> None:
        self._webhooks[webhook_id].archived = True

    def texts(self, webhook_id: str) -> list[str]:
        return [message.text for message in self.messages if message.webhook_id == webhook_id]

    async def _post(self, request: web.Request) -> web.Response:
        webhook = self._webhooks.get(request.match_info["id"])
        if webhook is None or webhook.removed:
            return web.Response(status=404, text="no_service")
        if request.match_info["secret"] != webhook.secret:
            return web.Response(status=403, text="invalid_token")
        if webhook.archived:
            return web.Response(status=410, text="channel_is_archived")
        try:
            body = await request.json()
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        if not (body.get("text") or body.get("blocks")):
            return web.Response(status=400, text="no_text")
        now = time.monotonic()
        webhook.accepted_at = [at for at in webhook.accepted_at if at > now - self._window]
        if len(webhook.accepted_at) >= self._burst:
            self.rate_limited += 1
            wait = webhook.accepted_at[0] + self._window - now
            return web.Response(status=429, text="rate_limited", headers={"Retry-After": str(math.ceil(wait))})
        webhook.accepted_at.append(now)
        self.messages.append(PostedMessage(webhook.id, body.get("text", ""), body.get("unfurl_links")))
        return web.Response(text="ok")
