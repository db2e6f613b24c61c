"""Measure polling: many RSS feeds on a local server, polled twice into a fresh SQLite store.

Usage: .venv/bin/python bench/polling.py [--feeds N] [--entries N] [--json]

An aiohttp server on 127.0.0.1, in a child process so it does not share the poller's core, serves
N feeds at /feed/<i>.xml with ETags, their entries written from the multilingual articles in
tests/data/stories.jsonl (full texts, all different, so no article page is fetched and no entry
is a copy). Even feeds never change and answer a conditional GET with 304; odd feeds publish two
entries between polls, so the second poll is mixed: half 304, half 200 with two new entries each. The project's Poller polls every feed at
once through one Fetcher, as Runtime.poll_feeds does, first into the empty store, then again.

All feeds live on one host, so the per-host politeness limits are lifted (host_delay 0, per_host =
concurrency): the numbers show what the poller, parser and store sustain with the overall
concurrency limit as the only bound, which is what many feeds on many hosts come to. Real polling
keeps the defaults (2 requests in flight and 1 s between starts per host), so one slow or busy
host never sees more than that.

Prints one JSON object: the machine, the setup, and per poll {"feeds", "not_modified",
"new_articles", "seconds", "cpu_seconds", "feeds_per_second", "peak_rss_mb", "errors"};
cpu_seconds is the bench process's CPU time over the poll (all its threads), peak_rss_mb its
high-water mark so far (the server process is not counted). Feeds are parsed and articles'
languages detected in a ParsePool (one worker per core); "parse_workers" gives each worker's
high-water mark and CPU time over both polls. On a busy machine, compare CPU times: wall-clock
seconds then mostly say how much of the machine the bench was given.

"bare_loop" is the second poll's work done by a plain loop in the same run, right after it: aiohttp
with the conditional headers the poller stored, at the same concurrency, and feedparser on every
200 answer (the odd feeds answer 200 with two new entries again); "warm_poll_share" is the second
poll's feeds/s as a share of the loop's. --json prints the object on one line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from multiprocessing.connection import Connection
from pathlib import Path
from xml.sax.saxutils import escape

import aiohttp
import feedparser
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine, serve_forever  # noqa: E402
from bot.feeds import fingerprint  # noqa: E402
from bot.feeds.poll import Poller, poll_all  # noqa: E402
from bot.store.db import open_store  # noqa: E402
from bot.store.queries import all_feeds  # noqa: E402
from bot.store.tables import Feed  # noqa: E402
from config.settings import FetchSettings  # noqa: E402
from summarizer.cli.bench import peak_rss_mb  # noqa: E402
from web.fetch import Fetcher, create_session  # noqa: E402
from web.pool import ParsePool  # noqa: E402

ARTICLES = ROOT / "tests" / "data" / "stories.jsonl"
NEW_PER_POLL = 2  # entries an odd feed publishes between two polls
ENTRY_CHARS = 800  # about a short news report; well over a teaser, so no article page is fetched
ROUND_LIMIT = 600.0  # seconds; a poll round that takes longer is abandoned
START = datetime(2026, 11, 20, tzinfo=UTC)


# --- the feed server (child process) ------------------------------------------------------------------


class FeedCatalogue:
    """The feeds' documents, written from the sample articles.

    Feed i writes in one language; each of its entries is a sample title over paragraphs of that
    language's sample articles, picked at random with entry and feed as the seed: every text is
    different, as separate reports are, and none counts as a copy of another.
    """

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self.titles: dict[str, list[str]] = defaultdict(list)
        self.paragraphs: dict[str, list[str]] = defaultdict(list)
        for line in ARTICLES.read_text(encoding="utf-8").splitlines():
            if line:
                article = json.loads(line)
                self.titles[article["language"]].append(article["title"])
                self.paragraphs[article["language"]] += article["text"].split("\n\n")
        self.languages = sorted(self.titles)
        self.polls: Counter[int] = Counter()  # 200 answers per odd feed: how far it has moved on

    def etag(self, feed: int) -> str:
        return f'"{feed}-{self.polls[feed] if feed % 2 else 0}"'

    def document(self, feed: int, base_url: str) -> bytes:
        newest = self.polls[feed] * NEW_PER_POLL + self.entries - 1 if feed % 2 else self.entries - 1
        items = "".join(self._item(feed, k, base_url) for k in range(newest, newest - self.entries, -1))
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Feed {feed}</title><link>{base_url}/</link>{items}</channel></rss>"
        ).encode()

    def _item(self, feed: int, k: int, base_url: str) -> str:
        language = self.languages[feed % len(self.languages)]
        pick = random.Random(feed * 1_000_003 + k)
        paragraphs: list[str] = []
        for paragraph in pick.sample(self.paragraphs[language], len(self.paragraphs[language])):
            paragraphs.append(paragraph)
            if sum(map(len, paragraphs)) >= ENTRY_CHARS:
                break
        text = "\n\n".join(paragraphs)
        published = format_datetime(START + timedelta(minutes=k * 10 + feed % 60))
        return (
            f"<item><title>{escape(pick.choice(self.titles[language]))}</title>"
            f'<link>{base_url}/page/{feed}/{k}</link><guid isPermaLink="false">{feed}-{k}</guid>'
            f"<pubDate>{published}</pubDate><description>{escape(text)}</description></item>"
        )


def serve(entries: int, port_out: Connection) -> None:
    """Run the feed server until the parent terminates this process."""
    catalogue = FeedCatalogue(entries)

    async def feed(request: web.Request) -> web.Response:
        number = int(request.match_info["number"])
        etag = catalogue.etag(number)
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        body = catalogue.document(number, f"http://{request.host}")
        if number % 2:
            catalogue.polls[number] += 1
        return web.Response(body=body, headers={"ETag": etag, "Content-Type": "application/rss+xml; charset=utf-8"})

    app = web.Application()
    app.router.add_get("/feed/{number:\\d+}.xml", feed)
    serve_forever(app, port_out)


# --- the poller (this process) ------------------------------------------------------------------------


async def poll_round(poller: Poller, sessions, concurrency: int) -> dict[str, object]:
    async with sessions() as session:
        feeds = await all_feeds(session)
    started, cpu_started = time.perf_counter(), time.process_time()
    async with asyncio.timeout(ROUND_LIMIT):
        outcomes = await poll_all(poller, feeds, concurrency)
    seconds = time.perf_counter() - started
    errors = [o.error for o in outcomes if o.error]
    for message, count in Counter(errors).most_common(3):
        print(f"{count} x {message[:300]}", file=sys.stderr)
    return {
        "feeds": len(feeds),
        "not_modified": sum(o.not_modified for o in outcomes),
        "new_articles": sum(o.new_articles for o in outcomes),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(time.process_time() - cpu_started, 2),
        "feeds_per_second": round(len(feeds) / seconds, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "errors": len(errors),
    }


async def bare_loop(feeds: list[Feed], concurrency: int) -> dict[str, object]:
    """Fetch every feed once with its stored ETag and parse each 200 answer, nothing else."""
    slots = asyncio.Semaphore(concurrency)

    async def fetch(http: aiohttp.ClientSession, feed: Feed) -> int:
        async with slots:
            headers = {"If-None-Match": feed.etag} if feed.etag else {}
            async with http.get(feed.url, headers=headers) as response:
                body = await response.read()
            if response.status == 200:
                feedparser.parse(body)
            return response.status

    started, cpu_started = time.perf_counter(), time.process_time()
    async with aiohttp.ClientSession() as http:
        statuses = await asyncio.gather(*(fetch(http, feed) for feed in feeds))
    seconds = time.perf_counter() - started
    return {
        "feeds": len(feeds),
        "not_modified": statuses.count(304),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(time.process_time() - cpu_started, 2),
        "feeds_per_second": round(len(feeds) / seconds, 1),
    }


def worker_usage(pause: float) -> tuple[int, float, float]:
    """(pid, peak RSS in MB, CPU seconds) of the parse worker that runs it."""
    time.sleep(pause)
    used = resource.getrusage(resource.RUSAGE_SELF)
    return os.getpid(), round(peak_rss_mb(), 1), round(used.ru_utime + used.ru_stime, 2)


async def measure(base_url: str, feeds: int, folder: Path) -> dict[str, object]:
    engine, sessions = await open_store(f"sqlite+aiosqlite:///{folder}/bench.db")
    settings = FetchSettings(host_delay=0, per_host=FetchSettings().concurrency)
    try:
        async with sessions() as session:
            session.add_all(Feed(name=f"feed-{i}", url=f"{base_url}/feed/{i}.xml") for i in range(feeds))
            await session.commit()
        async with create_session(settings) as http, ParsePool(preload=fingerprint.PRELOAD) as parsers:
            poller = Poller(sessions, Fetcher(http, settings), parsers)
            first = await poll_round(poller, sessions, settings.concurrency)
            second = await poll_round(poller, sessions, settings.concurrency)
            async with sessions() as session:
                bare = await bare_loop(await all_feeds(session), settings.concurrency)
            # Jobs that wait a little, one per slot of the queue: every worker answers.
            usage = {pid: (rss, cpu) for pid, rss, cpu in await asyncio.gather(
                *(parsers.run(worker_usage, 0.5) for _ in range(parsers.queue_bound))
            )}
    finally:
        await engine.dispose()
    return {
        "setup": {
            "store": "SQLite (WAL) in a temporary folder",
            "server": "aiohttp on 127.0.0.1 in a child process",
            "per_host": settings.per_host,
            "host_delay": settings.host_delay,
            "concurrency": settings.concurrency,
        },
        "parse_workers": {
            "workers": len(usage),
            "peak_rss_mb": [rss for rss, _ in usage.values()],
            "cpu_seconds": [cpu for _, cpu in usage.values()],
        },
        "first_poll": first,
        "second_poll": second,
        "bare_loop": bare,
        "warm_poll_share": round(second["feeds_per_second"] / bare["feeds_per_second"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=10, help="entries per feed")
    parser.add_argument("--json", action="store_true", help="the report on one line")
    arguments = parser.parse_args()

    receive_port, send_port = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.Process(target=serve, args=(arguments.entries, send_port), daemon=True)
    server.start()
    try:
        if not receive_port.poll(30):
            raise SystemExit("the feed server did not start")
        base_url = f"http://127.0.0.1:{receive_port.recv()}"
        with tempfile.TemporaryDirectory(prefix="briefbot-bench-") as folder:
            result = asyncio.run(measure(base_url, arguments.feeds, Path(folder)))
    finally:
        server.terminate()
        server.join(5)
    report = {"machine": machine(), "entries_per_feed": arguments.entries, **result}
    print(json.dumps(report, indent=None if arguments.json else 2))


if __name__ == "__main__":
    main()
