"""When a feed is polled next: a decision from how its last poll went, nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_BACKOFF = timedelta(hours=24)
# The wait stops doubling here, so that it stays a number (MAX_BACKOFF caps it sooner for most intervals).
MAX_DOUBLINGS = 10


@dataclass(frozen=True)
class NextPoll:
    at: datetime
    failures: int  # the feed's failures in a row, this poll's included


def next_poll(
    now: datetime, interval: float, failures: int, *, ok: bool, retry_after: float | None = None
) -> NextPoll:
    """After a poll at `now` of a feed polled every `interval` seconds that had failed `failures`
    times in a row before: its interval after a success; after a failure, exponentially later,
    up to a day, and not sooner than the server asked (Retry-After, in seconds) if that is later."""
    if ok:
        return NextPoll(now + timedelta(seconds=interval), 0)
    failures += 1
    delay = max(interval * 2 ** min(failures, MAX_DOUBLINGS), retry_after or 0)
    return NextPoll(now + min(timedelta(seconds=delay), MAX_BACKOFF), failures)
