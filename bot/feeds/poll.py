"""Polling one feed: fetch, parse, keep every new entry as an article (full text when it is a teaser)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.feeds.backoff import next_poll
from bot.feeds.dedupe import bands, near_duplicates
from bot.feeds.fingerprint import Fingerprint, fingerprint
from bot.feeds.parse import FeedEntry, FeedParseError, parse_feed
from bot.feeds.teaser import is_teaser
from bot.store.tables import Article, Feed, SimhashBand
from web.extract import ExtractError, extract_article, stub_kind
from web.fetch import Fetcher, FetchError
from web.pool import ParseFailed, ParsePool
from web.urlguard import check_public_url, host_of

log = logging.getLogger(__name__)

# Syndicated copies of a story appear within days of each other.
DUPLICATE_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class PollOutcome:
    feed: str
    new_articles: int = 0
    not_modified: bool = False
    error: str | None = None  # the feed could not be read this time
    problem: str | None = None  # read, but something was wrong (bozo XML, pages that failed)


def text_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.lower().split()).encode()).hexdigest()


def normalise_url(url: str | None) -> str | None:
    """Scheme and host lower-cased, fragment and trailing slash dropped: one key per page."""
    if not url:
        return None
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/") or "/", parts.query, ""))


class Poller:
    """Fetching happens here, on the event loop; parsing, extraction and language detection in `parsers`."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], fetcher: Fetcher, parsers: ParsePool, *,
        allow_private_urls: bool = False,
    ) -> None:
        self._sessions = sessions
        self._fetcher = fetcher
        self._parsers = parsers
        self._allow_private_urls = allow_private_urls

    def _guard(self, feed: Feed):
        """The check of every URL a poll fetches, at every hop: a redirect or a teaser link cannot make
        the bot fetch a private address. A feed from the config file may be on its owner's network:
        its own host passes, but not the other hosts its entries link to, which whoever writes the
        feed chooses."""
        trusted_host = host_of(feed.url) if feed.from_config else None
        return partial(check_public_url, allow_private=self._allow_private_urls, trusted_host=trusted_host)

    async def poll(self, feed: Feed, *, now: datetime | None = None) -> PollOutcome:
        now = now or datetime.now(UTC)
        trusted_files = feed.from_config and feed.url.startswith("file:")
        try:
            result = await self._fetcher.fetch(
                feed.url, etag=feed.etag, last_modified=feed.last_modified, allow_file=trusted_files,
                guard=self._guard(feed),
            )
            if result.status == 304:
                await self._record(feed.id, now, ok=True)
                return PollOutcome(feed.name, not_modified=True)
            parsed = await self._parsers.run(
                parse_feed, result.body or b"", url=result.url, content_type=result.content_type, fetched_at=now
            )
        except (FetchError, FeedParseError, ParseFailed) as exc:
            error = f"the feed {exc}" if isinstance(exc, ParseFailed) else str(exc)
            retry_after = exc.retry_after if isinstance(exc, FetchError) else None
            await self._record(feed.id, now, ok=False, error=error, retry_after=retry_after)
            return PollOutcome(feed.name, error=error)
        # An entry that is itself a cookie wall or an error page (a scraper's feed) is no story. Only
        # new entries are looked at: the check scans each text, and most entries of a feed were seen.
        new_entries = [entry for entry in await self._unseen(feed.id, parsed.entries)
                       if not stub_kind(entry.title, entry.content or entry.summary)]
        articles, page_errors = await self._articles(feed, new_entries, allow_file=trusted_files)
        added = await self._store(articles)
        problems = [p for p in [parsed.problem, *page_errors[:3]] if p]
        problem = "; ".join(problems) if problems else None
        await self._record(
            feed.id, now, ok=True, problem=problem, etag=result.etag,
            last_modified=result.last_modified, title=parsed.title,
        )
        return PollOutcome(feed.name, new_articles=added, problem=problem)

    async def _unseen(self, feed_id: int, entries: list[FeedEntry]) -> list[FeedEntry]:
        if not entries:
            return []
        async with self._sessions() as session:
            seen = set(
                await session.scalars(
                    select(Article.guid).where(
                        Article.feed_id == feed_id, Article.guid.in_([e.guid for e in entries])
                    )
                )
            )
        return [entry for entry in entries if entry.guid not in seen]

    async def _articles(self, feed: Feed, entries: list[FeedEntry], *, allow_file: bool):
        """The entries as articles, and what went wrong with their pages or texts (one line each)."""
        guard = self._guard(feed)
        made = await asyncio.gather(*(self._article(feed, entry, allow_file, guard) for entry in entries))
        return [article for article, _ in made], [f"{article.url}: {error}" for article, error in made if error]

    async def _article(self, feed: Feed, entry: FeedEntry, allow_file: bool, guard) -> tuple[Article, str | None]:
        text, canonical, extract_error = await self._full_text(entry, allow_file, guard)
        error = extract_error
        try:
            traits = await self._parsers.run(fingerprint, entry.title, text)
        except ParseFailed as exc:
            # Stored all the same: without a language, and never taken for a near-copy.
            traits, error = Fingerprint(language=None, simhash=None), error or f"language detection {exc}"
        article = Article(
            feed_id=feed.id,
            guid=entry.guid,
            url=entry.link,
            canonical_url=normalise_url(canonical or entry.link),
            title=entry.title,
            text=text,
            text_hash=text_hash(text or entry.title),
            simhash=traits.simhash,
            language=traits.language,
            published_at=entry.published,
            extract_error=extract_error,
        )
        return article, error

    async def _full_text(self, entry: FeedEntry, allow_file: bool, guard) -> tuple[str, str | None, str | None]:
        """(text, canonical URL, error): the linked page's article when the feed only has a teaser."""
        body = entry.content or entry.summary
        if not entry.link or not is_teaser(entry):
            return body, None, None
        if entry.link.startswith("file:") and not allow_file:
            return body, None, "file: links are only followed in file: feeds"
        try:
            page = await self._fetcher.fetch(entry.link, expect="page", allow_file=allow_file, guard=guard)
            extracted = await self._parsers.run(extract_article, page.body or b"", url=page.url)
        except (FetchError, ExtractError) as exc:
            return body, None, str(exc)
        except ParseFailed as exc:
            return body, None, f"the page {exc}"
        return extracted.text, extracted.canonical_url or page.url, None

    async def _store(self, articles: list[Article]) -> int:
        """Insert new articles, marking copies of a page or text already stored from another feed."""
        if not articles:  # a feed answering 200 with nothing new: no write transaction
            return 0
        added = 0
        async with self._sessions() as session:
            for article in articles:
                article.duplicate_of = await self._original_of(session, article)
                try:
                    async with session.begin_nested():
                        session.add(article)
                        await session.flush()
                        if article.simhash is not None:
                            session.add_all(
                                SimhashBand(article_id=article.id, band=band, value=value)
                                for band, value in bands(article.simhash)
                            )
                    added += 1
                except IntegrityError:  # another poller stored it first
                    continue
            await session.commit()
        return added

    @staticmethod
    async def _original_of(session: AsyncSession, article: Article) -> int | None:
        """An earlier article with the same page, the same text, or a near-identical text."""
        same = [Article.text_hash == article.text_hash]
        if article.canonical_url:
            same.append(Article.canonical_url == article.canonical_url)
        exact = await session.scalar(
            select(Article.id).where(or_(*same), Article.duplicate_of.is_(None)).order_by(Article.id).limit(1)
        )
        if exact is not None or article.simhash is None:
            return exact
        same_band = or_(*(and_(SimhashBand.band == band, SimhashBand.value == value) for band, value in bands(article.simhash)))
        candidates = await session.execute(
            select(Article.id, Article.simhash)
            .join(SimhashBand, SimhashBand.article_id == Article.id)
            .where(
                same_band,
                Article.duplicate_of.is_(None),
                Article.published_at >= article.published_at - DUPLICATE_WINDOW,
            )
            .distinct()
            .order_by(Article.id)
        )
        return next((id_ for id_, other in candidates if near_duplicates(article.simhash, other)), None)

    async def _record(
        self, feed_id: int, now: datetime, *, ok: bool, error: str | None = None, problem: str | None = None,
        etag: str | None = None, last_modified: str | None = None, title: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        async with self._sessions() as session:
            feed = await session.get(Feed, feed_id)
            if feed is None:  # removed while it was being polled
                return
            feed.last_polled_at = now
            if ok:
                feed.last_ok_at, feed.last_error = now, problem
                feed.etag, feed.last_modified = etag or feed.etag, last_modified or feed.last_modified
                feed.title = title or feed.title
            else:
                feed.last_error = error
            following = next_poll(now, feed.interval, feed.failures, ok=ok, retry_after=retry_after)
            feed.next_poll_at, feed.failures = following.at, following.failures
            await session.commit()
        if error:
            log.warning("feed %s: %s", feed_id, error)


async def poll_all(poller: Poller, feeds: list[Feed], concurrency: int) -> list[PollOutcome]:
    """Poll feeds together, at most `concurrency` at once: more would only queue for a store
    connection and time out. One feed's store trouble is its own error, not the round's."""
    slots = asyncio.Semaphore(concurrency)

    async def poll(feed: Feed) -> PollOutcome:
        async with slots:
            try:
                return await poller.poll(feed)
            except SQLAlchemyError as exc:
                log.exception("feed %s: store error", feed.name)
                return PollOutcome(feed.name, error=f"store error: {exc.__class__.__name__}")

    return list(await asyncio.gather(*(poll(feed) for feed in feeds)))
