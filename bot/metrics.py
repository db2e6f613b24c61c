"""The bot's Prometheus series, in a registry of their own (one per running bot)."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

TELEGRAM_ERROR_KINDS = ("flood", "forbidden", "bad_request", "migrated", "network")
SUMMARY_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0)


class Metrics:
    """The bot's Prometheus series, in a registry of its own (one per running bot)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.feeds_polled = Counter("briefbot_feeds_polled", "Feed polls, successful or not.", registry=self.registry)
        self.fetch_errors = Counter(
            "briefbot_fetch_errors", "Feed polls that failed to fetch or parse the feed.", registry=self.registry
        )
        self.summaries = Counter(
            "briefbot_summaries", "Summaries delivered: /summarize answers and digest stories.", ["kind"],
            registry=self.registry,
        )
        self.summary_seconds = Histogram(
            "briefbot_summary_seconds", "Model time per /summarize answer.", buckets=SUMMARY_BUCKETS,
            registry=self.registry,
        )
        self.digests_posted = Counter(
            "briefbot_digests_posted", "Digests whose every message Telegram accepted.", registry=self.registry
        )
        self.telegram_errors = Counter(
            "briefbot_telegram_errors", "Errors returned by the Telegram Bot API.", ["error"], registry=self.registry
        )
        self.queue_depth = Gauge(
            "briefbot_queue_depth", "Requests waiting: /summarize in line, digest messages unsent.", ["queue"],
            registry=self.registry,
        )
        for kind in ("user", "digest"):
            self.summaries.labels(kind)
        for kind in TELEGRAM_ERROR_KINDS:
            self.telegram_errors.labels(kind)

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
        self.telegram_errors.labels(kind).inc()

    def observe_summary(self, seconds: float) -> None:
        """One /summarize answer and the model time it took."""
        self.summaries.labels("user").inc()
        self.summary_seconds.observe(seconds)

    def render(self, queue_depth: Mapping[str, int]) -> bytes:
        for queue, depth in queue_depth.items():
            self.queue_depth.labels(queue).set(depth)
        return generate_latest(self.registry)
