"""Channel and feed administration: a chat's feeds, language, schedule, filters, status, OPML, digest now.

Who may manage a chat is decided by the Telegram layer (bot/telegram/access.py) before these run:
they get a ManagedChat and trust it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Protocol

from anyascii import anyascii
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.digest.choose import channel_topics
from bot.feeds.opml import MAX_OPML_BYTES, OpmlError, OpmlFeed, build_opml, parse_opml
from bot.feeds.parse import FeedParseError, parse_feed
from bot.resources import Resources
from bot.store.queries import all_channels, channel_fields, unsent_messages
from bot.store.tables import FEED_NAME_CHARS, Channel, Feed, utcnow
from bot.usecases.digests import Digests, Sender
from bot.usecases.refusal import Refusal, refuse_longer_than
from bot.usecases.summaries import Summaries
from bot.usecases.users import chosen_language
from config.filters import MAX_RULE_CHARS, compile_rule, parse_topic, topic_of, topic_rule
from config.settings import ChannelSettings, DigestSchedule
from web.fetch import FetchError
from web.pool import ParseFailed
from web.urlguard import UnsafeURLError, check_public_url

MAX_IMPORTED_FEEDS = 200
# Arguments longer than any real value of their kind are refused before they are looked at.
MAX_URL_CHARS = 2048  # the sitemaps protocol's limit; longer links are rare and often refused by servers
MAX_TIME_CHARS = len("HH:MM:SS")
MAX_ZONE_CHARS = 64  # the longest IANA zone name has 32


class DigestTimes(Protocol):
    """The digest jobs (bot/scheduler.py): rescheduled when a channel's settings change."""

    def schedule_digest(self, channel_id: int, schedule: dict) -> None: ...

    def next_digest(self, channel_id: int) -> datetime | None: ...


@dataclass(frozen=True)
class ManagedChat:
    """A chat the caller may manage."""

    id: int
    username: str | None
    title: str | None

    @property
    def label(self) -> str:
        """How people know the chat: @name, else its title."""
        return f"@{self.username}" if self.username else (self.title or str(self.id))


@dataclass(frozen=True)
class FeedInfo:
    name: str
    url: str
    title: str | None
    last_polled_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class ChannelInfo:
    chat: str
    language: str
    schedule: dict
    next_digest: datetime | None
    include: list[str]
    exclude: list[str]
    paused_reason: str | None
    has_topics: bool  # the filters name a topic


@dataclass(frozen=True)
class ImportResult:
    chat: str
    added: list[str]
    known: int  # feeds the channel already had
    refused: list[str]  # links the URL guard refused, with the reason


@dataclass(frozen=True)
class Status:
    channel: ChannelInfo | None  # None: the whole bot, for its operators
    feeds: list[FeedInfo]
    channels: int
    unsent: int
    waiting: int  # /summarize requests in line
    model: str | None  # None while the model loads


@dataclass(frozen=True)
class DigestOutcome:
    chat: str
    stories: int
    sent: int


def _feed_info(feed: Feed) -> FeedInfo:
    return FeedInfo(feed.name, feed.url, feed.title, feed.last_polled_at, feed.last_error)


def _feed_name(title: str | None, url: str, taken: set[str]) -> str:
    """A short unique name to refer to a feed by: its title (or host) in lower-case ASCII words."""
    host = re.sub(r"^www\.", "", re.sub(r"^[a-z]+://", "", url.lower()).split("/")[0].split(":")[0])
    base = re.sub(r"[^a-z0-9]+", "-", anyascii(title or host).lower()).strip("-")[:40] or "feed"
    name, number = base, 2
    while name in taken:
        name, number = f"{base}-{number}", number + 1
    return name


def filter_rules(words: list[str]) -> list[str]:
    """A /filters command's words as rules: a topic ('+topic:energy and climate') takes the words
    after it up to the next one that starts with + or -."""
    rules: list[str] = []
    for word in words:
        if rules and topic_of(rules[-1][1:]) is not None and not word.startswith(("+", "-")):
            rules[-1] += " " + word
        else:
            rules.append(word)
    return rules


def _padded(at: str) -> str:
    """'8:00' -> '08:00'."""
    return f"0{at}" if re.fullmatch(r"\d:\d\d", at) else at


class Channels:
    def __init__(
        self, resources: Resources, digest_times: DigestTimes, summaries: Summaries, digests: Digests, sender: Sender
    ) -> None:
        self._resources = resources
        self._sessions = resources.sessions
        self._digest_times = digest_times
        self._summaries = summaries
        self._digests = digests
        self._sender = sender
        self._guard = partial(check_public_url, allow_private=resources.settings.security.allow_private_urls)

    # -- reading ------------------------------------------------------------------------------

    async def feeds(self, chat: ManagedChat) -> list[FeedInfo]:
        async with self._sessions() as session:
            channel = await self._existing(session, chat)
            return [_feed_info(feed) for feed in await self._channel_feeds(session, channel)]

    async def status(self, chat: ManagedChat | None) -> Status:
        """A channel's status for its admins; with no chat, the whole bot's for its operators."""
        async with self._sessions() as session:
            channel_count = await session.scalar(select(func.count()).select_from(Channel))
            if chat is None:
                info, feeds = None, list(await session.scalars(select(Feed).order_by(Feed.name)))
            else:
                channel = await self._existing(session, chat)
                info, feeds = self._info(chat, channel), await self._channel_feeds(session, channel)
            unsent = await unsent_messages(session)
        summarizer = self._resources.summarizer
        return Status(info, [_feed_info(feed) for feed in feeds], channel_count, unsent, self._summaries.waiting,
                      summarizer.model_name if summarizer else None)

    async def export_opml(self, chat: ManagedChat) -> bytes:
        async with self._sessions() as session:
            feeds = await self._channel_feeds(session, await self._existing(session, chat))
        return build_opml(f"briefbot feeds for {chat.label}", [OpmlFeed(f.title or f.name, f.url) for f in feeds])

    # -- changing -----------------------------------------------------------------------------

    async def add_feed(self, chat: ManagedChat, user_id: int, url: str) -> FeedInfo:
        """Check the link is a readable feed (one fetch), then add it to the channel."""
        refuse_longer_than(MAX_URL_CHARS, url)
        try:
            url = await self._guard(url)
            result = await self._resources.fetcher.fetch(url, guard=self._guard)
            parsed = await self._resources.parsers.run(
                parse_feed, result.body or b"", url=result.url, content_type=result.content_type, fetched_at=utcnow()
            )
        except UnsafeURLError as exc:
            raise Refusal("unsafe_link", reason=str(exc)) from None
        except FetchError as exc:
            raise Refusal("feed_fetch_failed", reason=str(exc)) from None
        except (FeedParseError, ParseFailed) as exc:
            raise Refusal("not_a_feed", reason=str(exc)) from None
        async with self._changing(chat, user_id) as (session, channel):
            taken = await self._feed_names(session)
            feed, _ = await self._catalogue_feed(session, OpmlFeed(parsed.title or "", url), channel, taken)
        return _feed_info(feed)

    async def remove_feed(self, chat: ManagedChat, user_id: int, name: str) -> None:
        refuse_longer_than(FEED_NAME_CHARS, name)
        async with self._sessions.begin() as session:
            channel = await self._existing(session, chat)
            names = [feed.name for feed in await self._channel_feeds(session, channel)]
            if name not in names:
                raise Refusal("feed_not_found", chat=chat.label, name=name)
            self._changed(channel, user_id)
            channel.feeds = [other for other in names if other != name]
            await session.flush()
            await self._forget_unused_feed(session, name)

    async def set_language(self, chat: ManagedChat, user_id: int, code: str) -> ChannelInfo:
        language = chosen_language(code)
        async with self._changing(chat, user_id) as (_, channel):
            channel.language = language
        return self._info(chat, channel)

    async def set_schedule(self, chat: ManagedChat, user_id: int, at: str, timezone: str | None) -> ChannelInfo:
        """A daily digest at `at` (HH:MM) in `timezone`, or in the channel's current zone when None."""
        refuse_longer_than(MAX_TIME_CHARS, at)
        refuse_longer_than(MAX_ZONE_CHARS, timezone or "")
        async with self._changing(chat, user_id) as (_, channel):
            zone = timezone or channel.schedule.get("timezone", "UTC")
            try:
                schedule = DigestSchedule(at=_padded(at), timezone=zone)
            except ValidationError as exc:
                raise Refusal("bad_schedule", reason=exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
            channel.schedule = schedule.model_dump(exclude_none=True)
        return self._info(chat, channel)

    async def set_filters(self, chat: ManagedChat, user_id: int, words: list[str]) -> ChannelInfo:
        """'+word' must appear, '-word' must not ('/regex/' works too, and 'topic:words' for a topic
        by meaning); 'clear' drops all filters."""
        async with self._changing(chat, user_id) as (_, channel):
            include, exclude = list(channel.include), list(channel.exclude)
            for rule in filter_rules(words):
                if rule.lower() == "clear":
                    include, exclude = [], []
                    continue
                sign, word = rule[:1], rule[1:]
                if sign not in "+-" or not word:
                    raise Refusal("bad_filters", rule=rule)
                if (topic := parse_topic(word)) is not None:
                    try:
                        word = topic_rule(topic.words, topic.strictness)
                    except ValueError:
                        raise Refusal("bad_topic") from None
                else:
                    refuse_longer_than(MAX_RULE_CHARS, word)
                    try:
                        compile_rule(word)
                    except re.error as exc:
                        raise Refusal("bad_regex", rule=word, reason=str(exc)) from None
                (include if sign == "+" else exclude).append(word)
            channel.include, channel.exclude = list(dict.fromkeys(include)), list(dict.fromkeys(exclude))
        return self._info(chat, channel)

    async def import_opml(self, chat: ManagedChat, user_id: int, data: bytes) -> ImportResult:
        """Add the feeds an OPML file lists (checked against the URL guard; the poller reports feeds that fail)."""
        if len(data) > MAX_OPML_BYTES:
            raise Refusal("opml_too_big", limit=MAX_OPML_BYTES // 1000)
        try:
            listed = parse_opml(data)[: MAX_IMPORTED_FEEDS + 1]
        except OpmlError as exc:
            raise Refusal("bad_opml", reason=str(exc)) from None
        if len(listed) > MAX_IMPORTED_FEEDS:
            raise Refusal("opml_too_many", limit=MAX_IMPORTED_FEEDS)

        async def check(url: str) -> str:
            if len(url) > MAX_URL_CHARS:
                raise UnsafeURLError(f"longer than {MAX_URL_CHARS} characters")
            return await self._guard(url)

        # Each check resolves a host name: up to MAX_IMPORTED_FEEDS of them, at once.
        checked = await asyncio.gather(*(check(feed.url) for feed in listed), return_exceptions=True)
        safe, refused = [], []
        for feed, url in zip(listed, checked, strict=True):
            if isinstance(url, UnsafeURLError):
                refused.append(f"{feed.url}: {url}")
            elif isinstance(url, BaseException):
                raise url
            else:
                safe.append(OpmlFeed(feed.title, url))
        added, known = [], 0
        async with self._changing(chat, user_id) as (session, channel):
            taken = await self._feed_names(session)
            for feed in safe:
                record, is_new = await self._catalogue_feed(session, feed, channel, taken)
                if is_new:
                    added.append(record.name)
                else:
                    known += 1
        return ImportResult(chat.label, added, known, refused)

    async def schedules(self) -> dict[int, dict]:
        """Each channel's digest schedule, as the database has it."""
        async with self._sessions() as session:
            return {channel.id: dict(channel.schedule) for channel in await all_channels(session)}

    async def post_digest_now(self, chat: ManagedChat) -> DigestOutcome:
        """The channel's next digest, now; this also resumes a channel paused after a posting failure."""
        async with self._sessions() as session:
            channel = await self._existing(session, chat)
        run = await self._digests.post(channel.id, self._sender, resume=True)
        return DigestOutcome(chat.label, run.queued, run.sent)

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    async def _find(session: AsyncSession, chat: ManagedChat) -> Channel | None:
        """The channel entry for a chat, whether the config names it by @name or by id."""
        keys = [str(chat.id)] + ([f"@{chat.username}".lower()] if chat.username else [])
        return await session.scalar(select(Channel).where(func.lower(Channel.chat).in_(keys)).limit(1))

    async def _existing(self, session: AsyncSession, chat: ManagedChat) -> Channel:
        channel = await self._find(session, chat)
        if channel is None:
            raise Refusal("channel_unknown", chat=chat.label)
        return channel

    @asynccontextmanager
    async def _changing(self, chat: ManagedChat, user_id: int) -> AsyncIterator[tuple[AsyncSession, Channel]]:
        """The chat's channel entry to change in the block, created on its first setting with a
        channel's defaults; once the change is committed, the digest job follows it."""
        async with self._sessions.begin() as session:
            channel = await self._find(session, chat)
            if channel is None:
                channel = Channel(chat=str(chat.id), **channel_fields(ChannelSettings(chat=str(chat.id), feeds=[])))
                session.add(channel)
            self._changed(channel, user_id)
            yield session, channel
        self._digest_times.schedule_digest(channel.id, channel.schedule)

    @staticmethod
    def _changed(channel: Channel, user_id: int) -> None:
        # Changed here, the entry is the admins' now: a restart's config sync leaves it alone.
        channel.from_config = False
        channel.owner_id = channel.owner_id or user_id

    @staticmethod
    async def _channel_feeds(session: AsyncSession, channel: Channel) -> list[Feed]:
        query = select(Feed).order_by(Feed.name)
        if channel.feeds is not None:
            query = query.where(Feed.name.in_(channel.feeds))
        return list(await session.scalars(query))

    @staticmethod
    async def _feed_names(session: AsyncSession) -> set[str]:
        return set(await session.scalars(select(Feed.name)))

    @staticmethod
    async def _catalogue_feed(
        session: AsyncSession, wanted: OpmlFeed, channel: Channel, taken: set[str]
    ) -> tuple[Feed, bool]:
        """The feed for a URL (stored once for every channel), added to the channel's list; True if it is new there.

        `taken` holds every stored feed name; a new feed's name is added to it."""
        feed = await session.scalar(select(Feed).where(Feed.url == wanted.url))
        if feed is None:
            name = _feed_name(wanted.title, wanted.url, taken)
            feed = Feed(name=name, url=wanted.url, title=wanted.title or None, from_config=False)
            session.add(feed)
            taken.add(feed.name)
            await session.flush()
        if channel.feeds is None:  # the channel reads every feed, this one included
            return feed, True
        if feed.name in channel.feeds:
            return feed, False
        channel.feeds = [*channel.feeds, feed.name]
        return feed, True

    @staticmethod
    async def _forget_unused_feed(session: AsyncSession, name: str) -> None:
        """Drop a feed added at run time once no channel lists it any more."""
        feed = await session.scalar(select(Feed).where(Feed.name == name, Feed.from_config.is_(False)))
        if feed is None:
            return
        if not any(channel.feeds and name in channel.feeds for channel in await all_channels(session)):
            await session.delete(feed)

    def _info(self, chat: ManagedChat, channel: Channel) -> ChannelInfo:
        return ChannelInfo(
            chat.label, channel.language, dict(channel.schedule), self._digest_times.next_digest(channel.id),
            list(channel.include), list(channel.exclude), channel.paused_reason,
            bool(channel_topics(channel)),
        )
