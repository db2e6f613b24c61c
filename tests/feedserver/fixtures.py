"""Pytest fixtures for the local feed server (register with ``pytest_plugins``)."""

from collections.abc import AsyncIterator

import pytest

from tests.feedserver import FeedServer


@pytest.fixture
async def web() -> AsyncIterator[FeedServer]:
    """A web server on 127.0.0.1 for pages and feeds."""
    async with FeedServer() as server:
        yield server
