"""Logging for the long-running bot: text or JSON lines, with secrets masked in every record."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

from pythonjsonlogger.json import JsonFormatter

from config.settings import LogSettings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "[secret]"


class MaskSecrets(logging.Filter):
    """Replaces secrets (the bot token) wherever a library puts them in a message."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, MASK)
            record.msg, record.args = message, None
        return True


class SkippedRounds(logging.Filter):
    """Drops APScheduler's warning for each round skipped while the previous one runs: with rounds
    every few seconds it would repeat all through a long poll (bot.scheduler warns once about a long job)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


class HandledFloodWaits(logging.Filter):
    """Drops the rate limiter's ERROR and traceback for each "retry after" it passes on (it retries
    none): whoever sent the request handles it, the outbox with one WARNING line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Rate limit hit after maximum of 0 retries")


_SKIPPED_ROUNDS = SkippedRounds()  # one instance: a logger adds a filter it already has only once


def configure_logging(settings: LogSettings, secrets: Iterable[str | None] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.format == "json":
        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(MaskSecrets(secrets))
    # Libraries stay at WARNING (APScheduler alone logs every job run at INFO).
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    for name in ("bot", "summarizer"):
        logging.getLogger(name).setLevel(settings.level)
    logging.getLogger("apscheduler.scheduler").addFilter(_SKIPPED_ROUNDS)
