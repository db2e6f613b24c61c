"""Polling feeds and grouping what is new into stories: the bot's poll job and `python -m bot poll|digest`."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

from bot.feeds.poll import PollOutcome, poll_all
from bot.metrics import Metrics
from bot.resources import Resources
from bot.store.queries import POLL_LEASE, all_feeds, claim_due_feeds, kept_claimed
from bot.store.tables import utcnow
from bot.stories.assign import EMBED_TIME_PER_ROUND, group_new_articles


@dataclass(frozen=True)
class PollReport:
    outcomes: list[PollOutcome]
    new_stories: int

    @property
    def new_articles(self) -> int:
        return sum(outcome.new_articles for outcome in self.outcomes)

    @property
    def failing(self) -> list[PollOutcome]:
        return [outcome for outcome in self.outcomes if outcome.error]


async def poll_feeds(resources: Resources, metrics: Metrics, *, only_due: bool) -> PollReport:
    """Poll the feeds (those due, claimed so that processes sharing the store poll each once, or all
    of them), then group every article still without a story."""
    now = utcnow()
    async with resources.sessions() as session:
        feeds = await claim_due_feeds(session, now) if only_due else await all_feeds(session)
    async with kept_claimed(resources.sessions, feeds, now + POLL_LEASE) if only_due else nullcontext():
        outcomes = await poll_all(resources.poller, feeds, resources.settings.fetch.concurrency) if feeds else []
    metrics.feeds_polled.inc(len(outcomes))
    metrics.fetch_errors.inc(sum(1 for outcome in outcomes if outcome.error))
    # Also picks up articles a crash left ungrouped: a no-op query when there are none. The bot's
    # round embeds for a bounded time (a first start's backlog takes several rounds, newest first);
    # the command line groups everything at once.
    embedder = await resources.load_embedder()
    async with resources.sessions() as session:
        created = await group_new_articles(session, embedder, embed_time=EMBED_TIME_PER_ROUND if only_due else None)
    return PollReport(outcomes, created)
