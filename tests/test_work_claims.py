"""Work claimed in PostgreSQL: processes sharing one database make each summary once, and a killed
process's claims are taken over."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.digest.summaries import StorySummaries
from bot.store.db import open_store
from bot.store.tables import Article, Feed, SummaryRecord, utcnow
from bot.store.work_claims import Work, WorkClaims
from summarizer import Summarizer, SummarizerError
from summarizer.types import BackendUnavailableError
from tests.doubles import FakeBackend

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent
TEXT = ("The harbour board voted on Monday to rebuild the north pier before the winter storms. "
        "Engineers said the pier had been closed to ferries since a crane collapsed in the spring. ") * 3

# A process that starts making the article's summary and never finishes: its model waits forever.
MAKER = """
import asyncio, sys
from sqlalchemy import select
from bot.digest.summaries import StorySummaries
from bot.store.db import open_store
from bot.store.tables import Article
from bot.store.work_claims import WorkClaims
from summarizer import Summarizer, SummarizerError
from summarizer.types import BackendUnavailableError
from tests.doubles import FakeBackend

class Stuck(FakeBackend):
    async def generate(self, prompt, max_new_tokens):
        print("making", flush=True)
        await asyncio.Event().wait()

async def main():
    engine, sessions = await open_store(sys.argv[1])
    async with sessions() as session:
        [article] = await session.scalars(select(Article))
    await StorySummaries(sessions, Summarizer(Stuck()), 400, WorkClaims(engine)).summary([article], "en")

asyncio.run(main())
"""


async def store_with_article(url: str) -> Article:
    engine, sessions = await open_store(url)
    try:
        async with sessions.begin() as session:
            feed = Feed(name="herald", url="https://herald.example/feed.xml")
            session.add(feed)
            await session.flush()
            article = Article(feed_id=feed.id, guid="a", title="Pier to be rebuilt", text=TEXT, text_hash="h",
                              language="en", published_at=utcnow())
            session.add(article)
        return article
    finally:
        await engine.dispose()


@dataclass
class Process:
    """A bot process's view of the store: its own engine, claims and model."""

    engine: AsyncEngine
    claims: WorkClaims
    summaries: StorySummaries
    backend: FakeBackend

    async def close(self) -> None:
        await self.claims.close()
        await self.engine.dispose()


async def process(url: str, gate: asyncio.Event) -> Process:
    engine, sessions = await open_store(url)
    backend, claims = FakeBackend(gate=gate), WorkClaims(engine)
    return Process(engine, claims, StorySummaries(sessions, Summarizer(backend), 400, claims), backend)


async def stored_summaries(url: str) -> int:
    engine, sessions = await open_store(url)
    try:
        async with sessions() as session:
            return await session.scalar(select(func.count()).select_from(SummaryRecord))
    finally:
        await engine.dispose()


async def test_processes_asking_for_one_summary_at_once_have_it_made_once(postgres_url):
    article = await store_with_article(postgres_url)
    gate = asyncio.Event()
    processes = [await process(postgres_url, gate) for _ in range(3)]
    try:
        asking = asyncio.gather(*(one.summaries.summary([article], "en") for one in processes),
                                processes[1].summaries.make_ahead([article], "en"))
        await asyncio.sleep(0.5)  # every process has asked by now
        gate.set()
        *records, ahead = await asking
    finally:
        for one in processes:
            await one.close()

    assert sum(len(one.backend.prompts) for one in processes) == 1
    assert len({record.id for record in records}) == 1 and ahead is None
    assert await stored_summaries(postgres_url) == 1


async def test_a_process_making_summaries_ahead_moves_on_from_one_another_process_is_making(postgres_url):
    article = await store_with_article(postgres_url)
    gate = asyncio.Event()
    first, second = [await process(postgres_url, gate) for _ in range(2)]
    try:
        making = asyncio.create_task(first.summaries.summary([article], "en"))
        await asyncio.sleep(0.5)  # the first process holds the claim, waiting for its model
        await asyncio.wait_for(second.summaries.make_ahead([article], "en"), 30)  # with the gate still closed
        gate.set()
        await making
    finally:
        await first.close()
        await second.close()

    assert second.backend.prompts == [] and len(first.backend.prompts) == 1


async def test_a_killed_process_s_summary_is_taken_over_by_one_waiting_for_it(postgres_url):
    article = await store_with_article(postgres_url)
    maker = await asyncio.create_subprocess_exec(
        sys.executable, "-c", MAKER, postgres_url, cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    waiter = await process(postgres_url, asyncio.Event())
    waiter.backend.gate.set()
    try:
        assert await asyncio.wait_for(maker.stdout.readline(), 60) == b"making\n"
        waiting = asyncio.create_task(waiter.summaries.summary([article], "en"))
        await asyncio.sleep(1.5)  # looked for the row, and at the claim, at least once
        assert not waiting.done() and waiter.backend.prompts == []
        maker.send_signal(signal.SIGKILL)
        await maker.wait()
        record = await asyncio.wait_for(waiting, 60)
    finally:
        if maker.returncode is None:
            maker.kill()
            await maker.wait()
        await waiter.close()

    assert len(waiter.backend.prompts) == 1 and record.summary
    assert await stored_summaries(postgres_url) == 1


class Unreachable(FakeBackend):
    async def generate(self, prompt, max_new_tokens):
        raise BackendUnavailableError("the inference server is not reachable")


async def test_a_process_that_cannot_reach_the_model_gives_the_summary_back(postgres_url):
    article = await store_with_article(postgres_url)
    engine, sessions = await open_store(postgres_url)
    cut_off, other = WorkClaims(engine), await process(postgres_url, asyncio.Event())
    other.backend.gate.set()
    try:
        with pytest.raises(SummarizerError):
            await StorySummaries(sessions, Summarizer(Unreachable()), 400, cut_off).summary([article], "en")
        # Still running, the process holds no claim: another makes the summary without waiting.
        await asyncio.wait_for(other.summaries.make_ahead([article], "en"), 30)
    finally:
        await cut_off.close()
        await engine.dispose()
        await other.close()

    assert len(other.backend.prompts) == 1
    assert await stored_summaries(postgres_url) == 1


async def test_a_claim_is_one_process_s_at_a_time_and_given_back_after_its_block(postgres_url):
    engine, _ = await open_store(postgres_url)
    first, second = WorkClaims(engine), WorkClaims(engine)  # two connections: as two processes
    try:
        async with first.claim(Work.DIGEST, "7") as mine:
            async with second.claim(Work.DIGEST, "7") as theirs, first.claim(Work.DIGEST, "7") as again:
                assert mine and not theirs and not again  # not even a second task of the holder
            async with second.claim(Work.DIGEST, "8") as other:
                assert other
        async with second.claim(Work.DIGEST, "7") as now_theirs:
            assert now_theirs
    finally:
        await first.close()
        await second.close()
        await engine.dispose()


async def test_processes_take_turns_at_a_host_within_its_limits_together(postgres_url):
    engine, _ = await open_store(postgres_url)
    first, second = WorkClaims(engine), WorkClaims(engine)
    try:
        async with first.host_turn("news.example", slots=1, delay=0):
            waiting = asyncio.create_task(second.host_turn("news.example", slots=1, delay=0).__aenter__())
            await asyncio.sleep(1)
            assert not waiting.done()  # the host's one request in flight is the first process's
            async with second.host_turn("other.example", slots=1, delay=0):
                pass  # another host is not held up
        await asyncio.wait_for(waiting, 30)
        await second.close()  # leaves the turn it had
        async with first.host_turn("news.example", slots=1, delay=3600):
            pass
        # The next start at the host is an hour away, for the other process too (same settings),
        # unless the first one ends.
        starting = asyncio.create_task(second.host_turn("news.example", slots=1, delay=3600).__aenter__())
        await asyncio.sleep(1)
        assert not starting.done()
        await first.close()
        await asyncio.wait_for(starting, 30)
    finally:
        await first.close()
        await second.close()
        await engine.dispose()
