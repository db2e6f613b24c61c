"""When things happen: feed polling, outbox rounds and each channel's digest, as jobs on PTB's JobQueue.

The job callbacks are plain async functions of a context, so tests can run a job with
`job.run(application)` instead of waiting for its time.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.triggers.base import BaseTrigger
from telegram.ext import JobQueue

from config.schedule import digest_trigger

if TYPE_CHECKING:
    from bot.store.tables import Channel
    from bot.telegram.context import BotContext

log = logging.getLogger(__name__)

JobCallback = Callable[["BotContext"], Awaitable[None]]

# Every feed is polled when its own interval (or its failure back-off) says it is due; this is how
# often the bot looks, so a feed is polled at most this late (unless a long round is still running).
# A look at nothing due costs two small queries. With a second for the poll to start, a due feed
# is fetched within 5 s of its due time.
POLL_EVERY = 4.0
# How often messages left unsent (flood limits, network trouble, a restart) are tried again.
OUTBOX_EVERY = 10.0
# How often the digest times are read from the database: a /schedule that another process received
# (a worker receives none) reaches this one's digest jobs within this many seconds.
SCHEDULES_EVERY = 60.0
# A digest held up (the bot was down or busy at its time) still goes out within the hour, once;
# later than that it waits for its next time.
DIGEST_GRACE = timedelta(hours=1)
DIGEST_JOB_KWARGS = {"misfire_grace_time": int(DIGEST_GRACE.total_seconds()), "coalesce": True}
# A digest job that fails (the model still loading, the database busy) is tried again soon, a few
# times, rather than at the channel's next digest time.
DIGEST_RETRY_AFTER = 120.0
DIGEST_RETRIES = 3
# A round that overruns the next one just skips it.
ROUND_JOB_KWARGS = {"misfire_grace_time": 60, "coalesce": True, "max_instances": 1}
# A job running longer than this (seconds) is named in a warning: a round or a digest should take
# a few minutes at most, and a job awaiting something that never comes would otherwise be silent.
LONG_JOB = 300.0
# Seconds running jobs get to end when the bot stops, before they are cancelled (their work is
# transactional: it is done again after the next start).
STOP_GRACE = 5.0
# The first rounds run this soon after the job queue starts. (Jobs are added before it starts, and
# APScheduler would skip a first run whose time had passed by then.)
FIRST_ROUND = 1.0


@dataclass(frozen=True)
class DigestJob:
    channel_id: int
    attempt: int = 0  # retries so far
    due: datetime | None = None  # a retry's: the time the digest was scheduled for


async def post_digest(context: BotContext) -> None:
    """A channel's digest time, or a retry of one that failed."""
    job: DigestJob = context.job.data
    # Processes sharing a database each run the job: the time says which digest they all mean.
    due = job.due or scheduled_time(context.job.job.trigger, datetime.now(UTC))
    try:
        await context.usecases.digests.post(job.channel_id, context.usecases.sender, due=due)
    except Exception:
        if job.attempt < DIGEST_RETRIES:
            log.warning("digest of channel %s failed; trying again in %.0f s", job.channel_id, DIGEST_RETRY_AFTER)
            retry = DigestJob(job.channel_id, job.attempt + 1, due)
            # This job's own callback: post_digest as the scheduler wrapped it.
            context.job_queue.run_once(context.job.callback, DIGEST_RETRY_AFTER, data=retry, name=_retry_job_name(retry))
        raise  # the application's error handler logs it


async def poll_feeds(context: BotContext) -> None:
    started = time.monotonic()
    report = await context.usecases.poll_due_feeds()
    if report.outcomes:
        log.info("poll: %d feeds (%d failing), %d new articles, %d new stories in %.1f s", len(report.outcomes),
                 len(report.failing), report.new_articles, report.new_stories, time.monotonic() - started)


async def send_outbox(context: BotContext) -> None:
    await context.outbox.send_pending()


class Scheduler:
    def __init__(self, job_queue: JobQueue, *, digests: bool = True) -> None:
        """Without `digests` (a receiver) no feeds are polled and no digest jobs run: other processes do that."""
        self._jobs = job_queue
        self._digests = digests
        self._running: set[asyncio.Task] = set()
        self._schedules: dict[int, dict] = {}  # each channel's, as this process follows it

    def _watched(self, callback: JobCallback) -> JobCallback:
        """The callback, saying in the log when it runs past LONG_JOB, and known to `stop`."""

        @functools.wraps(callback)
        async def run(context: BotContext) -> None:
            task = asyncio.current_task()
            assert task is not None
            started = time.monotonic()
            warning = asyncio.get_running_loop().call_later(
                LONG_JOB, lambda: log.warning("job %s has been running for %.0f s", context.job.name,
                                              time.monotonic() - started))
            self._running.add(task)
            try:
                await callback(context)
            finally:
                warning.cancel()
                self._running.discard(task)

        return run

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Start no more jobs; give the running ones `grace` seconds to end, then cancel them.

        PTB's own stop waits for running jobs as long as they take, and starts due ones meanwhile."""
        self._jobs.scheduler.pause()
        if self._running:
            _, unfinished = await asyncio.wait(self._running, timeout=grace)
            if unfinished:
                log.info("stopping: %d job(s) still running after %.0f s are cancelled", len(unfinished), grace)
        await self._jobs.stop(wait=False)  # cancels what still runs

    def start(self, channels: Iterable[Channel]) -> None:
        """The rounds, and a digest job per channel as the database has them.

        The first outbox round sends what a previous run left unsent; a digest time that passed while
        the bot was down (within the grace period, after the channel's last digest) is caught up at once.
        """
        if self._digests:
            self._jobs.run_repeating(self._watched(poll_feeds), POLL_EVERY, first=FIRST_ROUND, name="poll",
                                     job_kwargs=ROUND_JOB_KWARGS)
        self._jobs.run_repeating(self._watched(send_outbox), OUTBOX_EVERY, first=FIRST_ROUND, name="outbox",
                                 job_kwargs=ROUND_JOB_KWARGS)
        self._jobs.run_repeating(self._watched(self._follow_schedules), SCHEDULES_EVERY, name="schedules",
                                 job_kwargs=ROUND_JOB_KWARGS)
        grace_start = datetime.now(UTC) - DIGEST_GRACE
        for channel in channels:
            last = channel.last_digest_at
            missed_after = max(last, grace_start) if last else grace_start
            self.schedule_digest(channel.id, channel.schedule, missed_after=missed_after)

    def schedule_digest(self, channel_id: int, schedule: dict, *, missed_after: datetime | None = None) -> None:
        """(Re)schedule a channel's digest job; with `missed_after`, a digest time between then and now runs first."""
        self.unschedule_digest(channel_id)
        self._schedules[channel_id] = dict(schedule)
        if not self._digests:
            return
        trigger = digest_trigger(schedule)
        job_kwargs = {"trigger": trigger, **DIGEST_JOB_KWARGS}
        if missed_after is not None:
            missed = trigger.get_next_fire_time(None, missed_after)
            if missed is not None and missed <= datetime.now(UTC):
                job_kwargs["next_run_time"] = missed  # APScheduler runs a past time at start, within the grace
        self._jobs.run_custom(self._watched(post_digest), job_kwargs=job_kwargs, data=DigestJob(channel_id),
                              name=_digest_job_name(channel_id))

    def unschedule_digest(self, channel_id: int) -> None:
        for job in self._jobs.get_jobs_by_name(_digest_job_name(channel_id)):
            job.schedule_removal()
        self._schedules.pop(channel_id, None)

    async def _follow_schedules(self, context: BotContext) -> None:
        """The schedules the database has: a process still at a channel's old time would post a second
        digest there (or, a receiver, tell /status the old time)."""
        for channel_id, schedule in (await context.usecases.channels.schedules()).items():
            if self._schedules.get(channel_id) != schedule:
                self.schedule_digest(channel_id, schedule)

    def next_digest(self, channel_id: int) -> datetime | None:
        """When the channel's next digest is due, in the channel's time zone."""
        schedule = self._schedules.get(channel_id)
        return digest_trigger(schedule).get_next_fire_time(None, datetime.now(UTC)) if schedule else None


def scheduled_time(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The trigger's last time at or before `now`, within DIGEST_GRACE (None: none)."""
    latest, fire = None, trigger.get_next_fire_time(None, now - DIGEST_GRACE)
    while fire is not None and fire <= now:
        latest, fire = fire, trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return latest


def _digest_job_name(channel_id: int) -> str:
    return f"digest:{channel_id}"


def _retry_job_name(job: DigestJob) -> str:
    return f"digest-retry:{job.channel_id}:{job.attempt}"
