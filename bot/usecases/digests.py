"""A channel's next digest: choose its stories, summarise them, render, then post it or only show it.

The bot's digest job, /digest and `python -m bot digest --dry-run` all come through `Digests.next`;
the dry run is the same call with posting switched off, so it shows exactly what would be posted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from bot.digest.choose import ChosenStory, channel_topics, choose_stories
from bot.digest.items import ChannelDigest, DigestItem, build_item, build_update
from bot.digest.record import queue_digest
from bot.digest.summaries import StorySummaries
from bot.digest.topics import Topics
from bot.metrics import Metrics
from bot.resources import Resources
from bot.store.tables import Channel, utcnow
from bot.usecases.refusal import Refusal

log = logging.getLogger(__name__)

# Digest items, in the channel's language, as the messages to send: the Telegram layer's rendering, handed in.
Render = Callable[[Sequence[DigestItem], str], list[str]]


class Sender(Protocol):
    async def send_channel(self, channel_id: int) -> int:
        """Send what the outbox holds for the channel; returns messages sent."""


@dataclass(frozen=True)
class DigestRun:
    digest: ChannelDigest | None  # None: the channel is paused (or gone)
    queued: int  # stories recorded as posted (0 in a dry run, or when another process was first)
    sent: int  # messages Telegram accepted


class Digests:
    def __init__(self, resources: Resources, metrics: Metrics, render: Render, sender: Sender | None) -> None:
        """`sender` None: digests can be built and shown, not posted (the command line)."""
        self._resources = resources
        self._metrics = metrics
        self._render = render
        self._sender = sender
        self._summaries: StorySummaries | None = None
        self._topics: Topics | None = None

    async def next(
        self, channel_id: int, *, post: bool, resume: bool = False, on_item: Callable[[], None] | None = None
    ) -> DigestRun:
        """Build the channel's next digest; with `post`, record it as posted, queue and send it.

        A paused channel gets nothing unless `resume` (an admin asked for the digest), which also
        lifts the pause when posting.
        """
        sessions = self._resources.sessions
        async with sessions.begin() as session:
            channel = await session.get(Channel, channel_id)
            if channel is None or (channel.paused_reason and not resume):
                return DigestRun(None, 0, 0)
            if channel.paused_reason and post:
                log.info("channel %s resumed (was paused: %s)", channel.chat, channel.paused_reason)
                channel.paused_reason = None
        digest = await self._build(channel, on_item)
        if not post:
            return DigestRun(digest, 0, 0)
        queued = await self._queue(channel, digest)
        async with sessions.begin() as session:
            await session.execute(update(Channel).where(Channel.id == channel_id).values(last_digest_at=utcnow()))
        assert self._sender is not None, "posting needs a sender"
        return DigestRun(digest, queued, await self._sender.send_channel(channel_id))

    async def _build(self, channel: Channel, on_item: Callable[[], None] | None) -> ChannelDigest:
        topics = await self._topic_vectors() if channel_topics(channel) else None
        async with self._resources.sessions() as session:
            chosen = await choose_stories(session, channel, topics)
        summaries = self._story_summaries()
        embedder = await self._resources.load_embedder() if any(story.is_update for story in chosen) else None

        async def item(story: ChosenStory) -> DigestItem | None:
            if story.is_update:
                built = await build_update(summaries, story, channel.language, embedder)
            else:
                built = await build_item(summaries, story.articles, channel.language)
            if on_item:
                on_item()
            return built

        # Concurrent requests let the model batch them.
        built = await asyncio.gather(*(item(story) for story in chosen))
        items = [item for item in built if item is not None]
        quiet = [a.id for story, item in zip(chosen, built, strict=True) if item is None for a in story.new]
        return ChannelDigest(channel.chat, channel.language, items, self._render(items, channel.language), quiet)

    def _story_summaries(self) -> StorySummaries:
        """One for the process, so digest jobs that run together share their summaries."""
        if self._summaries is None:
            backend = self._resources.backend
            if backend is None:
                raise Refusal("model_loading")
            self._summaries = StorySummaries(self._resources.sessions, backend, self._resources.settings.model.max_chars)
        return self._summaries

    async def _topic_vectors(self) -> Topics:
        """One for the process, so each topic is embedded once for every channel and digest."""
        if self._topics is None:
            embedder = await self._resources.load_embedder()
            self._topics = Topics(embedder, self._resources.settings.embeddings.topic_margin)
        return self._topics

    async def _queue(self, channel: Channel, digest: ChannelDigest) -> int:
        if not digest.items and not digest.quiet:
            return 0
        try:
            async with self._resources.sessions() as session:
                await queue_digest(session, channel.id, digest)
        except IntegrityError:  # another bot process posted these stories a moment ago
            log.info("channel %s: digest already posted by another process", channel.chat)
            return 0
        self._metrics.summaries.labels("digest").inc(sum(1 for item in digest.items if item.summary))
        return len(digest.items)
