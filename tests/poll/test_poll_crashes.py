"""Polls whose parsing crashes a worker process: only the item that crashed it fails.

Also the stress the crashes were first seen under: hundreds of real-looking pages behind teaser
feeds, polled at once with the per-host limits lifted, several times through one pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.feeds import fingerprint
from bot.feeds.poll import Poller, PollOutcome, poll_all
from bot.store.db import open_store
from bot.store.tables import Article, Feed
from config.settings import FetchSettings
from tests.crashingparser import MARKER, abort_on_marker
from tests.feedserver import reply
from tests.newssite import NewsSite
from tests.poll.harness import HTML_TYPE, INTERVAL, NOW, RSS_TYPE, add_feed, articles_of, reload, rss, serving, story
from web.fetch import Fetcher, create_session
from web.pool import ParsePool

pytestmark = pytest.mark.asyncio(loop_scope="module")

CRASH = "the page crashed the parser (SIGABRT)"


@pytest.fixture(scope="module")
def crash_log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("crashes") / "tries.log"


def crashes(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def crashing_parsers(crash_log: Path) -> AsyncIterator[ParsePool]:
    """Workers abort, as on a native crash, on any page or feed that carries MARKER."""
    async with ParsePool(preload=fingerprint.PRELOAD, initializer=partial(abort_on_marker, crash_log)) as pool:
        yield pool


@pytest_asyncio.fixture(loop_scope="module")
async def poller(sessions, crashing_parsers: ParsePool) -> AsyncIterator[Poller]:
    settings = FetchSettings(host_delay=0, per_host=8, retries=0)
    async with create_session(settings) as http:
        yield Poller(sessions, Fetcher(http, settings), crashing_parsers)


async def test_a_page_that_crashes_the_parser_keeps_its_teaser_and_every_other_article_is_stored(
    server, sessions, poller, crash_log
):
    site = NewsSite(feeds=3, entries=8)
    english = 2  # the site's feeds take its sample languages in turn: ar, de, en, ...
    base_url = server.url("/").rstrip("/")
    for entry in range(site.entries):
        page = site.page(english, entry, base_url)
        if entry == 3:
            page = page.replace(b"</article>", MARKER + b"</article>")
        server.route(f"/news/{english}/{entry}.html", reply(page, headers=HTML_TYPE))
    server.route("/feed.xml", reply(site.feed(english, base_url), headers=RSS_TYPE))
    feed = await add_feed(sessions, "site", server.url("/feed.xml"))
    before = crashes(crash_log)
    outcome = await poller.poll(feed, now=NOW)

    crashed_url = f"{base_url}/news/{english}/3.html"
    assert outcome == PollOutcome("site", new_articles=site.entries, problem=f"{crashed_url}: {CRASH}")
    assert crashes(crash_log) - before == 2  # tried once more in a new worker, then given up
    for article in await articles_of(sessions, feed):
        expected = site.article(english, int(article.guid.rsplit("-", 1)[1]))
        assert article.language == "en"
        if article.url == crashed_url:
            assert (article.text, article.extract_error) == (expected.teaser, CRASH)
        else:
            assert article.extract_error is None
            assert all(paragraph[:60] in article.text for paragraph in expected.paragraphs)


async def test_a_feed_that_crashes_the_parser_fails_and_backs_off_alone(server, sessions, poller, crash_log):
    crashing = rss(story(1)).replace(b"<channel>", b"<channel>" + MARKER)
    server.route("/broken.xml", reply(crashing, headers=RSS_TYPE))
    server.route("/healthy.xml", serving(story(1), story(2)))
    broken = await add_feed(sessions, "broken", server.url("/broken.xml"))
    healthy = await add_feed(sessions, "healthy", server.url("/healthy.xml"))
    before = crashes(crash_log)
    outcomes = await asyncio.gather(poller.poll(broken, now=NOW), poller.poll(healthy, now=NOW))

    error = "the feed crashed the parser (SIGABRT)"
    assert outcomes == [PollOutcome("broken", error=error), PollOutcome("healthy", new_articles=2)]
    assert crashes(crash_log) - before == 2
    broken = await reload(sessions, broken)
    assert (broken.failures, broken.last_error, broken.next_poll_at) == (1, error, NOW + timedelta(seconds=2 * INTERVAL))
    assert len(await articles_of(sessions, healthy)) == 2


async def test_hundreds_of_real_looking_pages_polled_at_once_several_times_crash_no_worker(
    tmp_path, parsers: ParsePool, caplog
):
    site = NewsSite(feeds=10, entries=20)
    settings = FetchSettings(host_delay=0, per_host=32, concurrency=32)
    async with TestServer(site.app(), host="127.0.0.1") as web_server:
        for round_number in range(3):
            engine, sessions = await open_store(f"sqlite+aiosqlite:///{tmp_path}/round-{round_number}.db")
            try:
                async with sessions() as session:
                    session.add_all(
                        Feed(name=f"site-{n}", url=str(web_server.make_url(f"/feed/{n}.xml"))) for n in range(site.feeds)
                    )
                    await session.commit()
                    feeds = list(await session.scalars(select(Feed)))
                async with create_session(settings) as http:
                    poller = Poller(sessions, Fetcher(http, settings), parsers)
                    outcomes = await poll_all(poller, feeds, settings.concurrency)
                async with sessions() as session:
                    articles = list(await session.scalars(select(Article)))
            finally:
                await engine.dispose()
            assert [(o.new_articles, o.error, o.problem) for o in outcomes] == [(site.entries, None, None)] * site.feeds
            assert len(articles) == len(site.pages())
            for article in articles:
                _, feed_number, entry = article.guid.split("-")
                expected = site.article(int(feed_number), int(entry))
                assert article.extract_error is None and article.language == expected.language
                assert expected.paragraphs[-1][:60] in article.text
    assert not [record for record in caplog.records if "parse worker died" in record.message]
