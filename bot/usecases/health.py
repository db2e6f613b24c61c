"""What /healthz reports: the database answers, the model is loaded, when feeds were last polled, and
the channels that are paused (the others go on, so the bot stays healthy)."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from bot.resources import Resources
from bot.store.tables import Channel, Feed

log = logging.getLogger(__name__)


async def health(resources: Resources) -> tuple[bool, dict]:
    loaded = resources.summarizer is not None
    try:
        async with resources.sessions() as session:
            last_poll = await session.scalar(select(func.max(Feed.last_polled_at)))
            paused = list(await session.scalars(select(Channel).where(Channel.paused_reason.is_not(None))))
    except Exception as exc:  # any database failure means unhealthy, whatever the driver calls it
        log.warning("health check: database failed: %s", exc)
        return False, {"db": False, "model_loaded": loaded, "last_poll": None}
    details = {"db": True, "model_loaded": loaded, "last_poll": last_poll.isoformat() if last_poll else None}
    if paused:
        details["paused_channels"] = [
            {"platform": channel.platform, "chat": channel.chat, **({"topic": channel.topic} if channel.topic else {}),
             "reason": channel.paused_reason}
            for channel in paused
        ]
    return loaded, details
