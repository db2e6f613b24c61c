"""A channel's next digest: choose its stories, summarise them, render, then post it or only show it.

The bot's digest job and /digest post it (`Digests.post`); `python -m bot digest --dry-run` shows it
(`Digests.preview`): both build it the same way, so the preview is exactly what would be posted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from bot.digest.choose import ChosenStory, channel_topics, choose_stories
from bot.digest.feed_topics import rendered_messages
from bot.digest.items import ChannelDigest, DigestItem, build_item, build_update, title_of
from bot.digest.record import queue_digest
from bot.digest.summaries import StorySummaries
from bot.digest.topics import Topics
from bot.digest.translations import SentenceTranslations
from bot.metrics import Metrics
from bot.resources import Resources
from bot.store.channel_state import resume_channel
from bot.store.tables import Article, Channel, utcnow
from bot.store.work_claims import LOOK_AGAIN, Work, WorkClaims
from bot.usecases.refusal import Refusal
from summarizer import MachineTranslation, PromptedModel, TranslationCheck, Translator

log = logging.getLogger(__name__)

# Digest items, in the channel's language, as the messages to send: a platform's rendering, handed in.
Render = Callable[[Sequence[DigestItem], str], list[str]]
# Each platform's rendering, by Channel.platform.
Renders = Mapping[str, Render]


class Sender(Protocol):
    async def send_channel(self, channel_id: int) -> int:
        """Send what the outbox holds for the channel; returns messages sent."""


@dataclass(frozen=True)
class DigestRun:
    digest: ChannelDigest | None  # None: the channel is paused (or gone), or another process posted it
    queued: int  # stories recorded as posted (0 in a dry run, or when another process was first)
    sent: int  # messages Telegram accepted


class Digests:
    def __init__(self, resources: Resources, metrics: Metrics, renders: Renders) -> None:
        self._resources = resources
        self._metrics = metrics
        self._renders = renders
        self._claims = resources.claims or WorkClaims(None)
        self._summaries: StorySummaries | None = None
        self._translations: SentenceTranslations | None = None
        self._topics: Topics | None = None

    async def preview(self, channel_id: int, *, on_item: Callable[[], None] | None = None) -> DigestRun:
        """The channel's next digest, built but neither recorded nor sent; none for a paused channel."""
        async with self._resources.sessions() as session:
            channel = await session.get(Channel, channel_id)
        if channel is None or channel.paused_reason:
            return DigestRun(None, 0, 0)
        return DigestRun(await self._build(channel, on_item), 0, 0)

    async def post(self, channel_id: int, sender: Sender, *, resume: bool = False,
                   due: datetime | None = None) -> DigestRun:
        """Build the channel's next digest, record it as posted, queue it and send it with `sender`.

        A paused channel gets nothing unless `resume` (an admin asked for the digest), which also
        lifts the pause. Bot processes sharing a PostgreSQL database claim the channel's digest: one
        builds and queues it while the others make its summaries ahead, then wait for their turn. With
        `due` (the time the digest was scheduled for), a turn that comes after another process posted
        the digest since then posts nothing.
        """
        helped = False
        while True:
            async with self._claims.claim(Work.DIGEST, str(channel_id)) as mine:
                if mine:
                    built = await self._build_and_queue(channel_id, resume, due)
                    break
            if not helped:
                await self._help(channel_id)
                helped = True
            else:
                await asyncio.sleep(LOOK_AGAIN)
        if built is None:
            return DigestRun(None, 0, 0)
        channel, digest, queued = built
        sent = await sender.send_channel(channel_id)
        log.info("digest of channel %s: %s", channel.chat, _outcome(digest, queued, sent))
        return DigestRun(digest, queued or 0, sent)

    async def _build_and_queue(self, channel_id: int, resume: bool,
                               due: datetime | None) -> tuple[Channel, ChannelDigest, int | None] | None:
        sessions = self._resources.sessions
        async with sessions() as session:
            channel = await session.get(Channel, channel_id)
        if channel is None or (channel.paused_reason and not resume):
            log.info("digest of channel %s skipped: %s", channel.chat if channel else channel_id,
                     f"the channel is paused ({channel.paused_reason})" if channel else "no such channel")
            return None
        if due is not None and channel.last_digest_at is not None and channel.last_digest_at >= due:
            log.info("digest of channel %s due at %s: already posted by another process", channel.chat, due)
            return None
        if channel.paused_reason:
            await resume_channel(sessions, channel_id)
            log.info("channel %s resumed (was paused: %s)", channel.chat, channel.paused_reason)
        digest = await self._build(channel, None)
        queued = await self._queue(channel, digest)
        async with sessions.begin() as session:
            await session.execute(update(Channel).where(Channel.id == channel_id).values(last_digest_at=utcnow()))
        return channel, digest, queued

    async def _help(self, channel_id: int) -> None:
        """While another process builds the channel's digest: make the summaries it will need that
        nobody is making yet."""
        async with self._resources.sessions() as session:
            channel = await session.get(Channel, channel_id)
        if channel is None or channel.paused_reason or self._resources.summarizer is None:
            return
        try:
            topics = await self._topic_vectors() if channel_topics(channel) else None
            async with self._resources.sessions() as session:
                chosen = await choose_stories(session, channel, topics)
            summaries = self._story_summaries()
            await asyncio.gather(*(summaries.make_ahead(_summarised(story.articles), channel.language)
                                   for story in chosen if not story.is_update))
        except Exception as exc:  # the builder makes what is missing
            log.warning("summaries ahead of the digest of channel %s stopped: %r", channel.chat, exc)

    async def _build(self, channel: Channel, on_item: Callable[[], None] | None) -> ChannelDigest:
        topics = await self._topic_vectors() if channel_topics(channel) else None
        async with self._resources.sessions() as session:
            chosen = await choose_stories(session, channel, topics)
        summaries = self._story_summaries()
        embedder = await self._resources.load_embedder() if any(story.is_update for story in chosen) else None
        translations = await self._sentence_translations() if chosen else None

        async def item(story: ChosenStory) -> DigestItem | Exception | None:
            try:
                if story.is_update:
                    return await build_update(summaries, story, channel.language, embedder, translations)
                return await build_item(summaries, story.articles, channel.language, translations)
            except Exception as exc:  # one story's fault costs that story, not the channel's digest
                log.warning("story %s left out of the digest of channel %s: %r", story.story_id, channel.chat, exc,
                            exc_info=exc)
                return exc
            finally:
                if on_item:
                    on_item()

        # Concurrent requests let the model batch them.
        built = await asyncio.gather(*(item(story) for story in chosen))
        failures = [result for result in built if isinstance(result, Exception)]
        if failures and len(failures) == len(chosen):
            raise failures[0]  # nothing went right (the database, the model): the job tries again
        items = [result for result in built if isinstance(result, DigestItem)]
        # Stories that failed are neither posted nor given: they are tried again next time.
        quiet = [a.id for story, result in zip(chosen, built, strict=True) if result is None for a in story.new]
        messages, feeds = rendered_messages(self._renders[channel.platform], channel, chosen, items)
        return ChannelDigest(channel.chat, channel.language, items, messages, quiet, left_out=len(failures), feeds=feeds)

    def _story_summaries(self) -> StorySummaries:
        """One for the process, so digest jobs that run together share their summaries."""
        if self._summaries is None:
            summarizer = self._resources.summarizer
            if summarizer is None:
                raise Refusal("model_loading")
            self._summaries = StorySummaries(self._resources.sessions, summarizer, self._resources.settings.model.max_chars,
                                             self._claims)
        return self._summaries

    async def _sentence_translations(self) -> SentenceTranslations | None:
        """One for the process, so channels of one language share their translations; None when
        translations are off (trust.translation_threshold)."""
        threshold = self._resources.settings.trust.translation_threshold
        if threshold is None:
            return None
        if self._translations is None:
            check = TranslationCheck(await self._resources.load_embedder(), threshold)
            dedicated = self._resources.settings.translation
            renderer = (MachineTranslation(dedicated.model, dedicated.cache_dir) if dedicated.model
                        else PromptedModel(self._story_summaries().summarizer.backend))
            self._translations = SentenceTranslations(self._resources.sessions, Translator(renderer, check),
                                                      self._claims)
        return self._translations

    async def _topic_vectors(self) -> Topics:
        """One for the process, so each topic is embedded once for every channel and digest."""
        if self._topics is None:
            embedder = await self._resources.load_embedder()
            self._topics = Topics(embedder, self._resources.settings.embeddings.topic_margin)
        return self._topics

    async def _queue(self, channel: Channel, digest: ChannelDigest) -> int | None:
        """Stories recorded as posted; None when another bot process posted them a moment ago."""
        if not digest.items and not digest.quiet:
            return 0
        try:
            async with self._resources.sessions() as session:
                await queue_digest(session, channel.id, digest)
        except IntegrityError:
            return None
        self._metrics.summaries.labels("digest").inc(sum(1 for item in digest.items if item.summary))
        return len(digest.items)


def _summarised(articles: list[Article]) -> list[Article]:
    """The sources build_item summarises a story from: one of each text, none with neither a text nor a title."""
    return list({a.text_hash: a for a in articles if a.text.strip() or title_of(a)}.values())


def _outcome(digest: ChannelDigest, queued: int | None, sent: int) -> str:
    """What a posted digest did, for the log: what the channel got, or why it got nothing."""
    updates = sum(item.kind == "update" for item in digest.items)
    if queued is None:
        outcome = "already posted by another process"
    elif not digest.items:
        outcome = "nothing new"
    else:
        outcome = f"items posted: {len(digest.items)} ({len(digest.items) - updates} new, {updates} updates)"
    outcome += f"; messages sent: {sent}"
    if digest.left_out:
        outcome += f"; stories left out after errors: {digest.left_out}"
    return outcome
