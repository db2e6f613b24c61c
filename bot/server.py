"""The bot's HTTP server: /healthz, /metrics (Prometheus text format) and, in webhook mode, the webhook path."""

from __future__ import annotations

import hmac
import json
import logging
from bisect import bisect_left
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

log = logging.getLogger(__name__)

# The header Telegram sends the webhook's secret_token in.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TELEGRAM_ERROR_KINDS = ("flood", "forbidden", "bad_request", "migrated", "network")
SUMMARY_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0)


class Metrics:
    """Counters for /metrics. The text format is a few lines per metric, so it is written here by hand."""

    def __init__(self) -> None:
        self.feeds_polled = 0
        self.fetch_errors = 0
        self.digests_posted = 0
        self.summaries: Counter[str] = Counter({"user": 0, "digest": 0})
        self.telegram_errors: Counter[str] = Counter(dict.fromkeys(TELEGRAM_ERROR_KINDS, 0))
        self._summary_buckets = [0] * len(SUMMARY_BUCKETS)
        self._summary_seconds = 0.0
        self._summary_count = 0

    def telegram_error(self, error: TelegramError) -> None:
        if isinstance(error, RetryAfter):
            kind = "flood"
        elif isinstance(error, Forbidden):
            kind = "forbidden"
        elif isinstance(error, ChatMigrated):
            kind = "migrated"
        elif isinstance(error, BadRequest):
            kind = "bad_request"
        else:
            kind = "network"
        self.telegram_errors[kind] += 1

    def observe_summary(self, seconds: float) -> None:
        """One /summarize answer and the model time it took."""
        self.summaries["user"] += 1
        self._summary_seconds += seconds
        self._summary_count += 1
        first = bisect_left(SUMMARY_BUCKETS, seconds)
        for index in range(first, len(SUMMARY_BUCKETS)):
            self._summary_buckets[index] += 1

    def render(self, queue_depth: Mapping[str, int]) -> str:
        lines: list[str] = []

        def family(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
            lines.extend([f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"])
            lines.extend(f"{name}{labels} {_number(value)}" for labels, value in samples)

        family("briefbot_feeds_polled_total", "counter", "Feed polls, successful or not.",
               [("", self.feeds_polled)])
        family("briefbot_fetch_errors_total", "counter", "Feed polls that failed to fetch or parse the feed.",
               [("", self.fetch_errors)])
        family("briefbot_summaries_total", "counter", "Summaries delivered: /summarize answers and digest stories.",
               [(f'{{kind="{kind}"}}', count) for kind, count in sorted(self.summaries.items())])
        buckets = [(f'{{le="{bound:g}"}}', count) for bound, count in zip(SUMMARY_BUCKETS, self._summary_buckets)]
        family("briefbot_summary_seconds", "histogram", "Model time per /summarize answer.", [])
        lines.extend(f"briefbot_summary_seconds_bucket{labels} {count}" for labels, count in buckets)
        lines.append(f'briefbot_summary_seconds_bucket{{le="+Inf"}} {self._summary_count}')
        lines.append(f"briefbot_summary_seconds_sum {_number(self._summary_seconds)}")
        lines.append(f"briefbot_summary_seconds_count {self._summary_count}")
        family("briefbot_digests_posted_total", "counter", "Digests whose every message Telegram accepted.",
               [("", self.digests_posted)])
        family("briefbot_telegram_errors_total", "counter", "Errors returned by the Telegram Bot API.",
               [(f'{{error="{kind}"}}', count) for kind, count in sorted(self.telegram_errors.items())])
        family("briefbot_queue_depth", "gauge", "Requests waiting: /summarize in line, digest messages unsent.",
               [(f'{{queue="{queue}"}}', depth) for queue, depth in sorted(queue_depth.items())])
        return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


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
        metrics: Callable[[], Awaitable[str]],
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
        return web.Response(text=await self._metrics(), content_type="text/plain", charset="utf-8",
                            headers={"X-Content-Type-Options": "nosniff"})

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
