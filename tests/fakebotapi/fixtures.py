"""Pytest fixtures for the fake Bot API (register with ``pytest_plugins``)."""

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from .server import FakeBotApi

# The chats the fake Bot API's own tests talk to.
USER_ID = 4242
CHANNEL_ID = -1001234567890


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as api:
        yield api


@pytest.fixture
async def ptb_bot(fake_api: FakeBotApi) -> AsyncIterator[Bot]:
    """A PTB Bot pointed at ``fake_api``."""
    bot = Bot(fake_api.token, base_url=fake_api.base_url, base_file_url=fake_api.base_file_url)
    async with bot:
        yield bot
