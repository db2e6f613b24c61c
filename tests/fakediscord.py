"""A fake Discord webhook endpoint over real HTTP, following Discord's documented answers.

POST /api/webhooks/<id>/<token> executes a webhook: 200 with the message (`?wait=true`) or 204;
404 "Unknown Webhook" (code 10015) once deleted; 401 "Invalid Webhook Token" (50027); 400 for an
empty message (50006) or content over 2,000 characters (50035, BASE_TYPE_MAX_LENGTH); 429 past
the per-webhook rate limit, with `retry_after` (seconds) in the body and Retry-After and the
X-RateLimit-* headers.
"""

from __future__ import annotations

import itertools
import math
import secrets
import time
from dataclasses import dataclass, field

from aiohttp import web

MAX_CONTENT = 2000


@dataclass
class Webhook:
    id: int
    token: str
    deleted: bool = False
    accepted_at: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class PostedMessage:
    webhook_id: int
    content: str
    allowed_mentions: dict | None


class FakeDiscord:
    def __init__(self, *, burst: int = 5, window: float = 2.0) -> None:
        self._burst, self._window = burst, window
        self._webhooks: dict[int, Webhook] = {}
        self._ids = itertools.count(1_100_000_000_000_000_000)
        self.messages: list[PostedMessage] = []
        self.rate_limited = 0  # 429 answers given
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def __aenter__(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_post("/api/webhooks/{id}/{token}", self._execute)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self._runner.cleanup()

    def create_webhook(self) -> tuple[int, str]:
        """A new webhook: its id and its URL."""
        webhook = Webhook(next(self._ids), secrets.token_urlsafe(16))
        self._webhooks[webhook.id] = webhook
        return webhook.id, f"{self.base_url}/api/webhooks/{webhook.id}/{webhook.token}"

    def delete_webhook(self, webhook_id: int) -> None:
        self._webhooks[webhook_id].deleted = True

    def contents(self, webhook_id: int) -> list[str]:
        return [message.content for message in self.messages if message.webhook_id == webhook_id]

    async def _execute(self, request: web.Request) -> web.Response:
        webhook = self._webhooks.get(int(request.match_info["id"]))
        if webhook is None or webhook.deleted:
            return web.json_response({"message": "Unknown Webhook", "code": 10015}, status=404)
        if request.match_info["token"] != webhook.token:
            return web.json_response({"message": "Invalid Webhook Token", "code": 50027}, status=401)
        body = await request.json()
        content = body.get("content") or ""
        if not content.strip():
            return web.json_response({"message": "Cannot send an empty message", "code": 50006}, status=400)
        if len(content) > MAX_CONTENT:
            return web.json_response({"message": "Invalid Form Body", "code": 50035, "errors": {"content": {
                "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]}}},
                status=400)
        now = time.monotonic()
        webhook.accepted_at = [at for at in webhook.accepted_at if at > now - self._window]
        if len(webhook.accepted_at) >= self._burst:
            self.rate_limited += 1
            retry_after = round(webhook.accepted_at[0] + self._window - now, 3)
            return web.json_response(
                {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
                status=429, headers={"Retry-After": str(math.ceil(retry_after)), "X-RateLimit-Limit": str(self._burst),
                                     "X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": str(retry_after),
                                     "X-RateLimit-Scope": "user"})
        webhook.accepted_at.append(now)
        message_id = next(self._ids)
        self.messages.append(PostedMessage(webhook.id, content, body.get("allowed_mentions")))
        if request.query.get("wait") != "true":
            return web.Response(status=204)
        return web.json_response({"id": str(message_id), "type": 0, "content": content, "webhook_id": str(webhook.id),
                                  "channel_id": "1", "attachments": [], "embeds": []})
