"""A fake Discord over real HTTP, following Discord's documented answers: webhooks, and a bot's channel messages.

POST /api/webhooks/<id>/<token> executes a webhook: 200 with the message (`?wait=true`) or 204;
404 "Unknown Webhook" (code 10015) once deleted; 401 "Invalid Webhook Token" (50027).
POST /api/v10/channels/<id>/messages with `Authorization: Bot <token>` creates a message: 200 with
it; 401 "401: Unauthorized" (code 0) for another token; 404 "Unknown Channel" (10003) once deleted;
403 "Missing Access" (50001) where the bot may not post.
Both: 400 for an empty message (50006) or content over 2,000 characters (50035,
BASE_TYPE_MAX_LENGTH); 429 past the per-webhook or per-channel rate limit, with `retry_after`
(seconds) in the body and Retry-After and the X-RateLimit-* headers.
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


@dataclass
class Channel:
    id: int
    deleted: bool = False
    bot_may_post: bool = True
    accepted_at: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class PostedMessage:
    webhook_id: int | None  # None: posted by the bot to channel_id
    content: str
    allowed_mentions: dict | None
    channel_id: int | None = None


class FakeDiscord:
    def __init__(self, *, burst: int = 5, window: float = 2.0, bot_token: str = "fake-discord-bot-token") -> None:
        self._burst, self._window = burst, window
        self.bot_token = bot_token
        self._webhooks: dict[int, Webhook] = {}
        self._channels: dict[int, Channel] = {}
        self._ids = itertools.count(1_100_000_000_000_000_000)
        self.messages: list[PostedMessage] = []
        self.rate_limited = 0  # 429 answers given
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def __aenter__(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_post("/api/webhooks/{id}/{token}", self._execute)
        app.router.add_post("/api/v10/channels/{id}/messages", self._create_message)
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

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v10"

    def create_channel(self, *, bot_may_post: bool = True) -> int:
        """A new text channel the bot is in (with the right to post, unless told otherwise): its id."""
        channel = Channel(next(self._ids), bot_may_post=bot_may_post)
        self._channels[channel.id] = channel
        return channel.id

    def delete_channel(self, channel_id: int) -> None:
        self._channels[channel_id].deleted = True

    def channel_contents(self, channel_id: int) -> list[str]:
        return [message.content for message in self.messages if message.channel_id == channel_id]

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
        refused = self._refused(body, webhook.accepted_at)
        if refused is not None:
            return refused
        webhook.accepted_at.append(time.monotonic())
        message_id, content = next(self._ids), body["content"]
        self.messages.append(PostedMessage(webhook.id, content, body.get("allowed_mentions")))
        if request.query.get("wait") != "true":
            return web.Response(status=204)
        return web.json_response({"id": str(message_id), "type": 0, "content": content, "webhook_id": str(webhook.id),
                                  "channel_id": "1", "attachments": [], "embeds": []})

    async def _create_message(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bot {self.bot_token}":
            return web.json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        channel = self._channels.get(int(request.match_info["id"]))
        if channel is None or channel.deleted:
            return web.json_response({"message": "Unknown Channel", "code": 10003}, status=404)
        if not channel.bot_may_post:
            return web.json_response({"message": "Missing Access", "code": 50001}, status=403)
        body = await request.json()
        refused = self._refused(body, channel.accepted_at)
        if refused is not None:
            return refused
        channel.accepted_at.append(time.monotonic())
        message_id = next(self._ids)
        self.messages.append(PostedMessage(None, body["content"], body.get("allowed_mentions"), channel.id))
        return web.json_response({"id": str(message_id), "type": 0, "content": body["content"],
                                  "channel_id": str(channel.id), "attachments": [], "embeds": []})

    def _refused(self, body: dict, accepted_at: list[float]) -> web.Response | None:
        """Discord's answer to a message it won't take (empty, too long, past the rate limit); None if it takes it."""
        content = body.get("content") or ""
        if not content.strip():
            return web.json_response({"message": "Cannot send an empty message", "code": 50006}, status=400)
        if len(content) > MAX_CONTENT:
            return web.json_response({"message": "Invalid Form Body", "code": 50035, "errors": {"content": {
                "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]}}},
                status=400)
        now = time.monotonic()
        accepted_at[:] = [at for at in accepted_at if at > now - self._window]
        if len(accepted_at) >= self._burst:
            self.rate_limited += 1
            retry_after = round(accepted_at[0] + self._window - now, 3)
            return web.json_response(
                {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
                status=429, headers={"Retry-After": str(math.ceil(retry_after)), "X-RateLimit-Limit": str(self._burst),
                                     "X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": str(retry_after),
                                     "X-RateLimit-Scope": "user"})
        return None
