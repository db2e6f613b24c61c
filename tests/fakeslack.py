"""A fake Slack incoming-webhook endpoint over real HTTP, answering as Slack documents.

POST /services/<team>/<webhook id>/<secret> with JSON: 200 "ok"; 404 "no_service" once the webhook
is removed (or for an unknown one), 403 "invalid_token" for a wrong secret, 410
"channel_is_archived", 400 "no_text" or "invalid_payload"; 429 "rate_limited" with Retry-After
(whole seconds) past one message a second per webhook, with a short burst allowed.

POST /api/chat.postMessage (the Web API, as the app's bot, `Authorization: Bearer <bot token>`):
200 {"ok": true, "channel", "ts", "message"}; otherwise 200 {"ok": false, "error"}: invalid_auth
for another token, channel_not_found (unknown or deleted), not_in_channel, no_text,
msg_too_long (over 40,000 characters); 429 {"ok": false, "error": "ratelimited"} with Retry-After
past the channel's rate limit.
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


@dataclass
class Channel:
    id: str
    deleted: bool = False
    bot_is_member: bool = True
    accepted_at: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class PostedMessage:
    webhook_id: str | None  # None: posted by the bot to channel_id
    text: str
    unfurl_links: bool | None
    channel_id: str | None = None


MAX_BOT_TEXT = 40_000


class FakeSlack:
    def __init__(self, *, burst: int = 3, window: float = 1.0, bot_token: str = "xoxb-fake-slack-bot-token") -> None:
        self._burst, self._window = burst, window
        self.bot_token = bot_token
        self._webhooks: dict[str, Webhook] = {}
        self._channels: dict[str, Channel] = {}
        self._numbers = itertools.count(1)
        self.messages: list[PostedMessage] = []
        self.rate_limited = 0
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def __aenter__(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/services/{team}/{id}/{secret}", self._post)
        app.router.add_post("/api/chat.postMessage", self._post_message)
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

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def create_channel(self, *, bot_is_member: bool = True) -> str:
        """A new channel (with the app's bot in it, unless told otherwise): its id."""
        channel = Channel(f"C{next(self._numbers):010}", bot_is_member=bot_is_member)
        self._channels[channel.id] = channel
        return channel.id

    def delete_channel(self, channel_id: str) -> None:
        self._channels[channel_id].deleted = True

    def channel_texts(self, channel_id: str) -> list[str]:
        return [message.text for message in self.messages if message.channel_id == channel_id]

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
        wait = self._wait(webhook.accepted_at)
        if wait is not None:
            return web.Response(status=429, text="rate_limited", headers={"Retry-After": str(math.ceil(wait))})
        webhook.accepted_at.append(time.monotonic())
        self.messages.append(PostedMessage(webhook.id, body.get("text", ""), body.get("unfurl_links")))
        return web.Response(text="ok")

    async def _post_message(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.bot_token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        body = await request.json()
        channel = self._channels.get(body.get("channel", ""))
        if channel is None or channel.deleted:
            return web.json_response({"ok": False, "error": "channel_not_found"})
        if not channel.bot_is_member:
            return web.json_response({"ok": False, "error": "not_in_channel"})
        text = body.get("text") or ""
        if not (text or body.get("blocks")):
            return web.json_response({"ok": False, "error": "no_text"})
        if len(text) > MAX_BOT_TEXT:
            return web.json_response({"ok": False, "error": "msg_too_long"})
        wait = self._wait(channel.accepted_at)
        if wait is not None:
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": str(math.ceil(wait))})
        channel.accepted_at.append(time.monotonic())
        self.messages.append(PostedMessage(None, text, body.get("unfurl_links"), channel.id))
        ts = f"{time.time():.6f}"
        return web.json_response({"ok": True, "channel": channel.id, "ts": ts,
                                  "message": {"type": "message", "text": text, "ts": ts, "bot_id": "B00000000"}})

    def _wait(self, accepted_at: list[float]) -> float | None:
        """Seconds until the next message is let through, past the rate limit; None: it is let through now."""
        now = time.monotonic()
        accepted_at[:] = [at for at in accepted_at if at > now - self._window]
        if len(accepted_at) < self._burst:
            return None
        self.rate_limited += 1
        return accepted_at[0] + self._window - now
