"""What the bot does when asked: the one call each command handler and job makes.

Services return plain results and never format replies (bot/telegram/messages.py does). A request
the bot declines raises Refusal, naming the answer to give; the application's error handler sends it
in the user's language.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from math import ceil

from anyascii import anyascii
from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, Chat, Document
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import CallbackContext, ExtBot

from bot.digest import StorySummaries, build_digest, commit_digest, compile_rule
from bot.feeds.opml import MAX_OPML_BYTES, OpmlError, OpmlFeed, build_opml, parse_opml
from bot.feeds.parse import FeedParseError, parse_feed
from bot.outbox import Outbox
from bot.resources import Runtime
from bot.scheduler import Scheduler
from bot.server import Metrics
from bot.store.queries import all_channels, feeds_due
from bot.store.tables import Channel, Feed, User, utcnow
from bot.stories.assign import EMBED_TIME_PER_ROUND, group_new_articles
from bot.telegram import messages
from config.settings import DigestSchedule
from summarizer.batching import QueueFullError
from summarizer.language import is_supported
from summarizer.types import SummarizerError, SummaryRequest, UnsupportedInputError
from web.extract import ExtractError, extract_article
from web.fetch import FetchError
from web.urlguard import UnsafeURLError, check_public_url

log = logging.getLogger(__name__)

DEFAULT_SCHEDULE = {"at": "08:00", "timezone": "UTC"}
DEFAULT_FEED_INTERVAL = 900  # seconds, for feeds added with /addfeed or OPML
MAX_IMPORTED_FEEDS = 200


class Refusal(Exception):
    """A request the bot declines: `key` names the answer in bot.telegram.messages, `params` fill it in."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


# -- /summarize ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """How much of the model one user, and everyone together, may ask for."""

    per_minute: int = 5  # /summarize requests per user per minute
    slots: int = 2  # requests summarised at once (the model batches them)
    max_waiting: int = 10  # requests that may wait for a slot; more are asked to come back later
    max_input_chars: int = 20_000  # longer texts are summarised from their beginning


@dataclass(frozen=True)
class Source:
    """What a user asked to have summarised: a link, or the text itself."""

    url: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class UserSummary:
    summary: str
    source_language: str
    url: str | None  # the page summarised, for a link
    title: str | None
    partial: bool  # only the beginning of a long text was summarised


class _PerUser:
    """One request at a time per user, and at most `per_minute` a minute."""

    def __init__(self, per_minute: int) -> None:
        self._per_minute = per_minute
        self._recent: dict[int, deque[float]] = {}
        self._busy: set[int] = set()

    @contextmanager
    def hold(self, user_id: int) -> Iterator[None]:
        if user_id in self._busy:
            raise Refusal("one_at_a_time")
        now = time.monotonic()
        # Forget users quiet for a minute, so the table only holds the active ones.
        self._recent = {uid: times for uid, times in self._recent.items() if times[-1] > now - 60}
        recent = self._recent.setdefault(user_id, deque())
        while recent and recent[0] <= now - 60:
            recent.popleft()
        if len(recent) >= self._per_minute:
            raise Refusal("rate_limited", seconds=ceil(recent[0] + 60 - now))
        recent.append(now)
        self._busy.add(user_id)
        try:
            yield
        finally:
            self._busy.discard(user_id)


class WaitingLine:
    """At most `slots` requests run at once; up to `max_waiting` more wait their turn, first come first served."""

    def __init__(self, slots: int, max_waiting: int) -> None:
        self._free = slots
        self._max_waiting = max_waiting
        self._line: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._line)

    @asynccontextmanager
    async def turn(self, on_wait: Callable[[int], Awaitable[None]]) -> AsyncIterator[None]:
        """Run the block in a free slot; `on_wait(position)` is awaited first when the request has to queue."""
        if self._free and not self._line:
            self._free -= 1
        else:
            if len(self._line) >= self._max_waiting:
                raise Refusal("busy")
            ticket = asyncio.get_running_loop().create_future()
            self._line.append(ticket)
            try:
                await on_wait(len(self._line))
                await ticket
            except BaseException:
                if ticket.done() and not ticket.cancelled():
                    self._release()  # the slot was handed over just as this request gave up: pass it on
                else:
                    ticket.cancel()
                    self._line.remove(ticket)
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        while self._line:
            ticket = self._line.popleft()
            if not ticket.done():
                ticket.set_result(None)
                return
        self._free += 1


class SummaryService:
    def __init__(self, runtime: Runtime, metrics: Metrics, limits: Limits) -> None:
        self._runtime = runtime
        self._metrics = metrics
        self._limits = limits
        self._users = _PerUser(limits.per_minute)
        self._line = WaitingLine(limits.slots, limits.max_waiting)
        allow_private = runtime.settings.security.allow_private_urls
        self._guard = partial(check_public_url, allow_private=allow_private)

    @property
    def waiting(self) -> int:
        return self._line.waiting

    async def summarize(
        self, user_id: int, source: Source, language: str, *, on_wait: Callable[[int], Awaitable[None]]
    ) -> UserSummary:
        """A summary in `language` of a page or a text, within the user's and the bot's limits."""
        with self._users.hold(user_id):
            async with self._line.turn(on_wait):
                if source.url:
                    url, title, text = await self._read_page(source.url)
                else:
                    url, title, text = None, None, source.text or ""
                return await self._summarize(text, language, url=url, title=title)

    async def _read_page(self, url: str) -> tuple[str, str | None, str]:
        try:
            url = await self._guard(url)
        except UnsafeURLError as exc:
            raise Refusal("unsafe_link", reason=str(exc)) from None
        try:
            page = await self._runtime.fetcher.fetch(url, expect="page", guard=self._guard)
            article = await asyncio.to_thread(extract_article, page.body or b"", url=page.url)
        except FetchError as exc:
            raise Refusal("fetch_failed", reason=str(exc)) from None
        except ExtractError:
            raise Refusal("no_article") from None
        title = article.title
        return article.canonical_url or page.url, title, f"{title}\n{article.text}" if title else article.text

    async def _summarize(self, text: str, language: str, *, url: str | None, title: str | None) -> UserSummary:
        backend = self._runtime.backend
        if backend is None:
            raise Refusal("model_loading")
        limit = self._limits.max_input_chars
        request = SummaryRequest.of(
            text[:limit], language if is_supported(language) else None, self._runtime.settings.model.max_chars
        )
        try:
            [summary] = await backend.summarize([request])
        except UnsupportedInputError as exc:
            raise Refusal("cannot_summarize", reason=str(exc)) from None
        except QueueFullError:
            raise Refusal("busy") from None
        except SummarizerError as exc:
            log.warning("summary failed: %s", exc)
            raise Refusal("model_failed") from None
        if not summary.summary:
            raise Refusal("no_summary")
        self._metrics.observe_summary(summary.seconds)
        return UserSummary(summary.summary, summary.source_language, url, title, partial=len(text) > limit)


# -- users ---------------------------------------------------------------------------------------


def language_code(value: str | None) -> str | None:
    """'pt-BR' -> 'pt'; None for anything that is not a language the summarizer knows."""
    primary = re.split(r"[-_]", (value or "").strip().lower(), maxsplit=1)[0]
    return primary if re.fullmatch(r"[a-z]{2}", primary) and is_supported(primary) else None


class UserService:
    def __init__(self, runtime: Runtime) -> None:
        self._sessions = runtime.sessions

    async def language(self, user_id: int, telegram_language: str | None) -> str:
        """The language the user chose with /language, else their Telegram app's, else English."""
        async with self._sessions() as session:
            chosen = await session.scalar(select(User.language).where(User.id == user_id))
        return chosen or language_code(telegram_language) or "en"

    async def set_language(self, user_id: int, code: str) -> str:
        language = language_code(code)
        if language is None:
            raise Refusal("bad_language", code=code)
        async with self._sessions.begin() as session:
            await session.merge(User(id=user_id, language=language, updated_at=utcnow()))
        return language


# -- channels ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedInfo:
    name: str
    url: str
    title: str | None
    last_polled_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class ChannelInfo:
    chat: str  # how people know the chat: @name or its title
    language: str
    schedule: dict
    next_digest: datetime | None
    include: list[str]
    exclude: list[str]
    paused_reason: str | None


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


def _label(chat: Chat) -> str:
    return f"@{chat.username}" if chat.username else (chat.title or str(chat.id))


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


class ChannelService:
    """Channel settings, changed by the chat's administrators or the bot's operators (telegram.admins).

    `chat_ref` is '@name' or a numeric chat id; None when the command named no chat in a private chat.
    """

    def __init__(self, runtime: Runtime, bot: Bot, scheduler: Scheduler, summaries: SummaryService,
                 outbox: Outbox, digests: DigestService) -> None:
        self._runtime = runtime
        self._sessions = runtime.sessions
        self._bot = bot
        self._scheduler = scheduler
        self._summaries = summaries
        self._outbox = outbox
        self._digests = digests
        self._operators = set(runtime.settings.telegram.admins)
        self._guard = partial(check_public_url, allow_private=runtime.settings.security.allow_private_urls)

    # -- reading ------------------------------------------------------------------------------

    async def feeds(self, user_id: int, chat_ref: str | int | None) -> tuple[str, list[FeedInfo]]:
        chat = await self._authorize(user_id, chat_ref)
        async with self._sessions() as session:
            channel = await self._existing(session, chat)
            return _label(chat), [_feed_info(feed) for feed in await self._channel_feeds(session, channel)]

    async def status(self, user_id: int, chat_ref: str | int | None) -> Status:
        """A channel's status for its admins; with no chat named, the whole bot's for its operators."""
        if chat_ref is None and user_id not in self._operators:
            raise Refusal("target_needed")
        chat = await self._authorize(user_id, chat_ref) if chat_ref is not None else None
        async with self._sessions() as session:
            channel_count = await session.scalar(select(func.count()).select_from(Channel))
            if chat is None:
                info, feeds = None, list(await session.scalars(select(Feed).order_by(Feed.name)))
            else:
                channel = await self._existing(session, chat)
                info, feeds = self._info(chat, channel), await self._channel_feeds(session, channel)
        backend = self._runtime.backend
        return Status(info, [_feed_info(feed) for feed in feeds], channel_count, await self._outbox.unsent(),
                      self._summaries.waiting, backend.model_name if backend else None)

    async def export_opml(self, user_id: int, chat_ref: str | int | None) -> tuple[str, bytes]:
        chat = await self._authorize(user_id, chat_ref)
        async with self._sessions() as session:
            feeds = await self._channel_feeds(session, await self._existing(session, chat))
        label = _label(chat)
        return label, build_opml(f"briefbot feeds for {label}", [OpmlFeed(f.title or f.name, f.url) for f in feeds])

    # -- changing -----------------------------------------------------------------------------

    async def add_feed(self, user_id: int, chat_ref: str | int | None, url: str) -> tuple[str, FeedInfo]:
        """Check the link is a readable feed (one fetch), then add it to the channel."""
        chat = await self._authorize(user_id, chat_ref)
        try:
            url = await self._guard(url)
            result = await self._runtime.fetcher.fetch(url, guard=self._guard)
            parsed = await asyncio.to_thread(
                parse_feed, result.body or b"", url=result.url, content_type=result.content_type, fetched_at=utcnow()
            )
        except UnsafeURLError as exc:
            raise Refusal("unsafe_link", reason=str(exc)) from None
        except FetchError as exc:
            raise Refusal("feed_fetch_failed", reason=str(exc)) from None
        except FeedParseError as exc:
            raise Refusal("not_a_feed", reason=str(exc)) from None
        async with self._changing(chat, user_id) as (session, channel):
            taken = await self._feed_names(session)
            feed, _ = await self._catalogue_feed(session, OpmlFeed(parsed.title or "", url), channel, taken)
        return _label(chat), _feed_info(feed)

    async def remove_feed(self, user_id: int, chat_ref: str | int | None, name: str) -> str:
        chat = await self._authorize(user_id, chat_ref)
        async with self._sessions.begin() as session:
            channel = await self._existing(session, chat)
            names = [feed.name for feed in await self._channel_feeds(session, channel)]
            if name not in names:
                raise Refusal("feed_not_found", chat=_label(chat), name=name)
            self._changed(channel, user_id)
            channel.feeds = [other for other in names if other != name]
            await session.flush()
            await self._forget_unused_feed(session, name)
        return _label(chat)

    async def set_language(self, user_id: int, chat_ref: str | int | None, code: str) -> ChannelInfo:
        language = language_code(code)
        if language is None:
            raise Refusal("bad_language", code=code)
        chat = await self._authorize(user_id, chat_ref)
        async with self._changing(chat, user_id) as (_, channel):
            channel.language = language
        return self._info(chat, channel)

    async def set_schedule(
        self, user_id: int, chat_ref: str | int | None, at: str, timezone: str | None
    ) -> ChannelInfo:
        """A daily digest at `at` (HH:MM) in `timezone`, or in the channel's current zone when None."""
        chat = await self._authorize(user_id, chat_ref)
        async with self._changing(chat, user_id) as (_, channel):
            zone = timezone or channel.schedule.get("timezone", "UTC")
            try:
                schedule = DigestSchedule(at=_padded(at), timezone=zone)
            except ValidationError as exc:
                raise Refusal("bad_schedule", reason=exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
            channel.schedule = schedule.model_dump(exclude_none=True)
        return self._info(chat, channel)

    async def set_filters(self, user_id: int, chat_ref: str | int | None, rules: list[str]) -> ChannelInfo:
        """'+word' must appear, '-word' must not ('/regex/' works too); 'clear' drops all filters."""
        chat = await self._authorize(user_id, chat_ref)
        async with self._changing(chat, user_id) as (_, channel):
            include, exclude = list(channel.include), list(channel.exclude)
            for rule in rules:
                if rule.lower() == "clear":
                    include, exclude = [], []
                    continue
                sign, word = rule[:1], rule[1:]
                if sign not in "+-" or not word:
                    raise Refusal("bad_filters", rule=rule)
                try:
                    compile_rule(word)
                except re.error as exc:
                    raise Refusal("bad_regex", rule=word, reason=str(exc)) from None
                (include if sign == "+" else exclude).append(word)
            channel.include, channel.exclude = list(dict.fromkeys(include)), list(dict.fromkeys(exclude))
        return self._info(chat, channel)

    async def import_opml(self, user_id: int, chat_ref: str | int | None, document: Document) -> ImportResult:
        """Add the feeds of an OPML file (checked against the URL guard; the poller reports feeds that fail)."""
        chat = await self._authorize(user_id, chat_ref)
        if (document.file_size or 0) > MAX_OPML_BYTES:
            raise Refusal("opml_too_big", limit=MAX_OPML_BYTES // 1000)
        data = bytes(await (await document.get_file()).download_as_bytearray())
        try:
            listed = parse_opml(data)[: MAX_IMPORTED_FEEDS + 1]
        except OpmlError as exc:
            raise Refusal("bad_opml", reason=str(exc)) from None
        if len(listed) > MAX_IMPORTED_FEEDS:
            raise Refusal("opml_too_many", limit=MAX_IMPORTED_FEEDS)
        # Each check resolves a host name: up to MAX_IMPORTED_FEEDS of them, at once.
        checked = await asyncio.gather(*(self._guard(feed.url) for feed in listed), return_exceptions=True)
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
        return ImportResult(_label(chat), added, known, refused)

    async def post_digest_now(self, user_id: int, chat_ref: str | int | None) -> DigestOutcome:
        """The channel's next digest, now; this also resumes a channel paused after a posting failure."""
        chat = await self._authorize(user_id, chat_ref)
        async with self._sessions() as session:
            channel = await self._existing(session, chat)
        stories, sent = await self._digests.post_next(channel.id, resume=True)
        return DigestOutcome(_label(chat), stories, sent)

    # -- helpers ------------------------------------------------------------------------------

    async def _authorize(self, user_id: int, chat_ref: str | int | None) -> Chat:
        """The chat, if the user may manage it: an administrator there, or one of the bot's operators."""
        if chat_ref is None:
            raise Refusal("target_needed")
        try:
            chat = await self._bot.get_chat(chat_ref)
        except BadRequest:
            raise Refusal("chat_not_found", chat=chat_ref) from None
        except Forbidden:
            raise Refusal("bot_not_in_chat", chat=chat_ref) from None
        if chat.type == ChatType.PRIVATE:
            raise Refusal("target_needed")
        if user_id in self._operators:
            return chat
        try:
            member = await self._bot.get_chat_member(chat.id, user_id)
        except TelegramError:
            raise Refusal("not_admin", chat=_label(chat)) from None
        if member.status not in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR):
            raise Refusal("not_admin", chat=_label(chat))
        return chat

    @staticmethod
    async def _find(session: AsyncSession, chat: Chat) -> Channel | None:
        """The channel entry for a chat, whether the config names it by @name or by id."""
        keys = [str(chat.id)] + ([f"@{chat.username}".lower()] if chat.username else [])
        return await session.scalar(select(Channel).where(func.lower(Channel.chat).in_(keys)).limit(1))

    async def _existing(self, session: AsyncSession, chat: Chat) -> Channel:
        channel = await self._find(session, chat)
        if channel is None:
            raise Refusal("channel_unknown", chat=_label(chat))
        return channel

    @asynccontextmanager
    async def _changing(self, chat: Chat, user_id: int) -> AsyncIterator[tuple[AsyncSession, Channel]]:
        """The chat's channel entry to change in the block, created on its first setting (a daily digest
        at 08:00 UTC); once the change is committed, the digest job follows it."""
        async with self._sessions.begin() as session:
            channel = await self._find(session, chat)
            if channel is None:
                channel = Channel(chat=str(chat.id), language="en", schedule=dict(DEFAULT_SCHEDULE), feeds=[],
                                  include=[], exclude=[], max_stories=10)
                session.add(channel)
            self._changed(channel, user_id)
            yield session, channel
        self._scheduler.schedule_digest(channel.id, channel.schedule)

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
            feed = Feed(name=_feed_name(wanted.title, wanted.url, taken), url=wanted.url, title=wanted.title or None,
                        interval=DEFAULT_FEED_INTERVAL, from_config=False)
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

    def _info(self, chat: Chat, channel: Channel) -> ChannelInfo:
        return ChannelInfo(
            _label(chat), channel.language, dict(channel.schedule), self._scheduler.next_digest(channel.id),
            list(channel.include), list(channel.exclude), channel.paused_reason,
        )


def _padded(at: str) -> str:
    """'8:00' -> '08:00'."""
    return f"0{at}" if re.fullmatch(r"\d:\d\d", at) else at


# -- digests and feeds ---------------------------------------------------------------------------


class DigestService:
    def __init__(self, runtime: Runtime, outbox: Outbox, metrics: Metrics) -> None:
        self._runtime = runtime
        self._outbox = outbox
        self._metrics = metrics

    async def post_next(self, channel_id: int, *, resume: bool = False) -> tuple[int, int]:
        """Build the channel's next digest, queue it and send it; returns (stories, messages sent).

        A paused channel gets nothing unless `resume` (an admin asked for the digest).
        """
        sessions = self._runtime.sessions
        async with sessions.begin() as session:
            channel = await session.get(Channel, channel_id)
            if channel is None or (channel.paused_reason and not resume):
                return 0, 0
            if channel.paused_reason:
                log.info("channel %s resumed (was paused: %s)", channel.chat, channel.paused_reason)
                channel.paused_reason = None
        backend = self._runtime.backend
        if backend is None:
            raise Refusal("model_loading")
        summaries = StorySummaries(sessions, backend, self._runtime.settings.model.max_chars)
        digest = await build_digest(sessions, channel, summaries)
        stories = len(digest.items)
        if digest.items:
            try:
                async with sessions() as session:
                    await commit_digest(session, channel, digest)
            except IntegrityError:  # another bot process posted these stories a moment ago
                log.info("channel %s: digest already posted by another process", channel.chat)
                stories = 0
            else:
                self._metrics.summaries.labels("digest").inc(sum(1 for item in digest.items if item.summary))
        async with sessions.begin() as session:
            await session.execute(update(Channel).where(Channel.id == channel_id).values(last_digest_at=utcnow()))
        return stories, await self._outbox.send_channel(channel_id)


class FeedService:
    def __init__(self, runtime: Runtime, metrics: Metrics) -> None:
        self._runtime = runtime
        self._metrics = metrics

    async def poll_due(self) -> int:
        """Poll the feeds that are due, then group new articles into stories; returns new articles."""
        async with self._runtime.sessions() as session:
            due = await feeds_due(session, utcnow())
        if not due:
            return 0
        outcomes = await self._runtime.poll_feeds(due)
        self._metrics.feeds_polled.inc(len(outcomes))
        self._metrics.fetch_errors.inc(sum(1 for outcome in outcomes if outcome.error))
        new = sum(outcome.new_articles for outcome in outcomes)
        if new:
            async with self._runtime.sessions() as session:
                embedder = await self._runtime.load_embedder()
                await group_new_articles(session, embedder, embed_time=EMBED_TIME_PER_ROUND)
        return new


class PauseNotices:
    """Tells a paused channel's owner (or, for channels from the config, the operators) in a private message."""

    def __init__(self, runtime: Runtime, bot: Bot) -> None:
        self._sessions = runtime.sessions
        self._bot = bot
        self._operators = runtime.settings.telegram.admins

    async def __call__(self, channel_id: int, reason: str) -> None:
        async with self._sessions() as session:
            channel = await session.get(Channel, channel_id)
            if channel is None:
                return
            recipients = [channel.owner_id] if channel.owner_id else list(self._operators)
            chosen = await session.execute(select(User.id, User.language).where(User.id.in_(recipients)))
            languages = dict(chosen.all())
        for user_id in recipients:
            language = languages.get(user_id, channel.language)
            notice = messages.text(language, "channel_paused", chat=channel.chat, reason=reason)
            try:
                await self._bot.send_message(user_id, notice, parse_mode=ParseMode.HTML)
            except TelegramError as exc:
                log.warning("could not tell user %s that %s is paused: %s", user_id, channel.chat, exc)


# -- the whole ----------------------------------------------------------------------------------


@dataclass
class Services:
    runtime: Runtime
    metrics: Metrics
    scheduler: Scheduler
    outbox: Outbox
    users: UserService
    summaries: SummaryService
    channels: ChannelService
    digests: DigestService
    feeds: FeedService

    async def health(self) -> tuple[bool, dict]:
        """For /healthz: the database answers, the model is loaded, when feeds were last polled."""
        try:
            async with self.runtime.sessions() as session:
                last_poll = await session.scalar(select(func.max(Feed.last_polled_at)))
        except Exception as exc:  # any database failure means unhealthy, whatever the driver calls it
            log.warning("health check: database failed: %s", exc)
            return False, {"db": False, "model_loaded": self.runtime.backend is not None, "last_poll": None}
        loaded = self.runtime.backend is not None
        return loaded, {"db": True, "model_loaded": loaded, "last_poll": last_poll.isoformat() if last_poll else None}

    async def metrics_body(self) -> bytes:
        return self.metrics.render({"summarize": self.summaries.waiting, "outbox": await self.outbox.unsent()})


def build_services(runtime: Runtime, bot: Bot, scheduler: Scheduler, limits: Limits) -> Services:
    metrics = Metrics()
    outbox = Outbox(runtime.sessions, bot, metrics, on_paused=PauseNotices(runtime, bot))
    summaries = SummaryService(runtime, metrics, limits)
    digests = DigestService(runtime, outbox, metrics)
    channels = ChannelService(runtime, bot, scheduler, summaries, outbox, digests)
    return Services(runtime, metrics, scheduler, outbox, UserService(runtime), summaries, channels, digests,
                    FeedService(runtime, metrics))


SERVICES = "services"


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    """The context handlers and jobs get: PTB's, plus the services and the sender's language."""

    @property
    def services(self) -> Services:
        return self.bot_data[SERVICES]

    @property
    def language(self) -> str:
        """Set for each update by the handlers' first step (see bot.telegram.handlers.remember_language)."""
        return (self.user_data or {}).get("language", "en")
