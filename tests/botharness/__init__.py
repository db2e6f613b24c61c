"""Running the real bot Application against the fake Bot API, with a small stand-in for the model.

Fixtures in tests.botharness.fixtures (register with `pytest_plugins`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.app import build_application, started
from bot.usecases.summaries import Limits
from config.settings import Settings
from summarizer.backends.base import Backend
from tests.fakebotapi import FakeBotApi

ADMIN_ID = 1001
USER_ID = 2002
CHANNEL_ID = -1001234567890
CHANNEL = "@briefnews"

SUMMARY = "The city council approved the new budget on Tuesday after a long debate about schools."


class FixedBackend(Backend):
    """Writes the same summary for every request, through the real pre- and postprocessing.

    With `gate` set, generation waits until the test opens it, to hold requests in progress.
    """

    backend_name = "fixed"

    def __init__(self, summary: str = SUMMARY, *, gate: asyncio.Event | None = None) -> None:
        self.model_name = "fixed-test-model"
        self.summary = summary
        self.gate = gate
        self.prompts: list[str] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def prompt(self, source: str, language: str, max_chars: int, variant: int) -> str:
        return f"[{language}] {source}"

    async def generate(self, prompt: str, max_new_tokens: int) -> str:
        self.prompts.append(prompt)
        if self.gate is not None:
            await self.gate.wait()
        return self.summary


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
    application = build_application(settings, None, backend=backend or FixedBackend(), limits=limits)
    async with started(application):
        yield application


async def run_job(application: Application, name: str) -> None:
    """Run a scheduled job now, as its trigger would."""
    [job] = application.job_queue.get_jobs_by_name(name)
    await job.run(application)
