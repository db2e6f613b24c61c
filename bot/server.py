"""The bot's HTTP server: /healthz, /metrics (Prometheus text format) and, in webhook mode, the webhook path."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

log = logging.getLogger(__name__)

# The header Telegram sends the webhook's secret_token in.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
@dataclass(frozen=True)
class Webhook:
    path: str  # e.g. "/telegram", from telegram.webhook_url
    secret: str | None  # telegram.webhook_secret; updates without it are refused
    deliver: Callable[[dict], Awaitable[None]]


class WebServer:
    """aiohttp on server.host:server.port; `health` returns (ok, details) and `metrics` the exposition text."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        health: Callable[[], Awaitable[tuple[bool, dict]]],
        metrics: Callable[[], Awaitable[bytes]],
        webhook: Webhook | None = None,
    ) -> None:
        self._host, self._requested_port = host, port
        self._health, self._metrics, self._webhook = health, metrics, webhook
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        """The port actually bound (differs from the configured one when that is 0)."""
        assert self._runner is not None, "the server is not started"
        return self._runner.addresses[0][1]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._serve_metrics)
        if self._webhook is not None:
            app.router.add_post(self._webhook.path, self._receive_update)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._requested_port).start()
        log.info("HTTP server on %s:%s", self._host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        ok, details = await self._health()
        return web.json_response({"status": "ok" if ok else "failing", **details}, status=200 if ok else 503)

    async def _serve_metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=await self._metrics(),
                            headers={"Content-Type": CONTENT_TYPE_LATEST, "X-Content-Type-Options": "nosniff"})

    async def _receive_update(self, request: web.Request) -> web.Response:
        assert self._webhook is not None
        secret = self._webhook.secret
        if secret and not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
            return web.Response(status=403)
        try:
            update = await request.json()
        except json.JSONDecodeError:
            return web.Response(status=400)
        if not isinstance(update, dict):
            return web.Response(status=400)
        await self._webhook.deliver(update)
        return web.Response()
