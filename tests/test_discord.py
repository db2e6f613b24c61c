"""Digests to Discord webhooks, against a fake that answers as Discord documents: order, rate limits,
a deleted webhook, markdown within Discord's limit."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import check_config, outbox_of, usecases_of, web_server_of
from bot.digest.items import ChannelDigest
from bot.digest.record import queue_digest
from bot.discord.render import markdown
from bot.store.tables import Channel
from tests.botharness import STORIES, bot_settings, quiet_schedule, rss, run_job, running_bot
from tests.fakediscord import FakeDiscord
from tests.feedserver import reply


@pytest.fixture
async def discord():
    async with FakeDiscord(burst=3, window=1.0) as server:
        yield server


def discord_settings(tmp_path, fake_api, webhook_url: str):
    return bot_settings(tmp_path, fake_api, channels=[
        {"platform": "discord", "webhook_url": webhook_url, "language": "en", "digest": quiet_schedule()}])


async def queue(application, webhook_id: int, texts: list[str]) -> int:
    async with usecases_of(application).resources.sessions() as session:
        channel = await session.scalar(select(Channel).where(Channel.chat == f"discord:{webhook_id}"))
        await queue_digest(session, channel.id, ChannelDigest(channel.chat, "en", [], texts))
    return channel.id


async def test_a_digest_reaches_the_webhook_in_order_waiting_out_the_rate_limit(tmp_path, fake_api, discord, caplog):
    webhook_id, url = discord.create_webhook()
    texts = [f"**Story {n}** text {n}" for n in range(1, 7)]  # twice the webhook's burst
    async with running_bot(discord_settings(tmp_path, fake_api, url)) as application:
        await queue(application, webhook_id, texts)
        with caplog.at_level(logging.WARNING):
            sent = await outbox_of(application).send_pending()

    assert sent == 6 and discord.contents(webhook_id) == texts
    assert all(message.allowed_mentions == {"parse": []} for message in discord.messages)  # no @everyone pings
    limited = [record for record in caplog.records if "rate limited by discord" in record.getMessage()]
    assert discord.rate_limited and len(limited) == discord.rate_limited
    assert all(record.levelno == logging.WARNING and not record.exc_info for record in limited)
    assert url.rsplit("/", 1)[1] not in caplog.text  # the webhook's token is never logged


async def test_a_deleted_webhook_pauses_its_channel_and_healthz_says_so(tmp_path, fake_api, discord):
    webhook_id, url = discord.create_webhook()
    discord.delete_webhook(webhook_id)
    async with running_bot(discord_settings(tmp_path, fake_api, url)) as application:
        channel_id = await queue(application, webhook_id, ["lost"])
        sent = await outbox_of(application).send_pending()
        async with usecases_of(application).resources.sessions() as session:
            channel = await session.get(Channel, channel_id)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{web_server_of(application).port}/healthz") as response:
                health = await response.json()

    assert sent == 0 and channel.paused_reason == "404: Unknown Webhook"
    assert health["paused_channels"] == [{"platform": "discord", "chat": f"discord:{webhook_id}",
                                          "reason": "404: Unknown Webhook"}]


def test_markdown_keeps_links_and_marks_and_escapes_the_text():
    html = ('<b>Prices *up* 5_000</b>\n- a line that looks like a list <i>(de)</i>\n'
            '<a href="https://example.org/a?x=1&amp;y=2">Harbour Herald</a> (de)')
    assert markdown(html) == ("**Prices \\*up\\* 5\\_000**\n\\- a line that looks like a list *(de)*\n"
                              "[Harbour Herald](<https://example.org/a?x=1&y=2>) (de)")


async def test_a_discord_only_bot_runs_without_a_telegram_token_and_never_calls_telegram(tmp_path, fake_api, discord,
                                                                                         web, caplog):
    webhook_id, url = discord.create_webhook()
    web.route("/feed.xml", reply(rss(STORIES), headers={"Content-Type": "application/rss+xml"}))
    settings = bot_settings(tmp_path, fake_api, telegram={"token": None}, feeds=[{"name": "herald", "url": web.url("/feed.xml")}],
                            channels=[{"platform": "discord", "webhook_url": url, "digest": quiet_schedule()}])
    check_config(settings)  # no ConfigError: no channel is on Telegram
    with caplog.at_level(logging.INFO):
        async with running_bot(settings) as application:
            await run_job(application, "poll")
            [digest_job] = [job for job in application.job_queue.jobs() if job.name.startswith("digest:")]
            await run_job(application, digest_job.name)

    posted = "\n".join(discord.contents(webhook_id))
    assert all(f"**{title}**" in posted for title, _ in STORIES)
    assert fake_api.requests == []  # the fake Bot API is still telegram.base_url: nothing asked it anything
    assert "posting to the other platforms only" in caplog.text


def bot_channel_settings(tmp_path, fake_api, discord, channel_id: int):
    return bot_settings(tmp_path, fake_api, discord={"bot_token": discord.bot_token, "api_url": discord.api_url},
                        channels=[{"platform": "discord", "channel_id": str(channel_id), "digest": quiet_schedule()}])


async def test_a_digest_reaches_a_channel_posted_to_as_the_bot_in_order_through_the_rate_limit(tmp_path, fake_api,
                                                                                              discord, caplog):
    channel_id = discord.create_channel()
    texts = [f"**Story {n}** text {n}" for n in range(1, 7)]  # twice the channel's burst
    async with running_bot(bot_channel_settings(tmp_path, fake_api, discord, channel_id)) as application:
        async with usecases_of(application).resources.sessions() as session:
            channel = await session.scalar(select(Channel).where(Channel.chat == f"discord:channel:{channel_id}"))
            await queue_digest(session, channel.id, ChannelDigest(channel.chat, "en", [], texts))
        with caplog.at_level(logging.DEBUG):
            sent = await outbox_of(application).send_pending()

    assert sent == 6 and discord.channel_contents(channel_id) == texts
    assert discord.rate_limited and not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert discord.bot_token not in caplog.text


@pytest.mark.parametrize(("lose", "reason"), [
    (lambda discord, channel_id: discord.delete_channel(channel_id), "404: Unknown Channel"),
    (lambda discord, channel_id: setattr(discord, "bot_token", "another-token"), "401: 401: Unauthorized"),
])
async def test_a_deleted_channel_or_a_revoked_bot_token_pauses_the_channel(tmp_path, fake_api, discord, lose, reason):
    channel_id = discord.create_channel()
    settings = bot_channel_settings(tmp_path, fake_api, discord, channel_id)
    lose(discord, channel_id)
    async with running_bot(settings) as application:
        async with usecases_of(application).resources.sessions() as session:
            channel = await session.scalar(select(Channel))
            await queue_digest(session, channel.id, ChannelDigest(channel.chat, "en", [], ["lost"]))
        sent = await outbox_of(application).send_pending()
        async with usecases_of(application).resources.sessions() as session:
            paused = await session.scalar(select(Channel.paused_reason))

    assert sent == 0 and discord.messages == []
    assert paused == reason
