"""ParsePool: jobs in worker processes; a worker that dies or overruns fails only its own job."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
import time
from functools import partial
from pathlib import Path

import pytest

from tests.crashingparser import MARKER, abort_on_marker
from tests.newssite import NewsSite
from web import pool as pool_module
from web.extract import ExtractError, extract_article
from web.pool import ParsePool, ParserCrashed, ParserLost, ParserTimeout

# Jobs run in other processes, so they are module-level functions that pickle by name.


def pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def abort_logged(log: Path) -> None:
    with log.open("a") as tries:
        tries.write("tried\n")
    os.abort()


def abort_first_time(flag: Path) -> str:
    """Crashes its worker unless a previous try left the flag."""
    if not flag.exists():
        flag.touch()
        os.abort()
    return "done on the retry"


def tries(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


async def test_a_job_runs_in_a_worker_process_and_its_own_errors_reach_the_caller():
    async with ParsePool(2) as pool:
        assert await pool.run(pid_after, 0) != os.getpid()
        with pytest.raises(ExtractError, match="not an HTML page"):
            await pool.run(extract_article, b"", url="https://times.example/")


async def test_a_job_that_kills_its_worker_is_tried_twice_then_reported_as_a_crash(tmp_path, caplog):
    log = tmp_path / "tries.log"
    async with ParsePool(2) as pool:
        with pytest.raises(ParserCrashed) as crashed:
            await pool.run(abort_logged, log)
        assert str(crashed.value) == "crashed the parser (SIGABRT)"
        assert tries(log) == 2
        assert await pool.run(pid_after, 0) != os.getpid()  # the dead workers were replaced
    assert [record.levelno for record in caplog.records if "parse worker died" in record.message] == [
        logging.WARNING, logging.WARNING
    ]


async def test_a_crash_fails_only_its_own_job_while_the_others_in_flight_finish(tmp_path):
    async with ParsePool(2) as pool:
        others = [asyncio.ensure_future(pool.run(pid_after, 0.05)) for _ in range(20)]
        with pytest.raises(ParserCrashed):
            await pool.run(abort_logged, tmp_path / "tries.log")
        pids = await asyncio.gather(*others)
    assert len(pids) == 20 and os.getpid() not in pids


async def test_a_job_whose_worker_died_once_succeeds_on_its_retry(tmp_path):
    async with ParsePool(1) as pool:
        assert await pool.run(abort_first_time, tmp_path / "crashed-once") == "done on the retry"


async def test_a_job_past_the_time_limit_is_stopped_and_the_pool_carries_on():
    async with ParsePool(1, timeout=0.5) as pool:
        started = time.monotonic()
        with pytest.raises(ParserTimeout) as late:
            await pool.run(pid_after, 30)
        assert str(late.value) == "took longer than 0.5 s to parse"
        assert time.monotonic() - started < 10
        assert await pool.run(pid_after, 0) != os.getpid()


async def test_callers_past_the_queue_bound_wait_for_a_free_slot():
    async with ParsePool(1) as pool:
        assert pool.queue_bound == 2
        jobs = [asyncio.ensure_future(pool.run(pid_after, 0.05)) for _ in range(12)]
        most = 0
        while not all(job.done() for job in jobs):
            most = max(most, pool.in_flight)
            await asyncio.sleep(0.005)
        assert most == 2
        assert len({job.result() for job in jobs}) == 1  # one worker did them all


async def test_a_crashing_page_among_real_looking_pages_fails_alone(tmp_path):
    """The test hook: a worker aborts on pages that carry the marker, as on a native crash."""
    site = NewsSite(feeds=2, entries=10)
    pages = [(site.page(feed, entry, "http://127.0.0.1:8"), site.article(feed, entry)) for feed, entry in site.pages()]
    crashing = pages[7][0].replace(b"</article>", MARKER + b"</article>")
    log = tmp_path / "tries.log"
    async with ParsePool(2, initializer=partial(abort_on_marker, log)) as pool:
        extracted = await asyncio.gather(
            *(pool.run(extract_article, html, url="http://127.0.0.1:8/") for html, _ in pages),
            pool.run(extract_article, crashing, url="http://127.0.0.1:8/"),
            return_exceptions=True,
        )
    *fine, crashed = extracted
    assert isinstance(crashed, ParserCrashed) and tries(log) == 2
    for page, (_, article) in zip(fine, pages, strict=True):
        assert all(paragraph[:60] in page.text for paragraph in article.paragraphs)


def never_answered(*args: object, **kwargs: object) -> concurrent.futures.Future:
    """What pebble hands back for a job it lost: a future that never ends."""
    return concurrent.futures.Future()


async def test_a_job_the_pool_never_answers_is_given_up_and_runs_again_in_new_workers(monkeypatch, caplog):
    monkeypatch.setattr(pool_module, "WORKER_START", 0.5)
    async with ParsePool(1, timeout=0.5) as pool:
        losing = await pool._running_pool()
        monkeypatch.setattr(losing, "schedule", never_answered)
        assert await pool.run(pid_after, 0) != os.getpid()
        assert await pool._running_pool() is not losing
    assert any("got no answer from the parser within 1.5 s" in record.message for record in caplog.records)


async def test_a_job_lost_twice_is_reported_and_the_pool_carries_on(monkeypatch):
    monkeypatch.setattr(pool_module, "WORKER_START", 0.5)
    monkeypatch.setattr(pool_module.ProcessPool, "schedule", never_answered)
    async with ParsePool(1, timeout=0.5) as pool:
        with pytest.raises(ParserLost, match="got no answer from the parser"):
            await pool.run(pid_after, 0)
        monkeypatch.undo()
        assert await pool.run(pid_after, 0) != os.getpid()


def test_a_pool_start_that_never_ends_holds_up_neither_its_jobs_nor_the_loops_shutdown(monkeypatch):
    never_started = threading.Event()
    monkeypatch.setattr(pool_module.ProcessPool, "_start_pool", lambda self: never_started.wait())
    monkeypatch.setattr(pool_module, "POOL_START", 0.5)
    outcome: list[BaseException] = []

    async def a_job_then_shutdown() -> None:
        async with ParsePool(1) as pool:
            try:
                await pool.run(pid_after, 0)
            except ParserLost as exc:
                outcome.append(exc)

    # asyncio.run ends by waiting for its loop's threads: a start stuck in one would keep it for ever.
    runner = threading.Thread(target=asyncio.run, args=(a_job_then_shutdown(),), daemon=True)
    runner.start()
    runner.join(30)
    never_started.set()
    assert not runner.is_alive()
    assert [str(exc) for exc in outcome] == ["got no answer from the parser within 0.5 s"]
