"""Digest times in each channel's zone (DST included) and jobs rebuilt from the database at start."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.app import usecases_of
from bot.store.db import open_store
from bot.store.queries import channel_fields, sync_config
from bot.store.tables import Channel
from bot.usecases.digests import DigestRun, Digests
from config.schedule import digest_trigger
from config.settings import ChannelSettings
from tests.botharness import ADMIN_ID, CHANNEL, CHANNEL_ID, bot_settings, run_job, running_bot

PRAGUE = ZoneInfo("Europe/Prague")
UTC = ZoneInfo("UTC")


def next_fire(schedule: dict, after: datetime) -> datetime:
    return digest_trigger(schedule).get_next_fire_time(None, after)


def test_a_daily_digest_stays_at_its_local_time_across_daylight_saving_changes():
    daily = {"at": "08:00", "timezone": "Europe/Prague"}

    before_spring = next_fire(daily, datetime(2026, 3, 28, 9, 0, tzinfo=PRAGUE))
    before_autumn = next_fire(daily, datetime(2026, 10, 24, 9, 0, tzinfo=PRAGUE))

    assert before_spring == datetime(2026, 3, 29, 8, 0, tzinfo=PRAGUE)
    assert before_spring.astimezone(UTC).hour == 6  # summer time: UTC+2
    assert next_fire(daily, datetime(2026, 3, 27, 9, 0, tzinfo=PRAGUE)).astimezone(UTC).hour == 7
    assert before_autumn == datetime(2026, 10, 25, 8, 0, tzinfo=PRAGUE)
    assert before_autumn.astimezone(UTC).hour == 7  # back to UTC+1


def test_a_cron_digest_follows_crontab_weekdays_in_the_channels_zone():
    weekdays = {"cron": "30 7 * * 1-5", "timezone": "Europe/Paris"}
    paris = ZoneInfo("Europe/Paris")

    after_friday = next_fire(weekdays, datetime(2026, 6, 5, 8, 0, tzinfo=paris))  # Friday, after 07:30

    assert after_friday == datetime(2026, 6, 8, 7, 30, tzinfo=paris)  # Monday
    # Crontab counts weekdays from Sunday = 0 (APScheduler 3 counts from Monday).
    sundays = {"cron": "0 9 * * 0", "timezone": "Europe/Paris"}
    assert next_fire(sundays, datetime(2026, 6, 5, 8, 0, tzinfo=paris)) == datetime(2026, 6, 7, 9, 0, tzinfo=paris)


async def test_digest_jobs_are_rebuilt_from_the_database_at_start(tmp_path, fake_api):
    fake_api.add_chat(CHANNEL_ID, username="briefnews", admins=[ADMIN_ID])
    configured = [
        {"chat": "@config_daily", "digest": {"at": "06:15", "timezone": "America/New_York"}},
        {"chat": "@config_cron", "digest": {"cron": "0 18 * * 1-5", "timezone": "Asia/Tokyo"}},
    ]
    settings = bot_settings(tmp_path, fake_api, channels=configured)
    async with running_bot(settings):
        fake_api.user_message(ADMIN_ID, ADMIN_ID, f"/schedule {CHANNEL} 21:45 Europe/Prague")
        await fake_api.wait_for_messages(1, chat_id=ADMIN_ID)

    async with running_bot(settings) as application:
        async with usecases_of(application).resources.sessions() as session:
            channels = {channel.chat: channel.id for channel in await session.scalars(select(Channel))}
        jobs = {chat: application.job_queue.get_jobs_by_name(f"digest:{channel_id}")
                for chat, channel_id in channels.items()}

    assert set(channels) == {"@config_daily", "@config_cron", str(CHANNEL_ID)}
    times = {chat: (str(job.next_t.tzinfo), job.next_t.hour, job.next_t.minute) for chat, [job] in jobs.items()}
    assert times == {
        "@config_daily": ("America/New_York", 6, 15),
        "@config_cron": ("Asia/Tokyo", 18, 0),
        str(CHANNEL_ID): ("Europe/Prague", 21, 45),
    }
    [prague_job] = jobs[str(CHANNEL_ID)]
    # Held up by a restart, a digest still goes out (once) within the hour.
    assert (prague_job.job.misfire_grace_time, prague_job.job.coalesce) == (3600, True)


async def test_a_digest_time_missed_while_the_bot_was_down_is_caught_up_at_start(tmp_path, fake_api, monkeypatch):
    ran: list[int] = []

    async def record_run(self, channel_id: int, sender, **options) -> DigestRun:
        ran.append(channel_id)
        return DigestRun(None, 0, 0)

    monkeypatch.setattr(Digests, "post", record_run)
    now = datetime.now(UTC)

    def daily(ago: timedelta) -> dict:
        return {"at": f"{now - ago:%H:%M}", "timezone": "UTC"}

    settings = bot_settings(tmp_path, fake_api, channels=[
        {"chat": "@missed", "digest": daily(timedelta(minutes=10))},
        {"chat": "@posted_already", "digest": daily(timedelta(minutes=10))},
        {"chat": "@too_long_ago", "digest": daily(timedelta(hours=2))},
    ])
    engine, sessions = await open_store(settings.storage.url)  # the database as the last run left it
    async with sessions() as session:
        await sync_config(session, settings, tmp_path)
        await session.execute(update(Channel).where(Channel.chat == "@posted_already")
                              .values(last_digest_at=now - timedelta(minutes=5)))
        await session.commit()
        ids = {channel.chat: channel.id for channel in await session.scalars(select(Channel))}
    await engine.dispose()

    async with running_bot(settings):
        await asyncio.sleep(0.3)  # due jobs run as soon as the job queue starts

    assert ran == [ids["@missed"]]


async def test_schedule_and_status_tell_when_the_next_digest_is_due(tmp_path, fake_api):
    # Three hours on, in a zone without daylight saving: the next digest is today's or tomorrow's, at that minute.
    kathmandu = ZoneInfo("Asia/Kathmandu")
    due = (datetime.now(kathmandu) + timedelta(hours=3)).replace(second=0, microsecond=0)
    fake_api.add_chat(CHANNEL_ID, type="channel", username=CHANNEL.lstrip("@"), admins=[ADMIN_ID])
    fake_api.add_chat(-1009990001, type="channel", username="config_daily", admins=[ADMIN_ID])
    configured = [{"chat": "@config_daily", "digest": {"at": f"{due:%H:%M}", "timezone": "Asia/Kathmandu"}}]
    async with running_bot(bot_settings(tmp_path, fake_api, channels=configured)):
        fake_api.user_message(ADMIN_ID, ADMIN_ID, f"/schedule {CHANNEL} {due:%H:%M} Asia/Kathmandu")
        fake_api.user_message(ADMIN_ID, ADMIN_ID, "/status @config_daily")
        scheduled, status = await fake_api.wait_for_messages(2, chat_id=ADMIN_ID)

    expected = f"{due:%Y-%m-%d %H:%M} +0545"
    assert scheduled.plain_text.endswith(f"(Asia/Kathmandu). Next one: {expected}.")
    assert f"Next digest: {expected} (daily at {due:%H:%M} (Asia/Kathmandu))" in status.plain_text.splitlines()


async def test_digest_jobs_follow_schedules_another_process_changed(tmp_path, fake_api):
    settings = bot_settings(tmp_path, fake_api, channels=[{"chat": "@news", "digest": {"at": "06:15", "timezone": "UTC"}}])
    prague = {"at": "21:45", "timezone": "Europe/Prague"}
    async with running_bot(settings) as application:
        async with usecases_of(application).resources.sessions.begin() as session:  # as another process's /schedule
            await session.execute(update(Channel).values(schedule=prague))
            session.add(Channel(chat="-1007", **channel_fields(ChannelSettings(chat="-1007", digest=prague, feeds=[]))))
        await run_job(application, "schedules")
        async with usecases_of(application).resources.sessions() as session:
            channels = {channel.chat: channel.id for channel in await session.scalars(select(Channel))}
        jobs = {chat: application.job_queue.get_jobs_by_name(f"digest:{channel_id}")
                for chat, channel_id in channels.items()}

    times = {chat: (str(job.next_t.tzinfo), job.next_t.hour, job.next_t.minute) for chat, [job] in jobs.items()}
    assert times == {"@news": ("Europe/Prague", 21, 45), "-1007": ("Europe/Prague", 21, 45)}
