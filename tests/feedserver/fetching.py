"""The fetcher as feed tests use it against the local server: no politeness delay, quick back-off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from config.settings import FetchSettings
from web.fetch import Fetcher, create_session

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
MB = 1_000_000


@asynccontextmanager
async def fetcher(**overrides: object) -> AsyncIterator[Fetcher]:
    options = {"host_delay": 0, "retries": 2, "connect_timeout": 2, "read_timeout": 2, "max_bytes": MB}
    settings = FetchSettings(**{**options, **overrides})
    async with create_session(settings) as session:
        yield Fetcher(session, settings, backoff=0.01)
