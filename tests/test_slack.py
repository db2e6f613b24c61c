"""Digests to Slack incoming webhooks, against a fake that answers as Slack documents: order, rate
limits, an archived channel, mrkdwn."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.app import outbox_of, usecases_of
from bot.digest.items import ChannelDigest
from bot.digest.record import queue_digest
from bot.slack.render import mrkdwn
from bot.store.tables import Channel
from tests.botharness import bot_settings, quiet_schedule, running_bot
from tests.fakeslack import FakeSlack


@pytest.fixture
async def slack():
    async with FakeSlack(burst=3, window=1.0) as server:
        yield server


def slack_settings(tmp_path, fake_api, webhook_url: str):
    return bot_settings(tmp_path, fake_api, channels=[
        {"platform": "slack", "webhook_url": webhook_url, "language": "en", "digest": quiet_schedule()}])


async def queue(application, webhook_id: str, texts: list[str]) -> int:
    async with usecases_of(application).resources.sessions() as session:
        channel = await session.scalar(select(Channel).where(Channel.chat == f"slack:{webhook_id}"))
        await queue_digest(session, channel.id, ChannelDigest(channel.chat, "en", [], texts))
    return channel.id


async def test_a_digest_reaches_the_webhook_in_order_waiting_out_the_rate_limit(tmp_path, fake_api, slack, caplog):
    webhook_id, url = slack.create_webhook()
    texts = [f"*Story {n}* text {n}" for n in range(1, 6)]  # more than the webhook's burst
    async with running_bot(slack_settings(tmp_path, fake_api, url)) as application:
        await queue(application, webhook_id, texts)
        with caplog.at_level(logging.WARNING):
            await outbox_of(application).send_pending()

    # All of them, in order, once: the bot's own outbox round may have sent some of them meanwhile.
    assert slack.texts(webhook_id) == texts
    assert all(message.unfurl_links is False for message in slack.messages)  # no preview under each digest
    limited = [record for record in caplog.records if "rate limited by slack" in record.getMessage()]
    assert slack.rate_limited and len(limited) == slack.rate_limited
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert url.rsplit("/", 1)[1] not in caplog.text  # the webhook's secret is never logged


async def test_an_archived_channel_is_paused(tmp_path, fake_api, slack):
    webhook_id, url = slack.create_webhook()
    slack.archive_channel(webhook_id)
    async with running_bot(slack_settings(tmp_path, fake_api, url)) as application:
        channel_id = await queue(application, webhook_id, ["lost"])
        sent = await outbox_of(application).send_pending()
        async with usecases_of(application).resources.sessions() as session:
            channel = await session.get(Channel, channel_id)

    assert sent == 0 and channel.paused_reason == "410: channel_is_archived"


def test_mrkdwn_keeps_links_and_marks_and_escapes_the_text():
    html = ('<b>Prices &lt;up&gt; 5 &amp; 6</b>\nWorkers return <i>(de)</i>\n'
            '<a href="https://example.org/a?x=1&amp;y=2">Harbour | Herald</a> (de)')
    assert mrkdwn(html) == ("*Prices &lt;up&gt; 5 &amp; 6*\nWorkers return _(de)_\n"
                            "<https://example.org/a?x=1&amp;y=2|Harbour ¦ Herald> (de)")


def bot_channel_settings(tmp_path, fake_api, slack, channel_id: str):
    return bot_settings(tmp_path, fake_api, slack={"bot_token": slack.bot_token, "api_url": slack.api_url},
                        channels=[{"platform": "slack", "channel_id": channel_id, "digest": quiet_schedule()}])


async def queue_for_bot(application, texts: list[str]) -> None:
    async with usecases_of(application).resources.sessions() as session:
        channel = await session.scalar(select(Channel))
        await queue_digest(session, channel.id, ChannelDigest(channel.chat, "en", [], texts))


async def test_a_digest_reaches_a_channel_through_chat_post_message_in_order_through_the_rate_limit(
    tmp_path, fake_api, slack, caplog
):
    channel_id = slack.create_channel()
    texts = [f"*Story {n}* text {n}" for n in range(1, 6)]  # more than the channel's burst
    async with running_bot(bot_channel_settings(tmp_path, fake_api, slack, channel_id)) as application:
        await queue_for_bot(application, texts)
        with caplog.at_level(logging.DEBUG):
            sent = await outbox_of(application).send_pending()
        async with usecases_of(application).resources.sessions() as session:
            chat = await session.scalar(select(Channel.chat))

    assert sent == 5 and slack.channel_texts(channel_id) == texts
    assert chat == f"slack:channel:{channel_id}"
    assert all(message.unfurl_links is False for message in slack.messages)
    limited = [record for record in caplog.records if "rate limited by slack" in record.getMessage()]
    assert slack.rate_limited and len(limited) == slack.rate_limited
    assert all(record.levelno == logging.WARNING and not record.exc_info for record in limited)
    assert slack.bot_token not in caplog.text


@pytest.mark.parametrize(("lose", "reason"), [
    (lambda slack, channel_id: slack.delete_channel(channel_id), "200: channel_not_found"),
    (lambda slack, channel_id: setattr(slack, "bot_token", "xoxb-another"), "200: invalid_auth"),
])
async def test_a_deleted_channel_or_a_revoked_bot_token_pauses_the_channel(tmp_path, fake_api, slack, lose, reason):
    channel_id = slack.create_channel()
    settings = bot_channel_settings(tmp_path, fake_api, slack, channel_id)
    lose(slack, channel_id)
    async with running_bot(settings) as application:
        await queue_for_bot(application, ["lost"])
        sent = await outbox_of(application).send_pending()
        async with usecases_of(application).resources.sessions() as session:
            paused = await session.scalar(select(Channel.paused_reason))

    assert sent == 0 and slack.messages == []
    assert paused == reason


async def test_a_channel_the_bot_is_not_in_pauses_it(tmp_path, fake_api, slack):
    channel_id = slack.create_channel(bot_is_member=False)
    async with running_bot(bot_channel_settings(tmp_path, fake_api, slack, channel_id)) as application:
        await queue_for_bot(application, ["not there"])
        await outbox_of(application).send_pending()
        async with usecases_of(application).resources.sessions() as session:
            paused = await session.scalar(select(Channel.paused_reason))

    assert paused == "200: not_in_channel"
