"""Digest schedules: "HH:MM" or a crontab line, in a time zone, as APScheduler triggers."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab numbers them 0-6 (and 7 = Sunday)


def digest_trigger(schedule: dict) -> CronTrigger:
    """The cron trigger for a Channel.schedule ({"at": "HH:MM"} or {"cron": "..."}, with "timezone").

    Times are wall-clock times in the channel's zone, so 08:00 stays 08:00 across DST changes.
    Raises ValueError for a cron expression it can't read.
    """
    zone = ZoneInfo(schedule.get("timezone", "UTC"))
    if "cron" in schedule:
        fields = schedule["cron"].split()
        if len(fields) != 5:
            raise ValueError(f"a cron expression has 5 fields, got {len(fields)}")
        minute, hour, day, month, weekdays = fields
        return CronTrigger(minute=minute, hour=hour, day=day, month=month,
                           day_of_week=crontab_weekdays(weekdays), timezone=zone)
    at = time.fromisoformat(schedule["at"])
    return CronTrigger(hour=at.hour, minute=at.minute, second=at.second, timezone=zone)


def crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field as day names.

    APScheduler 3 numbers days from Monday (its from_crontab reads "1-5" as Tuesday to Saturday),
    so numbers are translated here.
    """
    days: set[int] = set()
    for part in field.lower().split(","):
        span, _, step = part.partition("/")
        if span == "*":
            first, last = 0, 6
        else:
            start, _, end = span.partition("-")
            first = _weekday(start)
            last = _weekday(end) if end else (6 if step else first)
        if last < first or (step and not step.isdigit()) or step == "0":
            raise ValueError(f"cannot read the day-of-week field {field!r}")
        days.update(day % 7 for day in range(first, last + 1, int(step or 1)))
    return ",".join(_WEEKDAYS[day] for day in sorted(days, key=lambda day: (day - 1) % 7))


def _weekday(token: str) -> int:
    if token in _WEEKDAYS:
        return _WEEKDAYS.index(token)
    if token.isdigit() and int(token) <= 7:
        return int(token)
    raise ValueError(f"not a day of the week: {token!r}")
