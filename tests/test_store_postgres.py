"""The store on PostgreSQL: schema, the demo poll -> group -> digest flow, time zones, constraints."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

from bot.digest.choose import choose_stories
from bot.feeds import fingerprint
from bot.feeds.poll import Poller
from bot.metrics import Metrics
from bot.platforms import RENDERS
from bot.resources import Resources, open_resources
from bot.store.db import open_store
from bot.store.queries import all_channels, sync_config
from bot.store.tables import Article, Base, Digest, Feed, OutboxMessage, PostedStory, Story, SummaryRecord, utcnow
from bot.store.work_claims import WorkClaims
from bot.usecases.digests import Digests
from bot.usecases.polling import poll_feeds
from config.model_settings import ModelSettings
from config.settings import FetchSettings, Settings, StorageSettings, load_settings
from tests.doubles import FakeSender
from web.fetch import Fetcher, create_session
from web.pool import ParsePool

pytestmark = pytest.mark.postgres

DEMO_CONFIG = Path(__file__).resolve().parent.parent / "config" / "demo.yaml"
DEMO_FEEDS = DEMO_CONFIG.parent / "demo" / "feeds"
DEMO_ARTICLES = 14



def demo_settings(storage_url: str) -> Settings:
    """config/demo.yaml (file: feeds next to it) on another database."""
    return load_settings(DEMO_CONFIG).model_copy(update={"storage": StorageSettings(url=storage_url)})


@asynccontextmanager
async def polled_demo(settings: Settings) -> AsyncIterator[Resources]:
    """The demo feeds polled once and grouped into stories, as `python -m bot poll` does."""
    resources = await open_resources(settings, DEMO_CONFIG)
    try:
        report = await poll_feeds(resources, Metrics(), only_due=False)
        assert [outcome.error for outcome in report.outcomes] == [None] * len(settings.feeds)
        yield resources
    finally:
        await resources.close()


@dataclass(frozen=True)
class StoredDemo:
    articles: int
    stories: int
    duplicates: int
    grouping: frozenset[frozenset[tuple[str, str]]]  # stories as sets of (feed, guid)
    chosen: dict[str, frozenset[frozenset[str]]]  # per channel: the next digest's stories as sets of guids


async def stored_demo(resources: Resources) -> StoredDemo:
    async with resources.sessions() as session:
        rows = (await session.execute(select(Feed.name, Article.guid, Article.story_id).join(Article.feed))).all()
        stories = await session.scalar(select(func.count()).select_from(Story))
        duplicates = await session.scalar(select(func.count()).where(Article.duplicate_of.is_not(None)))
        chosen = {}
        for channel in await all_channels(session):
            stories_chosen = await choose_stories(session, channel)
            chosen[channel.chat] = frozenset(frozenset(a.guid for a in story.articles) for story in stories_chosen)
    members: dict[int, set[tuple[str, str]]] = {}
    for feed, guid, story_id in rows:
        members.setdefault(story_id, set()).add((feed, guid))
    grouping = frozenset(frozenset(story) for story in members.values())
    return StoredDemo(len(rows), stories, duplicates, grouping, chosen)


async def test_open_store_creates_the_schema_on_postgresql_and_opens_it_again(postgres_url):
    for _ in range(2):  # the second open finds the schema in place, as after a restart
        engine, _ = await open_store(postgres_url)
        try:
            async with engine.connect() as connection:
                tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        finally:
            await engine.dispose()
        assert tables == set(Base.metadata.tables) | {"alembic_version"}


async def test_demo_feeds_give_the_same_articles_and_stories_on_postgresql_as_on_sqlite(postgres_url, tmp_path):
    stored = []
    for url in (f"sqlite+aiosqlite:///{tmp_path}/demo.db", postgres_url):
        async with polled_demo(demo_settings(url)) as resources:
            stored.append(await stored_demo(resources))
    on_sqlite, on_postgres = stored
    # The digest's choice is the store's part of the flow; the model's part is the same on both.
    assert on_sqlite.articles == DEMO_ARTICLES
    assert all(on_sqlite.chosen.values())
    assert on_postgres == on_sqlite


async def test_datetimes_come_back_timezone_aware_in_utc(postgres_url):
    prague_noon = datetime(2024, 5, 1, 12, 0, tzinfo=ZoneInfo("Europe/Prague"))
    engine, sessions = await open_store(postgres_url)
    try:
        async with sessions() as session:
            feed = Feed(name="tz", url="file:///nowhere.xml", last_polled_at=prague_noon)
            session.add(feed)
            await session.flush()
            session.add(Article(feed_id=feed.id, guid="a", text_hash="h", published_at=prague_noon))
            await session.commit()
        async with sessions() as session:
            feed = await session.scalar(select(Feed))
            article = await session.scalar(select(Article))
            after_ten_utc = select(func.count()).where(Article.published_at > datetime(2024, 5, 1, 10, 0, tzinfo=UTC))
            published_after_ten_utc = await session.scalar(after_ten_utc)
    finally:
        await engine.dispose()
    for value in (feed.last_polled_at, article.published_at, article.fetched_at):
        assert value.utcoffset() == timedelta(0)
    assert article.published_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC) == prague_noon
    assert published_after_ten_utc == 0  # compared as instants, not as wall-clock times


async def test_a_second_article_with_the_same_feed_and_guid_is_refused(postgres_url):
    engine, sessions = await open_store(postgres_url)
    try:
        async with sessions() as session:
            feed = Feed(name="wire", url="file:///nowhere.xml")
            session.add(feed)
            await session.flush()
            session.add(Article(feed_id=feed.id, guid="a", text_hash="h1", published_at=datetime.now(UTC)))
            await session.commit()
        async with sessions() as session:
            session.add(Article(feed_id=feed.id, guid="a", text_hash="h2", published_at=datetime.now(UTC)))
            with pytest.raises(IntegrityError, match="uq_article_feed_guid"):
                await session.commit()
    finally:
        await engine.dispose()


async def test_two_pollers_racing_on_one_feed_store_each_entry_once(postgres_url, monkeypatch):
    # Both polls see every entry as new before either stores one, as when two bot processes poll
    # the same feed at once: the later inserts meet the unique constraint.
    both_checked = asyncio.Barrier(2)
    unseen = Poller._unseen
    seen_as_new: list[int] = []

    async def unseen_then_wait(self, feed_id, entries):
        fresh = await unseen(self, feed_id, entries)
        seen_as_new.append(len(fresh))
        await both_checked.wait()
        return fresh

    monkeypatch.setattr(Poller, "_unseen", unseen_then_wait)
    engine, sessions = await open_store(postgres_url)
    try:
        async with sessions() as session:
            feed = Feed(name="harbour-herald", url=(DEMO_FEEDS / "harbour-herald.xml").as_uri())
            session.add(feed)
            await session.commit()
        settings = FetchSettings()
        parse_pool = ParsePool(preload=fingerprint.PRELOAD)
        async with create_session(settings) as http, parse_pool as parsers, asyncio.timeout(30):
            poller = Poller(sessions, Fetcher(http, settings), parsers)
            outcomes = await asyncio.gather(poller.poll(feed), poller.poll(feed))
        async with sessions() as session:
            guids = list(await session.scalars(select(Article.guid)))
    finally:
        await engine.dispose()
    assert [outcome.error for outcome in outcomes] == [None, None]
    assert guids and len(set(guids)) == len(guids)
    assert seen_as_new == [len(guids), len(guids)]  # both tried to insert every entry
    assert sum(outcome.new_articles for outcome in outcomes) == len(guids)


async def test_a_posted_digest_is_in_the_outbox_and_its_stories_are_not_chosen_again(postgres_url, tiny_causal_dir):
    settings = demo_settings(postgres_url)
    # One English story a digest: the tiny model then writes one summary and no headline.
    english = settings.channels[0].model_copy(update={"feeds": ["harbour-herald"], "max_stories": 1})
    settings = settings.model_copy(update={"channels": [english], "model": ModelSettings(name=str(tiny_causal_dir), max_chars=80)})
    async with polled_demo(settings) as resources:
        async with resources.sessions() as session:
            [channel] = await all_channels(session)
        await resources.load_model()
        run = await Digests(resources, Metrics(), RENDERS).post(channel.id, FakeSender())
        digest = run.digest
        async with resources.sessions() as session:
            posted = set(await session.scalars(select(PostedStory.story_id)))
            queued = select(OutboxMessage.text)
            outbox = list(await session.scalars(queued.order_by(OutboxMessage.position)))
            cached = await session.scalar(select(func.count()).select_from(SummaryRecord))
            next_time = {story.story_id for story in await choose_stories(session, channel)}
    assert len(digest.items) == 1 and cached == 1
    assert posted == {item.story_id for item in digest.items}
    assert outbox == digest.messages and outbox
    assert next_time and not next_time & posted


async def test_processes_posting_a_channel_s_digest_due_at_one_time_build_and_queue_it_once(postgres_url, tiny_causal_dir):
    settings = demo_settings(postgres_url)
    english = settings.channels[0].model_copy(update={"feeds": ["harbour-herald"], "max_stories": 1})
    settings = settings.model_copy(update={"channels": [english], "model": ModelSettings(name=str(tiny_causal_dir), max_chars=80)})
    async with polled_demo(settings) as resources:
        async with resources.sessions() as session:
            [channel] = await all_channels(session)
        await resources.load_model()
        # Another process: claims of its own (here on its own connection of the same engine).
        other = replace(resources, claims=WorkClaims(resources.engine))
        due = utcnow()
        try:
            runs = await asyncio.gather(*(Digests(one, Metrics(), RENDERS).post(channel.id, FakeSender(), due=due)
                                          for one in (resources, other)))
        finally:
            await other.claims.close()
        async with resources.sessions() as session:
            digests = await session.scalar(select(func.count()).select_from(Digest))
    assert sorted(run.digest is None for run in runs) == [False, True]  # the second found it posted
    assert digests == 1


async def test_processes_starting_together_write_the_config_into_the_store_once(postgres_url):
    settings = demo_settings(postgres_url)
    stores = [await open_store(postgres_url) for _ in range(4)]  # as four processes' stores

    async def sync(sessions) -> None:
        async with sessions() as session:
            await sync_config(session, settings, DEMO_CONFIG.parent)

    await asyncio.gather(*(sync(sessions) for _, sessions in stores))
    async with stores[0][1]() as session:
        feeds = list(await session.scalars(select(Feed.name)))
    for engine, _ in stores:
        await engine.dispose()

    assert sorted(feeds) == sorted(feed.name for feed in settings.feeds)
