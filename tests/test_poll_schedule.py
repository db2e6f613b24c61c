"""The running bot polls a feed when it is due, not a round later."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from tests.botharness import bot_settings, running_bot
from tests.feedserver import FeedServer

EMPTY_FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><link>https://wire.example/</link></channel></rss>'
INTERVAL = 3  # seconds
DUE_WITHIN = 5  # seconds after its due time a feed is fetched


async def test_a_due_feed_is_polled_within_seconds_of_its_due_time(tmp_path, fake_api):
    fetched: list[float] = []

    async def feed(request: web.Request) -> web.Response:
        fetched.append(time.monotonic())
        return web.Response(body=EMPTY_FEED, content_type="application/rss+xml")

    async with FeedServer() as server:
        server.route("/wire.xml", feed)
        settings = bot_settings(tmp_path, fake_api, feeds=[{"name": "wire", "url": server.url("/wire.xml"),
                                                            "interval": f"{INTERVAL}s"}],
                                security={"allow_private_urls": True})
        async with running_bot(settings):
            waited = time.monotonic()
            while len(fetched) < 5 and time.monotonic() - waited < 120:
                await asyncio.sleep(0.1)

    # The first round also starts the parse workers and loads the embedder (half a minute on a busy
    # machine), and the next round waits for it; the rounds after that are the bot's usual pace.
    gaps = [later - earlier for earlier, later in zip(fetched[1:], fetched[2:])]
    assert len(gaps) == 3
    # Due INTERVAL after the previous poll began, fetched within 5 s of that: a round looks every
    # POLL_EVERY seconds, and the poll itself may take a second on a busy machine.
    assert max(gaps) <= INTERVAL + DUE_WITHIN
