"""A story already posted that gains sources comes back once, as an update with only what is new."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from sqlalchemy import update

from bot.app import usecases_of
from bot.store.tables import Channel, Feed
from tests.botharness import bot_settings, quiet_schedule, run_job, running_bot
from tests.doubles import FakeBackend
from tests.feedserver import reply

CHANNEL_ID = -1004444000001
FIRST = (
    "Dockworkers in Rotterdam began a 48-hour strike on Friday morning over pay and night shifts. "
    "Thirty-seven container ships are waiting at anchor off the Maasvlakte terminals. "
    "The port authority said the strike has brought Europe's largest port to a near standstill."
)
# The same report again, in other words: nothing new.
RETOLD = (
    "A 48-hour strike by Rotterdam dockworkers over pay and night shifts started on Friday morning. "
    "At the Maasvlakte terminals, thirty-seven container ships are waiting at anchor. "
    "According to the port authority, Europe's largest port is at a near standstill because of the strike."
)
NEW_FACT = "The union said on Sunday that the Rotterdam strike will be extended until Wednesday night."
FOLLOW_UP = (
    f"{NEW_FACT} "
    "Dockworkers in Rotterdam have been on strike since Friday morning over pay and night shifts. "
    "Thirty-seven container ships are waiting at anchor off the Maasvlakte terminals."
)
# The model's summary: the first report in other words (a copy of its opening would be given as its lead).
SUMMARY = "Dockworkers in Rotterdam are on a 48-hour strike over pay and night shifts since Friday."


def rss(*entries: tuple[str, str, str]) -> bytes:
    now = datetime.now(UTC)
    items = "".join(
        f"<item><title>{title}</title><link>https://herald.example/{guid}</link><guid>{guid}</guid>"
        f"<pubDate>{format_datetime(now - timedelta(hours=len(entries) - n))}</pubDate>"
        f"<description><![CDATA[{body}]]></description></item>"
        for n, (guid, title, body) in enumerate(entries)
    )
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Herald</title>{items}'
            "</channel></rss>").encode()


def serve_feed(web, *entries) -> None:
    web.route("/feed.xml", reply(rss(*entries), headers={"Content-Type": "application/rss+xml"}))


def channel_on_the_feed(tmp_path, fake_api, web, chat_id: int, username: str):
    """Settings for one English channel on the herald's feed."""
    fake_api.add_chat(chat_id, type="channel", username=username)
    return bot_settings(tmp_path, fake_api, feeds=[{"name": "herald", "url": web.url("/feed.xml")}],
                        channels=[{"chat": f"@{username}", "language": "en", "digest": quiet_schedule()}])


def digest_job(application):
    [job] = [job for job in application.job_queue.jobs() if job.name.startswith("digest:")]
    return job


async def poll_now(application) -> None:
    async with usecases_of(application).resources.sessions.begin() as session:
        await session.execute(update(Feed).values(next_poll_at=None))  # due again
    await run_job(application, "poll")


async def test_a_posted_story_with_new_sources_comes_back_once_as_an_update_with_only_what_is_new(
    tmp_path, fake_api, web
):
    serve_feed(web, ("strike-1", "Rotterdam dock strike begins", FIRST))
    settings = channel_on_the_feed(tmp_path, fake_api, web, CHANNEL_ID, "harbour_news")
    async with running_bot(settings, backend=FakeBackend(SUMMARY)) as application:
        await poll_now(application)
        job = digest_job(application)
        await job.run(application)
        [first] = fake_api.messages_to(CHANNEL_ID)

        serve_feed(web, ("strike-1", "Rotterdam dock strike begins", FIRST),
                   ("strike-2", "Rotterdam strike: ships wait at anchor", RETOLD),
                   ("strike-3", "Rotterdam dock strike extended", FOLLOW_UP))
        await poll_now(application)
        # What `digest --dry-run --json` prints: the same use case with posting switched off.
        dry_run = await usecases_of(application).digests.preview(job.data.channel_id)
        shown = dry_run.digest.to_json()

        await job.run(application)
        _, update_message = fake_api.messages_to(CHANNEL_ID)
        await job.run(application)  # nothing new since: no repeat
        messages = fake_api.messages_to(CHANNEL_ID)

    assert SUMMARY in first.plain_text
    [item] = shown["stories"]
    assert (item["kind"], item["form"]) == ("update", "lead")
    assert item["summary"] == NEW_FACT  # the retold facts are not repeated
    assert [source["url"] for source in item["sources"]] == ["https://herald.example/strike-2",
                                                             "https://herald.example/strike-3"]
    assert update_message.plain_text.startswith("Update: Rotterdam dock strike extended\n")
    assert shown["messages"] == [update_message.text]  # the dry run shows exactly what is then posted
    assert NEW_FACT in update_message.plain_text and "Thirty-seven" not in update_message.plain_text
    assert len(messages) == 2


FERRY_CHANNEL_ID = -1004444000002
FERRY_FIRST = (
    "A fire aboard the ferry Nordic Star off the coast of Norway killed four people and injured 23 on Monday. "
    "The ferry was sailing from Bergen to Hirtshals with 312 passengers on board. "
    "The fire broke out on the car deck shortly after midnight, the operator said."
)
TOLL = "The death toll in the fire aboard the ferry Nordic Star has risen to seven, Norwegian police said on Tuesday."
# A second outlet whose headline does not state the toll: only its text says it.
FERRY_SECOND = (
    f"{TOLL} "
    "The fire aboard the Nordic Star killed four people and injured 23 on Monday, the operator said. "
    "The ferry was sailing from Bergen to Hirtshals with 312 passengers on board."
)


async def test_an_update_keeps_the_toll_written_in_words_and_each_digest_says_in_the_log_what_it_did(
    tmp_path, fake_api, web, caplog
):
    serve_feed(web, ("ferry-1", "Fire aboard Nordic Star ferry kills four", FERRY_FIRST))
    settings = channel_on_the_feed(tmp_path, fake_api, web, FERRY_CHANNEL_ID, "fjord_news")
    async with running_bot(settings, backend=FakeBackend(SUMMARY)) as application:
        await poll_now(application)
        job = digest_job(application)
        with caplog.at_level(logging.INFO, logger="bot"):
            await job.run(application)
            serve_feed(web, ("ferry-1", "Fire aboard Nordic Star ferry kills four", FERRY_FIRST),
                       ("ferry-2", "Norwegian police investigate ferry fire", FERRY_SECOND))
            await poll_now(application)
            await job.run(application)
            await job.run(application)
        first, update_message = fake_api.messages_to(FERRY_CHANNEL_ID)

    assert "four people" in first.plain_text
    assert update_message.plain_text.startswith("Update: Norwegian police investigate ferry fire\n")
    assert TOLL in update_message.plain_text
    assert "312 passengers" not in update_message.plain_text  # told already
    digests = [record.getMessage() for record in caplog.records
               if record.levelno == logging.INFO and record.getMessage().startswith("digest of channel @fjord_news")]
    assert digests == [
        "digest of channel @fjord_news: items posted: 1 (1 new, 0 updates); messages sent: 1",
        "digest of channel @fjord_news: items posted: 1 (0 new, 1 updates); messages sent: 1",
        "digest of channel @fjord_news: nothing new; messages sent: 0",
    ]


async def test_a_paused_channel_s_digest_job_says_in_the_log_why_nothing_went_out(tmp_path, fake_api, caplog):
    settings = bot_settings(tmp_path, fake_api,
                            channels=[{"chat": "@fjord_news", "language": "en", "digest": quiet_schedule()}])
    async with running_bot(settings) as application:
        async with usecases_of(application).resources.sessions.begin() as session:
            await session.execute(update(Channel).values(paused_reason="the bot was removed from the channel"))
        with caplog.at_level(logging.INFO, logger="bot"):
            await digest_job(application).run(application)

    assert ("digest of channel @fjord_news skipped: the channel is paused (the bot was removed from the channel)"
            in caplog.messages)
