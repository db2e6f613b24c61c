"""Commands with arguments longer than any real value: a short answer, nothing saved, and every
reply within Telegram's 4096 characters (the fake Bot API refuses longer ones, as Telegram does)."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select

from bot.app import usecases_of
from bot.store.tables import Channel, Feed, User
from tests.botharness import (
    ADMIN_ID,
    CHANNEL,
    STORIES,
    USER_ID,
    add_channel,
    admin_says,
    bot_settings,
    quiet_schedule,
    rss,
    running_bot,
)
from tests.feedserver import reply

LONG = 4000  # a user can send 4096 characters; the command and the channel take the rest


async def stored(application) -> tuple:
    """What the commands could change: the channel's settings, users' languages, the feeds."""
    async with usecases_of(application).resources.sessions() as session:
        channels = [(c.language, c.schedule, c.include, c.exclude, c.from_config, c.owner_id)
                    for c in await session.scalars(select(Channel))]
        users = list(await session.execute(select(User.id, User.language)))
        feeds = list(await session.scalars(select(Feed.url)))
    return channels, users, feeds


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.parametrize(("command", "limit"), [
    (f"/schedule {CHANNEL} {'9' * LONG}", 8),
    (f"/schedule {CHANNEL} 08:00 Europe/{'x' * LONG}", 64),
    (f"/removefeed {CHANNEL} {'r' * LONG}", 200),
    (f"/language {CHANNEL} {'z' * LONG}", 35),
    (f"/language {'z' * LONG}", 35),
    (f"/filters {CHANNEL} +{'y' * LONG}", 200),
    (f"/filters {CHANNEL} +harbour -/{'(a|b)' * 800}/", 200),
    (f"/addfeed {CHANNEL} /feed.xml?{'u' * LONG}", 2048),
])
async def test_an_argument_longer_than_any_real_value_is_refused_before_anything_is_saved(
    tmp_path, fake_api, web, caplog, command, limit
):
    web.route("/feed.xml", reply(rss(STORIES), headers={"Content-Type": "application/rss+xml"}))
    command = command.replace("/feed.xml", web.url("/feed.xml"))
    add_channel(fake_api)
    settings = bot_settings(tmp_path, fake_api, channels=[{"chat": CHANNEL, "digest": quiet_schedule()}],
                            security={"allow_private_urls": True})
    async with running_bot(settings) as application:
        before = await stored(application)
        answered = await admin_says(fake_api, command)
        after = await stored(application)

    assert re.fullmatch(rf"That argument is too long \(4\d\d\d characters; at most {limit}\)\. Nothing was changed\.",
                        answered)
    assert after == before
    assert web.hits["/feed.xml"] == 0
    assert errors(caplog) == []


async def test_an_answer_that_repeats_a_long_argument_shortens_it(tmp_path, fake_api, caplog):
    async with running_bot(bot_settings(tmp_path, fake_api)):
        answered = await admin_says(fake_api, f"/feeds @{'c' * LONG}")

    assert answered.startswith("I can't find @ccc") and len(answered) < 300
    assert errors(caplog) == []


async def test_long_lists_of_filters_and_feeds_are_cut_to_fit_one_message(tmp_path, fake_api, caplog):
    add_channel(fake_api)
    # Config files may hold more than a message shows: 300 rules each way, 60 feeds with long names.
    keywords = [f"keyword{number:03}" for number in range(300)]
    feeds = [{"name": f"{'feed-' * 30}{number}", "url": f"https://feeds{number}.example/rss"} for number in range(60)]
    channel = {"chat": CHANNEL, "digest": quiet_schedule(), "include": keywords, "exclude": keywords}
    settings = bot_settings(tmp_path, fake_api, channels=[channel], feeds=feeds, telegram={"admins": [ADMIN_ID]})
    async with running_bot(settings):
        filters = await admin_says(fake_api, f"/filters {CHANNEL} +harbour")
        listed = await admin_says(fake_api, f"/feeds {CHANNEL}")
        status = await admin_says(fake_api, f"/status {CHANNEL}")

    assert filters.startswith("Filters for @briefnews. Must contain one of: keyword000, keyword001, ")
    assert filters.count("more") == 2 and "Must not contain: keyword000, " in filters
    for answer in (listed, status):
        assert answer.splitlines()[-1].startswith("… and ") and answer.endswith(" more")
    assert errors(caplog) == []


async def test_an_answer_telegram_refuses_is_logged_once_without_a_traceback(tmp_path, fake_api, caplog):
    fake_api.fail_next("sendMessage", status=400, description="Bad Request: message is too long")
    async with running_bot(bot_settings(tmp_path, fake_api)):
        fake_api.user_message(USER_ID, USER_ID, "/language xx")  # refused; its answer fails
        fake_api.user_message(USER_ID, USER_ID, "/help")
        [help_answer] = await fake_api.wait_for_messages(1, chat_id=USER_ID)

    assert help_answer.plain_text.startswith("I summarise news in your language.")
    failed = [record for record in caplog.records if "too long" in record.getMessage()]
    assert [(record.levelno, record.exc_info) for record in failed] == [(logging.WARNING, None)]
    assert errors(caplog) == []
