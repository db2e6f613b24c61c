"""Channel administration through the fake Bot API: feeds, schedule, filters, language, OPML, status."""

from __future__ import annotations

from lxml import etree
from sqlalchemy import select

from bot.app import usecases_of
from bot.store.tables import Channel, Digest, Feed, OutboxMessage
from tests.botharness import (
    ADMIN_ID,
    CHANNEL,
    CHANNEL_ID,
    STORIES,
    USER_ID,
    add_channel,
    admin_says,
    bot_settings,
    quiet_schedule,
    rss,
    run_job,
    running_bot,
)
from tests.doubles import FakeBackend
from tests.feedserver import reply

GROUP_ID = -1007770001
# The harbour story's facts in its own words, naming nothing: the gate lets it through for that story.
SUMMARY = "The port authority agreed to hire crane operators, and the dock workers ended their strike."
async def channel_row(application) -> Channel:
    async with usecases_of(application).resources.sessions() as session:
        return await session.scalar(select(Channel))


async def test_admin_adds_a_feed_sets_a_schedule_and_the_digest_is_posted_at_that_time(tmp_path, fake_api, web):
    web.route("/feed.xml", reply(rss(STORIES), headers={"Content-Type": "application/rss+xml"}))
    add_channel(fake_api)
    settings = bot_settings(tmp_path, fake_api, security={"allow_private_urls": True})
    async with running_bot(settings, backend=FakeBackend(SUMMARY)) as application:
        # The test runs the poll round itself: a scheduled one at the same time could store the
        # articles first and still be grouping them when the digest is built.
        [poll_round] = application.job_queue.get_jobs_by_name("poll")
        poll_round.enabled = False
        added = await admin_says(fake_api, f"/addfeed {CHANNEL} {web.url('/feed.xml')}")
        scheduled = await admin_says(fake_api, f"/schedule {CHANNEL} 7:30 Europe/Prague")
        channel = await channel_row(application)
        [job] = application.job_queue.get_jobs_by_name(f"digest:{channel.id}")

        await run_job(application, "poll")
        await run_job(application, f"digest:{channel.id}")  # what the trigger does at 07:30 Prague time
        [digest] = fake_api.messages_to(CHANNEL_ID)
        async with usecases_of(application).resources.sessions() as session:
            unsent = await session.scalar(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))
            completed = await session.scalar(select(Digest.completed_at))

    assert added == "@briefnews now follows harbour-herald."
    assert scheduled.startswith("Digests for @briefnews: daily at 07:30 (Europe/Prague). Next one: ")
    assert (channel.from_config, channel.owner_id, channel.schedule) == (
        False, ADMIN_ID, {"at": "07:30", "timezone": "Europe/Prague"}
    )
    assert str(job.next_t.tzinfo) == "Europe/Prague" and (job.next_t.hour, job.next_t.minute) == (7, 30)
    for title, _ in STORIES:
        assert title in digest.plain_text
    assert SUMMARY in digest.plain_text and digest.parse_mode == "HTML"
    assert unsent is None and completed is not None


async def test_topic_filters_set_in_telegram_choose_the_digest_stories_by_meaning(tmp_path, fake_api, web):
    web.route("/feed.xml", reply(rss(STORIES), headers={"Content-Type": "application/rss+xml"}))
    add_channel(fake_api)
    settings = bot_settings(tmp_path, fake_api, security={"allow_private_urls": True})
    async with running_bot(settings) as application:
        [poll_round] = application.job_queue.get_jobs_by_name("poll")
        poll_round.enabled = False
        await admin_says(fake_api, f"/addfeed {CHANNEL} {web.url('/feed.xml')}")
        empty = await admin_says(fake_api, f"/filters {CHANNEL} +topic: -football")
        answer = await admin_says(fake_api, f'/filters {CHANNEL} +topic:public  transport -topic:"labour strikes"')
        channel = await channel_row(application)
        await run_job(application, "poll")
        await run_job(application, f"digest:{channel.id}")
        [digest] = fake_api.messages_to(CHANNEL_ID)

    assert empty == "A topic is a few words, e.g. +topic:energy and climate."
    assert answer == (
        "Filters for @briefnews. Must contain one of: topic:public transport. Must not contain: topic:labour strikes. "
        "Topics match the stories more about them than about other subjects; +topic(strict):words asks for closer "
        "matches, +topic(loose):words for more."
    )
    assert (channel.include, channel.exclude) == (["topic:public transport"], ["topic:labour strikes"])
    # The tram story is about public transport; the dock strike is not (and is about a strike).
    assert "Tram line to the airport opens" in digest.plain_text
    assert "Harbour cranes return after strike" not in digest.plain_text


async def test_someone_who_is_not_an_admin_is_refused_politely(tmp_path, fake_api, web):
    web.route("/feed.xml", reply(rss(STORIES)))
    add_channel(fake_api)
    settings = bot_settings(tmp_path, fake_api, security={"allow_private_urls": True})
    async with running_bot(settings) as application:
        fake_api.user_message(USER_ID, USER_ID, f"/addfeed {CHANNEL} {web.url('/feed.xml')}")
        [answer] = await fake_api.wait_for_messages(1, chat_id=USER_ID)
        async with usecases_of(application).resources.sessions() as session:
            feeds = list(await session.scalars(select(Feed)))

    assert answer.plain_text == "Sorry, only administrators of @briefnews can do that."
    assert feeds == [] and web.hits["/feed.xml"] == 0


async def test_group_admins_manage_the_group_itself_and_members_cannot(tmp_path, fake_api):
    fake_api.add_chat(GROUP_ID, type="supergroup", title="Newsroom", admins=[ADMIN_ID])
    async with running_bot(bot_settings(tmp_path, fake_api)) as application:
        fake_api.user_message(GROUP_ID, ADMIN_ID, "/filters +harbour +/tram(way)?s?/ -football")
        fake_api.user_message(GROUP_ID, USER_ID, "/filters clear")
        answers = await fake_api.wait_for_messages(2, chat_id=GROUP_ID)
        channel = await channel_row(application)

    by_reply = {answer.reply_to_message_id: answer.plain_text for answer in answers}
    assert by_reply[1] == (
        "Filters for Newsroom. Must contain one of: harbour, /tram(way)?s?/. Must not contain: football."
    )
    assert by_reply[2] == "Sorry, only administrators of Newsroom can do that."
    assert channel.chat == str(GROUP_ID)
    assert (channel.include, channel.exclude) == (["harbour", "/tram(way)?s?/"], ["football"])


async def test_commands_in_a_private_chat_need_the_channel_named(tmp_path, fake_api):
    async with running_bot(bot_settings(tmp_path, fake_api)):
        answer = await admin_says(fake_api, "/feeds")

    assert answer.startswith("Which channel? Name it first, e.g. /feeds @my_channel.")


async def test_malformed_opml_gets_a_clear_answer(tmp_path, fake_api):
    add_channel(fake_api)
    broken = fake_api.add_file("opml-1", b"<opml><body><outline xmlUrl='https://a.example/rss'>", "feeds.opml")
    entities = fake_api.add_file(
        "opml-2",
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">]><opml><body>'
        b'<outline xmlUrl="https://a.example/&a;"/></body></opml>',
        "laughs.opml",
    )
    async with running_bot(bot_settings(tmp_path, fake_api)):
        first = await admin_says(fake_api, None, document=broken, caption=CHANNEL)
        second = await admin_says(fake_api, None, document=entities, caption=CHANNEL)

    assert first == "I can't read that file as an OPML feed list: not well-formed XML (line 1)."
    assert second == "I can't read that file as an OPML feed list: document type declarations are not allowed."


async def test_opml_import_then_export_gives_back_the_same_feeds(tmp_path, fake_api):
    add_channel(fake_api)
    opml = (b'<?xml version="1.0"?><opml version="2.0"><head><title>mine</title></head><body>'
            b'<outline text="World"><outline text="Harbour Herald" type="rss" xmlUrl="https://herald.example/rss"/>'
            b'<outline title="Tram Times" type="rss" xmlUrl="https://tram.example/feed"/></outline></body></opml>')
    document = fake_api.add_file("opml-3", opml, "subscriptions.opml")
    settings = bot_settings(tmp_path, fake_api, security={"allow_private_urls": True})
    async with running_bot(settings):
        imported = await admin_says(fake_api, None, document=document, caption=CHANNEL)
        fake_api.user_message(ADMIN_ID, ADMIN_ID, f"/export {CHANNEL}")
        exported = (await fake_api.wait_for_messages(2, chat_id=ADMIN_ID))[1]
        listed = await admin_says(fake_api, f"/feeds {CHANNEL}")

    assert imported == "@briefnews: 2 feeds added, 0 already followed."
    assert exported.method == "sendDocument" and exported.document.file_name == "briefnews-feeds.opml"
    outlines = etree.fromstring(exported.document.content).iter("outline")
    assert {(o.get("title"), o.get("xmlUrl")) for o in outlines} == {
        ("Harbour Herald", "https://herald.example/rss"), ("Tram Times", "https://tram.example/feed")
    }
    assert listed.splitlines()[0] == "Feeds of @briefnews:"
    assert [line.split()[1] for line in listed.splitlines()[1:]] == ["harbour-herald", "tram-times"]


async def test_removing_a_feed_stops_it_for_the_channel(tmp_path, fake_api, web):
    web.route("/feed.xml", reply(rss(STORIES)))
    add_channel(fake_api)
    settings = bot_settings(tmp_path, fake_api, security={"allow_private_urls": True})
    async with running_bot(settings) as application:
        await admin_says(fake_api, f"/addfeed {CHANNEL} {web.url('/feed.xml')}")
        removed = await admin_says(fake_api, f"/removefeed {CHANNEL} harbour-herald")
        unknown = await admin_says(fake_api, f"/removefeed {CHANNEL} harbour-herald")
        async with usecases_of(application).resources.sessions() as session:
            feeds = list(await session.scalars(select(Feed)))

    assert removed == "@briefnews no longer follows harbour-herald."
    assert unknown == "@briefnews has no feed called harbour-herald. /feeds lists them."
    assert feeds == []  # added at run time and followed by no channel any more


async def test_settings_changed_at_run_time_survive_a_restart(tmp_path, fake_api):
    add_channel(fake_api)
    configured = {"chat": CHANNEL, "language": "en", "digest": quiet_schedule()}
    settings = bot_settings(tmp_path, fake_api, channels=[configured])
    async with running_bot(settings):
        answer = await admin_says(fake_api, f"/language {CHANNEL} fr")
    async with running_bot(settings) as application:
        channel = await channel_row(application)

    assert answer == "Digests for @briefnews will be written in: fr."
    assert (channel.chat, channel.language, channel.from_config) == (CHANNEL, "fr", False)


async def test_status_shows_feeds_last_poll_errors_next_digest_and_queues(tmp_path, fake_api, web):
    web.route("/feed.xml", reply(rss(STORIES)))
    add_channel(fake_api)
    settings = bot_settings(tmp_path, fake_api, security={"allow_private_urls": True},
                            telegram={"admins": [ADMIN_ID]})
    async with running_bot(settings) as application:
        await admin_says(fake_api, f"/addfeed {CHANNEL} {web.url('/feed.xml')}")
        web.route("/feed.xml", reply(b"", status=503))
        await run_job(application, "poll")
        channel_status = await admin_says(fake_api, f"/status {CHANNEL}")
        bot_status = await admin_says(fake_api, "/status")

    lines = channel_status.splitlines()
    assert lines[:3] == ["Status of @briefnews", "Language: en", lines[2]]
    assert lines[2].startswith("Next digest: ") and lines[2].endswith("(daily at 08:00 (UTC))")
    assert "Model: fixed-test-model" in lines
    assert "Waiting: 0 summary requests, 0 digest messages" in lines
    assert lines[-1].startswith("• harbour-herald Harbour Herald — last read ") and lines[-1].endswith("⚠️ HTTP 503")
    assert bot_status.splitlines()[:2] == ["Bot status", "Channels: 1"]


async def test_opml_import_names_same_titled_feeds_apart_and_lists_refused_addresses(tmp_path, fake_api):
    add_channel(fake_api)
    opml = (b'<?xml version="1.0"?><opml version="2.0"><body>'
            b'<outline text="News" type="rss" xmlUrl="https://93.184.216.34/a.xml"/>'
            b'<outline text="News" type="rss" xmlUrl="https://93.184.216.35/b.xml"/>'
            b'<outline text="Router" type="rss" xmlUrl="http://127.0.0.1/feed.xml"/></body></opml>')
    document = fake_api.add_file("opml-4", opml, "subscriptions.opml")
    async with running_bot(bot_settings(tmp_path, fake_api)):
        imported = await admin_says(fake_api, None, document=document, caption=CHANNEL)
        listed = await admin_says(fake_api, f"/feeds {CHANNEL}")

    first, *refused = imported.splitlines()
    assert first == "@briefnews: 2 feeds added, 0 already followed."
    assert len(refused) == 2 and refused[1].startswith("• http://127.0.0.1/feed.xml: ")
    assert [line.split()[1] for line in listed.splitlines()[1:]] == ["news", "news-2"]
