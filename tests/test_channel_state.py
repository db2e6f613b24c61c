"""A channel's posting state, from its one writer: paused once (its owner is told once), resumed, moved."""

import pytest
from sqlalchemy import select

from bot.store.channel_state import move_channel, pause_channel, resume_channel
from bot.store.queries import channel_fields
from bot.store.tables import Channel
from config.settings import ChannelSettings
from tests.store import EVERY_STORE

# The store's sessions live on the module's event loop (tests/store.py).
pytestmark = [EVERY_STORE, pytest.mark.asyncio(loop_scope="module")]


async def add_channels(sessions, *chats: str) -> list[int]:
    async with sessions.begin() as session:
        channels = [Channel(chat=chat, **channel_fields(ChannelSettings(chat=chat))) for chat in chats]
        session.add_all(channels)
    return [channel.id for channel in channels]


async def state(sessions, channel_id: int) -> tuple[str, str | None, bool]:
    async with sessions() as session:
        channel = await session.scalar(select(Channel).where(Channel.id == channel_id))
    return channel.chat, channel.paused_reason, channel.from_config


async def test_a_channel_is_paused_once_and_keeps_its_first_reason_until_resumed(sessions):
    [channel_id] = await add_channels(sessions, "@news")
    assert await pause_channel(sessions, channel_id, "bot was kicked")
    assert not await pause_channel(sessions, channel_id, "chat not found")
    assert await state(sessions, channel_id) == ("@news", "bot was kicked", True)

    await resume_channel(sessions, channel_id)
    assert await state(sessions, channel_id) == ("@news", None, True)
    assert await pause_channel(sessions, channel_id, "chat not found")


async def test_a_channel_moves_to_its_new_chat_unless_another_entry_has_it(sessions):
    moving, other = await add_channels(sessions, "-4242", "-1009999")
    assert await move_channel(sessions, moving, "-1004242")
    assert await state(sessions, moving) == ("-1004242", None, False)  # no longer the config's entry
    assert not await move_channel(sessions, moving, "-1009999")
    assert await state(sessions, moving) == ("-1004242", None, False)
