"""Poller against a local feed server and a scratch SQLite store: what a poll stores and records."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
import pytest_asyncio
from aiohttp import web

from bot.feeds.poll import Poller, PollOutcome
from config.settings import FetchSettings
from tests.feedserver import FeedServer, Handler, dripping, replies, reply
from tests.poll.harness import (
    HTML_TYPE,
    INTERVAL,
    NOW,
    RSS_TYPE,
    Item,
    Sessions,
    add_feed,
    articles_of,
    full_text,
    reload,
    rss,
    serving,
    story,
)
from web.extract import stub_kind
from web.fetch import Fetcher, create_session
from web.pool import ParsePool

# One event loop for the module, so its tests share one parse pool (conftest.py).
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module")
async def poller(sessions: Sessions, parsers: ParsePool) -> AsyncIterator[Poller]:
    # One loopback host: no politeness delay; short timeouts and one quick retry keep failures fast.
    settings = FetchSettings(host_delay=0, retries=1, connect_timeout=1, read_timeout=0.3, max_redirects=3,
                             total_timeout=1)
    async with create_session(settings) as http:
        yield Poller(sessions, Fetcher(http, settings, backoff=0.01), parsers)


# --- conditional GET and new entries ------------------------------------------------------------------


async def test_etag_is_stored_and_the_second_poll_is_a_304_with_no_new_articles(server, sessions, poller):
    async def handler(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304)
        return web.Response(body=rss(story(1), story(2)), headers={**RSS_TYPE, "ETag": '"v1"'})

    server.route("/feed.xml", handler)
    feed = await add_feed(sessions, "etag", server.url("/feed.xml"))
    first = await poller.poll(feed, now=NOW)
    after_first = await reload(sessions, feed)
    second = await poller.poll(after_first, now=NOW + timedelta(minutes=15))
    after_second = await reload(sessions, feed)

    assert first == PollOutcome("etag", new_articles=2)
    assert after_first.etag == '"v1"' and after_first.title == "Test feed"
    assert second == PollOutcome("etag", not_modified=True)
    assert server.headers[-1]["If-None-Match"] == '"v1"'
    assert len(await articles_of(sessions, feed)) == 2
    assert after_second.etag == '"v1"'  # a 304 without validators keeps the stored ones
    assert after_second.next_poll_at == NOW + timedelta(minutes=15, seconds=INTERVAL)


async def test_every_entry_is_kept_when_150_arrive_between_polls(server, sessions, poller):
    old = [story(n) for n in range(5)]
    burst = [story(n) for n in range(5, 155)]
    server.route("/feed.xml", replies(serving(*old), serving(*burst, *old)))
    feed = await add_feed(sessions, "busy", server.url("/feed.xml"))
    await poller.poll(feed, now=NOW)
    outcome = await poller.poll(feed, now=NOW + timedelta(minutes=15))

    assert outcome.new_articles == 150
    stored = {article.guid for article in await articles_of(sessions, feed)}
    assert stored == {item.guid for item in old + burst}


async def test_an_entry_seen_before_is_not_stored_again_even_when_edited(server, sessions, poller):
    edited = Item("story-1", "Story 1 (updated)", full_text("a corrected proposal"))
    server.route("/feed.xml", replies(serving(story(1), story(2)), serving(edited, story(2), story(3))))
    feed = await add_feed(sessions, "edits", server.url("/feed.xml"))
    await poller.poll(feed, now=NOW)
    outcome = await poller.poll(feed, now=NOW + timedelta(minutes=15))

    assert outcome.new_articles == 1
    articles = await articles_of(sessions, feed)
    assert [article.guid for article in articles] == ["story-1", "story-2", "story-3"]
    assert articles[0].title == "Story 1"  # the first version stays


# --- teasers ------------------------------------------------------------------------------------------

ARTICLE_PAGE = """<!doctype html>
<html lang="en"><head><title>Budget approved | The Harbour Herald</title>
<link rel="canonical" href="https://herald.example/news/budget-approved/"></head>
<body>
<nav><a href="/">Home</a> <a href="/sport">Sport</a> <a href="/weather">Weather</a></nav>
<aside><p>Subscribe to our newsletter for the best stories of the week, delivered every Friday.</p></aside>
<article>
<h1>Council approves the harbour budget after a long debate</h1>
<p>The city council approved the new harbour budget on Tuesday evening after a debate that lasted
more than six hours, with 31 members voting in favour and 14 against.</p>
<p>The budget sets aside 12 million euros for repairs to the northern quay, which has been closed
to heavy lorries since a section of the wall collapsed during the winter storms.</p>
<p>Opposition members said the plan did too little for the ferry service, whose timetable was cut
last year, and promised to raise the question again at the next meeting in June.</p>
</article>
<footer><p>Copyright 2024 The Harbour Herald. All rights reserved. Cookie settings.</p></footer>
</body></html>"""

# Over 120 characters, as most teasers are: for shorter text the language detector first loads all its
# models, which takes seconds.
TEASER = (
    "The city council approved the new harbour budget on Tuesday evening after a debate that lasted "
    "more than six hours. Repairs to the northern quay come first…"
)


async def test_a_teaser_entry_gets_the_page_text_and_its_canonical_url(server, sessions, poller):
    server.route("/news/budget", reply(ARTICLE_PAGE.encode(), headers=HTML_TYPE))
    teaser = Item("budget", "Council approves budget", TEASER, link=server.url("/news/budget"))
    server.route("/feed.xml", serving(teaser))
    feed = await add_feed(sessions, "teasers", server.url("/feed.xml"))
    outcome = await poller.poll(feed, now=NOW)

    assert outcome == PollOutcome("teasers", new_articles=1)
    [article] = await articles_of(sessions, feed)
    assert "12 million euros for repairs to the northern quay" in article.text
    assert "ferry service" in article.text
    for boilerplate in ("Subscribe to our newsletter", "Copyright 2024", "Weather"):
        assert boilerplate not in article.text
    assert article.canonical_url == "https://herald.example/news/budget-approved"
    assert article.url == server.url("/news/budget")
    assert article.extract_error is None and article.language == "en"


async def test_the_page_of_a_teaser_seen_before_is_not_fetched_again(server, sessions, poller):
    server.route("/news/budget", reply(ARTICLE_PAGE.encode(), headers=HTML_TYPE))
    teaser = Item("budget", "Council approves budget", TEASER, link=server.url("/news/budget"))
    server.route("/feed.xml", serving(teaser))  # no ETag: the feed comes in full every time
    feed = await add_feed(sessions, "teasers", server.url("/feed.xml"))
    await poller.poll(feed, now=NOW)
    second = await poller.poll(feed, now=NOW + timedelta(minutes=15))

    assert second == PollOutcome("teasers", new_articles=0)
    assert server.hits["/feed.xml"] == 2 and server.hits["/news/budget"] == 1


async def test_a_teaser_whose_page_is_missing_keeps_the_teaser_and_records_why(server, sessions, poller):
    link = server.url("/news/gone")  # no route: the feed server answers 404
    server.route("/feed.xml", serving(Item("gone", "Council approves budget", TEASER, link=link)))
    feed = await add_feed(sessions, "teasers", server.url("/feed.xml"))
    outcome = await poller.poll(feed, now=NOW)

    assert outcome == PollOutcome("teasers", new_articles=1, problem=f"{link}: HTTP 404")
    [article] = await articles_of(sessions, feed)
    assert article.text == TEASER
    assert article.extract_error == "HTTP 404"
    assert (await reload(sessions, feed)).last_error == outcome.problem


async def test_a_configured_feed_on_a_private_host_has_its_links_fetched_on_that_host_only(server, sessions, poller):
    page = reply(ARTICLE_PAGE.encode(), headers=HTML_TYPE)
    async with FeedServer(host="127.0.0.2") as elsewhere:  # another loopback address: an internal service
        elsewhere.route("/secret", page)
        server.route("/news/budget", page)
        server.route("/moved", reply(status=302, headers={"Location": elsewhere.url("/secret")}))
        links = {
            "own-host": server.url("/news/budget"),
            "other-address": elsewhere.url("/secret"),
            "redirected": server.url("/moved"),
            "other-name": server.url("/news/budget").replace("127.0.0.1", "localhost"),
        }
        teasers = [Item(guid, f"Budget {guid}", TEASER, link) for guid, link in links.items()]
        server.route("/feed.xml", serving(*teasers))
        feed = await add_feed(sessions, "intranet", server.url("/feed.xml"))  # from the config file
        await poller.poll(feed, now=NOW)

    articles = {article.guid: article for article in await articles_of(sessions, feed)}
    assert "12 million euros for repairs to the northern quay" in articles["own-host"].text
    assert articles["own-host"].extract_error is None
    refused = "127.0.0.2 points to a private or reserved address (127.0.0.2)"
    assert {guid: (articles[guid].text, articles[guid].extract_error) for guid in links if guid != "own-host"} == {
        "other-address": (TEASER, refused),
        "redirected": (TEASER, refused),
        "other-name": (TEASER, "localhost is this machine"),
    }
    assert elsewhere.hits["/secret"] == 0 and server.hits["/news/budget"] == 1


CONSENT_PAGE = """<!DOCTYPE html><html lang="en"><head><title>Before you continue</title></head><body><main><article>
<h1>We value your privacy</h1>
<p>We and our 842 partners store and/or access information on a device, such as cookies, and process personal
data, such as unique identifiers, for personalised ads and content, ad and content measurement and audience insights.</p>
<p>You can accept or manage your choices by clicking below, including your right to object.</p>
<p>Accept all</p><p>Reject all</p><p>Manage options</p>
</article></main></body></html>"""


async def test_a_teaser_whose_page_is_a_consent_wall_keeps_the_teaser(server, sessions, poller):
    server.route("/news/budget", reply(CONSENT_PAGE.encode(), headers=HTML_TYPE))
    link = server.url("/news/budget")
    server.route("/feed.xml", serving(Item("budget", "Council approves budget", TEASER, link=link)))
    feed = await add_feed(sessions, "teasers", server.url("/feed.xml"))
    outcome = await poller.poll(feed, now=NOW)

    assert outcome.new_articles == 1
    [article] = await articles_of(sessions, feed)
    assert article.text == TEASER
    assert article.extract_error == "the page is a cookie or consent page, not an article"


async def test_an_entry_that_is_itself_a_cookie_wall_is_not_stored(server, sessions, poller):
    wall = Item("wall", "The Courier Mail No Cookies", "Please enable cookies in your browser to continue. By continuing "
                "to browse you agree to our use of cookies; see our privacy policy.")
    server.route("/feed.xml", serving(wall, story(1)))
    feed = await add_feed(sessions, "scraped", server.url("/feed.xml"))
    outcome = await poller.poll(feed, now=NOW)

    assert outcome.new_articles == 1
    assert [article.title for article in await articles_of(sessions, feed)] == ["Story 1"]


async def test_only_new_entries_are_checked_for_cookie_walls(server, sessions, poller, monkeypatch):
    checked = []

    def counted(title: str, text: str) -> str | None:
        checked.append(title)
        return stub_kind(title, text)

    server.route("/feed.xml", replies(serving(story(1), story(2)), serving(story(3), story(1), story(2))))
    feed = await add_feed(sessions, "checked", server.url("/feed.xml"))
    await poller.poll(feed, now=NOW)
    monkeypatch.setattr("bot.feeds.poll.stub_kind", counted)
    outcome = await poller.poll(feed, now=NOW + timedelta(minutes=15))

    assert outcome.new_articles == 1
    assert checked == ["Story 3"]


# --- failing feeds ------------------------------------------------------------------------------------


def stalling(server: FeedServer) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        await asyncio.wait_for(server.closing.wait(), 10)
        return web.Response()

    return handler


def redirecting_to_itself(server: FeedServer) -> Handler:
    return reply(status=302, headers={"Location": server.url("/broken.xml")})


CUT_OFF_FEED = b'<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Half</title><ite'
HOME_PAGE = b"<!doctype html><html><body><p>Welcome!</p></body></html>"

FAILURES: dict[str, tuple[Callable[[FeedServer], Handler], str]] = {
    "server-error": (lambda server: reply(status=500), "HTTP 500 after 2 tries"),
    "malformed-xml": (lambda server: reply(CUT_OFF_FEED, headers=RSS_TYPE), "malformed XML: unclosed token at line 2"),
    "html-page": (lambda server: reply(HOME_PAGE, headers=HTML_TYPE), "not a feed (looks like an HTML page)"),
    "redirect-loop": (redirecting_to_itself, "too many redirects"),
    "no-answer": (stalling, "timed out after 0.3 s (2 tries)"),
    "dripping": (dripping, "no complete answer within 1 s"),  # each byte within the read timeout
}


@pytest.mark.parametrize("failure", FAILURES.keys())
async def test_a_failing_feed_backs_off_exponentially_without_affecting_the_others(server, sessions, poller, failure):
    make_handler, error = FAILURES[failure]
    server.route("/broken.xml", make_handler(server))
    server.route("/healthy.xml", serving(story(1), story(2)))
    broken = await add_feed(sessions, "broken", server.url("/broken.xml"))
    healthy = await add_feed(sessions, "healthy", server.url("/healthy.xml"))

    outcomes = await asyncio.gather(poller.poll(broken, now=NOW), poller.poll(healthy, now=NOW))
    assert outcomes == [PollOutcome("broken", error=error), PollOutcome("healthy", new_articles=2)]
    broken = await reload(sessions, broken)
    assert (broken.failures, broken.last_error) == (1, error)
    assert broken.next_poll_at == NOW + timedelta(seconds=2 * INTERVAL)

    later = NOW + timedelta(minutes=5)
    await poller.poll(broken, now=later)
    broken = await reload(sessions, broken)
    assert broken.failures == 2
    assert broken.next_poll_at == later + timedelta(seconds=4 * INTERVAL)

    healthy = await reload(sessions, healthy)
    assert (healthy.failures, healthy.last_error, healthy.last_ok_at) == (0, None, NOW)
    assert len(await articles_of(sessions, healthy)) == 2


async def test_a_feed_asking_to_come_back_in_ten_minutes_is_polled_again_then_not_waited_for(server, sessions, poller):
    server.route("/busy.xml", reply(status=503, headers={"Retry-After": "600"}))
    feed = await add_feed(sessions, "busy", server.url("/busy.xml"))
    outcome = await poller.poll(feed, now=NOW)

    assert outcome == PollOutcome("busy", error="HTTP 503, retry after 600 s")
    assert server.hits["/busy.xml"] == 1
    assert (await reload(sessions, feed)).next_poll_at == NOW + timedelta(seconds=600)  # the back-off is 120 s


# --- copies -------------------------------------------------------------------------------------------


async def test_the_same_text_in_two_feeds_is_stored_twice_and_marked_as_a_duplicate(server, sessions, poller):
    body = full_text("the wire agency's report on the port")
    server.route("/wire.xml", serving(Item("wire-1", "Port report", body, link="https://wire.example/1")))
    server.route("/daily.xml", serving(Item("daily-9", "Port report", body, link="https://daily.example/9")))
    wire = await add_feed(sessions, "wire", server.url("/wire.xml"))
    daily = await add_feed(sessions, "daily", server.url("/daily.xml"))
    await poller.poll(wire, now=NOW)
    await poller.poll(daily, now=NOW)

    [original] = await articles_of(sessions, wire)
    [copy] = await articles_of(sessions, daily)
    assert original.duplicate_of is None
    assert copy.duplicate_of == original.id
