"""A story already posted that gains sources comes back once, as an update with only what is new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from sqlalchemy import update

from bot.app import usecases_of
from bot.store.tables import Feed
from tests.botharness import FixedBackend, bot_settings, quiet_schedule, run_job, running_bot
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
SUMMARY = "Dockworkers in Rotterdam began a 48-hour strike on Friday over pay and night shifts."


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


async def poll_now(application) -> None:
    async with usecases_of(application).resources.sessions.begin() as session:
        await session.execute(update(Feed).values(next_poll_at=None))  # due again
    await run_job(application, "poll")


async def test_a_posted_story_with_new_sources_comes_back_once_as_an_update_with_only_what_is_new(
    tmp_path, fake_api, web
):
    fake_api.add_chat(CHANNEL_ID, type="channel", username="harbour_news")
    serve_feed(web, ("strike-1", "Rotterdam dock strike begins", FIRST))
    settings = bot_settings(tmp_path, fake_api, feeds=[{"name": "herald", "url": web.url("/feed.xml")}],
                            channels=[{"chat": "@harbour_news", "language": "en", "digest": quiet_schedule()}])
    async with running_bot(settings, backend=FixedBackend(SUMMARY)) as application:
        await poll_now(application)
        [job] = [job for job in application.job_queue.jobs() if job.name.startswith("digest:")]
        await job.run(application)
        [first] = fake_api.messages_to(CHANNEL_ID)

        serve_feed(web, ("strike-1", "Rotterdam dock strike begins", FIRST),
                   ("strike-2", "Rotterdam strike: ships wait at anchor", RETOLD),
                   ("strike-3", "Rotterdam dock strike extended", FOLLOW_UP))
        await poll_now(application)
        # What `digest --dry-run --json` prints: the same use case with posting switched off.
        dry_run = await usecases_of(application).digests.next(job.data.channel_id, post=False)
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
