"""The use cases: what the bot does, called alike by its handlers and jobs and by the command line."""

from __future__ import annotations

from dataclasses import dataclass

from bot.metrics import Metrics
from bot.resources import Resources
from bot.store.queries import unsent_messages
from bot.usecases.channels import Channels, DigestTimes
from bot.usecases.digests import Digests, Renders, Sender
from bot.usecases.polling import PollReport, poll_feeds
from bot.usecases.summaries import Limits, Summaries
from bot.usecases.users import UserLanguages


@dataclass
class UseCases:
    resources: Resources
    metrics: Metrics
    users: UserLanguages
    summaries: Summaries
    channels: Channels
    digests: Digests
    sender: Sender  # sends what the outbox holds for a channel

    async def poll_due_feeds(self) -> PollReport:
        return await poll_feeds(self.resources, self.metrics, only_due=True)

    async def queue_depths(self) -> dict[str, int]:
        async with self.resources.sessions() as session:
            unsent = await unsent_messages(session)
        return {"summarize": self.summaries.waiting, "outbox": unsent}


def build_use_cases(
    resources: Resources, metrics: Metrics, *, renders: Renders, sender: Sender, digest_times: DigestTimes, limits: Limits
) -> UseCases:
    summaries = Summaries(resources, metrics, limits)
    digests = Digests(resources, metrics, renders)
    channels = Channels(resources, digest_times, summaries, digests, sender)
    return UseCases(resources, metrics, UserLanguages(resources.sessions), summaries, channels, digests, sender)
