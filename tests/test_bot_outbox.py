"""Posting digests that loses nothing and repeats nothing: restarts, flood limits, kicked bots, two processes."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.app import outbox_of, usecases_of
from bot.digest.items import ChannelDigest
from bot.digest.record import queue_digest as queue_in_store
from bot.metrics import Metrics
from bot.store.db import open_store
from bot.store.outbox_claims import this_process
from bot.store.tables import Channel, OutboxMessage, utcnow
from bot.telegram.outbox import MAX_FLOOD_WAITS, Outbox
from tests.botharness import ADMIN_ID, CHANNEL, CHANNEL_ID, bot_settings, quiet_schedule, running_bot
from tests.fakebotapi import FakeBotApi


def channel_config(chat: str = CHANNEL) -> dict:
    return {"chat": chat, "language": "en", "digest": quiet_schedule()}


async def queue_digest(sessions, chat: str, texts: list[str]) -> int:
    """A digest of `texts` in the outbox of the channel `chat`, as a posted digest leaves it."""
    async with sessions() as session:
        channel = await session.scalar(select(Channel).where(Channel.chat == chat))
        record = await queue_in_store(session, channel.id, ChannelDigest(chat, "en", [], texts))
    return record.id


async def nobody_to_tell(channel_id: int, reason: str) -> None:
    """on_paused for a second sender in a test where no channel is paused."""


def texts_to(api: FakeBotApi, chat_id: int) -> list[str]:
    return [message.text for message in api.messages_to(chat_id)]


async def test_a_bot_stopped_mid_digest_posts_the_rest_once_after_restart(tmp_path):
    texts = [f"<b>Part {n}</b> of the digest" for n in range(1, 4)]
    # One message a second per chat: the second message has to wait, so the stop lands mid-digest.
    async with FakeBotApi(per_chat_burst=1) as api:
        api.add_chat(CHANNEL_ID, username="briefnews")
        settings = bot_settings(tmp_path, api, channels=[channel_config()])
        async with running_bot(settings) as application:
            outbox = outbox_of(application)
            await queue_digest(usecases_of(application).resources.sessions, CHANNEL, texts)
            sending = asyncio.create_task(outbox.send_pending())
            await api.wait_for_messages(1, chat_id=CHANNEL_ID)
            outbox.close()  # what leaving started() does first on SIGTERM
            sent_before_restart = await sending
        before_restart = texts_to(api, CHANNEL_ID)

        async with running_bot(settings):  # its first outbox round sends what is left
            await api.wait_for_messages(3, chat_id=CHANNEL_ID)
            await asyncio.sleep(0.2)  # room for a repeat, if there were one

    assert 1 <= sent_before_restart < 3 and before_restart == texts[:sent_before_restart]
    assert texts_to(api, CHANNEL_ID) == texts


async def test_a_message_claimed_by_a_dead_process_is_sent_once_its_lease_runs_out(tmp_path, fake_api):
    fake_api.add_chat(CHANNEL_ID, username="briefnews")
    texts = ["one", "two", "three"]
    settings = bot_settings(tmp_path, fake_api, channels=[channel_config()])
    async with running_bot(settings) as application:
        sessions = usecases_of(application).resources.sessions
        digest_id = await queue_digest(sessions, CHANNEL, texts)
        async with sessions.begin() as session:
            # The dead process sent "one", then claimed "two" and died.
            await session.execute(update(OutboxMessage).where(OutboxMessage.position == 0)
                                  .values(sent_at=utcnow(), telegram_message_id=99))
            await session.execute(update(OutboxMessage).where(OutboxMessage.position == 1)
                                  .values(claimed_by="dead-host:1", claimed_until=utcnow() + timedelta(minutes=5)))
        held_back = await outbox_of(application).send_pending()
        async with sessions.begin() as session:
            await session.execute(update(OutboxMessage).where(OutboxMessage.position == 1)
                                  .values(claimed_until=utcnow() - timedelta(seconds=1)))
        resumed = await outbox_of(application).send_pending()
        async with sessions() as session:
            rows = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.digest_id == digest_id)
                                              .order_by(OutboxMessage.position)))

    assert held_back == 0  # a live claim is respected, and nothing after it overtakes it
    assert resumed == 2 and texts_to(fake_api, CHANNEL_ID) == ["two", "three"]
    assert [row.telegram_message_id is not None for row in rows] == [True, True, True]


async def test_claims_of_a_killed_process_on_this_host_are_taken_back_at_once(tmp_path, fake_api):
    fake_api.add_chat(CHANNEL_ID, username="briefnews")
    settings = bot_settings(tmp_path, fake_api, channels=[channel_config()])
    host, boot, _pid, _start = this_process().split(":")
    dead = f"{host}:{boot}:999999:12345:0badc0de"  # no process 999999 runs here
    alive = f"{this_process()}:5ca1ab1e"  # a live sender of this very process
    async with running_bot(settings) as application:
        sessions = usecases_of(application).resources.sessions
        await queue_digest(sessions, CHANNEL, ["one"])
        async with sessions.begin() as session:
            await session.execute(update(OutboxMessage).values(claimed_by=dead, claimed_until=utcnow() + timedelta(minutes=5)))
        sent = await outbox_of(application).send_pending()
        async with sessions.begin() as session:
            await session.execute(update(OutboxMessage).values(sent_at=None, claimed_by=alive,
                                                                claimed_until=utcnow() + timedelta(minutes=5)))
        held_back = await outbox_of(application).send_pending()

    assert sent == 1 and texts_to(fake_api, CHANNEL_ID) == ["one"]
    assert held_back == 0  # a live sender's claim is respected


async def test_a_flood_storm_delays_posting_but_loses_nothing(tmp_path, fake_api, caplog):
    fake_api.add_chat(CHANNEL_ID, username="briefnews")
    texts = ["first", "second", "third"]
    settings = bot_settings(tmp_path, fake_api, channels=[channel_config()])
    async with running_bot(settings) as application:
        await queue_digest(usecases_of(application).resources.sessions, CHANNEL, texts)
        fake_api.fail_next("sendMessage", status=429, retry_after=1, count=MAX_FLOOD_WAITS + 2)
        started = time.monotonic()
        with caplog.at_level(logging.WARNING):
            first_round = await outbox_of(application).send_pending()
            second_round = await outbox_of(application).send_pending()
        elapsed = time.monotonic() - started
        registry = usecases_of(application).metrics.registry
        floods = registry.get_sample_value("briefbot_telegram_errors_total", {"error": "flood"})

    assert (first_round, second_round) == (0, 3) and texts_to(fake_api, CHANNEL_ID) == texts
    assert elapsed >= MAX_FLOOD_WAITS + 1  # each refusal but the round's last was waited out
    assert floods == MAX_FLOOD_WAITS + 2
    # Each handled refusal is one WARNING line, without a traceback; none is an ERROR.
    flood_lines = [record for record in caplog.records if "flood control" in record.getMessage()]
    assert len(flood_lines) == MAX_FLOOD_WAITS + 2 and not any(record.exc_info for record in flood_lines)
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


async def test_a_message_refused_for_flood_is_tried_a_bounded_number_of_times_a_round(tmp_path, fake_api):
    fake_api.add_chat(CHANNEL_ID, username="briefnews")
    settings = bot_settings(tmp_path, fake_api, channels=[channel_config()])
    async with running_bot(settings) as application:
        await queue_digest(usecases_of(application).resources.sessions, CHANNEL, ["news"])
        fake_api.fail_next("sendMessage", status=429, retry_after=1, count=100)
        sent = await outbox_of(application).send_pending()
        async with usecases_of(application).resources.sessions() as session:
            row = await session.scalar(select(OutboxMessage))

    tries = [method for method, _ in fake_api.requests if method == "sendMessage"]
    # One flood-retry layer: the rate limiter does not retry on its own, so the outbox's bound holds.
    assert sent == 0 and len(tries) == 1 + MAX_FLOOD_WAITS
    assert row.sent_at is None and row.claimed_by is None and "retry" in row.last_error.lower()


async def test_a_removed_bot_pauses_the_channel_and_tells_its_owner_and_digest_resumes_it(tmp_path, fake_api):
    fake_api.add_chat(CHANNEL_ID, username="briefnews", admins=[ADMIN_ID])
    fake_api.add_chat(ADMIN_ID, type="private")
    fake_api.remove_bot_from(CHANNEL_ID)
    settings = bot_settings(tmp_path, fake_api, channels=[channel_config()], telegram={"admins": [ADMIN_ID]})
    async with running_bot(settings) as application:
        await queue_digest(usecases_of(application).resources.sessions, CHANNEL, ["news"])
        sent = await outbox_of(application).send_pending()
        [notice] = await fake_api.wait_for_messages(1, chat_id=ADMIN_ID)
        async with usecases_of(application).resources.sessions() as session:
            paused = await session.scalar(select(Channel.paused_reason))

        fake_api.add_chat(CHANNEL_ID, username="briefnews", admins=[ADMIN_ID])  # the owner adds the bot back
        fake_api.user_message(ADMIN_ID, ADMIN_ID, f"/digest {CHANNEL}")
        await fake_api.wait_for_messages(1, chat_id=CHANNEL_ID)
        async with usecases_of(application).resources.sessions() as session:
            resumed = await session.scalar(select(Channel.paused_reason))

    assert sent == 0 and paused == "Forbidden: bot was kicked from the channel chat"
    assert notice.plain_text.startswith("I can no longer post to @briefnews "
                                        "(Forbidden: bot was kicked from the channel chat), so its digests are paused.")
    assert texts_to(fake_api, CHANNEL_ID) == ["news"] and resumed is None


async def two_processes_send(tmp_path, api: FakeBotApi, database_url: str) -> None:
    """Three channels' digests sent by this bot and, at the same time, by another process on its database."""
    chats = {-1001000000001: "@alpha_news", -1001000000002: "@beta_news", -1001000000003: "@gamma_news"}
    for chat_id, name in chats.items():
        api.add_chat(chat_id, username=name.lstrip("@"))
    settings = bot_settings(tmp_path, api, storage={"url": database_url},
                            channels=[channel_config(name) for name in chats.values()])
    async with running_bot(settings) as application:
        # The bot's own outbox round would send some of them too, and the counts below would not add up.
        [outbox_round] = application.job_queue.get_jobs_by_name("outbox")
        outbox_round.enabled = False
        for name in chats.values():
            await queue_digest(usecases_of(application).resources.sessions, name, [f"{name} {n}" for n in range(3)])
        engine, other_sessions = await open_store(settings.storage.url)  # the other process's connections
        # As the application's bot: a connection each for channels sent to side by side (a bare
        # ExtBot has one, and a send waiting over a second for it fails).
        other_bot = ExtBot(api.token, base_url=api.base_url, rate_limiter=AIORateLimiter(),
                           request=HTTPXRequest(connection_pool_size=8))
        async with other_bot:
            other = Outbox(other_sessions, other_bot, Metrics(), on_paused=nobody_to_tell)
            counts = await asyncio.gather(outbox_of(application).send_pending(), other.send_pending())
        await engine.dispose()

    assert sum(counts) == 9
    for chat_id, name in chats.items():
        assert texts_to(api, chat_id) == [f"{name} {n}" for n in range(3)]


async def test_two_bot_processes_on_one_sqlite_database_send_each_message_once(tmp_path, fake_api):
    await two_processes_send(tmp_path, fake_api, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")


@pytest.mark.postgres
async def test_two_bot_processes_on_one_postgresql_database_send_each_message_once(tmp_path, fake_api, postgres_url):
    await two_processes_send(tmp_path, fake_api, postgres_url)


async def test_a_migrated_group_gets_its_messages_at_the_new_id(tmp_path, fake_api):
    fake_api.add_chat(-4242, type="group")
    fake_api.migrate_chat(-4242, -1004242)
    settings = bot_settings(tmp_path, fake_api, channels=[channel_config("-4242")])
    async with running_bot(settings) as application:
        await queue_digest(usecases_of(application).resources.sessions, "-4242", ["a", "b"])
        await outbox_of(application).send_pending()
        async with usecases_of(application).resources.sessions() as session:
            chat = await session.scalar(select(Channel.chat))

    assert texts_to(fake_api, -1004242) == ["a", "b"] and chat == "-1004242"


async def test_messages_telegram_refuses_are_split_or_sent_as_plain_text(tmp_path, fake_api):
    fake_api.add_chat(CHANNEL_ID, username="briefnews")
    fake_api.enforce_rate_limits = False  # five messages to one chat; flood limits are another test's subject
    too_long = "\n".join(f"line {n}: " + "é" * 400 for n in range(12))  # 4.9k characters: Telegram says too long
    broken = "<b>Ports & trams"  # Telegram can't parse it as HTML
    settings = bot_settings(tmp_path, fake_api, channels=[channel_config()])
    async with running_bot(settings) as application:
        await queue_digest(usecases_of(application).resources.sessions, CHANNEL, [too_long, broken, "after"])
        sent = await outbox_of(application).send_pending()

    *pieces, plain, after = fake_api.messages_to(CHANNEL_ID)
    assert sent == len(pieces) + 2 and len(pieces) >= 2
    assert "\n".join(piece.text for piece in pieces) == too_long
    assert (plain.text, plain.parse_mode) == ("Ports & trams", None)
    assert after.text == "after"


async def test_channels_in_topics_of_one_forum_group_get_their_digests_in_their_own_topic(tmp_path, fake_api):
    forum_id, forum = -1002000, "-1002000"
    fake_api.add_chat(forum_id, type="supergroup", topics={7, 9})
    channels = [{"chat": forum, "topic": topic, "language": "en", "digest": quiet_schedule()} for topic in (7, 9, 11)]
    settings = bot_settings(tmp_path, fake_api, channels=channels)
    async with running_bot(settings) as application:
        sessions = usecases_of(application).resources.sessions
        async with sessions() as session:
            channel_ids = {channel.topic: channel.id for channel in await session.scalars(select(Channel))}
            for topic in (7, 9, 11):
                await queue_in_store(session, channel_ids[topic], ChannelDigest(forum, "en", [], [f"for topic {topic}"]))
        sent = await outbox_of(application).send_pending()
        async with sessions() as session:
            missing_topic = await session.get(Channel, channel_ids[11])

    assert sent == 2
    assert sorted((m.message_thread_id, m.text) for m in fake_api.messages_to(forum_id)) == [
        (7, "for topic 7"), (9, "for topic 9")]
    # A topic that was deleted pauses its channel only.
    assert missing_topic.paused_reason == "Message thread not found"
