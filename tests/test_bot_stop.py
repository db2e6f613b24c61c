"""Stopping the bot within seconds whatever its jobs are doing; a job that runs on and on is named in the log.

Stopping while other processes poll with the same token: tests/test_processes.py."""

from __future__ import annotations

import asyncio
import logging
import time

from bot import scheduler
from tests.botharness import bot_settings, running_bot


def hanging_job(started: asyncio.Event):
    async def poll_feeds(context: object) -> None:
        started.set()
        await asyncio.Event().wait()  # awaits something that never comes

    return poll_feeds


async def test_a_job_that_never_ends_is_named_in_the_log_and_does_not_hold_up_the_stop(
    tmp_path, fake_api, monkeypatch, caplog
):
    started = asyncio.Event()
    monkeypatch.setattr(scheduler, "poll_feeds", hanging_job(started))
    monkeypatch.setattr(scheduler, "LONG_JOB", 0.2)
    monkeypatch.setattr(scheduler, "STOP_GRACE", 0.2)
    async with running_bot(bot_settings(tmp_path, fake_api)):
        await asyncio.wait_for(started.wait(), 10)
        await asyncio.sleep(0.5)
        stopping = time.monotonic()
    stop_took = time.monotonic() - stopping

    warnings = [r.message for r in caplog.records if r.levelno == logging.WARNING and "job poll" in r.message]
    assert warnings and warnings[0].startswith("job poll has been running for")
    # PTB alone would wait for the job for ever; the margin is for a loaded machine.
    assert stop_took < 10
