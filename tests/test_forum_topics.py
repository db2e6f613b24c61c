"""A Telegram forum group with `topics: per_feed`: each feed's stories in a topic of its own, made once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import format_datetime

from sqlalchemy import select

from bot.app import outbox_of, usecases_of
from bot.digest.items import ChannelDigest
from bot.digest.record import queue_digest
from bot.store.tables import Channel
from tests.botharness import STORIES, bot_settings, quiet_schedule, run_job, running_bot
from tests.feedserver import reply

FORUM_ID, FORUM = -1002000000001, "-1002000000001"


def feed_xml(title: str, site: str, stories: list[tuple[str, str]]) -> bytes:
    now = format_datetime(datetime.now(UTC))
    items = "".join(
        f"<item><title>{headline}</title><link>https://{site}/{number}</link><guid>{site}-{number}</guid>"
        f"<pubDate>{now}</pubDate><description><![CDATA[{body * 4}]]></description></item>"
        for number, (headline, body) in enumerate(stories)
    )
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
            f"<link>https://{site}/</link>{items}</channel></rss>").encode()


def forum_settings(tmp_path, fake_api, web):
    """Two feeds, one story each, and a forum group that gives each feed a topic."""
    feeds = []
    for (name, title, site), story in zip([("herald", "Harbour Herald", "herald.example"),
                                           ("courier", "City Courier", "courier.example")], STORIES, strict=True):
        web.route(f"/{name}.xml", reply(feed_xml(title, site, [story]), headers={"Content-Type": "application/rss+xml"}))
        feeds.append({"name": name, "url": web.url(f"/{name}.xml")})
    return bot_settings(tmp_path, fake_api, feeds=feeds,
                        channels=[{"chat": FORUM, "topics": "per_feed", "language": "en", "digest": quiet_schedule()}])


async def post_digest(application) -> None:
    await run_job(application, "poll")
    [job] = [job for job in application.job_queue.jobs() if job.name.startswith("digest:")]
    await run_job(application, job.name)


def topic_creations(api) -> list[dict]:
    return [params for method, params in api.requests if method == "createForumTopic"]


async def test_each_feed_gets_a_forum_topic_of_its_own_made_once(tmp_path, fake_api, web):
    fake_api.add_chat(FORUM_ID, type="supergroup", topics=[])
    settings = forum_settings(tmp_path, fake_api, web)
    async with running_bot(settings) as application:
        await run_job(application, "poll")
        async with usecases_of(application).resources.sessions() as session:
            channel = await session.scalar(select(Channel))
        preview = (await usecases_of(application).digests.preview(channel.id)).digest.to_json()
        made_by_preview = len(topic_creations(fake_api))
        await post_digest(application)
    topics = {name: thread for thread, name in fake_api.forum_topics(FORUM_ID).items()}
    first_digest = {(m.message_thread_id, m.plain_text) for m in fake_api.messages_to(FORUM_ID)}

    # A later digest, after a restart: the topics made before are the ones used.
    async with running_bot(settings) as application:
        async with usecases_of(application).resources.sessions() as session:
            channel = await session.scalar(select(Channel))
            await queue_digest(session, channel.id, ChannelDigest(FORUM, "en", [], ["courier news", "herald news"],
                                                                  feeds=["courier", "herald"]))
        await outbox_of(application).send_pending()

    assert sorted(topics) == ["City Courier", "Harbour Herald"]
    [(herald_thread, herald_text)] = [(t, text) for t, text in first_digest if t == topics["Harbour Herald"]]
    [(courier_thread, courier_text)] = [(t, text) for t, text in first_digest if t == topics["City Courier"]]
    assert STORIES[0][0] in herald_text and STORIES[1][0] not in herald_text
    assert STORIES[1][0] in courier_text and STORIES[0][0] not in courier_text
    assert len(topic_creations(fake_api)) == 2
    # The dry run shows the feed whose topic each message goes to, and makes no topic.
    assert sorted(preview["message_feeds"]) == ["courier", "herald"] and len(preview["messages"]) == 2
    assert made_by_preview == 0
    later = [(m.message_thread_id, m.text) for m in fake_api.messages_to(FORUM_ID)][2:]
    assert later == [(courier_thread, "courier news"), (herald_thread, "herald news")]


async def test_without_the_right_to_manage_topics_the_digest_goes_to_the_general_topic_with_one_log_line(
    tmp_path, fake_api, web, caplog
):
    fake_api.add_chat(FORUM_ID, type="supergroup", topics=[], bot_manages_topics=False)
    async with running_bot(forum_settings(tmp_path, fake_api, web)) as application:
        with caplog.at_level(logging.WARNING):
            await post_digest(application)
        async with usecases_of(application).resources.sessions() as session:
            channel = await session.scalar(select(Channel))

    posted = fake_api.messages_to(FORUM_ID)
    assert posted and all(message.message_thread_id is None for message in posted)
    assert {title for title, _ in STORIES} <= {line for m in posted for line in m.plain_text.splitlines()}
    assert len(topic_creations(fake_api)) == 1  # asked once for the digest, not once per feed
    [line] = [record for record in caplog.records if "forum topic" in record.getMessage()]
    assert "not enough rights to create a topic" in line.getMessage().lower() and "General topic" in line.getMessage()
    assert line.levelno == logging.WARNING and not line.exc_info
    assert channel.paused_reason is None


async def test_a_feed_topic_deleted_from_the_group_is_made_again(tmp_path, fake_api):
    fake_api.add_chat(FORUM_ID, type="supergroup", topics=[])
    settings = bot_settings(tmp_path, fake_api, feeds=[{"name": "herald", "url": "https://herald.example/rss"}],
                            channels=[{"chat": FORUM, "topics": "per_feed", "digest": quiet_schedule()}])
    async with running_bot(settings) as application:
        async with usecases_of(application).resources.sessions() as session:
            channel = await session.scalar(select(Channel))
        for text in ("before", "after"):
            async with usecases_of(application).resources.sessions() as session:
                await queue_digest(session, channel.id, ChannelDigest(FORUM, "en", [], [text], feeds=["herald"]))
            await outbox_of(application).send_pending()
            if text == "before":
                [first_topic] = fake_api.forum_topics(FORUM_ID)
                fake_api.delete_forum_topic(FORUM_ID, first_topic)

    [second_topic] = fake_api.forum_topics(FORUM_ID)
    assert second_topic != first_topic
    assert [(m.message_thread_id, m.text) for m in fake_api.messages_to(FORUM_ID)] == [
        (first_topic, "before"), (second_topic, "after")]
