"""Fixtures of the polling tests, which run on their module's event loop (each module says so with
`pytestmark`): one parse pool serves a whole module, as fresh workers would load the language
detector's models again for every test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from bot.feeds import fingerprint
from tests.feedserver import FeedServer
from web.pool import ParsePool


@pytest_asyncio.fixture(loop_scope="module")
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def parsers() -> AsyncIterator[ParsePool]:
    async with ParsePool(preload=fingerprint.PRELOAD) as pool:
        yield pool
