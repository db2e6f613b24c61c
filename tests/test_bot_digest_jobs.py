"""Digest jobs that fall due together, and digest jobs that fail."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import selectinload

from bot.app import usecases_of
from bot.digest.items import build_item
from bot.digest.summaries import StorySummaries
from bot.scheduler import DIGEST_RETRY_AFTER
from bot.store.db import open_store
from bot.store.tables import Article, Feed, SummaryRecord, utcnow
from bot.usecases.digests import Digests
from summarizer import Summarizer
from tests.botharness import STORIES, bot_settings, quiet_schedule, rss, run_job, running_bot
from tests.doubles import FakeBackend
from tests.feedserver import reply

CHANNELS = {f"@channel_{n:02}": -1003000000000 - n for n in range(12)}


async def test_twelve_digests_due_at_one_instant_on_an_empty_summary_cache_are_all_posted_once(
    tmp_path, fake_api, web
):
    web.route("/feed.xml", reply(rss(STORIES), headers={"Content-Type": "application/rss+xml"}))
    for name, chat_id in CHANNELS.items():
        fake_api.add_chat(chat_id, type="channel", username=name.lstrip("@"))
    settings = bot_settings(
        tmp_path, fake_api,
        feeds=[{"name": "herald", "url": web.url("/feed.xml")}],
        channels=[{"chat": name, "language": "en", "digest": quiet_schedule()} for name in CHANNELS],
    )
    backend = FakeBackend(gate=asyncio.Event())
    async with running_bot(settings, backend=backend) as application:
        await run_job(application, "poll")
        channel_ids = [job.data.channel_id for job in application.job_queue.jobs() if job.name.startswith("digest:")]
        jobs = [asyncio.create_task(run_job(application, f"digest:{channel_id}")) for channel_id in channel_ids]
        await asyncio.sleep(0.5)  # every job is waiting for the model now
        backend.gate.set()
        await asyncio.gather(*jobs)
        async with usecases_of(application).resources.sessions() as session:
            summaries = await session.scalar(select(func.count()).select_from(SummaryRecord))

    assert len(channel_ids) == len(CHANNELS)
    for chat_id in CHANNELS.values():
        [digest] = fake_api.messages_to(chat_id)
        assert all(title in digest.plain_text for title, _ in STORIES)
    # One computation per story, shared by the twelve jobs.
    assert summaries == len(STORIES) and len(backend.prompts) == len(STORIES)


async def test_two_processes_summarising_one_story_at_once_both_get_the_summary(tmp_path):
    engine, sessions = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    try:
        async with sessions.begin() as session:
            feed = Feed(name="herald", url="file:///herald.xml")
            session.add(feed)
            await session.flush()
            text = STORIES[0][1] * 3
            session.add(Article(feed_id=feed.id, guid="a", title=STORIES[0][0], text=text, text_hash="h",
                                language="en", published_at=utcnow()))
        async with sessions() as session:
            [article] = await session.scalars(select(Article).options(selectinload(Article.feed)))
        gate = asyncio.Event()
        # Two bot processes: each its own summary cache in memory, one store.
        first, second = (StorySummaries(sessions, Summarizer(FakeBackend(gate=gate)), max_chars=400) for _ in range(2))
        both = asyncio.gather(build_item(first, [article], "en"), build_item(second, [article], "fr"),
                              build_item(second, [article], "en"))
        await asyncio.sleep(0.3)
        gate.set()
        items = await both
        async with sessions() as session:
            stored = await session.scalar(select(func.count()).select_from(SummaryRecord))
    finally:
        await engine.dispose()

    assert not [flag for item in items for flag in item.flags if flag.startswith("error")]
    assert items[0].summary and items[2].summary == items[0].summary
    assert stored == 2  # en and fr, the second en insert gave way to the first


async def test_a_failed_digest_job_is_retried_soon(tmp_path, fake_api, monkeypatch):
    failures = []

    async def fail(self, channel_id: int, sender, **options):
        failures.append(channel_id)
        raise RuntimeError("database is locked")

    monkeypatch.setattr(Digests, "post", fail)
    settings = bot_settings(tmp_path, fake_api, channels=[{"chat": "@news", "digest": quiet_schedule()}])
    async with running_bot(settings) as application:
        [job] = [job for job in application.job_queue.jobs() if job.name.startswith("digest:")]
        await job.run(application)
        [retry] = [job for job in application.job_queue.jobs() if job.name.startswith("digest-retry:")]
        wait = (retry.next_t - utcnow()).total_seconds()

    assert failures == [job.data.channel_id]
    assert retry.data.channel_id == job.data.channel_id and retry.data.attempt == 1
    assert DIGEST_RETRY_AFTER - 5 < wait <= DIGEST_RETRY_AFTER


async def test_a_story_whose_item_fails_is_left_out_and_the_digest_posts_the_others(
    tmp_path, fake_api, web, monkeypatch, caplog
):
    web.route("/feed.xml", reply(rss(STORIES), headers={"Content-Type": "application/rss+xml"}))
    fake_api.add_chat(-1003100000001, type="channel", username="harbour")
    settings = bot_settings(tmp_path, fake_api, feeds=[{"name": "herald", "url": web.url("/feed.xml")}],
                            channels=[{"chat": "@harbour", "language": "en", "digest": quiet_schedule()}])
    (cranes, _), (tram, _) = STORIES
    summary = StorySummaries.summary

    async def summary_failing_for_the_tram(self, articles, language):
        if articles[0].title == tram:  # say, the summary cache's database failed for this story
            raise OperationalError("INSERT INTO summaries", {}, Exception("disk I/O error"))
        return await summary(self, articles, language)

    async with running_bot(settings) as application:
        await run_job(application, "poll")
        [job] = [job for job in application.job_queue.jobs() if job.name.startswith("digest:")]
        monkeypatch.setattr(StorySummaries, "summary", summary_failing_for_the_tram)
        with caplog.at_level(logging.INFO, logger="bot"):
            await job.run(application)
        [first] = fake_api.messages_to(-1003100000001)
        monkeypatch.setattr(StorySummaries, "summary", summary)
        await job.run(application)  # the story left out was not given: it comes next time
        _, second = fake_api.messages_to(-1003100000001)
        async with usecases_of(application).resources.sessions() as session:
            tram_story = await session.scalar(select(Article.story_id).where(Article.title == tram))

    assert cranes in first.plain_text and tram not in first.plain_text
    assert tram in second.plain_text and cranes not in second.plain_text
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING and r.name.startswith("bot.")]
    assert f"story {tram_story} left out" in warning.getMessage() and "disk I/O error" in warning.getMessage()
    [posted] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("digest of channel @harbour")]
    assert "items posted: 1 (1 new, 0 updates)" in posted and "left out after errors: 1" in posted
