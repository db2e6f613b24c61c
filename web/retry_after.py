"""How long a server asked us to wait: the one reading of Retry-After for feeds, model servers and Telegram."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime


def retry_after_seconds(value: str | float | timedelta | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date) or an already parsed value
    (python-telegram-bot's RetryAfter.retry_after: seconds or a timedelta); None when there is none."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        return max(0.0, value.total_seconds())
    if isinstance(value, int | float):
        return max(0.0, float(value))
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
