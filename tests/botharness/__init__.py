"""Running the real bot Application against the fake Bot API, with a stand-in for the model.

Fixtures in tests.botharness.fixtures (register with `pytest_plugins`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.app import build_application, started
from bot.usecases.summaries import Limits
from config.settings import Settings
from summarizer import Backend, Summarizer
from tests.doubles import FakeBackend
from tests.fakebotapi import FakeBotApi

ADMIN_ID = 1001
USER_ID = 2002
CHANNEL_ID = -1001234567890
CHANNEL = "@briefnews"

STORIES = [
    ("Harbour cranes return after strike",
     "Dock workers in the harbour ended their two-week strike on Monday after the port authority agreed to hire "
     "forty more crane operators. Container ships that had waited at anchor began unloading in the afternoon. "),
    ("Tram line to the airport opens",
     "The new tram line between the central station and the airport opened to passengers on Saturday morning. "
     "The city expects twelve thousand riders a day once the summer timetable starts in June. "),
]


def rss(stories: list[tuple[str, str]]) -> bytes:
    now = format_datetime(datetime.now(UTC))
    items = "".join(
        f"<item><title>{title}</title><link>https://herald.example/{number}</link><guid>story-{number}</guid>"
        f"<pubDate>{now}</pubDate><description><![CDATA[{body * 4}]]></description></item>"
        for number, (title, body) in enumerate(stories)
    )
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Herald</title>'
            f"<link>https://herald.example/</link>{items}</channel></rss>").encode()


async def admin_says(api: FakeBotApi, text: str, **options) -> str:
    """An admin's message in their private chat with the bot, and the bot's answer."""
    before = len(api.messages_to(ADMIN_ID))
    api.user_message(ADMIN_ID, ADMIN_ID, text, **options)
    messages = await api.wait_for_messages(before + 1, chat_id=ADMIN_ID)
    return messages[before].plain_text


def add_channel(api: FakeBotApi) -> None:
    api.add_chat(CHANNEL_ID, type="channel", username=CHANNEL.lstrip("@"), title="Brief News", admins=[ADMIN_ID])


def quiet_schedule() -> dict[str, str]:
    """A daily digest time twelve hours away: no digest job runs (or is caught up) during a test."""
    return {"at": f"{(datetime.now(UTC) + timedelta(hours=12)):%H:%M}", "timezone": "UTC"}


def bot_settings(tmp_path: Path, api: FakeBotApi, **sections: dict[str, Any]) -> Settings:
    """Settings for a bot on the fake API, SQLite in tmp_path, a random server port, fetches without delays."""
    data: dict[str, Any] = {
        "storage": {"url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"},
        "telegram": {"token": api.token, "base_url": api.base_url},
        "server": {"host": "127.0.0.1", "port": 0},
        "fetch": {"host_delay": 0, "retries": 0, "connect_timeout": 2, "read_timeout": 2},
    }
    for section, values in sections.items():
        data[section] = {**data.get(section, {}), **values} if isinstance(values, dict) else values
    return Settings(**data)


@asynccontextmanager
async def running_bot(
    settings: Settings, *, backend: Backend | None = None, limits: Limits = Limits()
) -> AsyncIterator[Application]:
    application = build_application(settings, None, summarizer=Summarizer(backend or FakeBackend()), limits=limits)
    async with started(application):
        yield application


async def run_job(application: Application, name: str) -> None:
    """Run a scheduled job now, as its trigger would."""
    [job] = application.job_queue.get_jobs_by_name(name)
    await job.run(application)
