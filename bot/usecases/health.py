"""What /healthz reports: the database answers, the model is loaded, when feeds were last polled."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from bot.resources import Resources
from bot.store.tables import Feed

log = logging.getLogger(__name__)


async def health(resources: Resources) -> tuple[bool, dict]:
    loaded = resources.summarizer is not None
    try:
        async with resources.sessions() as session:
            last_poll = await session.scalar(select(func.max(Feed.last_polled_at)))
    except Exception as exc:  # any database failure means unhealthy, whatever the driver calls it
        log.warning("health check: database failed: %s", exc)
        return False, {"db": False, "model_loaded": loaded, "last_poll": None}
    return loaded, {"db": True, "model_loaded": loaded, "last_poll": last_poll.isoformat() if last_poll else None}
